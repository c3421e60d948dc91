package rund.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.api.JobStatus;
import rund.api.StartRequest;
import rund.api.StartResponse;
import rund.api.State;
import rund.testing.DaemonFixture;
import rund.tls.TestPki;

/**
 * The documented bounds on a request (README, "The API"), each at its edge: exactly the maximum is served, one
 * more is refused with a specific error, and the daemon keeps serving.
 */
class RequestBoundsTest {
  static final int MAX_ARGS = 4096;
  static final int MAX_ARGV_BYTES = 1024 * 1024;
  static final int MAX_ARG_BYTES = 128 * 1024 - 1;
  static final int MAX_REQUEST_BYTES = 2 * 1024 * 1024;

  @TempDir static Path dir;
  static TestPki pki;
  static DaemonFixture daemon;
  static Vertx vertx;
  static Rpc client;

  @BeforeAll
  static void start() throws Exception {
    pki = TestPki.create(dir.resolve("pki"));
    TestPki.Issued server = pki.issueServer("server", List.of("DNS:localhost", "IP:127.0.0.1"));
    daemon = DaemonFixture.start(dir.resolve("data"), serverOverrides(server));
    vertx = Vertx.vertx();
    client = connect(daemon, "bounds");
  }

  static JsonObject serverOverrides(TestPki.Issued server) {
    return new JsonObject()
        .put("ca", pki.ca().cert().toString())
        .put("cert", server.cert().toString())
        .put("key", server.key().toString());
  }

  static Rpc connect(DaemonFixture target, String name, String... sans) throws Exception {
    TestPki.Issued cert = pki.issueClient(name, sans.length == 0 ? List.of("DNS:" + name + ".example") : List.of(sans));
    return Rpc.connect(vertx, "localhost", target.port(), pki.ca().cert(), cert.cert(), cert.key());
  }

  @AfterAll
  static void stop() {
    client.close();
    vertx.close().await();
    daemon.close();
  }

  private static Rpc.Outcome<StartResponse> start(String command, List<String> args) {
    return client.call(Rpc.START, StartRequest.newBuilder().setCommand(command).addAllArgs(args).build());
  }

  /** Starts the command, which must be served; returns its final status once its log is complete. */
  private static JobStatus ran(String command, List<String> args) {
    Rpc.Outcome<StartResponse> started = start(command, args);
    String id = started.get().getId();
    client.log(id).get();
    return client.status(id).get();
  }

  private static void refused(Rpc.Outcome<?> outcome, GrpcStatus status, String message) {
    assertEquals(status, outcome.status(), outcome.toString());
    assertTrue(outcome.message().contains(message), outcome.message());
  }

  private static void stillServing() {
    assertEquals("ok\n", client.stdout(client.start("echo", "ok").get().getId()));
  }

  @Test
  void argumentCountAtAndBeyondTheBound() {
    JobStatus atMax = ran("true", Collections.nCopies(MAX_ARGS, "x"));
    assertEquals(State.STATE_EXITED, atMax.getState());
    assertEquals(0, atMax.getExitCode().getValue());
    assertEquals(MAX_ARGS, atMax.getArgsCount());
    refused(start("true", Collections.nCopies(MAX_ARGS + 1, "x")), GrpcStatus.INVALID_ARGUMENT,
        "too many arguments: 4097 (at most 4096)");
    stillServing();
  }

  /** Arguments adding up, with the command and every terminating NUL, to {@code total} bytes of argv. */
  private static List<String> argvOf(String command, int total) {
    List<String> args = new ArrayList<>();
    int left = total - (command.length() + 1);
    while (left > 0) {
      int size = Math.min(100_000, left);
      args.add("a".repeat(size - 1));
      left -= size;
    }
    return args;
  }

  @Test
  void totalArgvSizeAtAndBeyondTheBound() {
    // Above the gRPC default of 256 KiB: the request must reach the argv rules to be judged by them.
    List<String> atMax = argvOf("true", MAX_ARGV_BYTES);
    JobStatus ran = ran("true", atMax);
    assertEquals(0, ran.getExitCode().getValue(), "the kernel took a whole 1 MiB argv");
    assertEquals(atMax, ran.getArgsList(), "Status repeats every argument");

    List<String> beyond = new ArrayList<>(atMax);
    beyond.set(beyond.size() - 1, beyond.getLast() + "a");
    refused(start("true", beyond), GrpcStatus.INVALID_ARGUMENT, "command and arguments exceed 1048576 bytes");
    stillServing();
  }

