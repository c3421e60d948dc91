package rund.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The checked-in example PKI (tls/) is what the spec asks for, and tls/gen-certs.sh still makes
 * one. The expiry check fails years before the certificates do, as a reminder to regenerate them.
 */
class ExamplePkiTest {

    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

    @TempDir static Path tmp;
    static Path repoTls;

    @BeforeAll
    static void locate() {
        repoTls = Path.of(System.getProperty("rund.home", ".")).resolve("tls");
    }

    @Test
    void theCheckedInSetMatchesTheSpec() throws Exception {
        assertExampleSet(repoTls);
    }

    @Test
    void theCheckedInCertificatesStayValidForAnotherYear() throws Exception {
        Instant inAYear = Instant.now().plus(Duration.ofDays(366));
        for (String name : List.of("ca", "server", "client")) {
            X509Certificate cert = cert(repoTls, name);
            assertTrue(cert.getNotAfter().toInstant().isAfter(inAYear),
                    "tls/" + name + ".pem expires " + cert.getNotAfter() + ": rerun tls/gen-certs.sh");
        }
    }

    @Test
    void theScriptGeneratesAFreshSetIntoTheDirectoryGiven() throws Exception {
        Path out = tmp.resolve("generated");
        Process process = new ProcessBuilder("bash", repoTls.resolve("gen-certs.sh").toString(), out.toString())
                .redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "gen-certs.sh did not finish");
        assertEquals(0, process.exitValue(), output);

        assertExampleSet(out);
        for (String key : List.of("ca-key.pem", "server-key.pem", "client-key.pem")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve(key))),
                    key);
        }
        assertTrue(output.contains("client.rund.example"), output);
        // A fresh set is a new CA: nothing from the repository's set verifies against it.
        assertTrue(!cert(out, "ca").equals(cert(repoTls, "ca")));
        try (var files = Files.list(out)) {
            assertEquals(Set.of("ca.pem", "ca-key.pem", "server.pem", "server-key.pem", "client.pem",
                    "client-key.pem"), Set.copyOf(files.map(p -> p.getFileName().toString()).toList()),
                    "no scratch files are left behind");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ca-key.pem", "server-key.pem", "client-key.pem"})
    void theKeysArePkcs8(String key) throws Exception {
        String pem = Files.readString(repoTls.resolve(key));
        assertTrue(pem.startsWith("-----BEGIN PRIVATE KEY-----"), key);
    }

    private static void assertExampleSet(Path dir) throws Exception {
        X509Certificate ca = cert(dir, "ca");
        X509Certificate server = cert(dir, "server");
        X509Certificate client = cert(dir, "client");

        for (X509Certificate cert : List.of(ca, server, client)) {
            assertEquals("SHA512withECDSA", cert.getSigAlgName());
            ECPublicKey key = (ECPublicKey) cert.getPublicKey();
            assertEquals(521, key.getParams().getCurve().getField().getFieldSize());
            assertTrue(cert.getSubjectX500Principal().getName().contains("O=" + KeyFiles.EXAMPLE_MARKER),
                    cert.getSubjectX500Principal().getName());
            assertTrue(Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant())
                    .toDays() >= 3650);
        }

        assertEquals(0, ca.getBasicConstraints(), "CA:TRUE, pathlen:0");
        assertTrue(ca.getCriticalExtensionOIDs().containsAll(Set.of("2.5.29.19", "2.5.29.15")));
        assertEquals(List.of(false, false, false, false, false, true, true, false, false),
                booleans(ca.getKeyUsage()), "keyCertSign, cRLSign");
        ca.verify(ca.getPublicKey());

        for (X509Certificate leaf : List.of(server, client)) {
            assertEquals(-1, leaf.getBasicConstraints(), "CA:FALSE");
            assertEquals(List.of(true, false, false, false, false, false, false, false, false),
                    booleans(leaf.getKeyUsage()), "digitalSignature");
            leaf.verify(ca.getPublicKey());
        }
        assertEquals(List.of(SERVER_AUTH), server.getExtendedKeyUsage());
        assertEquals(List.of(CLIENT_AUTH), client.getExtendedKeyUsage());
        assertEquals(Set.of("dns:localhost", "ip:127.0.0.1", "ip:0:0:0:0:0:0:0:1"),
                PeerIdentity.of(server).sans());
        assertEquals(Set.of("dns:client.rund.example"), PeerIdentity.of(client).sans());
    }

    private static X509Certificate cert(Path dir, String name) throws IOException, TlsConfigException {
        return PemFiles.certificates(dir.resolve(name + ".pem")).getFirst();
    }

    private static List<Boolean> booleans(boolean[] bits) {
        Boolean[] boxed = new Boolean[9];
        for (int i = 0; i < boxed.length; i++) {
            boxed[i] = i < bits.length && bits[i];
        }
        return List.of(boxed);
    }
}
