package rund.tls;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class KeyFilesTest {

    @TempDir static Path tmp;
    static Path example;

    @BeforeAll
    static void locate() {
        // The checked-in example PKI; only read here (its key files' modes depend on the checkout).
        example = Path.of(System.getProperty("rund.home", ".")).resolve("tls");
    }

    @ParameterizedTest
    @ValueSource(strings = {"rw-------", "r--------"})
    void aKeyOnlyItsOwnerCanUseIsAccepted(String mode) throws Exception {
        Path key = keyWithMode(mode);

        assertDoesNotThrow(() -> KeyFiles.requirePrivate(key));
    }

    @Test
    void mode0644IsRefusedAndTheMessageNamesTheFix() throws Exception {
        Path key = keyWithMode("rw-r--r--");

        TlsConfigException e = assertThrows(TlsConfigException.class, () -> KeyFiles.requirePrivate(key));
        assertEquals(key + " is readable by group or others (mode 0644): run chmod 600 " + key, e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({
        "rw-r-----, 0640, readable by group or others",
        "rw----r--, 0604, readable by group or others",
        "rw--w----, 0620, writable or executable by group or others",
        "rw------x, 0601, writable or executable by group or others",
    })
    void anyPermissionForGroupOrOthersIsRefused(String mode, String octal, String what) throws Exception {
        Path key = keyWithMode(mode);

        TlsConfigException e = assertThrows(TlsConfigException.class, () -> KeyFiles.requirePrivate(key));
        assertEquals(key + " is " + what + " (mode " + octal + "): run chmod 600 " + key, e.getMessage());
    }

    @Test
    void aMissingKeyIsNamed() {
        Path key = tmp.resolve("missing-key.pem");

        TlsConfigException e = assertThrows(TlsConfigException.class, () -> KeyFiles.requirePrivate(key));
        assertEquals(key + ": no such file", e.getMessage());
    }

    @Test
    void aDirectoryIsNotAKey() {
        TlsConfigException e = assertThrows(TlsConfigException.class, () -> KeyFiles.requirePrivate(tmp));
        assertEquals(tmp + ": not a regular file", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ca.pem", "server.pem", "client.pem"})
    void theExampleCertificatesAreRecognised(String file) {
        assertTrue(KeyFiles.isExamplePki(example.resolve(file)));
    }

    @Test
    void otherCertificatesAreNotExamples() throws Exception {
        TestPki pki = TestPki.create(tmp.resolve("pki"));
        TestPki.Issued leaf = pki.issueClient("not-example", List.of("DNS:x.example"));

        assertFalse(KeyFiles.isExamplePki(pki.ca().cert()));
        assertFalse(KeyFiles.isExamplePki(leaf.cert()));
    }

    @Test
    void theMarkerMustBeTheOrganisationNotJustSomewhereInTheName() throws Exception {
        TestPki pki = TestPki.create(tmp.resolve("pki-cn"));
        Path csr = tmp.resolve("cn-marker.csr");
        Path cert = tmp.resolve("cn-marker.pem");
        TestPki.openssl("req", "-new", "-key", pki.ca().key(), "-config", tmp.resolve("pki-cn/openssl.cnf"),
                "-subj", "/O=someone else/CN=" + KeyFiles.EXAMPLE_MARKER, "-out", csr);
        TestPki.openssl("x509", "-req", "-in", csr, "-signkey", pki.ca().key(), "-days", "1", "-out", cert);

        assertFalse(KeyFiles.isExamplePki(cert));
    }

    @Test
    void unreadableOrNonCertificateFilesAreNotExamples() throws Exception {
        assertFalse(KeyFiles.isExamplePki(tmp.resolve("missing.pem")));
        assertFalse(KeyFiles.isExamplePki(Files.writeString(tmp.resolve("garbage.pem"), "garbage")));
        assertFalse(KeyFiles.isExamplePki(example.resolve("client-key.pem")));
    }

    private static Path keyWithMode(String mode) throws Exception {
        Path key = Files.createTempFile(tmp, "key", ".pem");
        Files.copy(example.resolve("client-key.pem"), key, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString(mode));
        return key;
    }
}
