package rund.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PeerIdentityTest {

    // GeneralName tags, as X509Certificate.getSubjectAlternativeNames reports them:
    // 1 e-mail, 2 DNS, 4 directory name, 6 URI, 7 IP address.
    private static final int DIRECTORY = 4;

    @TempDir static Path tmp;
    static TestPki pki;

    @BeforeAll
    static void setUp() throws Exception {
        pki = TestPki.create(tmp.resolve("pki"));
    }

    // ---- canonical forms --------------------------------------------------------------------

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
        // DNS: case-insensitive, trailing dot dropped, wildcard kept literally
        "2 | client.example           | dns:client.example",
        "2 | Client.EXAMPLE           | dns:client.example",
        "2 | client.example.          | dns:client.example",
        "2 | *.Example.org            | dns:*.example.org",
        // IP: one textual form per address
        "7 | 127.0.0.1                | ip:127.0.0.1",
        "7 | ::1                      | ip:0:0:0:0:0:0:0:1",
        "7 | 0:0:0:0:0:0:0:1          | ip:0:0:0:0:0:0:0:1",
        "7 | 2001:DB8::0:1            | ip:2001:db8:0:0:0:0:0:1",
        "7 | 2001:0db8:0000::1        | ip:2001:db8:0:0:0:0:0:1",
        "7 | ::ffff:10.0.0.1          | ip:10.0.0.1",
        // e-mail: the domain folds, the local part does not
        "1 | Ops.Team@Example.ORG     | email:Ops.Team@example.org",
        "1 | ops.team@example.org     | email:ops.team@example.org",
        // URI: exactly as written
        "6 | spiffe://Example.org/Job | uri:spiffe://Example.org/Job",
        "6 | spiffe://example.org/job | uri:spiffe://example.org/job",
        "6 | https://x.example/a/     | uri:https://x.example/a/",
    })
    void canonicalForms(int type, String value, String canonical) {
        assertEquals(canonical, PeerIdentity.canonical(type, value));
    }

    @Test
    void nameTypesOtherThanDnsIpEmailAndUriAreIgnored() {
        assertNull(PeerIdentity.canonical(DIRECTORY, "CN=someone"));
        assertNull(PeerIdentity.canonical(0, "other"));
        assertNull(PeerIdentity.canonical(8, "1.2.3.4"));
    }

    // ---- overlap ----------------------------------------------------------------------------

    @ParameterizedTest(name = "[{0}] ~ [{1}] = {2}")
    @CsvSource(delimiter = '|', value = {
        "dns:a                | dns:a                | true",
        "dns:a,dns:b          | dns:b,dns:c          | true",
        "dns:a,ip:127.0.0.1   | ip:127.0.0.1         | true",
        "dns:a                | dns:b                | false",
        "dns:a                | uri:dns:a            | false",
        "uri:spiffe://x/Job   | uri:spiffe://x/job   | false",
        "email:A@x            | email:a@x            | false",
        "''                   | ''                   | false",
        "''                   | dns:a                | false",
    })
    void overlapIsAnySharedName(String left, String right, boolean expected) {
        PeerIdentity a = identity(left);
        PeerIdentity b = identity(right);

        assertEquals(expected, a.overlaps(b));
        assertEquals(expected, b.overlaps(a), "overlap is symmetric");
    }

    @Test
    void anEmptyIdentityMatchesNothingNotEvenItself() {
        assertFalse(PeerIdentity.NONE.overlaps(PeerIdentity.NONE));
        assertFalse(new PeerIdentity(Set.of()).overlaps(new PeerIdentity(Set.of())));
    }

    @Test
    void theSetIsImmutableAndSortedWhateverItWasBuiltFrom() {
        List<String> names = new ArrayList<>(List.of("uri:z", "dns:b", "dns:a"));
        PeerIdentity identity = new PeerIdentity(Set.copyOf(names));

        assertEquals(List.of("dns:a", "dns:b", "uri:z"), List.copyOf(identity.sans()));
        assertThrows(UnsupportedOperationException.class, () -> identity.sans().add("dns:c"));
        assertEquals(identity, new PeerIdentity(Set.of("dns:a", "dns:b", "uri:z")));
    }

    // ---- from real certificates -------------------------------------------------------------

    @Test
    void spellingsOfTheSameNamesInTwoCertificatesGiveTheSameIdentity() throws Exception {
        X509Certificate one = cert("spelling-1",
                "DNS:Worker.Example.", "IP:::1", "email:Ops@Example.ORG", "URI:spiffe://t/w");
        X509Certificate two = cert("spelling-2",
                "DNS:worker.example", "IP:0:0:0:0:0:0:0:1", "email:Ops@example.org", "URI:spiffe://t/w");

        PeerIdentity first = PeerIdentity.of(one);
        assertEquals(Set.of("dns:worker.example", "ip:0:0:0:0:0:0:0:1", "email:Ops@example.org",
                "uri:spiffe://t/w"), first.sans());
        assertEquals(first, PeerIdentity.of(two));
        assertTrue(first.overlaps(PeerIdentity.of(two)));
    }

    @Test
    void uriAndEmailLocalPartsKeepTheirCase() throws Exception {
        PeerIdentity upper = PeerIdentity.of(cert("case-upper", "URI:spiffe://t/Worker", "email:Ops@x.example"));
        PeerIdentity lower = PeerIdentity.of(cert("case-lower", "URI:spiffe://t/worker", "email:ops@x.example"));

        assertNotEquals(upper, lower);
        assertFalse(upper.overlaps(lower));
    }

    @Test
    void aCertificateWithoutSansHasTheEmptyIdentity() throws Exception {
        X509Certificate noSan = PemFiles.certificates(pki.issueClientWithoutSan("no-san").cert()).getFirst();

        assertEquals(PeerIdentity.NONE, PeerIdentity.of(noSan));
    }

    @Test
    void theSubjectCommonNameIsNeverAnIdentity() throws Exception {
        // TestPki puts the leaf name in the CN: only the SAN may show up.
        PeerIdentity identity = PeerIdentity.of(cert("cn-is-not-a-san", "DNS:san.example"));

        assertEquals(Set.of("dns:san.example"), identity.sans());
    }

    @Test
    void noSessionOrAnUnverifiedPeerGivesTheEmptyIdentity() {
        SSLSession unverified = (SSLSession) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {SSLSession.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getPeerCertificates")) {
                        throw new SSLPeerUnverifiedException("peer not authenticated");
                    }
                    throw new UnsupportedOperationException(method.getName());
                });

        assertSame(PeerIdentity.NONE, PeerIdentity.of((SSLSession) null));
        assertSame(PeerIdentity.NONE, PeerIdentity.of(unverified));
    }

    private static X509Certificate cert(String name, String... sans) throws Exception {
        return PemFiles.certificates(pki.issueClient(name, List.of(sans)).cert()).getFirst();
    }

    private static PeerIdentity identity(String csv) {
        if (csv.isBlank()) {
            return new PeerIdentity(Set.of());
        }
        return new PeerIdentity(Set.copyOf(Arrays.asList(csv.split(","))));
    }
}
