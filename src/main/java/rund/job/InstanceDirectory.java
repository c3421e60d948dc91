package rund.job;

import com.github.f4b6a3.ulid.UlidCreator;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.OptionalLong;
import java.util.logging.Logger;
import java.util.stream.Stream;
import rund.sys.ErrnoException;
import rund.sys.Processes;
import rund.sys.Signals;

/**
 * This daemon instance's private part of the data directory: {@code DATA/instances/<instance ULID>/jobs}.
 *
 * <p>Jobs belong to the instance that started them. Each instance holds an exclusive lock on its directory
 * while it lives; at start-up, a directory whose lock can be taken belongs to a dead predecessor, so its
 * jobs' process groups are killed (they may have outlived a SIGKILLed daemon) and its logs are deleted.
 * Several live daemons may share one data directory.
 */
public final class InstanceDirectory implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(InstanceDirectory.class.getName());

  private final Path root;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private InstanceDirectory(Path root, FileChannel lockChannel, FileLock lock) {
    this.root = root;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /** Creates this instance's directory after cleaning up after dead predecessors. Blocking. */
  public static InstanceDirectory claim(Path dataDir) throws IOException {
    Path instances = Files.createDirectories(dataDir.resolve("instances"));
    removeDeadPredecessors(instances);
    Path root = Files.createDirectories(instances.resolve(UlidCreator.getMonotonicUlid().toString()));
    Files.createDirectories(root.resolve("jobs"));
    FileChannel channel = FileChannel.open(root.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    return new InstanceDirectory(root, channel, channel.lock());
  }

  public Path jobs() {
    return root.resolve("jobs");
  }

  private static void removeDeadPredecessors(Path instances) throws IOException {
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(instances)) {
      for (Path dir : dirs) {
        Path lockFile = dir.resolve("lock");
        if (!Files.exists(lockFile)) {
          continue;
        }
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
            FileLock taken = channel.tryLock()) {
          if (taken == null) {
            continue; // a live daemon owns it
          }
          int killed = killRecordedJobs(dir.resolve("jobs"));
          LOG.info("removed the data of a previous rund instance " + dir.getFileName()
              + (killed > 0 ? " and killed " + killed + " of its job process groups" : ""));
        } catch (java.nio.channels.OverlappingFileLockException e) {
          continue; // this very process holds it (tests run several daemons in one JVM)
        }
        deleteTree(dir);
      }
    }
  }

  private static int killRecordedJobs(Path jobs) throws IOException {
    if (!Files.isDirectory(jobs)) {
      return 0;
    }
    int killed = 0;
    for (ProcessJournal.Entry entry : ProcessJournal.read(jobs)) {
      OptionalLong now = startTime(entry.pid());
      // The kernel never hands out a pid still in use as a process group id, so with the leader gone the
      // group is still the job's; with the leader alive, its start time proves it is the same process.
      if (now.isEmpty() || now.getAsLong() == entry.startTime()) {
        try {
          if (Processes.kill(-entry.pid(), Signals.SIGKILL)) {
            killed++;
          }
        } catch (ErrnoException e) {
          LOG.warning("cannot kill the process group of a previous instance's job " + entry.pid() + ": "
              + e.getMessage());
        }
      }
    }
    return killed;
  }

  /** Field 22 of /proc/PID/stat: the process's start time in clock ticks since boot. */
  static OptionalLong startTime(int pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
      String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return OptionalLong.of(Long.parseLong(after[19]));
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  /** Removes this instance's directory; called at a clean shutdown, after every job has ended. */
  @Override
  public void close() throws IOException {
    lock.release();
    lockChannel.close();
    deleteTree(root);
  }
}
