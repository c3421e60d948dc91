package rund.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.f4b6a3.ulid.Ulid;
import com.google.protobuf.UInt64Value;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeContainer;
import rund.api.Limits;
import rund.api.StartRequest;
import rund.api.StartResponse;
import rund.testing.DaemonFixture;
import rund.tls.TestPki;

/**
 * Random and hostile requests thrown at the real service over mTLS. Whatever arrives, every call gets a
 * well-formed answer in bounded time (OK, or a status that names a client mistake or a refusal, never INTERNAL
 * or UNKNOWN), and the daemon keeps serving.
 *
 * <p>The jobs that random requests may start are confined: the daemon's {@code jobPath} holds only echo and
 * true, and the working directory is empty, so a random command name can run nothing else (and nothing whose
 * output random arguments could make unbounded).
 */
class HostileInputPropertiesTest {
  static final Set<GrpcStatus> WELL_FORMED = Set.of(GrpcStatus.OK, GrpcStatus.INVALID_ARGUMENT,
      GrpcStatus.NOT_FOUND, GrpcStatus.PERMISSION_DENIED, GrpcStatus.FAILED_PRECONDITION,
      GrpcStatus.RESOURCE_EXHAUSTED);
  static final int TRIES = 200;

  static Path dir;
  static DaemonFixture daemon;
  static Vertx vertx;
  static Rpc client;

  @BeforeContainer
  static void start() throws Exception {
    dir = Files.createTempDirectory("rund-hostile");
    Path bin = Files.createDirectories(dir.resolve("bin"));
    for (String tool : List.of("echo", "true")) {
      Files.createSymbolicLink(bin.resolve(tool), Path.of("/usr/bin", tool));
    }
    Path empty = Files.createDirectories(dir.resolve("empty"));
    TestPki pki = TestPki.create(dir.resolve("pki"));
    TestPki.Issued server = pki.issueServer("server", List.of("DNS:localhost", "IP:127.0.0.1"));
    daemon = DaemonFixture.start(dir.resolve("data"), new JsonObject()
        .put("ca", pki.ca().cert().toString())
        .put("cert", server.cert().toString())
        .put("key", server.key().toString())
        .put("jobPath", bin.toString())
        .put("jobWorkingDirectory", empty.toString()));
    vertx = Vertx.vertx();
    TestPki.Issued fuzzer = pki.issueClient("fuzzer", List.of("DNS:fuzzer.example"));
    client = Rpc.connect(vertx, "localhost", daemon.port(), pki.ca().cert(), fuzzer.cert(), fuzzer.key());
  }

  @AfterContainer
  static void stop() throws IOException {
    if (client != null) {
      client.close();
      vertx.close().await();
      daemon.close();
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  /** After every property: the daemon still runs a job and delivers its output. */
  @AfterProperty
  void stillServing() {
    String id = client.start("echo", "ok").get().getId();
    assertEquals("ok\n", client.stdout(id));
  }

  private static void wellFormed(Rpc.Outcome<?> outcome) {
    assertNull(outcome.failure(), () -> "no answer: " + outcome);
    assertTrue(WELL_FORMED.contains(outcome.status()), () -> "answered " + outcome);
    if (outcome.status() != GrpcStatus.OK && outcome.status() != GrpcStatus.RESOURCE_EXHAUSTED) {
      assertNotNull(outcome.message(), () -> outcome.status() + " without a message");
      assertFalse(outcome.message().isBlank(), () -> outcome.status() + " without a message");
    }
  }

  // ---- arbitraries

  /** Any characters: control characters, NUL, surrogates, anything in the BMP. */
  static Arbitrary<String> anyText(int maxLength) {
    return Arbitraries.oneOf(
        Arbitraries.strings().all().ofMaxLength(maxLength),
        Arbitraries.strings().withCharRange('\0', ' ').withChars('\u007f', '/', '.', '-', 'a').ofMaxLength(maxLength),
        Arbitraries.strings().withChars('\0', 'x').ofMinLength(1).ofMaxLength(4));
  }

  @Provide
  Arbitrary<String> commands() {
    return Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.of("echo", "true")),
        Tuple.of(2, anyText(64)),
        Tuple.of(1, Arbitraries.of("printf", "sh", "", " ", "/", ".", "..", "./echo", "echo\0", "ech\0o", "\0",
            "/usr/bin/true", "e\ncho", "echo ", "-", "--")));
  }

