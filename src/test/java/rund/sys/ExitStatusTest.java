package rund.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ExitStatusTest {

    @Test
    void exitAndSignalStayApart() {
        ExitStatus exited = ExitStatus.exited(137);
        ExitStatus killed = ExitStatus.killed(Signals.SIGKILL, false);
        assertFalse(exited.signaled());
        assertEquals(137, exited.exitCode());
        assertTrue(killed.signaled());
        assertEquals(9, killed.signal());
        assertNotEquals(exited, killed);
        assertEquals("exited 137", exited.toString());
        assertEquals("killed by SIGKILL", killed.toString());
        assertEquals("killed by SIGSEGV (core dumped)", ExitStatus.killed(Signals.SIGSEGV, true).toString());
    }

    @Test
    void rejectsInconsistentCombinations() {
        assertThrows(IllegalArgumentException.class, () -> ExitStatus.exited(256));
        assertThrows(IllegalArgumentException.class, () -> ExitStatus.exited(-1));
        assertThrows(IllegalArgumentException.class, () -> ExitStatus.killed(0, false));
        assertThrows(IllegalArgumentException.class, () -> new ExitStatus(false, 0, 9, false));
        assertThrows(IllegalArgumentException.class, () -> new ExitStatus(true, 1, 9, false));
        assertThrows(IllegalArgumentException.class, () -> new ExitStatus(false, 0, 0, true));
    }
}
