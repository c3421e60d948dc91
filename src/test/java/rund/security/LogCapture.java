package rund.security;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Collects what a java.util.logging logger (and its children) logs while it is open. */
final class LogCapture extends Handler implements AutoCloseable {
  private final Logger logger;
  private final BlockingQueue<LogRecord> records = new LinkedBlockingQueue<>();
  private final List<LogRecord> seen = new ArrayList<>();

  private LogCapture(Logger logger) {
    this.logger = logger;
  }

  /** Starts capturing {@code name}; the logger is held here, so its handler stays attached. */
  static LogCapture of(String name) {
    LogCapture capture = new LogCapture(Logger.getLogger(name));
    capture.setLevel(Level.ALL);
    capture.logger.addHandler(capture);
    return capture;
  }

  @Override
  public void publish(LogRecord record) {
    records.add(record);
  }

  /**
   * Waits for a record that {@code matches}, logged since this capture started; fails the test if none
   * arrives within {@code seconds}. The wait ends as soon as the record is logged.
   */
  synchronized LogRecord await(Predicate<LogRecord> matches, long seconds) throws InterruptedException {
    for (LogRecord record : seen) {
      if (matches.test(record)) {
        return record;
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      LogRecord record = records.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (record == null) {
        throw new AssertionError("nothing matching was logged within " + seconds + " s; logged: " + messages());
      }
      seen.add(record);
      if (matches.test(record)) {
        return record;
      }
    }
  }

  /** Every record logged so far. */
  synchronized List<LogRecord> records() {
    records.drainTo(seen);
    return List.copyOf(seen);
  }

  /** Every message logged so far. */
  synchronized List<String> messages() {
    return records().stream().map(LogRecord::getMessage).toList();
  }

  /** Forgets what was logged so far. */
  synchronized void clear() {
    records.clear();
    seen.clear();
  }

  @Override
  public void flush() {}

  @Override
  public void close() {
    logger.removeHandler(this);
  }
}
