package rund.log;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.streams.WriteStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import rund.api.LogChunk;
import rund.api.LogEnd;

/**
 * Streams one job's log to one client, from the first byte, then follows it live until it is complete.
 *
 * <p>Lives on one event loop. It reads the file by offset on a worker, one bounded chunk at a time, and
 * only while the client's stream is writable: a slow client makes this follower wait on the drain handler
 * and never holds more than one chunk, so it neither stalls the job nor other followers. The messages of a
 * chunk share its buffer where they can (see {@link OutputMessages}), so a chunk is not copied again. Progress
 * notifications arrive as event-bus messages; because the consumer is registered before the first look at
 * the committed length, and every read is by offset, a follower attaching at any moment sees every byte
 * exactly once.
 */
public final class LogFollower {
  /** Bytes read from the file per step: bounds the memory one follower holds. */
  static final int CHUNK_BYTES = 256 * 1024;
  /** Followers in this JVM registered for progress notices and not yet closed. */
  private static final AtomicInteger OPEN = new AtomicInteger();

  private final Vertx vertx;
  private final LogSource source;
  private final WriteStream<LogChunk> out;
  /** The event loop context this follower lives on, taken at start. */
  private Context context;
  private MessageConsumer<Object> progress;
  private FileChannel reader;
  private long offset;
  private boolean busy;
  private boolean closed;
  private Consumer<Throwable> onFailure = cause -> {};

  public LogFollower(Vertx vertx, LogSource source, WriteStream<LogChunk> out) {
    this.vertx = vertx;
    this.source = source;
    this.out = out;
  }

  /** Event loop. Starts following; {@link #close()} releases everything it holds. */
  public void start() {
    context = vertx.getOrCreateContext();
    progress = vertx.eventBus().localConsumer(source.progressAddress(), message -> pump());
    OPEN.incrementAndGet();
    busy = true;
    vertx.executeBlocking(() -> source.log().openReader(), false).onComplete(opened -> {
      busy = false;
      if (opened.failed()) {
        fail(opened.cause());
        return;
      }
      reader = opened.result();
      if (closed) {
        closeReader();
        return;
      }
      pump();
    });
  }

  private void pump() {
    if (closed || busy) {
      return;
    }
    if (out.writeQueueFull()) {
      // Pump in a task of its own, not inside the drain callback: Vert.x 5.0.7 calls it from inside the drain
      // of the stream's outbound queue, where a write does not start a drain of its own; with 16 KiB messages
      // a follower writing from there stalled for good with the queue no longer full.
      out.drainHandler(v -> context.runOnContext(next -> pump()));
      return;
    }
    // Read completeness before the length: once complete, the length read after it is final.
    boolean complete = source.outputComplete();
    long available = source.log().committedLength() - offset;
    if (available > 0) {
      readNext((int) Math.min(available, CHUNK_BYTES));
    } else if (complete) {
      finish();
    }
  }

  private void readNext(int length) {
    busy = true;
    long position = offset;
    FileChannel channel = reader;
    vertx.executeBlocking(() -> readChunk(channel, position, length), false).onComplete(read -> {
      busy = false;
      if (closed) {
        closeReader();
        return;
      }
      if (read.failed()) {
        fail(read.cause());
        return;
      }
      Chunk chunk = read.result();
      offset += chunk.consumed();
      for (LogChunk message : chunk.messages()) {
        out.write(message);
      }
      pump();
    });
  }

  private record Chunk(List<LogChunk> messages, int consumed) {}

  private static Chunk readChunk(FileChannel channel, long position, int length) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, position + buffer.position());
      if (n < 0) {
        throw new IOException("log file ended before its committed length");
      }
    }
    buffer.flip();
    List<LogChunk> messages = new ArrayList<>();
    int consumed = OutputMessages.parse(buffer, messages);
    return new Chunk(messages, consumed);
  }

  private void finish() {
    LogInfo info = source.log().info();
    LogChunk end = LogChunk.newBuilder()
        .setEnd(LogEnd.newBuilder().setTruncated(info.truncated()).setDroppedBytes(info.droppedBytes()))
        .build();
    close();
    out.end(end);
  }

  private void fail(Throwable cause) {
    close();
    onFailure.accept(cause);
  }

  /** Called once if reading the log fails; the caller ends the client's stream with an error. */
  public LogFollower onFailure(Consumer<Throwable> handler) {
    this.onFailure = handler;
    return this;
  }

  /** Event loop. Idempotent: unregisters the consumer and closes the file. */
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (progress != null) {
      progress.unregister();
      OPEN.decrementAndGet();
    }
    out.drainHandler(null);
    if (!busy) {
      closeReader();
    }
  }

  private void closeReader() {
    FileChannel channel = reader;
    reader = null;
    if (channel != null) {
      vertx.executeBlocking(() -> {
        channel.close();
        return null;
      }, false);
    }
  }

  /**
   * Diagnostic: followers in this JVM that are registered for progress notices and not yet closed. Every Log
   * call that is cancelled, breaks or ends must bring it back down; tests use it to prove that.
   */
  public static int openFollowers() {
    return OPEN.get();
  }

  /** For tests: whether this follower still holds resources. */
  boolean isClosed() {
    return closed;
  }
}
