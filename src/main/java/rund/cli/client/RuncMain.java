package rund.cli.client;

import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * runc, the command-line client of rund. Exit codes: see {@link ExitCodes}. Every failure is one line on stderr that
 * begins with "runc: ".
 */
public final class RuncMain {
    private RuncMain() {}

    /** Held so that the level set on them stays: the logging framework keeps loggers only weakly. */
    private static final Logger[] QUIET = {Logger.getLogger("io.netty"), Logger.getLogger("io.vertx")};

    /** How long a SIGINT waits for the call in progress to be reset before the JVM exits. */
    private static final long INTERRUPT_GRACE_MILLIS = 2_000;

    public static void main(String[] args) {
        // Library log lines would break the one-line error contract; every failure is reported by runc itself.
        for (Logger logger : QUIET) {
            logger.setLevel(Level.OFF);
        }
        // The JDK resolver reads /etc/hosts and resolv.conf as the system does, and is lighter to start.
        System.setProperty("vertx.disableDnsResolver", "true");
        Cancellation cancellation = new Cancellation();
        CountDownLatch finished = new CountDownLatch(1);
        // SIGINT (Ctrl-C) runs the shutdown hooks and then exits with 130: reset the call in progress first.
        Thread onInterrupt = new Thread(() -> {
            cancellation.cancel();
            try {
                finished.await(INTERRUPT_GRACE_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "runc-interrupt");
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        int code;
        try {
            code = run(args, System.out, System.err, cancellation, ClientTransport.TLS);
        } finally {
            finished.countDown();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(onInterrupt);
        } catch (IllegalStateException shuttingDown) {
            // SIGINT arrived: the hook has run, and the JVM exits with 130.
        }
        System.out.flush();
        System.exit(code);
    }

    /** Runs runc with {@code args}; returns the exit code. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, new Cancellation(), ClientTransport.TLS);
    }

    static int run(String[] args, PrintStream out, PrintStream err, Cancellation cancellation,
            ClientTransport transport) {
        RuncCli cli = new RuncCli();
        try {
            return switch (cli.parse(args)) {
                case RuncCli.ShowHelp help -> {
                    cli.printHelp(help.topic(), out);
                    yield ExitCodes.OK;
                }
                case RuncCli.Run command -> command.command().execute(
                        new CommandContext(out, err, cancellation, transport));
            };
        } catch (CliException e) {
            if (e.getMessage() != null) {
                err.print("runc: " + e.getMessage() + "\n");
                err.flush();
            }
            return e.exitCode();
        } catch (RuntimeException e) {
            err.print("runc: internal error: " + e.getClass().getName() + ": " + Failures.oneLine(e.getMessage())
                    + "\n");
            err.flush();
            return ExitCodes.FAILURE;
        }
    }
}
