package rund.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.LogRecord;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.api.State;
import rund.testing.DaemonFixture;
import rund.tls.TestPki;

/**
 * Certificates that must not get a caller anywhere, presented to the real daemon over the network: each is
 * refused, and the refusing side says why (the daemon in its log, runc in its one stderr line). The bare
 * Vert.x server with rund's TLS options is covered by rund.tls.MutualTlsTest; this is the daemon as deployed.
 */
class CertificateEdgeCasesTest {
  @TempDir static Path dir;
  static TestPki pki;
  static TestPki otherCa;
  static DaemonFixture daemon;
  static Vertx vertx;
  static LogCapture daemonLog;
  static Rpc owner;
  static TestPki.Issued ownerCert;

  @BeforeAll
  static void start() throws Exception {
    pki = TestPki.create(dir.resolve("pki"));
    otherCa = TestPki.create(dir.resolve("other-ca"));
    TestPki.Issued server = pki.issueServer("server", List.of("DNS:localhost", "IP:127.0.0.1"));
    daemonLog = LogCapture.of("rund.server");
    daemon = DaemonFixture.start(dir.resolve("data"), new JsonObject()
        .put("ca", pki.ca().cert().toString())
        .put("cert", server.cert().toString())
        .put("key", server.key().toString()));
    vertx = Vertx.vertx();
    ownerCert = pki.issueClient("owner", List.of("DNS:owner.example"));
    owner = Rpc.connect(vertx, "localhost", daemon.port(), pki.ca().cert(), ownerCert.cert(), ownerCert.key());
  }

  @AfterAll
  static void stop() {
    owner.close();
    vertx.close().await();
    daemon.close();
    daemonLog.close();
  }

  @BeforeEach
  void forgetEarlierLogLines() {
    daemonLog.clear();
  }

  private static String addr() {
    return "localhost:" + daemon.port();
  }

  /**
   * Presents {@code cert} (whatever the server asks for) and asserts the daemon answered nothing, that the
   * client saw the connection end, and that the daemon logged a refusal containing {@code reason}.
   */
  private static void refusedByTheDaemon(TestPki.Issued cert, String reason) throws Exception {
    Rpc client = new Rpc(vertx, Rpc.presenting(pki.ca().cert(), cert.cert(), cert.key()),
        SocketAddress.inetSocketAddress(daemon.port(), "localhost"));
    try {
      Rpc.Outcome<?> outcome = client.start("echo", "should not run");
      assertNull(outcome.status(), "the daemon must not answer a call at all: " + outcome);
      assertNotNull(outcome.failure());
      LogRecord refusal = daemonLog.await(r -> r.getMessage().startsWith("connection refused or failed"), 30);
      assertTrue(refusal.getMessage().contains(reason), refusal.getMessage());
    } finally {
      client.close();
    }
  }

  @Test
  void aClientCertificateFromAnotherCaIsRefused() throws Exception {
    TestPki.Issued foreign = otherCa.issueClient("foreign", List.of("DNS:owner.example"));
    refusedByTheDaemon(foreign, "does not chain to the configured CA");

    // runc with it: the JDK client sends no certificate the server's CA did not issue, the daemon refuses the
    // connection, and runc says which file to check.
    Runc runc = Runc.run("start", addr(), pki.ca().cert(), foreign.cert(), foreign.key(), "echo", "hi");
    assertEquals(1, runc.exitCode());
    assertEquals("", runc.out());
    String line = runc.errorLine();
    assertTrue(line.contains("closed before the server answered") || line.contains("rejected the client certificate"),
        line);
    LogRecord refusal = daemonLog.await(r -> r.getMessage().contains("sent no certificate issued by the configured CA"),
        30);
    assertNotNull(refusal);
  }

  @Test
  void anExpiredClientCertificateIsRefused() throws Exception {
    TestPki.Issued expired = pki.issueExpiredClient("expired", List.of("DNS:owner.example"));
    refusedByTheDaemon(expired, "the client certificate has expired");
    // runc does not even try to present it.
    Runc runc = Runc.run("start", addr(), pki.ca().cert(), expired.cert(), expired.key(), "echo", "hi");
    assertTrue(runc.exitCode() != 0);
    assertTrue(runc.errorLine().contains("the certificate expired on"), runc.err());
  }

  @Test
  void aNotYetValidClientCertificateIsRefused() throws Exception {
    TestPki.Issued early = pki.issueNotYetValidClient("early", List.of("DNS:owner.example"));
    refusedByTheDaemon(early, "the client certificate is not valid yet");
    Runc runc = Runc.run("start", addr(), pki.ca().cert(), early.cert(), early.key(), "echo", "hi");
    assertTrue(runc.exitCode() != 0);
    assertTrue(runc.errorLine().contains("the certificate is not valid before"), runc.err());
  }

