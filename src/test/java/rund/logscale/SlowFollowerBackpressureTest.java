package rund.logscale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.api.JobStatus;
import rund.api.LogEnd;
import rund.api.State;
import rund.testing.DaemonFixture;
import rund.testing.TestClient;

/**
 * A follower that reads at 1 MiB/s, while the job writes as fast as it can, slows neither the job nor a fast
 * follower of the same job, and makes the daemon hold no more than a bounded amount of memory for it: the slow
 * client simply does not fetch, HTTP/2 flow control stops the daemon's stream, and the daemon's follower waits
 * for the drain instead of reading on and queueing.
 */
class SlowFollowerBackpressureTest {
  static final long SIZE = 256L << 20;
  static final String GENERATOR = "seq 1 100000000 | head -c " + SIZE;
  static final long SLOW_RATE = Resources.MIB;
  /**
   * How much slower the job and the fast follower may be with the slow follower attached than without. Held back
   * by the slow follower, either would take SIZE / SLOW_RATE = 256 s, a hundred times their usual duration; the
   * bound leaves room for the noise of a loaded two-core host (ratios up to 1.9 were seen there with a correct
   * daemon).
   */
  static final double RATIO_BOUND = 4.0;
  /** What the daemon may hold above its idle level, heap and buffer pools together, for a slow follower. */
  static final long MEMORY_BOUND = 64 * Resources.MIB;

  @TempDir static Path dir;
  static DaemonFixture daemon;
  static Vertx vertx;
  static TestClient control;
  static LogClient fastClient;
  static LogClient slowClient;
  static String expectedSha;

  @BeforeAll
  static void start() throws Exception {
    daemon = DaemonFixture.start(dir.resolve("data"), new JsonObject().put("logCapBytes", 2 * SIZE));
    vertx = Vertx.vertx();
    control = TestClient.connect(vertx, daemon.port(), DaemonFixture.TLS.resolve("ca.pem"),
        DaemonFixture.TLS.resolve("client.pem"), DaemonFixture.TLS.resolve("client-key.pem"));
    // Two clients, two connections: the slow one's unread data must not hold up anyone else's.
    fastClient = LogClient.connect(vertx, daemon.port());
    slowClient = LogClient.connect(vertx, daemon.port());
    expectedSha = generatorSha();
  }

  @AfterAll
  static void stop() {
    fastClient.close();
    slowClient.close();
    control.close();
    vertx.close().await();
    daemon.close();
  }

