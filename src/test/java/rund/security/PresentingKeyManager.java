package rund.security;

import io.vertx.core.net.KeyCertOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A client key manager that presents its one certificate whatever the server asks for. The JDK's own key
 * manager sends nothing when the certificate was not issued by a CA the server names in its certificate
 * request; a hostile client is not so polite, and the daemon must refuse the certificate itself.
 */
final class PresentingKeyManager extends X509ExtendedKeyManager {
  private static final String ALIAS = "client";
  private final X509Certificate certificate;
  private final PrivateKey key;

  /** As Vert.x key options (through a factory: wrapping a bare key manager needs SLF4J in Vert.x 5.0). */
  static KeyCertOptions options(Path certPem, Path keyPem) throws IOException, GeneralSecurityException {
    KeyManager manager = new PresentingKeyManager(certPem, keyPem);
    KeyManagerFactory factory = new KeyManagerFactory(new KeyManagerFactorySpi() {
      @Override
      protected void engineInit(KeyStore keyStore, char[] password) {}

      @Override
      protected void engineInit(ManagerFactoryParameters parameters) {}

      @Override
      protected KeyManager[] engineGetKeyManagers() {
        return new KeyManager[] {manager};
      }
    }, null, "presenting") {};
    return KeyCertOptions.wrap(factory);
  }

  private PresentingKeyManager(Path certPem, Path keyPem) throws IOException, GeneralSecurityException {
    this.certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(certPem)));
    String pem = Files.readString(keyPem);
    String base64 = pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
    this.key = KeyFactory.getInstance(certificate.getPublicKey().getAlgorithm())
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return ALIAS;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return ALIAS;
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return new String[] {ALIAS};
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return new X509Certificate[] {certificate};
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return key;
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return null;
  }
}
