package rund.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class SignalsTest {

    @Test
    void namesKnownAndUnknownSignals() {
        assertEquals("SIGKILL", Signals.name(9));
        assertEquals("SIGTERM", Signals.name(15));
        assertEquals("SIGHUP", Signals.name(1));
        assertEquals("SIGSYS", Signals.name(31));
        assertEquals("SIG40", Signals.name(40));
        assertEquals("SIG0", Signals.name(0));
    }

    @Test
    void parsesNamesNumbersAndAliases() {
        assertEquals(OptionalInt.of(9), Signals.byName("SIGKILL"));
        assertEquals(OptionalInt.of(9), Signals.byName("kill"));
        assertEquals(OptionalInt.of(9), Signals.byName(" Kill "));
        assertEquals(OptionalInt.of(15), Signals.byName("15"));
        assertEquals(OptionalInt.of(15), Signals.byName("sig15"));
        assertEquals(OptionalInt.of(Signals.SIGABRT), Signals.byName("IOT"));
        assertEquals(OptionalInt.of(64), Signals.byName("64"));
    }

    @Test
    void rejectsWhatIsNoSignal() {
        for (String bad : new String[] {"", "SIG", "bogus", "SIGBOGUS", "0", "65", "-9", "1e3", "99999999999", "+9"}) {
            assertEquals(OptionalInt.empty(), Signals.byName(bad), bad);
        }
        assertEquals(OptionalInt.empty(), Signals.byName(null));
    }

    @Test
    void everyNameReadsBack() {
        for (int n = 1; n <= Signals.MAX; n++) {
            assertEquals(OptionalInt.of(n), Signals.byName(Signals.name(n)), Signals.name(n));
        }
    }
}
