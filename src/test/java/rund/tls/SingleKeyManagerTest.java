package rund.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which key types the one key is offered for, and what the factory hands out. */
class SingleKeyManagerTest {

    @TempDir static Path tmp;
    static List<X509Certificate> chain;
    static PrivateKey key;

    @BeforeAll
    static void setUp() throws Exception {
        TestPki pki = TestPki.create(tmp.resolve("pki"));
        TestPki.Issued issued = pki.issueClient("client", List.of("DNS:client.example"));
        chain = PemFiles.certificates(issued.cert());
        key = PemFiles.privateKey(issued.key(), Files.readAllBytes(issued.key()), "EC");
    }

    @Test
    void offersTheKeyForItsOwnAlgorithmOnly() {
        SingleKeyManager manager = new SingleKeyManager(key, chain);

        String alias = manager.chooseEngineClientAlias(new String[] {"RSA", "EC"}, null, null);
        assertEquals(alias, manager.chooseEngineServerAlias("EC", null, null));
        assertEquals(alias, manager.chooseClientAlias(new String[] {"EC"}, null, null));
        assertEquals(alias, manager.chooseServerAlias("EC_EC", null, null)); // TLS 1.2's key_signature pairs
        assertArrayEquals(new String[] {alias}, manager.getClientAliases("EC", null));

        assertNull(manager.chooseEngineClientAlias(new String[] {"RSA", "EdDSA"}, null, null));
        assertNull(manager.chooseEngineServerAlias("RSA", null, null));
        assertNull(manager.chooseServerAlias("RSA_EC", null, null));
        assertNull(manager.getServerAliases("RSASSA-PSS", null));
        assertNull(manager.chooseEngineClientAlias(null, null, null));
    }

    @Test
    void offersTheKeyOnlyToAPeerThatAcceptsItsIssuerWhenThePeerNamesIssuers() {
        SingleKeyManager manager = new SingleKeyManager(key, chain);
        Principal ours = chain.getFirst().getIssuerX500Principal();
        Principal other = new X500Principal("CN=another CA");

        assertNotNull(manager.chooseEngineClientAlias(new String[] {"EC"}, new Principal[] {other, ours}, null));
        assertNotNull(manager.chooseEngineServerAlias("EC", new Principal[0], null));
        assertNull(manager.chooseEngineClientAlias(new String[] {"EC"}, new Principal[] {other}, null));
        assertNull(manager.chooseEngineServerAlias("EC", new Principal[] {other}, null));
        assertNull(manager.getClientAliases("EC", new Principal[] {other}));
    }

    @Test
    void handsOutTheKeyAndAFreshCopyOfTheChainForItsAliasOnly() {
        SingleKeyManager manager = new SingleKeyManager(key, chain);
        String alias = manager.chooseEngineServerAlias("EC", null, null);

        assertSame(key, manager.getPrivateKey(alias));
        X509Certificate[] first = manager.getCertificateChain(alias);
        assertEquals(chain, List.of(first));
        first[0] = null;
        assertEquals(chain, List.of(manager.getCertificateChain(alias)));
        assertNull(manager.getPrivateKey(alias + "-other"));
        assertNull(manager.getCertificateChain(alias + "-other"));
    }

    @Test
    void theFactoryIsReadyWithoutInitAndYieldsTheManager() throws Exception {
        SingleKeyManager manager = new SingleKeyManager(key, chain);

        KeyManager[] managers = manager.asFactory().getKeyManagers();
        assertEquals(1, managers.length);
        assertSame(manager, managers[0]);
    }
}