  @Provide
  Arbitrary<List<String>> argLists() {
    return Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.strings().ascii().ofMaxLength(20).list().ofMaxSize(8)),
        Tuple.of(3, anyText(40).list().ofMaxSize(16)),
        Tuple.of(1, Arbitraries.strings().alpha().ofMaxLength(3).list().ofMinSize(4000).ofMaxSize(4200)),
        Tuple.of(1, Arbitraries.just("z".repeat(60_000)).list().ofMinSize(15).ofMaxSize(20)),
        Tuple.of(1, Arbitraries.integers().between(131_000, 131_200).map("y"::repeat).list().ofMaxSize(2)));
  }

  /** A limit value: absent, the edges 0, 1 and 2^64-1, or anything. */
  static Arbitrary<Optional<Long>> limitValue() {
    return Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.just(Optional.<Long>empty())),
        Tuple.of(2, Arbitraries.of(0L, 1L, -1L /* 2^64-1 as uint64 */, Long.MAX_VALUE, 1000L, 1L << 20)
            .map(Optional::of)),
        Tuple.of(1, Arbitraries.longs().map(Optional::of)));
  }

  @Provide
  Arbitrary<Limits> limits() {
    Arbitrary<Optional<Long>> v = limitValue();
    return Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(Limits.getDefaultInstance())), Tuple.of(1,
        Combinators.combine(v, v, v, v, v, v).as((cpu, memory, rbps, riops, wbps, wiops) -> {
      Limits.Builder limits = Limits.newBuilder();
      cpu.ifPresent(x -> limits.setMaxCpuBandwidth(UInt64Value.of(x)));
      memory.ifPresent(x -> limits.setMaxMemoryUsage(UInt64Value.of(x)));
      rbps.ifPresent(x -> limits.setMaxRbps(UInt64Value.of(x)));
      riops.ifPresent(x -> limits.setMaxRiops(UInt64Value.of(x)));
      wbps.ifPresent(x -> limits.setMaxWbps(UInt64Value.of(x)));
      wiops.ifPresent(x -> limits.setMaxWiops(UInt64Value.of(x)));
      return limits.build();
    })));
  }

  /** Job ids: random text, ULID-shaped strings that may not be ULIDs, and real ULIDs never issued. */
  @Provide
  Arbitrary<String> ids() {
    String crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    return Arbitraries.oneOf(
        anyText(40),
        Arbitraries.strings().withChars(crockford + crockford.toLowerCase() + "ILOUilou*~-").ofLength(26),
        Arbitraries.strings().withChars(crockford).ofMinLength(25).ofMaxLength(27),
        Arbitraries.of("ZZZZZZZZZZZZZZZZZZZZZZZZZZ", "80000000000000000000000000", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ",
            "00000000000000000000000000", "01ARZ3NDEKTSV4RRFFQ69G5FA\0", " 01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "01ARZ3NDEKTSV4RRFFQ69G5FAV\n", "0".repeat(100_000)),
        Arbitraries.randomValue(random -> new Ulid(random.nextLong(), random.nextLong()).toString()));
  }

  // ---- properties

  @Property(tries = TRIES)
  void everyStartGetsAWellFormedAnswer(@ForAll("commands") String command, @ForAll("argLists") List<String> args,
      @ForAll("limits") Limits limits) {
    Rpc.Outcome<StartResponse> outcome = client.call(Rpc.START,
        StartRequest.newBuilder().setCommand(command).addAllArgs(args).setLimits(limits).build());
    wellFormed(outcome);
    Statistics.label("Start answered").collect(outcome.status().name());
    if (outcome.ok()) {
      String id = outcome.get().getId();
      assertTrue(Ulid.isValid(id), id);
      wellFormed(client.log(id));
      wellFormed(client.status(id));
    }
  }

  @Property(tries = TRIES)
  void everyIdGetsAWellFormedAnswerFromStatusStopAndLog(@ForAll("ids") String id) {
    for (Rpc.Outcome<?> outcome : List.of(client.status(id), client.stop(id), client.logFirstChunk(id))) {
      wellFormed(outcome);
      Statistics.label("id answered").collect(outcome.status().name());
      assertTrue(outcome.status() == GrpcStatus.INVALID_ARGUMENT || outcome.status() == GrpcStatus.NOT_FOUND
          || (outcome.status() == GrpcStatus.RESOURCE_EXHAUSTED && id.length() > 1_000_000),
          () -> "id " + RequestEcho.quote(id) + ": " + outcome);
    }
  }

  /**
   * The argv rules as documented, as a model: with a command that exists, a request is served exactly when
   * it has at most 4096 arguments, no NUL, no string over 131071 bytes and at most 1 MiB of argv; otherwise
   * it is refused with INVALID_ARGUMENT. A served job really ran (true exits 0).
   */
  @Property(tries = 100)
  void theArgvRulesDecideExactlyAsDocumented(@ForAll("argLists") List<String> args) {
    boolean valid = args.size() <= 4096;
    long bytes = "true".length() + 1;
    for (String arg : args) {
      byte[] utf8 = arg.getBytes(StandardCharsets.UTF_8);
      valid &= arg.indexOf('\0') < 0 && utf8.length < 128 * 1024;
      bytes += utf8.length + 1;
    }
    valid &= bytes <= 1024 * 1024;
    Rpc.Outcome<StartResponse> outcome = client.call(Rpc.START,
        StartRequest.newBuilder().setCommand("true").addAllArgs(args).build());
    if (valid) {
      String id = outcome.get().getId();
      client.log(id).get();
      assertEquals(0, client.status(id).get().getExitCode().getValue());
    } else {
      assertEquals(GrpcStatus.INVALID_ARGUMENT, outcome.status(), outcome.toString());
    }
    Statistics.label("argv").collect(valid ? "served" : "refused");
  }

  /** Quotes text for an assertion message. */
  static final class RequestEcho {
    static String quote(String text) {
      String shown = text.length() > 60 ? text.substring(0, 60) + "..." : text;
      StringBuilder out = new StringBuilder("\"");
      shown.codePoints().forEach(c -> out.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", c)
          : Character.toString(c)));
      return out.append('"').toString();
    }
  }
}
