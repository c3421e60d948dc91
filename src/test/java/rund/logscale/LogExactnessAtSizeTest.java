package rund.logscale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.api.JobStatus;
import rund.api.LogEnd;
import rund.api.State;
import rund.api.Stream;
import rund.testing.DaemonFixture;
import rund.testing.TestClient;

/**
 * A gibibyte of output reaches every follower byte for byte: the SHA-256 of what a follower receives equals the
 * SHA-256 of the generator's output, computed here by running the same generator. Followers digest as they
 * receive, so the test holds no output in memory; the daemon's live heap is checked too, so a log kept in memory
 * (rather than on disk, read by offset) fails this test as surely as a lost or duplicated chunk does.
 */
class LogExactnessAtSizeTest {
  static final long SIZE = 1L << 30;
  /** Deterministic and never periodic (every line differs), so a chunk lost, doubled or swapped changes the hash. */
  static final String GENERATOR = "seq 1 200000000 | head -c " + SIZE;
  /**
   * Memory (live heap and buffer pools) the daemon may gain while 20 followers stream: each holds about one
   * bounded chunk and a stream window's worth of frames, and each of their 20 connections its TLS and HTTP/2
   * buffers (about 3 MiB of buffer pools measured per connection), not the log (1 GiB, which a log kept in
   * memory, or queued per follower, would add here).
   */
  static final long MEMORY_BOUND = 128 * Resources.MIB;
  /**
   * One fresh connection per follower, as 20 {@code runc log} processes would have. Not several streams on one
   * Vert.x client connection, nor one after another: there a gibibyte stream stalled for good, the daemon's
   * stream full with writes queued, while fresh connections never did (see the README's Benchmarks section).
   */
  static final int CONNECTIONS = 20;

  @TempDir static Path dir;
  static DaemonFixture daemon;
  static Vertx vertx;
  static TestClient control;
  static List<LogClient> clients = new ArrayList<>();
  static String expectedSha;

  @BeforeAll
  static void start() throws Exception {
    // Above 1 GiB plus the 5-byte record headers (at most one per byte read, in practice one per pipe read).
    daemon = DaemonFixture.start(dir.resolve("data"), new JsonObject().put("logCapBytes", 2 * SIZE));
    vertx = Vertx.vertx();
    control = TestClient.connect(vertx, daemon.port(), DaemonFixture.TLS.resolve("ca.pem"),
        DaemonFixture.TLS.resolve("client.pem"), DaemonFixture.TLS.resolve("client-key.pem"));
    for (int i = 0; i < CONNECTIONS; i++) {
      clients.add(LogClient.connect(vertx, daemon.port()));
    }
    expectedSha = generatorSha();
  }

  @AfterAll
  static void stop() {
    clients.forEach(LogClient::close);
    control.close();
    vertx.close().await();
    daemon.close();
  }

