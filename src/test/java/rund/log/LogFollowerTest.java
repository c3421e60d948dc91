package rund.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.streams.WriteStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.api.LogChunk;
import rund.api.Stream;

class LogFollowerTest {
  @TempDir Path dir;
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  /** A job's log being written by another thread, announcing progress like the output pump does. */
  private static final class GrowingLog implements LogSource {
    final JobLog log;
    final AtomicBoolean complete = new AtomicBoolean();
    final String address = "test.log." + System.nanoTime();

    GrowingLog(JobLog log) {
      this.log = log;
    }

    @Override
    public JobLog log() {
      return log;
    }

    @Override
    public boolean outputComplete() {
      return complete.get();
    }

    @Override
    public String progressAddress() {
      return address;
    }
  }

  /**
   * A client stream that takes one message per millisecond and reports a full queue beyond a small bound:
   * the follower must wait for the drain handler instead of queueing more.
   */
  private static final class SlowClient implements WriteStream<LogChunk> {
    static final int QUEUE = 4;
    final Vertx vertx;
    final ArrayDeque<LogChunk> queue = new ArrayDeque<>();
    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    final ByteArrayOutputStream interleaved = new ByteArrayOutputStream();
    final CompletableFuture<LogChunk> ended = new CompletableFuture<>();
    int maxQueued;
    Stream lastStream;
    Handler<Void> drain;

    SlowClient(Vertx vertx) {
      this.vertx = vertx;
      vertx.setPeriodic(1, id -> take());
    }

    private void take() {
      LogChunk chunk = queue.poll();
      if (chunk != null) {
        byte[] data = chunk.getOutput().getData().toByteArray();
        if (chunk.getOutput().getStream() == Stream.STREAM_STDOUT) {
          stdout.writeBytes(data);
        }
        // A stream marker where the stream changes: runs of one stream may travel as one message or several.
        if (chunk.getOutput().getStream() != lastStream) {
          lastStream = chunk.getOutput().getStream();
          interleaved.write(lastStream.getNumber());
        }
        interleaved.writeBytes(data);
      }
      if (queue.size() < QUEUE && drain != null) {
        Handler<Void> handler = drain;
        drain = null;
        handler.handle(null);
      }
    }

    @Override
    public Future<Void> write(LogChunk data) {
      queue.add(data);
      maxQueued = Math.max(maxQueued, queue.size());
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> end(LogChunk data) {
      vertx.setPeriodic(1, id -> {
        if (queue.isEmpty()) {
          vertx.cancelTimer(id);
          ended.complete(data);
        }
      });
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> end() {
      return end(null);
    }

    @Override
    public WriteStream<LogChunk> exceptionHandler(Handler<Throwable> handler) {
      return this;
    }

    @Override
    public WriteStream<LogChunk> setWriteQueueMaxSize(int maxSize) {
      return this;
    }

    @Override
    public boolean writeQueueFull() {
      return queue.size() >= QUEUE;
    }

    @Override
    public WriteStream<LogChunk> drainHandler(Handler<Void> handler) {
      this.drain = handler;
      return this;
    }
  }

  @Test
  void aFollowerAttachingMidRunGetsEveryByteOnceInOrderWithinABoundedQueue() throws Exception {
    GrowingLog source = new GrowingLog(JobLog.create(dir.resolve("out.log"), Long.MAX_VALUE));
    Random random = new Random(42);
    ByteArrayOutputStream expectedStdout = new ByteArrayOutputStream();
    ByteArrayOutputStream expectedInterleaved = new ByteArrayOutputStream();
    CompletableFuture<Void> halfWritten = new CompletableFuture<>();
    OutputStream[] lastStream = new OutputStream[1];
    Thread writer = Thread.ofPlatform().start(() -> {
      try {
        for (int i = 0; i < 2000; i++) {
          byte[] data = new byte[1 + random.nextInt(3000)];
          random.nextBytes(data);
          OutputStream stream = random.nextInt(4) == 0 ? OutputStream.STDERR : OutputStream.STDOUT;
          source.log.append(stream, ByteBuffer.wrap(data));
          if (stream == OutputStream.STDOUT) {
            expectedStdout.writeBytes(data);
          }
          if (stream != lastStream[0]) {
            lastStream[0] = stream;
            expectedInterleaved.write(stream == OutputStream.STDOUT ? 1 : 2);
          }
          expectedInterleaved.writeBytes(data);
          vertx.eventBus().publish(source.address, null);
          if (i == 1000) {
            halfWritten.complete(null);
          }
        }
        source.log.closeWriter();
        source.complete.set(true);
        vertx.eventBus().publish(source.address, null);
      } catch (Exception e) {
        halfWritten.completeExceptionally(e);
      }
    });
    halfWritten.get(30, TimeUnit.SECONDS);

    SlowClient client = new SlowClient(vertx);
    vertx.runOnContext(v -> new LogFollower(vertx, source, client).start());
    LogChunk end = client.ended.get(60, TimeUnit.SECONDS);
    writer.join();

    assertTrue(end.hasEnd(), "the stream ends with the end-of-log marker");
    assertArrayEquals(expectedStdout.toByteArray(), client.stdout.toByteArray());
    assertArrayEquals(expectedInterleaved.toByteArray(), client.interleaved.toByteArray(),
        "stdout and stderr records arrive in the order they were written");
    // One chunk of records may land on a queue that had room for one more message.
    assertTrue(client.maxQueued <= SlowClient.QUEUE + LogFollower.CHUNK_BYTES / LogRecords.HEADER_BYTES,
        "queue bounded: " + client.maxQueued);
  }

  @Test
  void aTruncatedLogEndsWithAMarkerSayingHowMuchWasDropped() throws Exception {
    GrowingLog source = new GrowingLog(JobLog.create(dir.resolve("out.log"), 100));
    source.log.append(OutputStream.STDOUT, ByteBuffer.wrap(new byte[250]));
    source.log.closeWriter();
    source.complete.set(true);
    SlowClient client = new SlowClient(vertx);
    vertx.runOnContext(v -> new LogFollower(vertx, source, client).start());
    LogChunk end = client.ended.get(30, TimeUnit.SECONDS);
    assertTrue(end.getEnd().getTruncated());
    assertEquals(250 - (100 - LogRecords.HEADER_BYTES), end.getEnd().getDroppedBytes());
    assertEquals(100 - LogRecords.HEADER_BYTES, client.stdout.size());
  }

  @Test
  void closingReleasesTheConsumerSoProgressNoLongerReachesIt() throws Exception {
    GrowingLog source = new GrowingLog(JobLog.create(dir.resolve("out.log"), 1000));
    SlowClient client = new SlowClient(vertx);
    Promise<LogFollower> started = Promise.promise();
    vertx.runOnContext(v -> {
      LogFollower follower = new LogFollower(vertx, source, client);
      follower.start();
      follower.close();
      started.complete(follower);
    });
    LogFollower follower = started.future().await(10, TimeUnit.SECONDS);
    assertTrue(follower.isClosed());
    // A request to an address without consumers fails at once with NO_HANDLERS: proof of unregistration.
    Throwable noHandlers = vertx.eventBus().request(source.address, null)
        .map(reply -> (Throwable) null)
        .recover(Future::succeededFuture)
        .await(10, TimeUnit.SECONDS);
    assertTrue(noHandlers instanceof io.vertx.core.eventbus.ReplyException reply
        && reply.failureType() == io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS, "consumer gone: " + noHandlers);
    assertEquals(0, client.queue.size() + client.stdout.size(), "a closed follower writes nothing");
  }
}
