package rund.server;

import com.github.f4b6a3.ulid.Ulid;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import rund.api.JobStatus;
import rund.api.LogChunk;
import rund.api.LogRequest;
import rund.api.StartRequest;
import rund.api.StartResponse;
import rund.api.StatusRequest;
import rund.api.StopRequest;
import rund.cgroup.BlockDevices;
import rund.cgroup.CgroupSupport;
import rund.cgroup.JobLimits;
import rund.cgroup.LimitException;
import rund.cgroup.LimitValidator;
import rund.job.Job;
import rund.job.JobQuotaException;
import rund.job.JobTable;
import rund.job.LaunchException;
import rund.log.LogFollower;
import rund.tls.PeerIdentity;

/**
 * The JobController gRPC service: authenticates each call by its verified client certificate, authorises
 * it by SAN overlap with the job's owner, and translates between the API and the job table. Runs on the job
 * table's event loop.
 */
public final class JobControllerService {
  private static final Logger LOG = Logger.getLogger(JobControllerService.class.getName());
  static final ServiceName SERVICE = ServiceName.create("rund.v1.JobController");

  private final Vertx vertx;
  private final JobTable jobs;
  private final CgroupSupport cgroups;
  private final int onlineCpus;
  private final BlockDevices devices;

  public JobControllerService(Vertx vertx, JobTable jobs, CgroupSupport cgroups, int onlineCpus, BlockDevices devices) {
    this.devices = devices;
    this.vertx = vertx;
    this.jobs = jobs;
    this.cgroups = cgroups;
    this.onlineCpus = onlineCpus;
  }

  public void bind(GrpcServer server) {
    server.callHandler(method("Start", StartRequest.getDefaultInstance()), this::start);
    server.callHandler(method("Stop", StopRequest.getDefaultInstance()), this::stop);
    server.callHandler(method("Status", StatusRequest.getDefaultInstance()), this::status);
    server.callHandler(method("Log", LogRequest.getDefaultInstance()), this::log);
  }

  private static <Req extends com.google.protobuf.Message, Resp extends com.google.protobuf.MessageLite>
      ServiceMethod<Req, Resp> method(String name, Req prototype) {
    return ServiceMethod.server(SERVICE, name, GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(prototype));
  }

  private void start(GrpcServerRequest<StartRequest, StartResponse> call) {
    call.handler(request -> answer(call.response(), () -> {
      PeerIdentity owner = identity(call);
      if (owner.sans().isEmpty()) {
        throw new ApiException(GrpcStatus.PERMISSION_DENIED,
            "the client certificate has no subject alternative name, and jobs are owned by SANs");
      }
      RequestRules.checkCommand(request.getCommand(), request.getArgsList());
      JobLimits limits = LimitsMapper.fromApi(request.getLimits());
      LimitValidator.validate(limits, cgroups, onlineCpus, devices);
      return jobs.start(owner, request.getCommand(), request.getArgsList(), limits)
          .map(job -> StartResponse.newBuilder().setId(job.id()).build());
    }));
  }

  private void stop(GrpcServerRequest<StopRequest, JobStatus> call) {
    call.handler(request -> answer(call.response(),
        () -> jobs.stop(visibleJob(call, request.getId())).map(StatusMapper::toStatus)));
  }

  private void status(GrpcServerRequest<StatusRequest, JobStatus> call) {
    call.handler(request -> answer(call.response(),
        () -> jobs.refresh(visibleJob(call, request.getId())).map(StatusMapper::toStatus)));
  }

  private void log(GrpcServerRequest<LogRequest, LogChunk> call) {
    call.handler(request -> {
      Job job;
      try {
        job = visibleJob(call, request.getId());
      } catch (ApiException e) {
        fail(call.response(), e.status(), e.getMessage());
        return;
      }
      GrpcServerResponse<LogRequest, LogChunk> response = call.response();
      LogFollower follower = new LogFollower(vertx, job, response);
      follower.onFailure(cause -> {
        LOG.log(Level.WARNING, "log of job " + job.id() + " could not be read", cause);
        fail(response, GrpcStatus.INTERNAL, "the job's log could not be read: " + cause.getMessage());
      });
      // A cancelled or broken stream releases the follower at once: its consumer and its file.
      call.exceptionHandler(e -> follower.close());
      call.errorHandler(e -> follower.close());
      response.exceptionHandler(e -> follower.close());
      follower.start();
    });
  }

  private Job visibleJob(GrpcServerRequest<?, ?> call, String rawId) {
    PeerIdentity caller = identity(call);
    RequestRules.checkId(rawId);
    String id = Ulid.from(rawId).toString();
    Job job = jobs.find(caller, id);
    if (job == null) {
      // The same answer for unknown and foreign jobs: no oracle for which ids exist.
      throw new ApiException(GrpcStatus.NOT_FOUND, "no job " + id + " for this client");
    }
    return job;
  }

  /** The SANs of the verified client certificate: the only thing about the caller that is trusted. */
  private static PeerIdentity identity(GrpcServerRequest<?, ?> call) {
    SSLSession session = call.connection().sslSession();
    if (session == null) {
      throw new ApiException(GrpcStatus.UNAUTHENTICATED, "a TLS client certificate is required");
    }
    try {
      session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      throw new ApiException(GrpcStatus.UNAUTHENTICATED, "a verified TLS client certificate is required");
    }
    return PeerIdentity.of(session);
  }

  @FunctionalInterface
  private interface Action<T> {
    Future<T> run() throws LimitException;
  }

  private static <Req, Resp> void answer(GrpcServerResponse<Req, Resp> response, Action<Resp> action) {
    Future<Resp> result;
    try {
      result = action.run();
    } catch (Exception e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(done -> {
      if (done.succeeded()) {
        response.end(done.result());
      } else {
        Throwable cause = done.cause();
        ApiException api = toApi(cause);
        if (api.status() == GrpcStatus.INTERNAL) {
          LOG.log(Level.WARNING, "request failed", cause);
        }
        fail(response, api.status(), api.getMessage());
      }
    });
  }

  static ApiException toApi(Throwable cause) {
    if (cause instanceof ApiException api) {
      return api;
    }
    if (cause instanceof LimitException limit) {
      return new ApiException(limit.kind() == LimitException.Kind.INVALID
          ? GrpcStatus.INVALID_ARGUMENT : GrpcStatus.FAILED_PRECONDITION, limit.getMessage());
    }
    if (cause instanceof JobQuotaException quota) {
      return new ApiException(GrpcStatus.RESOURCE_EXHAUSTED, quota.getMessage());
    }
    if (cause instanceof LaunchException launch) {
      return new ApiException(switch (launch.kind()) {
        case INVALID, NOT_FOUND -> GrpcStatus.INVALID_ARGUMENT;
        case PERMISSION_DENIED -> GrpcStatus.PERMISSION_DENIED;
      }, launch.getMessage());
    }
    return new ApiException(GrpcStatus.INTERNAL, "internal error: " + cause.getMessage());
  }

  private static void fail(GrpcServerResponse<?, ?> response, GrpcStatus status, String message) {
    response.status(status).statusMessage(message).end();
  }
}
