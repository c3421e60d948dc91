package rund.job;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * An instance's record of its running jobs' main processes ("pid starttime" lines), so that a successor can
 * kill the process groups a SIGKILLed daemon left behind. One append-only file for all jobs: appending a line
 * costs a fraction of creating a file per job, which Start pays on every launch. Ended jobs' lines are dropped
 * when the file is rewritten, once it holds mostly ended jobs, so it stays proportional to the running jobs.
 *
 * <p>Blocking (file I/O); called from worker threads, so every method is synchronized.
 */
final class ProcessJournal {
  static final String FILE_NAME = "processes";
  /** Lines the file may hold before a rewrite is considered, whatever the number of running jobs. */
  private static final int MIN_LINES_BEFORE_REWRITE = 4096;

  /** One recorded process: its pid and its start time in clock ticks since boot (-1 if it was unreadable). */
  record Entry(int pid, long startTime) {
    String line() {
      return pid + " " + startTime + "\n";
    }
  }

  private final Path file;
  private final Map<Integer, Entry> running = new LinkedHashMap<>();
  private int lines;

  ProcessJournal(Path jobsDirectory) {
    this.file = jobsDirectory.resolve(FILE_NAME);
  }

  /** Appends the process's line; each line is one write, which a kill cannot tear. */
  synchronized void record(int pid) throws IOException {
    OptionalLong start = InstanceDirectory.startTime(pid);
    Entry entry = new Entry(pid, start.isPresent() ? start.getAsLong() : -1);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      write(channel, entry.line());
    }
    running.put(pid, entry);
    lines++;
  }

  /** The job of this main process has ended and nothing of it is left to kill. */
  synchronized void forget(int pid) throws IOException {
    running.remove(pid);
    if (lines > Math.max(MIN_LINES_BEFORE_REWRITE, 4 * running.size())) {
      rewrite();
    }
  }

  /** Replaces the file with the running jobs' lines alone, atomically: a crash leaves the old or the new one. */
  private void rewrite() throws IOException {
    StringBuilder text = new StringBuilder();
    running.values().forEach(entry -> text.append(entry.line()));
    Path next = file.resolveSibling(FILE_NAME + ".next");
    try (FileChannel channel = FileChannel.open(next, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      write(channel, text.toString());
    }
    Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    lines = running.size();
  }

  private static void write(FileChannel channel, String text) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  /** The entries of the journal in {@code jobsDirectory}, none if there is none. */
  static List<Entry> read(Path jobsDirectory) throws IOException {
    Path file = jobsDirectory.resolve(FILE_NAME);
    List<Entry> entries = new ArrayList<>();
    if (!Files.exists(file)) {
      return entries;
    }
    for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
      String[] fields = line.trim().split(" ");
      try {
        if (fields.length == 2) {
          entries.add(new Entry(Integer.parseInt(fields[0]), Long.parseLong(fields[1])));
        }
      } catch (NumberFormatException malformed) {
        // Each line is one small write, which a kill cannot tear; a malformed line (a full disk) is skipped.
      }
    }
    return entries;
  }
}
