package rund.log;

import java.nio.ByteBuffer;

/**
 * The on-disk format of a job log: a sequence of records, each a 5-byte header (stream code, then payload
 * length as a big-endian int) followed by the payload. One file holds both streams so that their relative
 * order, as the daemon read them, survives storage and replay.
 */
public final class LogRecords {
  public static final int HEADER_BYTES = 5;
  /** The largest payload the writer produces; readers size their buffers from it. */
  public static final int MAX_PAYLOAD = 64 * 1024;

  private LogRecords() {}

  /** Receives the records found in a buffer. */
  @FunctionalInterface
  public interface Sink {
    void record(OutputStream stream, ByteBuffer payload);
  }

  public static void writeHeader(ByteBuffer header, OutputStream stream, int payloadLength) {
    header.clear();
    header.put(stream.code()).putInt(payloadLength).flip();
  }

  /**
   * Hands every complete record in {@code buffer} (from its position to its limit) to the sink, and returns
   * how many bytes those records occupy: a record cut off at the end of the buffer is left for the next read.
   */
  public static int parse(ByteBuffer buffer, Sink sink) {
    int start = buffer.position();
    int pos = start;
    int end = buffer.limit();
    while (end - pos >= HEADER_BYTES) {
      OutputStream stream = OutputStream.ofCode(buffer.get(pos));
      int length = buffer.getInt(pos + 1);
      if (length < 0 || length > MAX_PAYLOAD) {
        throw new IllegalStateException("corrupt log record: length " + length + " at offset " + pos);
      }
      if (end - pos - HEADER_BYTES < length) {
        break;
      }
      sink.record(stream, buffer.slice(pos + HEADER_BYTES, length));
      pos += HEADER_BYTES + length;
    }
    return pos - start;
  }
}
