package rund.realkernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.Timestamp;
import com.google.protobuf.UInt64Value;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import rund.api.JobStatus;
import rund.api.Limits;
import rund.api.State;
import rund.testing.DaemonFixture;
import rund.testing.TestClient;

/**
 * What the real-kernel tests share: the guard that they run inside the harness's throwaway kernel (never on the
 * development host, whose cgroups belong to the machine), reading kernel files, finding a job's processes, and
 * waiting for conditions with a hard deadline.
 */
final class RealKernel {
  private RealKernel() {}

  static final Path CGROUP = Path.of("/sys/fs/cgroup");
  /** Where "auto" puts job cgroups when the daemon runs in the root cgroup, as the surefire JVM does in the guest. */
  static final Path AUTO_JOB_PARENT = CGROUP.resolve("rund");
  static final Path HOME = DaemonFixture.HOME;
  static final Path TLS = DaemonFixture.TLS;
  static final Duration DEADLINE = Duration.ofSeconds(60);

  /**
   * Fails (never skips) unless this is the harness's guest: RUND_REAL_KERNEL=1, a user-mode Linux booted from the
   * host's tree (hostfs root, as realkernel/run.sh does it) and a cgroup2 mount at /sys/fs/cgroup. Every test calls it
   * before it starts a daemon or touches /sys/fs/cgroup.
   */
  static void requireGuest() {
    assertEquals("1", System.getenv("RUND_REAL_KERNEL"),
        "the real-kernel suite runs only inside realkernel/run.sh (RUND_REAL_KERNEL=1), never on the host");
    String cmdline = readOrEmpty(Path.of("/proc/cmdline"));
    assertTrue(cmdline.contains("rootfstype=hostfs") && cmdline.contains("RUND_OUT="),
        "RUND_REAL_KERNEL=1 but this is not the harness's user-mode Linux guest: /proc/cmdline is " + cmdline);
    String mounts = readOrEmpty(Path.of("/proc/self/mountinfo"));
    assertTrue(mounts.lines().anyMatch(l -> l.contains(" /sys/fs/cgroup ") && l.contains(" - cgroup2 ")),
        "no cgroup2 mount at /sys/fs/cgroup in the guest:\n" + mounts);
    assertEquals("0::/", readOrEmpty(Path.of("/proc/self/cgroup")).strip(),
        "the test JVM is expected in the guest's root cgroup");
  }

  // ---- files ----

