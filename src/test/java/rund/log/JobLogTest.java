package rund.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobLogTest {
  @TempDir Path dir;

  private static byte[] readPayload(JobLog log) throws Exception {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    try (FileChannel reader = log.openReader()) {
      ByteBuffer buffer = ByteBuffer.allocate((int) log.committedLength());
      reader.read(buffer, 0);
      buffer.flip();
      LogRecords.parse(buffer, (stream, payload) -> {
        byte[] bytes = new byte[payload.remaining()];
        payload.get(bytes);
        all.writeBytes(bytes);
      });
    }
    return all.toByteArray();
  }

  @Test
  void storesEveryByteUnderTheCap() throws Exception {
    JobLog log = JobLog.create(dir.resolve("out.log"), 1 << 20);
    byte[] data = new byte[10_000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) i;
    }
    log.append(OutputStream.STDOUT, ByteBuffer.wrap(data, 0, 4000));
    log.append(OutputStream.STDERR, ByteBuffer.wrap(data, 4000, 6000));
    assertArrayEquals(data, readPayload(log));
    assertEquals(10_000, log.info().storedBytes());
    assertFalse(log.info().truncated());
    assertEquals(Files.size(log.file()), log.committedLength());
  }

  @Test
  void aFullLogKeepsAnExactPrefixAndCountsTheRestAsDropped() throws Exception {
    long cap = 1000;
    JobLog log = JobLog.create(dir.resolve("out.log"), cap);
    byte[] data = new byte[3000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 7);
    }
    for (int off = 0; off < data.length; off += 300) {
      log.append(OutputStream.STDOUT, ByteBuffer.wrap(data, off, 300));
    }
    byte[] stored = readPayload(log);
    assertTrue(log.committedLength() <= cap, "file stays within the cap");
    assertEquals(Files.size(log.file()), log.committedLength());
    byte[] prefix = java.util.Arrays.copyOf(data, stored.length);
    assertArrayEquals(prefix, stored);
    LogInfo info = log.info();
    assertTrue(info.truncated());
    assertEquals(data.length, info.storedBytes() + info.droppedBytes());
    assertEquals(stored.length, info.storedBytes());
  }
}
