package rund.bench;

import io.vertx.core.Context;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
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
 *
 * <p>Every call is made on this client's own event-loop context, never from the calling thread. Made from a
 * thread outside Vert.x, the response future's callbacks are handed to a context to run later; a stream whose
 * headers, messages and trailers arrive in one read (a Log call on a job that already ended) can then deliver
 * its messages and its end before the callback has set the handlers, and the call never completes. Seen here
 * about once in a few thousand Log calls from the main thread; never in 20,000 made on a context.
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
  private final Context context;
  private final GrpcClient grpc;
  private final SocketAddress server;
  private final AtomicInteger stuckLogs = new AtomicInteger();

  BenchClient(Vertx vertx, Path tlsDir, int port) throws Exception {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
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

  /** Runs {@code call} on this client's context and hands its outcome back. */
  private <T> Future<T> onContext(Supplier<Future<T>> call) {
    Promise<T> result = Promise.promise();
    context.runOnContext(v -> call.get().onComplete(result));
    return result.future();
  }

  Future<String> start(Limits limits, String command, String... args) {
    StartRequest request = StartRequest.newBuilder().setCommand(command).addAllArgs(List.of(args))
        .setLimits(limits).build();
    return onContext(() -> grpc.request(server, START)
        .compose(call -> call.send(request))
        .compose(response -> response.last().recover(e -> Future.failedFuture(
            new CallFailed(response.status(), response.statusMessage()))))
        .map(StartResponse::getId));
  }

  Future<JobStatus> status(String id) {
    return onContext(() -> grpc.request(server, STATUS)
        .compose(call -> call.send(StatusRequest.newBuilder().setId(id).build()))
        .compose(response -> response.last().recover(e -> Future.failedFuture(
            new CallFailed(response.status(), response.statusMessage())))));
  }

  /** What one Log call delivered. */
  record LogResult(long bytes, long chunks, boolean ended) {}

  /**
   * Follows a job's log to its end, counting the output bytes; {@code onChunk} (may be null) sees every
   * output chunk on the event loop as it arrives.
   */
  Future<LogResult> drainLog(String id, Consumer<LogChunk> onChunk) {
    return onContext(() -> follow(id, onChunk, 0));
  }

  /** A Log stream that had not ended {@code timeoutMillis} after it was opened (0: no limit); it was cancelled. */
  static final class LogStuck extends RuntimeException {
    LogStuck(String id, long timeoutMillis) {
      super("the Log stream of job " + id + " had not ended after " + timeoutMillis + " ms");
    }
  }

  private Future<LogResult> follow(String id, Consumer<LogChunk> onChunk, long timeoutMillis) {
    Promise<LogResult> done = Promise.promise();
    long[] counts = new long[2];
    boolean[] ended = new boolean[1];
    grpc.request(server, LOG)
        .onSuccess(call -> {
          if (timeoutMillis > 0) {
            long timer = vertx.setTimer(timeoutMillis, t -> {
              if (done.tryFail(new LogStuck(id, timeoutMillis))) {
                call.cancel();
              }
            });
            done.future().onComplete(r -> vertx.cancelTimer(timer));
          }
        })
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
    // A Log stream that does not end although the job did would stall the whole measurement: after 30 s it is
    // given up, counted (see stuckLogs) and the end is found by polling Status instead.
    return onContext(() -> follow(id, null, 30_000)
        .recover(e -> {
          if (e instanceof LogStuck) {
            stuckLogs.incrementAndGet();
            return Future.succeededFuture();
          }
          return Future.failedFuture(e);
        })
        .compose(log -> statusUntilEnded(id)));
  }

  /** Log streams awaitEnd gave up on: each is a job whose end its Log stream did not report within 30 s. */
  int stuckLogs() {
    return stuckLogs.get();
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
