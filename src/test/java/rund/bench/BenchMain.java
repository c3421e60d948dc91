package rund.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import rund.api.JobStatus;
import rund.api.State;

/**
 * bin/bench: measures rund against baselines taken in the same run on the same machine, prints a table and
 * writes it as JSON. Not a test: run on demand (see the README's "Benchmarks").
 *
 * <p>Daemons are real {@code bin/rund serve} child processes (so their resident memory can be read), one per
 * group of metrics so that one metric's heap growth does not hide or inflate another's; the client is the
 * Vert.x gRPC client with runc's mutual-TLS options, in this JVM.
 */
public final class BenchMain {
  static final long MIB = 1024 * 1024;
  static final long GIB = 1024 * MIB;
  static final double MB = 1e6;

  private final Path home;
  private final Path tls;
  private final Path out;
  private final Report report = new Report();
  private final Vertx vertx = Vertx.vertx();

  private BenchMain(Path home, Path out) {
    this.home = home;
    this.tls = home.resolve("tls");
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    Path home = Path.of(System.getProperty("rund.home", ".")).toAbsolutePath().normalize();
    Path results = home.resolve("target/bench/results.json");
    Set<String> sections = new LinkedHashSet<>(SECTIONS);
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--out" -> results = Path.of(args[++i]).toAbsolutePath();
        case "--no-realkernel" -> sections.remove("realkernel");
        case "--only" -> sections.retainAll(List.of(args[++i].split(",")));
        default -> {
          System.err.println("usage: bin/bench [--out FILE] [--no-realkernel] [--only SECTION,...]"
              + " (sections: " + String.join(",", SECTIONS) + ")");
          System.exit(2);
        }
      }
    }
    BenchMain bench = new BenchMain(home, home.resolve("target/bench"));
    long t0 = System.nanoTime();
    int status = bench.run(sections);
    bench.report.details.put("bench_seconds", Math.round((System.nanoTime() - t0) / 1e9));
    bench.report.write(results);
    System.out.println();
    System.out.println("rund benchmarks, " + bench.report.machine.getString("date") + ", "
        + bench.report.machine.getInteger("nproc") + " CPUs (" + bench.report.machine.getString("cpu") + "), Linux "
        + bench.report.machine.getString("kernel") + ", " + bench.report.machine.getString("java"));
    System.out.println("other load: 1-min load average " + bench.report.machine.getValue("loadavg_start") + " at the start, "
        + bench.report.machine.getValue("loadavg_end") + " at the end; during the run the CPUs were idle "
        + bench.report.machine.getValue("cpu_idle_pct") + "% and stolen by the hypervisor "
        + bench.report.machine.getValue("cpu_steal_pct") + "% of the time");
    System.out.println();
    System.out.print(bench.report.table());
    System.out.println();
    for (String failure : bench.report.failures) {
      System.out.println("FAILED: " + failure);
    }
    System.out.println("results: " + results + " (" + Math.round((System.nanoTime() - t0) / 1e9) + " s)");
    System.exit(status);
  }

  /** The groups of metrics, each with its own daemon: what --only selects. */
  static final List<String> SECTIONS = List.of("start", "throughput", "follow", "log", "cli", "memory", "fanout",
      "realkernel");
  private static final List<String> PERF = SECTIONS.subList(0, 5);

  private Set<String> selected = Set.of();

  private int run(Set<String> sections) throws Exception {
    machine();
    selected = sections;
    try {
      if (PERF.stream().anyMatch(sections::contains)) {
        section("start latency, throughput, follow latency, log throughput, CLI", this::perfDaemon);
      }
      if (sections.contains("memory")) {
        section("daemon memory", this::memoryDaemon);
      }
      if (sections.contains("fanout")) {
        section("fan-out", this::fanOutDaemon);
      }
      if (sections.contains("realkernel")) {
        section("real kernel", this::realKernel);
      }
    } finally {
      report.machine.put("loadavg_end", loadAverage());
      long[] cpuEnd = cpuTimes();
      if (cpuStart != null && cpuEnd != null) {
        long total = 0;
        for (int i = 0; i < cpuEnd.length; i++) {
          total += cpuEnd[i] - cpuStart[i];
        }
        // Shares of all CPU time during the run: what other work (idle is what was left) and the
        // hypervisor (steal) took; the figures are only comparable between runs with similar values.
        report.machine.put("cpu_idle_pct", Math.round(1000.0 * (cpuEnd[3] - cpuStart[3]) / total) / 10.0);
        report.machine.put("cpu_steal_pct", Math.round(1000.0 * (cpuEnd[7] - cpuStart[7]) / total) / 10.0);
      }
      vertx.close().await(30, TimeUnit.SECONDS);
    }
    return report.failures.isEmpty() ? 0 : 1;
  }

  @FunctionalInterface
  private interface Section {
    void run() throws Exception;
  }

  private void section(String name, Section section) {
    System.err.println("bench: == " + name);
    try {
      section.run();
    } catch (Exception | AssertionError e) {
      report.failed(name, e);
    }
  }

  private long[] cpuStart;

  /** The aggregate line of /proc/stat: user nice system idle iowait irq softirq steal, in clock ticks. */
  private static long[] cpuTimes() {
    try {
      String[] fields = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
      long[] times = new long[8];
      for (int i = 0; i < times.length; i++) {
        times[i] = Long.parseLong(fields[i + 1]);
      }
      return times;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private void machine() throws IOException {
    cpuStart = cpuTimes();
    String cpu = "unknown";
    for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
      if (line.startsWith("model name")) {
        cpu = line.substring(line.indexOf(':') + 1).trim();
        break;
      }
    }
    report.machine
        .put("date", Instant.now().atOffset(ZoneOffset.UTC).toLocalDate().toString())
        .put("nproc", Runtime.getRuntime().availableProcessors())
        .put("cpu", cpu)
        .put("kernel", Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim())
        .put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"))
        .put("loadavg_start", loadAverage());
  }

  /** The 1-minute load average: other work on the machine skews every figure, so the results record it. */
  private static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Metrics 1, 2, 3, 5, 6: one warm daemon.

  private void perfDaemon() throws Exception {
    // A cap above 1 GiB: the 1 GiB job's log holds record headers too.
    try (RundProcess daemon = RundProcess.start(home, out.resolve("rund-perf.log"), "-log-cap-bytes",
        Long.toString(2 * GIB)); BenchClient client = new BenchClient(vertx, tls, daemon.port)) {
      if (selected.contains("start")) {
        startLatency(client);
      }
      if (selected.contains("throughput")) {
        throughput(client);
      }
      if (selected.contains("follow")) {
        followLatency(client);
      }
      if (selected.contains("log")) {
        logThroughput(client);
      }
      if (selected.contains("cli")) {
        cliLatency(client, daemon.port);
      }
      report.details.put("log_streams_given_up", report.details.getInteger("log_streams_given_up", 0)
          + client.stuckLogs());
    }
  }

  private static JobStatus expectExit0(JobStatus status) {
    if (status.getState() != State.STATE_EXITED || status.getExitCode().getValue() != 0) {
      throw new AssertionError("job did not exit 0: " + status);
    }
    return status;
  }

  /** Metric 1: Start on a warm connection, one job at a time, each waited for (outside the timing). */
  private void startLatency(BenchClient client) throws Exception {
    int warm = 50;
    int n = 200;
    long[] rund = new long[n];
    long[] jdk = new long[n];
    for (int i = -warm; i < n; i++) {
      long t0 = System.nanoTime();
      String id = BenchClient.await(client.start("true"), 60);
      long elapsed = System.nanoTime() - t0;
      expectExit0(BenchClient.await(client.awaitEnd(id), 60));
      long baseline = Baselines.spawnOnce("true");
      if (i >= 0) {
        rund[i] = elapsed;
        jdk[i] = baseline;
      }
    }
    Stats r = new Stats(rund);
    Stats b = new Stats(jdk);
    double p50 = Stats.millis(r.median());
    double b50 = Stats.millis(b.median());
    // For reading the figures: the bare round trip of a unary call on the same connection.
    long[] rtt = new long[n];
    for (int i = 0; i < n; i++) {
      String id = BenchClient.await(client.start("true"), 60);
      BenchClient.await(client.awaitEnd(id), 60);
      long t0 = System.nanoTime();
      BenchClient.await(client.status(id), 60);
      rtt[i] = System.nanoTime() - t0;
    }
    report.details.put("status_rpc_p50_ms", Stats.millis(new Stats(rtt).median()));
    report.details.put("status_rpc_p99_ms", Stats.millis(new Stats(rtt).percentile(99)));
    report.add(new Report.Row("1. start latency p50", "ms", p50, b50, "ProcessBuilder.start", p50 / b50,
        "<= 5 ms and <= 3x", p50 <= 5 && p50 / b50 <= 3, n + " starts of true"));
    double p99 = Stats.millis(r.percentile(99));
    double b99 = Stats.millis(b.percentile(99));
    report.add(new Report.Row("1. start latency p99", "ms", p99, b99, "ProcessBuilder.start", p99 / b99,
        "(reported)", null, n + " starts of true"));
  }

  /** {@code total} true jobs, {@code inFlight} at a time, each from Start until Status says it exited. */
  static double rundRate(BenchClient client, int total, int inFlight) throws Exception {
    AtomicInteger next = new AtomicInteger();
    CountDownLatch lanes = new CountDownLatch(inFlight);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicLong done = new AtomicLong();
    Runnable[] lane = new Runnable[1];
    lane[0] = () -> {
      if (failure.get() != null || next.getAndIncrement() >= total) {
        lanes.countDown();
        return;
      }
      client.start("true").compose(client::awaitEnd).onComplete(result -> {
        if (result.failed()) {
          failure.compareAndSet(null, result.cause());
        } else if (result.result().getState() != State.STATE_EXITED) {
          failure.compareAndSet(null, new AssertionError("job did not exit: " + result.result()));
        } else {
          done.incrementAndGet();
        }
        lane[0].run();
      });
    };
    long t0 = System.nanoTime();
    for (int i = 0; i < inFlight; i++) {
      lane[0].run();
    }
    if (!lanes.await(300, TimeUnit.SECONDS)) {
      throw new AssertionError("jobs still running after 300 s: " + done.get() + " of " + total + " done");
    }
    long elapsed = System.nanoTime() - t0;
    if (failure.get() != null) {
      throw new AssertionError("a job failed", failure.get());
    }
    return done.get() / (elapsed / 1e9);
  }

  /** Metric 2. */
  private void throughput(BenchClient client) throws Exception {
    int total = 1000;
    int inFlight = 16;
    double rund = rundRate(client, total, inFlight);
    double jdk = Baselines.spawnRate(total, inFlight, "true");
    report.add(new Report.Row("2. job throughput", "jobs/s", rund, jdk, "ProcessBuilder start+waitFor",
        rund / jdk, ">= 200/s and >= 0.3x", rund >= 200 && rund / jdk >= 0.3,
        total + " true jobs, " + inFlight + " in flight, Start until Status says exited"));
  }

  /** Metric 5: a job prints its CLOCK_REALTIME every 10 ms; the client compares with its own clock on receipt. */
  private void followLatency(BenchClient client) throws Exception {
    int lines = 500;
    int skip = 5;
    String script = "use Time::HiRes qw(clock_gettime CLOCK_REALTIME sleep); $| = 1;"
        + " for (1.." + lines + ") { printf \"%.0f\\n\", clock_gettime(CLOCK_REALTIME) * 1e9; sleep 0.01 }";
    String id = BenchClient.await(client.start("perl", "-e", script), 60);
    List<Long> samples = new ArrayList<>();
    List<Long> receivedAt = new ArrayList<>();
    StringBuilder partial = new StringBuilder();
    BenchClient.LogResult log = BenchClient.await(client.drainLog(id, chunk -> {
      Instant now = Instant.now();
      long received = now.getEpochSecond() * 1_000_000_000L + now.getNano();
      partial.append(chunk.getOutput().getData().toString(StandardCharsets.US_ASCII));
      int newline;
      while ((newline = partial.indexOf("\n")) >= 0) {
        long written = Long.parseLong(partial.substring(0, newline).trim());
        partial.delete(0, newline + 1);
        samples.add(received - written);
        receivedAt.add(received);
      }
    }), 120);
    expectExit0(BenchClient.await(client.status(id), 30));
    if (samples.size() != lines || !log.ended()) {
      throw new AssertionError("got " + samples.size() + " of " + lines + " lines");
    }
    long[] kept = samples.subList(skip, samples.size()).stream().mapToLong(Long::longValue).toArray();
    Stats s = new Stats(kept);
    double p50 = Stats.millis(s.median());
    double p99 = Stats.millis(s.percentile(99));
    String note = kept.length + " lines, one per 10 ms (first " + skip + " skipped), " + log.chunks() + " chunks";
    report.add(new Report.Row("5. follow latency p50", "ms", p50, null, null, null, "<= 2 ms", p50 <= 2, note));
    report.add(new Report.Row("5. follow latency p99", "ms", p99, null, null, null, "<= 10 ms", p99 <= 10, note));
    report.details.put("follow_latency_max_ms", Stats.millis(s.max()));
    report.details.put("follow_latency_over_10ms", Arrays.stream(kept).filter(v -> v > 10_000_000).count());
    report.details.put("follow_latency_samples", kept.length);
    // The slowest lines with their arrival time (UTC), to line up with a daemon GC log or other activity.
    JsonArray slowest = new JsonArray();
    IntStream.range(skip, samples.size()).boxed()
        .sorted((x, y) -> Long.compare(samples.get(y), samples.get(x))).limit(10)
        .forEach(i -> slowest.add(new JsonObject()
            .put("at", Instant.ofEpochSecond(0, receivedAt.get(i)).toString())
            .put("ms", Stats.millis(samples.get(i)))));
    report.details.put("follow_latency_slowest", slowest);
  }

  /** Metric 3: one follower of a job writing 1 GiB, against raw TLS 1.3 in this JVM. */
  private void logThroughput(BenchClient client) throws Exception {
    followedJob(client, 128 * MIB); // warm-up
    long t0 = System.nanoTime();
    followedJob(client, GIB);
    double rund = GIB / ((System.nanoTime() - t0) / 1e9) / MB;
    Baselines.tlsBulk(tls, 256 * MIB); // warm-up
    double raw = Baselines.tlsBulk(tls, GIB) / MB;
    report.add(new Report.Row("3. log throughput, 1 follower", "MB/s", rund, raw, "raw TLS 1.3 " + Baselines.SUITE,
        rund / raw, ">= 400 MB/s and >= 0.5x", rund >= 400 && rund / raw >= 0.5,
        "head -c 1GiB /dev/zero, Start to end marker; MB = 10^6 bytes"));
  }

  private static void followedJob(BenchClient client, long bytes) throws Exception {
    String id = BenchClient.await(client.start("head", "-c", Long.toString(bytes), "/dev/zero"), 60);
    BenchClient.LogResult log = BenchClient.await(client.drainLog(id, null), 600);
    if (log.bytes() != bytes || !log.ended()) {
      throw new AssertionError("follower got " + log.bytes() + " of " + bytes + " bytes, end marker " + log.ended());
    }
    expectExit0(BenchClient.await(client.status(id), 30));
  }

  /** Metric 6: wall time of the runc process, against java -version of the same JDK. */
  private void cliLatency(BenchClient client, int port) throws Exception {
    String id = BenchClient.await(client.start("true"), 60);
    expectExit0(BenchClient.await(client.awaitEnd(id), 60));
    List<String> runc = List.of(home.resolve("bin/runc").toString(), "status", "-addr", "127.0.0.1:" + port, id);
    List<String> java = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version");
    int n = 10;
    long[] cli = new long[n];
    long[] jvm = new long[n];
    for (int i = -1; i < n; i++) { // the first round is the warm-up (it writes runc's class-data archive)
      long c = wallTime(runc);
      long j = wallTime(java);
      if (i >= 0) {
        cli[i] = c;
        jvm[i] = j;
      }
    }
    double median = Stats.millis(new Stats(cli).median());
    double baseline = Stats.millis(new Stats(jvm).median());
    report.add(new Report.Row("6. CLI latency (runc status), median", "ms", median, baseline, "java -version",
        median / baseline, "<= 250 ms", median <= 250, "median of " + n + " after one warm-up run"));
  }

  private long wallTime(List<String> command) throws Exception {
    Path err = out.resolve("cli.stderr");
    long t0 = System.nanoTime();
    Process process = new ProcessBuilder(command).directory(home.toFile())
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
    process.getOutputStream().close();
    int status = process.waitFor();
    long elapsed = System.nanoTime() - t0;
    if (status != 0) {
      throw new AssertionError(command + " exited " + status + ": " + Files.readString(err));
    }
    return elapsed;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Metric 7: a fresh daemon, idle and after 1,000 finished jobs.

  private void memoryDaemon() throws Exception {
    try (RundProcess daemon = RundProcess.start(home, out.resolve("rund-memory.log"))) {
      Thread.sleep(1000);
      long idle = daemon.rss();
      int jobs = 1000;
      try (BenchClient client = new BenchClient(vertx, tls, daemon.port)) {
        rundRate(client, jobs, 16);
        report.details.put("log_streams_given_up", report.details.getInteger("log_streams_given_up", 0)
            + client.stuckLogs());
      }
      Thread.sleep(1000);
      long after = daemon.rss();
      long peak = daemon.hwm();
      double idleMib = idle / (double) MIB;
      double growthMib = (after - idle) / (double) MIB;
      report.add(new Report.Row("7. daemon RSS idle", "MiB", idleMib, null, null, null, "<= 150 MiB",
          idleMib <= 150, "VmRSS of bin/rund serve, 1 s after it listens"));
      report.add(new Report.Row("7. daemon RSS growth after 1,000 jobs", "MiB", growthMib, null, null, null,
          "<= 50 MiB", growthMib <= 50, "VmRSS after " + jobs + " finished true jobs (16 in flight) minus idle"));
      report.details.put("memory_daemon", new JsonObject().put("idle_rss_bytes", idle).put("after_rss_bytes", after)
          .put("vmhwm_bytes", peak));
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Metric 4: a fresh daemon, 100 followers (100 connections, as 100 runc log processes would have) of one job.

  private void fanOutDaemon() throws Exception {
    int followers = 100;
    long bytes = 100 * MIB;
    try (RundProcess daemon = RundProcess.start(home, out.resolve("rund-fanout.log"))) {
      List<BenchClient> clients = new ArrayList<>();
      try {
        for (int i = 0; i < followers; i++) {
          clients.add(new BenchClient(vertx, tls, daemon.port));
        }
        // Warm-up: every connection open (one handshake each), the log path run once, by a few followers.
        String warm = BenchClient.await(clients.get(0).start("head", "-c", Long.toString(MIB), "/dev/zero"), 60);
        // Ten handshakes at a time: the daemon runs every handshake of its port on its one event loop, and a
        // burst of 100 P-521 handshakes can outlast the 10 s handshake timeout on a busy machine.
        for (int i = 0; i < followers; i += 10) {
          List<Future<?>> opened = new ArrayList<>();
          for (BenchClient c : clients.subList(i, Math.min(followers, i + 10))) {
            opened.add(c.status(warm));
          }
          Future.all(opened).await(120, TimeUnit.SECONDS);
        }
        List<Future<?>> warmLogs = new ArrayList<>();
        for (BenchClient c : clients.subList(0, 10)) {
          warmLogs.add(c.drainLog(warm, null));
        }
        Future.all(warmLogs).await(120, TimeUnit.SECONDS);
        Thread.sleep(500);
        long before = daemon.rss();

        AtomicLong sampledPeak = new AtomicLong(before);
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
          while (!Thread.currentThread().isInterrupted()) {
            try {
              sampledPeak.accumulateAndGet(daemon.rss(), Math::max);
              Thread.sleep(50);
            } catch (IOException | InterruptedException e) {
              return;
            }
          }
        });
        long t0 = System.nanoTime();
        String id = BenchClient.await(clients.get(0).start("head", "-c", Long.toString(bytes), "/dev/zero"), 60);
        List<Future<BenchClient.LogResult>> logs = new ArrayList<>();
        for (BenchClient c : clients) {
          logs.add(c.drainLog(id, null));
        }
        Future.all(logs).await(600, TimeUnit.SECONDS);
        long elapsed = System.nanoTime() - t0;
        sampler.interrupt();
        sampler.join();
        for (Future<BenchClient.LogResult> log : logs) {
          if (log.result().bytes() != bytes || !log.result().ended()) {
            throw new AssertionError("a follower got " + log.result().bytes() + " of " + bytes + " bytes");
          }
        }
        long hwm = daemon.hwm();
        double aggregate = followers * bytes / (elapsed / 1e9) / MB;
        double growth = (hwm - before) / (double) MIB;
        report.add(new Report.Row("4. fan-out aggregate throughput", "MB/s", aggregate, null, null, null,
            "(reported)", null, followers + " followers x 100 MiB, " + followers + " connections"));
        report.add(new Report.Row("4. fan-out RSS growth", "MiB", growth, null, null, null, "<= 128 MiB",
            growth <= 128, "VmHWM after minus VmRSS before"));
        report.details.put("fan_out", new JsonObject().put("rss_before_bytes", before).put("vmhwm_after_bytes", hwm)
            .put("sampled_peak_rss_bytes", sampledPeak.get()).put("seconds", elapsed / 1e9));
      } finally {
        for (BenchClient c : clients) {
          c.close();
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Metric 8: inside a user-mode Linux kernel with cgroup v2, start latency with and without limits.

  private void realKernel() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = List.of(home.resolve("realkernel/run.sh").toString(), "--rw-cwd", "--timeout", "420",
        "--", java, "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
        "-XX:+UseSerialGC", "-Drund.home=" + home, "-cp", System.getProperty("java.class.path"),
        RealKernelStartLatency.class.getName(), "40");
    Path log = out.resolve("realkernel.log");
    Process process = new ProcessBuilder(command).directory(home.toFile())
        .redirectError(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
    String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int status = process.waitFor();
    JsonObject result = null;
    for (String line : stdout.split("\n")) {
      if (line.startsWith(RealKernelStartLatency.MARKER)) {
        result = new JsonObject(line.substring(RealKernelStartLatency.MARKER.length()));
      }
    }
    if (status != 0 || result == null) {
      throw new AssertionError("realkernel/run.sh exited " + status + " without a result; see " + log);
    }
    double limited = result.getLong("limited_p50_ns") / 1e6;
    double plain = result.getLong("plain_p50_ns") / 1e6;
    report.add(new Report.Row("8. real kernel: start latency p50 with all limits", "ms", limited, plain,
        "no limits", limited / plain, "<= 1.5x", limited / plain <= 1.5,
        result.getInteger("samples") + " starts each, interleaved, UML " + result.getString("kernel")));
    report.details.put("real_kernel", result);
  }
}