  /** The generator run here, its output digested as it is read. */
  static String generatorSha() throws Exception {
    Process generator = new ProcessBuilder("sh", "-c", GENERATOR)
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    long total = 0;
    byte[] buffer = new byte[1 << 20];
    try (InputStream in = generator.getInputStream()) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        sha.update(buffer, 0, n);
        total += n;
      }
    }
    assertTrue(generator.waitFor(120, TimeUnit.SECONDS));
    assertEquals(SIZE, total, "the generator itself");
    return HexFormat.of().formatHex(sha.digest());
  }

  /** What one follower received: the digest of its stdout bytes, counts, and the end marker. */
  record Digested(String stdoutSha, long stdoutBytes, long stderrBytes, LogEnd end, long nanos) {}

  static Future<Digested> digest(LogClient client, String id) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    long[] counts = new long[2];
    long started = System.nanoTime();
    return client.follow(id, output -> {
      if (output.getStream() == Stream.STREAM_STDOUT) {
        sha.update(output.getData().asReadOnlyByteBuffer());
        counts[0] += output.getData().size();
      } else {
        counts[1] += output.getData().size();
      }
    }).done().map(end -> new Digested(HexFormat.of().formatHex(sha.digest()), counts[0], counts[1], end,
        System.nanoTime() - started));
  }

  static void assertExact(Digested got, String who) {
    assertEquals(SIZE, got.stdoutBytes(), who + ": stdout bytes");
    assertEquals(expectedSha, got.stdoutSha(), who + ": stdout SHA-256");
    assertEquals(0, got.stderrBytes(), who + ": stderr bytes");
    assertFalse(got.end().getTruncated(), who + ": truncated");
    assertEquals(0, got.end().getDroppedBytes(), who + ": dropped");
  }

  static void assertStoredWhole(String id) {
    JobStatus status = control.awaitEnd(id);
    assertEquals(State.STATE_EXITED, status.getState());
    assertEquals(0, status.getExitCode().getValue());
    assertEquals(SIZE, status.getLog().getStoredBytes());
    assertFalse(status.getLog().getTruncated());
  }

  static double mibPerSecond(long bytes, long nanos) {
    return bytes / (double) Resources.MIB / (nanos / 1e9);
  }

  @Test
  void oneFollowerReceivesTheGibibyteWithTheGeneratorsDigest() throws Exception {
    String id = control.start("sh", "-c", GENERATOR);
    Digested got;
    try (LogClient fresh = LogClient.connect(vertx, daemon.port())) {
      got = TestClient.await(digest(fresh, id), 600);
    }
    assertExact(got, "the follower");
    assertStoredWhole(id);
    System.out.printf("LogExactnessAtSize: 1 follower, 1 GiB in %.1f s (%.0f MiB/s)%n",
        got.nanos() / 1e9, mibPerSecond(SIZE, got.nanos()));
  }

  @Test
  void twentyFollowersAttachingAtRandomMomentsAllReceiveTheGibibyteExactly() throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    String context = "seed " + seed;
    long baselineHeap = Resources.liveHeap();
    long baselineDirect = Resources.directMemory();
    Resources.PeakHeapAfterGc peak = new Resources.PeakHeapAfterGc();
    Path gate = dir.resolve("gate-" + seed);
    // The job's end waits for the gate, so that every follower attaches while the job runs; most attach while
    // it is still writing, at stored-byte thresholds drawn at random.
    String id = control.start("sh", "-c", GENERATOR + "; while [ ! -e " + gate + " ]; do sleep 0.01; done");
    long started = System.nanoTime();
    List<Future<Digested>> followers = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      followers.add(digest(clients.get(i % CONNECTIONS), id));
    }
    List<Long> thresholds = new ArrayList<>();
    for (int i = 0; i < 15; i++) {
      thresholds.add((long) (random.nextDouble() * SIZE));
    }
    thresholds.sort(null);
    int attachedWhileWriting = 0;
    for (int i = 0; i < thresholds.size(); i++) {
      long threshold = thresholds.get(i);
      long stored;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
      while ((stored = control.status(id).getLog().getStoredBytes()) < threshold) {
        assertTrue(System.nanoTime() < deadline, context + ": the job's output reaches " + threshold);
      }
      followers.add(digest(clients.get((5 + i) % CONNECTIONS), id));
      if (stored < SIZE) {
        attachedWhileWriting++;
      }
    }
    Resources.await(300, context + ": the job wrote its gibibyte",
        () -> control.status(id).getLog().getStoredBytes() == SIZE);
    long written = System.nanoTime() - started;
    // Every follower attached, the output is complete, and (at this speed) most are still far from done: a
    // daemon that held the log, or queued it per follower, in memory would show it here.
    peak.close();
    long heapGrowth = Resources.liveHeap() - baselineHeap;
    long directGrowth = Resources.directMemory() - baselineDirect;
    long stillReading = followers.stream().filter(f -> !f.isComplete()).count();
    Files.createFile(gate);
    List<Digested> results = new ArrayList<>();
    for (int i = 0; i < followers.size(); i++) {
      Digested got = TestClient.await(followers.get(i), 1800);
      assertExact(got, context + ", follower " + i);
      results.add(got);
    }
    long elapsed = System.nanoTime() - started;
    assertStoredWhole(id);
    System.out.printf("LogExactnessAtSize: 20 followers (%d attached at random moments while the job was writing),"
        + " job wrote 1 GiB in %.1f s, all 20 GiB delivered in %.1f s (%.0f MiB/s aggregate); live heap growth"
        + " %.1f MiB and buffer pools %.1f MiB with %d followers still reading; peak heap after %d collections"
        + " while the job wrote %.1f MiB above the baseline%n", attachedWhileWriting, written / 1e9, elapsed / 1e9,
        mibPerSecond(20 * SIZE, elapsed), heapGrowth / (double) Resources.MIB, directGrowth / (double) Resources.MIB,
        stillReading, peak.collections(), (peak.peak() - baselineHeap) / (double) Resources.MIB);
    assertTrue(heapGrowth + directGrowth < MEMORY_BOUND, context + ": the daemon's live heap grew by "
        + heapGrowth / Resources.MIB + " MiB and its buffer pools by " + directGrowth / Resources.MIB
        + " MiB while 20 followers streamed 1 GiB each");
  }
}
