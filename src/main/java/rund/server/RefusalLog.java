package rund.server;

import java.util.logging.Logger;

/**
 * Logs refused or failed connections without letting anyone flood the log: at most {@link #BURST} lines per
 * minute, then one line saying how many were left out. Runs on the event loop only.
 */
final class RefusalLog {
  static final int BURST = 20;
  private static final long WINDOW_NANOS = 60_000_000_000L;
  private final Logger log;
  private long windowStart = System.nanoTime();
  private int logged;
  private int suppressed;

  RefusalLog(Logger log) {
    this.log = log;
  }

  void refused(Throwable error) {
    long now = System.nanoTime();
    if (now - windowStart > WINDOW_NANOS) {
      if (suppressed > 0) {
        log.info(suppressed + " more refused or failed connections in the last minute were not logged");
      }
      windowStart = now;
      logged = 0;
      suppressed = 0;
    }
    if (logged < BURST) {
      logged++;
      String reason = ConnectionRefusal.describe(error);
      // What a stranger sent is echoed only in part.
      log.info("connection refused or failed: " + (reason.length() > 300 ? reason.substring(0, 300) + "..." : reason));
    } else {
      suppressed++;
    }
  }
}
