package rund.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** errno values (identical on x86_64 and aarch64 Linux) and their descriptions. */
public final class Errno {
    private Errno() {}

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int ENOEXEC = 8;
    public static final int EBADF = 9;
    public static final int ECHILD = 10;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EINVAL = 22;

    /**
     * strerrordesc_np (glibc >= 2.32) rather than strerror_r: it is thread-safe, needs no buffer and is not
     * translated, so messages in the daemon's logs and API do not depend on the locale it was started in.
     * It returns NULL for an unknown number. The returned string is static; 256 bytes bound the read.
     */
    @SuppressWarnings("restricted")
    private static final MethodHandle STRERRORDESC_NP = Native.function("strerrordesc_np",
            FunctionDescriptor.of(ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(256, JAVA_BYTE)), JAVA_INT));

    /** The C library's description, e.g. "No such file or directory"; "Unknown error N" for unknown numbers. */
    public static String describe(int errno) {
        MemorySegment text;
        try {
            text = (MemorySegment) STRERRORDESC_NP.invokeExact(errno);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return text.equals(MemorySegment.NULL) ? "Unknown error " + errno : text.getString(0);
    }
}
