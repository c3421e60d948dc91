package rund.job;

/** A Start refused because the client already runs as many jobs as it may. */
public final class JobQuotaException extends Exception {
  public JobQuotaException(String message) {
    super(message);
  }
}
