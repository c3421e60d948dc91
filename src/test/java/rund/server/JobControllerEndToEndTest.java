package rund.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.UInt64Value;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.api.JobStatus;
import rund.api.Limits;
import rund.api.State;
import rund.testing.DaemonFixture;
import rund.testing.TestClient;
import rund.tls.TestPki;

/** The real daemon over real mTLS on loopback, driven through the gRPC API, running real processes. */
class JobControllerEndToEndTest {
  @TempDir static Path dir;
  static DaemonFixture daemon;
  static Vertx vertx;
  static TestClient alice;
  static TestClient bob;
  static TestPki pki;

  @BeforeAll
  static void startDaemon() throws Exception {
    pki = TestPki.create(dir.resolve("pki"));
    TestPki.Issued server = pki.issueServer("server", List.of("DNS:localhost", "IP:127.0.0.1"));
    daemon = DaemonFixture.start(dir.resolve("data"), new io.vertx.core.json.JsonObject()
        .put("ca", pki.ca().cert().toString())
        .put("cert", server.cert().toString())
        .put("key", server.key().toString()));
    vertx = Vertx.vertx();
    TestPki.Issued a = pki.issueClient("alice", List.of("DNS:alice.example"));
    TestPki.Issued b = pki.issueClient("bob", List.of("DNS:bob.example"));
    alice = TestClient.connect(vertx, daemon.port(), pki.ca().cert(), a.cert(), a.key());
    bob = TestClient.connect(vertx, daemon.port(), pki.ca().cert(), b.cert(), b.key());
  }

  @AfterAll
  static void stopDaemon() {
    alice.close();
    bob.close();
    vertx.close().await();
    daemon.close();
  }

  private static GrpcStatus failure(Runnable call) {
    return assertThrows(TestClient.CallFailed.class, call::run).status;
  }

  @Test
  void aJobRunsAndItsStatusAndBothStreamsAreReported() {
    String id = alice.start("sh", "-c", "echo to-out; echo to-err >&2; exit 3");
    TestClient.Received log = alice.log(id);
    assertEquals("to-out\n", log.out());
    assertEquals("to-err\n", log.err());
    JobStatus status = alice.awaitEnd(id);
    assertEquals(State.STATE_EXITED, status.getState());
    assertEquals(3, status.getExitCode().getValue());
    assertFalse(status.hasSignal());
    assertEquals("sh", status.getCommand());
    assertEquals(List.of("-c", "echo to-out; echo to-err >&2; exit 3"), status.getArgsList());
    assertTrue(status.getPid() > 0);
    assertTrue(status.hasCreatedAt() && status.hasStartedAt() && status.hasEndedAt());
    assertEquals(14, status.getLog().getStoredBytes());
    assertFalse(status.getOomKilled());
  }

  @Test
  void exitCodeAndTerminatingSignalAreDifferentThings() {
    JobStatus exited = alice.awaitEnd(alice.start("sh", "-c", "exit 137"));
    assertEquals(State.STATE_EXITED, exited.getState());
    assertEquals(137, exited.getExitCode().getValue());
    JobStatus killed = alice.awaitEnd(alice.start("sh", "-c", "kill -KILL $$"));
    assertEquals(State.STATE_SIGNALED, killed.getState());
    assertEquals(9, killed.getSignal().getValue());
    assertFalse(killed.hasExitCode());
  }

  @Test
  void echoFollowedAtOnceByLogGivesExactlyItsOutputEveryTime() {
    for (int i = 0; i < 100; i++) {
      String id = alice.start("echo", "hi");
      TestClient.Received log = alice.log(id);
      assertEquals("hi\n", log.out(), "round " + i);
      assertEquals("", log.err(), "round " + i);
      assertFalse(log.end().getTruncated());
    }
  }

  @Test
  void argumentsArriveVerbatimIncludingLeadingDashesAndSpaces() {
    String id = alice.start("printf", "%s|", "-la", "two words", "'quoted'", "$HOME", "");
    assertEquals("-la|two words|'quoted'|$HOME||", alice.log(id).out());
  }

  @Test
  void stdoutAndStderrKeepTheirRelativeOrder() {
    // Each write is separated by a short pause in the job, so the order is a property of the daemon.
    String id = alice.start("sh", "-c", "echo 1; sleep 0.05; echo 2 >&2; sleep 0.05; echo 3");
    assertEquals(List.of("out:1\n", "err:2\n", "out:3\n"), alice.log(id).order());
  }

