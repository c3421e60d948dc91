package rund.cli.client;

import io.vertx.core.VertxException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.StreamResetException;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.grpc.common.GrpcErrorException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import rund.tls.TlsOptions;

/** Turns what a call failed with into the one line the user sees after "runc: ". */
final class Failures {
    private Failures() {}

    /**
     * Describes {@code error} by the innermost cause runc knows: libraries wrap the telling exception (a refused
     * connection, a rejected certificate) in generic ones.
     */
    static CliException describe(Throwable error, Endpoint endpoint, ConnectionOptions connection) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = error; t != null && !chain.contains(t); t = t.getCause()) {
            chain.add(t);
        }
        for (Throwable t : chain.reversed()) {
            CliException known = known(t, endpoint, connection);
            if (known != null) {
                return known;
            }
        }
        return CliException.failure("call to " + endpoint + " failed: " + summary(error));
    }

    private static CliException known(Throwable t, Endpoint endpoint, ConnectionOptions connection) {
        return switch (t) {
            case CliException e -> e;
            case RpcStatusException e -> CliException.failure(oneLine(e.getMessage()));
            case InvalidStatusException e -> CliException.failure(e.actualStatus().name());
            case GrpcErrorException e -> CliException.failure(e.status().name()
                    + ": the call was reset (" + e.error().name() + ")");
            case StreamResetException e -> CliException.failure(
                    "the call to " + endpoint + " was reset (HTTP/2 error code " + e.getCode() + ")");
            case io.netty.channel.ConnectTimeoutException e -> CliException.failure("cannot connect to " + endpoint
                    + ": timed out after " + ClientSession.CONNECT_TIMEOUT_MILLIS / 1000 + " s");
            case ConnectException e -> CliException.failure("cannot connect to " + endpoint + ": "
                    + connectReason(e) + "; is rund serve running?");
            case NoRouteToHostException e -> CliException.failure("cannot connect to " + endpoint + ": no route to host");
            case UnknownHostException e -> CliException.failure(
                    "cannot connect to " + endpoint + ": unknown host " + endpoint.host());
            case io.netty.handler.ssl.SslHandshakeTimeoutException e -> CliException.failure("TLS handshake with "
                    + endpoint + " timed out after " + ClientSession.HANDSHAKE_TIMEOUT_MILLIS / 1000
                    + " s; is it a rund server?");
            case SSLHandshakeException e -> keyMismatch(connection)
                    .orElseGet(() -> CliException.failure(handshake(e, endpoint, connection)));
            case SSLException e -> keyMismatch(connection)
                    .orElseGet(() -> CliException.failure(handshake(e, endpoint, connection)));
            case HttpClosedException e -> closed(endpoint, connection);
            // What Vert.x reports when the server closes the connection right after the handshake: with TLS 1.3
            // that is how a server refuses the client certificate, and nothing more specific reaches the client.
            case VertxException e when "Connection was closed".equals(e.getMessage()) -> closed(endpoint, connection);
            default -> null;
        };
    }

    private static CliException closed(Endpoint endpoint, ConnectionOptions connection) {
        return keyMismatch(connection).orElseGet(() -> CliException.failure("the connection to " + endpoint
                + " closed before the server answered: the server stopped, or it did not accept the client"
                + " certificate (check -cert and -key, and that the server trusts their CA)"));
    }

    /**
     * A -key that is not the key of -cert, the one cause of a refused handshake that runc can check by itself. The
     * client options leave this check out of every call's start-up (see TlsOptions.client), so it is made here, when
     * a handshake failed; the message is the one a check up front would give.
     */
    private static Optional<CliException> keyMismatch(ConnectionOptions connection) {
        return TlsOptions.keyMismatch(connection.cert(), connection.key())
                .map(problem -> CliException.failure(ClientTransport.CANNOT_USE + oneLine(problem)));
    }

    private static String connectReason(ConnectException e) {
        String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        if (message.contains("refused")) {
            return "connection refused";
        }
        return oneLine(e.getMessage());
    }

    private static String handshake(SSLException e, Endpoint endpoint, ConnectionOptions connection) {
        String message = oneLine(e.getMessage());
        String lower = message.toLowerCase(Locale.ROOT);
        String hint;
        if (lower.contains("subject alternative name") || lower.contains("no subject alternative")
                || lower.contains("no name matching")) {
            hint = "the server certificate is not valid for " + endpoint.host();
        } else if (lower.contains("path") || lower.contains("trust") || lower.contains("unable to find valid")) {
            hint = "the server certificate is not signed by the CA in " + connection.ca();
        } else if (lower.contains("bad_certificate") || lower.contains("certificate_required")
                || lower.contains("unknown_ca") || lower.contains("certificate_unknown")
                || lower.contains("unsupported_certificate") || lower.contains("access_denied")) {
            hint = "the server rejected the client certificate " + connection.cert();
        } else {
            hint = "is " + endpoint + " a rund server with TLS 1.3?";
        }
        return "TLS handshake with " + endpoint + " failed: " + hint + " (" + message + ")";
    }

    private static String summary(Throwable error) {
        String message = error.getMessage();
        return message == null || message.isBlank()
                ? error.getClass().getSimpleName()
                : error.getClass().getSimpleName() + ": " + oneLine(message);
    }

    /** Keeps text from a server or a library on one line and free of terminal control characters. */
    static String oneLine(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (c == '\n' || c == '\r' || c == '\t') {
                out.append(' ');
            } else if (!Character.isISOControl(c)) {
                out.appendCodePoint(c);
            }
        });
        return out.toString().strip();
    }
}
