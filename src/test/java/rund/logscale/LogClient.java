package rund.logscale;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import rund.api.LogChunk;
import rund.api.LogEnd;
import rund.api.LogRequest;
import rund.api.Output;
import rund.testing.DaemonFixture;
import rund.testing.TestClient;
import rund.tls.TlsOptions;

/**
 * A Log client for tests of the log at scale: every chunk goes to a caller's sink as it arrives and nothing is
 * kept, so the test's own memory stays flat however large the log. A call can be paced (read at a given rate
 * through pause/fetch, leaving the rest to HTTP/2 flow control) and cancelled (RST_STREAM).
 *
 * <p>Each instance is one client connection; everything about a call runs on the event loop of that connection.
 */
final class LogClient implements AutoCloseable {
  static final ServiceMethod<LogChunk, LogRequest> LOG = ServiceMethod.client(
      ServiceName.create("rund.v1.JobController"), "Log",
      GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(LogChunk.getDefaultInstance()));

  private final Vertx vertx;
  private final GrpcClient client;
  private final SocketAddress server;

  private LogClient(Vertx vertx, GrpcClient client, SocketAddress server) {
    this.vertx = vertx;
    this.client = client;
    this.server = server;
  }

  /** A connection with the repository's example client certificate, the one the fixture's daemon trusts. */
  static LogClient connect(Vertx vertx, int port) throws Exception {
    return new LogClient(vertx, GrpcClient.client(vertx, TlsOptions.client(DaemonFixture.TLS.resolve("ca.pem"),
        DaemonFixture.TLS.resolve("client.pem"), DaemonFixture.TLS.resolve("client-key.pem"))),
        SocketAddress.inetSocketAddress(port, "localhost"));
  }

  /** One Log call. {@link #done()} completes with the end marker, or fails with the call's error. */
  final class Call {
    private final Promise<LogEnd> done = Promise.promise();
    private final AtomicLong bytes = new AtomicLong();
    private volatile Context context;
    private volatile GrpcClientRequest<LogRequest, LogChunk> request;
    private volatile GrpcClientResponse<LogRequest, LogChunk> response;
    private volatile boolean requestSent;
    private final long bytesPerSecond;
    // Pacing state, touched only on the call's context.
    private long credit;
    private boolean demanded;
    private long pacer = -1;

    private Call(long bytesPerSecond) {
      this.bytesPerSecond = bytesPerSecond;
    }

    Future<LogEnd> done() {
      return done.future();
    }

    /** Output payload bytes received so far. */
    long bytes() {
      return bytes.get();
    }

    /** Whether the request has gone out (the server may still be about to see it). */
    boolean sent() {
      return requestSent;
    }

    /** Resets the stream (RST_STREAM CANCEL), as a client that gives up does. Any thread. */
    void cancel() {
      Context on = context;
      if (on == null) {
        throw new IllegalStateException("the call has no stream yet");
      }
      on.runOnContext(v -> {
        stopPacer();
        request.cancel();
        done.tryFail("cancelled by the test");
      });
    }

    /** Stops pacing: from now on the call reads as fast as it can. Any thread. */
    void unpace() {
      Context on = context;
      on.runOnContext(v -> {
        stopPacer();
        if (response != null) {
          response.resume();
        }
      });
    }

    /** Closes this call's whole connection, as a client that goes away does. Any thread. */
    void closeConnection() {
      Context on = context;
      on.runOnContext(v -> {
        stopPacer();
        request.connection().close();
      });
    }

    private void start(String id, Consumer<Output> sink) {
      client.request(server, LOG).onComplete(opened -> {
        if (opened.failed()) {
          done.tryFail(opened.cause());
          return;
        }
        request = opened.result();
        context = Vertx.currentContext();
        request.response().onFailure(done::tryFail).onSuccess(resp -> {
          response = resp;
          if (bytesPerSecond > 0) {
            resp.pause();
            startPacer();
          }
          resp.handler(chunk -> {
            if (chunk.hasEnd()) {
              done.tryComplete(chunk.getEnd());
              return;
            }
            Output output = chunk.getOutput();
            bytes.addAndGet(output.getData().size());
            sink.accept(output);
            if (pacer >= 0) {
              demanded = false;
              credit -= output.getData().size();
              demandIfCredit();
            }
          });
          resp.exceptionHandler(done::tryFail);
          resp.endHandler(v -> {
            stopPacer();
            if (resp.status() != GrpcStatus.OK) {
              done.tryFail(new AssertionError("Log ended with " + resp.status() + ": " + resp.statusMessage()));
            } else if (!done.future().isComplete()) {
              done.tryFail(new AssertionError("Log ended without an end marker"));
            }
          });
        });
        request.end(LogRequest.newBuilder().setId(id).build());
        requestSent = true;
      });
    }

    /**
     * A token bucket: every tick adds a tick's worth of bytes (not more than one tick's worth is ever saved up)
     * and one message is fetched while there is credit. What is not fetched stays unread in the client, and
     * HTTP/2 flow control holds the rest back at the server.
     */
    private void startPacer() {
      long tickMillis = 20;
      long perTick = Math.max(1, bytesPerSecond * tickMillis / 1000);
      pacer = vertx.setPeriodic(tickMillis, t -> {
        credit = Math.min(credit + perTick, perTick);
        demandIfCredit();
      });
    }

    private void demandIfCredit() {
      if (credit > 0 && !demanded && !done.future().isComplete()) {
        demanded = true;
        response.fetch(1);
      }
    }

    private void stopPacer() {
      if (pacer >= 0) {
        vertx.cancelTimer(pacer);
        pacer = -1;
      }
    }
  }

  /** Follows the job's log, handing every output chunk, as it arrives, to {@code sink} (on the event loop). */
  Call follow(String id, Consumer<Output> sink) {
    Call call = new Call(0);
    call.start(id, sink);
    return call;
  }

  /** Follows the job's log at no more than {@code bytesPerSecond} of output, read through pause/fetch. */
  Call followPaced(String id, long bytesPerSecond, Consumer<Output> sink) {
    Call call = new Call(bytesPerSecond);
    call.start(id, sink);
    return call;
  }

  @Override
  public void close() {
    TestClient.await(client.close(), 30);
  }
}
