package rund.server;

import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.ArrayList;
import java.util.List;

/**
 * Why a connection ended before it could carry a request, in words for the operator's log. The client is told
 * nothing more than a TLS alert (with TLS 1.3 a refused client certificate often reaches it as a closed
 * connection), so the daemon's log is where the reason can be found.
 */
final class ConnectionRefusal {
  private ConnectionRefusal() {}

  static String describe(Throwable error) {
    List<Throwable> chain = new ArrayList<>();
    for (Throwable t = error; t != null && !chain.contains(t); t = t.getCause()) {
      chain.add(t);
    }
    String detail = String.valueOf(error.getMessage());
    for (Throwable t : chain) {
      if (t instanceof CertificateExpiredException) {
        return "the client certificate has expired (" + t.getMessage() + "): " + detail;
      }
      if (t instanceof CertificateNotYetValidException) {
        return "the client certificate is not valid yet (" + t.getMessage() + "): " + detail;
      }
    }
    if (detail.contains("Empty client certificate chain")) {
      return "the client sent no certificate issued by the configured CA: " + detail;
    }
    if (detail.contains("Extended key usage")) {
      return "the client certificate's extended key usage lacks clientAuth: " + detail;
    }
    if (detail.contains("PKIX path")) {
      return "the client certificate does not chain to the configured CA: " + detail;
    }
    if (detail.contains("Received fatal alert")) {
      return "the client ended the handshake, usually because it does not accept this server's certificate: "
          + detail;
    }
    return error.getClass().getSimpleName() + ": " + detail;
  }
}
