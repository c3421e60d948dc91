package rund.cgroup;

import java.util.Objects;

/**
 * A limit the caller gave that cannot be applied. The message names the API flag or the controller and says what to
 * do about it, so the server can pass it to the client unchanged.
 */
public final class LimitException extends Exception {
    private static final long serialVersionUID = 1L;

    public enum Kind {
        /** The value itself is unacceptable on any host (0, below a kernel minimum, beyond the host's capacity). */
        INVALID,
        /** The value is fine but this host cannot enforce it (controller missing, no disk for io.max). */
        UNAVAILABLE
    }

    private final Kind kind;

    public LimitException(Kind kind, String message) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }
}
