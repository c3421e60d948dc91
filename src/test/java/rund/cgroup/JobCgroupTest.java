package rund.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.sys.Signals;

class JobCgroupTest {
    private static final String ID = "01JD3Z4W3ZK6B7V1T9Q8X2M5RN";
    private static final String ID2 = "01JD3Z4W3ZK6B7V1T9Q8X2M5RP";
    private static final BlockDevices DISKS =
            BlockDevices.of(List.of(new BlockDevice("sda", 8, 0), new BlockDevice("vda", 254, 0)));

    @TempDir
    Path tmp;
    FakeKernel kernel;
    Path parent;
    CgroupSupport.Enabled support;
    FakeTicker ticker = new FakeTicker();
    FakeSignals signals = new FakeSignals();

    /** Time that moves only when the code under test sleeps; hooks run at given sleep counts. */
    static final class FakeTicker implements JobCgroup.Ticker {
        long now = 1_000_000_000L;
        int sleeps;
        long slept;
        final Map<Integer, ThrowingRunnable> atSleep = new HashMap<>();

        interface ThrowingRunnable {
            void run() throws IOException;
        }

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public void sleep(long nanos) {
            assertTrue(nanos >= 0 && nanos <= Duration.ofMillis(50).toNanos(), "pause " + nanos);
            now += nanos;
            slept += nanos;
            sleeps++;
            ThrowingRunnable hook = atSleep.get(sleeps);
            if (hook != null) {
                try {
                    hook.run();
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }
        }
    }

    /** Records signals; a hook per pid simulates what the process does on a signal (die, fork). */
    static final class FakeSignals implements JobCgroup.Signaller {
        final List<String> sent = new ArrayList<>();
        final Map<Long, FakeTicker.ThrowingRunnable> onSignal = new HashMap<>();

        @Override
        public void signal(long pid, int signal) throws IOException {
            sent.add(pid + ":" + signal);
            FakeTicker.ThrowingRunnable hook = onSignal.get(pid);
            if (hook != null) {
                hook.run();
            }
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        kernel = new FakeKernel(tmp.resolve("cgroup"), "cpu io memory pids");
        kernel.setSubtreeControl(kernel.top, "cpu io memory pids");
        parent = kernel.cgroup("rund");
        kernel.setSubtreeControl(parent, "cpu io memory pids");
        support = new CgroupSupport.Enabled(kernel.top, parent, EnumSet.allOf(Controller.class), Map.of(), "test");
    }

    private JobCgroup create(JobLimits limits) throws Exception {
        return JobCgroup.create(support, ID, limits, DISKS, kernel, ticker, signals);
    }

    @Test
    void createWritesOnlyTheLimitsThatAreSet() throws Exception {
        JobCgroup cg = create(JobLimits.none().withCpuQuotaMicros(50_000).withMemoryMaxBytes(64 << 20)
                .withReadBps(2 << 20).withWriteIops(100));
        assertEquals(parent.resolve(ID), cg.path());
        assertEquals("/rund/" + ID, cg.relativePath());
        assertEquals(List.of(
                "mkdir /rund/" + ID,
                "write /rund/" + ID + "/cpu.max 50000 100000",
                "write /rund/" + ID + "/memory.max 67108864",
                "write /rund/" + ID + "/memory.swap.max 0",
                "write /rund/" + ID + "/io.max 8:0 rbps=2097152 wiops=100",
                "write /rund/" + ID + "/io.max 254:0 rbps=2097152 wiops=100"), kernel.log);
        assertEquals("8:0 rbps=2097152 wiops=100\n254:0 rbps=2097152 wiops=100\n", kernel.content(cg.path(), "io.max"));
    }

    @Test
    void createWithoutLimitsOnlyMakesTheDirectory() throws Exception {
        create(JobLimits.none());
        assertEquals(List.of("mkdir /rund/" + ID), kernel.log);
    }

    @Test
    void failedLimitWriteRemovesTheDirectory() {
        kernel.failWrites.add("io.max");
        IOException e = assertThrows(IOException.class,
                () -> create(JobLimits.none().withCpuQuotaMicros(20_000).withReadBps(100)));
        assertEquals("writing \"8:0 rbps=100\" to " + parent.resolve(ID).resolve("io.max") + " failed: Invalid argument",
                e.getMessage());
        assertFalse(Files.exists(parent.resolve(ID)));
        assertEquals("rmdir /rund/" + ID, kernel.log.getLast());
    }

    @Test
    void existingDirectoryIsNeitherReusedNorRemoved() throws Exception {
        Path existing = kernel.cgroup("rund/" + ID, 99);
        assertThrows(FileAlreadyExistsException.class, () -> create(JobLimits.none().withCpuQuotaMicros(20_000)));
        assertTrue(Files.isDirectory(existing));
        assertEquals(List.of("mkdir /rund/" + ID), kernel.log);
    }

