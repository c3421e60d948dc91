package rund.log;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import rund.api.LogChunk;
import rund.api.Output;
import rund.api.Stream;

/**
 * Turns the records of one chunk of a log into Log messages of at most {@link #MESSAGE_BYTES}: consecutive records
 * of the same stream share messages. Stream boundaries and byte order stay exactly as recorded; only the cuts
 * between messages move. A job that writes in small pieces leaves small records, and every message costs a gRPC
 * frame, an HTTP/2 write and a TLS record of its own.
 */
final class OutputMessages implements LogRecords.Sink {
  /** The largest payload of one message: the largest record, which every reader already accepts. */
  static final int MESSAGE_BYTES = LogRecords.MAX_PAYLOAD;

  private final List<LogChunk> messages = new ArrayList<>();
  private final List<ByteBuffer> run = new ArrayList<>();
  private OutputStream runStream;
  private int runBytes;

  /** The messages of every complete record in {@code buffer}, in log order; returns the bytes they took. */
  static int parse(ByteBuffer buffer, List<LogChunk> into) {
    OutputMessages builder = new OutputMessages();
    int consumed = LogRecords.parse(buffer, builder);
    builder.flush();
    into.addAll(builder.messages);
    return consumed;
  }

  @Override
  public void record(OutputStream stream, ByteBuffer payload) {
    if (stream != runStream) {
      flush();
      runStream = stream;
    }
    int at = payload.position();
    while (at < payload.limit()) {
      int take = Math.min(payload.limit() - at, MESSAGE_BYTES - runBytes);
      run.add(payload.slice(at, take));
      runBytes += take;
      at += take;
      if (runBytes == MESSAGE_BYTES) {
        flush();
      }
    }
  }

  private void flush() {
    if (run.isEmpty()) {
      return;
    }
    messages.add(message(runStream, data()));
    run.clear();
    runBytes = 0;
  }

  /**
   * One record's payload is shared with the chunk's buffer, which nothing writes to once read (the encoder
   * makes the one copy); several are copied together once, which costs far less than a message each.
   */
  private ByteString data() {
    if (run.size() == 1) {
      return UnsafeByteOperations.unsafeWrap(run.getFirst());
    }
    byte[] joined = new byte[runBytes];
    int at = 0;
    for (ByteBuffer payload : run) {
      int length = payload.remaining();
      payload.get(payload.position(), joined, at, length);
      at += length;
    }
    return UnsafeByteOperations.unsafeWrap(joined);
  }

  private static LogChunk message(OutputStream stream, ByteString data) {
    Stream wire = stream == OutputStream.STDOUT ? Stream.STREAM_STDOUT : Stream.STREAM_STDERR;
    return LogChunk.newBuilder().setOutput(Output.newBuilder().setStream(wire).setData(data)).build();
  }
}
