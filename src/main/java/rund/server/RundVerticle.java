package rund.server;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.time.Clock;
import java.util.List;
import rund.cgroup.BlockDevices;
import rund.cgroup.CgroupSupport;
import rund.job.JobLauncher;
import rund.job.JobPolicy;
import rund.job.JobTable;
import rund.job.OutputPump;

/**
 * The daemon's one stateful verticle: it owns the job table and serves the gRPC endpoint, so every request
 * and every job event is handled on its single event loop. Blocking work runs on Vert.x worker threads; job
 * output is collected by the output pump thread.
 */
final class RundVerticle extends VerticleBase {
  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(RundVerticle.class.getName());
  private final DaemonConfig config;
  private final HttpServerOptions serverOptions;
  private final CgroupSupport cgroups;
  private final BlockDevices devices;
  private final java.nio.file.Path jobsDirectory;
  private final java.nio.file.Path launchScript;
  private final JobLauncher.RunAs runAs;
  private OutputPump pump;
  private JobTable table;
  private HttpServer server;

  RundVerticle(DaemonConfig config, HttpServerOptions serverOptions, CgroupSupport cgroups, BlockDevices devices,
      java.nio.file.Path jobsDirectory, java.nio.file.Path launchScript, JobLauncher.RunAs runAs) {
    this.runAs = runAs;
    this.config = config;
    this.serverOptions = serverOptions;
    this.cgroups = cgroups;
    this.devices = devices;
    this.jobsDirectory = jobsDirectory;
    this.launchScript = launchScript;
  }

  @Override
  public Future<?> start() throws Exception {
    pump = new OutputPump();
    List<String> environment = List.of("PATH=" + config.jobPath(), "HOME=/", "LANG=C.UTF-8");
    JobLauncher launcher = new JobLauncher(launchScript, jobsDirectory, cgroups, devices, environment,
        config.jobWorkingDirectory(), config.jobPath(), config.logCapBytes(), runAs);
    JobPolicy policy = new JobPolicy(config.stopGrace(), config.stragglerTimeout(), config.maxRunningJobsPerClient(),
        config.retainFinishedJobs(), config.retainFinishedLogBytes());
    table = new JobTable(vertx, context, launcher, pump, policy, Clock.systemUTC());
    GrpcServer grpc = GrpcServer.server(vertx,
        new GrpcServerOptions().setMaxMessageSize(RequestRules.MAX_REQUEST_BYTES));
    new JobControllerService(vertx, table, cgroups, Runtime.getRuntime().availableProcessors(), devices).bind(grpc);
    server = vertx.createHttpServer(serverOptions).requestHandler(grpc)
        // In TLS 1.3 a refused client only sees its connection close: the reason is told here, to the operator.
        .exceptionHandler(new RefusalLog(LOG)::refused);
    return server.listen();
  }

  int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> stop() {
    Promise<Void> stopped = Promise.promise();
    server.close()
        .eventually(() -> table.shutdown()
            .timeout(config.stopGrace().toMillis() + 20_000, java.util.concurrent.TimeUnit.MILLISECONDS))
        .onComplete(done -> {
          pump.close();
          stopped.complete();
        });
    return stopped.future();
  }
}
