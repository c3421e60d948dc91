package rund.sys;

/**
 * How a child ended, from waitid's siginfo: CLD_EXITED -> {@link #exited(int)}; CLD_KILLED/CLD_DUMPED ->
 * {@link #killed(int, boolean)}. Kept apart on purpose: a shell reports "killed by SIGKILL" as 137, which is
 * indistinguishable from {@code exit 137}; this record is not.
 *
 * @param signaled   true when a signal terminated the process
 * @param exitCode   the exit code (0..255) when not signaled, else 0
 * @param signal     the terminating signal when signaled, else 0
 * @param coreDumped the signal produced a core dump (CLD_DUMPED)
 */
public record ExitStatus(boolean signaled, int exitCode, int signal, boolean coreDumped) {
    public ExitStatus {
        if (signaled) {
            if (signal <= 0 || exitCode != 0) {
                throw new IllegalArgumentException("signaled needs a signal > 0 and no exit code");
            }
        } else if (exitCode < 0 || exitCode > 255 || signal != 0 || coreDumped) {
            throw new IllegalArgumentException("an exit needs a code in 0..255 and no signal");
        }
    }

    public static ExitStatus exited(int code) {
        return new ExitStatus(false, code, 0, false);
    }

    public static ExitStatus killed(int signal, boolean coreDumped) {
        return new ExitStatus(true, 0, signal, coreDumped);
    }

    @Override
    public String toString() {
        return signaled
                ? "killed by " + Signals.name(signal) + (coreDumped ? " (core dumped)" : "")
                : "exited " + exitCode;
    }
}