  static String generatorSha() throws Exception {
    Process generator = new ProcessBuilder("sh", "-c", GENERATOR)
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    byte[] buffer = new byte[1 << 20];
    try (InputStream in = generator.getInputStream()) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        sha.update(buffer, 0, n);
      }
    }
    assertTrue(generator.waitFor(60, TimeUnit.SECONDS));
    return HexFormat.of().formatHex(sha.digest());
  }

  /** A follower that digests what it receives; completes with the digest once the end marker arrived. */
  static final class Digesting {
    final MessageDigest sha;
    final LogClient.Call call;
    final long started = System.nanoTime();
    volatile long finished;

    Digesting(LogClient client, String id, long bytesPerSecond) throws Exception {
      sha = MessageDigest.getInstance("SHA-256");
      call = bytesPerSecond > 0
          ? client.followPaced(id, bytesPerSecond, output -> sha.update(output.getData().asReadOnlyByteBuffer()))
          : client.follow(id, output -> sha.update(output.getData().asReadOnlyByteBuffer()));
      call.done().onComplete(v -> finished = System.nanoTime());
    }

    String awaitSha(long seconds) {
      LogEnd end = TestClient.await(call.done(), seconds);
      assertFalse(end.getTruncated());
      // The digest is only touched on the call's event loop, and the call is over.
      return HexFormat.of().formatHex(sha.digest());
    }

    double seconds() {
      return (finished - started) / 1e9;
    }
  }

  static Duration jobDuration(JobStatus status) {
    return Duration.between(
        Instant.ofEpochSecond(status.getStartedAt().getSeconds(), status.getStartedAt().getNanos()),
        Instant.ofEpochSecond(status.getEndedAt().getSeconds(), status.getEndedAt().getNanos()));
  }

  /** A run without the slow follower: the job's own duration and the fast follower's. */
  record Baseline(Duration job, double follower) {}

  static Baseline runWithoutSlowFollower() throws Exception {
    String id = control.start("sh", "-c", GENERATOR);
    Digesting fast = new Digesting(fastClient, id, 0);
    assertEquals(expectedSha, fast.awaitSha(300));
    JobStatus status = control.awaitEnd(id);
    assertEquals(State.STATE_EXITED, status.getState());
    return new Baseline(jobDuration(status), fast.seconds());
  }

  @Test
  void aFollowerReadingAtOneMibPerSecondSlowsNeitherTheJobNorAFastFollowerAndCostsNoMemory() throws Exception {
    int followersBefore = Resources.followers();
    // Runs without the slow follower first: the same job, the same fast follower, on the same daemon. The
    // first also warms up the JIT, the pools and the connections, so that the heap baseline below is idle.
    Baseline first = runWithoutSlowFollower();
    Baseline second = runWithoutSlowFollower();
    Duration baselineJob = first.job().compareTo(second.job()) > 0 ? first.job() : second.job();
    double baselineFollower = Math.max(first.follower(), second.follower());

    // Idle level: live heap after a full collection with both clients connected and nothing streaming.
    long idleHeap = Resources.liveHeap();
    long idleDirect = Resources.directMemory();

    Resources.PeakHeapAfterGc peak = new Resources.PeakHeapAfterGc();
    String id = control.start("sh", "-c", GENERATOR);
    Digesting slow = new Digesting(slowClient, id, SLOW_RATE);
    Digesting fast = new Digesting(fastClient, id, 0);
    assertEquals(expectedSha, fast.awaitSha(300), "the fast follower");
    long slowBytesWhenFastDone = slow.call.bytes();
    JobStatus status = control.awaitEnd(id);
    Duration job = jobDuration(status);

    // The moment of the largest possible backlog: the whole output exists, the fast follower has it all, and the
    // slow one has a small part. A daemon that read ahead for the slow follower into its own or Vert.x's write
    // queues (or kept the log in memory) would hold the rest of the 256 MiB here. liveHeap() collects fully, so
    // what it reports is reachable memory, the daemon's plus the test's (the test holds no output: it digests).
    long slowBytesAtCheck = slow.call.bytes();
    peak.close();
    long peakGrowth = peak.peak() - idleHeap;
    long heapGrowth = Resources.liveHeap() - idleHeap;
    long directGrowth = Resources.directMemory() - idleDirect;
    double slowSeconds = (System.nanoTime() - slow.started) / 1e9;
    double slowRate = slowBytesAtCheck / slowSeconds;
    assertFalse(slow.call.done().isComplete(), "the slow follower is still reading");

    System.out.printf("SlowFollowerBackpressure: job %d ms without / %d ms with the slow follower;"
        + " fast follower %.1f s without / %.1f s with (%.0f MiB/s); slow follower had %.1f MiB when the fast one"
        + " finished, %.2f MiB/s; live heap growth %.1f MiB, buffer pools growth %.1f MiB; peak heap after %d"
        + " collections during the run %.1f MiB above idle%n",
        baselineJob.toMillis(), job.toMillis(), baselineFollower, fast.seconds(),
        SIZE / (double) Resources.MIB / fast.seconds(), slowBytesWhenFastDone / (double) Resources.MIB,
        slowRate / Resources.MIB, heapGrowth / (double) Resources.MIB, directGrowth / (double) Resources.MIB,
        peak.collections(), peakGrowth / (double) Resources.MIB);

    assertTrue(job.toMillis() <= RATIO_BOUND * Math.max(1, baselineJob.toMillis()),
        "the job took " + job.toMillis() + " ms with a slow follower, " + baselineJob.toMillis() + " ms without");
    assertTrue(fast.seconds() <= RATIO_BOUND * baselineFollower,
        "the fast follower took " + fast.seconds() + " s next to a slow follower, " + baselineFollower + " s without");
    assertTrue(slowBytesWhenFastDone < SIZE / 4, "the slow follower was far behind when the fast one finished: "
        + slowBytesWhenFastDone + " of " + SIZE + " bytes");
    assertTrue(slowRate < 2.0 * SLOW_RATE, "the slow follower really was slow: " + slowRate + " bytes/s");
    assertTrue(heapGrowth + directGrowth < MEMORY_BOUND, "the daemon's live heap grew by "
        + heapGrowth / Resources.MIB + " MiB and its buffer pools by " + directGrowth / Resources.MIB + " MiB with a slow follower "
        + (SIZE - slowBytesAtCheck) / Resources.MIB + " MiB behind");
    assertTrue(peakGrowth < MEMORY_BOUND, "heap after a collection peaked " + peakGrowth / Resources.MIB
        + " MiB above idle during the run");

    // Held back, not dropped: read at full speed now, the slow follower gets every byte and the end marker.
    slow.call.unpace();
    assertEquals(expectedSha, slow.awaitSha(300), "the slow follower, once it reads");
    Resources.await(30, "every follower closed", () -> Resources.followers() == followersBefore);
  }
}