  @Test
  void oneArgumentAtAndBeyondTheKernelsStringBound() {
    String atMax = "b".repeat(MAX_ARG_BYTES);
    JobStatus ran = ran("sh", List.of("-c", "printf %s \"$1\" | wc -c", "sh", atMax));
    assertEquals(0, ran.getExitCode().getValue());
    assertEquals(Integer.toString(MAX_ARG_BYTES), client.stdout(ran.getId()).strip(), "the job got all of it");

    refused(start("true", List.of(atMax + "b")), GrpcStatus.INVALID_ARGUMENT,
        "argument 1 is 131072 bytes long; one argv string may hold at most 131071 bytes");
    // Bytes, not characters: 65536 two-byte characters are 131072 bytes.
    String wide = "é".repeat(65_536);
    assertEquals(131_072, wide.getBytes(StandardCharsets.UTF_8).length);
    refused(start("true", List.of("ok", wide)), GrpcStatus.INVALID_ARGUMENT, "argument 2 is 131072 bytes long");
    refused(start("x".repeat(MAX_ARG_BYTES + 1), List.of()), GrpcStatus.INVALID_ARGUMENT,
        "command is 131072 bytes long");
    stillServing();
  }

  /** A Start request whose encoded message is exactly {@code size} bytes. */
  private static StartRequest requestOfSize(int size) {
    List<String> args = new ArrayList<>(argvOf("true", size - 100_000));
    StartRequest.Builder request = StartRequest.newBuilder().setCommand("true").addAllArgs(args).addArgs("");
    int last = args.size();
    for (int filler = 0; ; ) {
      int missing = size - request.build().getSerializedSize();
      if (missing == 0) {
        return request.build();
      }
      filler += missing;
      request.setArgs(last, "c".repeat(filler));
    }
  }

  @Test
  void requestSizeAtAndBeyondTheTransportBound() {
    StartRequest atMax = requestOfSize(MAX_REQUEST_BYTES);
    assertEquals(MAX_REQUEST_BYTES, atMax.getSerializedSize());
    // Read and decoded: the argv rules answer, not the transport.
    refused(client.call(Rpc.START, atMax), GrpcStatus.INVALID_ARGUMENT, "exceed 1048576 bytes");

    StartRequest beyond = requestOfSize(MAX_REQUEST_BYTES + 1);
    Rpc.Outcome<StartResponse> tooLarge = client.call(Rpc.START, beyond);
    assertEquals(GrpcStatus.RESOURCE_EXHAUSTED, tooLarge.status(), tooLarge.toString());
    // Status, Stop and Log take the same bound.
    Rpc.Outcome<?> hugeId = client.call(Rpc.STATUS,
        rund.api.StatusRequest.newBuilder().setId("0".repeat(MAX_REQUEST_BYTES)).build());
    assertEquals(GrpcStatus.RESOURCE_EXHAUSTED, hugeId.status(), hugeId.toString());
    stillServing();
  }

  @Test
  void aMalformedIdIsEchoedBoundedAndEscaped() {
    Rpc.Outcome<?> answer = client.status("\u001b[31m" + "z".repeat(1_000_000));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, answer.status(), answer.toString());
    assertTrue(answer.message().length() < 200, answer.message());
    assertTrue(answer.message().contains("\\u001b[31mzzz"), answer.message());
    assertTrue(answer.message().contains("..."), answer.message());
  }

  /**
   * The running-jobs bound belongs to the caller's identity as authorization sees it: two certificates whose
   * SANs are spellings of one DNS name share it, another name has its own. (The bound itself and its message
   * are covered by rund.server.QuotaRetentionAndCapTest.)
   */
  @Test
  void runningJobsAreBoundedPerIdentityNotPerCertificate() throws Exception {
    TestPki.Issued server = pki.issueServer("quota-server", List.of("DNS:localhost", "IP:127.0.0.1"));
    try (DaemonFixture quota = DaemonFixture.start(dir.resolve("quota-data"),
            serverOverrides(server).put("maxRunningJobsPerClient", 1));
        Rpc upper = connect(quota, "quota-upper", "DNS:Quota.Example");
        Rpc lower = connect(quota, "quota-lower", "DNS:quota.example.");
        Rpc other = connect(quota, "quota-other", "DNS:other.quota.example")) {
      String first = upper.start("sleep", "1000").get().getId();
      try {
        Rpc.Outcome<?> second = lower.start("sleep", "1000");
        assertEquals(GrpcStatus.RESOURCE_EXHAUSTED, second.status(), second.toString());
        assertTrue(second.message().contains("maxRunningJobsPerClient"), second.message());
        other.stop(other.start("sleep", "1000").get().getId()).get();
      } finally {
        lower.stop(first).get();
      }
      lower.stop(lower.start("sleep", "1000").get().getId()).get();
    }
  }
}
