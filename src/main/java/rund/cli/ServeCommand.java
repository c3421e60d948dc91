package rund.cli;

import com.github.rvesse.airline.annotations.Command;
import com.github.rvesse.airline.annotations.Option;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import rund.server.Daemon;
import rund.server.DaemonConfig;

/** {@code rund serve}: runs the JobController service until SIGINT or SIGTERM. */
@Command(name = "serve", description = "Serve the JobController gRPC service")
public final class ServeCommand implements RundMain.RundCommand {
  @Option(name = {"-addr", "--addr"}, title = "string", description = "gRPC endpoint address (default \":8000\")")
  String addr;

  @Option(name = {"-ca", "--ca"}, title = "string", description = "path to CA certificate (default \"tls/ca.pem\")")
  String ca;

  @Option(name = {"-cert", "--cert"}, title = "string", description = "path to TLS certificate (default \"tls/server.pem\")")
  String cert;

  @Option(name = {"-key", "--key"}, title = "string", description = "path to TLS key (default \"tls/server-key.pem\")")
  String key;

  @Option(name = {"-config", "--config"}, title = "file",
      description = "JSON configuration file; its settings override the embedded defaults, flags override it")
  String config;

  @Option(name = {"-data-dir", "--data-dir"}, title = "dir", description = "where job logs are kept (default /var/lib/rund)")
  String dataDir;

  @Option(name = {"-cgroup-root", "--cgroup-root"}, title = "auto|off|path",
      description = "where job cgroups are created (default auto: see the README)")
  String cgroupRoot;

  @Option(name = {"-stop-grace-ms", "--stop-grace-ms"}, title = "millis",
      description = "time between SIGTERM and the kill of the whole job on Stop (default 5000)")
  Long stopGraceMillis;

  @Option(name = {"-log-cap-bytes", "--log-cap-bytes"}, title = "bytes",
      description = "per-job log size cap; output beyond it is drained but not stored (default 1 GiB)")
  Long logCapBytes;

  @Override
  public int run(PrintStream out, PrintStream err) {
    DaemonConfig settings;
    try {
      settings = DaemonConfig.from(merged());
    } catch (DaemonConfig.ConfigException e) {
      err.println("rund: " + e.getMessage());
      return 2;
    }
    String home = System.getProperty("rund.home");
    if (home == null) {
      err.println("rund: the rund.home system property is not set; start rund through bin/rund");
      return 2;
    }
    Daemon daemon;
    try {
      daemon = Daemon.start(settings, Path.of(home));
    } catch (Daemon.StartupException e) {
      err.println("rund: " + e.getMessage());
      return 1;
    }
    err.println("rund: serving JobController on " + settings.addr() + " (port " + daemon.port()
        + ", TLS 1.3 with client certificates); Ctrl-C stops it and every job");
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      daemon.close();
      stopped.countDown();
    }, "rund-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  private JsonObject merged() throws DaemonConfig.ConfigException {
    JsonObject json = DaemonConfig.defaults();
    if (config != null) {
      json.mergeIn(DaemonConfig.readFile(Path.of(config)));
    }
    putIfSet(json, "addr", addr);
    putIfSet(json, "ca", ca);
    putIfSet(json, "cert", cert);
    putIfSet(json, "key", key);
    putIfSet(json, "dataDir", dataDir);
    putIfSet(json, "cgroupRoot", cgroupRoot);
    putIfSet(json, "stopGraceMillis", stopGraceMillis);
    putIfSet(json, "logCapBytes", logCapBytes);
    return json;
  }

  private static void putIfSet(JsonObject json, String key, Object value) {
    if (value != null) {
      json.put(key, value);
    }
  }
}
