package rund.realkernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rund.realkernel.RealKernel.CGROUP;
import static rund.realkernel.RealKernel.awaitFinal;
import static rund.realkernel.RealKernel.memory;

import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.api.JobStatus;
import rund.api.Limits;
import rund.api.State;
import rund.testing.TestClient;

/**
 * A daemon started inside a cgroup that already holds another process (CgroupSupport's rules): with cgroupRoot "auto"
 * it may not turn that cgroup into a parent of job cgroups, so it runs degraded, touches nothing and refuses limits
 * with FAILED_PRECONDITION naming the reason; with an explicit cgroupRoot elsewhere it enforces limits.
 */
class NestingTest {
  static final Path OUTER = CGROUP.resolve("outer");
  static final Path NESTED = CGROUP.resolve("rund-nested");
  /** A cgroup holding the daemon alone, as systemd's Delegate=yes gives a service. */
  static final Path DELEGATED = CGROUP.resolve("delegated");
  static final String ALLOCATE_256M = MemoryLimitTest.ALLOCATE_256M;

  @TempDir static Path dir;
  static Vertx vertx;
  static Process neighbour;

  @BeforeAll
  static void start() throws Exception {
    RealKernel.requireGuest();
    assertFalse(Files.exists(OUTER), OUTER + " exists before the test made it");
    Files.createDirectory(OUTER);
    // Another process in the daemon's future cgroup, put there before it execs sleep.
    neighbour = new ProcessBuilder("/bin/sh", "-c", "echo $$ > \"$0\" && exec sleep 1000",
        OUTER.resolve("cgroup.procs").toString()).redirectErrorStream(true).start();
    RealKernel.await("the neighbour to sit in " + OUTER,
        () -> RealKernel.procCgroup(neighbour.pid()).equals(Optional.of("/outer"))
            && RealKernel.stat(neighbour.pid()).map(s -> s.comm().equals("sleep")).orElse(false));
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      vertx.close().await();
    }
    if (neighbour != null) {
      neighbour.destroyForcibly();
      assertTrue(neighbour.waitFor(30, TimeUnit.SECONDS));
    }
    for (Path cgroup : List.of(DELEGATED.resolve("rund-daemon"), DELEGATED, OUTER, NESTED)) {
      if (Files.isDirectory(cgroup)) {
        RealKernel.await(cgroup + " to hold no process", () -> RealKernel.cgroupProcs(cgroup).isEmpty()
            && RealKernel.readOrEmpty(cgroup.resolve("cgroup.events")).contains("populated 0"));
        assertEquals(List.of(), RealKernel.jobCgroups(cgroup), "job cgroups left under " + cgroup);
        RealKernel.await("rmdir " + cgroup, () -> {
          try {
            Files.delete(cgroup);
            return true;
          } catch (IOException e) {
            return false; // EBUSY for a moment after the last process left
          }
        });
      }
    }
  }

  private static List<Path> subdirectories(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.filter(Files::isDirectory).toList();
    }
  }

  @Test
  void withAutoInACrowdedCgroupTheDaemonRunsDegradedTouchesNothingAndRefusesLimitsNamingWhy() throws Exception {
    RealKernel.requireGuest();
    String subtreeBefore = RealKernel.read(OUTER.resolve("cgroup.subtree_control"));
    try (ServeProcess daemon = ServeProcess.start(dir.resolve("auto"), OUTER.resolve("cgroup.procs"));
        TestClient client = daemon.client(vertx)) {
      assertEquals(Optional.of("/outer"), RealKernel.procCgroup(daemon.pid()), "the daemon stays where it started");
      assertEquals(List.of(Math.min(neighbour.pid(), daemon.pid()), Math.max(neighbour.pid(), daemon.pid())),
          RealKernel.cgroupProcs(OUTER), "cgroup.procs of " + OUTER);
      assertEquals(List.of(), subdirectories(OUTER), "degraded detection must not create anything in " + OUTER);
      assertEquals(subtreeBefore, RealKernel.read(OUTER.resolve("cgroup.subtree_control")),
          "degraded detection must not enable controllers in " + OUTER);
      assertTrue(daemon.output().contains("degraded"), "the daemon's log says it runs degraded:\n" + daemon.output());

      // It works: jobs run (in the daemon's own cgroup, without one of their own).
      String id = client.start("cat", "/proc/self/cgroup");
      assertEquals("0::/outer\n", client.log(id).out());
      JobStatus done = awaitFinal(client, id);
      assertEquals(State.STATE_EXITED, done.getState(), done.toString());
      assertEquals("", done.getCgroup(), "a degraded job has no cgroup");

      // Every limit is refused, naming the controller and why.
      for (Limits limits : List.of(memory(64L << 20), RealKernel.cpu(50_000),
          Limits.newBuilder().setMaxWbps(RealKernel.u64(1 << 20)).build())) {
        TestClient.CallFailed refused = assertThrows(TestClient.CallFailed.class, () -> client.start(limits, "true"));
        assertEquals(GrpcStatus.FAILED_PRECONDITION, refused.status, refused.getMessage());
        String controller = limits.hasMaxMemoryUsage() ? "memory" : limits.hasMaxCpuBandwidth() ? "cpu" : "io";
        assertTrue(refused.getMessage().contains(controller + " limit requested"), refused.getMessage());
        assertTrue(refused.getMessage().contains("holds other processes")
            && refused.getMessage().contains(Long.toString(neighbour.pid())), "the reason names the neighbour: "
            + refused.getMessage());
      }
      assertEquals(List.of(), subdirectories(OUTER), "refused starts created nothing in " + OUTER);

      // Stop works degraded too (the job's process group).
      String sleeper = client.start("sleep", "1000");
      JobStatus stopped = client.stop(sleeper);
      assertEquals(State.STATE_SIGNALED, stopped.getState(), stopped.toString());
      assertEquals(15, stopped.getSignal().getValue());
    }
  }

  @Test
  void withAnExplicitCgroupRootOutsideItTheDaemonEnforcesLimits() throws Exception {
    RealKernel.requireGuest();
    try (ServeProcess daemon = ServeProcess.start(dir.resolve("explicit"), OUTER.resolve("cgroup.procs"),
        "-cgroup-root", NESTED.toString()); TestClient client = daemon.client(vertx)) {
      assertEquals(Optional.of("/outer"), RealKernel.procCgroup(daemon.pid()),
          "with an explicit root the daemon does not move itself");
      assertTrue(Files.isDirectory(NESTED), NESTED + " created");
      String subtree = RealKernel.read(NESTED.resolve("cgroup.subtree_control"));
      assertTrue(List.of(subtree.split(" ")).containsAll(List.of("cpu", "io", "memory", "pids")),
          "controllers enabled for jobs in " + NESTED + ": " + subtree);

      String id = client.start("cat", "/proc/self/cgroup");
      JobStatus first = client.status(id);
      assertEquals("0::" + RealKernel.relativeCgroup(first) + "\n", client.log(id).out());
      assertTrue(RealKernel.relativeCgroup(first).startsWith("/rund-nested/"), first.getCgroup());

      String oom = client.start(memory(32L << 20), "perl", "-e", ALLOCATE_256M);
      JobStatus killed = awaitFinal(client, oom);
      assertEquals(State.STATE_SIGNALED, killed.getState(), killed.toString());
      assertEquals(9, killed.getSignal().getValue(), killed.toString());
      assertTrue(killed.getOomKilled(), killed.toString());
      assertFalse(Files.exists(RealKernel.cgroupDir(killed)), "the OOM-killed job's cgroup remains");
      assertEquals(List.of(), RealKernel.jobCgroups(NESTED), "job cgroups under " + NESTED);
    }
  }

  /**
   * "auto" in a cgroup that holds the daemon alone: the daemon moves itself into the leaf rund-daemon (a cgroup that
   * enables controllers for its children may hold no process), and jobs go beside it, with limits enforced.
   */
  @Test
  void withAutoInACgroupOfItsOwnTheDaemonMovesIntoALeafAndEnforcesLimitsBesideIt() throws Exception {
    RealKernel.requireGuest();
    Files.createDirectory(DELEGATED);
    try (ServeProcess daemon = ServeProcess.start(dir.resolve("delegated"), DELEGATED.resolve("cgroup.procs"));
        TestClient client = daemon.client(vertx)) {
      assertEquals(Optional.of("/delegated/rund-daemon"), RealKernel.procCgroup(daemon.pid()),
          "the daemon moved itself into its leaf");
      assertEquals(List.of(), RealKernel.cgroupProcs(DELEGATED), "no process left in " + DELEGATED);
      String subtree = RealKernel.read(DELEGATED.resolve("cgroup.subtree_control"));
      assertTrue(List.of(subtree.split(" ")).containsAll(List.of("cpu", "io", "memory", "pids")),
          "controllers enabled for jobs in " + DELEGATED + ": " + subtree);

      String id = client.start(RealKernel.cpu(30_000), "sleep", "1000");
      JobStatus running = client.status(id);
      assertEquals("/delegated/" + id, RealKernel.relativeCgroup(running));
      assertEquals(Optional.of("/delegated/" + id), RealKernel.procCgroup(running.getPid()));
      assertEquals("30000 100000", RealKernel.read(RealKernel.cgroupDir(running).resolve("cpu.max")));
      JobStatus stopped = client.stop(id);
      assertFalse(Files.exists(RealKernel.cgroupDir(stopped)), "the stopped job's cgroup remains");

      JobStatus killed = awaitFinal(client, client.start(memory(32L << 20), "perl", "-e", ALLOCATE_256M));
      assertTrue(killed.getOomKilled(), killed.toString());
      assertEquals(List.of(), RealKernel.jobCgroups(DELEGATED), "job cgroups under " + DELEGATED);
    }
  }
}
