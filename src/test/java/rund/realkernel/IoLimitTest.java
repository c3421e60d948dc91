package rund.realkernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rund.realkernel.RealKernel.awaitFinal;
import static rund.realkernel.RealKernel.cgroupDir;
import static rund.realkernel.RealKernel.u64;
import static rund.realkernel.RealKernel.wallSeconds;

import java.nio.file.Files;
import java.nio.file.Path;
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
 * io.max on the harness's scratch disk (RUND_TEST_DISK, a whole ubd disk): each limit stretches direct I/O to the
 * time the limit allows, judged by the job's own started_at..ended_at, and io.stat's figures reach Status.
 */
class IoLimitTest {
  static final long MIB = 1L << 20;
  /** The time each limited job needs at its limit is 4 s; at least this much must pass. */
  static final double MIN_SECONDS = 3.5;

  @TempDir static Path dir;
  static DaemonSession session;
  static TestClient client;
  static String disk;
  static String majMin;

  @BeforeAll
  static void start() throws Exception {
    RealKernel.requireGuest();
    disk = System.getenv("RUND_TEST_DISK");
    assertTrue(disk != null && Files.exists(Path.of(disk)), "RUND_TEST_DISK names no device: " + disk);
    String name = Path.of(disk).toRealPath().getFileName().toString();
    majMin = RealKernel.read(Path.of("/sys/class/block", name, "dev"));
    assertEquals("98:0", majMin, "the harness's scratch disk " + disk);
    session = DaemonSession.start(dir.resolve("data"));
    client = session.client;
  }

  @AfterAll
  static void stop() {
    DaemonSession.close(session);
  }

  /**
   * Runs dd as the job; while it runs, io.max of its cgroup must hold the disk's line with exactly the expected keys.
   */
  private static JobStatus dd(Limits limits, String expectedIoMax, String... args) {
    String id = client.start(limits, "dd", args);
    JobStatus running = client.status(id);
    if (expectedIoMax != null) {
      assertEquals(State.STATE_RUNNING, running.getState(), "dd must still run to check io.max: " + running);
      String ioMax = RealKernel.read(cgroupDir(running).resolve("io.max"));
      assertEquals(majMin + " " + expectedIoMax, ioMax, "io.max of the running job");
    }
    String err = client.log(id).err();
    JobStatus status = awaitFinal(client, id);
    assertEquals(State.STATE_EXITED, status.getState(), status + "\n" + err);
    assertEquals(0, status.getExitCode().getValue(), "dd failed: " + err);
    return status;
  }

  private static void assertStretched(JobStatus status, String what) {
    double wall = wallSeconds(status);
    assertTrue(wall >= MIN_SECONDS, what + " took " + wall + " s, less than the " + MIN_SECONDS
        + " s the limit allows");
  }

  @Test
  void maxWbpsHoldsDirectWritesToOneMibPerSecondAndIoStatCountsThem() {
    RealKernel.requireGuest();
    String[] write4m = {"if=/dev/zero", "of=" + disk, "bs=64k", "count=64", "oflag=direct"};
    JobStatus free = dd(Limits.getDefaultInstance(), null, write4m);
    JobStatus limited = dd(Limits.newBuilder().setMaxWbps(u64(MIB)).build(),
        "rbps=max wbps=1048576 riops=max wiops=max", write4m);
    assertStretched(limited, "writing 4 MiB at 1 MiB/s");
    assertTrue(wallSeconds(limited) >= 2 * wallSeconds(free), "limited " + wallSeconds(limited)
        + " s, unlimited " + wallSeconds(free) + " s: the limit, not the disk, must set the pace");
    assertEquals(4 * MIB, limited.getUsage().getIoWriteBytes().getValue(),
        "io.stat wbytes of the job: what dd wrote with O_DIRECT, no more, no less; " + limited.getUsage());
    assertEquals(4 * MIB, free.getUsage().getIoWriteBytes().getValue(), "unlimited job: " + free.getUsage());
    assertEquals(0, limited.getUsage().getIoReadBytes().getValue(), limited.getUsage().toString());
  }

  @Test
  void maxRbpsHoldsDirectReadsToOneMibPerSecond() {
    RealKernel.requireGuest();
    JobStatus limited = dd(Limits.newBuilder().setMaxRbps(u64(MIB)).build(),
        "rbps=1048576 wbps=max riops=max wiops=max",
        "if=" + disk, "of=/dev/null", "bs=64k", "count=64", "iflag=direct");
    assertStretched(limited, "reading 4 MiB at 1 MiB/s");
    assertEquals(4 * MIB, limited.getUsage().getIoReadBytes().getValue(), limited.getUsage().toString());
  }

  @Test
  void maxRiopsHoldsDirectReadsToFiftyPerSecond() {
    RealKernel.requireGuest();
    JobStatus limited = dd(Limits.newBuilder().setMaxRiops(u64(50)).build(),
        "rbps=max wbps=max riops=50 wiops=max",
        "if=" + disk, "of=/dev/null", "bs=4k", "count=200", "iflag=direct");
    assertStretched(limited, "200 reads at 50 per second");
    assertEquals(200 * 4096, limited.getUsage().getIoReadBytes().getValue(), limited.getUsage().toString());
  }

