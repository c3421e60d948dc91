package rund.cli.client;

import io.vertx.core.http.HttpClientOptions;
import rund.tls.TlsConfigException;
import rund.tls.TlsOptions;

/** Makes the HTTP/2 client options for a connection: mutual TLS in runc; tests may substitute plaintext. */
@FunctionalInterface
interface ClientTransport {

    /** Returns fresh options; a TLS file that cannot be used is a {@link CliException} naming it. */
    HttpClientOptions options(ConnectionOptions connection);

    /** How a message about a TLS file begins. */
    String CANNOT_USE = "cannot use the TLS files: ";

    /** Mutual TLS with the -ca, -cert and -key files. */
    ClientTransport TLS = connection -> {
        try {
            return TlsOptions.client(connection.ca(), connection.cert(), connection.key());
        } catch (TlsConfigException e) {
            throw CliException.failure(CANNOT_USE + Failures.oneLine(e.getMessage()));
        }
    };
}
