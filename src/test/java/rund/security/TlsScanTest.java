package rund.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import rund.testing.DaemonFixture;
import rund.tls.TlsPolicy;

/**
 * What the daemon's port offers to anyone who connects, seen from outside with the real {@code sslscan}
 * (installed by bin/test) and with the JDK's own TLS client. sslscan cannot present a client certificate,
 * but protocol versions, cipher suites and key-exchange groups are negotiated before the server asks for one,
 * so they are exactly what it can enumerate.
 */
class TlsScanTest {
  /** IANA ids of TLS 1.3 cipher suites and their names (the same in OpenSSL, sslscan and the JDK). */
  static final Map<String, String> TLS13_SUITES = Map.of(
      "0x1301", "TLS_AES_128_GCM_SHA256",
      "0x1302", "TLS_AES_256_GCM_SHA384",
      "0x1303", "TLS_CHACHA20_POLY1305_SHA256",
      "0x1304", "TLS_AES_128_CCM_SHA256",
      "0x1305", "TLS_AES_128_CCM_8_SHA256");

  /** IANA ids of the named groups sslscan may report, with the JDK's names (sslscan adds curve aliases). */
  static final Map<String, String> GROUPS = Map.ofEntries(
      Map.entry("0x0017", "secp256r1"), Map.entry("0x0018", "secp384r1"), Map.entry("0x0019", "secp521r1"),
      Map.entry("0x001d", "x25519"), Map.entry("0x001e", "x448"), Map.entry("0x0100", "ffdhe2048"),
      Map.entry("0x0101", "ffdhe3072"), Map.entry("0x0102", "ffdhe4096"), Map.entry("0x0103", "ffdhe6144"),
      Map.entry("0x0104", "ffdhe8192"));

  @TempDir static Path dir;
  static DaemonFixture daemon;
  static Element scan;

