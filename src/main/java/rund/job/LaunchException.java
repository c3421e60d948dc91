package rund.job;

/** A Start request whose command cannot be executed; the kind decides the gRPC status. */
public final class LaunchException extends Exception {
  public enum Kind { INVALID, NOT_FOUND, PERMISSION_DENIED }

  private final Kind kind;

  public LaunchException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
