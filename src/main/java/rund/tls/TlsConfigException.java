package rund.tls;

import java.io.Serial;

/**
 * A TLS file that rund cannot use, with a message that names the file and, where there is one, the
 * fix, so the command-line tools can print it as it is. For example:
 * {@code tls/server-key.pem is readable by group or others (mode 0644): run chmod 600 tls/server-key.pem}.
 */
public final class TlsConfigException extends Exception {

    @Serial private static final long serialVersionUID = 1L;

    public TlsConfigException(String message) {
        super(message);
    }

    public TlsConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
