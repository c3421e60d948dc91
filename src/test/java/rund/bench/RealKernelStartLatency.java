package rund.bench;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import rund.api.JobStatus;
import rund.api.Limits;
import rund.api.State;
import com.google.protobuf.UInt64Value;
import rund.cgroup.CgroupSupport;
import rund.server.Daemon;
import rund.server.DaemonConfig;

/**
 * Metric 8 of bin/bench, run inside realkernel/run.sh (a user-mode Linux kernel with cgroup v2): the daemon
 * (in this JVM, cgroups detected as on a real host) starts {@code true} with no limits and with every limit
 * (cpu, memory, io on the scratch disk), interleaved, one job at a time on a warm mTLS connection. Prints one
 * line, {@link #MARKER} and a JSON object, on stdout.
 */
public final class RealKernelStartLatency {
  static final String MARKER = "RUND-BENCH-RESULT ";

  private RealKernelStartLatency() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    int warm = 5;
    Path home = Path.of(System.getProperty("rund.home", ".")).toAbsolutePath();
    Path tls = home.resolve("tls");
    Path data = Files.createTempDirectory("rund-bench");
    JsonObject json = DaemonConfig.defaults()
        .put("addr", "127.0.0.1:0")
        .put("ca", tls.resolve("ca.pem").toString())
        .put("cert", tls.resolve("server.pem").toString())
        .put("key", tls.resolve("server-key.pem").toString())
        .put("dataDir", data.toString())
        .put("cgroupRoot", "auto");
    Daemon daemon = Daemon.start(DaemonConfig.from(json), home);
    if (!(daemon.cgroups() instanceof CgroupSupport.Enabled)) {
      System.err.println("RealKernelStartLatency: no cgroup v2 here: " + daemon.cgroups());
      System.exit(3);
    }
    Vertx vertx = Vertx.vertx();
    int status;
    try (BenchClient client = new BenchClient(vertx, tls, daemon.port())) {
      Limits limits = Limits.newBuilder()
          .setMaxCpuBandwidth(UInt64Value.of(50_000))
          .setMaxMemoryUsage(UInt64Value.of(256L << 20))
          .setMaxRbps(UInt64Value.of(10L << 20))
          .setMaxWbps(UInt64Value.of(10L << 20))
          .setMaxRiops(UInt64Value.of(1000))
          .setMaxWiops(UInt64Value.of(1000))
          .build();
      JsonObject applied = checkLimitsApplied(client, limits);
      long[] plain = new long[n];
      long[] limited = new long[n];
      for (int i = -warm; i < n; i++) {
        // Alternate which variant goes first, so that neither always follows the other.
        boolean limitsFirst = (i & 1) == 0;
        long a = timedStart(client, limitsFirst ? limits : Limits.getDefaultInstance());
        long b = timedStart(client, limitsFirst ? Limits.getDefaultInstance() : limits);
        if (i >= 0) {
          limited[i] = limitsFirst ? a : b;
          plain[i] = limitsFirst ? b : a;
        }
      }
      Stats p = new Stats(plain);
      Stats l = new Stats(limited);
      JsonObject result = new JsonObject()
          .put("samples", n)
          .put("kernel", Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim())
          .put("cpus", Runtime.getRuntime().availableProcessors())
          .put("plain_p50_ns", p.median())
          .put("plain_p99_ns", p.percentile(99))
          .put("limited_p50_ns", l.median())
          .put("limited_p99_ns", l.percentile(99))
          .put("limits_applied", applied);
      System.out.println(MARKER + result.encode());
      status = 0;
    } finally {
      daemon.close();
      vertx.close().await(30, TimeUnit.SECONDS);
    }
    System.exit(status);
  }

  private static long timedStart(BenchClient client, Limits limits) throws Exception {
    long t0 = System.nanoTime();
    String id = BenchClient.await(client.start(limits, "true"), 120);
    long elapsed = System.nanoTime() - t0;
    JobStatus end = BenchClient.await(client.awaitEnd(id), 120);
    if (end.getState() != State.STATE_EXITED || end.getExitCode().getValue() != 0) {
      throw new AssertionError("job did not exit 0: " + end);
    }
    if (limits.hasMaxMemoryUsage() && end.getCgroup().isEmpty()) {
      throw new AssertionError("a limited job without a cgroup: " + end);
    }
    return elapsed;
  }

  /** Starts a limited job that lives a little, and reads its limits back from its cgroup. */
  private static JsonObject checkLimitsApplied(BenchClient client, Limits limits) throws Exception {
    String id = BenchClient.await(client.start(limits, "sleep", "3"), 120);
    JobStatus running = BenchClient.await(client.status(id), 60);
    Path cgroup = Path.of("/sys/fs/cgroup").resolve(running.getCgroup().replaceFirst("^/", ""));
    JsonObject applied = new JsonObject();
    for (String file : new String[] {"cpu.max", "memory.max", "io.max"}) {
      applied.put(file, Files.readString(cgroup.resolve(file)).trim());
    }
    String disk = System.getenv().getOrDefault("RUND_TEST_DISK", "/dev/ubda");
    long rdev = (Long) Files.getAttribute(Path.of(disk), "unix:rdev");
    long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
    long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
    String device = major + ":" + minor;
    if (!applied.getString("io.max").contains(device + " ")) {
      throw new AssertionError("io.max has no line for " + disk + " (" + device + "): " + applied);
    }
    applied.put("disk", disk + " " + device);
    BenchClient.await(client.awaitEnd(id), 120);
    return applied;
  }
}
