package rund.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads PEM certificates and PKCS#8 keys, turning every way a file can be wrong into a
 * {@link TlsConfigException} that names the file. Vert.x parses the same bytes again when it builds
 * its SSL context; reading them here first is what gives the user a message about the file rather
 * than a stack trace from inside the first handshake.
 */
final class PemFiles {

    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

    private PemFiles() {}

    static void requireReadableFile(Path file) throws TlsConfigException {
        if (!Files.exists(file)) {
            throw new TlsConfigException(file + ": no such file");
        }
        if (!Files.isRegularFile(file)) {
            throw new TlsConfigException(file + ": not a regular file");
        }
        if (!Files.isReadable(file)) {
            throw new TlsConfigException(file + ": permission denied");
        }
    }

    static byte[] read(Path file) throws TlsConfigException {
        requireReadableFile(file);
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new TlsConfigException(file + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new TlsConfigException(file + ": permission denied", e);
        } catch (IOException e) {
            throw new TlsConfigException(file + ": " + e.getMessage(), e);
        }
    }

    /** Every certificate in the file, in file order; at least one. */
    static List<X509Certificate> certificates(Path pem) throws TlsConfigException {
        return certificates(pem, read(pem));
    }

    static List<X509Certificate> certificates(Path pem, byte[] bytes) throws TlsConfigException {
        List<X509Certificate> certs = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (Block block : blocks(bytes)) {
                if (block.type.equals("CERTIFICATE")) {
                    byte[] der = decode(pem, block);
                    certs.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
                }
            }
        } catch (CertificateException e) {
            throw new TlsConfigException(pem + ": not a valid X.509 certificate: " + e.getMessage(), e);
        }
        if (certs.isEmpty()) {
            throw new TlsConfigException(pem + ": not a PEM certificate");
        }
        return certs;
    }

    /**
     * The unencrypted PKCS#8 private key in the file, as a key of {@code algorithm} (the algorithm
     * of the certificate it belongs to: "EC", "RSA", "Ed25519", ...).
     */
    static PrivateKey privateKey(Path pem, byte[] bytes, String algorithm) throws TlsConfigException {
        for (Block block : blocks(bytes)) {
            switch (block.type) {
                case "PRIVATE KEY" -> {
                    try {
                        return KeyFactory.getInstance(algorithm)
                                .generatePrivate(new PKCS8EncodedKeySpec(decode(pem, block)));
                    } catch (GeneralSecurityException e) {
                        throw new TlsConfigException(
                                pem + ": not a PKCS#8 " + algorithm + " private key: " + e.getMessage(), e);
                    }
                }
                case "ENCRYPTED PRIVATE KEY" -> throw new TlsConfigException(pem
                        + ": the key is encrypted, and rund reads keys without a passphrase: decrypt it"
                        + " with openssl pkey -in " + pem + " -out " + pem + ".new, then chmod 600 and"
                        + " rename it (file permissions protect it instead)");
                case "EC PRIVATE KEY", "RSA PRIVATE KEY" -> throw new TlsConfigException(pem
                        + ": the key is in the legacy " + block.type + " format; rund reads PKCS#8"
                        + " (-----BEGIN PRIVATE KEY-----): convert it with openssl pkey -in " + pem
                        + " -out " + pem + ".new, then chmod 600 and rename it");
                default -> {
                    // Other blocks (EC PARAMETERS from openssl ecparam, a certificate bundled in the
                    // same file) are not the key: look further.
                }
            }
        }
        throw new TlsConfigException(pem + ": not a PEM private key (-----BEGIN PRIVATE KEY-----)");
    }

    private static byte[] decode(Path pem, Block block) throws TlsConfigException {
        try {
            return Base64.getMimeDecoder().decode(block.body);
        } catch (IllegalArgumentException e) {
            throw new TlsConfigException(pem + ": the " + block.type + " block is not valid base64", e);
        }
    }

    private static List<Block> blocks(byte[] bytes) {
        // ISO-8859-1 maps every byte to one char, so binary garbage cannot make decoding fail.
        Matcher m = BLOCK.matcher(new String(bytes, StandardCharsets.ISO_8859_1));
        List<Block> blocks = new ArrayList<>();
        while (m.find()) {
            blocks.add(new Block(m.group(1), m.group(2)));
        }
        return blocks;
    }

    private record Block(String type, String body) {}
}
