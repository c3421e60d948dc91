package rund.realkernel;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SocketAddress;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import rund.testing.TestClient;
import rund.tls.TlsOptions;

/**
 * A daemon in a process of its own, started through bin/rund serve (optionally behind a shell prefix that moves it
 * into a cgroup first), on a loopback port the kernel picks: the port is read from the "serving" line the daemon
 * prints on stderr.
 */
final class ServeProcess implements AutoCloseable {
  private static final Pattern SERVING = Pattern.compile("serving JobController on .* \\(port (\\d+),");

  final Process process;
  final int port;
  private final StringBuffer output;

  private ServeProcess(Process process, int port, StringBuffer output) {
    this.process = process;
    this.port = port;
    this.output = output;
  }

  /**
   * Starts {@code bin/rund serve} with the example PKI, {@code -addr 127.0.0.1:0}, {@code dataDir} and the extra
   * flags, and waits (bounded) until it serves. With {@code cgroupProcs} set, a shell first writes its own pid into
   * that cgroup.procs file, then execs the daemon, so the daemon starts inside that cgroup.
   */
  static ServeProcess start(Path dataDir, Path cgroupProcs, String... flags) throws Exception {
    List<String> serve = new ArrayList<>(List.of(RealKernel.HOME.resolve("bin/rund").toString(), "serve",
        "-addr", "127.0.0.1:0",
        "-data-dir", dataDir.toString(),
        "-ca", RealKernel.TLS.resolve("ca.pem").toString(),
        "-cert", RealKernel.TLS.resolve("server.pem").toString(),
        "-key", RealKernel.TLS.resolve("server-key.pem").toString()));
    serve.addAll(List.of(flags));
    List<String> command = new ArrayList<>();
    if (cgroupProcs != null) {
      command.addAll(List.of("/bin/sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", cgroupProcs.toString()));
    }
    command.addAll(serve);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    // C1 only: in the guest every compilation and syscall is slow, and a fresh daemon JVM otherwise spends tens of
    // seconds warming up (start-up, then its first TLS handshake). What the daemon does does not depend on the JIT.
    builder.environment().put("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1");
    Process process = builder.start();
    StringBuffer output = new StringBuffer();
    CompletableFuture<Integer> port = new CompletableFuture<>();
    Thread.ofPlatform().daemon().name("rund-serve-output-" + process.pid()).start(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          output.append(line).append('\n');
          Matcher m = SERVING.matcher(line);
          if (m.find()) {
            port.complete(Integer.parseInt(m.group(1)));
          }
        }
      } catch (IOException e) {
        // The process ended; whatever was read is in output.
      }
      port.completeExceptionally(new IllegalStateException("rund serve ended without serving"));
    });
    try {
      return new ServeProcess(process, port.get(120, TimeUnit.SECONDS), output);
    } catch (ExecutionException | TimeoutException e) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
      fail("bin/rund serve " + String.join(" ", flags) + " did not serve: " + e + "\n" + output);
      throw e;
    }
  }

  /**
   * A client of this daemon. The first TLS handshake with a daemon JVM that has just started runs in its interpreter,
   * and every guest syscall is slow, so the handshake may take longer than Vert.x's default 10 s.
   */
  TestClient client(Vertx vertx) throws Exception {
    HttpClientOptions options = TlsOptions.client(RealKernel.TLS.resolve("ca.pem"),
        RealKernel.TLS.resolve("client.pem"), RealKernel.TLS.resolve("client-key.pem"))
        .setSslHandshakeTimeout(120).setSslHandshakeTimeoutUnit(TimeUnit.SECONDS);
    return new TestClient(vertx, options, SocketAddress.inetSocketAddress(port, "localhost"));
  }

  long pid() {
    return process.pid();
  }

  /** Everything the daemon printed so far (its log). */
  String output() {
    return output.toString();
  }

  /** SIGKILL, as a crash would: the daemon gets no chance to clean up. Waits until it is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "rund serve survived SIGKILL");
  }

  /** SIGTERM, the orderly shutdown; waits (bounded) until it has exited. */
  @Override
  public void close() throws InterruptedException {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    if (!process.waitFor(90, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
      fail("rund serve did not exit within 90 s of SIGTERM:\n" + output);
    }
  }
}
