package rund.logscale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.testing.DaemonFixture;
import rund.testing.TestClient;

/**
 * Clients that go away release everything the daemon held for them: 1,000 Log streams opened and reset, streams
 * dropped with their connection, followers blocked on a full stream, and runc processes killed mid-stream leave
 * the daemon's registered followers, threads and open descriptors where they were before.
 */
class FollowerReleaseOnDisconnectTest {
  static final int STREAMS = 1000;
  static final int BATCH = 50;
  /**
   * Cancellations per connection. The daemon's HTTP/2 server closes a connection that resets more than 200
   * streams within 30 s (Vert.x's rapid-reset protection), so the test spreads its resets over connections.
   */
  static final int PER_CONNECTION = 100;
  static final String RUNC = "rund.cli.client.RuncMain";

  @TempDir static Path dir;
  static DaemonFixture daemon;
  static Vertx vertx;
  static TestClient control;

  @BeforeAll
  static void start() throws Exception {
    daemon = DaemonFixture.start(dir.resolve("data"));
    // One event loop for every client connection of the test, so that new connections add no client threads.
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    control = TestClient.connect(vertx, daemon.port(), DaemonFixture.TLS.resolve("ca.pem"),
        DaemonFixture.TLS.resolve("client.pem"), DaemonFixture.TLS.resolve("client-key.pem"));
  }

  @AfterAll
  static void stop() {
    control.close();
    vertx.close().await();
    daemon.close();
  }

