package rund.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A spawned test child with its stdout/stderr pipes and pidfd, collected the way the daemon will: one Epoll over
 * both pipes and the pidfd, with a hard deadline instead of sleeps.
 */
final class Child implements AutoCloseable {
    static final Duration DEADLINE = Duration.ofSeconds(20);
    static final List<String> ENV = List.of("PATH=/usr/bin:/bin", "LC_ALL=C");

    private static final long OUT = 1;
    private static final long ERR = 2;
    private static final long EXIT = 3;

    final int pid;
    final int pidfd;
    final int stdoutFd;
    final int stderrFd;
    private boolean reaped;

    record Result(String out, String err, ExitStatus status) {}

    private Child(int pid, int pidfd, int stdoutFd, int stderrFd) {
        this.pid = pid;
        this.pidfd = pidfd;
        this.stdoutFd = stdoutFd;
        this.stderrFd = stderrFd;
    }

    static Child start(String... argv) throws ErrnoException {
        return start(List.of(argv), ENV, null);
    }

    static Child start(List<String> argv, List<String> env, Path workingDirectory) throws ErrnoException {
        int[] out = Fds.pipe();
        int[] err = Fds.pipe();
        int pid;
        try {
            pid = Processes.spawn(new SpawnRequest(argv.getFirst(), argv, env, workingDirectory, out[1], err[1]));
        } catch (ErrnoException | RuntimeException e) {
            Fds.close(out[0]);
            Fds.close(err[0]);
            throw e;
        } finally {
            // The child has its own copies; ours must go or the read ends never see EOF.
            Fds.close(out[1]);
            Fds.close(err[1]);
        }
        Fds.setNonBlocking(out[0]);
        Fds.setNonBlocking(err[0]);
        return new Child(pid, Processes.pidfdOpen(pid), out[0], err[0]);
    }

    /** Runs argv to completion: both outputs to EOF and the exit status. */
    static Result run(String... argv) throws ErrnoException {
        try (Child child = start(argv)) {
            return child.finish();
        }
    }

    /** Reads stdout and stderr to EOF and reaps the child, all through one Epoll, failing at the deadline. */
    Result finish() throws ErrnoException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ExitStatus status = null;
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        try (Epoll epoll = Epoll.create(); Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(4096);
            epoll.add(stdoutFd, OUT);
            epoll.add(stderrFd, ERR);
            epoll.add(pidfd, EXIT);
            Set<Long> open = new HashSet<>(Set.of(OUT, ERR, EXIT));
            long[] tokens = new long[8];
            while (!open.isEmpty()) {
                int n = epoll.await(remainingMillis(deadline, "child " + pid + " to finish; still open " + open),
                        tokens);
                for (int i = 0; i < n; i++) {
                    long token = tokens[i];
                    if (token == EXIT) {
                        status = Processes.waitNoHang(pid);
                        assertNotNull(status, "pidfd readable but waitNoHang found no exit");
                        reaped = true;
                        epoll.remove(pidfd);
                        open.remove(EXIT);
                    } else {
                        int fd = token == OUT ? stdoutFd : stderrFd;
                        if (drain(fd, buffer, token == OUT ? out : err)) {
                            epoll.remove(fd);
                            open.remove(token);
                        }
                    }
                }
            }
        }
        return new Result(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), status);
    }

    /** Reads what is ready; true at EOF. */
    private static boolean drain(int fd, MemorySegment buffer, ByteArrayOutputStream sink) throws ErrnoException {
        while (true) {
            int n = Fds.read(fd, buffer);
            if (n == 0) {
                return true;
            }
            if (n < 0) {
                return false;
            }
            sink.writeBytes(buffer.asSlice(0, n).toArray(JAVA_BYTE));
        }
    }

    /** Reads stdout up to and including the first newline, while the child keeps running. */
    String readLine() throws ErrnoException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        try (Epoll epoll = Epoll.create(); Arena arena = Arena.ofConfined()) {
            MemorySegment oneByte = arena.allocate(1);
            epoll.add(stdoutFd, OUT);
            long[] tokens = new long[1];
            while (true) {
                int n = Fds.read(stdoutFd, oneByte);
                if (n == 0) {
                    fail("EOF before a newline; got: " + line);
                } else if (n > 0) {
                    byte b = oneByte.get(JAVA_BYTE, 0);
                    if (b == '\n') {
                        return line.toString(StandardCharsets.UTF_8);
                    }
                    line.write(b);
                } else {
                    epoll.await(remainingMillis(deadline, "a line from child " + pid), tokens);
                }
            }
        }
    }

    /** Waits for the pidfd and reaps; fails at the deadline. */
    ExitStatus awaitExit() throws ErrnoException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        try (Epoll epoll = Epoll.create()) {
            epoll.add(pidfd, EXIT);
            long[] tokens = new long[1];
            while (epoll.await(remainingMillis(deadline, "child " + pid + " to exit"), tokens) == 0) {
                // EINTR or a spurious return: wait again
            }
            ExitStatus status = Processes.waitNoHang(pid);
            assertNotNull(status, "pidfd readable but waitNoHang found no exit");
            reaped = true;
            return status;
        }
    }

    /** For a test that reaped the child itself, so close() does not try to kill and reap a pid no longer ours. */
    void markReaped() {
        reaped = true;
    }

    static int remainingMillis(long deadlineNanos, String waitingFor) {
        long left = deadlineNanos - System.nanoTime();
        assertTrue(left > 0, "timed out waiting for " + waitingFor);
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000));
    }

    /** Kills and reaps a child a failed test left running, and closes our fds. */
    @Override
    public void close() throws ErrnoException {
        try {
            if (!reaped) {
                Processes.kill(pid, Signals.SIGKILL);
                awaitExit();
            }
        } finally {
            Fds.close(stdoutFd);
            Fds.close(stderrFd);
            Fds.close(pidfd);
        }
    }
}
