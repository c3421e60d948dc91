package rund.realkernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rund.realkernel.RealKernel.cgroupDir;
import static rund.realkernel.RealKernel.relativeCgroup;

import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

/** Every process of a job lives in the job's cgroup, and the cgroup holds exactly the job's processes. */
class PlacementTest {
  static final int JOBS = 50;

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

  /** The job's session once the shell has forked both sleeps and each has exec'd: one sh, two sleep. */
  private static boolean settled(List<ProcStat> members) {
    return members != null && members.stream().map(ProcStat::comm).sorted().toList()
        .equals(List.of("sh", "sleep", "sleep"));
  }

  @Test
  void everyProcessOfFiftyConcurrentJobsIsInItsJobsCgroupAndNothingElseIs() {
    RealKernel.requireGuest();
    List<String> ids = new ArrayList<>();
    try {
      for (int i = 0; i < JOBS; i++) {
        ids.add(client.start("sh", "-c", "sleep 999 & sleep 999 & wait"));
      }
      List<JobStatus> statuses = new ArrayList<>();
      for (String id : ids) {
        JobStatus status = client.status(id);
        assertEquals(State.STATE_RUNNING, status.getState(), status.toString());
        statuses.add(status);
      }
      // One pass over /proc per poll for all the jobs, until every job has forked both sleeps.
      Map<Long, List<ProcStat>> sessions = RealKernel.awaitValue("all " + JOBS + " jobs to fork their two sleeps",
          RealKernel.DEADLINE, () -> {
            Map<Long, List<ProcStat>> all = RealKernel.sessions();
            return statuses.stream().allMatch(s -> settled(all.get((long) s.getPid()))) ? all : null;
          }, () -> statuses.stream().map(s -> s.getPid() + "=" + RealKernel.session(s.getPid())).toList().toString());
      for (JobStatus status : statuses) {
        String id = status.getId();
        long pid = status.getPid();
        List<ProcStat> members = sessions.get(pid);
        assertTrue(members.stream().anyMatch(p -> p.pid() == pid && p.comm().equals("sh")),
            "the job's main process leads its session: " + members);
        String cgroup = relativeCgroup(status);
        for (ProcStat p : members) {
          assertEquals(Optional.of(cgroup), RealKernel.procCgroup(p.pid()),
              "/proc/" + p.pid() + "/cgroup (" + p.comm() + ") of job " + id);
        }
        assertEquals(members.stream().map(ProcStat::pid).sorted().toList(),
            RealKernel.cgroupProcs(cgroupDir(status)), "cgroup.procs of job " + id + " vs its session " + members);
      }
    } finally {
      for (String id : ids) {
        JobStatus stopped = client.stop(id);
        assertEquals(State.STATE_SIGNALED, stopped.getState(), stopped.toString());
        assertEquals(15, stopped.getSignal().getValue(), stopped.toString());
        assertFalse(Files.exists(cgroupDir(stopped)), "cgroup of stopped job " + id + " remains");
        assertEquals(List.of(), RealKernel.session(stopped.getPid()), "processes of stopped job " + id);
      }
    }
    assertEquals(List.of(), RealKernel.jobCgroups(RealKernel.AUTO_JOB_PARENT), "job cgroups left");
  }

  @Test
  void theCommandsVeryFirstLookAtItsCgroupAlreadyShowsTheJobsCgroup() {
    RealKernel.requireGuest();
    for (int i = 0; i < 10; i++) {
      String id = client.start("cat", "/proc/self/cgroup");
      String out = client.log(id).out();
      JobStatus status = RealKernel.awaitFinal(client, id);
      assertEquals(0, status.getExitCode().getValue(), status.toString());
      assertEquals("0::" + relativeCgroup(status) + "\n", out, "round " + i);
    }
  }

  @Test
  void statusNamesTheCgroupRelativeToTheMountAsProcPidCgroupDoes() {
    RealKernel.requireGuest();
    String id = client.start("sleep", "1000");
    try {
      JobStatus status = client.status(id);
      // rund.proto: "The job's cgroup path relative to the cgroup2 mount".
      assertEquals("/rund/" + id, status.getCgroup(), "JobStatus.cgroup");
      assertEquals(Optional.of(status.getCgroup()), RealKernel.procCgroup(status.getPid()));
    } finally {
      client.stop(id);
    }
  }

  /**
   * With a cgroup, the command is exec'd by the launch step after its release: an exec that fails there is
   * still a Start error (not a job exiting 127), and its cgroup and files go with it.
   */
  @Test
  void anExecThatFailsInTheLaunchStepIsAStartErrorAndLeavesNothingBehind() throws Exception {
    RealKernel.requireGuest();
    Path badInterpreter = Files.writeString(dir.resolve("bad-interpreter.sh"), "#!/nonexistent/interpreter\necho hi\n");
    Files.setPosixFilePermissions(badInterpreter, PosixFilePermissions.fromString("rwxr-xr-x"));
    TestClient.CallFailed failed = assertThrows(TestClient.CallFailed.class, () -> client.start(badInterpreter.toString()));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, failed.status, failed.getMessage());
    assertTrue(failed.getMessage().contains("cannot execute " + badInterpreter), failed.getMessage());
    assertEquals(List.of(), RealKernel.jobCgroups(RealKernel.AUTO_JOB_PARENT), "job cgroups left");
    // A script without a #! line runs under /bin/sh, inside its cgroup.
    Path plain = Files.writeString(dir.resolve("no-shebang.sh"), "cat /proc/self/cgroup\n");
    Files.setPosixFilePermissions(plain, PosixFilePermissions.fromString("rwxr-xr-x"));
    String id = client.start(plain.toString());
    String out = client.log(id).out();
    JobStatus status = RealKernel.awaitFinal(client, id);
    assertEquals("0::" + relativeCgroup(status) + "\n", out, status.toString());
  }
}
