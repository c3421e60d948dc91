package rund.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * An epoll instance for one dedicated thread that reads the output pipes and pidfds of all jobs: level-triggered
 * EPOLLIN interest; each fd carries a caller-chosen long token (epoll_data.u64). One thread for all jobs keeps
 * each job's stdout/stderr in the order the bytes became readable and needs no thread per job.
 *
 * <p>{@link #add} and {@link #remove} may be called from any thread while another thread waits in
 * {@link #await}; the kernel applies them to the running wait. {@link #wakeup} and {@link #close} are safe from
 * any thread too: close wakes a waiting {@code await}, waits for it to leave, and only then closes the fds, so a
 * late call can never act on an fd number the process has meanwhile reused for something else.
 */
public final class Epoll implements AutoCloseable {
    /** The token of the internal wakeup eventfd; {@link #add} refuses it and {@link #await} never reports it. */
    public static final long WAKEUP_TOKEN = Long.MIN_VALUE;

    private static final int EPOLL_CLOEXEC = 0x80000;
    private static final int EFD_CLOEXEC = 0x80000;
    private static final int EFD_NONBLOCK = 0x800;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_DEL = 2;
    private static final int EPOLLIN = 0x1;

    /**
     * struct epoll_event {uint32_t events; uint64_t data;} is declared packed on x86_64 only (12 bytes, data at 4);
     * elsewhere, aarch64 included, data is naturally aligned (16 bytes, data at 8).
     */
    private static final long EVENT_BYTES = Native.X86_64 ? 12 : 16;
    private static final long DATA_OFFSET = Native.X86_64 ? 4 : 8;

    private static final MethodHandle EPOLL_CREATE1 = Native.functionWithErrno("epoll_create1",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle EVENTFD = Native.functionWithErrno("eventfd",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle EPOLL_CTL = Native.functionWithErrno("epoll_ctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle EPOLL_WAIT = Native.functionWithErrno("epoll_wait",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));

    /** The eventfd increment written by wakeup(); only ever read by write(2), so one shared copy serves all threads. */
    private static final MemorySegment ONE = Arena.global().allocate(JAVA_LONG);

    static {
        ONE.set(JAVA_LONG, 0, 1L);
    }

    private final int epfd;
    private final int eventFd;
    /** Read side: any use of epfd (add, remove, await). Write side: close, once no use is in flight. */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    /** Orders wakeup() writes against close() marking the instance closed. */
    private final Object wakeLock = new Object();
    private volatile boolean closed;

    private Epoll(int epfd, int eventFd) {
        this.epfd = epfd;
        this.eventFd = eventFd;
    }

    /** epoll_create1(EPOLL_CLOEXEC) plus an eventfd(0, EFD_CLOEXEC|EFD_NONBLOCK) registered for {@link #wakeup}. */
    public static Epoll create() throws ErrnoException {
        MemorySegment state = Native.callState();
        int epfd;
        int eventFd;
        try {
            epfd = (int) EPOLL_CREATE1.invokeExact(state, EPOLL_CLOEXEC);
            if (epfd < 0) {
                throw new ErrnoException("epoll_create1", Native.errno(state));
            }
            eventFd = (int) EVENTFD.invokeExact(state, 0, EFD_CLOEXEC | EFD_NONBLOCK);
            if (eventFd < 0) {
                int errno = Native.errno(state);
                Fds.close(epfd);
                throw new ErrnoException("eventfd", errno);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        Epoll epoll = new Epoll(epfd, eventFd);
        try {
            epoll.control(EPOLL_CTL_ADD, eventFd, WAKEUP_TOKEN);
        } catch (ErrnoException e) {
            epoll.close();
            throw e;
        }
        return epoll;
    }

    /**
     * EPOLL_CTL_ADD with EPOLLIN (EPOLLHUP/EPOLLERR are always reported, so a pipe whose writers all closed shows
     * up too). Level-triggered: an fd stays reported until drained or removed.
     *
     * @throws IllegalArgumentException for {@link #WAKEUP_TOKEN}
     * @throws IllegalStateException    after close
     */
    public void add(int fd, long token) throws ErrnoException {
        if (token == WAKEUP_TOKEN) {
            throw new IllegalArgumentException("token " + token + " is reserved for wakeups");
        }
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            control(EPOLL_CTL_ADD, fd, token);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * EPOLL_CTL_DEL. ENOENT/EBADF are ignored: the fd may already be closed (the kernel then dropped it itself);
     * a no-op after close.
     */
    public void remove(int fd) throws ErrnoException {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                return;
            }
            control(EPOLL_CTL_DEL, fd, 0);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.ENOENT && e.errno() != Errno.EBADF) {
                throw e;
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private void control(int op, int fd, long token) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment event = MemorySegment.NULL; // EPOLL_CTL_DEL ignores the event (since Linux 2.6.9)
            if (op != EPOLL_CTL_DEL) {
                event = arena.allocate(EVENT_BYTES, 8);
                event.set(JAVA_INT, 0, EPOLLIN);
                event.set(JAVA_LONG_UNALIGNED, DATA_OFFSET, token);
            }
            MemorySegment state = Native.callState();
            int rc;
            try {
                rc = (int) EPOLL_CTL.invokeExact(state, epfd, op, fd, event);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            if (rc != 0) {
                throw new ErrnoException("epoll_ctl", (op == EPOLL_CTL_ADD ? "ADD " : "DEL ") + fd,
                        Native.errno(state));
            }
        }
    }

    /**
     * epoll_wait for up to tokens.length events; fills tokens with the ready fds' tokens and returns the count.
     * A {@link #wakeup} makes it return (its event is drained and not reported, so the count may be 0).
     * EINTR returns 0. timeoutMillis -1 waits forever.
     *
     * @throws IllegalStateException after close (a close during the wait makes the wait itself return 0)
     */
    public int await(int timeoutMillis, long[] tokens) throws ErrnoException {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("tokens must have room for at least one event");
        }
        lifecycle.readLock().lock();
        try (Arena arena = Arena.ofConfined()) {
            ensureOpen();
            MemorySegment events = arena.allocate(EVENT_BYTES * tokens.length, 8);
            MemorySegment state = Native.callState();
            int n;
            try {
                n = (int) EPOLL_WAIT.invokeExact(state, epfd, events, tokens.length, timeoutMillis);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            if (n < 0) {
                int errno = Native.errno(state);
                if (errno == Errno.EINTR) {
                    return 0;
                }
                throw new ErrnoException("epoll_wait", errno);
            }
            int count = 0;
            for (int i = 0; i < n; i++) {
                long token = events.get(JAVA_LONG_UNALIGNED, i * EVENT_BYTES + DATA_OFFSET);
                if (token == WAKEUP_TOKEN) {
                    drainWakeups(arena);
                } else {
                    tokens[count++] = token;
                }
            }
            return count;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * Resets the eventfd so the next await blocks again. Once closing, the eventfd is left readable so that every
     * waiting thread returns and close() can proceed; if a drain raced with close() and swallowed its write, the
     * write is put back.
     */
    private void drainWakeups(Arena arena) throws ErrnoException {
        if (closed) {
            return;
        }
        Fds.read(eventFd, arena.allocate(JAVA_LONG)); // -1 (EAGAIN) if another thread drained it first
        if (closed) {
            Fds.writeEventCounter(eventFd, ONE);
        }
    }

    /** Thread-safe: makes a blocked (or the next) await() return, by writing 1 to the eventfd. No-op after close. */
    public void wakeup() {
        synchronized (wakeLock) {
            if (!closed) {
                Fds.writeEventCounter(eventFd, ONE);
            }
        }
    }

    /**
     * Wakes any await in progress, waits for in-flight calls to leave, then closes the epoll fd and the eventfd.
     * The registered fds themselves stay open: they belong to the caller. Idempotent.
     */
    @Override
    public void close() {
        synchronized (wakeLock) {
            if (closed) {
                return;
            }
            closed = true;
            Fds.writeEventCounter(eventFd, ONE);
        }
        lifecycle.writeLock().lock();
        try {
            Fds.close(eventFd);
            Fds.close(epfd);
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("epoll instance is closed");
        }
    }
}
