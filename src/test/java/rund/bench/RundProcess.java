package rund.bench;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A daemon started the way an operator starts it, {@code bin/rund serve}, as a child process of the benchmark
 * (bin/rund execs the JVM, so the child's pid is the daemon's): its resident memory can be read from /proc.
 * Cgroups are switched off: this host's cgroup hierarchies are never touched.
 */
final class RundProcess implements AutoCloseable {
  final Process process;
  final int port;
  final Path dataDir;
  final Path logFile;

  private RundProcess(Process process, int port, Path dataDir, Path logFile) {
    this.process = process;
    this.port = port;
    this.dataDir = dataDir;
    this.logFile = logFile;
  }

  static RundProcess start(Path home, Path logFile, String... extraFlags) throws Exception {
    Path dataDir = Files.createTempDirectory("rund-bench-data");
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    List<String> command = new ArrayList<>(List.of(home.resolve("bin/rund").toString(), "serve",
        "-addr", "127.0.0.1:" + port, "-data-dir", dataDir.toString(), "-cgroup-root", "off"));
    command.addAll(List.of(extraFlags));
    Files.createDirectories(logFile.getParent());
    ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile())
        .redirectErrorStream(true).redirectOutput(logFile.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    // For looking into a daemon (JFR, native memory tracking) without touching bin/rund: the JVM reads
    // JAVA_TOOL_OPTIONS itself.
    String diagnostics = System.getenv("RUND_BENCH_DAEMON_JAVA_OPTS");
    builder.environment().remove("JAVA_TOOL_OPTIONS");
    if (diagnostics != null && !diagnostics.isBlank()) {
      builder.environment().put("JAVA_TOOL_OPTIONS", diagnostics.replace("%p", logFile.getFileName().toString()));
    }
    Process process = builder.start();
    // An interrupted benchmark (Ctrl-C) must not leave a daemon and its jobs behind.
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroy));
    RundProcess daemon = new RundProcess(process, port, dataDir, logFile);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      if (!process.isAlive()) {
        daemon.close();
        throw new IllegalStateException("bin/rund serve exited with " + process.exitValue() + "; its output: "
            + Files.readString(logFile));
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return daemon;
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) {
          daemon.close();
          throw new IllegalStateException("bin/rund serve did not listen on port " + port + " within 120 s");
        }
        Thread.sleep(50);
      }
    }
  }

  long pid() {
    return process.pid();
  }

  /** VmRSS in bytes. */
  long rss() throws IOException {
    return statusField("VmRSS:");
  }

  /** VmHWM (peak resident set) in bytes. */
  long hwm() throws IOException {
    return statusField("VmHWM:");
  }

  private long statusField(String name) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
      if (line.startsWith(name)) {
        String[] parts = line.substring(name.length()).trim().split("\\s+");
        return Long.parseLong(parts[0]) * 1024;
      }
    }
    throw new IOException(name + " missing from /proc/" + process.pid() + "/status");
  }

  /** SIGTERM (the daemon kills its jobs and removes its instance data), then the data directory goes. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    if (Files.exists(dataDir)) {
      try (Stream<Path> walk = Files.walk(dataDir)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("removing " + dataDir, e);
      }
    }
  }
}
