package rund.tls;

import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.TrustOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.TrustManagerFactory;

/**
 * Builds the Vert.x server and client options for rund's mutual TLS from PEM files, applying
 * {@link TlsPolicy}. The files are read and checked here, once, so that a wrong file is reported by
 * name when the daemon or runc starts, not as a failed handshake later.
 *
 * <p>The peer's certificate is checked during the handshake by the JDK's PKIX trust manager: a path
 * to a certificate in {@code caPem}, the validity dates, and the extended key usage (clientAuth for
 * a client, serverAuth for the server; a certificate without the EKU extension is unrestricted, as
 * RFC 5280 says). Revocation is not checked: the example PKI publishes no CRL or OCSP responder.
 */
public final class TlsOptions {

    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final int RECEIVE_WINDOW_BYTES = 4 * 1024 * 1024;

    private TlsOptions() {}

    /**
     * HTTP/2-over-TLS server options for gRPC: ALPN offering only h2, TLS 1.3 only, the policy's
     * cipher suites and groups, a client certificate required and path-validated against the
     * certificates in {@code caPem} only (not the JDK's default cacerts), on the JDK SSL engine.
     * Plaintext (h2c or HTTP/1) is not served: the port speaks TLS or nothing.
     */
    public static HttpServerOptions server(Path caPem, Path certPem, Path keyPem) throws TlsConfigException {
        Material m = Material.load(caPem, certPem, keyPem, SERVER_AUTH, "serverAuth", "clients", true);
        HttpServerOptions options = new HttpServerOptions()
                .setSsl(true)
                .setUseAlpn(true)
                .setAlpnVersions(List.of(HttpVersion.HTTP_2))
                .setHttp2ClearTextEnabled(false)
                .setClientAuth(ClientAuth.REQUIRED)
                .setSslEngineOptions(new PolicyEngineOptions())
                .setKeyCertOptions(m.keyCert())
                .setTrustOptions(m.trust())
                .setEnabledSecureTransportProtocols(new LinkedHashSet<>(TlsPolicy.PROTOCOLS));
        TlsPolicy.CIPHER_SUITES.forEach(options::addEnabledCipherSuite);
        return options;
    }

    /**
     * Client options for vertx-grpc-client: HTTP/2 negotiated by ALPN, TLS 1.3 only, the policy's
     * suites and groups, trusting the certificates in {@code caPem} only, presenting the given
     * certificate and key, and verifying that the server's certificate names the host dialled
     * (a SAN DNS name or IP address matching it).
     *
     * <p>Unlike {@link #server}, this does not prove that the key belongs to the certificate: that
     * takes a signature and its verification, tens of milliseconds of P-521 arithmetic in the cold
     * JVM of a runc call, for a mistake the handshake exposes anyway (the server refuses the
     * client's signature). A client that sees its handshake fail asks {@link #keyMismatch} to name
     * the cause.
     */
    public static HttpClientOptions client(Path caPem, Path certPem, Path keyPem) throws TlsConfigException {
        Material m = Material.load(caPem, certPem, keyPem, CLIENT_AUTH, "clientAuth", "the server", false);
        HttpClientOptions options = new HttpClientOptions()
                .setSsl(true)
                .setUseAlpn(true)
                .setProtocolVersion(HttpVersion.HTTP_2)
                .setAlpnVersions(List.of(HttpVersion.HTTP_2))
                .setHttp2ClearTextUpgrade(false)
                .setTrustAll(false)
                .setVerifyHost(true)
                .setSslEngineOptions(new PolicyEngineOptions())
                .setKeyCertOptions(m.keyCert())
                .setTrustOptions(m.trust());
        options.setEnabledSecureTransportProtocols(new LinkedHashSet<>(TlsPolicy.PROTOCOLS));
        TlsPolicy.CIPHER_SUITES.forEach(options::addEnabledCipherSuite);
        // The receiver's HTTP/2 windows pace a Log stream: with the default 64 KiB the daemon stalls a
        // round trip every 64 KiB. 4 MiB per stream (and per connection) bounds what one connection may
        // have in flight while letting a follower run at disk and TLS speed.
        options.setInitialSettings(new Http2Settings().setInitialWindowSize(RECEIVE_WINDOW_BYTES))
                .setHttp2ConnectionWindowSize(RECEIVE_WINDOW_BYTES);
        // Vert.x 5 turns verifyHost into the "HTTPS" algorithm only while the algorithm is unset
        // (null); "" would switch verification off. Setting it here states the intent and travels
        // with every copy of these options (vertx-grpc-client copies them).
        options.getSslOptions().setHostnameVerificationAlgorithm("HTTPS");
        return options;
    }

