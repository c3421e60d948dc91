package rund.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ErrnoTest {

    @Test
    void describesKnownNumbersInEnglish() {
        assertEquals("No such file or directory", Errno.describe(Errno.ENOENT));
        assertEquals("Permission denied", Errno.describe(Errno.EACCES));
        assertEquals("No such process", Errno.describe(Errno.ESRCH));
        assertEquals("Exec format error", Errno.describe(Errno.ENOEXEC));
    }

    @Test
    void describesUnknownNumbers() {
        assertEquals("Unknown error 99999", Errno.describe(99999));
        assertEquals("Unknown error -1", Errno.describe(-1));
    }

    @Test
    void exceptionCarriesCallErrnoAndReadableMessage() {
        ErrnoException e = new ErrnoException("posix_spawn", "/bin/nope", Errno.ENOENT);
        assertEquals("posix_spawn(/bin/nope): No such file or directory (errno 2)", e.getMessage());
        assertEquals("posix_spawn", e.call());
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("epoll_create1: Operation not permitted (errno 1)",
                new ErrnoException("epoll_create1", Errno.EPERM).getMessage());
    }
}
