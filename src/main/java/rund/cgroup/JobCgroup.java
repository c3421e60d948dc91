package rund.cgroup;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;
import rund.sys.Processes;
import rund.sys.Signals;

/**
 * One job's cgroup: a directory {@code jobParent/<job ULID>}. Created with its limits before the job's first
 * instruction runs, stopped as a whole, read for its final usage and removed after the job. All methods block on
 * cgroupfs I/O and belong on a worker thread.
 */
public final class JobCgroup {
    /** A ULID in Crockford base32; its first character is at most 7 (48-bit timestamp). */
    private static final Pattern ULID = Pattern.compile("[0-7][0-9A-HJKMNP-TV-Z]{25}", Pattern.CASE_INSENSITIVE);
    /** signalAll stops after this many rounds of new pids: a fork loop must not keep the caller forever. */
    static final int MAX_SIGNAL_ROUNDS = 100;
    /** How long killAll keeps sending SIGKILL on kernels without cgroup.kill before giving up. */
    static final Duration KILL_FALLBACK_TIMEOUT = Duration.ofSeconds(5);
    private static final long FIRST_PAUSE_NANOS = Duration.ofMillis(1).toNanos();
    private static final long MAX_PAUSE_NANOS = Duration.ofMillis(50).toNanos();
    private static final int SIGKILL = Signals.SIGKILL;

    /** Time and sleeping, replaced in tests so that waiting needs no real time. */
    interface Ticker {
        long nanoTime();

        void sleep(long nanos) throws InterruptedException;