    /**
     * Why the private key in {@code keyPem} is not the one of the certificate in {@code certPem},
     * in the words {@link #server} would use; empty when it is, or when either file cannot be read
     * (loading them reports that).
     */
    public static Optional<String> keyMismatch(Path certPem, Path keyPem) {
        X509Certificate leaf;
        PrivateKey key;
        try {
            leaf = PemFiles.certificates(certPem).getFirst();
            key = PemFiles.privateKey(keyPem, PemFiles.read(keyPem), leaf.getPublicKey().getAlgorithm());
        } catch (TlsConfigException e) {
            return Optional.empty();
        }
        try {
            Material.checkPair(certPem, leaf, keyPem, key);
            return Optional.empty();
        } catch (TlsConfigException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** The checked contents of the three files, as Vert.x options. */
    private record Material(KeyCertOptions keyCert, TrustOptions trust) {

        static Material load(Path caPem, Path certPem, Path keyPem, String usageOid, String usageName,
                String verifier, boolean checkPair) throws TlsConfigException {
            List<X509Certificate> cas = PemFiles.certificates(caPem);

            List<X509Certificate> chain = PemFiles.certificates(certPem);
            X509Certificate leaf = chain.getFirst();
            checkValidity(certPem, leaf);
            checkUsage(certPem, leaf, usageOid, usageName, verifier);

            KeyFiles.requirePrivate(keyPem);
            byte[] keyBytes = PemFiles.read(keyPem);
            PrivateKey key = PemFiles.privateKey(keyPem, keyBytes, leaf.getPublicKey().getAlgorithm());
            if (checkPair) {
                checkPair(certPem, leaf, keyPem, key);
            }

            // The managers are made from exactly the certificates and key checked above, so what was
            // checked is what is used, and Vert.x has no PEM left to parse (or to re-encrypt: see
            // SingleKeyManager).
            KeyCertOptions keyCert = KeyCertOptions.wrap(new SingleKeyManager(key, chain).asFactory());
            TrustOptions trust = TrustOptions.wrap(trustOnly(caPem, cas));
            return new Material(keyCert, trust);
        }

        /**
         * The JDK's PKIX trust manager with the CA file's certificates as its only trust anchors (not the JDK's
         * cacerts): path validation, validity dates, and the extended key usage of the peer's role. Host name
         * verification happens in it too, when the engine's endpoint identification algorithm is set.
         */
        private static TrustManagerFactory trustOnly(Path caPem, List<X509Certificate> cas)
                throws TlsConfigException {
            try {
                KeyStore anchors = KeyStore.getInstance("PKCS12");
                anchors.load(null, null);
                for (int i = 0; i < cas.size(); i++) {
                    anchors.setCertificateEntry("ca-" + i, cas.get(i));
                }
                TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
                factory.init(anchors);
                return factory;
            } catch (GeneralSecurityException | IOException e) {
                throw new TlsConfigException(caPem + ": cannot use its certificates as trust anchors: "
                        + e.getMessage(), e);
            }
        }

        private static void checkValidity(Path certPem, X509Certificate leaf) throws TlsConfigException {
            try {
                leaf.checkValidity();
            } catch (CertificateExpiredException e) {
                throw new TlsConfigException(certPem + ": the certificate expired on "
                        + leaf.getNotAfter().toInstant() + ": issue a new one (tls/gen-certs.sh makes"
                        + " a new example set)", e);
            } catch (CertificateNotYetValidException e) {
                throw new TlsConfigException(certPem + ": the certificate is not valid before "
                        + leaf.getNotBefore().toInstant() + ": check this host's clock", e);
            }
        }

        /**
         * A certificate whose extended key usage excludes its role would be refused by every peer;
         * saying so now beats a handshake failure on the other side. No EKU extension means no
         * restriction (RFC 5280), so that passes.
         */
        private static void checkUsage(Path certPem, X509Certificate leaf, String oid, String name,
                String verifier) throws TlsConfigException {
            List<String> eku;
            try {
                eku = leaf.getExtendedKeyUsage();
            } catch (CertificateParsingException e) {
                throw new TlsConfigException(certPem + ": unreadable extended key usage: " + e.getMessage(), e);
            }
            if (eku != null && !eku.contains(oid) && !eku.contains("2.5.29.37.0")) {
                throw new TlsConfigException(certPem + ": the certificate's extended key usage lacks "
                        + name + ", so " + verifier + " will refuse it: issue one with extendedKeyUsage="
                        + name);
            }
        }

        /** Proves the key belongs to the certificate by signing with one and verifying with the other. */
        private static void checkPair(Path certPem, X509Certificate leaf, Path keyPem, PrivateKey key)
                throws TlsConfigException {
            String algorithm = switch (key.getAlgorithm()) {
                case "EC" -> "SHA512withECDSA";
                case "RSA" -> "SHA256withRSA";
                case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
                default -> null;
            };
            if (algorithm == null) {
                return; // an algorithm we cannot test here; the handshake will tell
            }
            try {
                byte[] challenge = new byte[32];
                new SecureRandom().nextBytes(challenge);
                Signature signer = Signature.getInstance(algorithm);
                signer.initSign(key);
                signer.update(challenge);
                byte[] signature = signer.sign();
                Signature verifier = Signature.getInstance(algorithm);
                verifier.initVerify(leaf.getPublicKey());
                verifier.update(challenge);
                if (verifier.verify(signature)) {
                    return;
                }
            } catch (GeneralSecurityException e) {
                // A key of another curve or size than the certificate's lands here: a mismatch too.
            }
            throw new TlsConfigException(keyPem + " is not the private key of the certificate in " + certPem);
        }
    }
}
