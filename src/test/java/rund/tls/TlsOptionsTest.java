package rund.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.TrustOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What TlsOptions builds, and how it reports files it cannot use. */
class TlsOptionsTest {

    @TempDir static Path tmp;
    static TestPki pki;
    static TestPki.Issued server;
    static TestPki.Issued client;

    @BeforeAll
    static void setUp() throws Exception {
        pki = TestPki.create(tmp.resolve("pki"));
        server = pki.issueServer("server", List.of("DNS:localhost"));
        client = pki.issueClient("client", List.of("DNS:client.example"));
    }

    // ---- the options ------------------------------------------------------------------------

    @Test
    void serverOptionsRequireAClientCertificateOverTls13AndOfferOnlyH2() throws Exception {
        HttpServerOptions options = TlsOptions.server(pki.ca().cert(), server.cert(), server.key());

        assertTrue(options.isSsl());
        assertEquals(ClientAuth.REQUIRED, options.getClientAuth());
        assertEquals(Set.copyOf(TlsPolicy.PROTOCOLS), options.getEnabledSecureTransportProtocols());
        assertEquals(Set.copyOf(TlsPolicy.CIPHER_SUITES), options.getEnabledCipherSuites());
        assertTrue(options.isUseAlpn());
        assertEquals(List.of(HttpVersion.HTTP_2), options.getAlpnVersions());
        assertFalse(options.isHttp2ClearTextEnabled());
        assertInstanceOf(PolicyEngineOptions.class, options.getSslEngineOptions());
    }

    @Test
    void eachEndTrustsTheCaFileAloneAndPresentsTheChainOfItsCertificateFile() throws Exception {
        HttpServerOptions serverOptions = TlsOptions.server(pki.ca().cert(), server.cert(), server.key());
        HttpClientOptions clientOptions = TlsOptions.client(pki.ca().cert(), client.cert(), client.key());

        X509Certificate ca = PemFiles.certificates(pki.ca().cert()).getFirst();
        for (TrustOptions trust : List.of(serverOptions.getTrustOptions(), clientOptions.getTrustOptions())) {
            TrustManager[] managers = trust.getTrustManagerFactory(null).getTrustManagers();
            assertEquals(1, managers.length);
            // The JDK's PKIX trust manager (path validation, EKU, host names), not an accept-all.
            X509ExtendedTrustManager manager = assertInstanceOf(X509ExtendedTrustManager.class, managers[0]);
            assertEquals(List.of(ca), List.of(manager.getAcceptedIssuers()));
        }
        assertPresents(serverOptions.getKeyCertOptions(), server, true);
        assertPresents(clientOptions.getKeyCertOptions(), client, false);
    }

    private static void assertPresents(KeyCertOptions options, TestPki.Issued issued, boolean server)
            throws Exception {
        KeyManager[] managers = options.getKeyManagerFactory(null).getKeyManagers();
        assertEquals(1, managers.length);
        X509ExtendedKeyManager manager = assertInstanceOf(X509ExtendedKeyManager.class, managers[0]);
        String alias = server
                ? manager.chooseEngineServerAlias("EC", null, null)
                : manager.chooseEngineClientAlias(new String[] {"EC"}, null, null);
        assertEquals(PemFiles.certificates(issued.cert()), List.of(manager.getCertificateChain(alias)));
        PrivateKey expected = PemFiles.privateKey(issued.key(), Files.readAllBytes(issued.key()), "EC");
        assertArrayEquals(expected.getEncoded(), manager.getPrivateKey(alias).getEncoded());
    }

