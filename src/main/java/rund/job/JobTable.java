package rund.job;

import com.github.f4b6a3.ulid.UlidFactory;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;
import rund.cgroup.CgroupUsage;
import rund.cgroup.JobCgroup;
import rund.cgroup.JobLimits;
import rund.sys.ExitStatus;
import rund.sys.Processes;
import rund.sys.Signals;
import rund.tls.PeerIdentity;

/**
 * The daemon's jobs and their life cycle. Every method runs on the one event loop that owns the table;
 * blocking work (spawning, cgroupfs, signals) goes to worker threads and its results come back here.
 *
 * <p>A job ends when its main process ends: whatever it left behind is killed with its cgroup (or its
 * process group in degraded mode), its output is drained, its final usage read and its cgroup removed.
 */
public final class JobTable {
  private static final Logger LOG = Logger.getLogger(JobTable.class.getName());

  private final Vertx vertx;
  private final Context context;
  private final JobLauncher launcher;
  private final OutputPump pump;
  private final JobPolicy policy;
  private final Clock clock;
  private final UlidFactory ids = UlidFactory.newMonotonicInstance(new SecureRandom());
  private final Map<String, Job> jobs = new HashMap<>();
  /** Running (not yet DONE) jobs per owner, for the per-client quota. */
  private final Map<PeerIdentity, Integer> running = new HashMap<>();
  /** Finished jobs, oldest first, and the bytes their logs hold: what retention trims. */
  private final ArrayDeque<Job> finished = new ArrayDeque<>();
  private long finishedLogBytes;

  public JobTable(Vertx vertx, Context context, JobLauncher launcher, OutputPump pump, JobPolicy policy,
      Clock clock) {
    this.vertx = vertx;
    this.context = context;
    this.launcher = launcher;
    this.pump = pump;
    this.policy = policy;
    this.clock = clock;
  }

  /**
   * Launches a job. Fails with {@link JobQuotaException}, {@link LaunchException}, {@code LimitException} or
   * an I/O error.
   */
  public Future<Job> start(PeerIdentity owner, String command, List<String> args, JobLimits limits) {
    int mine = running.getOrDefault(owner, 0);
    if (mine >= policy.maxRunningJobsPerClient()) {
      return Future.failedFuture(new JobQuotaException("this client already runs " + mine
          + " jobs, the most one client may run at once (maxRunningJobsPerClient); stop some first"));
    }
    // Counted from now, so that concurrent starts cannot overshoot the quota while they launch.
    running.merge(owner, 1, Integer::sum);
    Job job = new Job(ids.create().toString(), owner, command, args, limits, clock.instant());
    return vertx.executeBlocking(() -> launcher.launch(job.id(), command, args, limits), false).map(launched -> {
      OutputPump.Handle handle = pump.watch(launched.pid(), launched.pidfd(), launched.stdoutFd(),
          launched.stderrFd(), launched.log(), new Events(job));
      job.started(launched, handle, clock.instant());
      jobs.put(job.id(), job);
      return job;
    }).onFailure(e -> release(owner));
  }

  private void release(PeerIdentity owner) {
    running.computeIfPresent(owner, (key, count) -> count > 1 ? count - 1 : null);
  }

  /** Keeps at most the configured number of finished jobs and bytes of their logs; forgets the oldest. */
  private void retain(Job job) {
    finished.add(job);
    finishedLogBytes += job.log().committedLength();
    while (finished.size() > policy.retainFinishedJobs()
        || (finishedLogBytes > policy.retainFinishedLogBytes() && !finished.isEmpty())) {
      Job oldest = finished.poll();
      finishedLogBytes -= oldest.log().committedLength();
      jobs.remove(oldest.id());
      LaunchedJob launched = oldest.launched();
      // Followers still reading keep their open file; the data goes once they close it.
      vertx.executeBlocking(() -> {
        launched.log().delete();
        return null;
      }, false).onFailure(e -> LOG.log(Level.WARNING, "deleting the log of job " + oldest.id(), e));
    }
  }

  public int finishedCount() {
    return finished.size();
  }

  /** The job with this id if the caller may see it; null for unknown and foreign jobs alike. */
  public Job find(PeerIdentity caller, String id) {
    Job job = jobs.get(id);
    return job != null && job.owner().overlaps(caller) ? job : null;
  }

  /**
   * Refreshes a running job's usage figures from its cgroup, then answers with the job. A job whose main
   * process ended but whose final figures are not read yet is answered once they are, so that no Status ever
   * shows an ended job with stale figures (an OOM kill not yet counted, say).
   */
  public Future<Job> refresh(Job job) {
    if (job.phase() == Job.Phase.ENDING) {
      return job.whenDone().map(v -> job);
    }
    JobCgroup cgroup = job.launched().cgroup();
    if (job.phase() != Job.Phase.RUNNING || cgroup == null) {
      return Future.succeededFuture(job);
    }
    return vertx.executeBlocking(cgroup::usage, false).map(usage -> {
      if (job.phase() == Job.Phase.RUNNING) {
        job.usage(usage);
      }
      return job;
    }).recover(e -> Future.succeededFuture(job));
  }

