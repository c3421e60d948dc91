package rund.job;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import rund.cgroup.BlockDevices;
import rund.cgroup.CgroupSupport;
import rund.cgroup.JobCgroup;
import rund.cgroup.JobLimits;
import rund.cgroup.LimitException;
import rund.log.JobLog;
import rund.sys.Errno;
import rund.sys.ErrnoException;
import rund.sys.Fds;
import rund.sys.Processes;
import rund.sys.Signals;
import rund.sys.SpawnRequest;

/**
 * Starts a job so that not one instruction of its command runs outside the job's cgroup.
 *
 * <p>It spawns the launch step ({@code rund execute -fifo PATH -- CMD ARGS...}, a few lines of POSIX shell
 * in bin/rund, not a JVM), which blocks reading the FIFO; it writes the launch step's pid into the job's
 * cgroup.procs; only then does it write the release line, after which the launch step execs the command.
 * Children inherit the cgroup, so everything the command starts is inside it from its first instruction.
 *
 * <p>When jobs run as another user or group ({@link RunAs}), the launch step drops to them after it has been
 * released and right before it execs the command, so the daemon's privileges never reach user code.
 *
 * <p>With neither a cgroup (degraded mode) nor another user, nothing has to happen between spawn and exec, so
 * the command is spawned directly: no launch step, no FIFO, and Start answers a shell's start-up sooner.
 *
 * <p>A job's files sit in the instance's jobs directory: {@code ID.log} (its output) and, while the job
 * runs, {@code ID.fifo} (its release gate); the process journal records its main process.
 *
 * <p>Blocking throughout (files, cgroupfs, posix_spawn): runs on a worker thread.
 */
public final class JobLauncher {
  /**
   * Whom jobs run as: a user (name or number) and the group to run with, each null for the daemon's own. With
   * a user, the group is always given (its primary group unless configured otherwise) and the supplementary
   * groups are the user's; with a group alone, the daemon's user runs with that group and no supplementary
   * groups.
   */
  public record RunAs(String user, String group) {
    public static final RunAs DAEMON = new RunAs(null, null);

    public RunAs {
      if (user != null && group == null) {
        throw new IllegalArgumentException("a job user needs its group resolved");
      }
    }
  }

  private final Path launchScript;
  private final Path jobsDirectory;
  private final CgroupSupport cgroups;
  private final BlockDevices devices;
  private final List<String> environment;
  private final Path workingDirectory;
  private final ExecutableResolver resolver;
  private final long logCapBytes;
  private static final String INTERPRETER_HINT = " (is the interpreter named on its #! line missing?)";
  /** How long Start waits to see the command exec'd before it answers anyway. */
  private static final java.time.Duration EXEC_TIMEOUT = java.time.Duration.ofSeconds(5);
  private final RunAs runAs;
  private final ProcessJournal journal;

  public JobLauncher(Path launchScript, Path jobsDirectory, CgroupSupport cgroups, BlockDevices devices,
      List<String> environment, Path workingDirectory, String searchPath, long logCapBytes, RunAs runAs) {
    this.runAs = runAs;
    this.launchScript = launchScript;
    this.jobsDirectory = jobsDirectory;
    this.cgroups = cgroups;
    this.devices = devices;
    this.environment = List.copyOf(environment);
    this.workingDirectory = workingDirectory;
    this.resolver = new ExecutableResolver(searchPath, workingDirectory);
    this.logCapBytes = logCapBytes;
    this.journal = new ProcessJournal(jobsDirectory);
  }

