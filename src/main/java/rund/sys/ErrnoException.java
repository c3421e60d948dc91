package rund.sys;

import java.io.IOException;

/**
 * A failed system call: carries errno and the call name, so callers can tell "command not found" (ENOENT) from
 * "permission denied" (EACCES) without parsing messages.
 * Message like {@code posix_spawn(/bin/nope): No such file or directory (errno 2)}.
 */
public final class ErrnoException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int errno;
    private final String call;

    /** @param call the C function that failed, e.g. {@code "epoll_ctl"} */
    public ErrnoException(String call, int errno) {
        this(call, null, errno);
    }

    /**
     * @param call the C function that failed, e.g. {@code "posix_spawn"}
     * @param subject what it was called on, shown in parentheses (e.g. the executable); may be null
     */
    public ErrnoException(String call, String subject, int errno) {
        super((subject == null ? call : call + "(" + subject + ")") + ": " + Errno.describe(errno)
                + " (errno " + errno + ")");
        this.call = call;
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    public String call() {
        return call;
    }
}
