package rund.job;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Instant;
import java.util.List;
import rund.cgroup.CgroupUsage;
import rund.cgroup.JobLimits;
import rund.log.JobLog;
import rund.log.LogSource;
import rund.sys.ExitStatus;
import rund.tls.PeerIdentity;

/**
 * One job's state. Owned by the job table's event loop: every field is read and written there only (the
 * output pump reports through that loop), so none of it needs locking.
 */
public final class Job implements LogSource {
  /** Where the job is in its life. */
  public enum Phase {
    /** The main process runs. */
    RUNNING,
    /** The main process ended; stragglers are being killed, output drained and the cgroup removed. */
    ENDING,
    /** Everything is final. */
    DONE
  }

  private final String id;
  private final PeerIdentity owner;
  private final String command;
  private final List<String> args;
  private final JobLimits limits;
  private final Instant createdAt;
  private final Promise<Void> done = Promise.promise();
  private final String progressAddress;
  private LaunchedJob launched;
  private OutputPump.Handle pumpHandle;
  private Instant startedAt;
  private Instant endedAt;
  private Phase phase = Phase.RUNNING;
  private ExitStatus exit;
  private boolean outputClosed;
  private boolean stopRequested;
  private CgroupUsage usage;
  private long stopTimer = -1;

  Job(String id, PeerIdentity owner, String command, List<String> args, JobLimits limits, Instant createdAt) {
    this.id = id;
    this.owner = owner;
    this.command = command;
    this.args = List.copyOf(args);
    this.limits = limits;
    this.createdAt = createdAt;
    this.progressAddress = "rund.job." + id + ".log";
  }

  public String id() {
    return id;
  }

  public PeerIdentity owner() {
    return owner;
  }

  public String command() {
    return command;
  }

  public List<String> args() {
    return args;
  }

  public JobLimits limits() {
    return limits;
  }

  public Instant createdAt() {
    return createdAt;
  }

  public Instant startedAt() {
    return startedAt;
  }

  public Instant endedAt() {
    return endedAt;
  }

  public Phase phase() {
    return phase;
  }

  public int pid() {
    return launched == null ? 0 : launched.pid();
  }

  /** Null while the main process runs. */
  public ExitStatus exit() {
    return exit;
  }

  public boolean stopRequested() {
    return stopRequested;
  }

  /** The last usage figures read: final once the job is DONE; null in degraded mode. */
  public CgroupUsage usage() {
    return usage;
  }

  /** The job's cgroup, relative to the cgroup2 mount (as in /proc/PID/cgroup), or null in degraded mode. */
  public String cgroup() {
    return launched == null || launched.cgroup() == null ? null : launched.cgroup().relativePath();
  }

  /** Completes when the job is DONE. */
  public Future<Void> whenDone() {
    return done.future();
  }

  @Override
  public JobLog log() {
    return launched.log();
  }

  @Override
  public boolean outputComplete() {
    // A job that closed its stdout and stderr but still runs is not over: followers wait for its end.
    return outputClosed && exit != null;
  }

  @Override
  public String progressAddress() {
    return progressAddress;
  }

  LaunchedJob launched() {
    return launched;
  }

  OutputPump.Handle pumpHandle() {
    return pumpHandle;
  }

  void started(LaunchedJob launched, OutputPump.Handle pumpHandle, Instant at) {
    this.launched = launched;
    this.pumpHandle = pumpHandle;
    this.startedAt = at;
  }

  void exited(ExitStatus status, Instant at) {
    this.exit = status;
    this.endedAt = at;
    this.phase = Phase.ENDING;
  }

  boolean outputClosed() {
    return outputClosed;
  }

  void markOutputClosed() {
    this.outputClosed = true;
  }

  void markStopRequested() {
    this.stopRequested = true;
  }

  void usage(CgroupUsage usage) {
    this.usage = usage;
  }

  void finish() {
    this.phase = Phase.DONE;
    done.tryComplete();
  }

  long stopTimer() {
    return stopTimer;
  }

  void stopTimer(long timer) {
    this.stopTimer = timer;
  }
}
