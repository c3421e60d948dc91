package rund.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One job's output on disk. A single writer (the output pump thread) appends records; any number of readers
 * read the file by offset up to {@link #committedLength()}, which only ever advances over complete records.
 * Nothing of the output is held in memory, so memory does not grow with output size or with followers.
 *
 * <p>The cap bounds the file's size (headers included): output beyond it is still drained from the job's
 * pipes, so the job never blocks on a full pipe, but it is counted as dropped instead of stored.
 */
public final class JobLog {
  private final Path file;
  private final long capBytes;
  private final FileChannel writer;
  private final ByteBuffer header = ByteBuffer.allocate(LogRecords.HEADER_BYTES);
  private final AtomicLong committed = new AtomicLong();
  private volatile long storedBytes;
  private volatile long droppedBytes;

  private JobLog(Path file, long capBytes, FileChannel writer) {
    this.file = file;
    this.capBytes = capBytes;
    this.writer = writer;
  }

  public static JobLog create(Path file, long capBytes) throws IOException {
    if (capBytes < LogRecords.HEADER_BYTES + 1) {
      throw new IllegalArgumentException("log cap must be at least " + (LogRecords.HEADER_BYTES + 1) + " bytes");
    }
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    return new JobLog(file, capBytes, channel);
  }

  public Path file() {
    return file;
  }

  /** Writer thread only. Stores as much of {@code payload} as the cap allows and counts the rest as dropped. */
  public void append(OutputStream stream, ByteBuffer payload) throws IOException {
    int length = payload.remaining();
    if (length == 0) {
      return;
    }
    long room = capBytes - committed.get() - LogRecords.HEADER_BYTES;
    int storable = (int) Math.max(0, Math.min(length, room));
    if (storable > 0) {
      ByteBuffer stored = payload.slice(payload.position(), storable);
      LogRecords.writeHeader(header, stream, storable);
      long written = 0;
      long total = LogRecords.HEADER_BYTES + (long) storable;
      ByteBuffer[] parts = {header, stored};
      while (written < total) {
        written += writer.write(parts);
      }
      storedBytes += storable;
      committed.addAndGet(total);
    }
    if (storable < length) {
      droppedBytes += length - storable;
    }
  }

  /** Bytes of complete records in the file; readers never read past it. */
  public long committedLength() {
    return committed.get();
  }

  public LogInfo info() {
    return new LogInfo(storedBytes, droppedBytes, capBytes);
  }

  /** Writer thread only, once the job's output has ended. */
  public void closeWriter() throws IOException {
    writer.close();
  }

  public FileChannel openReader() throws IOException {
    return FileChannel.open(file, StandardOpenOption.READ);
  }

  public void delete() throws IOException {
    if (writer.isOpen()) {
      writer.close();
    }
    Files.deleteIfExists(file);
  }
}
