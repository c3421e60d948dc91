package rund.cli.client;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One runc invocation's connection to the server: a small Vert.x instance (one event loop, one worker), the gRPC
 * client and the context every call runs on. The calling thread blocks in {@link #await}; SIGINT abandons the call.
 */
final class ClientSession implements AutoCloseable {

    /** A dead or filtered address fails within this time instead of the kernel's minutes. */
    static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    /** Longer than the connect timeout: a daemon that has just started and a loaded host both handshake slowly. */
    static final long HANDSHAKE_TIMEOUT_MILLIS = 10_000;
    private static final long CLOSE_TIMEOUT_MILLIS = 2_000;

    private final Vertx vertx;
    private final Context context;
    private final GrpcClient grpc;
    private final JobControllerClient client;
    private final Endpoint endpoint;
    private final ConnectionOptions connection;
    private final Cancellation cancellation;

    private ClientSession(Vertx vertx, GrpcClient grpc, Endpoint endpoint, ConnectionOptions connection,
            Cancellation cancellation) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.grpc = grpc;
        this.client = new JobControllerClient(grpc, SocketAddress.inetSocketAddress(endpoint.port(), endpoint.host()));
        this.endpoint = endpoint;
        this.connection = connection;
        this.cancellation = cancellation;
    }

    /** Reads the TLS files first, so that a missing file fails before any thread starts. */
    static ClientSession open(ConnectionOptions connection, Endpoint endpoint, ClientTransport transport,
            Cancellation cancellation) {
        HttpClientOptions http = transport.options(connection)
                .setConnectTimeout(CONNECT_TIMEOUT_MILLIS)
                .setSslHandshakeTimeout(HANDSHAKE_TIMEOUT_MILLIS)
                .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
        Vertx vertx = Vertx.vertx(new VertxOptions()
                .setEventLoopPoolSize(1)
                .setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1)
                .setUseDaemonThread(true)
                .setFileSystemOptions(new FileSystemOptions()
                        .setFileCachingEnabled(false)
                        .setClassPathResolvingEnabled(false)));
        GrpcClient grpc = GrpcClient.client(vertx, new GrpcClientOptions().setScheduleDeadlineAutomatically(true), http);
        return new ClientSession(vertx, grpc, endpoint, connection, cancellation);
    }

    Context context() {
        return context;
    }

    /** Runs {@code call} on the session's context and waits for it; failures become a {@link CliException}. */
    <T> T await(Function<JobControllerClient, Future<T>> call) {
        return await(call, () -> {});
    }

    /**
     * Like {@link #await(Function)}; on SIGINT, runs {@code onCancel} on the context (to reset a stream) and then
     * fails with exit code 130 without waiting for the call.
     */
    <T> T await(Function<JobControllerClient, Future<T>> call, Runnable onCancel) {
        CompletableFuture<T> result = new CompletableFuture<>();
        context.runOnContext(v -> {
            Future<T> future;
            try {
                future = call.apply(client);
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
                return;
            }
            future.onComplete(result::complete, result::completeExceptionally);
        });
        Cancellation.Registration registration = cancellation.onCancel(() -> context.runOnContext(v -> {
            try {
                onCancel.run();
            } finally {
                result.completeExceptionally(new CliException(ExitCodes.INTERRUPTED, null));
            }
        }));
        try {
            return result.join();
        } catch (CompletionException e) {
            throw Failures.describe(e.getCause(), endpoint, connection);
        } finally {
            registration.close();
        }
    }

    /** Closes the connection (GOAWAY) and the Vert.x instance, waiting a bounded time. */
    @Override
    public void close() {
        try {
            grpc.close().eventually(vertx::close)
                    .toCompletionStage().toCompletableFuture()
                    .get(CLOSE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // Nothing is left to tell the user: the call's outcome is decided and the threads are daemons.
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