  @Test
  void concurrentFollowersReceiveIdenticalBytes() throws Exception {
    String id = alice.start("sh", "-c", "seq 1 200000; seq 1 1000 >&2");
    List<CompletableFuture<TestClient.Received>> followers = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      followers.add(CompletableFuture.supplyAsync(() -> alice.log(id)));
    }
    StringBuilder expected = new StringBuilder();
    for (int i = 1; i <= 200000; i++) {
      expected.append(i).append('\n');
    }
    for (CompletableFuture<TestClient.Received> follower : followers) {
      TestClient.Received got = follower.get(120, TimeUnit.SECONDS);
      assertEquals(expected.toString(), got.out());
      assertEquals(1000, got.err().lines().count());
    }
  }

  @Test
  void aFollowerAttachingMidRunGetsEverythingFromTheStart() throws Exception {
    Path gate = dir.resolve("gate-" + System.nanoTime());
    String id = alice.start("sh", "-c", "echo first; while [ ! -e " + gate + " ]; do sleep 0.01; done; echo second");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (alice.status(id).getLog().getStoredBytes() < 6) {
      assertTrue(System.nanoTime() < deadline, "the job printed its first line");
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
    CompletableFuture<TestClient.Received> follower = CompletableFuture.supplyAsync(() -> alice.log(id));
    Files.createFile(gate);
    assertEquals("first\nsecond\n", follower.get(60, TimeUnit.SECONDS).out());
  }

  @Test
  void stopEndsTheWholeTreeIncludingChildrenThatIgnoreSigterm() throws Exception {
    Path pidsFile = dir.resolve("pids-" + System.nanoTime());
    Path ready = dir.resolve("ready-" + System.nanoTime());
    String id = alice.start("sh", "-c", "trap '' TERM; (trap '' TERM; sleep 1000 & echo $! >> " + pidsFile
        + "; wait) & echo $! >> " + pidsFile + "; sleep 1000 & echo $! >> " + pidsFile
        + "; while [ $(wc -l < " + pidsFile + ") -lt 3 ]; do sleep 0.01; done; touch " + ready + "; wait");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(ready)) {
      assertTrue(System.nanoTime() < deadline, "the job recorded its children's pids");
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
    assertEquals(State.STATE_RUNNING, alice.status(id).getState());
    JobStatus stopped = alice.stop(id);
    assertEquals(State.STATE_SIGNALED, stopped.getState());
    assertEquals(9, stopped.getSignal().getValue(), "the main shell ignored SIGTERM, so the kill ended it");
    assertTrue(stopped.getStopRequested());
    List<Long> pids = new ArrayList<>(Files.readAllLines(pidsFile).stream().map(Long::parseLong).toList());
    assertEquals(3, pids.size());
    pids.add((long) stopped.getPid());
    for (long pid : pids) {
      assertFalse(isRunning(pid), "process " + pid + " survived");
    }
    JobStatus again = alice.stop(id);
    assertEquals(stopped.getEndedAt(), again.getEndedAt(), "stopping a finished job returns its final status");
  }

  /** Alive and not a zombie: a killed process may wait a moment for its new parent (init) to reap it. */
  static boolean isRunning(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (java.io.IOException e) {
      return false;
    }
  }

  @Test
  void aGracefulJobEndsOnSigterm() {
    String id = alice.start("sleep", "1000");
    JobStatus stopped = alice.stop(id);
    assertEquals(State.STATE_SIGNALED, stopped.getState());
    assertEquals(15, stopped.getSignal().getValue());
  }

  @Test
  void whatTheMainProcessLeavesBehindIsKilledWhenItExits() {
    String id = alice.start("sh", "-c", "sleep 1000 & echo $!");
    JobStatus status = alice.awaitEnd(id);
    assertEquals(0, status.getExitCode().getValue());
    long straggler = Long.parseLong(alice.log(id).out().trim());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (isRunning(straggler)) {
      assertTrue(System.nanoTime() < deadline, "straggler " + straggler + " still alive");
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
  }

  @Test
  void anotherIdentityCannotSeeTheJobAndGetsTheSameAnswerAsForAnUnknownId() {
    String id = alice.start("sleep", "1000");
    try {
      TestClient.CallFailed foreign = assertThrows(TestClient.CallFailed.class, () -> bob.status(id));
      assertEquals(GrpcStatus.NOT_FOUND, foreign.status);
      assertEquals(GrpcStatus.NOT_FOUND, failure(() -> bob.stop(id)));
      assertEquals(GrpcStatus.NOT_FOUND, failure(() -> bob.log(id)));
      String unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
      TestClient.CallFailed missing = assertThrows(TestClient.CallFailed.class, () -> bob.status(unknown));
      assertEquals(foreign.getMessage().replace(id, "ID"), missing.getMessage().replace(unknown, "ID"));
      assertEquals(State.STATE_RUNNING, alice.status(id).getState(), "bob's attempts changed nothing");
    } finally {
      alice.stop(id);
    }
  }

  @Test
  void badRequestsGetSpecificErrorsAndTheDaemonKeepsServing() throws Exception {
    assertEquals(GrpcStatus.INVALID_ARGUMENT, failure(() -> alice.start("")));
    TestClient.CallFailed missing = assertThrows(TestClient.CallFailed.class, () -> alice.start("no-such-command-xyz"));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, missing.status);
    assertTrue(missing.getMessage().contains("command not found: no-such-command-xyz"), missing.getMessage());
    Path notExecutable = Files.writeString(dir.resolve("plain.txt"), "echo hi\n");
    Files.setPosixFilePermissions(notExecutable, PosixFilePermissions.fromString("rw-r--r--"));
    TestClient.CallFailed denied = assertThrows(TestClient.CallFailed.class, () -> alice.start(notExecutable.toString()));
    assertEquals(GrpcStatus.PERMISSION_DENIED, denied.status);
    assertTrue(denied.getMessage().contains("not executable"), denied.getMessage());
    assertEquals(GrpcStatus.INVALID_ARGUMENT, failure(() -> alice.start("echo", "a\0b")));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, failure(() -> alice.status("not-a-ulid")));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, failure(() -> alice.stop("")));
    assertEquals(GrpcStatus.NOT_FOUND, failure(() -> alice.status("01ARZ3NDEKTSV4RRFFQ69G5FAV")));
    String[] tooMany = new String[RequestRules.MAX_ARGS + 1];
    Arrays.fill(tooMany, "x");
    assertEquals(GrpcStatus.INVALID_ARGUMENT, failure(() -> alice.start("echo", tooMany)));
    if (!DaemonFixture.REAL_KERNEL) {
      TestClient.CallFailed limit = assertThrows(TestClient.CallFailed.class, () -> alice.start(
          Limits.newBuilder().setMaxMemoryUsage(UInt64Value.of(10_000_000)).build(), "true"));
      assertEquals(GrpcStatus.FAILED_PRECONDITION, limit.status);
      assertTrue(limit.getMessage().contains("memory"), limit.getMessage());
    }
    assertEquals("still here\n", alice.log(alice.start("echo", "still here")).out());
  }

  @Test
  void anExecThatFailsIsAStartErrorNotAJobThatExits127() throws Exception {
    Path badInterpreter = Files.writeString(dir.resolve("bad-interpreter.sh"), "#!/nonexistent/interpreter\necho hi\n");
    Files.setPosixFilePermissions(badInterpreter, PosixFilePermissions.fromString("rwxr-xr-x"));
    TestClient.CallFailed failed = assertThrows(TestClient.CallFailed.class, () -> alice.start(badInterpreter.toString()));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, failed.status);
    assertTrue(failed.getMessage().contains("cannot execute " + badInterpreter), failed.getMessage());
    // A command that really exits 127 is a job like any other.
    JobStatus real = alice.awaitEnd(alice.start("sh", "-c", "echo 'x: exec: y' >&2; exit 127"));
    assertEquals(127, real.getExitCode().getValue());
    // Like execvp, a script without a #! line runs under /bin/sh.
    Path plain = Files.writeString(dir.resolve("no-shebang.sh"), "echo from-script\n");
    Files.setPosixFilePermissions(plain, PosixFilePermissions.fromString("rwxr-xr-x"));
    assertEquals("from-script\n", alice.log(alice.start(plain.toString())).out());
  }

  @Test
  void idsAreUlidsAndUnique() {
    String first = alice.start("true");
    String second = alice.start("true");
    assertNotEquals(first, second);
    assertTrue(first.matches("[0-9A-HJKMNP-TV-Z]{26}"), first);
    assertEquals(first, alice.status(first.toLowerCase()).getId(), "ids are case-insensitive like ULIDs");
  }

  @Test
  void aClientCertificateFromAnotherCaIsRefusedAtTheHandshake() throws Exception {
    TestPki other = TestPki.create(dir.resolve("other-pki-" + System.nanoTime()));
    TestPki.Issued mallory = other.issueClient("mallory", List.of("DNS:alice.example"));
    try (TestClient client = TestClient.connect(vertx, daemon.port(), pki.ca().cert(), mallory.cert(), mallory.key())) {
      RuntimeException refused = assertThrows(RuntimeException.class, () -> client.start("true"));
      assertFalse(refused instanceof TestClient.CallFailed, "no gRPC answer at all, the handshake failed: " + refused);
    }
    assertEquals("ok\n", alice.log(alice.start("echo", "ok")).out(), "the daemon keeps serving");
  }

  @Test
  void plaintextIsRefused() {
    io.vertx.core.http.HttpClientOptions h2c = new io.vertx.core.http.HttpClientOptions()
        .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false);
    try (TestClient client = new TestClient(vertx, h2c,
        io.vertx.core.net.SocketAddress.inetSocketAddress(daemon.port(), "127.0.0.1"))) {
      RuntimeException refused = assertThrows(RuntimeException.class, () -> client.start("true"));
      assertFalse(refused instanceof TestClient.CallFailed, "plaintext got a gRPC answer: " + refused);
    }
  }
}
