package rund.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.testing.DaemonFixture;

/** runc, the real client, against the real daemon with the repository's example certificates. */
class RuncAgainstDaemonTest {
  @TempDir static Path dir;
  static DaemonFixture daemon;

  @BeforeAll
  static void start() throws Exception {
    daemon = DaemonFixture.start(dir.resolve("data"));
  }

  @AfterAll
  static void stop() {
    daemon.close();
  }

  record Result(int code, String out, String err) {}

  static Result runc(String subcommand, String... rest) {
    List<String> args = new ArrayList<>(List.of(subcommand,
        "-addr", "localhost:" + daemon.port(),
        "-ca", DaemonFixture.TLS.resolve("ca.pem").toString(),
        "-cert", DaemonFixture.TLS.resolve("client.pem").toString(),
        "-key", DaemonFixture.TLS.resolve("client-key.pem").toString()));
    args.addAll(List.of(rest));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = RuncMain.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void startLogStatusStopThroughTheCli() {
    Result started = runc("start", "sh", "-c", "echo out; echo err >&2; exit 4");
    assertEquals(0, started.code(), started.err());
    String id = started.out().trim();
    assertEquals(id + "\n", started.out(), "start prints only the id");

    Result log = runc("log", id);
    assertEquals(0, log.code(), log.err());
    assertEquals("out\n", log.out());
    assertEquals("err\n", log.err());
    assertEquals(log, runc("logs", id), "logs is an alias of log");

    Result status = runc("status", id);
    assertEquals(0, status.code(), status.err());
    JsonObject json = new JsonObject(status.out().trim());
    assertEquals(id, json.getString("id"));
    assertEquals("exited", json.getString("state"));
    assertEquals(4, json.getInteger("exit_code"));
    assertEquals(1, status.out().lines().count(), "one JSON object on one line");

    Result stopped = runc("stop", id);
    assertEquals(0, stopped.code(), stopped.err());
    assertEquals("exited", new JsonObject(stopped.out().trim()).getString("state"));
  }

  @Test
  void argumentsThatLookLikeFlagsBelongToTheCommand() {
    String id = runc("start", "printf", "%s|", "-la", "-max_rbps", "--", "x").out().trim();
    assertEquals("-la|-max_rbps|--|x|", runc("log", id).out());
    String viaSeparator = runc("start", "--", "printf", "%s", "-n").out().trim();
    assertEquals("-n", runc("log", viaSeparator).out());
  }

  @Test
  void stopEndsARunningJobAndReportsTheSignal() {
    String id = runc("start", "sleep", "1000").out().trim();
    Result stopped = runc("stop", id);
    assertEquals(0, stopped.code(), stopped.err());
    JsonObject json = new JsonObject(stopped.out().trim());
    assertEquals("signaled", json.getString("state"));
    assertEquals("SIGTERM", json.getString("signal_name"));
    assertTrue(json.getBoolean("stop_requested"));
  }

  @Test
  void serverErrorsAreOneLineAndExitOne() {
    Result unknown = runc("status", "01ARZ3NDEKTSV4RRFFQ69G5FAV");
    assertEquals(1, unknown.code());
    assertEquals("runc: NOT_FOUND: no job 01ARZ3NDEKTSV4RRFFQ69G5FAV for this client\n", unknown.err());
    Result missing = runc("start", "no-such-command-xyz");
    assertEquals(1, missing.code());
    assertTrue(missing.err().startsWith("runc: INVALID_ARGUMENT: command not found: no-such-command-xyz"), missing.err());
    assertEquals(1, missing.err().lines().count());
    Result limit = runc("start", "-max_memory_usage", "10000000", "true");
    assertEquals(1, limit.code());
    assertTrue(limit.err().startsWith("runc: FAILED_PRECONDITION: memory"), limit.err());
    Result usage = runc("start");
    assertEquals(2, usage.code());
    assertEquals(1, usage.err().lines().count());
  }
}