    @Test
    void clientOptionsVerifyTheServerNameOverTls13AndH2() throws Exception {
        HttpClientOptions options = TlsOptions.client(pki.ca().cert(), client.cert(), client.key());

        assertTrue(options.isSsl());
        assertFalse(options.isTrustAll());
        assertTrue(options.isVerifyHost());
        assertEquals("HTTPS", options.getSslOptions().getHostnameVerificationAlgorithm());
        assertEquals(HttpVersion.HTTP_2, options.getProtocolVersion());
        assertTrue(options.isUseAlpn());
        assertFalse(options.isHttp2ClearTextUpgrade());
        assertEquals(Set.copyOf(TlsPolicy.PROTOCOLS), options.getEnabledSecureTransportProtocols());
        assertEquals(Set.copyOf(TlsPolicy.CIPHER_SUITES), options.getEnabledCipherSuites());
        assertInstanceOf(PolicyEngineOptions.class, options.getSslEngineOptions());
    }

    @Test
    void copiesKeepThePolicyEngineAndHostnameVerification() throws Exception {
        // Vert.x and vertx-grpc-client copy the options they are given.
        HttpClientOptions client = new HttpClientOptions(
                TlsOptions.client(pki.ca().cert(), TlsOptionsTest.client.cert(), TlsOptionsTest.client.key()));
        HttpServerOptions server = new HttpServerOptions(
                TlsOptions.server(pki.ca().cert(), TlsOptionsTest.server.cert(), TlsOptionsTest.server.key()));

        assertInstanceOf(PolicyEngineOptions.class, client.getSslEngineOptions());
        assertInstanceOf(PolicyEngineOptions.class, server.getSslEngineOptions());
        assertEquals("HTTPS", client.getSslOptions().getHostnameVerificationAlgorithm());
    }

    // ---- files it cannot use ----------------------------------------------------------------

    @Test
    void aMissingFileIsNamed() {
        Path missing = tmp.resolve("nope/ca.pem");

        assertMessage(missing + ": no such file",
                () -> TlsOptions.server(missing, server.cert(), server.key()));
        assertMessage(tmp.resolve("nope/client-key.pem") + ": no such file",
                () -> TlsOptions.client(pki.ca().cert(), client.cert(), tmp.resolve("nope/client-key.pem")));
    }

    @Test
    void aFileWithoutACertificateIsNotAPemCertificate() throws Exception {
        Path notPem = Files.writeString(tmp.resolve("not-a-cert.pem"), "hello\n");

        assertMessage(notPem + ": not a PEM certificate",
                () -> TlsOptions.server(notPem, server.cert(), server.key()));
        // A key where the certificate should be is not a certificate either.
        assertMessage(server.key() + ": not a PEM certificate",
                () -> TlsOptions.server(pki.ca().cert(), server.key(), server.key()));
    }

    @Test
    void aKeyReadableByOthersIsRefusedWithTheFix() throws Exception {
        TestPki.Issued open = pki.issueServer("open-key", List.of("DNS:localhost"));
        Files.setPosixFilePermissions(open.key(), PosixFilePermissions.fromString("rw-r--r--"));

        assertMessage(open.key() + " is readable by group or others (mode 0644): run chmod 600 " + open.key(),
                () -> TlsOptions.server(pki.ca().cert(), open.cert(), open.key()));
    }

    @Test
    void aKeyOfAnotherCertificateIsRefused() {
        assertMessage(client.key() + " is not the private key of the certificate in " + server.cert(),
                () -> TlsOptions.server(pki.ca().cert(), server.cert(), client.key()));
    }

    @Test
    void theClientLeavesThePairCheckToKeyMismatch() throws Exception {
        // The handshake exposes a wrong client key; runc then asks keyMismatch for the message.
        TlsOptions.client(pki.ca().cert(), client.cert(), server.key());

        assertEquals(Optional.of(server.key() + " is not the private key of the certificate in " + client.cert()),
                TlsOptions.keyMismatch(client.cert(), server.key()));
        assertEquals(Optional.empty(), TlsOptions.keyMismatch(client.cert(), client.key()));
        assertEquals(Optional.empty(), TlsOptions.keyMismatch(client.cert(), tmp.resolve("nope/client-key.pem")));
    }

