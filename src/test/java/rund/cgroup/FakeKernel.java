package rund.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A cgroup2 hierarchy in a temporary directory with the kernel behaviour the package relies on: mkdir fills in the
 * interface files, cgroup.subtree_control takes "+ctrl" only for offered controllers and not while the cgroup holds
 * processes, cgroup.procs moves a pid and refuses a cgroup with enabled controllers (no internal processes),
 * cgroup.kill empties the subtree, rmdir fails with EBUSY while populated (and a chosen number of times more).
 * Every write, mkdir and rmdir is logged, relative to the mount, so tests can assert exactly what was written.
 * Errors look like the JDK's on cgroupfs: a failed write(2) is a plain IOException with the strerror text (no path),
 * a failed rmdir a FileSystemException naming the directory.
 */
final class FakeKernel implements CgroupFs {
    final Path top;
    final List<String> log = new ArrayList<>();
    /** Controllers whose "+ctrl" write the kernel refuses (e.g. cpu with a realtime process in the subtree). */
    final Set<String> refuseEnable = new HashSet<>();
    /** File names whose writes fail with EINVAL. */
    final Set<String> failWrites = new HashSet<>();
    /** Pids killed through cgroup.kill. */
    final List<Long> killedByCgroupKill = new ArrayList<>();
    /** Kernel 5.14+ (cgroup.kill) or older. */
    boolean hasCgroupKill = true;
    /** Whether memory.swap.max exists in new cgroups (swap accounting on). */
    boolean swapAccounting = true;
    /** How many more rmdir calls fail with EBUSY although the cgroup is empty (crun#657). */
    int rmdirBusy;
    /** When true, any write, mkdir or rmdir is a test failure. */
    boolean forbidWrites;

    /** A real root cgroup (no cgroup.type) offering {@code rootControllers}. */
    FakeKernel(Path top, String rootControllers) throws IOException {
        this.top = top;
        Files.createDirectories(top);
        put(top, "cgroup.controllers", rootControllers);
        put(top, "cgroup.subtree_control", "");
        put(top, "cgroup.procs", "");
        put(top, "cgroup.stat", "nr_descendants 0\n");
        put(top, "cpu.stat", "usage_usec 0\n");
    }

    // ---- setup helpers (not logged) ----

    /** Creates a non-root cgroup as the kernel would, without logging it. */
    Path cgroup(String relative, long... pids) throws IOException {
        Path dir = top.resolve(relative);
        if (!Files.isDirectory(dir.getParent())) {
            cgroup(top.relativize(dir.getParent()).toString());
        }
        if (!Files.isDirectory(dir)) {
            populate(dir);
        }
        setProcs(dir, pids);
        return dir;
    }

    void setSubtreeControl(Path dir, String controllers) throws IOException {
        put(dir, "cgroup.subtree_control", controllers);
        for (Path child : subdirectories(dir)) {
            put(child, "cgroup.controllers", controllers);
        }
    }

    void setProcs(Path dir, long... pids) throws IOException {
        put(dir, "cgroup.procs", Arrays.stream(pids).mapToObj(p -> p + "\n").collect(Collectors.joining()));
        updatePopulated();
    }

    List<Long> procs(Path dir) throws IOException {
        return KeyedFiles.parsePids(read(dir.resolve("cgroup.procs")));
    }

    String content(Path dir, String file) throws IOException {
        return read(dir.resolve(file));
    }

    void put(Path dir, String file, String content) throws IOException {
        Files.writeString(dir.resolve(file), content, StandardCharsets.UTF_8);
    }

    // ---- CgroupFs ----

