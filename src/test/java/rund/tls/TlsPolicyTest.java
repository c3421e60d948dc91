package rund.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rund.tls.MtlsHarness.TIMEOUT_SECONDS;
import static rund.tls.MtlsHarness.assertCause;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.EOFException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link TlsPolicy} as it reaches the wire. Plain JDK sockets play the other side, because only they
 * can be told to offer exactly one protocol, suite or group: a JDK client against the Vert.x server
 * from {@link TlsOptions#server}, and a JDK server against the Vert.x client from
 * {@link TlsOptions#client}. Each refusal sits beside a handshake that succeeds with the policy's
 * own choice, so it is the choice, not the set-up, that fails.
 */
class TlsPolicyTest {

    @TempDir static Path tmp;
    static Vertx vertx;
    static Path example;

    MtlsHarness.Server server;

    @BeforeAll
    static void setUp() throws Exception {
        vertx = Vertx.vertx();
        example = TestPki.copyExample(tmp.resolve("example"));
    }

    @AfterAll
    static void tearDown() throws Exception {
        MtlsHarness.await(vertx.close());
    }

    @BeforeEach
    void startServer() throws Exception {
        server = new MtlsHarness.Server(vertx, serverOptions());
    }

    @AfterEach
    void stopServer() throws Exception {
        server.close();
    }

    // ---- the server side, probed by a JDK client -------------------------------------------

    @Test
    void aClientOfferingThePolicyGetsTls13AnAllowedSuiteAndH2() throws Exception {
        SSLSession session = jdkClient(server.port(), params -> {});

        assertEquals("TLSv1.3", session.getProtocol());
        assertTrue(TlsPolicy.CIPHER_SUITES.contains(session.getCipherSuite()), session.getCipherSuite());
    }

    static List<String> policyGroups() {
        return TlsPolicy.NAMED_GROUPS;
    }

    @ParameterizedTest
    @MethodSource("policyGroups")
    void everyPolicyGroupAloneIsAccepted(String group) throws Exception {
        SSLSession session = jdkClient(server.port(), params -> params.setNamedGroups(new String[] {group}));

        assertEquals("TLSv1.3", session.getProtocol());
    }

    @ParameterizedTest
    @ValueSource(strings = {"secp256r1", "x448", "ffdhe2048", "ffdhe8192"})
    void aClientOfferingOnlyAGroupOutsideThePolicyIsRefused(String group) throws Exception {
        SSLException refused = assertThrows(SSLException.class,
                () -> jdkClient(server.port(), params -> params.setNamedGroups(new String[] {group})));

        // An alert received from the server, not a local failure of the client, and the server's reason.
        assertCause(refused, "Received fatal alert");
        assertCause(server.awaitError(), "No common named group");
    }

    @Test
    void withoutThePolicyEngineTheSameOutsideGroupWouldBeAccepted() throws Exception {
        // Shows that the refusals above come from the groups TlsOptions sets on each engine, not
        // from some JDK default: swap in Vert.x's plain JDK engine and secp256r1 gets through.
        HttpServerOptions plain = serverOptions().setSslEngineOptions(new JdkSSLEngineOptions());
        try (var unrestricted = new MtlsHarness.Server(vertx, plain)) {
            SSLSession session = jdkClient(unrestricted.port(),
                    params -> params.setNamedGroups(new String[] {"secp256r1"}));

            assertEquals("TLSv1.3", session.getProtocol());
        }
    }

    @Test
    void aTls12OnlyClientIsRefused() throws Exception {
        SSLException refused = assertThrows(SSLException.class, () -> jdkClient(server.port(), params -> {
            params.setProtocols(new String[] {"TLSv1.2"});
            params.setCipherSuites(new String[] {
                "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"});
        }));

        assertCause(refused, "Received fatal alert: protocol_version");
        assertCause(server.awaitError(), "protocol_version");
    }

    @ParameterizedTest
    @MethodSource("policySuites")
    void everyPolicySuiteAloneIsAccepted(String suite) throws Exception {
        SSLSession session = jdkClient(server.port(), params -> params.setCipherSuites(new String[] {suite}));

        assertEquals(suite, session.getCipherSuite());
    }

    static List<String> policySuites() {
        return TlsPolicy.CIPHER_SUITES;
    }

    @Test
    void aClientOfferingOnlyAes128IsRefused() throws Exception {
        SSLException refused = assertThrows(SSLException.class, () -> jdkClient(server.port(),
                params -> params.setCipherSuites(new String[] {"TLS_AES_128_GCM_SHA256"})));

        assertCause(refused, "Received fatal alert");
        assertCause(server.awaitError(), "no cipher suites in common");
    }

    // ---- the client side, probed by a JDK server --------------------------------------------

    @Test
    void theVertxClientCompletesAHandshakeWithAPolicyServer() throws Exception {
        SSLSession session = vertxClientAgainst(params -> {});

        assertEquals("TLSv1.3", session.getProtocol());
        assertTrue(TlsPolicy.CIPHER_SUITES.contains(session.getCipherSuite()), session.getCipherSuite());
    }

    @Test
    void theVertxClientRefusesATls12OnlyServer() {
        Exception refused = assertThrows(Exception.class, () -> vertxClientAgainst(params -> {
            params.setProtocols(new String[] {"TLSv1.2"});
            params.setCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"});
        }));

        // The JDK server's own account: the Vert.x client offered TLS 1.3 and nothing else.
        assertCause(refused, "The client supported protocol versions [TLSv1.3] are not accepted");
    }

    @Test
    void theVertxClientOffersNoGroupOutsideThePolicy() {
        Exception refused = assertThrows(Exception.class,
                () -> vertxClientAgainst(params -> params.setNamedGroups(new String[] {"secp256r1"})));

        assertCause(refused, "No common named group");
    }

    @Test
    void theVertxClientOffersNoAes128() {
        Exception refused = assertThrows(Exception.class, () -> vertxClientAgainst(
                params -> params.setCipherSuites(new String[] {"TLS_AES_128_GCM_SHA256"})));

        assertCause(refused, "no cipher suites in common");
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static HttpServerOptions serverOptions() throws TlsConfigException {
        return TlsOptions.server(
                example.resolve("ca.pem"), example.resolve("server.pem"), example.resolve("server-key.pem"));
    }

    /**
     * Connects a JDK client with the example client certificate, offering the policy as adjusted by
     * {@code tweak}, and speaks HTTP/2 until the server's SETTINGS frame arrives: in TLS 1.3 the
     * server checks the client certificate after the client has finished its side of the handshake,
     * so only an answer from the server proves it accepted the connection.
     */
    private static SSLSession jdkClient(int port, Consumer<SSLParameters> tweak) throws Exception {
        SSLContext context = context(example.resolve("client.pem"), example.resolve("client-key.pem"));
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
            socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
            SSLParameters params = socket.getSSLParameters();
            params.setProtocols(TlsPolicy.PROTOCOLS.toArray(String[]::new));
            params.setCipherSuites(TlsPolicy.CIPHER_SUITES.toArray(String[]::new));
            params.setNamedGroups(TlsPolicy.NAMED_GROUPS.toArray(String[]::new));
            params.setApplicationProtocols(new String[] {"h2"});
            params.setEndpointIdentificationAlgorithm("HTTPS");
            tweak.accept(params);
            socket.setSSLParameters(params);
            socket.startHandshake();
            assertEquals("h2", socket.getApplicationProtocol());

            OutputStream out = socket.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0}); // an empty SETTINGS frame
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] frameHeader = in.readNBytes(9);
            if (frameHeader.length < 9) {
                throw new EOFException("the server closed the connection");
            }
            assertEquals(4, frameHeader[3], "the server's first HTTP/2 frame is SETTINGS");
            return socket.getSession();
        }
    }

    /**
     * Runs a one-connection JDK TLS server configured by {@code tweak}, lets the Vert.x client from
     * {@link TlsOptions#client} connect to it, and returns the server's view of the handshake. The
     * server closes the connection once its handshake is done: only the handshake is under test.
     */
    private static SSLSession vertxClientAgainst(Consumer<SSLParameters> tweak) throws Exception {
        SSLContext context = context(example.resolve("server.pem"), example.resolve("server-key.pem"));
        try (SSLServerSocket listener = (SSLServerSocket) context.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setSoTimeout((int) TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
            SSLParameters params = listener.getSSLParameters();
            tweak.accept(params);
            listener.setSSLParameters(params);

            CompletableFuture<SSLSession> handshake = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try (SSLSocket socket = (SSLSocket) listener.accept()) {
                    socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
                    socket.startHandshake();
                    handshake.complete(socket.getSession());
                } catch (Exception | Error e) {
                    handshake.completeExceptionally(e);
                }
            });

            var client = TlsOptions.client(
                    example.resolve("ca.pem"), example.resolve("client.pem"), example.resolve("client-key.pem"));
            try {
                MtlsHarness.get(vertx, client, "localhost", listener.getLocalPort());
            } catch (Exception expected) {
                // This server never speaks HTTP: the request fails either way.
            }
            try {
                return handshake.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof SocketTimeoutException timeout) {
                    throw new AssertionError("the client never connected", timeout);
                }
                throw (Exception) e.getCause();
            }
        }
    }

    /** A JDK context with the given certificate and key, trusting the example CA only. */
    private static SSLContext context(Path cert, Path key) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(
                new PemKeyCertOptions().setCertPath(cert.toString()).setKeyPath(key.toString())
                        .getKeyManagerFactory(vertx).getKeyManagers(),
                new PemTrustOptions().addCertPath(example.resolve("ca.pem").toString())
                        .getTrustManagerFactory(vertx).getTrustManagers(),
                null);
        return context;
    }
}
