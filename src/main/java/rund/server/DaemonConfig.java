package rund.server;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * Every setting of {@code rund serve}. Built from the defaults embedded in the jar, then an optional JSON
 * file, then command-line flags, each overriding the one before. Relative paths are resolved against the
 * current directory, as the seed specifies for the TLS files.
 */
public record DaemonConfig(
    String addr,
    Path ca,
    Path cert,
    Path key,
    Path dataDir,
    String cgroupRoot,
    Duration stopGrace,
    Duration stragglerTimeout,
    long logCapBytes,
    String jobPath,
    Path jobWorkingDirectory,
    int maxRunningJobsPerClient,
    int retainFinishedJobs,
    long retainFinishedLogBytes,
    String jobUser,
    String jobGroup) {

  static final Set<String> KEYS = Set.of("addr", "ca", "cert", "key", "dataDir", "cgroupRoot", "stopGraceMillis",
      "stragglerTimeoutMillis", "logCapBytes", "jobPath", "jobWorkingDirectory", "maxRunningJobsPerClient",
      "retainFinishedJobs", "retainFinishedLogBytes", "jobUser", "jobGroup");

  public static JsonObject defaults() {
    try (InputStream in = DaemonConfig.class.getResourceAsStream("/rund/defaults.json")) {
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("the embedded default configuration is missing from the build", e);
    }
  }

  /** Reads a configuration file; unknown keys are errors so that a misspelt setting is never ignored. */
  public static JsonObject readFile(Path file) throws ConfigException {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException("cannot read configuration " + file + ": "
          + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.toString()));
    }
    JsonObject json;
    try {
      json = new JsonObject(text);
    } catch (RuntimeException e) {
      throw new ConfigException("configuration " + file + " is not a JSON object: " + e.getMessage());
    }
    for (String key : json.fieldNames()) {
      if (!KEYS.contains(key)) {
        throw new ConfigException("configuration " + file + ": unknown setting \"" + key + "\" (known: "
            + String.join(", ", KEYS.stream().sorted().toList()) + ")");
      }
    }
    return json;
  }

  public static DaemonConfig from(JsonObject json) throws ConfigException {
    try {
      DaemonConfig config = new DaemonConfig(
          json.getString("addr"),
          path(json, "ca"),
          path(json, "cert"),
          path(json, "key"),
          path(json, "dataDir"),
          cgroupRoot(json),
          Duration.ofMillis(bounded(json, "stopGraceMillis", MAX_WAIT_MILLIS)),
          Duration.ofMillis(bounded(json, "stragglerTimeoutMillis", MAX_WAIT_MILLIS)),
          positive(json, "logCapBytes"),
          nonEmpty(json, "jobPath"),
          path(json, "jobWorkingDirectory"),
          (int) bounded(json, "maxRunningJobsPerClient", Integer.MAX_VALUE),
          (int) bounded(json, "retainFinishedJobs", Integer.MAX_VALUE),
          positive(json, "retainFinishedLogBytes"),
          account(json, "jobUser"),
          account(json, "jobGroup"));
      ListenAddress.parse(config.addr());
      return config;
    } catch (ClassCastException e) {
      throw new ConfigException("configuration: a value has the wrong type (text where a number is expected, or the"
          + " reverse): " + e.getMessage());
    }
  }

  /** Waits longer than this would outlast runc's Stop deadline (90 s): refused rather than half-honoured. */
  static final long MAX_WAIT_MILLIS = 60_000;

  private static String cgroupRoot(JsonObject json) throws ConfigException {
    String value = nonEmpty(json, "cgroupRoot");
    if (!value.equals("auto") && !value.equals("off") && !value.startsWith("/")) {
      throw new ConfigException("configuration: \"cgroupRoot\" must be auto, off or an absolute path, not \"" + value + "\"");
    }
    return value;
  }

  private static String nonEmpty(JsonObject json, String key) throws ConfigException {
    Object value = json.getValue(key);
    if (!(value instanceof String text) || text.isEmpty()) {
      throw new ConfigException("configuration: \"" + key + "\" must be a non-empty string");
    }
    return text;
  }

  private static long bounded(JsonObject json, String key, long max) throws ConfigException {
    long value = positive(json, key);
    if (value > max) {
      throw new ConfigException("configuration: \"" + key + "\" must be at most " + max + ", not " + value);
    }
    return value;
  }

  private static Path path(JsonObject json, String key) throws ConfigException {
    String value = json.getString(key);
    if (value == null || value.isEmpty()) {
      throw new ConfigException("configuration: \"" + key + "\" must be a non-empty path");
    }
    return Path.of(value).toAbsolutePath().normalize();
  }

  /**
   * A user or group name (or number) to run jobs as; null when absent or JSON null, which means the daemon's
   * own. Whether it exists is checked when the daemon starts.
   */
  private static String account(JsonObject json, String key) throws ConfigException {
    String value = json.getString(key);
    if (value != null && !value.matches("[A-Za-z0-9_][A-Za-z0-9_.-]*\\$?")) {
      throw new ConfigException("configuration: \"" + key + "\" must be a user or group name or number, or null"
          + " for the daemon's own (got \"" + value + "\")");
    }
    return value;
  }

  private static long positive(JsonObject json, String key) throws ConfigException {
    Object value = json.getValue(key);
    // Whole numbers only: 1.5 or 1e30 would otherwise be silently truncated or overflow.
    if (!(value instanceof Integer || value instanceof Long) || ((Number) value).longValue() <= 0) {
      throw new ConfigException("configuration: \"" + key + "\" must be a positive whole number, not " + value);
    }
    return ((Number) value).longValue();
  }

  /** A configuration a user must fix; the message says what. */
  public static final class ConfigException extends Exception {
    public ConfigException(String message) {
      super(message);
    }
  }
}