  @Test
  void aClientCertificateWithoutClientAuthUsageIsRefused() throws Exception {
    TestPki.Issued serverOnly = pki.issueClientWithoutClientAuth("server-only", List.of("DNS:owner.example"));
    refusedByTheDaemon(serverOnly, "extended key usage lacks clientAuth");
    Runc runc = Runc.run("start", addr(), pki.ca().cert(), serverOnly.cert(), serverOnly.key(), "echo", "hi");
    assertTrue(runc.exitCode() != 0);
    assertTrue(runc.errorLine().contains("extended key usage lacks clientAuth"), runc.err());
  }

  @Test
  void aClientCertificateWithoutSanConnectsButCanNeitherStartNorSeeJobs() throws Exception {
    TestPki.Issued anonymous = pki.issueClientWithoutSan("anonymous");
    String job = owner.start("sleep", "1000").get().getId();
    try (Rpc nobody = Rpc.connect(vertx, "localhost", daemon.port(), pki.ca().cert(), anonymous.cert(),
        anonymous.key())) {
      Rpc.Outcome<?> start = nobody.start("echo", "hi");
      assertEquals(GrpcStatus.PERMISSION_DENIED, start.status(), start.toString());
      assertTrue(start.message().contains("no subject alternative name"), start.message());
      for (Rpc.Outcome<?> attempt : List.of(nobody.status(job), nobody.stop(job), nobody.log(job))) {
        assertEquals(GrpcStatus.NOT_FOUND, attempt.status(), attempt.toString());
      }
      assertEquals(State.STATE_RUNNING, owner.status(job).get().getState(), "the job was not touched");

      Runc runc = Runc.run("start", addr(), pki.ca().cert(), anonymous.cert(), anonymous.key(), "echo", "hi");
      assertEquals(1, runc.exitCode());
      assertEquals("", runc.out());
      assertTrue(runc.errorLine().startsWith("runc: PERMISSION_DENIED: the client certificate has no subject"
          + " alternative name"), runc.err());
      Runc status = Runc.run("status", addr(), pki.ca().cert(), anonymous.cert(), anonymous.key(), job);
      assertEquals(1, status.exitCode());
      assertTrue(status.errorLine().startsWith("runc: NOT_FOUND: no job " + job), status.err());
    } finally {
      owner.stop(job).get();
    }
  }

  @Test
  void theClientRefusesAServerCertificateThatDoesNotNameTheIpAddressItDialled() throws Exception {
    refusedByTheClient("127.0.0.1");
  }

  @Test
  void theClientRefusesAServerCertificateThatDoesNotNameTheHostNameItDialled() throws Exception {
    refusedByTheClient("localhost");
  }

  /**
   * A daemon whose certificate (from the right CA) names another host: dialled as {@code host}, the client
   * ends the handshake before sending anything, runc says the certificate is not valid for that host, and the
   * daemon logs that the client refused it.
   */
  private static void refusedByTheClient(String host) throws Exception {
    TestPki.Issued elsewhere = pki.issueServer("elsewhere-" + host,
        List.of("DNS:elsewhere.example", "IP:192.0.2.7"));
    try (DaemonFixture impostor = DaemonFixture.start(dir.resolve("impostor-" + host), new JsonObject()
        .put("ca", pki.ca().cert().toString())
        .put("cert", elsewhere.cert().toString())
        .put("key", elsewhere.key().toString()));
        Rpc client = Rpc.connect(vertx, host, impostor.port(), pki.ca().cert(), ownerCert.cert(),
            ownerCert.key())) {
      Rpc.Outcome<?> outcome = client.start("echo", "hi");
      assertNull(outcome.status(), outcome.toString());
      SSLHandshakeException refusal = null;
      for (Throwable t = outcome.failure(); t != null; t = t.getCause()) {
        if (t instanceof SSLHandshakeException handshake) {
          refusal = handshake; // the innermost one says why
        }
      }
      assertNotNull(refusal, "the handshake failed on the client: " + outcome.failure());
      assertTrue(refusal.getMessage().contains("matching " + (host.equals("localhost") ? "" : "IP address ") + host),
          refusal.getMessage());

      String dialled = host + ":" + impostor.port();
      Runc runc = Runc.run("start", dialled, pki.ca().cert(), ownerCert.cert(), ownerCert.key(), "echo", "hi");
      assertEquals(1, runc.exitCode());
      assertEquals("", runc.out());
      assertTrue(runc.errorLine().startsWith("runc: TLS handshake with " + dialled
          + " failed: the server certificate is not valid for " + host + " "), runc.err());
      daemonLog.await(r -> r.getMessage().contains("the client ended the handshake"), 30);
    }
  }
}
