package rund.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A throw-away PKI for tests, made with the openssl command line (as tls/gen-certs.sh makes the
 * example one): a root CA in a directory of its own, and leaf certificates issued on demand,
 * including the broken ones a TLS test needs (expired, not yet valid, wrong or no extended key usage,
 * no SAN). Every key is EC P-521 in PKCS#8 PEM with mode 600, so the files pass
 * {@link KeyFiles#requirePrivate}. For a second, independent CA call {@link #create} again with
 * another directory.
 *
 * <pre>{@code
 * TestPki pki = TestPki.create(tempDir.resolve("pki"));
 * TestPki.Issued alice = pki.issueClient("alice", List.of("DNS:alice.example", "URI:spiffe://t/alice"));
 * HttpClientOptions options = TlsOptions.client(pki.ca().cert(), alice.cert(), alice.key());
 * }</pre>
 *
 * Leaves are issued with {@code openssl ca}, whose {@code -startdate}/{@code -enddate} set any
 * validity window (openssl 3.0's {@code x509} command has no not-before option).
 */
public final class TestPki {

    /** The CA: its certificate (the trust anchor to configure) and key. */
    public record Ca(Path cert, Path key) {}

    /** An issued leaf: its certificate and its private key (mode 600). */
    public record Issued(Path cert, Path key) {}

    /**
     * What to issue. {@code sans} uses openssl's syntax ({@code "DNS:a.example"},
     * {@code "IP:127.0.0.1"}, {@code "email:x@y.example"}, {@code "URI:spiffe://x"}); an empty
     * list issues a certificate without the SAN extension. {@code extendedKeyUsage} holds openssl
     * names ({@code "clientAuth"}, {@code "serverAuth"}); an empty list leaves the extension out.
     */
    public record Leaf(String name, List<String> sans, List<String> extendedKeyUsage,
            Instant notBefore, Instant notAfter) {
        public Leaf {
            if (!SAFE_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("leaf name must be a plain file name: " + name);
            }
            sans = List.copyOf(sans);
            extendedKeyUsage = List.copyOf(extendedKeyUsage);
        }

        /** Valid from an hour ago (clock skew) for 30 days. */
        public static Leaf of(String name, List<String> sans, List<String> extendedKeyUsage) {
            Instant now = Instant.now();
            return new Leaf(name, sans, extendedKeyUsage, now.minus(Duration.ofHours(1)),
                    now.plus(Duration.ofDays(30)));
        }

        public Leaf validity(Instant from, Instant to) {
            return new Leaf(name, sans, extendedKeyUsage, from, to);
        }
    }

    private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final DateTimeFormatter OPENSSL_TIME =
            DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final Duration OPENSSL_TIMEOUT = Duration.ofSeconds(60);

    private final Path dir;
    private final Ca ca;

    private TestPki(Path dir, Ca ca) {
        this.dir = dir;
        this.ca = ca;
    }

    /** Creates a new CA (P-521, self-signed, pathlen 0) in {@code dir}, which it creates if needed. */
    public static TestPki create(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("index.txt"), "");
        Path cnf = dir.resolve("openssl.cnf");
        Files.writeString(cnf, """
                [req]
                distinguished_name = dn
                prompt             = no
                [dn]

                [ca_ext]
                basicConstraints     = critical, CA:TRUE, pathlen:0
                keyUsage             = critical, keyCertSign, cRLSign
                subjectKeyIdentifier = hash

                [ca]
                default_ca = issuing
                [issuing]
                database        = %s
                new_certs_dir   = %s
                default_md      = sha512
                rand_serial     = yes
                unique_subject  = no
                copy_extensions = none
                email_in_dn     = no
                preserve        = yes
                policy          = anything
                [anything]
                organizationName = optional
                commonName       = supplied
                """.formatted(dir.resolve("index.txt").toAbsolutePath(), dir.toAbsolutePath()));
        Ca ca = new Ca(dir.resolve("ca.pem"), dir.resolve("ca-key.pem"));
        generateKey(ca.key());
        openssl("req", "-new", "-x509", "-sha512", "-days", "30", "-key", ca.key(),
                "-config", cnf, "-extensions", "ca_ext",
                "-subj", "/O=rund test PKI/CN=rund test CA " + dir.getFileName(), "-out", ca.cert());
        return new TestPki(dir, ca);
    }

    public Ca ca() {
        return ca;
    }

    /**
     * Copies the checked-in example PKI (tls/ under the {@code rund.home} system property, which the
     * build sets to the project directory) into {@code dir}, keys at mode 600, and returns {@code dir}.
     * Tests use the copy because git keeps no file modes: in a fresh checkout the example keys may be
     * 0644, which {@link KeyFiles#requirePrivate} rightly refuses.
     */
    public static Path copyExample(Path dir) throws IOException {
        Path repoTls = Path.of(System.getProperty("rund.home", ".")).resolve("tls");
        Files.createDirectories(dir);
        for (String name : List.of("ca", "server", "client")) {
            Files.copy(repoTls.resolve(name + ".pem"), dir.resolve(name + ".pem"),
                    StandardCopyOption.REPLACE_EXISTING);
            Path key = dir.resolve(name + "-key.pem");
            Files.copy(repoTls.resolve(name + "-key.pem"), key, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        }
        return dir;
    }

    /** A client certificate: EKU clientAuth, valid now. */
    public Issued issueClient(String name, List<String> sans) throws IOException {
        return issue(Leaf.of(name, sans, List.of("clientAuth")));
    }

    /** A server certificate: EKU serverAuth, valid now. */
    public Issued issueServer(String name, List<String> sans) throws IOException {
        return issue(Leaf.of(name, sans, List.of("serverAuth")));
    }

    /** A client certificate whose validity ended yesterday. */
    public Issued issueExpiredClient(String name, List<String> sans) throws IOException {
        Instant now = Instant.now();
        return issue(Leaf.of(name, sans, List.of("clientAuth"))
                .validity(now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1))));
    }

    /** A client certificate whose validity starts tomorrow. */
    public Issued issueNotYetValidClient(String name, List<String> sans) throws IOException {
        Instant now = Instant.now();
        return issue(Leaf.of(name, sans, List.of("clientAuth"))
                .validity(now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(2))));
    }

    /** A would-be client certificate whose EKU allows serverAuth only. */
    public Issued issueClientWithoutClientAuth(String name, List<String> sans) throws IOException {
        return issue(Leaf.of(name, sans, List.of("serverAuth")));
    }

    /** A would-be server certificate whose EKU allows clientAuth only. */
    public Issued issueServerWithoutServerAuth(String name, List<String> sans) throws IOException {
        return issue(Leaf.of(name, sans, List.of("clientAuth")));
    }

    /** A client certificate (EKU clientAuth) without any SAN. */
    public Issued issueClientWithoutSan(String name) throws IOException {
        return issue(Leaf.of(name, List.of(), List.of("clientAuth")));
    }

    /** A certificate without the EKU extension at all (any usage, per RFC 5280). */
    public Issued issueWithoutEku(String name, List<String> sans) throws IOException {
        return issue(Leaf.of(name, sans, List.of()));
    }

    /** Issues {@code leaf} as {@code <dir>/<name>.pem} and {@code <dir>/<name>-key.pem}. */
    public synchronized Issued issue(Leaf leaf) throws IOException {
        Issued issued = new Issued(dir.resolve(leaf.name() + ".pem"), dir.resolve(leaf.name() + "-key.pem"));
        generateKey(issued.key());
        Path csr = dir.resolve(leaf.name() + ".csr");
        Path ext = dir.resolve(leaf.name() + ".ext");
        List<String> lines = new ArrayList<>(List.of(
                "[leaf]",
                "basicConstraints = critical, CA:FALSE",
                "keyUsage = critical, digitalSignature",
                "subjectKeyIdentifier = hash",
                "authorityKeyIdentifier = keyid:always"));
        if (!leaf.extendedKeyUsage().isEmpty()) {
            lines.add("extendedKeyUsage = " + String.join(", ", leaf.extendedKeyUsage()));
        }
        if (!leaf.sans().isEmpty()) {
            lines.add("subjectAltName = " + String.join(", ", leaf.sans()));
        }
        Files.write(ext, lines, StandardCharsets.UTF_8);
        openssl("req", "-new", "-sha512", "-key", issued.key(), "-config", dir.resolve("openssl.cnf"),
                "-subj", "/O=rund test PKI/CN=" + leaf.name(), "-out", csr);
        openssl("ca", "-batch", "-notext", "-config", dir.resolve("openssl.cnf"),
                "-cert", ca.cert(), "-keyfile", ca.key(), "-in", csr, "-out", issued.cert(),
                "-startdate", OPENSSL_TIME.format(leaf.notBefore()),
                "-enddate", OPENSSL_TIME.format(leaf.notAfter()),
                "-extfile", ext, "-extensions", "leaf");
        return issued;
    }

    private static void generateKey(Path key) throws IOException {
        openssl("genpkey", "-quiet", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521",
                "-pkeyopt", "ec_param_enc:named_curve", "-out", key);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    }

    /** Runs the openssl command line with {@code args}; fails with its output if it fails. */
    static void openssl(Object... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        for (Object arg : args) {
            command.add(arg.toString());
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!process.waitFor(OPENSSL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", command));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + process.exitValue() + "):\n" + output);
        }
    }
}
