package rund.testing;

import rund.server.Daemon;
import rund.server.DaemonConfig;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A real daemon in this JVM on an ephemeral loopback port, with the repository's example PKI, a private
 * data directory, and (outside the real-kernel harness) cgroups switched off: on the development host the
 * cgroup hierarchies belong to the machine and are never touched.
 */
public final class DaemonFixture implements AutoCloseable {
  public static final Path HOME = Path.of(System.getProperty("rund.home", ".")).toAbsolutePath();
  public static final Path TLS = HOME.resolve("tls");
  public static final boolean REAL_KERNEL = "1".equals(System.getenv("RUND_REAL_KERNEL"));

  public final Daemon daemon;
  public final Path dataDir;

  private DaemonFixture(Daemon daemon, Path dataDir) {
    this.daemon = daemon;
    this.dataDir = dataDir;
  }

  public static DaemonFixture start(Path dataDir) throws Exception {
    return start(dataDir, new JsonObject());
  }

  public static DaemonFixture start(Path dataDir, JsonObject overrides) throws Exception {
    Files.setPosixFilePermissions(TLS.resolve("server-key.pem"), PosixFilePermissions.fromString("rw-------"));
    Files.setPosixFilePermissions(TLS.resolve("client-key.pem"), PosixFilePermissions.fromString("rw-------"));
    JsonObject json = DaemonConfig.defaults()
        .put("addr", "127.0.0.1:0")
        .put("ca", TLS.resolve("ca.pem").toString())
        .put("cert", TLS.resolve("server.pem").toString())
        .put("key", TLS.resolve("server-key.pem").toString())
        .put("dataDir", dataDir.toString())
        .put("cgroupRoot", REAL_KERNEL ? "auto" : "off")
        .put("stopGraceMillis", 2000)
        .mergeIn(overrides);
    return new DaemonFixture(Daemon.start(DaemonConfig.from(json), HOME), dataDir);
  }

  public int port() {
    return daemon.port();
  }

  @Override
  public void close() {
    daemon.close();
  }
}