    @Test
    void unavailableControllerFailsBeforeMkdir() {
        support = new CgroupSupport.Enabled(kernel.top, parent, EnumSet.of(Controller.CPU),
                Map.of(Controller.MEMORY, "bound to the cgroup v1 hierarchy at /sys/fs/cgroup/memory"), "test");
        LimitException e = assertThrows(LimitException.class,
                () -> create(JobLimits.none().withMemoryMaxBytes(1 << 30)));
        assertEquals(LimitException.Kind.UNAVAILABLE, e.kind());
        assertTrue(e.getMessage().contains("memory"), e::getMessage);
        assertEquals(List.of(), kernel.log);
    }

    @Test
    void ioLimitWithoutDiskFailsBeforeMkdir() {
        LimitException e = assertThrows(LimitException.class, () -> JobCgroup.create(support, ID,
                JobLimits.none().withReadBps(1000), BlockDevices.of(List.of()), kernel, ticker, signals));
        assertEquals(LimitException.Kind.UNAVAILABLE, e.kind());
        assertEquals(List.of(), kernel.log);
    }

    @Test
    void nameMustBeAUlid() {
        for (String bad : List.of("", "..", "../etc", "rund-daemon", "01JD3Z4W3ZK6B7V1T9Q8X2M5R", "81JD3Z4W3ZK6B7V1T9Q8X2M5RN",
                "01JD3Z4W3ZK6B7V1T9Q8X2M5RU")) {
            assertThrows(IllegalArgumentException.class,
                    () -> JobCgroup.create(support, bad, JobLimits.none(), DISKS, kernel, ticker, signals), bad);
        }
        assertEquals(List.of(), kernel.log);
        assertTrue(JobCgroup.isJobName(ID));
        assertTrue(JobCgroup.isJobName(ID.toLowerCase(java.util.Locale.ROOT)));
        assertFalse(JobCgroup.isJobName("81JD3Z4W3ZK6B7V1T9Q8X2M5RN"));
        assertFalse(JobCgroup.isJobName("01JD3Z4W3ZK6B7V1T9Q8X2M5RU"));
    }

    @Test
    void placePidsAndPopulated() throws Exception {
        JobCgroup cg = create(JobLimits.none());
        assertFalse(cg.populated());
        assertEquals(List.of(), cg.pids());
        cg.place(321);
        assertTrue(cg.populated());
        assertEquals(List.of(321L), cg.pids());
        assertEquals("write /rund/" + ID + "/cgroup.procs 321", kernel.log.getLast());
    }

    @Test
    void pidsIncludeSubCgroupsAndSkipForeignNamespaces() throws Exception {
        JobCgroup cg = create(JobLimits.none());
        kernel.setProcs(cg.path(), 10, 0, 11);
        kernel.cgroup("rund/" + ID + "/inner", 12);
        assertEquals(List.of(10L, 11L, 12L), cg.pids());
    }

    @Test
    void signalAllRereadsUntilNoNewPid() throws Exception {
        JobCgroup cg = create(JobLimits.none());
        kernel.setProcs(cg.path(), 100, 101);
        // 100 forks 102 while being signalled; 102 forks 103.
        signals.onSignal.put(100L, () -> kernel.setProcs(cg.path(), 100, 101, 102));
        signals.onSignal.put(102L, () -> kernel.setProcs(cg.path(), 100, 101, 102, 103));
        cg.signalAll(15);
        assertEquals(List.of("100:15", "101:15", "102:15", "103:15"), signals.sent);
    }

    @Test
    void signalAllStopsAfterBoundedRoundsOfForks() throws Exception {
        JobCgroup cg = create(JobLimits.none());
        kernel.setProcs(cg.path(), 1000);
        for (long pid = 1000; pid < 1000 + 500; pid++) {
            long child = pid + 1;
            signals.onSignal.put(pid, () -> kernel.setProcs(cg.path(), child));
        }
        cg.signalAll(15);
        assertEquals(JobCgroup.MAX_SIGNAL_ROUNDS, signals.sent.size());
    }

    @Test
    void killSignallerNeverTargetsSpecialPids() {
        long self = 500;
        for (long pid : new long[] {-1, 0, 1, self, 1L << 31}) {
            assertFalse(JobCgroup.mayBeSignalled(pid, self), Long.toString(pid));
        }
        for (long pid : new long[] {2, 499, 501, Integer.MAX_VALUE}) {
            assertTrue(JobCgroup.mayBeSignalled(pid, self), Long.toString(pid));
        }
    }

