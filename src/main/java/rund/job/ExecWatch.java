package rund.job;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import rund.sys.Fds;

/**
 * Watches a released launch step until it has exec'd the command, so that an exec that fails (a script whose
 * interpreter is missing, a binary for another machine) is a Start error rather than a job that "exits 127".
 *
 * <p>Linux announces no exec to a parent, so this polls /proc/PID on a worker thread, with a short back-off
 * and a deadline; an exec takes about a millisecond. The launch step's command line contains the job's
 * unique FIFO path until the exec replaces it. A launch step that died before that is still an unreaped
 * zombie whose /proc/PID/stat keeps its name and wait status, and whose error message is in the stderr pipe.
 */
final class ExecWatch {
  private ExecWatch() {}

  /** Returns null once the command runs (or ran), else the launch step's error message. */
  static String awaitExec(int pid, String marker, String launchScript, int stderrFd, Duration timeout)
      throws IOException {
    Path proc = Path.of("/proc", Integer.toString(pid));
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = 20_000;
    while (System.nanoTime() < deadline) {
      // The command line first: a zombie's is empty, so the state read after it tells an exec from a death.
      byte[] cmdline = Files.readAllBytes(proc.resolve("cmdline"));
      String stat = Files.readString(proc.resolve("stat"), StandardCharsets.ISO_8859_1).strip();
      int close = stat.lastIndexOf(')');
      String name = stat.substring(stat.indexOf('(') + 1, close);
      String[] fields = stat.substring(close + 2).split(" ");
      if (fields[0].equals("Z")) {
        // Field 52 (exit_code, Linux 3.5+) is the wait status; fields[] starts at field 3.
        int status = fields.length > 49 ? Integer.parseInt(fields[49]) : 0;
        int code = (status >> 8) & 0xff;
        boolean launchStep = name.equals("sh") && (status & 0x7f) == 0 && (code == 126 || code == 127);
        String message = launchStep ? drain(stderrFd) : "";
        // The shell prefixes its own errors with its script's path: the command's output never starts so.
        boolean execFailed = message.startsWith(launchScript + ": ") && message.contains(": exec: ");
        return execFailed ? message.substring(message.indexOf(": exec: ") + 8).strip() : null;
      }
      // An empty command line while not yet a zombie is a process between releasing its memory and its
      // death: keep looking. (A command that blanks its own argv only costs Start the deadline.)
      if (cmdline.length > 0 && !new String(cmdline, StandardCharsets.UTF_8).contains(marker)) {
        return null;
      }
      LockSupport.parkNanos(pause);
      pause = Math.min(pause * 2, 1_000_000);
    }
    return null;
  }

  private static String drain(int fd) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buffer = arena.allocate(4096);
      int n = Fds.read(fd, buffer);
      return n > 0 ? new String(buffer.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8) : "";
    }
  }
}