    @Test
    void aLegacyFormatKeyIsRefusedWithTheConversionCommand() throws Exception {
        TestPki.Issued legacy = pki.issueServer("legacy-key", List.of("DNS:localhost"));
        Path sec1 = tmp.resolve("legacy-sec1-key.pem");
        TestPki.openssl("pkey", "-in", legacy.key(), "-traditional", "-out", sec1);
        Files.setPosixFilePermissions(sec1, PosixFilePermissions.fromString("rw-------"));
        assertTrue(Files.readString(sec1).contains("BEGIN EC PRIVATE KEY"));

        TlsConfigException e = assertThrows(TlsConfigException.class,
                () -> TlsOptions.server(pki.ca().cert(), legacy.cert(), sec1));
        assertTrue(e.getMessage().startsWith(sec1 + ": the key is in the legacy EC PRIVATE KEY format"),
                e.getMessage());
        assertTrue(e.getMessage().contains("openssl pkey -in " + sec1), e.getMessage());
    }

    @Test
    void anEncryptedKeyIsRefused() throws Exception {
        TestPki.Issued plain = pki.issueServer("encrypted-key", List.of("DNS:localhost"));
        Path encrypted = tmp.resolve("encrypted-pkcs8-key.pem");
        TestPki.openssl("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:secret",
                "-in", plain.key(), "-out", encrypted);
        Files.setPosixFilePermissions(encrypted, PosixFilePermissions.fromString("rw-------"));

        TlsConfigException e = assertThrows(TlsConfigException.class,
                () -> TlsOptions.server(pki.ca().cert(), plain.cert(), encrypted));
        assertTrue(e.getMessage().startsWith(encrypted + ": the key is encrypted"), e.getMessage());
    }

    @Test
    void anExpiredOwnCertificateIsReportedAtStartup() throws Exception {
        TestPki.Issued expired = pki.issueExpiredClient("own-expired", List.of("DNS:client.example"));

        TlsConfigException e = assertThrows(TlsConfigException.class,
                () -> TlsOptions.client(pki.ca().cert(), expired.cert(), expired.key()));
        assertTrue(e.getMessage().startsWith(expired.cert() + ": the certificate expired on "), e.getMessage());
    }

    @Test
    void aNotYetValidOwnCertificateIsReportedAtStartup() throws Exception {
        TestPki.Issued early = pki.issueNotYetValidClient("own-early", List.of("DNS:client.example"));

        TlsConfigException e = assertThrows(TlsConfigException.class,
                () -> TlsOptions.client(pki.ca().cert(), early.cert(), early.key()));
        assertTrue(e.getMessage().startsWith(early.cert() + ": the certificate is not valid before "),
                e.getMessage());
    }

    @Test
    void aCertificateWhoseUsageExcludesItsRoleIsReportedAtStartup() throws Exception {
        TestPki.Issued clientOnly = pki.issueServerWithoutServerAuth("usage-client-only", List.of("DNS:localhost"));
        TestPki.Issued serverOnly = pki.issueClientWithoutClientAuth("usage-server-only", List.of("DNS:c"));

        assertMessage(clientOnly.cert() + ": the certificate's extended key usage lacks serverAuth, so clients"
                + " will refuse it: issue one with extendedKeyUsage=serverAuth",
                () -> TlsOptions.server(pki.ca().cert(), clientOnly.cert(), clientOnly.key()));
        assertMessage(serverOnly.cert() + ": the certificate's extended key usage lacks clientAuth, so the server"
                + " will refuse it: issue one with extendedKeyUsage=clientAuth",
                () -> TlsOptions.client(pki.ca().cert(), serverOnly.cert(), serverOnly.key()));
    }

    @Test
    void aCertificateWithoutEkuIsAcceptedForEitherRole() throws Exception {
        TestPki.Issued any = pki.issueWithoutEku("usage-any", List.of("DNS:localhost"));

        TlsOptions.server(pki.ca().cert(), any.cert(), any.key());
        TlsOptions.client(pki.ca().cert(), any.cert(), any.key());
    }

    private static void assertMessage(String expected, ThrowingCall call) {
        TlsConfigException e = assertThrows(TlsConfigException.class, call::run);
        assertEquals(expected, e.getMessage());
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws Exception;
    }
}
