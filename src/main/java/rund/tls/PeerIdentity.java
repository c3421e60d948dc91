package rund.tls;

import java.net.InetAddress;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The caller's identity: the subject alternative names of its verified leaf certificate, each in a
 * canonical form so that two spellings of one name compare equal.
 *
 * <ul>
 *   <li>{@code dns:} + the name in lower case, without a trailing dot. DNS names are
 *       case-insensitive (RFC 4343) and {@code example.com.} is the same absolute name as
 *       {@code example.com}. A wildcard such as {@code *.example.com} is kept as the literal string:
 *       it is not expanded and matches only the same wildcard.
 *   <li>{@code ip:} + the address as {@link InetAddress#getHostAddress()} prints it, so IPv6
 *       {@code ::1} and {@code 0:0:0:0:0:0:0:1} are one identity. An IPv4-mapped IPv6 address is the
 *       IPv4 address, as the JDK treats it.
 *   <li>{@code email:} + the local part as written + {@code @} + the domain in lower case: the
 *       domain is a DNS name, but only the receiving host may interpret the local part (RFC 5321).
 *   <li>{@code uri:} + the URI exactly as in the certificate: URI equivalence depends on the scheme,
 *       so no normalisation is safe in general (SPIFFE IDs, for one, are case-sensitive).
 * </ul>
 *
 * Other name types (directory names, other names, registered IDs) are ignored. The subject's CN is
 * never used: only SANs name a TLS peer (RFC 6125).
 *
 * @param sans the canonical names; kept sorted, so the identity prints the same way every time
 */
public record PeerIdentity(Set<String> sans) {

    /** No names: matches nothing. */
    public static final PeerIdentity NONE = new PeerIdentity(Set.of());

    private static final int EMAIL = 1;
    private static final int DNS = 2;
    private static final int URI = 6;
    private static final int IP = 7;

    public PeerIdentity {
        sans = Collections.unmodifiableSortedSet(new TreeSet<>(sans));
    }

    /**
     * The identity of the peer of an established TLS session. The handshake has already validated
     * the peer's certificate path, so its leaf is read as it is. A session without a verified peer
     * certificate (or no session at all, i.e. plaintext) gives {@link #NONE}, which matches nothing.
     */
    public static PeerIdentity of(SSLSession session) {
        if (session == null) {
            return NONE;
        }
        Certificate[] chain;
        try {
            chain = session.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return NONE;
        }
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
            return NONE;
        }
        return of(leaf);
    }

    /**
     * The identity named by a certificate's SANs. A certificate without SANs, or with SANs that
     * cannot be parsed, gives {@link #NONE}.
     */
    public static PeerIdentity of(X509Certificate leaf) {
        Collection<List<?>> names;
        try {
            names = leaf.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return NONE;
        }
        if (names == null) {
            return NONE;
        }
        Set<String> sans = new TreeSet<>();
        for (List<?> name : names) {
            if (name.size() >= 2 && name.get(0) instanceof Integer type && name.get(1) instanceof String value) {
                String canonical = canonical(type, value);
                if (canonical != null) {
                    sans.add(canonical);
                }
            }
        }
        return new PeerIdentity(sans);
    }

    /**
     * The authorization rule for a job: true iff the two identities share at least one name. An
     * empty identity never matches, not even another empty one, so a certificate without SANs can
     * neither own a job nor reach one.
     */
    public boolean overlaps(PeerIdentity other) {
        for (String san : sans) {
            if (other.sans.contains(san)) {
                return true;
            }
        }
        return false;
    }

    /** The canonical form of a SAN of the given GeneralName type, or null for an ignored type. */
    static String canonical(int type, String value) {
        return switch (type) {
            case DNS -> "dns:" + dns(value);
            case IP -> "ip:" + ip(value);
            case EMAIL -> "email:" + email(value);
            case URI -> "uri:" + value;
            default -> null;
        };
    }

    private static String dns(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    private static String ip(String address) {
        try {
            // ofLiteral never consults DNS: it accepts only address literals.
            return InetAddress.ofLiteral(address).getHostAddress();
        } catch (IllegalArgumentException e) {
            return address; // the JDK prints IP SANs as literals; keep anything else verbatim
        }
    }

    private static String email(String address) {
        int at = address.lastIndexOf('@');
        if (at < 0) {
            return address;
        }
        return address.substring(0, at + 1) + address.substring(at + 1).toLowerCase(Locale.ROOT);
    }
}
