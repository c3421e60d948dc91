package rund.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SignatureException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test PKI issues what its method names promise; other packages' tests rely on that. */
class TestPkiTest {

    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

    @TempDir static Path tmp;
    static TestPki pki;

    @BeforeAll
    static void setUp() throws Exception {
        pki = TestPki.create(tmp.resolve("pki"));
    }

    @Test
    void theCaIsAPathLengthZeroP521Ca() throws Exception {
        X509Certificate ca = cert(pki.ca().cert());

        assertEquals(0, ca.getBasicConstraints());
        assertEquals("SHA512withECDSA", ca.getSigAlgName());
        assertKeyIsPrivate(pki.ca().key());
    }

    @Test
    void clientAndServerCertificatesCarryTheirUsageAndSans() throws Exception {
        X509Certificate client = cert(pki.issueClient("c", List.of("DNS:c.example", "URI:spiffe://t/c")).cert());
        X509Certificate server = cert(pki.issueServer("s", List.of("DNS:localhost", "IP:127.0.0.1")).cert());

        assertEquals(List.of(CLIENT_AUTH), client.getExtendedKeyUsage());
        assertEquals(Set.of("dns:c.example", "uri:spiffe://t/c"), PeerIdentity.of(client).sans());
        assertEquals(List.of(SERVER_AUTH), server.getExtendedKeyUsage());
        assertEquals(Set.of("dns:localhost", "ip:127.0.0.1"), PeerIdentity.of(server).sans());
        client.verify(cert(pki.ca().cert()).getPublicKey());
        client.checkValidity();
        server.checkValidity();
    }

    @Test
    void theBrokenVariantsAreBrokenInExactlyOneWay() throws Exception {
        Instant now = Instant.now();
        X509Certificate expired = cert(pki.issueExpiredClient("x1", List.of("DNS:x")).cert());
        X509Certificate early = cert(pki.issueNotYetValidClient("x2", List.of("DNS:x")).cert());
        X509Certificate serverOnly = cert(pki.issueClientWithoutClientAuth("x3", List.of("DNS:x")).cert());
        X509Certificate clientOnly = cert(pki.issueServerWithoutServerAuth("x4", List.of("DNS:x")).cert());
        X509Certificate noSan = cert(pki.issueClientWithoutSan("x5").cert());
        X509Certificate noEku = cert(pki.issueWithoutEku("x6", List.of("DNS:x")).cert());

        assertTrue(expired.getNotAfter().toInstant().isBefore(now));
        assertTrue(early.getNotBefore().toInstant().isAfter(now));
        assertEquals(List.of(SERVER_AUTH), serverOnly.getExtendedKeyUsage());
        assertEquals(List.of(CLIENT_AUTH), clientOnly.getExtendedKeyUsage());
        assertNull(noSan.getSubjectAlternativeNames());
        assertEquals(List.of(CLIENT_AUTH), noSan.getExtendedKeyUsage());
        assertNull(noEku.getExtendedKeyUsage());
    }

    @Test
    void aSecondCaIsIndependent() throws Exception {
        TestPki other = TestPki.create(tmp.resolve("other"));
        X509Certificate foreign = cert(other.issueClient("f", List.of("DNS:f")).cert());

        assertNotEquals(cert(pki.ca().cert()), cert(other.ca().cert()));
        assertThrows(SignatureException.class, () -> foreign.verify(cert(pki.ca().cert()).getPublicKey()));
    }

    @Test
    void leafKeysAreMode600() throws Exception {
        assertKeyIsPrivate(pki.issueClient("k", List.of("DNS:k")).key());
    }

    @Test
    void theExampleCopyHasPrivateKeysAndTheExampleCertificates() throws Exception {
        Path copy = TestPki.copyExample(tmp.resolve("example"));

        for (String name : List.of("ca", "server", "client")) {
            assertKeyIsPrivate(copy.resolve(name + "-key.pem"));
            assertTrue(KeyFiles.isExamplePki(copy.resolve(name + ".pem")), name);
        }
    }

    private static void assertKeyIsPrivate(Path key) throws Exception {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        KeyFiles.requirePrivate(key);
    }

    private static X509Certificate cert(Path pem) throws Exception {
        return PemFiles.certificates(pem).getFirst();
    }
}
