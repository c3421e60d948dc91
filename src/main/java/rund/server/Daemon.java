package rund.server;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import rund.cgroup.BlockDevices;
import rund.cgroup.CgroupSupport;
import rund.cgroup.JobCgroup;
import rund.job.InstanceDirectory;
import rund.job.JobLauncher;
import rund.tls.KeyFiles;
import rund.tls.TlsConfigException;
import rund.tls.TlsOptions;

/** Brings a daemon up (checks, detection, clean-up after predecessors, the verticle) and takes it down. */
public final class Daemon implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Daemon.class.getName());
  /**
   * Progress notices still in flight to a follower that has just closed are dropped, as they should be; Vert.x
   * would log a warning for each, for every finished job. Held here because JUL keeps loggers weakly.
   */
  private static final Logger DISCARD_NOTICES = Logger.getLogger("io.vertx.core.eventbus.impl.MessageConsumerImpl");

  private final Vertx vertx;
  private final InstanceDirectory instance;
  private final RundVerticle verticle;
  private final CgroupSupport cgroups;
  private boolean closed;

  private Daemon(Vertx vertx, InstanceDirectory instance, RundVerticle verticle, CgroupSupport cgroups) {
    this.vertx = vertx;
    this.instance = instance;
    this.verticle = verticle;
    this.cgroups = cgroups;
  }

  /**
   * Starts serving. {@code home} is the installation directory holding bin/rund, whose {@code execute}
   * subcommand is the per-job launch step. Blocks until the endpoint listens.
   */
  public static Daemon start(DaemonConfig config, Path home) throws StartupException {
    DISCARD_NOTICES.setLevel(java.util.logging.Level.SEVERE);
    Path launchScript = home.resolve("bin/rund");
    if (!Files.isRegularFile(launchScript)) {
      throw new StartupException("the launch step " + launchScript + " is missing (is rund.home right?)");
    }
    JobLauncher.RunAs runAs = JobAccount.resolve(config.jobUser(), config.jobGroup());
    if (!Files.isDirectory(config.jobWorkingDirectory())) {
      throw new StartupException("jobWorkingDirectory " + config.jobWorkingDirectory() + " is not a directory");
    }
    ListenAddress listen;
    HttpServerOptions options;
    try {
      listen = ListenAddress.parse(config.addr());
      KeyFiles.requirePrivate(config.key());
      options = TlsOptions.server(config.ca(), config.cert(), config.key());
    } catch (DaemonConfig.ConfigException | TlsConfigException e) {
      throw new StartupException(e.getMessage());
    }
    if (KeyFiles.isExamplePki(config.cert()) || KeyFiles.isExamplePki(config.ca())) {
      LOG.warning("using the EXAMPLE certificates from the repository's tls/ directory: anyone with a copy of the"
          + " repository holds their keys. Generate your own PKI (tls/gen-certs.sh DIR) before exposing rund.");
    }
    options.setHost(listen.anyHost() ? "::" : listen.host()).setPort(listen.port());

    CgroupSupport cgroups = CgroupSupport.detect(config.cgroupRoot(), Path.of("/proc"), ProcessHandle.current().pid());
    switch (cgroups) {
      case CgroupSupport.Enabled enabled -> LOG.info("cgroup v2 limits available: " + enabled.describe()
          + "; jobs go under " + enabled.jobParent());
      case CgroupSupport.Degraded degraded -> LOG.warning("cgroup v2 limits unavailable, running in degraded mode: "
          + degraded.reason() + ". Jobs run without a cgroup; Start requests asking for a limit are refused with "
          + "FAILED_PRECONDITION, and Stop kills the job's process group.");
    }

    InstanceDirectory instance;
    try {
      instance = InstanceDirectory.claim(config.dataDir());
      if (cgroups instanceof CgroupSupport.Enabled enabled) {
        int stale = JobCgroup.removeStale(enabled, Duration.ofSeconds(10));
        if (stale > 0) {
          LOG.info("removed " + stale + " job cgroups left by a previous instance");
        }
      }
    } catch (IOException e) {
      throw new StartupException("cannot prepare the data directory " + config.dataDir() + ": " + describe(e));
    }

    BlockDevices devices = BlockDevices.scan(Path.of("/sys/block"));
    if (cgroups instanceof CgroupSupport.Enabled) {
      LOG.info("io limits apply to: " + devices.describe());
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    RundVerticle verticle = new RundVerticle(config, options, cgroups, devices,
        instance.jobs(), launchScript, runAs);
    try {
      vertx.deployVerticle(verticle).await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      vertx.close();
      try {
        instance.close();
      } catch (IOException ignored) {
        // nothing more to report than the start failure itself
      }
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new StartupException("cannot serve on " + config.addr() + ": " + cause.getMessage());
    }
    return new Daemon(vertx, instance, verticle, cgroups);
  }

  /** An I/O error in words: the JDK's file-system exceptions carry only the path in their message. */
  static String describe(IOException e) {
    if (e instanceof java.nio.file.FileSystemException fs) {
      String reason = fs.getReason();
      return reason != null ? reason : e.getClass().getSimpleName().replace("Exception", "").replaceAll("(?<=.)(?=[A-Z])", " ").toLowerCase();
    }
    return e.getMessage();
  }

  public int port() {
    return verticle.actualPort();
  }

  public CgroupSupport cgroups() {
    return cgroups;
  }

  /** Stops serving, kills every job, removes this instance's data. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      vertx.close().await(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warning("shutdown: " + e.getMessage());
    }
    try {
      instance.close();
    } catch (IOException e) {
      LOG.warning("shutdown: cannot remove the instance directory: " + e.getMessage());
    }
  }

  /** A reason the daemon cannot start, worded for the operator. */
  public static final class StartupException extends Exception {
    public StartupException(String message) {
      super(message);
    }
  }
}