  /** Opens {@code count} Log calls on one connection. */
  static List<LogClient.Call> open(LogClient client, String id, int count) {
    List<LogClient.Call> calls = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      calls.add(client.follow(id, output -> {}));
    }
    return calls;
  }

  static void awaitFollowers(int expected, String what) {
    Resources.await(120, what + ": " + expected + " followers registered (now " + Resources.followers() + ")",
        () -> Resources.followers() == expected);
  }

  /**
   * Opens and resets {@code STREAMS} Log calls on the job, {@code BATCH} at a time. Even batches are reset once
   * the daemon has registered every follower; odd batches are reset as soon as each request is out, racing the
   * daemon's start of the follower.
   */
  static int openAndReset(String id, int base) throws Exception {
    int peak = base;
    for (int connection = 0; connection < STREAMS / PER_CONNECTION; connection++) {
      try (LogClient client = LogClient.connect(vertx, daemon.port())) {
        for (int batch = 0; batch < PER_CONNECTION / BATCH; batch++) {
          String where = "connection " + connection + ", batch " + batch;
          List<LogClient.Call> calls = open(client, id, BATCH);
          if (batch % 2 == 0) {
            awaitFollowers(base + BATCH, where);
            peak = Math.max(peak, Resources.followers());
          } else {
            Resources.await(60, where + ": requests sent", () -> calls.stream().allMatch(LogClient.Call::sent));
          }
          calls.forEach(LogClient.Call::cancel);
          awaitFollowers(base, where + " reset");
        }
      }
    }
    return peak;
  }

  /** A runc process following the job, its stdout a pipe the test may leave unread. */
  static Process runcLog(String id, Path stderr) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    return new ProcessBuilder(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
        "-cp", classpath, RUNC, "log", "-addr", "127.0.0.1:" + daemon.port(),
        "-ca", DaemonFixture.TLS.resolve("ca.pem").toString(),
        "-cert", DaemonFixture.TLS.resolve("client.pem").toString(),
        "-key", DaemonFixture.TLS.resolve("client-key.pem").toString(), id)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()))
        .start();
  }

  @Test
  void cancelledStreamsDroppedConnectionsAndKilledClientsReleaseEverything() throws Exception {
    String silent = control.start("sleep", "1000");
    // 64 MiB, then silence: enough to fill any client's stream window and socket buffers many times over.
    String noisy = control.start("sh", "-c", "head -c 67108864 /dev/zero; exec sleep 1000");
    Path runcErrors = dir.resolve("runc-stderr.txt");
    try {
      int base = Resources.followers();
      warmUp(silent, base);
      long baseThreads = Resources.threads();
      List<String> baseThreadNames = Resources.threadNames();
      long baseFds = Resources.openFds();

      int peak = openAndReset(silent, base);

      // Streams that vanish with their connection, no reset: 50 idle ones, and 5 whose follower is blocked on a
      // full stream because the client reads nothing (a paced call that has fetched its first message only).
      LogClient dropped = LogClient.connect(vertx, daemon.port());
      List<LogClient.Call> idle = open(dropped, silent, BATCH);
      List<LogClient.Call> stuck = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        stuck.add(dropped.followPaced(noisy, 1, output -> {}));
      }
      awaitFollowers(base + BATCH + 5, "streams to be dropped with their connection");
      // The client's connection window is shared: the first unread stream to fill it blocks the others too.
      Resources.await(60, "data reached the stuck followers' client",
          () -> stuck.stream().anyMatch(c -> c.bytes() > 0));
      long openWhileDropping = Resources.openFds();
      idle.getFirst().closeConnection();
      awaitFollowers(base, "after the connection was closed");
      dropped.close();

      // The same on a reset: followers blocked on a full stream are released by RST_STREAM too.
      try (LogClient client = LogClient.connect(vertx, daemon.port())) {
        List<LogClient.Call> blocked = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          blocked.add(client.followPaced(noisy, 1, output -> {}));
        }
        awaitFollowers(base + 5, "blocked followers");
        Resources.await(60, "data reached the blocked followers' client",
            () -> blocked.stream().anyMatch(c -> c.bytes() > 0));
        blocked.forEach(LogClient.Call::cancel);
        awaitFollowers(base, "after resetting blocked followers");
      }

      // Client processes killed mid-stream: runc on the silent job, and runc on the noisy job with its stdout
      // left unread, so that it stops reading from the daemon and the daemon's follower waits on a full stream.
      List<Process> processes = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        processes.add(runcLog(silent, runcErrors));
      }
      List<Process> blockedRunc = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        blockedRunc.add(runcLog(noisy, runcErrors));
      }
      processes.addAll(blockedRunc);
      try {
        Resources.await(180, "5 runc processes following (runc stderr: " + runcErrors + ")",
            () -> Resources.followers() == base + 5 || processes.stream().anyMatch(p -> !p.isAlive()));
        assertTrue(processes.stream().allMatch(Process::isAlive),
            () -> "a runc process ended early: " + read(runcErrors));
        Resources.await(60, "the runc processes on the noisy job print its output",
            () -> blockedRunc.stream().allMatch(FollowerReleaseOnDisconnectTest::hasOutput));
      } finally {
        for (Process process : processes) {
          process.destroyForcibly();
        }
        for (Process process : processes) {
          assertTrue(process.waitFor(60, TimeUnit.SECONDS));
          closeQuietly(process.getInputStream());
          closeQuietly(process.getErrorStream());
          process.getOutputStream().close();
        }
      }
      awaitFollowers(base, "after killing the runc processes");

      // Back to the baseline: nothing is left of any of those clients in the daemon.
      boolean settled = Resources.within(60,
          () -> Resources.threads() <= baseThreads && Resources.openFds() <= baseFds);
      long threads = Resources.threads();
      long fds = Resources.openFds();
      System.out.printf("FollowerReleaseOnDisconnect: %d streams reset, 55 dropped with their connection, 5 reset"
          + " while blocked, 5 runc processes killed; followers %d (peak %d), threads %d -> %d, open fds %d -> %d"
          + " (%d with 55 streams open)%n", STREAMS, Resources.followers(), peak, baseThreads, threads, baseFds,
          fds, openWhileDropping);
      assertTrue(settled, "threads " + threads + " (baseline " + baseThreads + "), fds " + fds + " (baseline "
          + baseFds + "); threads before " + baseThreadNames + ", after " + Resources.threadNames());
      assertEquals(base, Resources.followers());
    } finally {
      control.stop(silent);
      control.stop(noisy);
    }
  }

  /**
   * Vert.x starts the threads of its worker pool and of its internal blocking pool (TLS handshake tasks) on
   * demand, up to a fixed size (20 each), and keeps them: that growth is not a leak. The warm-up takes both
   * pools, the daemon's and the test's, to their size, so that the baseline taken after it is the steady state:
   * 25 connections (25 handshakes on each side), each with two followers started and reset.
   */
  private static void warmUp(String id, int base) throws Exception {
    for (int i = 0; i < 25; i++) {
      try (LogClient client = LogClient.connect(vertx, daemon.port())) {
        List<LogClient.Call> calls = open(client, id, 2);
        awaitFollowers(base + 2, "warm-up");
        calls.forEach(LogClient.Call::cancel);
        awaitFollowers(base, "warm-up");
      }
    }
  }

  private static boolean hasOutput(Process process) {
    try {
      return process.getInputStream().available() > 0;
    } catch (IOException e) {
      return false;
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException ignored) {
      // the process is gone; nothing to report
    }
  }
}
