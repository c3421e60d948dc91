package rund.realkernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rund.realkernel.RealKernel.awaitFinal;
import static rund.realkernel.RealKernel.cgroupDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.api.JobStatus;
import rund.api.State;
import rund.testing.DaemonSession;
import rund.testing.TestClient;

/** Once jobs are over, nothing of them is left: no cgroup under the job parent, no straggler process. */
class CleanupTest {
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
    // The daemon's own shutdown must not leave job cgroups either.
    assertEquals(List.of(), RealKernel.jobCgroups(RealKernel.AUTO_JOB_PARENT), "job cgroups after shutdown");
  }

  @Test
  void jobsThatEndByThemselvesLeaveNoCgroupBehind() {
    RealKernel.requireGuest();
    List<String> ids = new ArrayList<>();
    ids.add(client.start("true"));
    ids.add(client.start("sh", "-c", "exit 3"));
    ids.add(client.start("sh", "-c", "kill -KILL $$"));
    ids.add(client.start("sh", "-c", "echo out; echo err >&2"));
    ids.add(client.start("sh", "-c", "sleep 1000 & sleep 1000 & exit 0"));
    List<Path> cgroups = new ArrayList<>();
    for (String id : ids) {
      cgroups.add(cgroupDir(client.status(id)));
      client.log(id); // ends once the job has ended and its output is complete
    }
    // No Stop and no further Status: the daemon must remove each cgroup by itself.
    RealKernel.await("the job cgroups of ended jobs to be removed",
        () -> cgroups.stream().noneMatch(Files::exists));
    assertEquals(List.of(), RealKernel.jobCgroups(RealKernel.AUTO_JOB_PARENT), "job cgroups under /sys/fs/cgroup/rund");
  }

  @Test
  void whatTheMainProcessLeavesRunningIsKilledWithTheCgroup() {
    RealKernel.requireGuest();
    String id = client.start("sh", "-c", "sleep 1000 & echo $!");
    JobStatus running = client.status(id);
    Path cgroup = cgroupDir(running);
    long straggler = Long.parseLong(client.log(id).out().strip());
    JobStatus status = awaitFinal(client, id);
    assertEquals(State.STATE_EXITED, status.getState(), status.toString());
    assertEquals(0, status.getExitCode().getValue());
    assertFalse(status.getStopRequested());
    assertFalse(RealKernel.isRunning(straggler), "straggler " + straggler + " outlived its job");
    assertFalse(Files.exists(cgroup), cgroup + " remains after the job is final");
    assertTrue(RealKernel.session(status.getPid()).isEmpty(), "nothing of the job's session is left");
  }

  /** A job running as root may make cgroups of its own below its job cgroup: they go with it. */
  @Test
  void subCgroupsAJobMadeAreRemovedWithIt() {
    RealKernel.requireGuest();
    String id = client.start("sh", "-c", "cg=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup);"
        + " mkdir $cg/inner; sleep 1000 & echo $! > $cg/inner/cgroup.procs; wait");
    JobStatus running = client.status(id);
    Path cgroup = cgroupDir(running);
    Path inner = cgroup.resolve("inner");
    RealKernel.await("a process of the job in its own sub-cgroup " + inner,
        () -> !RealKernel.cgroupProcs(inner).isEmpty());
    long moved = RealKernel.cgroupProcs(inner).getFirst();
    JobStatus stopped = client.stop(id);
    assertEquals(State.STATE_SIGNALED, stopped.getState(), stopped.toString());
    assertFalse(RealKernel.isRunning(moved), "the process in the job's sub-cgroup survived Stop");
    assertFalse(Files.exists(cgroup), cgroup + " (with its sub-cgroup) remains after Stop");
  }
}
