package rund.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EpollTest {
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private int[] pipe;

    @BeforeEach
    void openPipe() throws ErrnoException {
        pipe = Fds.pipe();
        Fds.setNonBlocking(pipe[0]);
    }

    @AfterEach
    void closePipe() {
        Fds.close(pipe[0]);
        Fds.close(pipe[1]);
    }

    @Test
    void reportsTheFullTokenOfAReadableFd() throws Throwable {
        // All 64 bits distinct, so a wrong epoll_event layout (packed vs. aligned) shows up as a garbled token.
        long token = 0x8877_6655_4433_2211L;
        try (Epoll epoll = Epoll.create()) {
            epoll.add(pipe[0], token);
            long[] tokens = new long[4];
            assertEquals(0, epoll.await(0, tokens), "empty pipe reported ready");
            TestLibc.write(pipe[1], "x");
            assertEquals(1, epoll.await(10_000, tokens));
            assertEquals(token, tokens[0]);
        }
    }

    @Test
    void reportsEachReadyFdWithItsTokenAndAtMostTokensLengthAtATime() throws Throwable {
        int[] second = Fds.pipe();
        try (Epoll epoll = Epoll.create()) {
            epoll.add(pipe[0], -1L);
            epoll.add(second[0], Long.MAX_VALUE);
            TestLibc.write(pipe[1], "a");
            TestLibc.write(second[1], "b");
            long[] one = new long[1];
            assertEquals(1, epoll.await(10_000, one));
            long first = one[0];
            long[] both = new long[4];
            assertEquals(2, epoll.await(10_000, both), "level-triggered: both still ready");
            long[] got = Arrays.copyOf(both, 2);
            Arrays.sort(got);
            assertArrayEquals(new long[] {-1L, Long.MAX_VALUE}, got);
            assertTrue(first == -1L || first == Long.MAX_VALUE);
        } finally {
            Fds.close(second[0]);
            Fds.close(second[1]);
        }
    }

    @Test
    void hangupOfAllWritersIsReported() throws Exception {
        try (Epoll epoll = Epoll.create(); Arena arena = Arena.ofConfined()) {
            epoll.add(pipe[0], 7);
            Fds.close(pipe[1]);
            pipe[1] = -1;
            long[] tokens = new long[2];
            assertEquals(1, epoll.await(10_000, tokens));
            assertEquals(7L, tokens[0]);
            assertEquals(0, Fds.read(pipe[0], arena.allocate(16)));
        }
    }

    @Test
    void removeStopsReportingAndIgnoresUnknownOrClosedFds() throws Throwable {
        try (Epoll epoll = Epoll.create()) {
            epoll.add(pipe[0], 1);
            TestLibc.write(pipe[1], "x");
            epoll.remove(pipe[0]);
            assertEquals(0, epoll.await(0, new long[2]));
            assertDoesNotThrow(() -> epoll.remove(pipe[0]));   // ENOENT
            assertDoesNotThrow(() -> epoll.remove(1_000_000)); // EBADF
        }
    }

    @Test
    void addingTheSameFdTwiceFails() throws Exception {
        try (Epoll epoll = Epoll.create()) {
            epoll.add(pipe[0], 1);
            ErrnoException e = assertThrows(ErrnoException.class, () -> epoll.add(pipe[0], 2));
            assertEquals(Errno.EEXIST, e.errno());
            assertEquals("epoll_ctl", e.call());
        }
    }

    @Test
    void wakeupMakesAnAwaitOnAnotherThreadReturnZeroEvents() throws Exception {
        try (Epoll epoll = Epoll.create()) {
            epoll.add(pipe[0], 1); // registered but never readable
            AtomicReference<Object> result = new AtomicReference<>();
            Thread waiter = Thread.ofPlatform().start(() -> {
                try {
                    result.set(epoll.await(-1, new long[4]));
                } catch (Throwable t) {
                    result.set(t);
                }
            });
            epoll.wakeup();
            waiter.join(DEADLINE);
            assertFalse(waiter.isAlive(), "await(-1) did not return after wakeup");
            assertEquals(0, result.get());
            // The wakeup was consumed: the next wait runs to its timeout instead of returning at once.
            long start = System.nanoTime();
            assertEquals(0, epoll.await(200, new long[4]));
            long waitedMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waitedMillis >= 150, "await(200) returned after " + waitedMillis + " ms: wakeup not drained");
        }
    }

    @Test
    void wakeupIsDrainedAndNotReportedAlongsideRealEvents() throws Throwable {
        try (Epoll epoll = Epoll.create()) {
            epoll.add(pipe[0], 5);
            TestLibc.write(pipe[1], "x");
            epoll.wakeup();
            epoll.wakeup();
            long[] tokens = new long[4];
            assertEquals(1, epoll.await(10_000, tokens));
            assertEquals(5L, tokens[0]);
        }
    }

    @Test
    void theWakeupTokenIsReserved() throws Exception {
        try (Epoll epoll = Epoll.create()) {
            assertThrows(IllegalArgumentException.class, () -> epoll.add(pipe[0], Epoll.WAKEUP_TOKEN));
            assertThrows(IllegalArgumentException.class, () -> epoll.await(0, new long[0]));
        }
    }

    @Test
    void closeWakesABlockedAwaitAndLaterCallsAreRefusedOrIgnored() throws Exception {
        Epoll epoll = Epoll.create();
        epoll.add(pipe[0], 1);
        AtomicReference<Object> result = new AtomicReference<>();
        Thread waiter = Thread.ofPlatform().start(() -> {
            try {
                result.set(epoll.await(-1, new long[4]));
            } catch (Throwable t) {
                result.set(t);
            }
        });
        epoll.close();
        waiter.join(DEADLINE);
        assertFalse(waiter.isAlive(), "await(-1) did not return after close");
        // Either it was waiting (woken, 0 events) or it started after close (refused).
        Object r = result.get();
        assertTrue(Integer.valueOf(0).equals(r) || r instanceof IllegalStateException, String.valueOf(r));

        assertThrows(IllegalStateException.class, () -> epoll.await(0, new long[1]));
        assertThrows(IllegalStateException.class, () -> epoll.add(pipe[0], 2));
        assertDoesNotThrow(() -> epoll.remove(pipe[0]));
        assertDoesNotThrow(epoll::wakeup);
        assertDoesNotThrow(epoll::close);
    }
}