  @Test
  void maxWiopsHoldsDirectWritesToFiftyPerSecond() {
    RealKernel.requireGuest();
    JobStatus limited = dd(Limits.newBuilder().setMaxWiops(u64(50)).build(),
        "rbps=max wbps=max riops=max wiops=50",
        "if=/dev/zero", "of=" + disk, "bs=4k", "count=200", "oflag=direct");
    assertStretched(limited, "200 writes at 50 per second");
    assertEquals(200 * 4096, limited.getUsage().getIoWriteBytes().getValue(), limited.getUsage().toString());
  }

  /**
   * A process waiting for throttled direct I/O sleeps uninterruptibly: neither SIGTERM nor cgroup.kill ends it until
   * its I/O is dispatched, which at 4096 bytes per second takes minutes for 1 MiB. Stop must still end the job
   * promptly (the limit has to be lifted for the kill to take effect) and leave no cgroup behind.
   */
  @Test
  void aJobStoppedWhileItsWritesAreThrottledEndsAndLeavesNoCgroup() throws Exception {
    RealKernel.requireGuest();
    String id = client.start(Limits.newBuilder().setMaxWbps(u64(4096)).build(),
        "dd", "if=/dev/zero", "of=" + disk, "bs=1M", "count=1", "oflag=direct");
    JobStatus running = client.status(id);
    Path cgroup = cgroupDir(running);
    long pid = running.getPid();
    RealKernel.await("dd to wait for its throttled write", () ->
        RealKernel.stat(pid).map(s -> s.state() == 'D' && s.comm().equals("dd")).orElse(false));
    java.util.concurrent.CompletableFuture<JobStatus> stop =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> client.stop(id));
    JobStatus stopped;
    try {
      // The 1 MiB write alone would need 256 s at the limit; the stop grace period is 2 s.
      stopped = stop.get(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      String state = RealKernel.stat(pid) + ", cgroup.events: " + RealKernel.readOrEmpty(cgroup.resolve("cgroup.events"));
      // Let the write through so that the job can end and the suite go on.
      RealKernel.write(cgroup.resolve("io.max"), majMin + " rbps=max wbps=max riops=max wiops=max");
      stop.get(60, java.util.concurrent.TimeUnit.SECONDS);
      throw new AssertionError("Stop did not end a job blocked in throttled I/O within 30 s (the kill cannot take"
          + " effect while io.max holds its write back): " + state, e);
    }
    assertEquals(State.STATE_SIGNALED, stopped.getState(), stopped.toString());
    assertTrue(stopped.getStopRequested());
    assertFalse(RealKernel.isRunning(pid), "dd survived Stop");
    assertFalse(Files.exists(cgroup), cgroup + " remains after Stop");
  }

  /**
   * The same uninterruptible wait when the main process has already ended: the job is over, its straggler is killed
   * with the cgroup, and its cgroup must not be left behind once the job is final.
   */
  @Test
  void aStragglerBlockedInThrottledIoDoesNotLeaveItsCgroupBehind() throws Exception {
    RealKernel.requireGuest();
    String id = client.start(Limits.newBuilder().setMaxWbps(u64(4096)).build(), "sh", "-c",
        "dd if=/dev/zero of=\"$0\" bs=1M count=1 oflag=direct 2>/dev/null & echo $!; wait", disk);
    JobStatus running = client.status(id);
    Path cgroup = cgroupDir(running);
    long dd = RealKernel.awaitValue("dd to start", RealKernel.DEADLINE, () -> RealKernel.session(running.getPid())
        .stream().filter(p -> p.comm().equals("dd")).findFirst().orElse(null), () -> "").pid();
    RealKernel.await("dd to wait for its throttled write", () ->
        RealKernel.stat(dd).map(s -> s.state() == 'D').orElse(false));
    // The main shell ends; dd, stuck in the kernel, is the straggler.
    ProcessHandle.of(running.getPid()).ifPresent(ProcessHandle::destroyForcibly);
    JobStatus fin;
    try {
      fin = awaitFinal(client, id);
    } finally {
      if (Files.exists(cgroup)) {
        String left = RealKernel.readOrEmpty(cgroup.resolve("cgroup.events"));
        RealKernel.write(cgroup.resolve("io.max"), majMin + " rbps=max wbps=max riops=max wiops=max");
        RealKernel.await("dd to die once its write went through", () -> !RealKernel.isRunning(dd));
        RealKernel.await("the leaked " + cgroup + " to be removed by hand", () -> {
          try {
            Files.deleteIfExists(cgroup);
            return true;
          } catch (java.io.IOException e) {
            return false;
          }
        });
        throw new AssertionError("the job is final but its cgroup " + cgroup + " was left behind holding dd ("
            + left.replace('\n', ' ') + "): the kill could not take effect while io.max held dd's write back");
      }
    }
    assertEquals(State.STATE_SIGNALED, fin.getState(), fin.toString());
    assertFalse(RealKernel.isRunning(dd), "the straggler dd outlived its job");
  }
}
