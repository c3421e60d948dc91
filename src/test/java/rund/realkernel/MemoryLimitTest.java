package rund.realkernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rund.realkernel.RealKernel.awaitFinal;
import static rund.realkernel.RealKernel.cgroupDir;
import static rund.realkernel.RealKernel.memory;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.api.JobStatus;
import rund.api.State;
import rund.testing.DaemonSession;
import rund.testing.TestClient;

/** memory.max on a real kernel: the OOM killer ends the job, and Status tells an OOM kill from a Stop. */
class MemoryLimitTest {
  static final long MIB = 1L << 20;
  /** Builds a 256 MiB string, every byte written, in the job's main process. */
  static final String ALLOCATE_256M = "my $x = \"x\" x (256 * 1024 * 1024); print length($x), \"\\n\";";

  @TempDir static Path dir;
  static DaemonSession session;
  static TestClient client;

  @BeforeAll
  static void start() throws Exception {
    RealKernel.requireGuest();
    session = DaemonSession.start(dir.resolve("data"));
    client = session.client;
  }

  @AfterAll
  static void stop() {
    DaemonSession.close(session);
  }

  @Test
  void aJobAllocatingPastItsLimitIsOomKilledAndReportedSo() {
    RealKernel.requireGuest();
    String id = client.start(memory(32 * MIB), "perl", "-e", ALLOCATE_256M);
    JobStatus running = client.status(id);
    Path cgroup = cgroupDir(running);
    // Read while the cgroup exists: it is removed once the job is over.
    RealKernel.readIfExists(cgroup.resolve("memory.max")).ifPresent(max ->
        assertEquals(Long.toString(32 * MIB), max, "memory.max of " + cgroup));
    JobStatus status = awaitFinal(client, id);
    assertEquals(State.STATE_SIGNALED, status.getState(), status.toString());
    assertEquals(9, status.getSignal().getValue(), status.toString());
    assertFalse(status.hasExitCode());
    assertTrue(status.getOomKilled(), "memory.events oom_kill must mark the job: " + status);
    assertFalse(status.getStopRequested());
    assertTrue(status.getUsage().hasMemoryPeakBytes(), status.toString());
    long peak = status.getUsage().getMemoryPeakBytes().getValue();
    assertTrue(peak <= 32 * MIB && peak >= 16 * MIB,
        "memory.peak " + peak + " must reach towards the 32 MiB limit and never pass it");
    assertEquals("", client.log(id).out(), "the allocation never completed");
    assertFalse(Files.exists(cgroup), cgroup + " was left behind");
  }

  /**
   * A client that asks for Status as soon as the job has ended must be told the whole truth in that first terminal
   * answer: that the OOM killer ended it (memory.events says so from the moment the process died), not oom_killed
   * false now and true a moment later.
   *
   * <p>To make the moment observable every time: the job's main process is OOM-killed while a child it moved out of
   * the job's cgroup (root may) keeps the output pipes open, so the daemon waits its straggler timeout before it
   * finishes the job; and the test's only Status calls come before the allocation starts (the job waits on a FIFO)
   * and after the daemon has reaped the killed process.
   */
  @Test
  void theFirstTerminalStatusAlreadyReportsTheOomKill() throws Exception {
    RealKernel.requireGuest();
    Path gate = RealKernel.mkfifo(dir.resolve("oom-gate"));
    String id = client.start(memory(32 * MIB), "sh", "-c", "sleep 1000 & echo $! > /sys/fs/cgroup/cgroup.procs;"
        + " read go < \"$0\"; exec perl -e '" + ALLOCATE_256M + "'", gate.toString());
    JobStatus running = client.status(id);
    long pid = running.getPid();
    try {
      assertEquals(State.STATE_RUNNING, running.getState(), running.toString());
      assertFalse(running.getOomKilled(), running.toString());
      Files.writeString(gate, "go\n"); // returns once the job has opened the FIFO
      RealKernel.await("the OOM-killed main process to be reaped by the daemon", () -> RealKernel.stat(pid).isEmpty());
      JobStatus first = client.awaitEnd(id);
      JobStatus fin = awaitFinal(client, id);
      assertEquals(State.STATE_SIGNALED, fin.getState(), fin.toString());
      assertTrue(fin.getOomKilled(), "final status: " + fin);
      assertEquals(State.STATE_SIGNALED, first.getState(), first.toString());
      assertTrue(first.getOomKilled(), "the first status with state " + first.getState() + " and ended_at set said"
          + " oom_killed=false, the final one says true: a client asking at the end was told a wrong final answer\n"
          + first);
      assertEquals(fin.getUsage().getMemoryPeakBytes(), first.getUsage().getMemoryPeakBytes(),
          "the first terminal status already carries the final memory.peak");
    } finally {
      // The escaped child is nobody's job any more: end it here.
      for (RealKernel.ProcStat p : RealKernel.session(pid)) {
        ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  @Test
  void aJobStoppedByStopIsNotReportedOomKilledAndTheDaemonStillServes() {
    RealKernel.requireGuest();
    // First an OOM kill, so that a stale flag would show on the next job.
    assertTrue(awaitFinal(client, client.start(memory(32 * MIB), "perl", "-e", ALLOCATE_256M)).getOomKilled());

    String id = client.start(memory(32 * MIB), "sleep", "1000");
    assertEquals(State.STATE_RUNNING, client.status(id).getState());
    JobStatus stopped = client.stop(id);
    assertEquals(State.STATE_SIGNALED, stopped.getState(), stopped.toString());
    assertEquals(15, stopped.getSignal().getValue(), stopped.toString());
    assertTrue(stopped.getStopRequested());
    assertFalse(stopped.getOomKilled(), "a job ended by Stop is not an OOM kill: " + stopped);

    // Killed with SIGKILL, but by itself rather than by the OOM killer: not oom_killed either.
    JobStatus killed = awaitFinal(client, client.start(memory(32 * MIB), "sh", "-c", "kill -KILL $$"));
    assertEquals(9, killed.getSignal().getValue(), killed.toString());
    assertFalse(killed.getOomKilled(), "SIGKILL is not an OOM kill: " + killed);

    assertEquals("still serving\n", client.log(client.start("echo", "still serving")).out());
  }
}