  /**
   * Stops the job's whole process tree: SIGTERM to every process, then after the grace period a kill of
   * everything left. Completes with the job once it is final; for a job already over, at once.
   */
  public Future<Job> stop(Job job) {
    if (job.phase() == Job.Phase.RUNNING && !job.stopRequested()) {
      job.markStopRequested();
      signalAll(job, Signals.SIGTERM);
      // A stopped process cannot act on SIGTERM until it is continued (systemd does the same).
      signalAll(job, Signals.SIGCONT);
      job.stopTimer(vertx.setTimer(Math.max(1, policy.stopGrace().toMillis()), t -> {
        job.stopTimer(-1);
        if (job.phase() == Job.Phase.RUNNING) {
          killAll(job);
        }
      }));
    }
    return job.whenDone().map(v -> job);
  }

  /**
   * Stops every job the way Stop does (SIGTERM, the grace period, then a kill) and completes once all are
   * final: used when the daemon shuts down, so jobs get the same chance to clean up as on Stop.
   */
  public Future<Void> shutdown() {
    List<Future<Job>> all = new ArrayList<>();
    for (Job job : jobs.values()) {
      if (job.phase() != Job.Phase.DONE) {
        all.add(stop(job));
      }
    }
    if (!all.isEmpty()) {
      LOG.info("stopping " + all.size() + " running jobs (SIGTERM, then a kill after "
          + policy.stopGrace().toMillis() + " ms)");
    }
    return Future.join(all).mapEmpty();
  }

  public int size() {
    return jobs.size();
  }

  private void signalAll(Job job, int signal) {
    JobCgroup cgroup = job.launched().cgroup();
    int pid = job.pid();
    vertx.executeBlocking(() -> {
      if (cgroup != null) {
        cgroup.signalAll(signal);
      } else {
        // Degraded mode: the job leads its own session and process group (posix_spawn SETSID).
        Processes.kill(-pid, signal);
      }
      return null;
    }, false).onFailure(e -> LOG.log(Level.WARNING, "signal " + signal + " to job " + job.id(), e));
  }

  private void killAll(Job job) {
    JobCgroup cgroup = job.launched().cgroup();
    int pid = job.pid();
    vertx.executeBlocking(() -> {
      if (cgroup != null) {
        cgroup.killAll();
      } else {
        Processes.kill(-pid, Signals.SIGKILL);
      }
      return null;
    }, false).onFailure(e -> LOG.log(Level.WARNING, "kill of job " + job.id(), e));
  }

  private void onExit(Job job, ExitStatus status) {
    job.exited(status, clock.instant());
    if (job.stopTimer() >= 0) {
      vertx.cancelTimer(job.stopTimer());
      job.stopTimer(-1);
    }
    // The job is over once its main process is: what it left running is killed with it.
    killAll(job);
    vertx.eventBus().publish(job.progressAddress(), null);
    if (job.outputClosed()) {
      finish(job);
    } else {
      vertx.setTimer(Math.max(1, policy.stragglerTimeout().toMillis()), t -> {
        if (!job.outputClosed()) {
          LOG.warning("job " + job.id() + ": output still open " + policy.stragglerTimeout().toMillis()
              + " ms after its end (a process escaped the kill); closing it");
          job.pumpHandle().forceCloseOutput();
        }
      });
    }
  }

  private void onOutputClosed(Job job) {
    job.markOutputClosed();
    vertx.eventBus().publish(job.progressAddress(), null);
    if (job.exit() != null) {
      finish(job);
    }
  }

  private void finish(Job job) {
    LaunchedJob launched = job.launched();
    vertx.executeBlocking(() -> {
      CgroupUsage usage = null;
      if (launched.cgroup() != null) {
        usage = launched.cgroup().usage();
        launched.cgroup().remove(Duration.ofSeconds(10));
      }
      closeRelease(launched);
      launcher.ended(launched.pid());
      return usage;
    }, false).onComplete(result -> {
      if (result.succeeded()) {
        if (result.result() != null) {
          job.usage(result.result());
        }
      } else {
        LOG.log(Level.WARNING, "cleaning up job " + job.id(), result.cause());
      }
      job.finish();
      release(job.owner());
      vertx.eventBus().publish(job.progressAddress(), null);
      retain(job);
    });
  }

  private static void closeRelease(LaunchedJob launched) {
    if (launched.releaseGate() == null) {
      return;
    }
    try {
      launched.releaseGate().close();
    } catch (IOException e) {
      LOG.log(Level.FINE, "release fifo cleanup", e);
    }
  }

  /** Carries the pump's news to the table's event loop; output notices are coalesced to one in flight. */
  private final class Events implements OutputPump.Listener {
    private final Job job;
    private final AtomicBoolean outputPending = new AtomicBoolean();

    Events(Job job) {
      this.job = job;
    }

    @Override
    public void onOutput() {
      if (outputPending.compareAndSet(false, true)) {
        context.runOnContext(v -> {
          outputPending.set(false);
          vertx.eventBus().publish(job.progressAddress(), null);
        });
      }
    }

    @Override
    public void onOutputClosed() {
      context.runOnContext(v -> JobTable.this.onOutputClosed(job));
    }

    @Override
    public void onExit(ExitStatus status) {
      context.runOnContext(v -> JobTable.this.onExit(job, status));
    }
  }
}
