package rund.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rund.tls.MtlsHarness.assertCause;
import static rund.tls.MtlsHarness.get;
import static rund.tls.MtlsHarness.withCertificate;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS end to end: a Vert.x HTTP/2 server and client built by {@link TlsOptions}, on loopback.
 * Every refusal has a twin that succeeds with one thing changed, so each test shows that the one
 * thing is what the handshake refuses.
 */
class MutualTlsTest {

    @TempDir static Path tmp;
    static Vertx vertx;
    static Path example;
    static TestPki pki;
    static TestPki otherPki;

    MtlsHarness.Server server;
    HttpClientOptions exampleClient;

    @BeforeAll
    static void setUpPki() throws Exception {
        vertx = Vertx.vertx();
        example = TestPki.copyExample(tmp.resolve("example"));
        // The test CA issues to the same names as the example one, but is a different CA.
        pki = TestPki.create(tmp.resolve("pki"));
        otherPki = TestPki.create(tmp.resolve("other-pki"));
    }

    @AfterAll
    static void tearDown() throws Exception {
        MtlsHarness.await(vertx.close());
    }

    @BeforeEach
    void startExampleServer() throws Exception {
        server = new MtlsHarness.Server(vertx, TlsOptions.server(
                example.resolve("ca.pem"), example.resolve("server.pem"), example.resolve("server-key.pem")));
        exampleClient = TlsOptions.client(
                example.resolve("ca.pem"), example.resolve("client.pem"), example.resolve("client-key.pem"));
    }

    @AfterEach
    void stopServer() throws Exception {
        server.close();
    }

    @Test
    void exampleCertificatesConnectAndTheServerSeesTheClientsSans() throws Exception {
        JsonObject seen = get(vertx, exampleClient, "localhost", server.port());

        assertEquals(new JsonArray(List.of("dns:client.rund.example")), seen.getJsonArray("sans"));
        assertEquals("TLSv1.3", seen.getString("protocol"));
        assertTrue(TlsPolicy.CIPHER_SUITES.contains(seen.getString("cipherSuite")), seen.encode());
        assertEquals(HttpVersion.HTTP_2.name(), seen.getString("http"));
    }

    @Test
    void theExampleServerCertificateIsValidFor127001() throws Exception {
        JsonObject seen = get(vertx, exampleClient, "127.0.0.1", server.port());

        assertEquals(new JsonArray(List.of("dns:client.rund.example")), seen.getJsonArray("sans"));
    }

    @Test
    void everyKindOfSanReachesTheServerCanonicalised() throws Exception {
        TestPki.Issued client = pki.issueClient("many-names", List.of(
                "DNS:Worker-1.Example.", "IP:::1", "IP:10.0.0.7", "email:Ops.Team@Example.ORG",
                "URI:spiffe://Example.org/Worker"));
        try (var own = new MtlsHarness.Server(vertx, serverOptions(pki, "many-names-server"))) {
            JsonObject seen = get(vertx,
                    TlsOptions.client(pki.ca().cert(), client.cert(), client.key()), "localhost", own.port());

            assertEquals(new JsonArray(List.of("dns:worker-1.example", "email:Ops.Team@example.org",
                    "ip:0:0:0:0:0:0:0:1", "ip:10.0.0.7", "uri:spiffe://Example.org/Worker")),
                    seen.getJsonArray("sans"));
        }
    }

    @Test
    void aClientCertificateFromAnotherCaIsRefused() throws Exception {
        TestPki.Issued stranger = otherPki.issueClient("stranger", List.of("DNS:client.rund.example"));

        assertThrows(Exception.class,
                () -> get(vertx, withCertificate(vertx, exampleClient, stranger), "localhost", server.port()));
        assertTrue(server.seen().isEmpty(), "no request may reach the handler");
        assertCause(server.awaitError(), "unable to find valid certification path");
    }

