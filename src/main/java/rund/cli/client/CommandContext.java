package rund.cli.client;

import java.io.PrintStream;

/** What a subcommand runs with: the output streams, the SIGINT signal and how to make connections. */
record CommandContext(PrintStream out, PrintStream err, Cancellation cancellation, ClientTransport transport) {

    ClientSession open(ConnectionOptions connection, Endpoint endpoint) {
        return ClientSession.open(connection, endpoint, transport, cancellation);
    }
}
