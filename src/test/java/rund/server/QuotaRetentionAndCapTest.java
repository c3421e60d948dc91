package rund.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.api.JobStatus;
import rund.api.State;
import rund.testing.DaemonFixture;
import rund.testing.TestClient;
import rund.tls.TestPki;

/** The daemon's bounds: jobs per client, finished jobs and log bytes retained, and the per-job log cap. */
class QuotaRetentionAndCapTest {
  static final int CAP = 4096;
  @TempDir static Path dir;
  static DaemonFixture daemon;
  static Vertx vertx;
  static TestClient carol;
  static TestClient dave;

  @BeforeAll
  static void start() throws Exception {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    TestPki.Issued server = pki.issueServer("server", List.of("DNS:localhost", "IP:127.0.0.1"));
    daemon = DaemonFixture.start(dir.resolve("data"), new JsonObject()
        .put("ca", pki.ca().cert().toString())
        .put("cert", server.cert().toString())
        .put("key", server.key().toString())
        .put("maxRunningJobsPerClient", 2)
        .put("retainFinishedJobs", 3)
        .put("logCapBytes", CAP));
    vertx = Vertx.vertx();
    TestPki.Issued c = pki.issueClient("carol", List.of("DNS:carol.example"));
    TestPki.Issued d = pki.issueClient("dave", List.of("DNS:dave.example"));
    carol = TestClient.connect(vertx, daemon.port(), pki.ca().cert(), c.cert(), c.key());
    dave = TestClient.connect(vertx, daemon.port(), pki.ca().cert(), d.cert(), d.key());
  }

  @AfterAll
  static void stop() {
    carol.close();
    dave.close();
    vertx.close().await();
    daemon.close();
  }

  @Test
  void aClientMayRunOnlySoManyJobsAtOnce() {
    String first = carol.start("sleep", "1000");
    String second = carol.start("sleep", "1000");
    try {
      TestClient.CallFailed refused = assertThrows(TestClient.CallFailed.class, () -> carol.start("sleep", "1000"));
      assertEquals(GrpcStatus.RESOURCE_EXHAUSTED, refused.status);
      assertTrue(refused.getMessage().contains("maxRunningJobsPerClient"), refused.getMessage());
      dave.stop(dave.start("sleep", "1000"));
      carol.stop(first);
      carol.stop(carol.start("true"));
    } finally {
      carol.stop(second);
    }
  }

  @Test
  void onlyTheNewestFinishedJobsAreRetainedAndOlderLogsLeaveTheDisk() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      String id = dave.start("echo", "job " + i);
      dave.log(id);
      dave.awaitEnd(id);
      ids.add(id);
    }
    for (String old : ids.subList(0, 3)) {
      assertEquals(GrpcStatus.NOT_FOUND, assertThrows(TestClient.CallFailed.class, () -> dave.status(old)).status);
    }
    for (String kept : ids.subList(3, 6)) {
      assertEquals(State.STATE_EXITED, dave.status(kept).getState());
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (jobDirectoriesNamed(ids.subList(0, 3)) > 0) {
      assertTrue(System.nanoTime() < deadline, "forgotten jobs' directories are deleted");
      LockSupport.parkNanos(1_000_000);
    }
  }

  private static long jobDirectoriesNamed(List<String> ids) throws Exception {
    try (Stream<Path> walk = Files.walk(daemon.dataDir)) {
      return walk.filter(p -> ids.contains(p.getFileName().toString())).count();
    }
  }

  @Test
  void outputBeyondTheCapIsDrainedNotStoredAndTheJobKeepsRunning() throws Exception {
    Path drained = dir.resolve("drained-" + System.nanoTime());
    // 1 MiB through a 64 KiB pipe: the job only gets past head if the daemon keeps draining.
    String id = carol.start("sh", "-c", "head -c 1048576 /dev/zero; touch " + drained + "; exec sleep 1000");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(drained)) {
      assertTrue(System.nanoTime() < deadline, "the job wrote past the cap without blocking");
      LockSupport.parkNanos(1_000_000);
    }
    JobStatus running = carol.status(id);
    assertEquals(State.STATE_RUNNING, running.getState());
    assertTrue(running.getLog().getTruncated());
    assertEquals(1048576, running.getLog().getStoredBytes() + running.getLog().getDroppedBytes());
    assertEquals(CAP, running.getLog().getCapBytes());
    carol.stop(id);
    TestClient.Received log = carol.log(id);
    assertTrue(log.end().getTruncated(), "followers get an end marker that says the log was truncated");
    assertEquals(running.getLog().getDroppedBytes(), log.end().getDroppedBytes());
    assertEquals(running.getLog().getStoredBytes(), log.stdout().length);
  }
}
