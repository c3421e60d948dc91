package rund.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.f4b6a3.ulid.UlidCreator;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.api.JobStatus;
import rund.api.State;
import rund.api.StatusRequest;
import rund.api.StopRequest;
import rund.testing.DaemonFixture;
import rund.tls.TestPki;

/**
 * The authorization rule of the README, end to end: a job belongs to the SAN set that started it, and a caller
 * reaches it through any RPC only if its verified certificate shares a SAN with that set, compared as documented
 * (DNS names without case and trailing dot, IP addresses by value, e-mail domains without case, URIs exactly).
 * Nothing the client sends besides its certificate counts, and a foreign job looks exactly like a missing one.
 */
class AuthorizationTest {
  @TempDir static Path dir;
  static TestPki pki;
  static DaemonFixture daemon;
  static Vertx vertx;
  static final List<Rpc> clients = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    pki = TestPki.create(dir.resolve("pki"));
    TestPki.Issued server = pki.issueServer("server", List.of("DNS:localhost", "IP:127.0.0.1"));
    daemon = DaemonFixture.start(dir.resolve("data"), new JsonObject()
        .put("ca", pki.ca().cert().toString())
        .put("cert", server.cert().toString())
        .put("key", server.key().toString()));
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    clients.forEach(Rpc::close);
    vertx.close().await();
    daemon.close();
  }

  /** A client whose certificate carries exactly {@code sans} (openssl syntax). */
  static Rpc client(String name, String... sans) throws Exception {
    TestPki.Issued cert = pki.issueClient(name, List.of(sans));
    Rpc client = Rpc.connect(vertx, "localhost", daemon.port(), pki.ca().cert(), cert.cert(), cert.key());
    clients.add(client);
    return client;
  }

  /** Starts a job that prints one line and runs until stopped. */
  static String sleeper(Rpc owner) {
    return owner.start("sh", "-c", "echo started; exec sleep 1000").get().getId();
  }

  /**
   * The caller reaches the job through Status and Log (its first chunk: the stream of a running job does not
   * end). Stop is left to the owner, so that the job keeps running for the next caller.
   */
  static void sees(Rpc caller, String id) {
    assertEquals(id, caller.status(id).get().getId());
    assertEquals("started\n", caller.logFirstChunk(id).get().getOutput().getData().toStringUtf8());
  }

  /** The caller gets NOT_FOUND from Status, Log and Stop, and the job is as it was. */
  static void doesNotSee(Rpc caller, String id, Rpc owner) {
    JobStatus before = owner.status(id).get();
    for (Rpc.Outcome<?> attempt : List.of(caller.status(id), caller.logFirstChunk(id), caller.stop(id))) {
      assertEquals(GrpcStatus.NOT_FOUND, attempt.status(), attempt.toString());
    }
    JobStatus after = owner.status(id).get();
    assertEquals(before.getState(), after.getState());
    assertFalse(after.getStopRequested(), "a refused Stop must not mark the job");
  }

  @Test
  void aUriSanSharedWithTheOwnerIsEnoughAndUrisCompareExactly() throws Exception {
    Rpc owner = client("uri-owner", "DNS:a.uri.example", "URI:spiffe://rund.test/team");
    Rpc sameUri = client("uri-same", "URI:spiffe://rund.test/team");
    Rpc sameDns = client("uri-same-dns", "DNS:a.uri.example", "URI:spiffe://rund.test/elsewhere");
    Rpc otherCase = client("uri-case", "URI:spiffe://rund.test/TEAM");
    Rpc longer = client("uri-longer", "URI:spiffe://rund.test/team/");
    Rpc unrelated = client("uri-unrelated", "DNS:b.uri.example", "URI:spiffe://rund.test/other");
    String id = sleeper(owner);
    try {
      sees(sameUri, id);
      sees(sameDns, id);
      doesNotSee(otherCase, id, owner);
      doesNotSee(longer, id, owner);
      doesNotSee(unrelated, id, owner);
    } finally {
      JobStatus stopped = sameUri.stop(id).get();
      assertTrue(stopped.getStopRequested(), "a caller sharing the URI may stop the job");
    }
  }

  @Test
  void ipAddressesCompareByValue() throws Exception {
    Rpc owner = client("ip-owner", "IP:::1");
    Rpc longForm = client("ip-long", "IP:0:0:0:0:0:0:0:1");
    Rpc otherAddress = client("ip-other", "IP:::2");
    Rpc v4Loopback = client("ip-v4", "IP:127.0.0.1");
    Rpc dnsSpelling = client("ip-as-dns", "DNS:::1");
    String id = sleeper(owner);
    try {
      sees(longForm, id);
      doesNotSee(otherAddress, id, owner);
      doesNotSee(v4Loopback, id, owner);
      doesNotSee(dnsSpelling, id, owner);
    } finally {
      owner.stop(id).get();
    }
  }

  @Test
  void dnsNamesCompareWithoutCaseAndTrailingDot() throws Exception {
    Rpc owner = client("dns-owner", "DNS:A.Example");
    Rpc lowerAbsolute = client("dns-lower", "DNS:a.example.");
    Rpc subdomain = client("dns-sub", "DNS:x.a.example");
    Rpc wildcard = client("dns-wild", "DNS:*.example");
    Rpc asUri = client("dns-as-uri", "URI:dns:a.example");
    String id = sleeper(owner);
    try {
      sees(lowerAbsolute, id);
      doesNotSee(subdomain, id, owner);
      doesNotSee(wildcard, id, owner);
      doesNotSee(asUri, id, owner);
    } finally {
      owner.stop(id).get();
    }
  }

  @Test
  void emailAddressesCompareWithTheDomainCaseInsensitiveAndTheLocalPartExact() throws Exception {
    Rpc owner = client("mail-owner", "email:Alice@Example.COM");
    Rpc domainCase = client("mail-domain", "email:Alice@example.com");
    Rpc localCase = client("mail-local", "email:alice@Example.COM");
    String id = sleeper(owner);
    try {
      sees(domainCase, id);
      doesNotSee(localCase, id, owner);
    } finally {
      owner.stop(id).get();
    }
  }

  /** Headers a proxy or a careless implementation might take as the caller's identity. */
  static MultiMap claims(String... sans) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    for (String san : sans) {
      String bare = san.substring(san.indexOf(':') + 1);
      headers.add("owner", bare).add("owner", san.toLowerCase(Locale.ROOT)).add("x-client-id", bare)
          .add("x-forwarded-client-cert", "By=spiffe://rund.test/proxy;Subject=\"CN=" + bare + "\";DNS=" + bare)
          .add("x-ssl-client-san", bare).add("x-remote-user", bare).add("x-owner", bare);
    }
    return headers;
  }

  @Test
  void headersClaimingAnIdentityChangeNothing() throws Exception {
    Rpc alice = client("hdr-alice", "DNS:alice.hdr.example");
    Rpc mallory = client("hdr-mallory", "DNS:mallory.hdr.example");
    MultiMap asAlice = claims("DNS:alice.hdr.example");
    String id = sleeper(alice);
    try {
      assertEquals(GrpcStatus.NOT_FOUND,
          mallory.call(Rpc.STATUS, StatusRequest.newBuilder().setId(id).build(), asAlice).status());
      assertEquals(GrpcStatus.NOT_FOUND, mallory.logFirstChunk(id, asAlice).status());
      assertEquals(GrpcStatus.NOT_FOUND,
          mallory.call(Rpc.STOP, StopRequest.newBuilder().setId(id).build(), asAlice).status());
      assertEquals(State.STATE_RUNNING, alice.status(id).get().getState());

      // A job started while claiming to be alice belongs to mallory's certificate, not to the claim.
      String claimed = mallory.call(Rpc.START, rund.api.StartRequest.newBuilder().setCommand("sh")
          .addArgs("-c").addArgs("echo started; exec sleep 1000").build(), asAlice).get().getId();
      try {
        doesNotSee(alice, claimed, mallory);
        sees(mallory, claimed);
      } finally {
        mallory.stop(claimed).get();
      }

      // And the headers give a certificate without SANs no identity either.
      TestPki.Issued noSan = pki.issueClientWithoutSan("hdr-anonymous");
      Rpc anonymous = Rpc.connect(vertx, "localhost", daemon.port(), pki.ca().cert(), noSan.cert(), noSan.key());
      clients.add(anonymous);
      assertEquals(GrpcStatus.PERMISSION_DENIED, anonymous.call(Rpc.START, rund.api.StartRequest.newBuilder()
          .setCommand("true").build(), asAlice).status());
      assertEquals(GrpcStatus.NOT_FOUND,
          anonymous.call(Rpc.STATUS, StatusRequest.newBuilder().setId(id).build(), asAlice).status());
    } finally {
      alice.stop(id).get();
    }
  }

  @Test
  void everyRpcEnforcesOwnershipOfRunningAndFinishedJobs() throws Exception {
    Rpc owner = client("own-owner", "DNS:owner.own.example");
    Rpc other = client("own-other", "DNS:other.own.example");
    String running = sleeper(owner);
    String finished = owner.start("echo", "secret output").get().getId();
    assertEquals("secret output\n", owner.stdout(finished));
    try {
      doesNotSee(other, running, owner);
      doesNotSee(other, finished, owner);
      // Start is owned too: what other starts, owner cannot reach.
      String theirs = sleeper(other);
      try {
        doesNotSee(owner, theirs, other);
      } finally {
        other.stop(theirs).get();
      }
    } finally {
      owner.stop(running).get();
    }
  }

  @Test
  void unknownAndForeignIdsGetTheSameAnswer() throws Exception {
    Rpc owner = client("same-owner", "DNS:owner.same.example");
    Rpc other = client("same-other", "DNS:other.same.example");
    String running = sleeper(owner);
    String finished = owner.start("true").get().getId();
    owner.log(finished).get();
    String unknown = UlidCreator.getUlid().toString();
    try {
      for (String id : List.of(running, finished, running.toLowerCase(Locale.ROOT))) {
        String canonical = id.toUpperCase(Locale.ROOT);
        assertSameAnswer(other.status(id), other.status(unknown), canonical, unknown);
        assertSameAnswer(other.stop(id), other.stop(unknown), canonical, unknown);
        assertSameAnswer(other.logFirstChunk(id), other.logFirstChunk(unknown), canonical, unknown);
      }
    } finally {
      owner.stop(running).get();
    }
  }

  /** Same status; the same message once each id is replaced by a placeholder. */
  private static void assertSameAnswer(Rpc.Outcome<?> foreign, Rpc.Outcome<?> missing, String foreignId,
      String missingId) {
    assertEquals(GrpcStatus.NOT_FOUND, foreign.status(), foreign.toString());
    assertEquals(missing.status(), foreign.status());
    assertEquals(missing.message().replace(missingId, "<id>"), foreign.message().replace(foreignId, "<id>"));
    assertFalse(foreign.message().contains("owner.same.example"), "the answer names no owner");
  }
}
