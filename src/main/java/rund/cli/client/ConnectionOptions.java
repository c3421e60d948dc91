package rund.cli.client;

import com.github.rvesse.airline.annotations.Option;
import java.nio.file.Path;

/** The flags every subcommand takes: where the server is and the mutual-TLS files. Relative paths resolve against the current directory. */
public final class ConnectionOptions {

    static final String DEFAULT_ADDR = "localhost:8000";
    static final String DEFAULT_CA = "tls/ca.pem";
    static final String DEFAULT_CERT = "tls/client.pem";
    static final String DEFAULT_KEY = "tls/client-key.pem";

    @Option(name = {"-addr", "--addr"}, title = "addr",
            description = "gRPC endpoint address: host:port, :port (host localhost) or [ipv6]:port (default \""
                    + DEFAULT_ADDR + "\")")
    String addr = DEFAULT_ADDR;

    @Option(name = {"-ca", "--ca"}, title = "path",
            description = "path to CA certificate (default \"" + DEFAULT_CA + "\")")
    String ca = DEFAULT_CA;

    @Option(name = {"-cert", "--cert"}, title = "path",
            description = "path to TLS certificate (default \"" + DEFAULT_CERT + "\")")
    String cert = DEFAULT_CERT;

    @Option(name = {"-key", "--key"}, title = "path",
            description = "path to TLS key (default \"" + DEFAULT_KEY + "\")")
    String key = DEFAULT_KEY;

    String addr() {
        return addr;
    }

    Path ca() {
        return Path.of(ca);
    }

    Path cert() {
        return Path.of(cert);
    }

    Path key() {
        return Path.of(key);
    }
}
