package rund.security;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import rund.api.JobStatus;
import rund.api.LogChunk;
import rund.api.LogRequest;
import rund.api.StartRequest;
import rund.api.StartResponse;
import rund.api.StatusRequest;
import rund.api.StopRequest;
import rund.tls.TlsOptions;
import rund.tls.TlsPolicy;

/**
 * A gRPC client of the JobController for the security tests. Unlike {@code rund.testing.TestClient} it reports
 * every outcome as a value (the status and message the server answered with, or the transport failure when
 * there was no answer), sends arbitrary metadata, and can be built from certificates that rund's own client
 * options would refuse to load (expired, wrong usage), so that the daemon is the one that has to refuse them.
 */
final class Rpc implements AutoCloseable {
  private static final ServiceName SERVICE = ServiceName.create("rund.v1.JobController");
  static final ServiceMethod<StartResponse, StartRequest> START = method("Start", StartResponse.getDefaultInstance());
  static final ServiceMethod<JobStatus, StopRequest> STOP = method("Stop", JobStatus.getDefaultInstance());
  static final ServiceMethod<JobStatus, StatusRequest> STATUS = method("Status", JobStatus.getDefaultInstance());
  static final ServiceMethod<LogChunk, LogRequest> LOG = method("Log", LogChunk.getDefaultInstance());

  /** The longest any call may take before the test calls it a hang. */
  static final long DEADLINE_SECONDS = 60;

  private static <Resp extends com.google.protobuf.Message, Req extends com.google.protobuf.MessageLite> ServiceMethod<Resp, Req> method(String name,
      Resp prototype) {
    return ServiceMethod.client(SERVICE, name, GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(prototype));
  }

  /**
   * What a call came to: an answer from the service ({@code status} non-null; {@code value} set when OK), or
   * no answer at all ({@code failure} set: the connection or the handshake failed).
   */
  record Outcome<T>(GrpcStatus status, String message, T value, Throwable failure) {
    boolean ok() {
      return status == GrpcStatus.OK;
    }

    T get() {
      if (!ok()) {
        throw new AssertionError("expected OK, got " + this);
      }
      return value;
    }

    @Override
    public String toString() {
      return failure != null ? "no answer: " + failure : status + ": " + message;
    }
  }

  private final Vertx vertx;
  private final GrpcClient client;
  private final SocketAddress server;

