package rund.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogRecordsTest {
  private static ByteBuffer encode(Object... streamAndText) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer header = ByteBuffer.allocate(LogRecords.HEADER_BYTES);
    for (int i = 0; i < streamAndText.length; i += 2) {
      byte[] payload = ((String) streamAndText[i + 1]).getBytes(StandardCharsets.UTF_8);
      LogRecords.writeHeader(header, (OutputStream) streamAndText[i], payload.length);
      out.write(header.array(), 0, LogRecords.HEADER_BYTES);
      out.writeBytes(payload);
    }
    return ByteBuffer.wrap(out.toByteArray());
  }

  private static List<String> parseAll(ByteBuffer buffer, int[] consumed) {
    List<String> seen = new ArrayList<>();
    consumed[0] = LogRecords.parse(buffer, (stream, payload) -> {
      byte[] bytes = new byte[payload.remaining()];
      payload.get(bytes);
      seen.add(stream + ":" + new String(bytes, StandardCharsets.UTF_8));
    });
    return seen;
  }

  @Test
  void parsesRecordsInOrderKeepingStreamsApart() {
    ByteBuffer buffer = encode(OutputStream.STDOUT, "1\n", OutputStream.STDERR, "2\n", OutputStream.STDOUT, "3\n");
    int[] consumed = new int[1];
    assertEquals(List.of("STDOUT:1\n", "STDERR:2\n", "STDOUT:3\n"), parseAll(buffer, consumed));
    assertEquals(buffer.limit(), consumed[0]);
  }

  @Test
  void leavesARecordCutOffAtTheEndForTheNextRead() {
    ByteBuffer whole = encode(OutputStream.STDOUT, "first", OutputStream.STDERR, "second");
    for (int cut = 0; cut < whole.limit(); cut++) {
      ByteBuffer part = whole.duplicate().limit(cut);
      int[] consumed = new int[1];
      List<String> seen = parseAll(part, consumed);
      int firstRecord = LogRecords.HEADER_BYTES + "first".length();
      if (cut < firstRecord) {
        assertEquals(List.of(), seen, "cut at " + cut);
        assertEquals(0, consumed[0]);
      } else {
        assertEquals(List.of("STDOUT:first"), seen, "cut at " + cut);
        assertEquals(firstRecord, consumed[0]);
      }
    }
  }

  @Test
  void rejectsCorruptRecords() {
    ByteBuffer bad = ByteBuffer.wrap(new byte[] {7, 0, 0, 0, 1, 'x'});
    assertThrows(IllegalArgumentException.class, () -> LogRecords.parse(bad, (s, p) -> {}));
    ByteBuffer huge = ByteBuffer.wrap(new byte[] {1, 0x7f, 0, 0, 0});
    assertThrows(IllegalStateException.class, () -> LogRecords.parse(huge, (s, p) -> {}));
  }
}
