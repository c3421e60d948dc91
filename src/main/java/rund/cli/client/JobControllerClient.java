package rund.cli.client;

import io.vertx.core.Future;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.streams.ReadStream;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import rund.api.JobStatus;
import rund.api.LogChunk;
import rund.api.LogRequest;
import rund.api.StartRequest;
import rund.api.StartResponse;
import rund.api.StatusRequest;
import rund.api.StopRequest;

/**
 * The client side of the JobController service over a Vert.x {@link GrpcClient}. Unary calls carry a deadline; a
 * call that ends with a status other than OK fails with {@link RpcStatusException}. Call from the client's context.
 */
final class JobControllerClient {

    static final ServiceName SERVICE = ServiceName.create("rund.v1.JobController");

    static final ServiceMethod<StartResponse, StartRequest> START = ServiceMethod.client(SERVICE, "Start",
            GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(StartResponse.getDefaultInstance()));
    static final ServiceMethod<JobStatus, StopRequest> STOP = ServiceMethod.client(SERVICE, "Stop",
            GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(JobStatus.getDefaultInstance()));
    static final ServiceMethod<JobStatus, StatusRequest> STATUS = ServiceMethod.client(SERVICE, "Status",
            GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(JobStatus.getDefaultInstance()));
    static final ServiceMethod<LogChunk, LogRequest> LOG = ServiceMethod.client(SERVICE, "Log",
            GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(LogChunk.getDefaultInstance()));

    /** Start and Status answer at once; the deadline only bounds a server that accepted the call and hangs. */
    static final Duration CALL_DEADLINE = Duration.ofSeconds(30);
    /** Stop waits for the job's whole process tree to end, grace period included. */
    static final Duration STOP_DEADLINE = Duration.ofSeconds(90);

    private final GrpcClient grpc;
    private final SocketAddress server;

    JobControllerClient(GrpcClient grpc, SocketAddress server) {
        this.grpc = grpc;
        this.server = server;
    }

    Future<StartResponse> start(StartRequest request) {
        return unary(START, request, CALL_DEADLINE);
    }

    Future<JobStatus> stop(String id) {
        return unary(STOP, StopRequest.newBuilder().setId(id).build(), STOP_DEADLINE);
    }

    Future<JobStatus> status(String id) {
        return unary(STATUS, StatusRequest.newBuilder().setId(id).build(), CALL_DEADLINE);
    }

    /**
     * Opens the Log stream. It has no deadline: it follows a running job for as long as the job runs. The returned
     * call's stream is paused: the reader asks for chunks with fetch.
     */
    Future<LogCall> log(String id) {
        return grpc.request(server, LOG).compose(request -> request
                .send(LogRequest.newBuilder().setId(id).build())
                .map(response -> {
                    response.pause();
                    return new LogCall(request, response);
                }));
    }

    private <Req, Resp> Future<Resp> unary(ServiceMethod<Resp, Req> method, Req message, Duration deadline) {
        return grpc.request(server, method).compose(request -> {
            request.timeout(deadline.toMillis(), TimeUnit.MILLISECONDS);
            return request.send(message).compose(response -> response.last().recover(
                    error -> Future.failedFuture(statusError(response, error))));
        });
    }

    /** The server's status when it sent one that is not OK, else the transport error as it is. */
    static Throwable statusError(GrpcClientResponse<?, ?> response, Throwable error) {
        GrpcStatus status = response.status();
        return status != null && status != GrpcStatus.OK
                ? new RpcStatusException(status, statusMessage(response))
                : error;
    }

    /**
     * The grpc-message of a response: Vert.x decodes it when it came in the headers (a trailers-only response), but
     * leaves it percent-encoded, or absent from statusMessage(), when it came in the trailers after messages.
     */
    private static String statusMessage(GrpcClientResponse<?, ?> response) {
        String message = response.statusMessage();
        if (message == null && response.trailers() != null) {
            String encoded = response.trailers().get("grpc-message");
            message = encoded == null ? null : percentDecode(encoded);
        }
        return message;
    }

    /** Decodes the percent-encoding of grpc-message (UTF-8 bytes as %XX; a malformed escape stays as it is). */
    static String percentDecode(String encoded) {
        if (encoded.indexOf('%') < 0) {
            return encoded;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            int hi = c == '%' && i + 2 < encoded.length() ? Character.digit(encoded.charAt(i + 1), 16) : -1;
            int lo = hi >= 0 ? Character.digit(encoded.charAt(i + 2), 16) : -1;
            if (lo >= 0) {
                bytes.write(hi * 16 + lo);
                i += 2;
            } else {
                bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** A Log call in progress. */
    record LogCall(GrpcClientRequest<LogRequest, LogChunk> request, GrpcClientResponse<LogRequest, LogChunk> response) {

        ReadStream<LogChunk> chunks() {
            return response;
        }

        /** Resets the stream (CANCEL): the server stops sending and releases what it held for this reader. */
        void cancel() {
            request.cancel();
        }
    }
}
