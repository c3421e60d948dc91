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
      throw new ConfigException("cannot read configuration " + file + ": " + e.getMessage());
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
          json.getString("cgroupRoot"),
          Duration.ofMillis(positive(json, "stopGraceMillis")),
          Duration.ofMillis(positive(json, "stragglerTimeoutMillis")),
          positive(json, "logCapBytes"),
          json.getString("jobPath"),
          path(json, "jobWorkingDirectory"),
          Math.toIntExact(positive(json, "maxRunningJobsPerClient")),
          Math.toIntExact(positive(json, "retainFinishedJobs")),
          positive(json, "retainFinishedLogBytes"),
          account(json, "jobUser"),
          account(json, "jobGroup"));
      ListenAddress.parse(config.addr());
      return config;
    } catch (ClassCastException | ArithmeticException e) {
      throw new ConfigException("configuration value of the wrong type: " + e.getMessage());
    }
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
    Long value = json.getLong(key);
    if (value == null || value <= 0) {
      throw new ConfigException("configuration: \"" + key + "\" must be a positive number");
    }
    return value;
  }

  /** A configuration a user must fix; the message says what. */
  public static final class ConfigException extends Exception {
    public ConfigException(String message) {
      super(message);
    }
  }
}