  Rpc(Vertx vertx, HttpClientOptions options, SocketAddress server) {
    this.vertx = vertx;
    // Answers may echo a request of up to the server's 2 MiB bound (Status repeats command and arguments).
    this.client = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(8 * 1024 * 1024), options);
    this.server = server;
  }

  /** rund's own client options (TlsOptions.client), dialling {@code host:port}. */
  static Rpc connect(Vertx vertx, String host, int port, Path ca, Path cert, Path key) throws Exception {
    return new Rpc(vertx, TlsOptions.client(ca, cert, key), SocketAddress.inetSocketAddress(port, host));
  }

  /**
   * Client options that present {@code cert} whatever it is and whatever the server asks for, without the
   * local checks of TlsOptions.client: TLS 1.3, ALPN h2, trusting {@code ca} only and verifying the server's
   * name, like runc.
   */
  static HttpClientOptions presenting(Path ca, Path cert, Path key) throws Exception {
    HttpClientOptions options = new HttpClientOptions()
        .setSsl(true)
        .setUseAlpn(true)
        .setProtocolVersion(HttpVersion.HTTP_2)
        .setAlpnVersions(List.of(HttpVersion.HTTP_2))
        .setHttp2ClearTextUpgrade(false)
        .setVerifyHost(true)
        .setKeyCertOptions(PresentingKeyManager.options(cert, key))
        .setTrustOptions(new PemTrustOptions().addCertPath(ca.toString()));
    options.setEnabledSecureTransportProtocols(Set.copyOf(TlsPolicy.PROTOCOLS));
    options.getSslOptions().setHostnameVerificationAlgorithm("HTTPS");
    return options;
  }

  <Req, Resp> Outcome<Resp> call(ServiceMethod<Resp, Req> method, Req request) {
    return call(method, request, MultiMap.caseInsensitiveMultiMap());
  }

  /** One unary call with the given metadata. */
  <Req, Resp> Outcome<Resp> call(ServiceMethod<Resp, Req> method, Req request, MultiMap headers) {
    Future<Outcome<Resp>> outcome = client.request(server, method)
        .compose(req -> {
          req.headers().addAll(headers);
          return req.send(request);
        })
        .compose(response -> response.last()
            .map(value -> new Outcome<>(response.status(), response.statusMessage(), value, null))
            .recover(e -> response.status() != null
                ? Future.succeededFuture(new Outcome<>(response.status(), response.statusMessage(), null, null))
                : Future.failedFuture(e)))
        .recover(e -> Future.succeededFuture(new Outcome<>(null, null, null, e)));
    return await(outcome);
  }

  Outcome<StartResponse> start(String command, String... args) {
    return call(START, StartRequest.newBuilder().setCommand(command).addAllArgs(List.of(args)).build());
  }

  Outcome<JobStatus> status(String id) {
    return call(STATUS, StatusRequest.newBuilder().setId(id).build());
  }

  Outcome<JobStatus> stop(String id) {
    return call(STOP, StopRequest.newBuilder().setId(id).build());
  }

  Outcome<List<LogChunk>> log(String id) {
    return log(id, MultiMap.caseInsensitiveMultiMap());
  }

  /** A whole Log stream: every chunk up to the end of the stream, and the status it ended with. */
  Outcome<List<LogChunk>> log(String id, MultiMap headers) {
    Promise<Outcome<List<LogChunk>>> done = Promise.promise();
    List<LogChunk> chunks = new ArrayList<>();
    // On a Vert.x context, so the handlers are set before the stream's first message can arrive.
    vertx.getOrCreateContext().runOnContext(ignored -> {
      client.request(server, LOG)
          .compose(req -> {
            req.headers().addAll(headers);
            return req.send(LogRequest.newBuilder().setId(id).build());
          })
          .onFailure(e -> done.tryComplete(new Outcome<>(null, null, null, e)))
          .onSuccess(response -> {
            response.handler(chunks::add);
            response.exceptionHandler(e -> done.tryComplete(response.status() != null
                ? new Outcome<>(response.status(), response.statusMessage(), null, null)
                : new Outcome<>(null, null, null, e)));
            response.endHandler(v -> done.tryComplete(
                new Outcome<>(response.status(), response.statusMessage(), List.copyOf(chunks), null)));
          });
    });
    return await(done.future());
  }

  /**
   * Opens a Log stream and reads only its first chunk, then cancels the call: for jobs that are still running,
   * whose stream does not end. The outcome holds that chunk (status OK), or the status the stream ended with
   * before sending any.
   */
  Outcome<LogChunk> logFirstChunk(String id) {
    return logFirstChunk(id, MultiMap.caseInsensitiveMultiMap());
  }

  Outcome<LogChunk> logFirstChunk(String id, MultiMap headers) {
    Promise<Outcome<LogChunk>> done = Promise.promise();
    // On a Vert.x context, so the handlers are set before the stream's first message can arrive.
    vertx.getOrCreateContext().runOnContext(ignored -> {
      client.request(server, LOG)
          .onFailure(e -> done.tryComplete(new Outcome<>(null, null, null, e)))
          .onSuccess(request -> {
            request.headers().addAll(headers);
            request.send(LogRequest.newBuilder().setId(id).build())
                .onFailure(e -> done.tryComplete(new Outcome<>(null, null, null, e)))
                .onSuccess(response -> {
                  response.handler(chunk -> {
                    done.tryComplete(new Outcome<>(GrpcStatus.OK, null, chunk, null));
                    request.cancel();
                  });
                  response.exceptionHandler(e -> done.tryComplete(response.status() != null
                      ? new Outcome<>(response.status(), response.statusMessage(), null, null)
                      : new Outcome<>(null, null, null, e)));
                  response.endHandler(v -> done.tryComplete(
                      new Outcome<>(response.status(), response.statusMessage(), null, null)));
                });
          });
    });
    return await(done.future());
  }

  /** The job's stdout, from a complete Log stream. */
  String stdout(String id) {
    StringBuilder out = new StringBuilder();
    for (LogChunk chunk : log(id).get()) {
      if (chunk.hasOutput() && chunk.getOutput().getStream() == rund.api.Stream.STREAM_STDOUT) {
        out.append(chunk.getOutput().getData().toStringUtf8());
      }
    }
    return out.toString();
  }

  static <T> T await(Future<T> future) {
    try {
      return future.await(DEADLINE_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("no answer within " + DEADLINE_SECONDS + " s: the daemon hangs", e);
    }
  }

  @Override
  public void close() {
    await(client.close());
  }
}
