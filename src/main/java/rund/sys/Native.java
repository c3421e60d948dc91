package rund.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * Shared plumbing for the downcalls of this package: the native linker, libc symbol lookup and errno capture.
 *
 * <p>errno is captured by the linker stub right after the call ({@code captureCallState}), because anything the
 * JVM runs between our call and a later read of the thread's errno (GC, safepoints, class loading) may overwrite
 * it. The capture buffer is per thread so that every class here can be used from any thread without locking.
 */
final class Native {
    private Native() {}

    static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();

    /**
     * Only x86_64 and aarch64 Linux are supported: struct layouts (epoll_event, siginfo_t) and the syscall number
     * of pidfd_open are written down for those two. Failing here beats silently misreading memory elsewhere.
     */
    static final boolean X86_64 = detectArch();

    private static final StructLayout CALL_STATE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CALL_STATE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** Auto arena: the buffer is freed by the GC once its thread is gone. */
    private static final ThreadLocal<MemorySegment> CALL_STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE_LAYOUT));

    private static boolean detectArch() {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        if (!os.equals("Linux") || ValueLayout.ADDRESS.byteSize() != 8) {
            throw new UnsupportedOperationException("rund.sys needs 64-bit Linux, not " + os + "/" + arch);
        }
        return switch (arch) {
            case "amd64", "x86_64" -> true;
            case "aarch64" -> false;
            default -> throw new UnsupportedOperationException("rund.sys supports x86_64 and aarch64, not " + arch);
        };
    }

    /** A downcall handle for a libc function that reports errors through its return value only. */
    @SuppressWarnings("restricted") // the point of this package; the descriptors below are checked against the C headers
    static MethodHandle function(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LIBC.find(name).orElseThrow(() ->
                new UnsatisfiedLinkError("libc has no " + name + " (rund needs glibc >= 2.34)"));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /**
     * A downcall handle that captures errno: the handle takes an extra leading {@link MemorySegment} argument,
     * pass {@link #callState()} there and read the result with {@link #errno(MemorySegment)}.
     */
    static MethodHandle functionWithErrno(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = Arrays.copyOf(options, options.length + 1);
        all[options.length] = CAPTURE_ERRNO;
        return function(name, descriptor, all);
    }

    /** This thread's errno capture buffer. */
    static MemorySegment callState() {
        return CALL_STATE.get();
    }

    static int errno(MemorySegment callState) {
        return (int) ERRNO.get(callState, 0L);
    }

    /**
     * Downcall handles declare {@code throws Throwable}; a downcall itself throws nothing checked, so anything
     * caught is a programming error (wrong argument types) and goes on unchecked.
     */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("unexpected exception from a native call", t);
    }

    /** A NUL-terminated UTF-8 copy of s; a NUL inside s would silently cut it short in C, so it is refused. */
    static MemorySegment cString(Arena arena, String s, String what) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " contains a NUL character");
        }
        return arena.allocateFrom(s);
    }
}
