package rund.cli.client;

import io.vertx.grpc.common.GrpcStatus;

/** The server ended a call with a status other than OK. */
final class RpcStatusException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient GrpcStatus status;
    private final String serverMessage;

    RpcStatusException(GrpcStatus status, String serverMessage) {
        super(serverMessage == null || serverMessage.isEmpty() ? status.name() : status.name() + ": " + serverMessage,
                null, false, false);
        this.status = status;
        this.serverMessage = serverMessage == null ? "" : serverMessage;
    }

    GrpcStatus status() {
        return status;
    }

    /** The grpc-message the server sent, "" when none. */
    String serverMessage() {
        return serverMessage;
    }
}