    @Override
    public String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    @Override
    public void write(Path file, String value) throws IOException {
        guard("write " + file);
        log.add("write " + rel(file) + " " + value);
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString());
        }
        Path dir = file.getParent();
        String name = file.getFileName().toString();
        if (failWrites.contains(name)) {
            throw new IOException("Invalid argument");
        }
        switch (name) {
            case "cgroup.subtree_control" -> subtreeControl(dir, value);
            case "cgroup.procs" -> moveProcess(dir, Long.parseLong(value.strip()));
            case "cgroup.kill" -> kill(dir);
            case "io.max" -> {
                // One device per write; a new line replaces the device's old one.
                String device = value.split(" ")[0];
                List<String> lines = new ArrayList<>(read(file).lines().filter(l -> !l.startsWith(device + " "))
                        .toList());
                lines.add(value);
                put(dir, name, String.join("\n", lines) + "\n");
            }
            default -> put(dir, name, value);
        }
    }

    private void subtreeControl(Path dir, String value) throws IOException {
        Set<String> offered = tokens(read(dir.resolve("cgroup.controllers")));
        Set<String> enabled = tokens(read(dir.resolve("cgroup.subtree_control")));
        for (String token : value.strip().split("\\s+")) {
            String controller = token.substring(1);
            if (!offered.contains(controller)) {
                throw new IOException("Invalid argument");
            }
            if (!dir.equals(top) && !procs(dir).isEmpty()) {
                throw new IOException("Device or resource busy");
            }
            if (refuseEnable.contains(controller)) {
                throw new IOException("Invalid argument");
            }
            if (token.startsWith("+")) {
                enabled.add(controller);
            } else {
                enabled.remove(controller);
            }
        }
        setSubtreeControl(dir, String.join(" ", enabled));
    }

    private void moveProcess(Path dir, long pid) throws IOException {
        if (!dir.equals(top) && !tokens(read(dir.resolve("cgroup.subtree_control"))).isEmpty()) {
            throw new IOException("Device or resource busy");
        }
        for (Path cg : allCgroups()) {
            List<Long> procs = new ArrayList<>(procs(cg));
            if (procs.remove(pid)) {
                put(cg, "cgroup.procs", procs.stream().map(p -> p + "\n").collect(Collectors.joining()));
            }
        }
        List<Long> procs = new ArrayList<>(procs(dir));
        procs.add(pid);
        setProcs(dir, procs.stream().mapToLong(Long::longValue).toArray());
    }

    private void kill(Path dir) throws IOException {
        try (Stream<Path> tree = Files.walk(dir)) {
            for (Path cg : tree.filter(Files::isDirectory).toList()) {
                killedByCgroupKill.addAll(procs(cg));
                put(cg, "cgroup.procs", "");
            }
        }
        updatePopulated();
    }

    @Override
    public void mkdir(Path dir) throws IOException {
        guard("mkdir " + dir);
        log.add("mkdir " + rel(dir));
        if (Files.exists(dir)) {
            throw new java.nio.file.FileAlreadyExistsException(dir.toString());
        }
        populate(dir);
    }

    private void populate(Path dir) throws IOException {
        Files.createDirectory(dir);
        Set<String> controllers = tokens(read(dir.getParent().resolve("cgroup.subtree_control")));
        put(dir, "cgroup.controllers", String.join(" ", controllers));
        put(dir, "cgroup.subtree_control", "");
        put(dir, "cgroup.procs", "");
        put(dir, "cgroup.type", "domain\n");
        put(dir, "cgroup.events", "populated 0\nfrozen 0\n");
        put(dir, "cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\n");
        if (hasCgroupKill) {
            put(dir, "cgroup.kill", "");
        }
        if (controllers.contains("cpu")) {
            put(dir, "cpu.max", "max 100000\n");
        }
        if (controllers.contains("memory")) {
            put(dir, "memory.max", "max\n");
            put(dir, "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
            put(dir, "memory.current", "0\n");
            put(dir, "memory.peak", "0\n");
            if (swapAccounting) {
                put(dir, "memory.swap.max", "max\n");
            }
        }
        if (controllers.contains("io")) {
            put(dir, "io.max", "");
            put(dir, "io.stat", "");
        }
        if (controllers.contains("pids")) {
            put(dir, "pids.max", "max\n");
        }
    }

    @Override
    public void rmdir(Path dir) throws IOException {
        guard("rmdir " + dir);
        log.add("rmdir " + rel(dir));
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString());
        }
        if (rmdirBusy > 0 || !procs(dir).isEmpty() || !subdirectories(dir).isEmpty()) {
            rmdirBusy = Math.max(0, rmdirBusy - 1);
            throw new FileSystemException(dir.toString(), null, "Device or resource busy");
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir);
    }

    @Override
    public boolean exists(Path path) {
        return Files.exists(path);
    }

    @Override
    public boolean isDirectory(Path path) {
        return Files.isDirectory(path);
    }

    @Override
    public List<Path> subdirectories(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString());
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(Files::isDirectory).sorted().toList();
        }
    }

    // ---- helpers ----

    /** Writes logged so far that are not mkdir/rmdir, for assertions on file content. */
    List<String> writes() {
        return log.stream().filter(l -> l.startsWith("write ")).toList();
    }

    private void guard(String what) {
        if (forbidWrites) {
            throw new AssertionError("unexpected " + what);
        }
    }

    private String rel(Path p) {
        return p.startsWith(top) ? "/" + top.relativize(p) : p.toString();
    }

    private List<Path> allCgroups() throws IOException {
        try (Stream<Path> tree = Files.walk(top)) {
            return tree.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList();
        }
    }

    /** populated 1 for a cgroup when it or a descendant holds a process. */
    private void updatePopulated() throws IOException {
        Map<Path, Boolean> populated = new HashMap<>();
        for (Path cg : allCgroups()) { // deepest first
            boolean p = !procs(cg).isEmpty();
            for (Path child : subdirectories(cg)) {
                p |= populated.getOrDefault(child, false);
            }
            populated.put(cg, p);
            if (!cg.equals(top)) {
                put(cg, "cgroup.events", "populated " + (p ? 1 : 0) + "\nfrozen 0\n");
            }
        }
    }

    private static Set<String> tokens(String s) {
        Set<String> result = new LinkedHashSet<>();
        for (String t : s.strip().split("\\s+")) {
            if (!t.isEmpty()) {
                result.add(t);
            }
        }
        return result;
    }
}