  @BeforeAll
  static void scan() throws Exception {
    daemon = DaemonFixture.start(dir.resolve("data"));
    Path xml = dir.resolve("sslscan.xml");
    Process sslscan = new ProcessBuilder("sslscan", "--no-colour", "--xml=" + xml, "127.0.0.1:" + daemon.port())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("sslscan.out").toFile())
        .start();
    sslscan.getOutputStream().close();
    assertTrue(sslscan.waitFor(300, TimeUnit.SECONDS), "sslscan finished");
    assertEquals(0, sslscan.exitValue(), Files.readString(dir.resolve("sslscan.out")));
    Document document = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile());
    NodeList errors = document.getElementsByTagName("error");
    assertEquals(0, errors.getLength(), errors.getLength() > 0 ? errors.item(0).getTextContent() : "");
    scan = (Element) document.getElementsByTagName("ssltest").item(0);
  }

  @AfterAll
  static void stop() {
    daemon.close();
  }

  private static List<Element> elements(String tag) {
    NodeList nodes = scan.getElementsByTagName(tag);
    List<Element> list = new ArrayList<>();
    for (int i = 0; i < nodes.getLength(); i++) {
      list.add((Element) nodes.item(i));
    }
    return list;
  }

  @Test
  void onlyTls13IsOffered() {
    Map<String, String> enabled = new java.util.TreeMap<>();
    for (Element protocol : elements("protocol")) {
      enabled.put(protocol.getAttribute("type") + protocol.getAttribute("version"), protocol.getAttribute("enabled"));
    }
    assertEquals(Map.of("ssl2", "0", "ssl3", "0", "tls1.0", "0", "tls1.1", "0", "tls1.2", "0", "tls1.3", "1"),
        enabled);
    for (Element cipher : elements("cipher")) {
      assertEquals("TLSv1.3", cipher.getAttribute("sslversion"), "a suite of another version was accepted");
    }
  }

  @Test
  void theAcceptedCipherSuitesAreExactlyThePolicys() {
    Set<String> accepted = new HashSet<>();
    for (Element cipher : elements("cipher")) {
      String name = TLS13_SUITES.get(cipher.getAttribute("id"));
      assertEquals(name, cipher.getAttribute("cipher"), "sslscan's name for suite " + cipher.getAttribute("id"));
      assertEquals("256", cipher.getAttribute("bits"), name);
      accepted.add(name);
    }
    assertEquals(Set.copyOf(TlsPolicy.CIPHER_SUITES), accepted);
  }

  @Test
  void theKeyExchangeGroupsOfferedAreWithinThePolicys() {
    Set<String> offered = new HashSet<>();
    for (Element group : elements("group")) {
      String name = GROUPS.get(group.getAttribute("id"));
      assertTrue(name != null && group.getAttribute("name").startsWith(name),
          "unexpected group " + group.getAttribute("name") + " (" + group.getAttribute("id") + ")");
      offered.add(name);
    }
    assertFalse(offered.isEmpty(), "sslscan found no group at all");
    assertTrue(TlsPolicy.NAMED_GROUPS.containsAll(offered), "offered " + offered + ", policy "
        + TlsPolicy.NAMED_GROUPS);
    assertTrue(offered.contains(TlsPolicy.NAMED_GROUPS.getFirst()), "the preferred group is offered");
  }

  @Test
  void noRenegotiationNoHeartbleedAndAP521Sha512Certificate() {
    assertEquals("0", elements("renegotiation").getFirst().getAttribute("supported"));
    for (Element heartbleed : elements("heartbleed")) {
      assertEquals("0", heartbleed.getAttribute("vulnerable"));
    }
    Element certificate = elements("certificate").getFirst();
    assertEquals("ecdsa-with-SHA512",
        certificate.getElementsByTagName("signature-algorithm").item(0).getTextContent());
    assertEquals("secp521r1", ((Element) certificate.getElementsByTagName("pk").item(0)).getAttribute("curve_name"));
  }

  /** A JDK client restricted to TLS 1.2 (and trusting the daemon's CA, so only the version is in the way). */
  @Test
  void aTls12OnlyClientFailsTheHandshake() throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509")
        .generateCertificate(Files.newInputStream(DaemonFixture.TLS.resolve("ca.pem"))));
    TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trustManagers.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trustManagers.getTrustManagers(), null);
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", daemon.port())) {
      socket.setSoTimeout(30_000);
      socket.setEnabledProtocols(new String[] {"TLSv1.2"});
      SSLHandshakeException refused = assertThrows(SSLHandshakeException.class, socket::startHandshake);
      assertTrue(refused.getMessage().contains("protocol_version"), refused.getMessage());
    }
  }

  @Test
  void plaintextHttp2GetsNoGrpcAnswer() throws Exception {
    byte[] preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] emptySettings = {0, 0, 0, 4, 0, 0, 0, 0, 0};
    byte[] answer = exchange(concat(preface, emptySettings));
    // An HTTP/2 server answers the preface with a SETTINGS frame (type 4); this port has none to give.
    assertFalse(answer.length >= 9 && answer[3] == 4, "an HTTP/2 SETTINGS frame came back in plaintext");
    assertFalse(new String(answer, StandardCharsets.ISO_8859_1).contains("grpc"));
    assertNotTlsApplicationData(answer);
  }

  @Test
  void plaintextHttp1GetsNoAnswer() throws Exception {
    byte[] request = ("POST /rund.v1.JobController/Start HTTP/1.1\r\nHost: localhost\r\n"
        + "Content-Type: application/grpc\r\nContent-Length: 5\r\n\r\n\0\0\0\0\0").getBytes(StandardCharsets.US_ASCII);
    byte[] answer = exchange(request);
    assertFalse(new String(answer, StandardCharsets.ISO_8859_1).startsWith("HTTP/"),
        "an HTTP/1 response came back in plaintext");
    assertNotTlsApplicationData(answer);
  }

  /** Whatever came back may at most be a TLS alert: never a record of application data. */
  private static void assertNotTlsApplicationData(byte[] answer) {
    if (answer.length > 0) {
      assertNotEquals(23, answer[0], "application data came back");
      assertEquals(21, answer[0], "only a TLS alert may come back, got " + answer.length + " bytes");
    }
  }

  /** Sends {@code request} on a plain TCP connection and reads until the daemon closes it. */
  private static byte[] exchange(byte[] request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", daemon.port())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      byte[] buffer = new byte[4096];
      try {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          answer.write(buffer, 0, n);
        }
      } catch (SocketTimeoutException e) {
        throw new AssertionError("the daemon kept a plaintext connection open for 30 s", e);
      } catch (IOException reset) {
        // A reset is as much an end as a close.
      }
      return answer.toByteArray();
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = new byte[a.length + b.length];
    System.arraycopy(a, 0, both, 0, a.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }
}
