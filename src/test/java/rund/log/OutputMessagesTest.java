package rund.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import rund.api.LogChunk;
import rund.api.Stream;

class OutputMessagesTest {
  private static void record(ByteBuffer into, OutputStream stream, String text) {
    byte[] payload = text.getBytes(StandardCharsets.US_ASCII);
    into.put(stream.code()).putInt(payload.length).put(payload);
  }

  private static String describe(List<LogChunk> messages) {
    StringBuilder text = new StringBuilder();
    for (LogChunk message : messages) {
      text.append(message.getOutput().getStream() == Stream.STREAM_STDOUT ? "out:" : "err:")
          .append(message.getOutput().getData().toString(StandardCharsets.US_ASCII)).append('|');
    }
    return text.toString();
  }

  @Test
  void consecutiveRecordsOfOneStreamBecomeOneMessageAndAStreamChangeStartsAnother() {
    ByteBuffer log = ByteBuffer.allocate(256);
    record(log, OutputStream.STDOUT, "a");
    record(log, OutputStream.STDOUT, "bc");
    record(log, OutputStream.STDERR, "d");
    record(log, OutputStream.STDOUT, "e");
    record(log, OutputStream.STDERR, "f");
    record(log, OutputStream.STDERR, "gh");
    int complete = log.position();
    log.put(OutputStream.STDOUT.code()).putInt(10).put((byte) 'x'); // cut off: read on the next round
    log.flip();

    List<LogChunk> messages = new ArrayList<>();
    int consumed = OutputMessages.parse(log, messages);

    assertEquals(complete, consumed, "the cut-off record is left for the next read");
    assertEquals("out:abc|err:d|out:e|err:fgh|", describe(messages));
  }

  @Test
  void aLongRunOfTinyRecordsIsCutIntoMessagesOfAtMostTheMessageSize() {
    ByteBuffer log = ByteBuffer.allocate((LogRecords.HEADER_BYTES + 1) * (2 * LogRecords.MAX_PAYLOAD + 100));
    StringBuilder expected = new StringBuilder();
    for (int i = 0; log.remaining() >= LogRecords.HEADER_BYTES + 1; i++) {
      String one = Character.toString('a' + i % 26);
      record(log, OutputStream.STDERR, one);
      expected.append(one);
    }
    log.flip();
    List<LogChunk> messages = new ArrayList<>();
    OutputMessages.parse(log, messages);
    StringBuilder joined = new StringBuilder();
    for (LogChunk message : messages) {
      assertEquals(Stream.STREAM_STDERR, message.getOutput().getStream());
      assertTrue(message.getOutput().getData().size() <= OutputMessages.MESSAGE_BYTES,
          "message of " + message.getOutput().getData().size() + " bytes");
      joined.append(message.getOutput().getData().toString(StandardCharsets.US_ASCII));
    }
    assertEquals(expected.toString(), joined.toString());
    assertEquals((expected.length() + OutputMessages.MESSAGE_BYTES - 1) / OutputMessages.MESSAGE_BYTES,
        messages.size(), "as few messages as the bound allows");
  }

  @Test
  void aRecordOfTheLargestSizeFillsItsOwnMessagesAndTheNextStreamStartsAnother() {
    byte[] payload = new byte[LogRecords.MAX_PAYLOAD];
    new Random(3).nextBytes(payload);
    ByteBuffer log = ByteBuffer.allocate(2 * LogFollower.CHUNK_BYTES);
    log.put(OutputStream.STDOUT.code()).putInt(payload.length).put(payload);
    record(log, OutputStream.STDERR, "after");
    log.flip();
    List<LogChunk> messages = new ArrayList<>();
    OutputMessages.parse(log, messages);
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    for (LogChunk message : messages.subList(0, messages.size() - 1)) {
      assertEquals(Stream.STREAM_STDOUT, message.getOutput().getStream());
      assertTrue(message.getOutput().getData().size() <= OutputMessages.MESSAGE_BYTES);
      stdout.writeBytes(message.getOutput().getData().toByteArray());
    }
    assertArrayEquals(payload, stdout.toByteArray());
    assertEquals((payload.length + OutputMessages.MESSAGE_BYTES - 1) / OutputMessages.MESSAGE_BYTES,
        messages.size() - 1);
    assertEquals("err:after|", describe(messages.subList(messages.size() - 1, messages.size())));
  }
}