    @Test
    void aClientCertificateFromTheTrustedCaIsAccepted() throws Exception {
        // The twin of the refusals below: the same kind of certificate, valid, from the trusted CA.
        try (var own = new MtlsHarness.Server(vertx, serverOptions(pki, "twin-server"))) {
            TestPki.Issued good = pki.issueClient("good", List.of("DNS:good.example"));

            JsonObject seen = get(vertx, withCertificate(vertx, clientOptions(pki), good), "localhost", own.port());

            assertEquals(new JsonArray(List.of("dns:good.example")), seen.getJsonArray("sans"));
        }
    }

    @Test
    void anExpiredClientCertificateIsRefused() throws Exception {
        assertRefusedByPkiServer(pki.issueExpiredClient("expired", List.of("DNS:expired.example")), "NotAfter");
    }

    @Test
    void aNotYetValidClientCertificateIsRefused() throws Exception {
        assertRefusedByPkiServer(pki.issueNotYetValidClient("early", List.of("DNS:early.example")), "NotBefore");
    }

    @Test
    void aClientCertificateWithoutClientAuthUsageIsRefused() throws Exception {
        assertRefusedByPkiServer(pki.issueClientWithoutClientAuth("server-as-client", List.of("DNS:s.example")),
                "Extended key usage does not permit use for TLS client authentication");
    }

    @Test
    void aClientCertificateWithoutAnySanConnectsButHasAnEmptyIdentity() throws Exception {
        // Path validation does not need a SAN; authorization then sees an identity that matches nothing.
        try (var own = new MtlsHarness.Server(vertx, serverOptions(pki, "nosan-server"))) {
            TestPki.Issued anonymous = pki.issueClientWithoutSan("anonymous");

            JsonObject seen = get(vertx, withCertificate(vertx, clientOptions(pki), anonymous), "localhost", own.port());

            assertEquals(new JsonArray(), seen.getJsonArray("sans"));
        }
    }

    @Test
    void aClientCertificateWithoutTheEkuExtensionIsAcceptedAsRfc5280Says() throws Exception {
        // Documents the JDK's rule: no EKU extension means no restriction. Our CAs always set one.
        try (var own = new MtlsHarness.Server(vertx, serverOptions(pki, "noeku-server"))) {
            TestPki.Issued any = pki.issueWithoutEku("any-usage", List.of("DNS:any.example"));

            JsonObject seen = get(vertx, withCertificate(vertx, clientOptions(pki), any), "localhost", own.port());

            assertEquals(new JsonArray(List.of("dns:any.example")), seen.getJsonArray("sans"));
        }
    }

    @Test
    void aClientWithoutACertificateIsRefused() throws Exception {
        HttpClientOptions noCertificate = new HttpClientOptions(exampleClient).setKeyCertOptions(null);

        assertThrows(Exception.class, () -> get(vertx, noCertificate, "localhost", server.port()));
        assertTrue(server.seen().isEmpty(), "no request may reach the handler");
        assertCause(server.awaitError(), "Empty client certificate chain");
    }

    @Test
    void theClientRefusesAServerCertificateThatDoesNotNameTheHostDialled() throws Exception {
        // The certificate names localhost only: dialling 127.0.0.1 must fail, dialling localhost works.
        try (var own = new MtlsHarness.Server(vertx, serverOptions(pki, "localhost-only", "DNS:localhost"))) {
            HttpClientOptions client = clientOptions(pki);

            assertThrows(Exception.class, () -> get(vertx, client, "127.0.0.1", own.port()));
            assertTrue(own.seen().isEmpty(), "no request may reach the handler");
            assertEquals(new JsonArray(List.of("dns:client.example")),
                    get(vertx, client, "localhost", own.port()).getJsonArray("sans"));
        }
    }

