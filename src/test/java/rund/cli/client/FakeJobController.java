package rund.cli.client;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import rund.api.JobStatus;
import rund.api.LogChunk;
import rund.api.LogRequest;
import rund.api.StartRequest;
import rund.api.StartResponse;
import rund.api.StatusRequest;
import rund.api.StopRequest;
import rund.tls.TlsOptions;

/**
 * A JobController server for runc's tests, on loopback with the example certificates: each method answers with the
 * handler the test sets; unset methods answer UNIMPLEMENTED.
 */
final class FakeJobController implements AutoCloseable {

    static final long TIMEOUT_SECONDS = 30;

    private static final ServiceMethod<StartRequest, StartResponse> START = ServiceMethod.server(
            JobControllerClient.SERVICE, "Start", GrpcMessageEncoder.encoder(),
            GrpcMessageDecoder.decoder(StartRequest.getDefaultInstance()));
    private static final ServiceMethod<StopRequest, JobStatus> STOP = ServiceMethod.server(
            JobControllerClient.SERVICE, "Stop", GrpcMessageEncoder.encoder(),
            GrpcMessageDecoder.decoder(StopRequest.getDefaultInstance()));
    private static final ServiceMethod<StatusRequest, JobStatus> STATUS = ServiceMethod.server(
            JobControllerClient.SERVICE, "Status", GrpcMessageEncoder.encoder(),
            GrpcMessageDecoder.decoder(StatusRequest.getDefaultInstance()));
    private static final ServiceMethod<LogRequest, LogChunk> LOG = ServiceMethod.server(
            JobControllerClient.SERVICE, "Log", GrpcMessageEncoder.encoder(),
            GrpcMessageDecoder.decoder(LogRequest.getDefaultInstance()));

    final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    volatile Handler<GrpcServerRequest<StartRequest, StartResponse>> start = FakeJobController::unimplemented;
    volatile Handler<GrpcServerRequest<StopRequest, JobStatus>> stop = FakeJobController::unimplemented;
    volatile Handler<GrpcServerRequest<StatusRequest, JobStatus>> status = FakeJobController::unimplemented;
    volatile Handler<GrpcServerRequest<LogRequest, LogChunk>> log = FakeJobController::unimplemented;

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    private final Path tls;

    /** Serves on 0.0.0.0 (any loopback address reaches it) with the example PKI copied to {@code tls}. */
    FakeJobController(Path tls) throws Exception {
        this(tls, "ca.pem");
    }

    /** Like {@link #FakeJobController(Path)}, trusting the client certificates issued by {@code clientCa} only. */
    FakeJobController(Path tls, String clientCa) throws Exception {
        this.tls = examplePki(tls);
        GrpcServer grpc = GrpcServer.server(vertx)
                .callHandler(START, request -> start.handle(request))
                .callHandler(STOP, request -> stop.handle(request))
                .callHandler(STATUS, request -> status.handle(request))
                .callHandler(LOG, request -> log.handle(request));
        HttpServerOptions options = TlsOptions.server(
                this.tls.resolve(clientCa), this.tls.resolve("server.pem"), this.tls.resolve("server-key.pem"));
        server = vertx.createHttpServer(options).requestHandler(grpc).listen(0, "0.0.0.0")
                .toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    int port() {
        return server.actualPort();
    }

    /** The runc flags that reach this server from the client side of the example PKI, at {@code host}. */
    List<String> flags(String host) {
        return List.of("-addr", host + ":" + port(), "-ca", tls.resolve("ca.pem").toString(),
                "-cert", tls.resolve("client.pem").toString(), "-key", tls.resolve("client-key.pem").toString());
    }

    Path tlsFile(String name) {
        return tls.resolve(name);
    }

    /** Answers a unary call with {@code answer(message)}, after adding the message to {@link #received}. */
    <Req, Resp> Handler<GrpcServerRequest<Req, Resp>> answer(Function<Req, Resp> answer) {
        return request -> request.handler(message -> {
            received.add(message);
            request.response().end(answer.apply(message));
        });
    }

    /** Ends a call with {@code status} and {@code message}, after adding the request message to {@link #received}. */
    <Req, Resp> Handler<GrpcServerRequest<Req, Resp>> fail(GrpcStatus status, String message) {
        return request -> request.handler(m -> {
            received.add(m);
            request.response().status(status).statusMessage(message).end();
        });
    }

    private static <Req, Resp> void unimplemented(GrpcServerRequest<Req, Resp> request) {
        request.response().status(GrpcStatus.UNIMPLEMENTED).end();
    }

    /**
     * Copies the checked-in example PKI with the keys at mode 600 (git does not keep file modes, and
     * TlsOptions refuses a key others may read).
     */
    private static Path examplePki(Path dir) throws IOException {
        Path repo = Path.of(System.getProperty("rund.home", "."));
        Files.createDirectories(dir);
        for (String name : List.of("ca", "server", "client")) {
            Files.copy(repo.resolve("tls/" + name + ".pem"), dir.resolve(name + ".pem"),
                    StandardCopyOption.REPLACE_EXISTING);
            Path key = dir.resolve(name + "-key.pem");
            Files.copy(repo.resolve("tls/" + name + "-key.pem"), key, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        }
        return dir;
    }

    @Override
    public void close() throws ExecutionException, TimeoutException {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while closing the fake server", e);
        }
    }
}
