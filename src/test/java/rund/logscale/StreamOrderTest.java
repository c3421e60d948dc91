package rund.logscale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.api.Stream;
import rund.testing.DaemonFixture;
import rund.testing.TestClient;

/**
 * stdout and stderr keep their relative order through storage and replay. The job alternates between the two
 * streams, and pauses after every line until a follower has received that line through Log (it blocks reading a
 * FIFO that the test writes to on receipt). Each write therefore happens after the previous one was stored, so the
 * order is the daemon's to keep, not a race between two pipes: followers attached before the job writes, at random
 * lines while it writes (racing its next line), and after it ended must all see exactly one record per line, in the
 * order written.
 *
 * <p>The pause is a handshake rather than a sleep because, on a loaded two-core host, a fixed 5 ms pause between
 * writes is at times shorter than the scheduling delays of the daemon's output pump: two lines of one stream then
 * arrive in one read, and their order against the other stream is, as documented, unknowable. The handshake makes
 * the test exact and independent of the host's load.
 */
class StreamOrderTest {
  static final int LINES = 100;
  static final int FOLLOWERS = 4;

  @TempDir static Path dir;
  static DaemonFixture daemon;
  static Vertx vertx;
  static TestClient control;
  static List<LogClient> clients = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    daemon = DaemonFixture.start(dir.resolve("data"));
    vertx = Vertx.vertx();
    control = TestClient.connect(vertx, daemon.port(), DaemonFixture.TLS.resolve("ca.pem"),
        DaemonFixture.TLS.resolve("client.pem"), DaemonFixture.TLS.resolve("client-key.pem"));
    for (int i = 0; i < 2; i++) {
      clients.add(LogClient.connect(vertx, daemon.port()));
    }
  }

  @AfterAll
  static void stop() {
    clients.forEach(LogClient::close);
    control.close();
    vertx.close().await();
    daemon.close();
  }

  static List<String> expected() {
    List<String> records = new ArrayList<>();
    for (int i = 1; i <= LINES; i++) {
      records.add("out:o" + i + "\n");
      records.add("err:e" + i + "\n");
    }
    return records;
  }

  /** Follows the job; completes with its records in arrival order, each tagged with its stream. */
  static Future<List<String>> follow(LogClient client, String id, BlockingQueue<String> lines) {
    List<String> records = Collections.synchronizedList(new ArrayList<>());
    return client.follow(id, output -> {
      String record = (output.getStream() == Stream.STREAM_STDOUT ? "out:" : "err:")
          + output.getData().toString(StandardCharsets.UTF_8);
      records.add(record);
      if (lines != null) {
        lines.add(record);
      }
    }).done().map(end -> List.copyOf(records));
  }

  @Test
  void followersLiveMidRunAndAfterTheEndSeeEveryLineInTheOrderWritten() throws Exception {
    long seed = System.nanoTime();
    Path fifo = dir.resolve("release-" + seed);
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
    // Held open for reading and writing for the whole test: the job's reads then never see end of file (as they
    // would when a writer closes right after a release) and each blocks until the next release.
    try (FileChannel releases = FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      String id = control.start("sh", "-c", "for i in $(seq " + LINES + "); do echo o$i; read go < " + fifo
          + "; echo e$i >&2; read go < " + fifo + "; done");
      followAndCheck(id, releases, seed);
    }
  }

  private static void followAndCheck(String id, FileChannel releases, long seed) throws Exception {
    Random random = new Random(seed);
    // The driver is a follower too: it releases the job after each line it receives.
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    List<Future<List<String>>> followers = new ArrayList<>();
    followers.add(follow(clients.get(0), id, received));
    for (int i = 1; i < FOLLOWERS; i++) {
      followers.add(follow(clients.get(i % clients.size()), id, null));
    }
    Set<Integer> attachPoints = new TreeSet<>();
    while (attachPoints.size() < FOLLOWERS) {
      attachPoints.add(random.nextInt(2 * LINES - 1));
    }
    List<String> driven = new ArrayList<>();
    for (int line = 0; line < 2 * LINES; line++) {
      String record = received.poll(60, TimeUnit.SECONDS);
      assertNotNull(record, "seed " + seed + ": line " + line + " arrived; status " + control.status(id)
          + "; received so far " + driven);
      driven.add(record);
      releases.write(ByteBuffer.wrap(new byte[] {'\n'}));
      if (attachPoints.contains(line)) {
        // Attaches as the job writes its next line.
        followers.add(follow(clients.get(line % clients.size()), id, null));
      }
    }
    List<List<String>> seen = new ArrayList<>();
    for (Future<List<String>> follower : followers) {
      seen.add(TestClient.await(follower, 120));
    }
    control.awaitEnd(id);
    List<Future<List<String>>> replays = new ArrayList<>();
    for (int i = 0; i < FOLLOWERS; i++) {
      replays.add(follow(clients.get(i % clients.size()), id, null));
    }
    for (Future<List<String>> replay : replays) {
      seen.add(TestClient.await(replay, 120));
    }

    List<String> expected = expected();
    assertEquals(expected, driven, "seed " + seed + ": the driving follower");
    assertEquals(3 * FOLLOWERS, seen.size());
    for (int i = 0; i < seen.size(); i++) {
      String who = "seed " + seed + ", follower " + i + (i < FOLLOWERS ? " (attached at start)"
          : i < 2 * FOLLOWERS ? " (attached mid-run)" : " (attached after the end)");
      assertEquals(expected, seen.get(i), who);
    }
  }

  /**
   * The job of the issue, pausing 5 ms after each line. Whether two lines land in one read depends on the host's
   * scheduling, so the interleaving is checked exactly only above; here every follower, attached at the start,
   * mid-run or after the end, must receive the very same records in the very same order (what was stored is what
   * is replayed), with each stream's lines complete and in order.
   */
  @Test
  void aJobPausingBetweenWritesIsReplayedExactlyAsItWasFollowedLive() throws Exception {
    String id = control.start("sh", "-c",
        "for i in $(seq " + LINES + "); do echo o$i; sleep 0.005; echo e$i >&2; sleep 0.005; done");
    List<Future<List<String>>> followers = new ArrayList<>();
    for (int i = 0; i < FOLLOWERS; i++) {
      followers.add(follow(clients.get(i % clients.size()), id, null));
    }
    BlockingQueue<String> progress = new LinkedBlockingQueue<>();
    followers.add(follow(clients.get(0), id, progress));
    // Mid-run followers: one after each of a few lines, as the job writes its next one.
    for (int line = 0; line < 2 * LINES - 1 && followers.size() < 2 * FOLLOWERS + 1; ) {
      String record = progress.poll(60, TimeUnit.SECONDS);
      assertNotNull(record, "the job's output arrives");
      line += record.split("\n").length;
      if (line >= 20 * (followers.size() - FOLLOWERS)) {
        followers.add(follow(clients.get(line % clients.size()), id, null));
      }
    }
    List<List<String>> seen = new ArrayList<>();
    for (Future<List<String>> follower : followers) {
      seen.add(TestClient.await(follower, 120));
    }
    control.awaitEnd(id);
    for (int i = 0; i < FOLLOWERS; i++) {
      seen.add(TestClient.await(follow(clients.get(i % clients.size()), id, null), 120));
    }
    List<String> first = seen.getFirst();
    for (int i = 1; i < seen.size(); i++) {
      assertEquals(first, seen.get(i), "follower " + i + " got the records follower 0 got");
    }
    StringBuilder out = new StringBuilder();
    StringBuilder err = new StringBuilder();
    StringBuilder expectedOut = new StringBuilder();
    StringBuilder expectedErr = new StringBuilder();
    for (String record : first) {
      (record.startsWith("out:") ? out : err).append(record.substring(4));
    }
    for (int i = 1; i <= LINES; i++) {
      expectedOut.append('o').append(i).append('\n');
      expectedErr.append('e').append(i).append('\n');
    }
    assertEquals(expectedOut.toString(), out.toString());
    assertEquals(expectedErr.toString(), err.toString());
    System.out.printf("StreamOrder: 5 ms pauses: %d records for %d lines, interleaving %s, %d followers agree%n",
        first.size(), 2 * LINES, first.equals(expected()) ? "exact" : "merged in places", seen.size());
  }
}
