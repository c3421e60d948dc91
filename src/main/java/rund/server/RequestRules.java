package rund.server;

import com.github.f4b6a3.ulid.Ulid;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The bounds on what a request may carry, checked before anything is created. Argument strings become C
 * strings in argv, so they cannot hold NUL; their number and size are bounded well below the kernel's
 * ARG_MAX so that a request either starts or is refused with a reason, never fails half-way.
 */
final class RequestRules {
  static final int MAX_ARGS = 4096;
  static final int MAX_ARGV_BYTES = 1024 * 1024;
  /**
   * The kernel's MAX_ARG_STRLEN (32 pages of 4 KiB): execve refuses any single argv string longer than this,
   * its terminating NUL included, however small the whole argv is.
   */
  static final int MAX_ARG_BYTES = 128 * 1024;
  /**
   * The largest gRPC message the server reads; a larger one is refused by the transport with
   * RESOURCE_EXHAUSTED before it is decoded. It is above {@link #MAX_ARGV_BYTES} (plus the request's framing)
   * so that the argv bounds, with their specific messages, are the ones a Start request meets.
   */
  static final int MAX_REQUEST_BYTES = 2 * 1024 * 1024;
  static final int MAX_ID_ECHO = 40;

  private RequestRules() {}

  static void checkCommand(String command, List<String> args) {
    if (command.isEmpty()) {
      throw new ApiException(GrpcStatus.INVALID_ARGUMENT, "command is empty: give the program to run");
    }
    if (args.size() > MAX_ARGS) {
      throw new ApiException(GrpcStatus.INVALID_ARGUMENT,
          "too many arguments: " + args.size() + " (at most " + MAX_ARGS + ")");
    }
    checkNoNul("command", command);
    long bytes = checkLength("command", command);
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      checkNoNul("argument " + (i + 1), arg);
      bytes += checkLength("argument " + (i + 1), arg);
      if (bytes > MAX_ARGV_BYTES) {
        throw new ApiException(GrpcStatus.INVALID_ARGUMENT,
            "command and arguments exceed " + MAX_ARGV_BYTES + " bytes");
      }
    }
  }

  /** The string's size in argv (UTF-8 and its NUL), if it fits in one argv string. */
  private static long checkLength(String what, String value) {
    long size = value.getBytes(StandardCharsets.UTF_8).length + 1L;
    if (size > MAX_ARG_BYTES) {
      throw new ApiException(GrpcStatus.INVALID_ARGUMENT, what + " is " + (size - 1) + " bytes long; one argv"
          + " string may hold at most " + (MAX_ARG_BYTES - 1) + " bytes (the kernel's MAX_ARG_STRLEN)");
    }
    return size;
  }

  private static void checkNoNul(String what, String value) {
    if (value.indexOf('\0') >= 0) {
      throw new ApiException(GrpcStatus.INVALID_ARGUMENT, what + " contains a NUL byte, which argv cannot carry");
    }
  }

  /** Job ids are ULIDs; anything else is refused before any lookup. */
  static void checkId(String id) {
    if (!Ulid.isValid(id)) {
      throw new ApiException(GrpcStatus.INVALID_ARGUMENT,
          "malformed job id " + printable(id) + ": expected a 26-character ULID as printed by runc start");
    }
  }

  /** Quotes client-supplied text for a message: bounded length, control characters escaped. */
  static String printable(String text) {
    StringBuilder out = new StringBuilder("\"");
    text.codePoints().limit(MAX_ID_ECHO).forEach(c -> {
      if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
        out.append(String.format("\\u%04x", c));
      } else {
        out.appendCodePoint(c);
      }
    });
    if (text.codePointCount(0, text.length()) > MAX_ID_ECHO) {
      out.append("...");
    }
    return out.append('"').toString();
  }
}
