package rund.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * Raw file descriptor operations on plain int fds. Java's channels cannot adopt an fd number, and the daemon
 * needs the numbers themselves: to hand pipe ends to posix_spawn and to register them with {@link Epoll}.
 */
public final class Fds {
    private Fds() {}

    // Identical on x86_64 and aarch64.
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;

    private static final MethodHandle PIPE2 = Native.functionWithErrno("pipe2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    /** fcntl is variadic: its third argument must be passed as a variadic int (and is ignored by F_GETFL). */
    private static final MethodHandle FCNTL = Native.functionWithErrno("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle READ = Native.functionWithErrno("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = Native.functionWithErrno("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle CLOSE = Native.function("close",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle MKFIFO = Native.functionWithErrno("mkfifo",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));

    /**
     * pipe2(O_CLOEXEC); returns {readFd, writeFd}. Close-on-exec so that a pipe made for one job never leaks into
     * another job spawned concurrently (posix_spawn closes them anyway, but other exec paths in the JVM may not).
     */
    public static int[] pipe() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            MemorySegment state = Native.callState();
            int rc;
            try {
                rc = (int) PIPE2.invokeExact(state, fds, O_CLOEXEC);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            if (rc != 0) {
                throw new ErrnoException("pipe2", Native.errno(state));
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    /** fcntl F_GETFL/F_SETFL O_NONBLOCK: the epoll thread must never block on one job's pipe. */
    public static void setNonBlocking(int fd) throws ErrnoException {
        int flags = fcntl(fd, F_GETFL, 0);
        if ((flags & O_NONBLOCK) == 0) {
            fcntl(fd, F_SETFL, flags | O_NONBLOCK);
        }
    }

    /** The file status flags (open(2) flags) of fd; package-private for tests. */
    static int statusFlags(int fd) throws ErrnoException {
        return fcntl(fd, F_GETFL, 0);
    }

    private static int fcntl(int fd, int cmd, int arg) throws ErrnoException {
        MemorySegment state = Native.callState();
        while (true) {
            int rc;
            try {
                rc = (int) FCNTL.invokeExact(state, fd, cmd, arg);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            if (rc != -1) {
                return rc;
            }
            int errno = Native.errno(state);
            if (errno != Errno.EINTR) {
                throw new ErrnoException("fcntl", Integer.toString(fd), errno);
            }
        }
    }

    /**
     * read(2) into seg (up to seg.byteSize(), which must be a native segment). Returns bytes read, 0 at EOF,
     * -1 when EAGAIN (non-blocking, nothing ready). Retries EINTR.
     */
    public static int read(int fd, MemorySegment seg) throws ErrnoException {
        // read(2) transfers at most 0x7ffff000 bytes anyway; capping keeps the result an int.
        long length = Math.min(seg.byteSize(), Integer.MAX_VALUE);
        MemorySegment state = Native.callState();
        while (true) {
            long n;
            try {
                n = (long) READ.invokeExact(state, fd, seg, length);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            if (n >= 0) {
                return (int) n;
            }
            int errno = Native.errno(state);
            if (errno == Errno.EAGAIN) {
                return -1;
            }
            if (errno != Errno.EINTR) {
                throw new ErrnoException("read", Integer.toString(fd), errno);
            }
        }
    }

    /**
     * Writes one 8-byte eventfd counter increment from a per-thread buffer; used by {@link Epoll#wakeup()}.
     * EAGAIN (counter saturated) is fine: a wakeup is already pending.
     */
    static void writeEventCounter(int fd, MemorySegment eightBytes) {
        MemorySegment state = Native.callState();
        while (true) {
            long n;
            try {
                n = (long) WRITE.invokeExact(state, fd, eightBytes, 8L);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            if (n >= 0 || Native.errno(state) != Errno.EINTR) {
                return;
            }
        }
    }

    /**
     * close(2), ignoring errors: it is only used on fds we own, and on Linux the fd is released even when close
     * reports EINTR or EIO, so retrying could close an fd another thread has just been given.
     */
    public static void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** mkfifo(3) with the given permission bits (still subject to the umask). */
    public static void mkfifo(Path path, int mode) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cPath = Native.cString(arena, path.toString(), "path");
            MemorySegment state = Native.callState();
            int rc;
            try {
                rc = (int) MKFIFO.invokeExact(state, cPath, mode);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            if (rc != 0) {
                throw new ErrnoException("mkfifo", path.toString(), Native.errno(state));
            }
        }
    }
}