  static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII).strip();
    } catch (IOException e) {
      throw new AssertionError("cannot read " + file + ": " + e, e);
    }
  }

  static Optional<String> readIfExists(Path file) {
    try {
      return Optional.of(Files.readString(file, StandardCharsets.US_ASCII).strip());
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      // A cgroup removed under us answers ENODEV, a process that exited ESRCH: both mean "gone".
      return Optional.empty();
    }
  }

  static String readOrEmpty(Path file) {
    return readIfExists(file).orElse("");
  }

  static void write(Path file, String value) {
    try {
      Files.writeString(file, value, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new AssertionError("cannot write \"" + value + "\" to " + file + ": " + e, e);
    }
  }

  /** Makes a FIFO at {@code path} (mkfifo(1): the JDK has no call for it). */
  static Path mkfifo(Path path) throws Exception {
    Process mkfifo = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
    assertTrue(mkfifo.waitFor(60, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo " + path);
    return path;
  }

  /** A flat keyed file (cpu.stat, memory.events, cgroup.events): key -> value. */
  static Map<String, Long> keyed(String content) {
    Map<String, Long> values = new TreeMap<>();
    for (String line : content.split("\n")) {
      String[] kv = line.strip().split("\\s+");
      if (kv.length == 2) {
        values.put(kv[0], Long.parseLong(kv[1]));
      }
    }
    return values;
  }

  /** Names of the job cgroups (ULIDs) directly under {@code parent}. */
  static List<String> jobCgroups(Path parent) {
    List<String> names = new ArrayList<>();
    if (!Files.isDirectory(parent)) {
      return names;
    }
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(parent, Files::isDirectory)) {
      for (Path dir : dirs) {
        String name = dir.getFileName().toString();
        if (name.matches("[0-7][0-9A-HJKMNP-TV-Z]{25}")) {
          names.add(name);
        }
      }
    } catch (IOException e) {
      throw new AssertionError("cannot list " + parent, e);
    }
    names.sort(null);
    return names;
  }

  /**
   * The directory of the job's cgroup. JobStatus.cgroup is documented as relative to the cgroup2 mount
   * ("/rund/ID", as /proc/PID/cgroup shows it); an absolute path under the mount is accepted here too so that tests
   * about other things do not depend on that detail (PlacementTest checks it exactly).
   */
  static Path cgroupDir(JobStatus status) {
    String cgroup = status.getCgroup();
    assertTrue(!cgroup.isEmpty(), "the job has no cgroup: " + status);
    Path path = Path.of(cgroup);
    return path.startsWith(CGROUP) ? path : CGROUP.resolve(cgroup.substring(1));
  }

  /** The path of the job's cgroup relative to the mount, as /proc/PID/cgroup shows it. */
  static String relativeCgroup(JobStatus status) {
    return "/" + CGROUP.relativize(cgroupDir(status));
  }

  static List<Long> cgroupProcs(Path cgroup) {
    List<Long> pids = new ArrayList<>();
    for (String line : readOrEmpty(cgroup.resolve("cgroup.procs")).split("\n")) {
      if (!line.isBlank()) {
        pids.add(Long.parseLong(line.strip()));
      }
    }
    pids.sort(null);
    return pids;
  }

  // ---- processes ----

  /** One line of /proc/PID/stat: the fields the tests need. */
  record ProcStat(long pid, String comm, char state, long ppid, long pgrp, long session) {}

  static Optional<ProcStat> stat(long pid) {
    return readIfExists(Path.of("/proc", Long.toString(pid), "stat")).map(RealKernel::parseStat);
  }

  private static ProcStat parseStat(String stat) {
    int open = stat.indexOf('(');
    int close = stat.lastIndexOf(')');
    String[] rest = stat.substring(close + 2).split(" ");
    return new ProcStat(Long.parseLong(stat.substring(0, open).strip()), stat.substring(open + 1, close),
        rest[0].charAt(0), Long.parseLong(rest[1]), Long.parseLong(rest[2]), Long.parseLong(rest[3]));
  }

  /** Every live (non-zombie) process whose session id is {@code sid}: a job leads its own session. */
  static List<ProcStat> session(long sid) {
    return sessions().getOrDefault(sid, List.of());
  }

  /** Every live (non-zombie) process, by session id, each list ordered by pid: one pass over /proc. */
  static Map<Long, List<ProcStat>> sessions() {
    Map<Long, List<ProcStat>> sessions = new TreeMap<>();
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString()
        .chars().allMatch(Character::isDigit))) {
      for (Path proc : procs) {
        stat(Long.parseLong(proc.getFileName().toString()))
            .filter(s -> s.state() != 'Z')
            .ifPresent(s -> sessions.computeIfAbsent(s.session(), k -> new ArrayList<>()).add(s));
      }
    } catch (IOException e) {
      throw new AssertionError("cannot list /proc", e);
    }
    sessions.values().forEach(members -> members.sort((a, b) -> Long.compare(a.pid(), b.pid())));
    return sessions;
  }

  /** Alive and not a zombie (a killed orphan may wait a moment for init to reap it). */
  static boolean isRunning(long pid) {
    return stat(pid).map(s -> s.state() != 'Z').orElse(false);
  }

  /** The cgroup v2 path of a process ("/rund/ID"), or empty when it is gone. */
  static Optional<String> procCgroup(long pid) {
    return readIfExists(Path.of("/proc", Long.toString(pid), "cgroup"))
        .flatMap(s -> s.lines().filter(l -> l.startsWith("0::")).findFirst())
        .map(l -> l.substring(3));
  }

  // ---- waiting ----

  /** Polls {@code condition} every millisecond or so until it holds; fails after {@code timeout}. */
  static void await(String what, Duration timeout, BooleanSupplier condition) {
    awaitValue(what, timeout, () -> condition.getAsBoolean() ? Boolean.TRUE : null, () -> "");
  }

  static void await(String what, BooleanSupplier condition) {
    await(what, DEADLINE, condition);
  }

  /** Polls until {@code probe} returns a non-null value; on timeout the failure shows {@code state}. */
  static <T> T awaitValue(String what, Duration timeout, Supplier<T> probe, Supplier<String> state) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = TimeUnit.MILLISECONDS.toNanos(1);
    while (true) {
      T value = probe.get();
      if (value != null) {
        return value;
      }
      if (System.nanoTime() > deadline) {
        fail("timed out after " + timeout.toSeconds() + " s waiting for " + what + " " + state.get());
      }
      LockSupport.parkNanos(pause);
      pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  /**
   * The job's final status: waits until Status no longer says RUNNING, then asks Stop, which for a job that has
   * already ended answers its final status once the daemon has read the last figures and removed the cgroup.
   */
  static JobStatus awaitFinal(TestClient client, String id) {
    JobStatus ended = client.awaitEnd(id);
    assertTrue(ended.getState() != State.STATE_RUNNING, ended.toString());
    JobStatus fin = client.stop(id);
    assertEquals(ended.getState(), fin.getState(), "the final state differs from the first terminal one");
    assertEquals(ended.getEndedAt(), fin.getEndedAt(), "ended_at changed after the job ended");
    return fin;
  }

  static double seconds(Timestamp from, Timestamp to) {
    return (to.getSeconds() - from.getSeconds()) + (to.getNanos() - from.getNanos()) / 1e9;
  }

  static double wallSeconds(JobStatus status) {
    assertTrue(status.hasStartedAt() && status.hasEndedAt(), "no start or end time: " + status);
    return seconds(status.getStartedAt(), status.getEndedAt());
  }

  // ---- limits ----

  static UInt64Value u64(long value) {
    return UInt64Value.of(value);
  }

  static Limits memory(long bytes) {
    return Limits.newBuilder().setMaxMemoryUsage(u64(bytes)).build();
  }

  static Limits cpu(long quotaMicros) {
    return Limits.newBuilder().setMaxCpuBandwidth(u64(quotaMicros)).build();
  }
}
