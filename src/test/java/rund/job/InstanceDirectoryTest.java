package rund.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.sys.ExitStatus;
import rund.sys.Fds;
import rund.sys.Processes;
import rund.sys.Signals;
import rund.sys.SpawnRequest;

/**
 * The process journal and what a new instance does with a dead predecessor's: kill the process groups it
 * recorded (unless the pid now belongs to another process) and delete its data. The predecessor here is a
 * directory laid out as a SIGKILLed daemon leaves it, with its lock free.
 */
class InstanceDirectoryTest {
  @TempDir Path data;
  private int child = -1;

  @AfterEach
  void reap() throws Exception {
    if (child > 0) {
      Processes.kill(-child, Signals.SIGKILL);
      awaitExit(child);
    }
  }

  @Test
  void theJournalKeepsOneLinePerProcessWithItsStartTime() throws Exception {
    ProcessJournal journal = new ProcessJournal(data);
    child = spawnSessionLeader();
    journal.record(child);
    journal.record(child);
    Files.writeString(data.resolve(ProcessJournal.FILE_NAME), "garbage line\n", StandardCharsets.US_ASCII,
        java.nio.file.StandardOpenOption.APPEND);

    List<ProcessJournal.Entry> entries = ProcessJournal.read(data);
    long start = InstanceDirectory.startTime(child).orElseThrow();
    assertEquals(List.of(new ProcessJournal.Entry(child, start), new ProcessJournal.Entry(child, start)), entries);
    assertEquals(List.of(), ProcessJournal.read(data.resolve("missing")));
  }

  @Test
  void endedJobsLeaveTheJournalWhenItIsRewritten() throws Exception {
    ProcessJournal journal = new ProcessJournal(data);
    int jobs = 5000;
    for (int pid = 1; pid <= jobs; pid++) {
      journal.record(pid);
    }
    assertEquals(jobs, ProcessJournal.read(data).size());
    // Pids unlikely to be running here: their start time reads as -1, which still names them.
    for (int pid = 1; pid <= jobs - 3; pid++) {
      journal.forget(pid);
    }
    List<Integer> left = ProcessJournal.read(data).stream().map(ProcessJournal.Entry::pid).toList();
    // Bounded by the larger of 4096 lines and four per running job, not by every job ever started.
    assertTrue(left.size() <= 4096, "the journal was rewritten: " + left.size() + " lines");
    assertTrue(left.containsAll(List.of(jobs - 2, jobs - 1, jobs)), "running jobs stay recorded: " + left);
    journal.forget(jobs);
    journal.record(jobs + 1);
    assertTrue(ProcessJournal.read(data).stream().anyMatch(e -> e.pid() == jobs + 1));
  }

  @Test
  void aDeadPredecessorsRecordedProcessGroupsAreKilledAndItsDataDeleted() throws Exception {
    Path predecessor = deadPredecessor("01ARZ3NDEKTSV4RRFFQ69G5FAV");
    child = spawnSessionLeader();
    new ProcessJournal(predecessor.resolve("jobs")).record(child);
    Files.writeString(predecessor.resolve("jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV.log"), "old output");

    try (InstanceDirectory claimed = InstanceDirectory.claim(data)) {
      ExitStatus status = awaitExit(child);
      child = -1;
      assertEquals(ExitStatus.killed(Signals.SIGKILL, false), status);
      assertFalse(Files.exists(predecessor), "the predecessor's directory is gone");
      assertTrue(Files.isDirectory(claimed.jobs()));
    }
  }

  @Test
  void aRecordedPidNowUsedByAnotherProcessIsLeftAlone() throws Exception {
    Path predecessor = deadPredecessor("01ARZ3NDEKTSV4RRFFQ69G5FAW");
    child = spawnSessionLeader();
    long start = InstanceDirectory.startTime(child).orElseThrow();
    // The same pid with another start time: the recorded process ended and its pid was handed out again.
    Files.writeString(predecessor.resolve("jobs").resolve(ProcessJournal.FILE_NAME),
        child + " " + (start - 1) + "\n", StandardCharsets.US_ASCII);

    try (InstanceDirectory claimed = InstanceDirectory.claim(data)) {
      assertFalse(Files.exists(predecessor));
      assertNull(Processes.waitNoHang(child), "the unrelated process still runs");
    }
  }

  private Path deadPredecessor(String name) throws Exception {
    Path dir = Files.createDirectories(data.resolve("instances").resolve(name).resolve("jobs")).getParent();
    Files.createFile(dir.resolve("lock"));
    return dir;
  }

  /** A `sleep` leading its own session and process group, as a job's main process does. */
  private static int spawnSessionLeader() throws Exception {
    int[] out = Fds.pipe();
    try {
      return Processes.spawn(new SpawnRequest("/bin/sleep", List.of("sleep", "600"), List.of(), null, out[1],
          out[1]));
    } finally {
      Fds.close(out[0]);
      Fds.close(out[1]);
    }
  }

  private static ExitStatus awaitExit(int pid) throws Exception {
    long deadline = System.nanoTime() + 20_000_000_000L;
    ExitStatus status;
    while ((status = Processes.waitNoHang(pid)) == null && System.nanoTime() < deadline) {
      LockSupport.parkNanos(1_000_000);
    }
    assertNotNull(status, "process " + pid + " did not end within 20 s");
    return status;
  }
}
