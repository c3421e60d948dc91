package rund.cli.client;

/** The exit codes of runc. Scripts depend on them: change them only together with the README's table. */
final class ExitCodes {
    private ExitCodes() {}

    /** The call succeeded; for log, the stream ended with its end marker. */
    static final int OK = 0;
    /** The call failed: connection, TLS, a TLS file that cannot be read, an error status from the server. */
    static final int FAILURE = 1;
    /** The command line is wrong: unknown subcommand or flag, missing or extra operand, bad number or address. */
    static final int USAGE = 2;
    /** Interrupted by SIGINT (Ctrl-C): 128 + 2, as a shell reports it. */
    static final int INTERRUPTED = 130;
}