        Ticker SYSTEM = new Ticker() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public void sleep(long nanos) throws InterruptedException {
                Thread.sleep(Duration.ofNanos(nanos));
            }
        };
    }

    /** Sends a signal to one process; a process that is already gone is not an error. */
    interface Signaller {
        void signal(long pid, int signal) throws IOException;

        /**
         * kill(2). Never signals pid 0, 1 or a negative pid (this process group, init, every process) nor the
         * daemon itself, whatever a cgroup.procs file says: those can only be there by mistake.
         */
        Signaller KILL = (pid, signal) -> {
            if (mayBeSignalled(pid, ProcessHandle.current().pid())) {
                Processes.kill((int) pid, signal);
            }
        };
    }

    static boolean mayBeSignalled(long pid, long self) {
        return pid > 1 && pid <= Integer.MAX_VALUE && pid != self;
    }

    private final Path path;
    private final Path mount;
    private final Set<String> disks;
    private final CgroupFs fs;
    private final Ticker ticker;
    private final Signaller signaller;

    private JobCgroup(Path path, Path mount, BlockDevices devices, CgroupFs fs, Ticker ticker, Signaller signaller) {
        this.path = path;
        this.mount = mount;
        Set<String> d = new HashSet<>();
        devices.disks().forEach(disk -> d.add(disk.majMin()));
        this.disks = Set.copyOf(d);
        this.fs = fs;
        this.ticker = ticker;
        this.signaller = signaller;
    }

    /**
     * Creates {@code jobParent/name} and writes the limits that are set (cpu.max, memory.max and memory.swap.max,
     * io.max once per whole disk). On any failure the directory is removed again and the exception thrown; a
     * directory that already exists is an error and is left alone.
     *
     * @param name the job's ULID; {@link #removeStale} recognises job cgroups by it
     * @throws LimitException UNAVAILABLE when a limit needs a controller or disk this host lacks (normally caught
     *         earlier by {@link LimitValidator})
     */
    public static JobCgroup create(CgroupSupport.Enabled support, String name, JobLimits limits, BlockDevices devices)
            throws IOException, LimitException {
        return create(support, name, limits, devices, CgroupFs.REAL, Ticker.SYSTEM, Signaller.KILL);
    }

    static JobCgroup create(CgroupSupport.Enabled support, String name, JobLimits limits, BlockDevices devices,
                            CgroupFs fs, Ticker ticker, Signaller signaller) throws IOException, LimitException {
        requireJobName(name);
        LimitValidator.checkAvailable(limits, support, devices);
        Path dir = support.jobParent().resolve(name);
        fs.mkdir(dir);
        JobCgroup cgroup = new JobCgroup(dir, support.mount(), devices, fs, ticker, signaller);
        try {
            Cpu.apply(fs, dir, limits);
            Memory.apply(fs, dir, limits);
            Io.apply(fs, dir, limits, devices);
        } catch (IOException | RuntimeException e) {
            try {
                fs.rmdir(dir);
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        return cgroup;
    }

    /** An existing job cgroup, for start-up cleanup. */
    static JobCgroup open(CgroupSupport.Enabled support, String name, CgroupFs fs, Ticker ticker,
                          Signaller signaller) {
        requireJobName(name);
        return new JobCgroup(support.jobParent().resolve(name), support.mount(), BlockDevices.of(List.of()), fs,
                ticker, signaller);
    }

    static boolean isJobName(String name) {
        return ULID.matcher(name).matches();
    }

    private static void requireJobName(String name) {
        Objects.requireNonNull(name, "name");
        if (!isJobName(name)) {
            throw new IllegalArgumentException("job cgroup name must be a ULID, not \"" + name + "\"");
        }
    }

    public Path path() {
        return path;
    }

    /** The path relative to the cgroup2 mount, "/rund/01J...", as /proc/PID/cgroup shows it. */
    public String relativePath() {
        return "/" + mount.relativize(path);
    }

    /**
     * Moves {@code pid} (with all its threads) into this cgroup. Only safe for a process that runs no user code yet,
     * such as a launch helper waiting to be released: anything it forked before stays outside.
     */
    public void place(long pid) throws IOException {
        fs.write(path.resolve("cgroup.procs"), Long.toString(pid));
    }

    /**
     * The processes of this cgroup and of any cgroup below it (a job running as root may create sub-cgroups), each
     * once. cgroup.procs lists a process as 0 when it lives outside the reader's pid namespace; those are left out.
     */
    public List<Long> pids() throws IOException {
        Set<Long> result = new LinkedHashSet<>();
        collectPids(path, result);
        return List.copyOf(result);
    }

    private void collectPids(Path dir, Set<Long> into) throws IOException {
        into.addAll(KeyedFiles.parsePids(fs.read(dir.resolve("cgroup.procs"))));
        for (Path child : fs.subdirectories(dir)) {
            collectPids(child, into);
        }
    }

    /** cgroup.events "populated": true while any process lives in this cgroup or below. */
    public boolean populated() throws IOException {
        return KeyedFiles.get(KeyedFiles.parseFlat(fs.read(path.resolve("cgroup.events"))), "populated")
                .orElse(0) != 0;
    }

    /**
     * Sends {@code signal} to every process of the cgroup. A process may fork between reading cgroup.procs and
     * signalling, so the list is read again until it shows no pid that has not been signalled (at most
     * {@value #MAX_SIGNAL_ROUNDS} rounds, so a fork loop cannot hold the caller).
     *
     * <p>A pid read from cgroup.procs may be reused by an unrelated process if its owner exits before the signal is
     * sent; the window is the short time between the read and kill(2). SIGKILL through {@link #killAll()} has no
     * such window where the kernel has cgroup.kill.
     */
    public void signalAll(int signal) throws IOException {
        Set<Long> signalled = new HashSet<>();
        for (int round = 0; round < MAX_SIGNAL_ROUNDS; round++) {
            boolean sawNew = false;
            for (long pid : pids()) {
                if (signalled.add(pid)) {
                    sawNew = true;
                    signaller.signal(pid, signal);
                }
            }
            if (!sawNew) {
                return;
            }
        }
    }

    /**
     * Kills every process of the cgroup and below. With cgroup.kill (Linux 5.14+) the kernel does it atomically,
     * forks included, and this returns at once; the processes are gone when {@link #populated()} turns false.
     * Older kernels: SIGKILL every pid in cgroup.procs, again and again until it is empty (a process forked during
     * the round shows up in the next read), for at most {@link #KILL_FALLBACK_TIMEOUT}.
     */
    public void killAll() throws IOException {
        liftIoLimits();
        Path kill = path.resolve("cgroup.kill");
        if (fs.exists(kill)) {
            fs.write(kill, "1");
            return;
        }
        long deadline = ticker.nanoTime() + KILL_FALLBACK_TIMEOUT.toNanos();
        long pause = FIRST_PAUSE_NANOS;
        while (true) {
            List<Long> pids = pids();
            if (pids.isEmpty()) {
                return;
            }
            for (long pid : pids) {
                signaller.signal(pid, SIGKILL);
            }
            if (ticker.nanoTime() >= deadline) {
                throw new IOException("processes of " + path + " survive SIGKILL after " + KILL_FALLBACK_TIMEOUT
                        + ": " + pids);
            }
            pause = pause(pause, deadline);
        }
    }

    /**
     * The figures the job's status shows. Call it before {@link #remove}: they go with the directory. io.stat is
     * summed over the whole disks the cgroup was created with (over every line when it knows none), so I/O through
     * device-mapper or md is not counted twice.
     */
    /**
     * A process waiting on I/O that io.max holds back sleeps uninterruptibly: no signal, cgroup.kill included,
     * ends it before its I/O is let through, which at a small limit can take hours. A job about to be killed
     * needs no limit any more, so every device line is set back to max first.
     */
    void liftIoLimits() throws IOException {
        Path ioMax = path.resolve("io.max");
        if (!fs.exists(ioMax)) {
            return;
        }
        for (String line : fs.read(ioMax).split("\n")) {
            String device = line.strip().split(" ")[0];
            if (device.matches("\\d+:\\d+")) {
                fs.write(ioMax, device + " rbps=max wbps=max riops=max wiops=max");
            }
        }
    }

    public CgroupUsage usage() throws IOException {
        Cpu.Stat cpu = fs.readIfExists(path.resolve(Cpu.STAT_FILE)).map(Cpu.Stat::parse).orElse(Cpu.Stat.NONE);
        OptionalLong peak = fs.readIfExists(path.resolve(Memory.PEAK_FILE))
                .map(Memory::parseBytes).orElse(OptionalLong.empty());
        long oomKills = fs.readIfExists(path.resolve(Memory.EVENTS_FILE)).map(Memory::parseOomKills).orElse(0L);
        Io.Stat io = fs.readIfExists(path.resolve(Io.STAT_FILE))
                .map(s -> Io.Stat.parse(s, disks)).orElse(Io.Stat.NONE);
        return new CgroupUsage(cpu.usageUsec(), cpu.throttledPeriods(), cpu.throttledUsec(), peak,
                io.readBytes(), io.writeBytes(), oomKills);
    }

    /**
     * memory.current, for sampling a peak on kernels without memory.peak (before 5.19); empty without the memory
     * controller.
     */
    public OptionalLong memoryCurrentBytes() throws IOException {
        return fs.readIfExists(path.resolve(Memory.CURRENT_FILE))
                .map(Memory::parseBytes).orElse(OptionalLong.empty());
    }

    /** True when the kernel offers cgroup.kill (5.14+), i.e. {@link #killAll()} is atomic. */
    public boolean hasCgroupKill() {
        return fs.exists(path.resolve("cgroup.kill"));
    }

    /**
     * Waits until cgroup.events says "populated 0", then removes the cgroup (and any sub-cgroup a job created),
     * retrying rmdir: it fails with EBUSY for a few milliseconds after the last process died
     * (containers/crun#657). Gives up at {@code timeout} with an IOException naming what is left. A cgroup that is
     * already gone counts as removed.
     *
     * <p>The wait reads cgroup.events with a backoff from 1 ms doubling to 50 ms, bounded by the deadline; there is
     * no fixed sleep. The kernel does announce changes of cgroup.events (poll(2) POLLPRI and inotify IN_MODIFY; on
     * Linux 6.1 a JDK WatchService on the cgroup directory reports ENTRY_MODIFY "cgroup.events"), but the JDK has
     * no poll(2) on a single file, and a WatchService costs an inotify instance and a poller thread per wait and
     * must be registered before the first read to avoid missing the change. The wait is normally over within
     * milliseconds of the kill, so a few reads of a tiny file cost less, and the deadline bounds them.
     */
    public void remove(Duration timeout) throws IOException {
        long deadline = ticker.nanoTime() + timeout.toNanos();
        long pause = FIRST_PAUSE_NANOS;
        while (true) {
            boolean busy;
            try {
                busy = populated();
            } catch (NoSuchFileException e) {
                return;
            }
            if (!busy) {
                break;
            }
            if (ticker.nanoTime() >= deadline) {
                throw new IOException(path + " still holds processes " + pids() + " after " + timeout);
            }
            pause = pause(pause, deadline);
        }
        removeTree(path, deadline, timeout);
    }

    private void removeTree(Path dir, long deadline, Duration timeout) throws IOException {
        List<Path> children;
        try {
            children = fs.subdirectories(dir);
        } catch (NoSuchFileException e) {
            return;
        }
        for (Path child : children) {
            removeTree(child, deadline, timeout);
        }
        long pause = FIRST_PAUSE_NANOS;
        while (true) {
            try {
                fs.rmdir(dir);
                return;
            } catch (NoSuchFileException e) {
                return;
            } catch (IOException e) {
                // EBUSY right after the last process exited; retried until the deadline.
                if (ticker.nanoTime() >= deadline) {
                    throw new IOException("removing " + dir + " failed for " + timeout + ": " + CgroupFs.describe(e),
                            e);
                }
            }
            pause = pause(pause, deadline);
        }
    }

    /** Sleeps {@code pause} (never past the deadline) and returns the next, doubled pause. */
    private long pause(long pause, long deadline) throws InterruptedIOException {
        long left = deadline - ticker.nanoTime();
        try {
            ticker.sleep(Math.max(0, Math.min(pause, left)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + path);
        }
        return Math.min(pause * 2, MAX_PAUSE_NANOS);
    }

    /**
     * Start-up cleanup. Jobs belong to the daemon instance that started them, so every job cgroup a previous
     * instance left under the job parent is killed (with its processes) and removed. Only directories named like a
     * job (a 26-character ULID) are touched: the daemon's own leaf and anything else an administrator put there stay.
     *
     * @return how many job cgroups were removed
     * @throws IOException after trying them all, when any could not be removed
     */
    public static int removeStale(CgroupSupport.Enabled support, Duration timeout) throws IOException {
        return removeStale(support, timeout, CgroupFs.REAL, Ticker.SYSTEM, Signaller.KILL);
    }

    static int removeStale(CgroupSupport.Enabled support, Duration timeout, CgroupFs fs, Ticker ticker,
                           Signaller signaller) throws IOException {
        int removed = 0;
        List<IOException> failures = new ArrayList<>();
        for (Path dir : fs.subdirectories(support.jobParent())) {
            String name = dir.getFileName().toString();
            if (!isJobName(name)) {
                continue;
            }
            JobCgroup stale = open(support, name, fs, ticker, signaller);
            try {
                stale.killAll();
                stale.remove(timeout);
                removed++;
            } catch (IOException e) {
                failures.add(e);
            }
        }
        if (!failures.isEmpty()) {
            IOException e = new IOException("removed " + removed + " stale job cgroup(s) under "
                    + support.jobParent() + ", " + failures.size() + " could not be removed: "
                    + failures.getFirst().getMessage());
            failures.forEach(e::addSuppressed);
            throw e;
        }
        return removed;
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
