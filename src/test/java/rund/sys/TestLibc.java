package rund.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/** libc calls that only the tests need: to create conditions (leaky fds, blocked signals) the code must handle. */
final class TestLibc {
    private TestLibc() {}

    private static final int F_DUPFD = 0;
    private static final int SIG_BLOCK = 0;
    private static final int SIG_SETMASK = 2;

    private static final MethodHandle FCNTL = Native.function("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle WRITE = Native.function("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle SIGEMPTYSET = Native.function("sigemptyset",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SIGADDSET = Native.function("sigaddset",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle PTHREAD_SIGMASK = Native.function("pthread_sigmask",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SIGNAL = Native.function("signal",
            FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS));

    /** F_DUPFD: a copy of fd at the lowest free number >= min, WITHOUT close-on-exec. */
    static int dupAtLeast(int fd, int min) throws Throwable {
        int copy = (int) FCNTL.invokeExact(fd, F_DUPFD, min);
        if (copy < 0) {
            throw new IllegalStateException("fcntl(F_DUPFD) failed");
        }
        return copy;
    }

    static void write(int fd, String text) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            MemorySegment buf = arena.allocate(bytes.length);
            buf.copyFrom(MemorySegment.ofArray(bytes));
            long n = (long) WRITE.invokeExact(fd, buf, (long) bytes.length);
            if (n != bytes.length) {
                throw new IllegalStateException("short write: " + n);
            }
        }
    }

    /** Blocks signal in the calling thread only; returns a segment holding the previous mask for restoreMask. */
    static MemorySegment blockSignal(Arena arena, int signal) throws Throwable {
        MemorySegment set = arena.allocate(128, 8);
        MemorySegment old = arena.allocate(128, 8);
        if ((int) SIGEMPTYSET.invokeExact(set) != 0 || (int) SIGADDSET.invokeExact(set, signal) != 0
                || (int) PTHREAD_SIGMASK.invokeExact(SIG_BLOCK, set, old) != 0) {
            throw new IllegalStateException("pthread_sigmask failed");
        }
        return old;
    }

    static void restoreMask(MemorySegment old) throws Throwable {
        if ((int) PTHREAD_SIGMASK.invokeExact(SIG_SETMASK, old, MemorySegment.NULL) != 0) {
            throw new IllegalStateException("pthread_sigmask failed");
        }
    }

    /** signal(2) with SIG_IGN; returns the previous handler for {@link #setHandler}. */
    static MemorySegment ignore(int signal) throws Throwable {
        return setHandler(signal, MemorySegment.ofAddress(1)); // SIG_IGN
    }

    static MemorySegment setHandler(int signal, MemorySegment handler) throws Throwable {
        MemorySegment previous = (MemorySegment) SIGNAL.invokeExact(signal, handler);
        if (previous.address() == -1L) { // SIG_ERR
            throw new IllegalStateException("signal failed");
        }
        return previous;
    }
}
