package rund.server;

/**
 * A listen address in the seed's Go style: "host:port", ":port" (every interface) or "[v6]:port".
 */
public record ListenAddress(String host, int port) {
  public static ListenAddress parse(String addr) throws DaemonConfig.ConfigException {
    if (addr == null) {
      throw new DaemonConfig.ConfigException("addr is missing");
    }
    int colon = addr.lastIndexOf(':');
    if (colon < 0) {
      throw new DaemonConfig.ConfigException("addr \"" + addr + "\" needs a port, like :8000 or 127.0.0.1:8000");
    }
    String host = addr.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(addr.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 0 || port > 65535) {
      throw new DaemonConfig.ConfigException("addr \"" + addr + "\": the port must be a number from 0 to 65535");
    }
    return new ListenAddress(host, port);
  }

  /** True for ":port", which listens on every interface, IPv6 and IPv4. */
  public boolean anyHost() {
    return host.isEmpty();
  }
}
