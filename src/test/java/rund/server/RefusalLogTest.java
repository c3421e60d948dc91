package rund.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class RefusalLogTest {
  @Test
  void aFloodOfRefusalsIsLoggedOnlyUpToTheBurstAndEachLineIsBounded() {
    Logger logger = Logger.getAnonymousLogger();
    logger.setUseParentHandlers(false);
    List<String> lines = new ArrayList<>();
    logger.addHandler(new Handler() {
      @Override
      public void publish(LogRecord record) {
        lines.add(record.getMessage());
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    });
    RefusalLog log = new RefusalLog(logger);
    String junk = "x".repeat(10_000);
    for (int i = 0; i < 500; i++) {
      log.refused(new javax.net.ssl.SSLHandshakeException(junk));
    }
    assertEquals(RefusalLog.BURST, lines.size());
    assertTrue(lines.stream().allMatch(line -> line.length() < 400), "each line is bounded");
  }
}