    @Test
    void theClientRefusesAServerCertificateWithoutServerAuthUsage() throws Exception {
        TestPki.Issued wrongUsage = pki.issueServerWithoutServerAuth("client-as-server", List.of("DNS:localhost"));
        HttpServerOptions options = serverOptions(pki, "eku-twin")
                .setKeyCertOptions(new PemKeyCertOptions()
                        .setCertPath(wrongUsage.cert().toString()).setKeyPath(wrongUsage.key().toString()));
        try (var own = new MtlsHarness.Server(vertx, options)) {
            assertThrows(Exception.class, () -> get(vertx, clientOptions(pki), "localhost", own.port()));
            assertTrue(own.seen().isEmpty(), "no request may reach the handler");
        }
    }

    @Test
    void theClientRefusesAServerFromAnotherCa() throws Exception {
        try (var own = new MtlsHarness.Server(vertx, serverOptions(otherPki, "foreign-server"))) {
            assertThrows(Exception.class, () -> get(vertx, exampleClient, "localhost", own.port()));
            assertTrue(own.seen().isEmpty(), "no request may reach the handler");
        }
    }

    @Test
    void plaintextHttp2PriorKnowledgeIsRefused() throws Exception {
        HttpClientOptions h2c = new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false);

        assertThrows(Exception.class, () -> get(vertx, h2c, "localhost", server.port()));
        assertTrue(server.seen().isEmpty(), "no request may reach the handler");
        assertCause(server.awaitError(), "not an SSL/TLS record");
    }

    @Test
    void plaintextHttp1IsRefused() throws Exception {
        HttpClientOptions http1 = new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_1_1);

        assertThrows(Exception.class, () -> get(vertx, http1, "localhost", server.port()));
        assertTrue(server.seen().isEmpty(), "no request may reach the handler");
        assertCause(server.awaitError(), "not an SSL/TLS record");
    }

    @Test
    void aPlaintextRequestOnARawSocketGetsNoHttpAnswerAndTheConnectionCloses() throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
            socket.setSoTimeout((int) (MtlsHarness.TIMEOUT_SECONDS * 1000));
            OutputStream out = socket.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();

            // Read until the server closes the connection; the read timeout bounds the wait.
            InputStream in = socket.getInputStream();
            byte[] answer = in.readAllBytes();

            String text = new String(answer, StandardCharsets.ISO_8859_1);
            assertTrue(!text.contains("HTTP/"), "a plaintext request must not get an HTTP answer: " + text);
        }
        assertTrue(server.seen().isEmpty(), "no request may reach the handler");
        assertCause(server.awaitError(), "not an SSL/TLS record");
    }

    private void assertRefusedByPkiServer(TestPki.Issued client, String serverReason) throws Exception {
        try (var own = new MtlsHarness.Server(vertx, serverOptions(pki, "refusing-" + client.cert().getFileName()
                .toString().replace(".pem", "")))) {
            assertThrows(Exception.class,
                    () -> get(vertx, withCertificate(vertx, clientOptions(pki), client), "localhost", own.port()));
            assertTrue(own.seen().isEmpty(), "no request may reach the handler");
            assertCause(own.awaitError(), serverReason);
        }
    }

    /** A server with a fresh certificate from {@code ca} for localhost and 127.0.0.1 (or {@code sans}). */
    private static HttpServerOptions serverOptions(TestPki ca, String name, String... sans) throws Exception {
        List<String> names = sans.length == 0 ? List.of("DNS:localhost", "IP:127.0.0.1") : List.of(sans);
        TestPki.Issued cert = ca.issueServer(name, names);
        return TlsOptions.server(ca.ca().cert(), cert.cert(), cert.key());
    }

    /** A client of {@code ca}, with its own valid certificate for client.example. */
    private static HttpClientOptions clientOptions(TestPki ca) throws Exception {
        TestPki.Issued cert = ca.issueClient("client-" + System.nanoTime(), List.of("DNS:client.example"));
        return TlsOptions.client(ca.ca().cert(), cert.cert(), cert.key());
    }
}
