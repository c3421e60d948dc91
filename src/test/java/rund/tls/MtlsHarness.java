package rund.tls;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.net.Socket;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedKeyManager;

/** A real Vert.x HTTP/2 server and client on loopback, for the TLS tests. */
final class MtlsHarness {

    /** Upper bound for anything a test waits for; a hang fails the test instead of the build. */
    static final long TIMEOUT_SECONDS = 30;

    private MtlsHarness() {}

    /**
     * A server that answers every request with what it saw of the caller: the SANs of
     * {@link PeerIdentity#of(SSLSession)} and the negotiated protocol, suite and HTTP version.
     * {@link #seen()} lists those answers, so a test can tell that no request got through.
     */
    static final class Server implements AutoCloseable {
        private final HttpServer server;
        private final List<JsonObject> seen = new CopyOnWriteArrayList<>();
        private final CompletableFuture<Throwable> firstError = new CompletableFuture<>();

        Server(Vertx vertx, HttpServerOptions options) throws Exception {
            server = vertx.createHttpServer(options);
            // Called for failures before HTTP starts, the TLS handshake's included: the server's
            // own account of why it refused a connection.
            server.exceptionHandler(firstError::complete);
            server.requestHandler(request -> {
                HttpConnection connection = request.connection();
                SSLSession session = connection.sslSession();
                JsonObject answer = new JsonObject()
                        .put("sans", new JsonArray(List.copyOf(PeerIdentity.of(session).sans())))
                        .put("protocol", session == null ? null : session.getProtocol())
                        .put("cipherSuite", session == null ? null : session.getCipherSuite())
                        .put("http", request.version().name());
                seen.add(answer);
                request.response().putHeader("content-type", "application/json").end(answer.encode());
            });
            await(server.listen(0, "127.0.0.1"));
        }

        int port() {
            return server.actualPort();
        }

        List<JsonObject> seen() {
            return seen;
        }

        /** The first connection-level failure the server reported, waiting for it if need be. */
        Throwable awaitError() throws Exception {
            try {
                return firstError.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("the server reported no failure within " + TIMEOUT_SECONDS + "s", e);
            }
        }

        @Override
        public void close() {
            try {
                await(server.close());
            } catch (Exception e) {
                throw new IllegalStateException("the test server did not close", e);
            }
        }
    }

    /** GET / from {@code host:port} with a fresh client; the answer of {@link Server}. */
    static JsonObject get(Vertx vertx, HttpClientOptions options, String host, int port) throws Exception {
        options = new HttpClientOptions(options).setConnectTimeout(10_000);
        HttpClient client = vertx.createHttpClient(options);
        try {
            RequestOptions request = new RequestOptions()
                    .setMethod(HttpMethod.GET).setHost(host).setPort(port).setURI("/")
                    .setIdleTimeout(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
            Buffer body = await(client.request(request)
                    .compose(req -> req.send())
                    .compose(response -> response.body()));
            return body.toJsonObject();
        } finally {
            await(client.close());
        }
    }

    /**
     * Client options that present {@code issued} whatever the server asks for. The JDK's own key
     * manager only offers a certificate from one of the CAs the server names in its
     * CertificateRequest, so without this a certificate from a foreign CA would never be sent, and
     * the test would exercise "no certificate" instead of the server's path validation.
     */
    static HttpClientOptions withCertificate(Vertx vertx, HttpClientOptions options, TestPki.Issued issued)
            throws Exception {
        KeyManagerFactory factory = new PemKeyCertOptions()
                .setCertPath(issued.cert().toString()).setKeyPath(issued.key().toString())
                .getKeyManagerFactory(vertx);
        X509ExtendedKeyManager pem = (X509ExtendedKeyManager) factory.getKeyManagers()[0];
        return new HttpClientOptions(options).setKeyCertOptions(new FixedKeyCertOptions(new InsistentKeyManager(pem)));
    }

    /**
     * Key material from a given key manager. (Vert.x's own KeyCertOptions.wrap does this too, but
     * its wrapper class logs through SLF4J, which is not on this project's class path.)
     */
    private record FixedKeyCertOptions(X509ExtendedKeyManager manager) implements KeyCertOptions {
        @Override
        public KeyCertOptions copy() {
            return this;
        }

        @Override
        public KeyManagerFactory getKeyManagerFactory(Vertx vertx) {
            KeyManager[] managers = {manager};
            KeyManagerFactorySpi spi = new KeyManagerFactorySpi() {
                @Override
                protected void engineInit(KeyStore ks, char[] password) {}

                @Override
                protected void engineInit(ManagerFactoryParameters spec) {}

                @Override
                protected KeyManager[] engineGetKeyManagers() {
                    return managers;
                }
            };
            return new KeyManagerFactory(spi, null, "fixed") {};
        }

        @Override
        public Function<String, KeyManagerFactory> keyManagerFactoryMapper(Vertx vertx) {
            return null; // no per-server-name certificates
        }
    }

    /** Offers its one certificate to any server, ignoring the issuers the server would accept. */
    private static final class InsistentKeyManager extends X509ExtendedKeyManager {
        private final X509ExtendedKeyManager delegate;

        InsistentKeyManager(X509ExtendedKeyManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return delegate.chooseEngineClientAlias(keyType, null, engine);
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return delegate.chooseClientAlias(keyType, null, socket);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return delegate.getClientAliases(keyType, null);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return delegate.getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return delegate.chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return delegate.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return delegate.getPrivateKey(alias);
        }
    }

    /** Fails unless some exception in {@code thrown}'s cause chain has {@code fragment} in its message. */
    static void assertCause(Throwable thrown, String fragment) {
        StringBuilder chain = new StringBuilder();
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (String.valueOf(t.getMessage()).contains(fragment)) {
                return;
            }
            chain.append("\n  ").append(t);
        }
        throw new AssertionError("expected a cause mentioning \"" + fragment + "\", got:" + chain);
    }

    static <T> T await(Future<T> future) throws Exception {
        try {
            return future.toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        } catch (TimeoutException e) {
            throw new AssertionError("no answer within " + TIMEOUT_SECONDS + "s", e);
        }
    }
}
