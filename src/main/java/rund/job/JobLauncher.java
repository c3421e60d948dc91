package rund.job;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import rund.cgroup.BlockDevices;
import rund.cgroup.CgroupSupport;
import rund.cgroup.JobCgroup;
import rund.cgroup.JobLimits;
import rund.cgroup.LimitException;
import rund.log.JobLog;
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
  /** How long Start waits to see the command exec'd before it answers anyway. */
  private static final java.time.Duration EXEC_TIMEOUT = java.time.Duration.ofSeconds(5);
  private final RunAs runAs;

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
  }

  public LaunchedJob launch(String id, String command, List<String> args, JobLimits limits)
      throws LaunchException, LimitException, IOException {
    Path executable = resolver.resolve(command);
    Path directory = Files.createDirectories(jobsDirectory.resolve(id));
    List<AutoCloseable> undo = new ArrayList<>();
    try {
      JobLog log = JobLog.create(directory.resolve("output.log"), logCapBytes);
      undo.add(log::delete);
      JobCgroup cgroup = null;
      if (cgroups instanceof CgroupSupport.Enabled enabled) {
        JobCgroup created = JobCgroup.create(enabled, id, limits, devices);
        undo.add(() -> created.remove(java.time.Duration.ofSeconds(5)));
        cgroup = created;
      }
      Path fifo = directory.resolve("release.fifo");
      Fds.mkfifo(fifo, 0600);
      // Read+write: opening a FIFO this way never blocks, and the buffered release line survives until the
      // launch step has opened and read it, however late that is.
      FileChannel release = FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE);
      undo.add(release);

      int[] stdout = Fds.pipe();
      int[] stderr = Fds.pipe();
      int pid;
      try {
        Fds.setNonBlocking(stdout[0]);
        Fds.setNonBlocking(stderr[0]);
        pid = Processes.spawn(new SpawnRequest("/bin/sh", launchArgv(fifo, executable, args), environment,
            workingDirectory, stdout[1], stderr[1]));
      } catch (ErrnoException e) {
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
        InstanceDirectory.recordProcess(directory, pid);
        release.write(ByteBuffer.wrap("go\n".getBytes(StandardCharsets.US_ASCII)));
      } catch (IOException e) {
        // Placement failed: the launch step is still waiting, so the command never ran.
        Processes.kill(pid, Signals.SIGKILL);
        reapQuietly(pid);
        if (pidfd >= 0) {
          Fds.close(pidfd);
        }
        Fds.close(stdout[0]);
        Fds.close(stderr[0]);
        throw e;
      }
      String execFailure = ExecWatch.awaitExec(pid, fifo.toString(), launchScript.toString(), stderr[0], EXEC_TIMEOUT);
      if (execFailure != null) {
        reapQuietly(pid);
        Fds.close(pidfd);
        Fds.close(stdout[0]);
        Fds.close(stderr[0]);
        throw new LaunchException(execFailure.endsWith("Permission denied")
            ? LaunchException.Kind.PERMISSION_DENIED : LaunchException.Kind.NOT_FOUND,
            "cannot execute " + executable + ": " + execFailure.substring(execFailure.indexOf(": ") + 2)
                + (execFailure.endsWith("not found") ? " (is the interpreter named on its #! line missing?)" : ""));
      }
      return new LaunchedJob(pid, pidfd, stdout[0], stderr[0], cgroup, release, directory, log);
    } catch (IOException | LimitException | LaunchException | RuntimeException e) {
      for (int i = undo.size() - 1; i >= 0; i--) {
        try {
          undo.get(i).close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      deleteQuietly(directory);
      throw e;
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

  static void deleteQuietly(Path directory) {
    try (var entries = Files.list(directory)) {
      for (Path entry : (Iterable<Path>) entries::iterator) {
        Files.deleteIfExists(entry);
      }
      Files.deleteIfExists(directory);
    } catch (IOException ignored) {
      // Best effort: a leftover directory is removed with the instance directory at shutdown or next start.
    }
  }
}
