package rund.realkernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rund.realkernel.RealKernel.awaitFinal;
import static rund.realkernel.RealKernel.cgroupDir;
import static rund.realkernel.RealKernel.cpu;
import static rund.realkernel.RealKernel.memory;
import static rund.realkernel.RealKernel.u64;

import com.google.protobuf.UInt64Value;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.api.JobStatus;
import rund.api.Limits;
import rund.api.State;
import rund.testing.DaemonSession;
import rund.testing.TestClient;

/**
 * Each limit's boundary values as LimitValidator documents them, against what the real kernel then holds, and the
 * usage figures of Status against the kernel's own files.
 */
class LimitValuesTest {
  static final long MIB = 1L << 20;
  /** 2^64 - 1, the largest uint64: arrives as -1 in a Java long. */
  static final long UINT64_MAX = -1L;
  /** 2^63: the first value the API carries as a negative long. */
  static final long TWO_POW_63 = Long.MIN_VALUE;

  @TempDir static Path dir;
  static DaemonSession session;
  static TestClient client;
  static String disk;

  @BeforeAll
  static void start() throws Exception {
    RealKernel.requireGuest();
    disk = RealKernel.read(Path.of("/sys/class/block",
        Path.of(System.getenv("RUND_TEST_DISK")).toRealPath().getFileName().toString(), "dev"));
    session = DaemonSession.start(dir.resolve("data"));
    client = session.client;
  }

  @AfterAll
  static void stop() {
    DaemonSession.close(session);
  }

  /** Start must fail with INVALID_ARGUMENT whose message contains {@code expected}, and create no cgroup. */
  private static void assertInvalid(Limits limits, String expected) {
    List<String> before = RealKernel.jobCgroups(RealKernel.AUTO_JOB_PARENT);
    TestClient.CallFailed refused = assertThrows(TestClient.CallFailed.class, () -> client.start(limits, "true"),
        "accepted: " + limits);
    assertEquals(GrpcStatus.INVALID_ARGUMENT, refused.status, limits + " -> " + refused.getMessage());
    assertTrue(refused.getMessage().contains(expected), "the message for " + limits.toString().strip()
        + " should say \"" + expected + "\": " + refused.getMessage());
    assertEquals(before, RealKernel.jobCgroups(RealKernel.AUTO_JOB_PARENT), "a refused start created a cgroup");
  }

  /** Start must succeed; {@code check} then reads the running job's cgroup. The job is stopped afterwards. */
  private static void assertAccepted(Limits limits, BiConsumer<Path, JobStatus> check) {
    String id = client.start(limits, "sleep", "1000");
    try {
      JobStatus status = client.status(id);
      assertEquals(State.STATE_RUNNING, status.getState(), limits + " -> " + status);
      assertEquals(limits, status.getLimits(), "Status echoes the limits as given");
      check.accept(cgroupDir(status), status);
    } finally {
      JobStatus stopped = client.stop(id);
      assertFalse(Files.exists(cgroupDir(stopped)));
    }
  }

  private static void assertFile(Path cgroup, String file, String expected) {
    assertEquals(expected, RealKernel.read(cgroup.resolve(file)), file + " of " + cgroup);
  }

  // ---- max_cpu_bandwidth: 0, 1..999, > 100000 x CPUs, 2^64-1 invalid; else "QUOTA 100000" ----

  @Test
  void cpuBandwidthBoundaries() {
    RealKernel.requireGuest();
    int cpus = Runtime.getRuntime().availableProcessors();
    assertEquals(onlineCpus(), cpus, "the daemon's CPU count is the kernel's online CPUs");
    long capacity = 100_000L * cpus;
    assertInvalid(cpu(0), "max_cpu_bandwidth 0 would never let the job run");
    assertInvalid(cpu(1), "max_cpu_bandwidth 1 is below the kernel's minimum quota of 1000");
    assertInvalid(cpu(999), "max_cpu_bandwidth 999 is below the kernel's minimum quota of 1000");
    assertInvalid(cpu(capacity + 1), "max_cpu_bandwidth " + (capacity + 1) + " exceeds this host's capacity of "
        + capacity);
    assertInvalid(cpu(TWO_POW_63), "max_cpu_bandwidth 9223372036854775808 exceeds this host's capacity");
    assertInvalid(cpu(UINT64_MAX), "max_cpu_bandwidth 18446744073709551615 exceeds this host's capacity");
    assertAccepted(cpu(1000), (cg, s) -> assertFile(cg, "cpu.max", "1000 100000"));
    assertAccepted(cpu(capacity), (cg, s) -> assertFile(cg, "cpu.max", capacity + " 100000"));
  }

  private static int onlineCpus() {
    int count = 0;
    for (String range : RealKernel.read(Path.of("/sys/devices/system/cpu/online")).split(",")) {
      String[] ends = range.split("-");
      count += ends.length == 1 ? 1 : Integer.parseInt(ends[1]) - Integer.parseInt(ends[0]) + 1;
    }
    return count;
  }

