package rund.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FdsTest {

    @Test
    void pipeEndsAreCloseOnExec() throws Exception {
        int[] pipe = Fds.pipe();
        try {
            assertNotEquals(pipe[0], pipe[1]);
            for (int fd : pipe) {
                // /proc/self/fdinfo shows the open flags in octal, O_CLOEXEC included.
                String flags = Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd)).stream()
                        .filter(l -> l.startsWith("flags:")).findFirst().orElseThrow();
                int value = Integer.parseInt(flags.substring("flags:".length()).strip(), 8);
                assertEquals(Fds.O_CLOEXEC, value & Fds.O_CLOEXEC, "fd " + fd + " " + flags);
            }
        } finally {
            Fds.close(pipe[0]);
            Fds.close(pipe[1]);
        }
    }

    @Test
    void setNonBlockingSetsONonblockAndKeepsOtherFlags() throws Exception {
        int[] pipe = Fds.pipe();
        try {
            int before = Fds.statusFlags(pipe[0]);
            assertEquals(0, before & Fds.O_NONBLOCK);
            Fds.setNonBlocking(pipe[0]);
            assertEquals(before | Fds.O_NONBLOCK, Fds.statusFlags(pipe[0]));
            Fds.setNonBlocking(pipe[0]); // idempotent
            assertEquals(before | Fds.O_NONBLOCK, Fds.statusFlags(pipe[0]));
        } finally {
            Fds.close(pipe[0]);
            Fds.close(pipe[1]);
        }
    }

    @Test
    void readReturnsMinusOneWhenEmptyThenDataThenZeroAtEof() throws Throwable {
        int[] pipe = Fds.pipe();
        try (Arena arena = Arena.ofConfined()) {
            Fds.setNonBlocking(pipe[0]);
            MemorySegment buf = arena.allocate(64);
            assertEquals(-1, Fds.read(pipe[0], buf));

            TestLibc.write(pipe[1], "hello");
            assertEquals(5, Fds.read(pipe[0], buf));
            assertEquals("hello", new String(buf.asSlice(0, 5).toArray(JAVA_BYTE), StandardCharsets.UTF_8));

            TestLibc.write(pipe[1], "abcdef");
            assertEquals(4, Fds.read(pipe[0], buf.asSlice(0, 4)), "read must not exceed the segment");
            assertEquals(2, Fds.read(pipe[0], buf));

            Fds.close(pipe[1]);
            pipe[1] = -1;
            assertEquals(0, Fds.read(pipe[0], buf));
        } finally {
            Fds.close(pipe[0]);
            Fds.close(pipe[1]);
        }
    }

    @Test
    void readOfABadFdThrowsEbadf() {
        try (Arena arena = Arena.ofConfined()) {
            ErrnoException e = assertThrows(ErrnoException.class, () -> Fds.read(-1, arena.allocate(8)));
            assertEquals(Errno.EBADF, e.errno());
            assertEquals("read", e.call());
        }
    }

    @Test
    void mkfifoCreatesAFifoAndReportsEexist(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("fifo");
        Fds.mkfifo(fifo, 0600);
        int mode = (int) Files.getAttribute(fifo, "unix:mode");
        assertEquals(0010000, mode & 0170000, "S_IFIFO expected, mode " + Integer.toOctalString(mode));
        assertEquals(0600, mode & 0777);
        assertTrue(Files.readAttributes(fifo, java.nio.file.attribute.BasicFileAttributes.class).isOther());

        ErrnoException e = assertThrows(ErrnoException.class, () -> Fds.mkfifo(fifo, 0600));
        assertEquals(Errno.EEXIST, e.errno());
        assertTrue(e.getMessage().startsWith("mkfifo(" + fifo + "): "), e.getMessage());
    }
}
