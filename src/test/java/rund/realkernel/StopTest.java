package rund.realkernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rund.realkernel.RealKernel.cgroupDir;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.api.JobStatus;
import rund.api.State;
import rund.realkernel.RealKernel.ProcStat;
import rund.testing.DaemonSession;
import rund.testing.TestClient;

/** Stop ends the job's whole process tree, whatever it ignores, and removes its cgroup. */
class StopTest {
  /** SIGTERM's bit in /proc/PID/status SigIgn. */
  static final long SIGTERM_BIT = 1L << (15 - 1);
  static final String CHILD = "trap '' TERM; sleep 1000 & wait";

  @TempDir static Path dir;
  static DaemonSession session;
  static TestClient client;

  @BeforeAll
  static void start() throws Exception {
    RealKernel.requireGuest();
    session = DaemonSession.start(dir.resolve("data"), new JsonObject().put("stopGraceMillis", 1000));
    client = session.client;
  }

  @AfterAll
  static void stop() {
    DaemonSession.close(session);
  }

  private static boolean ignoresSigterm(long pid) {
    String status = RealKernel.readOrEmpty(Path.of("/proc", Long.toString(pid), "status"));
    return status.lines().filter(l -> l.startsWith("SigIgn:")).findFirst()
        .map(l -> (Long.parseUnsignedLong(l.substring(7).strip(), 16) & SIGTERM_BIT) != 0).orElse(false);
  }

  /** Starts the tree main sh -> child sh (ignores SIGTERM) -> grandchild sleep, and waits until it stands. */
  private static List<ProcStat> startTree(String id) {
    long pid = client.status(id).getPid();
    return RealKernel.awaitValue("the job's tree of sh, sh and sleep", RealKernel.DEADLINE, () -> {
      List<ProcStat> members = RealKernel.session(pid);
      Optional<ProcStat> child = members.stream().filter(p -> p.ppid() == pid && p.comm().equals("sh")).findFirst();
      boolean grandchild = child.isPresent() && members.stream()
          .anyMatch(p -> p.ppid() == child.get().pid() && p.comm().equals("sleep"));
      return members.size() == 3 && grandchild && ignoresSigterm(child.get().pid()) ? members : null;
    }, () -> RealKernel.session(pid).toString());
  }

  private static void assertAllGone(JobStatus stopped, List<ProcStat> tree) {
    for (ProcStat p : tree) {
      assertFalse(RealKernel.isRunning(p.pid()), p + " survived Stop");
    }
    assertEquals(List.of(), RealKernel.session(stopped.getPid()), "processes of the stopped job");
    assertFalse(Files.exists(cgroupDir(stopped)), "the job's cgroup " + cgroupDir(stopped) + " remains after Stop");
    assertTrue(stopped.getStopRequested(), stopped.toString());
    assertFalse(stopped.getOomKilled(), stopped.toString());
  }

  @Test
  void aTreeWhoseChildIgnoresSigtermEndsCompletelyAndTheMainProcessSignalIsReported() {
    RealKernel.requireGuest();
    String id = client.start("sh", "-c", "sh -c \"$1\" child & wait", "main", CHILD);
    List<ProcStat> tree = startTree(id);
    JobStatus stopped = client.stop(id);
    assertEquals(State.STATE_SIGNALED, stopped.getState(), stopped.toString());
    assertEquals(15, stopped.getSignal().getValue(), "the main shell died of SIGTERM: " + stopped);
    assertAllGone(stopped, tree);
    JobStatus again = client.stop(id);
    assertEquals(stopped, again, "stopping a finished job answers its final status, unchanged");
  }

  @Test
  void aTreeThatIgnoresSigtermEverywhereIsKilledAfterTheGracePeriod() {
    RealKernel.requireGuest();
    String id = client.start("sh", "-c", "trap '' TERM; sh -c \"$1\" child & wait", "main", CHILD);
    List<ProcStat> tree = startTree(id);
    assertTrue(ignoresSigterm(client.status(id).getPid()), "the main shell ignores SIGTERM");
    JobStatus stopped = client.stop(id);
    assertEquals(State.STATE_SIGNALED, stopped.getState(), stopped.toString());
    assertEquals(9, stopped.getSignal().getValue(), "nothing obeyed SIGTERM, so the kill ended it: " + stopped);
    assertAllGone(stopped, tree);
  }
}