  public LaunchedJob launch(String id, String command, List<String> args, JobLimits limits)
      throws LaunchException, LimitException, IOException {
    Path executable = resolver.resolve(command);
    List<AutoCloseable> undo = new ArrayList<>();
    try {
      JobLog log = JobLog.create(jobsDirectory.resolve(id + ".log"), logCapBytes);
      undo.add(log::delete);
      JobCgroup cgroup = null;
      if (cgroups instanceof CgroupSupport.Enabled enabled) {
        JobCgroup created = JobCgroup.create(enabled, id, limits, devices);
        undo.add(() -> created.remove(java.time.Duration.ofSeconds(5)));
        cgroup = created;
      }
      ReleaseGate gate = null;
      if (cgroup != null || !runAs.equals(RunAs.DAEMON)) {
        gate = ReleaseGate.create(jobsDirectory.resolve(id + ".fifo"));
        undo.add(gate);
      }
      int[] stdout = Fds.pipe();
      int[] stderr = Fds.pipe();
      int pid;
      try {
        Fds.setNonBlocking(stdout[0]);
        Fds.setNonBlocking(stderr[0]);
        pid = gate == null
            ? spawnDirectly(executable, args, stdout[1], stderr[1])
            : Processes.spawn(new SpawnRequest("/bin/sh", launchArgv(gate.path(), executable, args), environment,
                workingDirectory, stdout[1], stderr[1]));
      } catch (IOException | LaunchException e) {
        Fds.close(stdout[0]);
        Fds.close(stderr[0]);
        throw e;
      } finally {
        Fds.close(stdout[1]);
        Fds.close(stderr[1]);
      }
      int pidfd = -1;
      try {
        pidfd = Processes.pidfdOpen(pid);
        if (cgroup != null) {
          cgroup.place(pid);
        }
        journal.record(pid);
        if (gate != null) {
          gate.release();
        }
      } catch (IOException e) {
        // With a gate, the launch step is still waiting, so the command never ran; without one, the command's
        // process group goes (it cannot be recorded for a successor to clean up).
        Processes.kill(gate == null ? -pid : pid, Signals.SIGKILL);
        reapQuietly(pid);
        if (pidfd >= 0) {
          Fds.close(pidfd);
        }
        Fds.close(stdout[0]);
        Fds.close(stderr[0]);
        throw e;
      }
      if (gate != null) {
        String execFailure = ExecWatch.awaitExec(pid, gate.path().toString(), launchScript.toString(), stderr[0],
            EXEC_TIMEOUT);
        if (execFailure != null) {
          reapQuietly(pid);
          journal.forget(pid);
          Fds.close(pidfd);
          Fds.close(stdout[0]);
          Fds.close(stderr[0]);
          throw new LaunchException(execFailure.endsWith("Permission denied")
              ? LaunchException.Kind.PERMISSION_DENIED : LaunchException.Kind.NOT_FOUND,
              "cannot execute " + executable + ": " + execFailure.substring(execFailure.indexOf(": ") + 2)
                  + (execFailure.endsWith("not found") ? INTERPRETER_HINT : ""));
        }
      }
      return new LaunchedJob(pid, pidfd, stdout[0], stderr[0], cgroup, gate, log);
    } catch (IOException | LimitException | LaunchException | RuntimeException e) {
      for (int i = undo.size() - 1; i >= 0; i--) {
        try {
          undo.get(i).close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  /** The job of this main process has ended and nothing of it is left to kill. Blocking. */
  public void ended(int pid) throws IOException {
    journal.forget(pid);
  }

  /**
   * Spawns the command itself, when nothing has to happen between spawn and exec (no cgroup to enter, no user
   * to become). glibc's posix_spawn waits for the exec and returns its error, so a failed exec is a Start error
   * here too; a file without a #! line runs under /bin/sh, as execvp would run it.
   */
  private int spawnDirectly(Path executable, List<String> args, int stdoutFd, int stderrFd)
      throws IOException, LaunchException {
    List<String> argv = new ArrayList<>(args.size() + 2);
    argv.add(executable.toString());
    argv.addAll(args);
    try {
      try {
        return Processes.spawn(new SpawnRequest(executable.toString(), argv, environment, workingDirectory,
            stdoutFd, stderrFd));
      } catch (ErrnoException e) {
        if (e.errno() != Errno.ENOEXEC) {
          throw e;
        }
        argv.addFirst("sh");
        return Processes.spawn(new SpawnRequest("/bin/sh", argv, environment, workingDirectory, stdoutFd,
            stderrFd));
      }
    } catch (ErrnoException e) {
      if (e.errno() == Errno.EAGAIN || e.errno() == Errno.ENOMEM) {
        throw e; // the machine, not the request, is short of something: an internal error, not the client's
      }
      String reason = "cannot execute " + executable + ": " + Errno.describe(e.errno());
      throw switch (e.errno()) {
        case Errno.ENOENT -> new LaunchException(LaunchException.Kind.NOT_FOUND, reason + INTERPRETER_HINT);
        case Errno.EACCES, Errno.EPERM -> new LaunchException(LaunchException.Kind.PERMISSION_DENIED, reason);
        default -> new LaunchException(LaunchException.Kind.INVALID, reason);
      };
    }
  }

  private List<String> launchArgv(Path fifo, Path executable, List<String> args) {
    List<String> argv = new ArrayList<>(args.size() + 11);
    argv.add("sh");
    argv.add(launchScript.toString());
    argv.add("execute");
    argv.add("-fifo");
    argv.add(fifo.toString());
    if (runAs.user() != null) {
      argv.add("-user");
      argv.add(runAs.user());
    }
    if (runAs.group() != null) {
      argv.add("-group");
      argv.add(runAs.group());
    }
    argv.add("--");
    argv.add(executable.toString());
    argv.addAll(args);
    return argv;
  }

  private static void reapQuietly(int pid) {
    // The launch step was just SIGKILLed while blocked on the FIFO; it dies promptly.
    long deadline = System.nanoTime() + 5_000_000_000L;
    try {
      while (Processes.waitNoHang(pid) == null && System.nanoTime() < deadline) {
        java.util.concurrent.locks.LockSupport.parkNanos(100_000);
      }
    } catch (ErrnoException ignored) {
      // Already reaped or not our child: nothing left to collect.
    }
  }
}
