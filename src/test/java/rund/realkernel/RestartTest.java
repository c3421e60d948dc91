package rund.realkernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rund.realkernel.RealKernel.cgroupDir;
import static rund.realkernel.RealKernel.memory;

import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.api.JobStatus;
import rund.api.State;
import rund.realkernel.RealKernel.ProcStat;
import rund.testing.TestClient;

/**
 * A daemon killed with SIGKILL while its jobs run leaves them behind; the next daemon on the same data directory
 * removes every trace of them before it serves, and does not know their ids.
 */
class RestartTest {
  @TempDir static Path dir;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    RealKernel.requireGuest();
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    if (vertx != null) {
      vertx.close().await();
    }
  }

  @Test
  void aSuccessorOnTheSameDataDirRemovesTheJobsOfAKilledDaemonAndDoesNotKnowTheirIds() throws Exception {
    RealKernel.requireGuest();
    Path data = dir.resolve("data");
    Map<String, JobStatus> jobs = new LinkedHashMap<>();
    List<ProcStat> processes = new ArrayList<>();
    try (ServeProcess first = ServeProcess.start(data, null); TestClient client = first.client(vertx)) {
      Map<String, List<String>> expected = new LinkedHashMap<>();
      expected.put(client.start("sh", "-c", "sleep 1000 & sleep 1000 & wait"), List.of("sh", "sleep", "sleep"));
      expected.put(client.start("sh", "-c", "trap '' TERM HUP; sleep 1000 & wait"), List.of("sh", "sleep"));
      expected.put(client.start(memory(64L << 20), "sleep", "1000"), List.of("sleep"));
      for (Map.Entry<String, List<String>> job : expected.entrySet()) {
        JobStatus status = client.status(job.getKey());
        assertEquals(State.STATE_RUNNING, status.getState(), status.toString());
        jobs.put(job.getKey(), status);
        long pid = status.getPid();
        processes.addAll(RealKernel.awaitValue("the processes " + job.getValue() + " of job " + job.getKey(),
            RealKernel.DEADLINE, () -> {
              List<ProcStat> members = RealKernel.session(pid);
              return members.stream().map(ProcStat::comm).sorted().toList().equals(job.getValue()) ? members : null;
            }, () -> RealKernel.session(pid).toString()));
      }
      first.kill();
      // The crash left everything running: the jobs are orphans now, still in their cgroups.
      for (ProcStat p : processes) {
        assertTrue(RealKernel.isRunning(p.pid()), p + " should outlive the SIGKILLed daemon");
      }
      for (JobStatus status : jobs.values()) {
        assertTrue(Files.isDirectory(cgroupDir(status)), cgroupDir(status) + " should outlive the daemon");
      }
    }

    try (ServeProcess second = ServeProcess.start(data, null); TestClient client = second.client(vertx)) {
      // Serving means start-up clean-up is over: nothing of the predecessor may be left.
      for (ProcStat p : processes) {
        assertFalse(RealKernel.isRunning(p.pid()), p + " of the killed daemon's jobs survived its successor's start");
      }
      for (JobStatus status : jobs.values()) {
        assertFalse(Files.exists(cgroupDir(status)), cgroupDir(status) + " survived the successor's start");
        TestClient.CallFailed unknown = assertThrows(TestClient.CallFailed.class, () -> client.status(status.getId()));
        assertEquals(GrpcStatus.NOT_FOUND, unknown.status, unknown.getMessage());
        assertEquals(GrpcStatus.NOT_FOUND,
            assertThrows(TestClient.CallFailed.class, () -> client.stop(status.getId())).status);
      }
      assertEquals(List.of(), RealKernel.jobCgroups(RealKernel.AUTO_JOB_PARENT), "job cgroups at the successor's start");
      // And the successor works.
      String id = client.start("echo", "successor");
      assertEquals("successor\n", client.log(id).out());
    }
    assertEquals(List.of(), RealKernel.jobCgroups(RealKernel.AUTO_JOB_PARENT), "job cgroups after both daemons");
  }
}