  // ---- max_memory_usage: 0, < 1 MiB, >= 2^63 invalid; else memory.max as given (page-rounded), swap 0 ----

  @Test
  void memoryBoundaries() {
    RealKernel.requireGuest();
    assertInvalid(memory(0), "max_memory_usage 0 is not a limit");
    assertInvalid(memory(1), "max_memory_usage 1 is below the minimum of 1048576");
    assertInvalid(memory(MIB - 1), "max_memory_usage 1048575 is below the minimum of 1048576");
    assertInvalid(memory(TWO_POW_63), "max_memory_usage 9223372036854775808 is out of range");
    assertInvalid(memory(UINT64_MAX), "max_memory_usage 18446744073709551615 is out of range");
    // More than the host has: legal, written as is, never reached.
    long totalRam = Long.parseLong(RealKernel.read(Path.of("/proc/meminfo")).lines()
        .filter(l -> l.startsWith("MemTotal:")).findFirst().orElseThrow().replaceAll("\\D", "")) * 1024;
    long aboveRam = 64L << 30;
    assertTrue(aboveRam > totalRam);
    assertAccepted(memory(aboveRam), (cg, s) -> {
      assertFile(cg, "memory.max", Long.toString(aboveRam));
      RealKernel.readIfExists(cg.resolve("memory.swap.max"))
          .ifPresent(swap -> assertEquals("0", swap, "memory.swap.max of a memory-limited job"));
    });
    // Not page-aligned: the kernel rounds down to a whole page.
    assertAccepted(memory(64 * MIB + 100), (cg, s) -> assertFile(cg, "memory.max", Long.toString(64 * MIB)));
    // The largest accepted value is the kernel's own "no limit".
    assertAccepted(memory(Long.MAX_VALUE), (cg, s) -> assertFile(cg, "memory.max", "max"));
  }

  /**
   * 1 MiB is accepted. Whether a program fits is the kernel's call: either the job runs under memory.max 1048576,
   * or the OOM killer ends it and Status says so; never a silent or unexplained death.
   */
  @Test
  void theSmallestAcceptedMemoryLimitIsWrittenAndEnforced() {
    RealKernel.requireGuest();
    String id = client.start(memory(MIB), "sleep", "1000");
    JobStatus status = client.status(id);
    Optional<String> max = RealKernel.readIfExists(cgroupDir(status).resolve("memory.max"));
    JobStatus fin = client.stop(id);
    if (fin.getStopRequested() && fin.getSignal().getValue() == 15) {
      assertEquals(Optional.of(Long.toString(MIB)), max, "memory.max of the running job");
      assertFalse(fin.getOomKilled(), fin.toString());
    } else {
      assertTrue(fin.getOomKilled(), "a job under a 1 MiB limit that died by itself must be an OOM kill: " + fin);
    }
  }

  // ---- io: 0 and 1 invalid; bps >= 2^63 invalid; iops > 4294967295 invalid; else one line for the disk ----

  @Test
  void ioBoundaries() {
    RealKernel.requireGuest();
    Map<String, BiConsumerLimits> keys = Map.of(
        "rbps", (b, v) -> b.setMaxRbps(v), "wbps", (b, v) -> b.setMaxWbps(v),
        "riops", (b, v) -> b.setMaxRiops(v), "wiops", (b, v) -> b.setMaxWiops(v));
    for (String key : List.of("rbps", "wbps", "riops", "wiops")) {
      BiConsumerLimits set = keys.get(key);
      String flag = "max_" + key;
      boolean iops = key.endsWith("iops");
      assertInvalid(io(set, 0), flag + " 0 is not a limit");
      assertInvalid(io(set, 1), flag + " 1 is below the minimum of 2");
      assertInvalid(io(set, UINT64_MAX), flag + " 18446744073709551615 is out of range");
      assertInvalid(io(set, TWO_POW_63), flag + " 9223372036854775808 is out of range");
      if (iops) {
        // 4294967295 is UINT_MAX, which blk-throttle takes as "no limit": accepting it would enforce nothing.
        assertInvalid(io(set, 4_294_967_295L), flag + " 4294967295 exceeds the kernel's maximum of 4294967294");
        assertInvalid(io(set, 4_294_967_296L), flag + " 4294967296 exceeds the kernel's maximum of 4294967294");
      }
      assertAccepted(io(set, 2), (cg, s) -> assertFile(cg, "io.max", disk + " " + ioLine(key, "2")));
      long largest = iops ? 4_294_967_294L : Long.MAX_VALUE;
      assertAccepted(io(set, largest), (cg, s) -> assertFile(cg, "io.max",
          disk + " " + ioLine(key, Long.toString(largest))));
    }
    // All four at once, one line for the disk.
    Limits all = Limits.newBuilder().setMaxRbps(u64(3 * MIB)).setMaxWbps(u64(2 * MIB)).setMaxRiops(u64(300))
        .setMaxWiops(u64(200)).build();
    assertAccepted(all, (cg, s) -> assertFile(cg, "io.max",
        disk + " rbps=3145728 wbps=2097152 riops=300 wiops=200"));
  }

