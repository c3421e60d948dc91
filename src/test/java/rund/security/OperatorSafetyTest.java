package rund.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import rund.cli.RundMain;
import rund.server.Daemon;
import rund.testing.DaemonFixture;
import rund.tls.TestPki;

/**
 * The daemon protects an operator from the two easy mistakes: a server key others can read (refused, with the
 * command that fixes it) and the repository's example certificates, whose keys are public (a warning).
 */
class OperatorSafetyTest {
  @TempDir static Path dir;
  static TestPki pki;
  static TestPki.Issued server;

  @BeforeAll
  static void pki() throws Exception {
    pki = TestPki.create(dir.resolve("pki"));
    server = pki.issueServer("server", List.of("DNS:localhost", "IP:127.0.0.1"));
  }

  static JsonObject own() {
    return new JsonObject()
        .put("ca", pki.ca().cert().toString())
        .put("cert", server.cert().toString())
        .put("key", server.key().toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"rw-r-----", "rw----r--", "rw-r--r--", "rw-rw-rw-"})
  void aServerKeyReadableByGroupOrOthersIsRefusedWithTheFix(String mode) throws Exception {
    Path data = dir.resolve("data-" + mode);
    Files.setPosixFilePermissions(server.key(), PosixFilePermissions.fromString(mode));
    try {
      Daemon.StartupException refused = assertThrows(Daemon.StartupException.class,
          () -> DaemonFixture.start(data, own()));
      assertTrue(refused.getMessage().contains("is readable by group or others"), refused.getMessage());
      assertTrue(refused.getMessage().endsWith(": run chmod 600 " + server.key()), refused.getMessage());
      assertFalse(Files.exists(data), "refused before anything was created");
    } finally {
      Files.setPosixFilePermissions(server.key(), PosixFilePermissions.fromString("rw-------"));
    }
  }

  @Test
  void aServerKeyWritableByOthersIsRefusedToo() throws Exception {
    Files.setPosixFilePermissions(server.key(), PosixFilePermissions.fromString("rw--w----"));
    try {
      Daemon.StartupException refused = assertThrows(Daemon.StartupException.class,
          () -> DaemonFixture.start(dir.resolve("data-writable"), own()));
      assertTrue(refused.getMessage().contains("writable or executable by group or others (mode 0620): run chmod"
          + " 600 " + server.key()), refused.getMessage());
    } finally {
      Files.setPosixFilePermissions(server.key(), PosixFilePermissions.fromString("rw-------"));
    }
  }

  @Test
  void rundServePrintsTheRefusalAsOneLineAndFails() throws Exception {
    Files.setPosixFilePermissions(server.key(), PosixFilePermissions.fromString("rw-r--r--"));
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = RundMain.run(new String[] {"serve", "-addr", "127.0.0.1:0", "-ca", pki.ca().cert().toString(),
              "-cert", server.cert().toString(), "-key", server.key().toString(), "-data-dir",
              dir.resolve("data-serve").toString(), "-cgroup-root", "off"},
          new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
      assertEquals(1, code);
      assertEquals("rund: " + server.key() + " is readable by group or others (mode 0644): run chmod 600 "
          + server.key() + "\n", err.toString(StandardCharsets.UTF_8));
    } finally {
      Files.setPosixFilePermissions(server.key(), PosixFilePermissions.fromString("rw-------"));
    }
  }

  @Test
  void aPrivateKeyStarts() throws Exception {
    Files.setPosixFilePermissions(server.key(), PosixFilePermissions.fromString("rw-------"));
    try (DaemonFixture daemon = DaemonFixture.start(dir.resolve("data-private"), own())) {
      assertTrue(daemon.port() > 0);
    }
  }

  private static List<LogRecord> exampleWarnings(JsonObject settings, String data) throws Exception {
    try (LogCapture log = LogCapture.of("rund.server.Daemon");
        DaemonFixture daemon = DaemonFixture.start(dir.resolve(data), settings)) {
      assertTrue(daemon.port() > 0);
      // Daemon.start logs before it returns: everything it logged has been published by now.
      log.await(r -> r.getMessage().startsWith("cgroup v2 limits"), 30);
      return log.records().stream().filter(r -> r.getMessage().contains("EXAMPLE certificates")).toList();
    }
  }

  @Test
  void theExampleCertificatesGetAWarning() throws Exception {
    List<LogRecord> warnings = exampleWarnings(new JsonObject(), "data-example");
    assertEquals(1, warnings.size());
    assertEquals(Level.WARNING, warnings.getFirst().getLevel());
    assertTrue(warnings.getFirst().getMessage().contains("Generate your own PKI (tls/gen-certs.sh DIR)"),
        warnings.getFirst().getMessage());
  }

  @Test
  void theExampleCaAloneGetsTheWarningToo() throws Exception {
    // Anyone holding the repository can issue client certificates from the example CA.
    List<LogRecord> warnings = exampleWarnings(own().put("ca", DaemonFixture.TLS.resolve("ca.pem").toString()),
        "data-example-ca");
    assertEquals(1, warnings.size());
  }

  @Test
  void ownCertificatesGetNoWarning() throws Exception {
    assertEquals(List.of(), exampleWarnings(own(), "data-own"));
  }
}
