package rund.realkernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rund.realkernel.RealKernel.CGROUP;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/rund execute -fifo F -- CMD} as documented: it waits; whoever started it places it into a cgroup and
 * writes "go" into the FIFO; CMD then runs inside that cgroup. Anything else exits 125 without running CMD.
 */
class ExecuteTest {
  static final Path TARGET = CGROUP.resolve("rund-execute-test");

  @TempDir static Path dir;

  @BeforeAll
  static void makeCgroup() throws IOException {
    RealKernel.requireGuest();
    Files.createDirectory(TARGET);
  }

  @AfterAll
  static void removeCgroup() {
    if (Files.isDirectory(TARGET)) {
      RealKernel.await("rmdir " + TARGET, () -> {
        try {
          Files.delete(TARGET);
          return true;
        } catch (IOException e) {
          return false; // EBUSY for a moment after the last process left
        }
      });
    }
  }

  private static Path fifo(String name) throws Exception {
    return RealKernel.mkfifo(dir.resolve(name));
  }

  private static Process execute(Path fifo, String... command) throws IOException {
    java.util.List<String> argv = new java.util.ArrayList<>(java.util.List.of(
        RealKernel.HOME.resolve("bin/rund").toString(), "execute", "-fifo", fifo.toString(), "--"));
    argv.addAll(java.util.List.of(command));
    return new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .start();
  }

  /**
   * The launch step is waiting: blocked in the kernel opening the FIFO (its kernel stack shows fifo_open; nobody has
   * the FIFO open for writing yet), still the shell rather than CMD, with nothing printed.
   */
  private static void assertWaiting(Process p) throws IOException {
    long pid = p.pid();
    Path stack = Path.of("/proc", Long.toString(pid), "stack");
    RealKernel.await("the launch step " + pid + " to block opening the FIFO",
        () -> RealKernel.readOrEmpty(stack).contains("fifo_open") || !p.isAlive());
    assertTrue(p.isAlive(), "the launch step ended before its release");
    // The shell running bin/rund is named after its script; CMD would carry its own name.
    assertEquals("rund", RealKernel.stat(pid).orElseThrow().comm(), "still the launch shell, CMD not exec'd yet");
    assertEquals(0, p.getInputStream().available(), "nothing printed before the release");
  }

  @Test
  void releasedWithGoTheCommandRunsInTheCgroupTheWaitingStepWasPlacedIn() throws Exception {
    RealKernel.requireGuest();
    Path fifo = fifo("go.fifo");
    Process step = execute(fifo, "cat", "/proc/self/cgroup");
    assertWaiting(step);
    assertEquals(Optional.of("/"), RealKernel.procCgroup(step.pid()));
    RealKernel.write(TARGET.resolve("cgroup.procs"), Long.toString(step.pid()));
    assertEquals(Optional.of("/rund-execute-test"), RealKernel.procCgroup(step.pid()));
    Files.writeString(fifo, "go\n", StandardCharsets.US_ASCII);
    assertTrue(step.waitFor(60, TimeUnit.SECONDS), "the command did not end");
    String out = new String(step.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(step.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, step.exitValue(), err);
    assertEquals("0::/rund-execute-test\n", out, "CMD's own view of its cgroup; stderr: " + err);
  }

  @Test
  void anyOtherLineExits125WithoutRunningTheCommand() throws Exception {
    RealKernel.requireGuest();
    Path fifo = fifo("no.fifo");
    Path marker = dir.resolve("ran");
    Process step = execute(fifo, "touch", marker.toString());
    assertWaiting(step);
    Files.writeString(fifo, "stop\n", StandardCharsets.US_ASCII);
    assertTrue(step.waitFor(60, TimeUnit.SECONDS), "the launch step did not end");
    assertEquals(125, step.exitValue());
    assertTrue(Files.notExists(marker), "CMD ran although it was not released");
    String err = new String(step.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(err.contains("not released"), err);
  }
}
