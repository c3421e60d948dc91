package rund.cli.client;

/**
 * The server address given with -addr: "host:port", ":port" (host localhost) or "[ipv6]:port".
 *
 * @param host a host name or an IP literal, without brackets
 * @param port 1..65535
 */
record Endpoint(String host, int port) {

    static final String DEFAULT_HOST = "localhost";

    /** Parses -addr; a malformed address is a usage error of {@code subcommand}. */
    static Endpoint parse(String addr, String subcommand) {
        String host;
        String port;
        if (addr.startsWith("[")) {
            int close = addr.indexOf("]:");
            if (close < 0) {
                throw invalid(addr, subcommand);
            }
            host = addr.substring(1, close);
            port = addr.substring(close + 2);
            if (host.isEmpty() || host.indexOf(']') >= 0) {
                throw invalid(addr, subcommand);
            }
        } else {
            int colon = addr.lastIndexOf(':');
            if (colon < 0) {
                throw invalid(addr, subcommand);
            }
            host = addr.substring(0, colon);
            port = addr.substring(colon + 1);
            if (host.indexOf(':') >= 0 || host.indexOf('[') >= 0 || host.indexOf(']') >= 0) {
                throw invalid(addr, subcommand);
            }
            if (host.isEmpty()) {
                host = DEFAULT_HOST;
            }
        }
        return new Endpoint(host, parsePort(port, addr, subcommand));
    }

    private static int parsePort(String port, String addr, String subcommand) {
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw invalid(addr, subcommand);
        }
        int value = Integer.parseInt(port);
        if (value < 1 || value > 65535) {
            throw CliException.usage("invalid -addr \"" + addr + "\": port must be 1..65535", subcommand);
        }
        return value;
    }

    private static CliException invalid(String addr, String subcommand) {
        return CliException.usage(
                "invalid -addr \"" + addr + "\": expected host:port, :port or [ipv6]:port", subcommand);
    }

    /** The address as the user would write it, for messages. */
    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
