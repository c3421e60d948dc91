package rund.tls;

import java.net.Socket;
import java.security.InvalidAlgorithmParameterException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A key manager that holds exactly one private key and its certificate chain, as read from the PEM files.
 *
 * <p>Why not a key store: the JDK's only in-memory key store that takes a private key, PKCS#12, encrypts the key
 * as it is stored (PBKDF2, 10,000 iterations) and the key manager factory decrypts it again. Vert.x's PEM options
 * do exactly that, and in a cold JVM those derivations cost runc a third of its run time. Handing JSSE the
 * parsed key directly skips them; nothing about which key and chain are presented changes.
 *
 * <p>JSSE asks for an alias per key type it can use ("EC", "RSA", "EdDSA", or "EC_EC"-style pairs in TLS 1.2);
 * the key is offered when its algorithm is that type and, when the peer named the issuers it accepts, a
 * certificate of the chain was issued by one of them: the rule of the JDK's own key manager, so a client whose
 * certificate the server's CA did not issue sends none, as before, and the server says so.
 */
final class SingleKeyManager extends X509ExtendedKeyManager {

    private static final String ALIAS = "rund";

    private final PrivateKey key;
    private final X509Certificate[] chain;

    SingleKeyManager(PrivateKey key, List<X509Certificate> chain) {
        this.key = key;
        this.chain = chain.toArray(X509Certificate[]::new);
    }

    /** This key manager as the factory Vert.x takes (Vert.x's own wrapper needs SLF4J on the class path). */
    KeyManagerFactory asFactory() {
        return new Factory(this);
    }

    private boolean fits(String keyType) {
        int pair = keyType.indexOf('_');
        return (pair < 0 ? keyType : keyType.substring(0, pair)).equals(key.getAlgorithm());
    }

    private boolean issuedByOneOf(Principal[] issuers) {
        if (issuers == null || issuers.length == 0) {
            return true;
        }
        List<Principal> accepted = Arrays.asList(issuers);
        for (X509Certificate certificate : chain) {
            if (accepted.contains(certificate.getIssuerX500Principal())) {
                return true;
            }
        }
        return false;
    }

    private String choose(String[] keyTypes, Principal[] issuers) {
        if (keyTypes != null && issuedByOneOf(issuers)) {
            for (String type : keyTypes) {
                if (type != null && fits(type)) {
                    return ALIAS;
                }
            }
        }
        return null;
    }

    private String[] aliases(String keyType, Principal[] issuers) {
        return keyType != null && fits(keyType) && issuedByOneOf(issuers) ? new String[] {ALIAS} : null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return aliases(keyType, issuers);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return aliases(keyType, issuers);
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return choose(keyTypes, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return choose(new String[] {keyType}, issuers);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return choose(keyTypes, issuers);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return choose(new String[] {keyType}, issuers);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? chain.clone() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? key : null;
    }

    /** A factory that is born initialised with one key manager; it has nothing to load. */
    private static final class Factory extends KeyManagerFactory {
        Factory(SingleKeyManager manager) {
            super(new Spi(manager), null, "rund-single-key");
        }
    }

    private static final class Spi extends KeyManagerFactorySpi {
        private final KeyManager[] managers;

        Spi(SingleKeyManager manager) {
            this.managers = new KeyManager[] {manager};
        }

        @Override
        protected void engineInit(KeyStore store, char[] password) {
            // Already holds its key: nothing to load.
        }

        @Override
        protected void engineInit(ManagerFactoryParameters parameters) throws InvalidAlgorithmParameterException {
            throw new InvalidAlgorithmParameterException("holds a fixed key; takes no parameters");
        }

        @Override
        protected KeyManager[] engineGetKeyManagers() {
            return managers.clone();
        }
    }
}
