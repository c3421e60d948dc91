package rund.sys;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Linux signal numbers and names. x86_64 and aarch64 share this numbering (aarch64 uses the asm-generic table,
 * which matches x86 for signals 1..31); a table keeps names independent of the C library and locale.
 */
public final class Signals {
    private Signals() {}

    public static final int SIGHUP = 1;
    public static final int SIGINT = 2;
    public static final int SIGQUIT = 3;
    public static final int SIGILL = 4;
    public static final int SIGTRAP = 5;
    public static final int SIGABRT = 6;
    public static final int SIGBUS = 7;
    public static final int SIGFPE = 8;
    public static final int SIGKILL = 9;
    public static final int SIGUSR1 = 10;
    public static final int SIGSEGV = 11;
    public static final int SIGUSR2 = 12;
    public static final int SIGPIPE = 13;
    public static final int SIGALRM = 14;
    public static final int SIGTERM = 15;
    public static final int SIGSTKFLT = 16;
    public static final int SIGCHLD = 17;
    public static final int SIGCONT = 18;
    public static final int SIGSTOP = 19;
    public static final int SIGTSTP = 20;
    public static final int SIGTTIN = 21;
    public static final int SIGTTOU = 22;
    public static final int SIGURG = 23;
    public static final int SIGXCPU = 24;
    public static final int SIGXFSZ = 25;
    public static final int SIGVTALRM = 26;
    public static final int SIGPROF = 27;
    public static final int SIGWINCH = 28;
    public static final int SIGIO = 29;
    public static final int SIGPWR = 30;
    public static final int SIGSYS = 31;

    /** The kernel's highest signal number (_NSIG - 1); 32..64 are the real-time signals. */
    public static final int MAX = 64;

    private static final String[] NAMES = {
        null, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
        "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
        "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
        "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    };

    private static final Map<String, Integer> BY_NAME = new HashMap<>();

    static {
        for (int n = 1; n < NAMES.length; n++) {
            BY_NAME.put(NAMES[n], n);
        }
        // Aliases that kill(1) also accepts.
        BY_NAME.put("SIGIOT", SIGABRT);
        BY_NAME.put("SIGCLD", SIGCHLD);
        BY_NAME.put("SIGPOLL", SIGIO);
    }

    /** "SIGKILL" for 9; a number without a name (e.g. a real-time signal) gives "SIG" + n, which byName reads back. */
    public static String name(int signal) {
        return signal > 0 && signal < NAMES.length ? NAMES[signal] : "SIG" + signal;
    }

    /**
     * Parses what a user may type: "KILL", "SIGKILL", "kill", "9" or "SIG9" (case-insensitive, surrounding blanks
     * ignored). Empty when it names no signal or the number is outside 1..{@link #MAX}.
     */
    public static OptionalInt byName(String nameOrNumber) {
        if (nameOrNumber == null) {
            return OptionalInt.empty();
        }
        String s = nameOrNumber.strip().toUpperCase(Locale.ROOT);
        if (s.startsWith("SIG")) {
            Integer known = BY_NAME.get(s);
            if (known != null) {
                return OptionalInt.of(known);
            }
            s = s.substring(3);
        } else {
            Integer known = BY_NAME.get("SIG" + s);
            if (known != null) {
                return OptionalInt.of(known);
            }
        }
        if (s.isEmpty() || s.length() > 3 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return OptionalInt.empty();
        }
        int n = Integer.parseInt(s);
        return n >= 1 && n <= MAX ? OptionalInt.of(n) : OptionalInt.empty();
    }
}
