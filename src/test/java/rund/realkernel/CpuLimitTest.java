package rund.realkernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rund.realkernel.RealKernel.awaitFinal;
import static rund.realkernel.RealKernel.cgroupDir;
import static rund.realkernel.RealKernel.cpu;
import static rund.realkernel.RealKernel.wallSeconds;

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
 * cpu.max on a real kernel, judged by the job's own figures: CPU time (usage.cpu_usec) over the job's wall time
 * (started_at..ended_at), never by how fast anything ran.
 */
class CpuLimitTest {
  /** Spins for 3 s of wall time; timeout is the main process and exits 124 when it ends the loop. */
  static final String[] BUSY_3S = {"timeout", "3", "sh", "-c", "while :; do :; done"};

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

  /** Runs the busy loop and returns its final status; waits on the log stream, not by polling, to keep the CPU free. */
  private static JobStatus busy(Limits limits) {
    String id = client.start(limits, BUSY_3S[0], java.util.Arrays.copyOfRange(BUSY_3S, 1, BUSY_3S.length));
    JobStatus running = client.status(id);
    if (limits.hasMaxCpuBandwidth()) {
      Path cgroup = cgroupDir(running);
      assertEquals(limits.getMaxCpuBandwidth().getValue() + " 100000", RealKernel.read(cgroup.resolve("cpu.max")),
          "cpu.max of the running job");
    }
    client.log(id);
    JobStatus status = awaitFinal(client, id);
    assertEquals(State.STATE_EXITED, status.getState(), status.toString());
    assertEquals(124, status.getExitCode().getValue(), "timeout ended the loop: " + status);
    assertTrue(status.getUsage().hasCpuUsec(), status.toString());
    return status;
  }

  private static double share(JobStatus status) {
    return status.getUsage().getCpuUsec().getValue() / 1e6 / wallSeconds(status);
  }

  @Test
  void aBusyLoopLimitedTo20000UsPerPeriodGetsAFifthOfOneCpu() {
    RealKernel.requireGuest();
    JobStatus limited = busy(cpu(20_000));
    double limitedShare = share(limited);
    assertTrue(limitedShare >= 0.15 && limitedShare <= 0.25, "with cpu.max 20000 100000 the job used "
        + limited.getUsage().getCpuUsec().getValue() + " us of CPU in " + wallSeconds(limited) + " s of wall time = "
        + limitedShare + " of one CPU, expected 0.15..0.25");
    assertTrue(limited.getUsage().getCpuThrottledPeriods().getValue() > 0, "nr_throttled: " + limited.getUsage());
    assertTrue(limited.getUsage().getCpuThrottledUsec().getValue() > 0, "throttled_usec: " + limited.getUsage());

    // The same loop without a limit, for scale: the limit, not the machine, held the job back.
    JobStatus free = busy(Limits.getDefaultInstance());
    double freeShare = share(free);
    assertTrue(freeShare >= 0.5, "unlimited, the loop got only " + freeShare + " of a CPU: " + free.getUsage());
    assertTrue(limitedShare / freeShare < 0.4,
        "limited " + limitedShare + " vs unlimited " + freeShare + " of one CPU");
    assertEquals(0, free.getUsage().getCpuThrottledPeriods().getValue(), "an unlimited job is never throttled");
  }
}
