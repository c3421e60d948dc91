package rund.cli.client;

/**
 * An expected failure that ends the command: its message is the single line printed after "runc: " on stderr, and
 * it carries the process exit code. It has no stack trace on purpose: these are answers for the user, not bugs.
 */
final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    /** A command-line mistake (exit 2), with a pointer to the help of the subcommand, or to the general help. */
    static CliException usage(String problem, String subcommand) {
        String hint = subcommand == null ? "runc help" : "runc help " + subcommand;
        return new CliException(ExitCodes.USAGE, problem + "; see '" + hint + "'");
    }

    /** A failure of the call itself: connection, TLS or the server's answer (exit 1). */
    static CliException failure(String message) {
        return new CliException(ExitCodes.FAILURE, message);
    }

    int exitCode() {
        return exitCode;
    }
}
