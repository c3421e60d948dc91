package rund.realkernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.UInt64Value;
import io.vertx.core.json.JsonObject;
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

/** Jobs configured to run as an unprivileged user do so inside their cgroup, and cannot touch its limits. */
class RunAsUserTest {
  @TempDir static Path dir;
  static DaemonSession session;
  static TestClient client;

  @BeforeAll
  static void start() throws Exception {
    RealKernel.requireGuest();
    session = DaemonSession.start(dir.resolve("data"), new JsonObject().put("jobUser", "nobody"));
    client = session.client;
  }

  @AfterAll
  static void stop() {
    DaemonSession.close(session);
  }

  @Test
  void theJobRunsAsTheConfiguredUserInItsOwnCgroupAndCannotLiftItsLimit() throws Exception {
    Limits limits = Limits.newBuilder().setMaxMemoryUsage(UInt64Value.of(64L << 20)).build();
    String id = client.start(limits, "sh", "-c",
        "id -u; cat /proc/self/cgroup; echo 1000000000 > /sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/memory.max"
            + " 2>/dev/null && echo lifted || echo refused");
    TestClient.Received log = client.log(id);
    JobStatus status = client.awaitEnd(id);
    String[] lines = log.out().split("\n");
    long nobody = Long.parseLong(new String(Files.readAllBytes(Path.of("/etc/passwd"))).lines()
        .filter(l -> l.startsWith("nobody:")).findFirst().orElseThrow().split(":")[2]);
    assertEquals(Long.toString(nobody), lines[0], "the job's uid");
    assertEquals("0::" + status.getCgroup(), lines[1], "the job runs in its own cgroup");
    assertEquals("refused", lines[2], "an unprivileged job cannot raise its own memory.max");
    assertEquals(State.STATE_EXITED, status.getState());
    assertFalse(Files.exists(RealKernel.cgroupDir(status)), "the cgroup is removed");
  }

  @Test
  void anUnprivilegedJobIsStillStoppedAsAWholeTree() {
    String id = client.start("sh", "-c", "sleep 1000 & sleep 1000 & wait");
    JobStatus stopped = client.stop(id);
    assertEquals(State.STATE_SIGNALED, stopped.getState());
    assertTrue(RealKernel.session(stopped.getPid()).isEmpty(), "nothing of the job survives");
  }
}
