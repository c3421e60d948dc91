package rund.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.api.JobStatus;
import rund.api.State;
import rund.server.Daemon;
import rund.server.DaemonConfig;
import rund.testing.DaemonFixture;
import rund.tls.TestPki;

/**
 * Who jobs run as ({@code jobUser}, {@code jobGroup}): the daemon's own user unless configured, else the
 * configured account from the command's first instruction on, without the daemon's privileges. The host suite
 * runs as root (as CI does), which is what switching users needs.
 */
class JobUserTest {
  @TempDir static Path dir;
  static TestPki pki;
  static TestPki.Issued server;
  static TestPki.Issued clientCert;
  static Vertx vertx;

  @BeforeAll
  static void pki() throws Exception {
    assertEquals(0, ownUid(), "the host suite runs as root (bin/test, CI)");
    // The job user must be able to walk into the test's directories, as into any other.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    pki = TestPki.create(dir.resolve("pki"));
    server = pki.issueServer("server", List.of("DNS:localhost", "IP:127.0.0.1"));
    clientCert = pki.issueClient("client", List.of("DNS:client.example"));
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  static int ownUid() throws Exception {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }

  /** A field of an account database entry, as getent prints it (2: the uid or gid; 3: a user's group). */
  static String getent(String database, String name, int field) throws Exception {
    Process getent = new ProcessBuilder("getent", database, name).start();
    String line = new String(getent.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertTrue(getent.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, getent.exitValue(), "getent " + database + " " + name);
    return line.split(":")[field];
  }

  /** The output of the {@code id} command for {@code user} run here, as the expected answer. */
  static String id(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("id"));
    command.addAll(List.of(args));
    Process id = new ProcessBuilder(command).start();
    String out = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(id.waitFor(30, TimeUnit.SECONDS));
    return out;
  }

  static DaemonFixture daemon(String name, JsonObject settings) throws Exception {
    return DaemonFixture.start(dir.resolve(name), settings
        .put("ca", pki.ca().cert().toString())
        .put("cert", server.cert().toString())
        .put("key", server.key().toString()));
  }

  static Rpc client(DaemonFixture daemon) throws Exception {
    return Rpc.connect(vertx, "localhost", daemon.port(), pki.ca().cert(), clientCert.cert(), clientCert.key());
  }

  /** What the job printed on stdout. */
  static String run(Rpc client, String command, String... args) {
    return client.stdout(client.start(command, args).get().getId());
  }

  @Test
  void unsetJobsRunAsTheDaemonsOwnUserWhichHereIsRootAndTheDaemonWarns() throws Exception {
    try (LogCapture log = LogCapture.of("rund.server.Daemon");
        DaemonFixture daemon = daemon("default", new JsonObject());
        Rpc client = client(daemon)) {
      assertEquals(ownUid() + "\n", run(client, "id", "-u"));
      assertEquals(id("-G"), run(client, "id", "-G"), "the daemon's groups too");
      log.await(r -> r.getMessage().startsWith("jobs run as root"), 30);
    }
  }

  @Test
  void withJobUserTheCommandRunsAsThatUserWithItsGroupsAndNoPrivileges() throws Exception {
    String uid = getent("passwd", "nobody", 2);
    assertNotEquals("0", uid);
    Path rootOnly = Files.createDirectory(dir.resolve("root-only"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    Path shared = Files.createDirectory(dir.resolve("shared"));
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
    try (LogCapture log = LogCapture.of("rund.server.Daemon");
        DaemonFixture daemon = daemon("nobody", new JsonObject().put("jobUser", "nobody"));
        Rpc client = client(daemon)) {
      log.await(r -> r.getMessage().startsWith("jobs run as user nobody (uid " + uid + ")"), 30);
      assertEquals(uid + "\n", run(client, "id", "-u"));
      assertEquals(uid + "\n", run(client, "id", "-ru"), "the real uid as well");
      assertEquals(id("-g", "nobody"), run(client, "id", "-g"), "nobody's primary group");
      assertEquals(id("-G", "nobody"), run(client, "id", "-G"), "nobody's groups, none of root's");
      assertEquals("CapEff:\t0000000000000000\nCapPrm:\t0000000000000000\n",
          run(client, "sh", "-c", "grep -E '^Cap(Eff|Prm)' /proc/self/status | sort"));

      String denied = client.start("sh", "-c", "echo x > " + rootOnly.resolve("f")).get().getId();
      client.log(denied).get();
      JobStatus refused = client.status(denied).get();
      assertNotEquals(0, refused.getExitCode().getValue(), "nobody cannot write where only root may");
      assertTrue(Files.notExists(rootOnly.resolve("f")));

      client.log(client.start("touch", shared.resolve("made").toString()).get().getId()).get();
      assertEquals(Integer.parseInt(uid), Files.getAttribute(shared.resolve("made"), "unix:uid"));

      // The daemon, still root, stops what the job user runs.
      String sleeper = client.start("sleep", "1000").get().getId();
      JobStatus stopped = client.stop(sleeper).get();
      assertEquals(State.STATE_SIGNALED, stopped.getState());
      assertEquals(15, stopped.getSignal().getValue());
    }
  }

  @Test
  void jobGroupChoosesTheGroupWithAndWithoutJobUser() throws Exception {
    String users = getent("group", "users", 2);
    try (DaemonFixture daemon = daemon("nobody-users", new JsonObject().put("jobUser", "nobody")
            .put("jobGroup", "users"));
        Rpc client = client(daemon)) {
      assertEquals(getent("passwd", "nobody", 2) + " " + users + "\n",
          run(client, "sh", "-c", "echo $(id -u) $(id -g)"));
    }
    try (DaemonFixture daemon = daemon("root-users", new JsonObject().put("jobGroup", "users"));
        Rpc client = client(daemon)) {
      assertEquals("0 " + users + " " + users + "\n",
          run(client, "sh", "-c", "echo $(id -u) $(id -g) $(id -G)"), "root's user, only that group");
    }
  }

  /**
   * bin/rund execute by hand, as the README shows it: the FIFO is released with "go" (by a writer that waits
   * for the launch step to open it) when {@code release}; returns the exit code and the output.
   */
  static String[] execute(boolean release, String... flagsAndCommand) throws Exception {
    Path fifo = dir.resolve("release-" + System.nanoTime());
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
    List<String> command = new java.util.ArrayList<>(List.of("sh", DaemonFixture.HOME.resolve("bin/rund").toString(),
        "execute", "-fifo", fifo.toString()));
    command.addAll(List.of(flagsAndCommand));
    Process execute = new ProcessBuilder(command).redirectErrorStream(true).start();
    execute.getOutputStream().close();
    if (release) {
      Thread.ofVirtual().start(() -> {
        try {
          Files.writeString(fifo, "go\n");
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
    }
    String out = new String(execute.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(execute.waitFor(30, TimeUnit.SECONDS));
    return new String[] {Integer.toString(execute.exitValue()), out};
  }

  @Test
  void theLaunchStepByHandDropsToTheGivenUserAndGroup() throws Exception {
    String[] nobody = execute(true, "-user", "nobody", "-group", "users", "--", "sh", "-c", "echo $(id -u) $(id -g)");
    assertEquals("0", nobody[0], nobody[1]);
    assertEquals(getent("passwd", "nobody", 2) + " " + getent("group", "users", 2) + "\n", nobody[1]);
    String[] userAlone = execute(false, "-user", "nobody", "--", "id", "-u");
    assertEquals("2", userAlone[0]);
    assertEquals("rund execute: -user needs -group too\n", userAlone[1]);
  }

  @Test
  void anUnknownUserOrGroupStopsTheDaemonFromStartingAndSaysWhich() {
    Daemon.StartupException user = assertThrows(Daemon.StartupException.class,
        () -> daemon("no-user", new JsonObject().put("jobUser", "no-such-user-rund")));
    assertEquals("jobUser \"no-such-user-rund\": no such user on this host (getent passwd no-such-user-rund found"
        + " none)", user.getMessage());
    Daemon.StartupException group = assertThrows(Daemon.StartupException.class,
        () -> daemon("no-group", new JsonObject().put("jobUser", "nobody").put("jobGroup", "no-such-group-rund")));
    assertTrue(group.getMessage().startsWith("jobGroup \"no-such-group-rund\": no such group"), group.getMessage());
    DaemonConfig.ConfigException malformed = assertThrows(DaemonConfig.ConfigException.class,
        () -> daemon("bad-name", new JsonObject().put("jobUser", "--reuid=0")));
    assertTrue(malformed.getMessage().contains("\"jobUser\" must be a user or group name"), malformed.getMessage());
  }
}