  @FunctionalInterface
  interface BiConsumerLimits {
    void set(Limits.Builder builder, UInt64Value value);
  }

  private static Limits io(BiConsumerLimits set, long value) {
    Limits.Builder builder = Limits.newBuilder();
    set.set(builder, u64(value));
    return builder.build();
  }

  private static String ioLine(String key, String value) {
    StringBuilder line = new StringBuilder();
    for (String k : List.of("rbps", "wbps", "riops", "wiops")) {
      line.append(line.isEmpty() ? "" : " ").append(k).append('=').append(k.equals(key) ? value : "max");
    }
    return line.toString();
  }

  @Test
  void severalProblemsComeInOneMessage() {
    RealKernel.requireGuest();
    Limits limits = Limits.newBuilder().setMaxCpuBandwidth(u64(0)).setMaxMemoryUsage(u64(0)).setMaxWiops(u64(1))
        .build();
    TestClient.CallFailed refused = assertThrows(TestClient.CallFailed.class, () -> client.start(limits, "true"));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, refused.status, refused.getMessage());
    for (String problem : List.of("max_cpu_bandwidth 0 would never let the job run",
        "max_memory_usage 0 is not a limit", "max_wiops 1 is below the minimum of 2")) {
      assertTrue(refused.getMessage().contains(problem), problem + " missing from: " + refused.getMessage());
    }
  }

  // ---- usage figures against the kernel's files ----

  /**
   * While a job runs, each Status figure lies between two readings of the kernel's file taken just before and just
   * after the call (the figures only grow).
   */
  @Test
  void runningUsageFiguresAreTheKernelsOwn() {
    RealKernel.requireGuest();
    // Allocates and touches 64 MiB, then waits to be stopped.
    String id = client.start("python3", "-c",
        "import time; b = b'x' * (64 << 20); print('ready', flush=True); time.sleep(1000)");
    try {
      Path cgroup = cgroupDir(client.status(id));
      RealKernel.await("the job to allocate", () -> client.status(id).getLog().getStoredBytes() == 6);
      long peakBefore = Long.parseLong(RealKernel.read(cgroup.resolve("memory.peak")));
      long cpuBefore = RealKernel.keyed(RealKernel.read(cgroup.resolve("cpu.stat"))).get("usage_usec");
      JobStatus status = client.status(id);
      long peakAfter = Long.parseLong(RealKernel.read(cgroup.resolve("memory.peak")));
      long cpuAfter = RealKernel.keyed(RealKernel.read(cgroup.resolve("cpu.stat"))).get("usage_usec");
      long peak = status.getUsage().getMemoryPeakBytes().getValue();
      long cpuUsec = status.getUsage().getCpuUsec().getValue();
      assertTrue(peakBefore <= peak && peak <= peakAfter, "memory.peak " + peakBefore + ".." + peakAfter
          + ", Status " + peak);
      assertTrue(cpuBefore <= cpuUsec && cpuUsec <= cpuAfter, "usage_usec " + cpuBefore + ".." + cpuAfter
          + ", Status " + cpuUsec);
      assertTrue(peak >= 64 * MIB, "the job touched 64 MiB, memory.peak says " + peak);
    } finally {
      client.stop(id);
    }
  }

  /** memory.peak of a finished job is what it allocated, give or take the interpreter itself. */
  @Test
  void finalMemoryPeakIsWhatTheJobAllocated() {
    RealKernel.requireGuest();
    JobStatus small = awaitFinal(client, client.start("python3", "-c", "b = b'x' * (16 << 20)"));
    JobStatus large = awaitFinal(client, client.start("python3", "-c", "b = b'x' * (96 << 20)"));
    assertEquals(0, small.getExitCode().getValue(), small.toString());
    assertEquals(0, large.getExitCode().getValue(), large.toString());
    long smallPeak = small.getUsage().getMemoryPeakBytes().getValue();
    long largePeak = large.getUsage().getMemoryPeakBytes().getValue();
    assertTrue(smallPeak >= 16 * MIB && smallPeak <= 16 * MIB + 24 * MIB, "peak of a 16 MiB job: " + smallPeak);
    assertTrue(largePeak >= 96 * MIB && largePeak <= 96 * MIB + 24 * MIB, "peak of a 96 MiB job: " + largePeak);
    // The difference is the allocation alone: the interpreter's own share cancels out.
    long diff = largePeak - smallPeak;
    assertTrue(Math.abs(diff - 80 * MIB) <= 4 * MIB, "peaks differ by " + diff + ", the allocations by " + 80 * MIB);
  }
}