    /** The real signaller on a child of this test: SIGTERM ends it, and a pid that is gone is not an error. */
    @Test
    void killSignallerSendsTheSignal() throws Exception {
        Process child = new ProcessBuilder("sleep", "30").start();
        try {
            JobCgroup.Signaller.KILL.signal(child.pid(), Signals.SIGTERM);
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
            assertEquals(128 + Signals.SIGTERM, child.exitValue());
            JobCgroup.Signaller.KILL.signal(child.pid(), Signals.SIGTERM);
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void killAllUsesCgroupKill() throws Exception {
        JobCgroup cg = create(JobLimits.none());
        kernel.setProcs(cg.path(), 7, 8);
        kernel.cgroup("rund/" + ID + "/sub", 9);
        assertTrue(cg.hasCgroupKill());
        cg.killAll();
        assertEquals("write /rund/" + ID + "/cgroup.kill 1", kernel.log.getLast());
        assertEquals(List.of(), signals.sent);
        assertEquals(List.of(7L, 8L, 9L), kernel.killedByCgroupKill.stream().sorted().toList());
        assertFalse(cg.populated());
    }

    @Test
    void killAllWithoutCgroupKillRepeatsUntilEmpty() throws Exception {
        kernel.hasCgroupKill = false;
        JobCgroup cg = create(JobLimits.none());
        assertFalse(cg.hasCgroupKill());
        kernel.setProcs(cg.path(), 20, 21);
        // 20 forks 22 before dying; 21 takes until the next round to die (uninterruptible sleep).
        signals.onSignal.put(20L, () -> kernel.setProcs(cg.path(), 21, 22));
        signals.onSignal.put(22L, () -> kernel.setProcs(cg.path(), 21));
        ticker.atSleep.put(2, () -> kernel.setProcs(cg.path()));
        cg.killAll();
        assertEquals(List.of(), cg.pids());
        assertEquals(List.of("20:9", "21:9", "21:9", "22:9"), signals.sent);
        assertEquals(2, ticker.sleeps);
    }

    @Test
    void killAllWithoutCgroupKillGivesUpAtTheDeadline() throws Exception {
        kernel.hasCgroupKill = false;
        JobCgroup cg = create(JobLimits.none());
        kernel.setProcs(cg.path(), 30);
        IOException e = assertThrows(IOException.class, cg::killAll);
        assertTrue(e.getMessage().contains("survive SIGKILL"), e::getMessage);
        assertTrue(ticker.slept >= JobCgroup.KILL_FALLBACK_TIMEOUT.toNanos() - Duration.ofMillis(50).toNanos());
    }

    @Test
    void removeWaitsForPopulatedZeroThenRetriesEbusy() throws Exception {
        JobCgroup cg = create(JobLimits.none());
        kernel.setProcs(cg.path(), 40);
        ticker.atSleep.put(3, () -> kernel.setProcs(cg.path()));
        kernel.rmdirBusy = 2;
        cg.remove(Duration.ofSeconds(5));
        assertFalse(Files.exists(cg.path()));
        assertEquals(3 + 2, ticker.sleeps);
        assertEquals(3, kernel.log.stream().filter(l -> l.startsWith("rmdir")).count());
        // 1 + 2 + 4 ms while populated, then 1 + 2 ms between rmdir attempts
        assertEquals(Duration.ofMillis(1 + 2 + 4 + 1 + 2).toNanos(), ticker.slept);
    }

    @Test
    void removeOfAnEmptyCgroupDoesNotSleep() throws Exception {
        JobCgroup cg = create(JobLimits.none());
        cg.remove(Duration.ofSeconds(1));
        assertFalse(Files.exists(cg.path()));
        assertEquals(0, ticker.sleeps);
    }

    @Test
    void removeThrowsWhenStillPopulatedAtTheDeadline() throws Exception {
        JobCgroup cg = create(JobLimits.none());
        kernel.setProcs(cg.path(), 41);
        IOException e = assertThrows(IOException.class, () -> cg.remove(Duration.ofMillis(200)));
        assertTrue(e.getMessage().contains("still holds processes [41]"), e::getMessage);
        assertTrue(Files.isDirectory(cg.path()));
        assertTrue(kernel.log.stream().noneMatch(l -> l.startsWith("rmdir")), kernel.log::toString);
        assertTrue(ticker.slept <= Duration.ofMillis(200).toNanos(), "slept past the deadline");
    }

    @Test
    void removeThrowsWhenRmdirStaysBusy() throws Exception {
        JobCgroup cg = create(JobLimits.none());
        kernel.rmdirBusy = Integer.MAX_VALUE;
        IOException e = assertThrows(IOException.class, () -> cg.remove(Duration.ofMillis(100)));
        assertTrue(e.getMessage().contains("Device or resource busy"), e::getMessage);
        assertTrue(Files.isDirectory(cg.path()));
    }

    @Test
    void removeTakesSubCgroupsFirst() throws Exception {
        JobCgroup cg = create(JobLimits.none());
        kernel.cgroup("rund/" + ID + "/a/b");
        cg.remove(Duration.ofSeconds(1));
        assertFalse(Files.exists(cg.path()));
        assertEquals(List.of("rmdir /rund/" + ID + "/a/b", "rmdir /rund/" + ID + "/a", "rmdir /rund/" + ID),
                kernel.log.stream().filter(l -> l.startsWith("rmdir")).toList());
    }

    @Test
    void removeOfAGoneCgroupIsFine() throws Exception {
        JobCgroup cg = create(JobLimits.none());
        cg.remove(Duration.ofSeconds(1));
        cg.remove(Duration.ofSeconds(1));
    }

    @Test
    void usageFromKernelFiles() throws Exception {
        JobCgroup cg = create(JobLimits.none());
        kernel.put(cg.path(), "cpu.stat", "usage_usec 611234\nuser_usec 600000\nsystem_usec 11234\nnr_periods 40\n"
                + "nr_throttled 30\nthrottled_usec 2400000\n");
        kernel.put(cg.path(), "memory.peak", "268435456\n");
        kernel.put(cg.path(), "memory.current", "4096\n");
        kernel.put(cg.path(), "memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n");
        kernel.put(cg.path(), "io.stat", "8:0 rbytes=2097152 wbytes=1048576 rios=16 wios=8 dbytes=0 dios=0\n"
                + "254:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n"
                + "253:0 rbytes=2097152 wbytes=1048576 rios=16 wios=8 dbytes=0 dios=0\n");
        CgroupUsage u = cg.usage();
        assertEquals(new CgroupUsage(OptionalLong.of(611234), OptionalLong.of(30), OptionalLong.of(2400000),
                OptionalLong.of(268435456), OptionalLong.of(2097152 + 4096), OptionalLong.of(1048576), 1), u);
        assertTrue(u.oomKilled());
        assertEquals(OptionalLong.of(4096), cg.memoryCurrentBytes());
    }

    /** An old kernel without memory.peak and a job parent without the io controller. */
    @Test
    void usageWithMissingFiles() throws Exception {
        JobCgroup cg = create(JobLimits.none());
        Files.delete(cg.path().resolve("memory.peak"));
        Files.delete(cg.path().resolve("io.stat"));
        Files.delete(cg.path().resolve("memory.events"));
        CgroupUsage u = cg.usage();
        assertEquals(OptionalLong.of(0), u.cpuUsec());
        assertEquals(OptionalLong.empty(), u.cpuThrottledPeriods());
        assertEquals(OptionalLong.empty(), u.memoryPeakBytes());
        assertEquals(OptionalLong.empty(), u.ioReadBytes());
        assertEquals(0, u.oomKills());
        assertFalse(u.oomKilled());
    }

    @Test
    void removeStaleKillsAndRemovesOnlyJobCgroups() throws Exception {
        kernel.cgroup("rund/" + ID, 50, 51);
        kernel.cgroup("rund/" + ID2);
        kernel.cgroup("rund/rund-daemon", 1);
        kernel.cgroup("rund/manual");
        kernel.cgroup("rund/UUUUUUUUUUUUUUUUUUUUUUUUUU"); // 26 characters, not a ULID (U is not Crockford)
        int removed = JobCgroup.removeStale(support, Duration.ofSeconds(1), kernel, ticker, signals);
        assertEquals(2, removed);
        assertEquals(List.of(parent.resolve("UUUUUUUUUUUUUUUUUUUUUUUUUU"), parent.resolve("manual"),
                parent.resolve("rund-daemon")), kernel.subdirectories(parent));
        assertEquals(List.of(50L, 51L), kernel.killedByCgroupKill);
        assertEquals(List.of(1L), kernel.procs(parent.resolve("rund-daemon")));
    }

    @Test
    void removeStaleReportsFailuresAfterTryingAll() throws Exception {
        kernel.hasCgroupKill = false;
        kernel.cgroup("rund/" + ID, 60); // survives SIGKILL: the fake signaller does not end it
        kernel.cgroup("rund/" + ID2);
        IOException e = assertThrows(IOException.class,
                () -> JobCgroup.removeStale(support, Duration.ofSeconds(1), kernel, ticker, signals));
        assertTrue(e.getMessage().startsWith("removed 1 stale job cgroup(s) under " + parent + ", 1 could not be"
                + " removed"), e::getMessage);
        assertFalse(Files.exists(parent.resolve(ID2)));
        assertTrue(Files.exists(parent.resolve(ID)));
    }
}
