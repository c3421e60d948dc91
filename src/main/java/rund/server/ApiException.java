package rund.server;

import io.vertx.grpc.common.GrpcStatus;

/** An answer other than OK, with the status and message the client sees. */
final class ApiException extends RuntimeException {
  private final GrpcStatus status;

  ApiException(GrpcStatus status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  GrpcStatus status() {
    return status;
  }
}
