package rund.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import rund.api.JobStatus;
import rund.api.Limits;
import rund.api.LogChunk;
import rund.api.LogRequest;
import rund.api.StartRequest;
import rund.api.StartResponse;
import rund.api.State;
import rund.api.StatusRequest;
import rund.tls.TlsOptions;

/**
 * The client side of the benchmarks: the Vert.x gRPC client with runc's mutual-TLS options
 * ({@link TlsOptions#client}), asynchronous calls, and a Log reader that counts bytes instead of keeping them.
 * One instance holds one HTTP/2 connection to the daemon (opened by the first call, then kept).
 */
final class BenchClient implements AutoCloseable {
  private static final ServiceName SERVICE = ServiceName.create("rund.v1.JobController");
  private static final ServiceMethod<StartResponse, StartRequest> START = ServiceMethod.client(SERVICE, "Start",
      GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(StartResponse.getDefaultInstance()));
  private static final ServiceMethod<JobStatus, StatusRequest> STATUS = ServiceMethod.client(SERVICE, "Status",
      GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(JobStatus.getDefaultInstance()));
  private static final ServiceMethod<LogChunk, LogRequest> LOG = ServiceMethod.client(SERVICE, "Log",
      GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(LogChunk.getDefaultInstance()));

  private final Vertx vertx;
  private final GrpcClient grpc;
  private final SocketAddress server;

  BenchClient(Vertx vertx, Path tlsDir, int port) throws Exception {
    this.vertx = vertx;
    this.grpc = GrpcClient.client(vertx, TlsOptions.client(tlsDir.resolve("ca.pem"), tlsDir.resolve("client.pem"),
        tlsDir.resolve("client-key.pem")));
    this.server = SocketAddress.inetSocketAddress(port, "127.0.0.1");
  }

  /** A call that ended with a status other than OK. */
  static final class CallFailed extends RuntimeException {
    CallFailed(GrpcStatus status, String message) {
      super(status + ": " + message);
    }
  }

  static <T> T await(Future<T> future, long seconds) throws Exception {
    return future.await(seconds, TimeUnit.SECONDS);
  }

  Future<String> start(String command, String... args) {
    return start(Limits.getDefaultInstance(), command, args);
  }

  Future<String> start(Limits limits, String command, String... args) {
    StartRequest request = StartRequest.newBuilder().setCommand(command).addAllArgs(List.of(args))
        .setLimits(limits).build();
    return grpc.request(server, START)
        .compose(call -> call.send(request))
        .compose(response -> response.last().recover(e -> Future.failedFuture(
            new CallFailed(response.status(), response.statusMessage()))))
        .map(StartResponse::getId);
  }

  Future<JobStatus> status(String id) {
    return grpc.request(server, STATUS)
        .compose(call -> call.send(StatusRequest.newBuilder().setId(id).build()))
        .compose(response -> response.last().recover(e -> Future.failedFuture(
            new CallFailed(response.status(), response.statusMessage()))));
  }

  /** What one Log call delivered. */
  record LogResult(long bytes, long chunks, boolean ended) {}

  /**
   * Follows a job's log to its end, counting the output bytes; {@code onChunk} (may be null) sees every
   * output chunk on the event loop as it arrives.
   */
  Future<LogResult> drainLog(String id, Consumer<LogChunk> onChunk) {
    Promise<LogResult> done = Promise.promise();
    long[] counts = new long[2];
    boolean[] ended = new boolean[1];
    grpc.request(server, LOG)
        .compose(call -> call.send(LogRequest.newBuilder().setId(id).build()))
        .onFailure(done::tryFail)
        .onSuccess(response -> {
          response.handler(chunk -> {
            if (chunk.hasEnd()) {
              ended[0] = true;
              return;
            }
            counts[0] += chunk.getOutput().getData().size();
            counts[1]++;
            if (onChunk != null) {
              onChunk.accept(chunk);
            }
          });
          response.exceptionHandler(done::tryFail);
          response.endHandler(v -> {
            if (response.status() != GrpcStatus.OK) {
              done.tryFail(new CallFailed(response.status(), response.statusMessage()));
            } else {
              done.tryComplete(new LogResult(counts[0], counts[1], ended[0]));
            }
          });
        });
    return done.future();
  }

  /**
   * Waits for the job's end the way a client of this API can without polling: its Log stream ends once the
   * job ended and its output is complete; then Status must say the job is no longer running.
   */
  Future<JobStatus> awaitEnd(String id) {
    return drainLog(id, null).compose(log -> statusUntilEnded(id));
  }

  private Future<JobStatus> statusUntilEnded(String id) {
    return status(id).compose(status -> {
      if (status.getState() != State.STATE_RUNNING) {
        return Future.succeededFuture(status);
      }
      Promise<JobStatus> later = Promise.promise();
      vertx.setTimer(1, t -> statusUntilEnded(id).onComplete(later));
      return later.future();
    });
  }

  @Override
  public void close() {
    try {
      grpc.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("closing the gRPC client", e);
    }
  }
}
