package rund.job;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import rund.sys.Fds;

/**
 * The FIFO a launch step ({@code rund execute -fifo PATH}) waits on until the daemon has put it into the job's
 * cgroup. Held open until the job ends, so the release line stays readable however late the launch step reads
 * it.
 */
final class ReleaseGate implements AutoCloseable {
  private final Path fifo;
  private final FileChannel channel;

  private ReleaseGate(Path fifo, FileChannel channel) {
    this.fifo = fifo;
    this.channel = channel;
  }

  static ReleaseGate create(Path fifo) throws IOException {
    Fds.mkfifo(fifo, 0600);
    try {
      // Read+write: opening a FIFO this way never blocks, and the buffered release line survives until the
      // launch step has opened and read it.
      return new ReleaseGate(fifo, FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE));
    } catch (IOException e) {
      Files.deleteIfExists(fifo);
      throw e;
    }
  }

  Path path() {
    return fifo;
  }

  /** Lets the launch step exec its command. */
  void release() throws IOException {
    channel.write(ByteBuffer.wrap("go\n".getBytes(StandardCharsets.US_ASCII)));
  }

  /** Closes and removes the FIFO; a launch step that never read it sees end of file and runs nothing. */
  @Override
  public void close() throws IOException {
    try {
      channel.close();
    } finally {
      Files.deleteIfExists(fifo);
    }
  }
}
