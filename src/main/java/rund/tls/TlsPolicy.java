package rund.tls;

import java.util.List;

/**
 * The TLS policy of rund, in one place. Both ends of every connection are rund's own code (the
 * daemon and runc), so the policy does not need to accept what an arbitrary browser or library
 * offers: it keeps only what is strong, and nothing that exists for compatibility alone.
 *
 * <p>{@link TlsOptions} applies these lists to the Vert.x server and client; a peer that offers
 * nothing from a list fails the handshake.
 */
public final class TlsPolicy {

    /**
     * TLS 1.3 only. It removed static RSA and finite-field key exchange, CBC and RC4 suites,
     * renegotiation and compression, encrypts the certificates (so a passive observer does not see
     * which client connects), and always gives forward secrecy. TLS 1.2 would only add the means
     * to negotiate down to weaker choices.
     */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3");

    /**
     * Cipher suites, in order of preference.
     *
     * <ul>
     *   <li>{@code TLS_AES_256_GCM_SHA384}: AES-256 in an AEAD mode, hardware-accelerated on every
     *       current x86-64 and ARMv8 server; 256-bit keys keep the same margin as the P-521/SHA-512
     *       PKI (and as CNSA guidance).
     *   <li>{@code TLS_CHACHA20_POLY1305_SHA256}: the 256-bit-key AEAD that stays fast and
     *       constant-time in software, for hosts without AES instructions.
     * </ul>
     *
     * <p>{@code TLS_AES_128_GCM_SHA256} is left out on purpose. RFC 8446 makes it mandatory to
     * implement so that any two stacks can talk, but here both ends are ours and both offer the two
     * suites above (as does every TLS 1.3 stack in use, Go's and OpenSSL's included), so it would
     * only ever be chosen by a peer that wants less: no interoperability is gained, and a 128-bit
     * key has half the margin against future (e.g. quantum, Grover-style) key search. The CCM
     * suites are left out too: they exist for constrained devices and the JDK disables them anyway.
     */
    public static final List<String> CIPHER_SUITES =
            List.of("TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256");

    /**
     * Key-exchange groups, in order of preference (the client sends its key share for the first
     * one, so the usual handshake needs no HelloRetryRequest).
     *
     * <ul>
     *   <li>{@code x25519}: designed to be hard to implement wrongly (constant time, no invalid-point
     *       attacks, any 32-byte string is a valid public key), the fastest, and the first group of
     *       every modern TLS stack.
     *   <li>{@code secp521r1}: the curve of the PKI's keys; the strongest NIST curve, for peers that
     *       must use NIST curves (FIPS mode).
     *   <li>{@code secp384r1}: the CNSA-suite curve, for NIST-only peers that lack P-521.
     * </ul>
     *
     * <p>Left out: {@code secp256r1} (the weakest NIST curve, never needed because every TLS 1.3
     * stack also has one of the above), {@code x448} (rarely implemented, Go's TLS stack lacks it,
     * so it adds code paths without adding peers) and the {@code ffdhe*} groups (large and slow key
     * shares with no security gain over the elliptic curves). The JDK this is built for (25) has no
     * post-quantum hybrid group yet; {@code X25519MLKEM768} belongs first in this list once it does.
     *
     * <p>The JDK offers no per-connection default for groups other than the process-wide
     * {@code jdk.tls.namedGroups} system property, which is read once when JSSE first initialises
     * (too early and too global to be a reliable control); {@link TlsOptions} therefore sets these
     * groups on every SSLEngine it creates, through {@code SSLParameters.setNamedGroups}.
     */
    public static final List<String> NAMED_GROUPS = List.of("x25519", "secp521r1", "secp384r1");

    private TlsPolicy() {}
}
