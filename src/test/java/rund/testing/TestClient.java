package rund.testing;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import rund.api.JobStatus;
import rund.api.Limits;
import rund.api.LogChunk;
import rund.api.LogEnd;
import rund.api.LogRequest;
import rund.api.StartRequest;
import rund.api.StartResponse;
import rund.api.StatusRequest;
import rund.api.StopRequest;
import rund.api.Stream;
import rund.tls.TlsOptions;

/** A plain gRPC client of the JobController over mTLS, for tests: blocking calls with a deadline. */
public final class TestClient implements AutoCloseable {
  private static final ServiceName SERVICE = ServiceName.create("rund.v1.JobController");
  static final ServiceMethod<StartResponse, StartRequest> START =
      ServiceMethod.client(SERVICE, "Start", GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(StartResponse.getDefaultInstance()));
  static final ServiceMethod<JobStatus, StopRequest> STOP =
      ServiceMethod.client(SERVICE, "Stop", GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(JobStatus.getDefaultInstance()));
  static final ServiceMethod<JobStatus, StatusRequest> STATUS =
      ServiceMethod.client(SERVICE, "Status", GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(JobStatus.getDefaultInstance()));
  static final ServiceMethod<LogChunk, LogRequest> LOG =
      ServiceMethod.client(SERVICE, "Log", GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(LogChunk.getDefaultInstance()));

  private final Vertx vertx;
  private final GrpcClient client;
  private final SocketAddress server;

  public TestClient(Vertx vertx, HttpClientOptions options, SocketAddress server) {
    this.vertx = vertx;
    this.client = GrpcClient.client(vertx, options);
    this.server = server;
  }

  public static TestClient connect(Vertx vertx, int port, Path ca, Path cert, Path key) throws Exception {
    return new TestClient(vertx, TlsOptions.client(ca, cert, key), SocketAddress.inetSocketAddress(port, "localhost"));
  }

  /** A failed call: the status and message the server answered with. */
  public static final class CallFailed extends RuntimeException {
    public final GrpcStatus status;

    CallFailed(GrpcStatus status, String message) {
      super(status + ": " + message);
      this.status = status;
    }
  }

  /** Awaits a future with a deadline; a timeout is a test failure. */
  public static <T> T await(Future<T> future, long seconds) {
    try {
      return future.await(seconds, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no answer within " + seconds + " s", e);
    }
  }

  private <Req, Resp> Resp unary(ServiceMethod<Resp, Req> method, Req request) {
    Future<Resp> call = client.request(server, method)
        .compose(req -> req.send(request))
        .compose(response -> response.last().recover(e -> Future.failedFuture(
            new CallFailed(response.status(), response.statusMessage()))));
    return await(call, 120);
  }

  public String start(String command, String... args) {
    return start(Limits.getDefaultInstance(), command, args);
  }

  public String start(Limits limits, String command, String... args) {
    return unary(START, StartRequest.newBuilder().setCommand(command).addAllArgs(List.of(args)).setLimits(limits).build()).getId();
  }

  public JobStatus status(String id) {
    return unary(STATUS, StatusRequest.newBuilder().setId(id).build());
  }

  public JobStatus stop(String id) {
    return unary(STOP, StopRequest.newBuilder().setId(id).build());
  }

  /** What one Log call delivered, split by stream, plus the stream of records in arrival order. */
  public record Received(byte[] stdout, byte[] stderr, List<String> order, LogEnd end) {
    public String out() {
      return new String(stdout, java.nio.charset.StandardCharsets.UTF_8);
    }

    public String err() {
      return new String(stderr, java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  public Received log(String id) {
    Promise<Received> done = Promise.promise();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> order = new java.util.ArrayList<>();
    LogEnd[] end = new LogEnd[1];
    // On a Vert.x context, so the handlers below are set before the stream's first message can arrive: set
    // from a foreign thread they may come too late and miss the end of a short stream.
    vertx.getOrCreateContext().runOnContext(ignored -> {
      client.request(server, LOG)
          .compose(req -> req.send(LogRequest.newBuilder().setId(id).build()))
          .onFailure(done::tryFail)
          .onSuccess(response -> {
            response.handler(chunk -> {
              if (chunk.hasEnd()) {
                end[0] = chunk.getEnd();
                return;
              }
              byte[] data = chunk.getOutput().getData().toByteArray();
              boolean isOut = chunk.getOutput().getStream() == Stream.STREAM_STDOUT;
              (isOut ? out : err).writeBytes(data);
              order.add((isOut ? "out:" : "err:") + new String(data, java.nio.charset.StandardCharsets.UTF_8));
            });
            response.exceptionHandler(done::tryFail);
            response.endHandler(v -> {
              if (response.status() != GrpcStatus.OK) {
                done.tryFail(new CallFailed(response.status(), response.statusMessage()));
              } else {
                done.tryComplete(new Received(out.toByteArray(), err.toByteArray(), order, end[0]));
              }
            });
          });
    });
    return await(done.future(), 300);
  }

  /** Opens a Log stream and returns its response without reading it (for cancellation tests). */
  public GrpcClientResponse<LogRequest, LogChunk> openLog(String id) {
    Future<GrpcClientResponse<LogRequest, LogChunk>> opened = client.request(server, LOG)
        .compose(req -> req.send(LogRequest.newBuilder().setId(id).build()));
    return await(opened, 60);
  }

  /** Polls Status until the job is no longer running, with a deadline. */
  public JobStatus awaitEnd(String id) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      JobStatus status = status(id);
      if (status.getState() != rund.api.State.STATE_RUNNING && status.hasEndedAt()) {
        return status;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("job " + id + " still running: " + status);
      }
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  @Override
  public void close() {
    await(client.close(), 10);
  }
}
