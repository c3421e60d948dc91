package rund.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The detection steps of {@link CgroupSupport#detect}; the rules are documented there. Every step that writes comes
 * after every check that can end in "degraded" for a reason visible without writing, so a host whose cgroup2
 * hierarchy offers no usable controller is left untouched.
 */
final class Detection {
    /** The daemon's own leaf when it has to leave the cgroup that becomes the job parent. */
    static final String DAEMON_LEAF = "rund-daemon";
    /** The job parent created under the root cgroup. */
    static final String ROOT_JOB_PARENT = "rund";
    private static final String BOUND_TO_V1 = "bound to the cgroup v1";

    private final CgroupFs fs;
    private final Path procRoot;
    private final long ownPid;
    /** Failures of "+controller" writes, kept as the reason the controller is unavailable. */
    private final Map<Controller, String> enableFailures = new EnumMap<>(Controller.class);
    private List<MountInfo> mounts = List.of();

    Detection(CgroupFs fs, Path procRoot, long ownPid) {
        this.fs = fs;
        this.procRoot = procRoot;
        this.ownPid = ownPid;
    }

    /** Ends detection with a reason. */
    private static final class Degrade extends Exception {
        private static final long serialVersionUID = 1L;

        Degrade(String reason) {
            super(reason, null, false, false);
        }
    }

    CgroupSupport run(String configuredRoot) {
        String configured = configuredRoot == null ? "auto" : configuredRoot.strip();
        try {
            if (configured.equals("off")) {
                throw new Degrade("cgroup support is switched off in the configuration");
            }
            if (!configured.equals("auto") && !configured.startsWith("/")) {
                throw new Degrade("cgroupRoot must be \"auto\", \"off\" or an absolute path, not \""
                        + configured + "\"");
            }
            mounts = MountInfo.parse(read(procRoot.resolve("self/mountinfo"), "reading the mount table"));
            List<MountInfo> cgroup2 = mounts.stream().filter(MountInfo::isCgroup2).toList();
            if (cgroup2.isEmpty()) {
                throw new Degrade("no cgroup2 file system is mounted");
            }
            requireRoot();
            return configured.equals("auto") ? auto(cgroup2) : explicit(Path.of(configured).normalize(), cgroup2);
        } catch (Degrade d) {
            return new CgroupSupport.Degraded(d.getMessage());
        }
    }

    private void requireRoot() throws Degrade {
        String status = read(procRoot.resolve("self/status"), "reading the process status");
        for (String line : status.split("\n")) {
            if (line.startsWith("Uid:")) {
                String[] ids = line.substring(4).strip().split("\\s+");
                if (ids.length >= 2 && ids[1].equals("0")) {
                    return;
                }
                throw new Degrade("rund runs as uid " + (ids.length >= 2 ? ids[1] : "?")
                        + ", not as root: creating cgroups and moving processes into them needs root");
            }
        }
        throw new Degrade("cannot tell the effective uid from " + procRoot.resolve("self/status"));
    }

    private static void requireWritable(MountInfo mount) throws Degrade {
        if (mount.readOnly()) {
            throw new Degrade("cgroup2 at " + mount.mountPoint() + " is mounted read-only");
        }
    }

    // ---- "auto" ----

    private CgroupSupport auto(List<MountInfo> cgroup2) throws Degrade {
        String own = ownCgroup();
        // Prefer the mount that shows the most specific part of the hierarchy containing the own cgroup.
        MountInfo mount = cgroup2.stream()
                .filter(m -> isUnder(own, m.root()))
                .max(Comparator.comparingInt(m -> m.root().length()))
                .orElseThrow(() -> new Degrade("the daemon's cgroup " + own
                        + " is not visible under any cgroup2 mount"));
        requireWritable(mount);
        String relative = own.substring(mount.root().equals("/") ? 1 : mount.root().length()).replaceFirst("^/", "");
        Path top = mount.mountPoint();
        Path ownDir = top.resolve(relative).normalize();
        if (!ownDir.startsWith(top)) {
            // "0::/../x": the daemon sits outside the root of the cgroup namespace the mount shows.
            throw new Degrade("the daemon's cgroup " + own + " is outside the cgroup2 mount at " + top);
        }
        if (!fs.isDirectory(ownDir)) {
            throw new Degrade("the daemon's cgroup " + ownDir + " does not exist");
        }
        // Only the real root lacks cgroup.type; the top of a cgroup namespace is an ordinary cgroup.
        boolean realRoot = ownDir.equals(top) && !fs.exists(top.resolve("cgroup.type"));
        Set<Controller> offered = controllers(ownDir);
        if (offered.isEmpty()) {
            throw new Degrade(noneOffered(top, ownDir));
        }
        if (realRoot) {
            // Writes start here.
            enable(top, offered);
            Path jobParent = top.resolve(ROOT_JOB_PARENT);
            mkdirIfMissing(jobParent);
            requireNoProcesses(jobParent, "the job parent");
            enable(jobParent, controllers(jobParent));
            return finish(top, jobParent, "jobs under " + jobParent + " (the daemon runs in the root cgroup)");
        }
        List<Long> procs = pids(ownDir);
        if (!procs.contains(ownPid)) {
            // A wrong pid, or one from another pid namespace: moving it could move the wrong process.
            throw new Degrade("the daemon's cgroup " + ownDir + " does not list the daemon's pid " + ownPid + " ("
                    + describePids(procs) + "); set cgroupRoot to a cgroup delegated to rund");
        }
        if (procs.size() > 1) {
            List<Long> others = procs.stream().filter(p -> p != ownPid).toList();
            throw new Degrade("the daemon's cgroup " + ownDir + " holds other processes ("
                    + describePids(others) + "); set cgroupRoot to a cgroup delegated to rund");
        }
        // Writes start here. The no-internal-process rule: the daemon must leave the cgroup whose children get
        // controllers.
        Path leaf = ownDir.resolve(DAEMON_LEAF);
        mkdirIfMissing(leaf);
        write(leaf.resolve("cgroup.procs"), Long.toString(ownPid), "moving the daemon into " + leaf);
        enable(ownDir, offered);
        return finish(top, ownDir, "jobs under " + ownDir + " (the daemon moved itself into " + leaf + ")");
    }

    private String ownCgroup() throws Degrade {
        Path file = procRoot.resolve("self/cgroup");
        for (String line : read(file, "reading the daemon's cgroup").split("\n")) {
            if (line.startsWith("0::")) {
                String path = line.substring(3).strip();
                if (!path.startsWith("/") || path.endsWith(" (deleted)")) {
                    throw new Degrade("the daemon's cgroup \"" + path + "\" is not usable");
                }
                return path;
            }
        }
        throw new Degrade("the daemon is in no cgroup2 cgroup (" + file + " has no \"0::\" line)");
    }

    private static boolean isUnder(String cgroup, String root) {
        return root.equals("/") || cgroup.equals(root) || cgroup.startsWith(root + "/");
    }

    // ---- explicit path ----

    private CgroupSupport explicit(Path target, List<MountInfo> cgroup2) throws Degrade {
        MountInfo mount = cgroup2.stream()
                .filter(m -> target.startsWith(m.mountPoint()))
                .max(Comparator.comparingInt(m -> m.mountPoint().getNameCount()))
                .orElseThrow(() -> new Degrade("cgroupRoot " + target + " is not inside a cgroup2 mount (cgroup2 is"
                        + " mounted at " + String.join(", ", cgroup2.stream()
                        .map(m -> m.mountPoint().toString()).toList()) + ")"));
        requireWritable(mount);
        Path top = mount.mountPoint();
        Path existing = target;
        while (!fs.isDirectory(existing)) {
            if (existing.equals(top)) {
                throw new Degrade("cgroup2 mount point " + top + " is not a directory");
            }
            existing = existing.getParent();
        }
        // What the target will be offered: its own cgroup.controllers, or what its nearest existing ancestor
        // enables for its children.
        Set<Controller> offered = existing.equals(target)
                ? controllers(target)
                : Controller.parseList(read(existing.resolve("cgroup.subtree_control"), "reading " + existing));
        if (offered.isEmpty()) {
            throw new Degrade(noneOffered(top, target));
        }
        if (existing.equals(target)) {
            requireNoProcesses(target, "cgroupRoot");
        }
        // Writes start here: mkdir -p, each new directory enabling the controllers for the next one.
        List<Path> created = new ArrayList<>();
        for (Path dir = target; !dir.equals(existing); dir = dir.getParent()) {
            created.addFirst(dir);
        }
        for (Path dir : created) {
            mkdirIfMissing(dir);
            if (!dir.equals(target)) {
                enable(dir, controllers(dir));
            }
        }
        enable(target, controllers(target));
        return finish(top, target, "jobs under " + target + " (configured cgroupRoot)");
    }

    // ---- shared steps ----

    private CgroupSupport finish(Path top, Path jobParent, String description) throws Degrade {
        Set<Controller> enabled = Controller.parseList(
                read(jobParent.resolve("cgroup.subtree_control"), "reading " + jobParent));
        Map<Controller, String> unavailable = new EnumMap<>(Controller.class);
        for (Controller c : Controller.values()) {
            if (!enabled.contains(c)) {
                unavailable.put(c, whyMissing(c, top, jobParent));
            }
        }
        if (enabled.isEmpty()) {
            throw new Degrade("no controller could be enabled in " + jobParent + "/cgroup.subtree_control ("
                    + String.join("; ", unavailable.values()) + ")");
        }
        return new CgroupSupport.Enabled(top, jobParent, enabled, unavailable, description);
    }

    /** Enables each controller not yet enabled with its own write, so that one refusal does not block the others. */
    private void enable(Path dir, Set<Controller> controllers) throws Degrade {
        Path file = dir.resolve("cgroup.subtree_control");
        Set<Controller> current = Controller.parseList(read(file, "reading " + dir));
        for (Controller c : controllers) {
            if (current.contains(c)) {
                continue;
            }
            try {
                fs.write(file, "+" + c.fileName());
                enableFailures.remove(c);
            } catch (IOException e) {
                enableFailures.put(c, "enabling it in " + file + " failed: " + message(e));
            }
        }
    }

    private void mkdirIfMissing(Path dir) throws Degrade {
        if (fs.isDirectory(dir)) {
            return;
        }
        try {
            fs.mkdir(dir);
        } catch (IOException e) {
            if (!fs.isDirectory(dir)) {
                throw new Degrade("creating " + dir + " failed: " + message(e));
            }
        }
    }

    private void requireNoProcesses(Path dir, String role) throws Degrade {
        List<Long> procs = pids(dir);
        if (!procs.isEmpty()) {
            throw new Degrade(role + " " + dir + " holds processes (" + describePids(procs)
                    + "): a cgroup whose children get controllers may not hold processes itself; "
                    + "set cgroupRoot to an empty cgroup delegated to rund");
        }
    }

    private List<Long> pids(Path dir) throws Degrade {
        return KeyedFiles.parsePids(read(dir.resolve("cgroup.procs"), "reading the processes of " + dir));
    }

    private static String describePids(List<Long> pids) {
        if (pids.isEmpty()) {
            return "no process";
        }
        List<String> shown = pids.stream().limit(5).map(String::valueOf).toList();
        return (pids.size() == 1 ? "pid " : "pids ") + String.join(", ", shown)
                + (pids.size() > shown.size() ? " and " + (pids.size() - shown.size()) + " more" : "");
    }

    private Set<Controller> controllers(Path dir) throws Degrade {
        return Controller.parseList(read(dir.resolve("cgroup.controllers"), "reading the controllers of " + dir));
    }

    // ---- reasons ----

    private String noneOffered(Path top, Path dir) {
        StringBuilder sb = new StringBuilder("cgroup2 at " + top + " offers no cpu, memory, io or pids controller");
        if (!dir.equals(top)) {
            sb.append(" to ").append(dir);
        }
        sb.append(" (");
        boolean v1 = false;
        boolean first = true;
        for (Controller c : Controller.values()) {
            String why = whyMissing(c, top, dir);
            v1 |= why.startsWith(BOUND_TO_V1);
            sb.append(first ? "" : "; ").append(c.fileName()).append(": ").append(why);
            first = false;
        }
        sb.append(')');
        if (v1) {
            sb.append("; boot with cgroup_no_v1=all or systemd.unified_cgroup_hierarchy=1 to hand the controllers"
                    + " to cgroup v2");
        }
        return sb.toString();
    }

    /** Why {@code c} is not available in {@code dir}; reads only. */
    private String whyMissing(Controller c, Path top, Path dir) {
        String failure = enableFailures.get(c);
        if (failure != null) {
            return failure;
        }
        try {
            if (!controllers(top).contains(c)) {
                Optional<MountInfo> v1 = mounts.stream()
                        .filter(m -> m.isCgroup1() && m.superOptions().contains(v1Name(c)))
                        .findFirst();
                if (v1.isPresent()) {
                    return BOUND_TO_V1 + " " + (c == Controller.IO ? "blkio " : "") + "hierarchy at "
                            + v1.get().mountPoint();
                }
                return "not offered by the kernel (not built in, switched off with cgroup_disable=, or bound to a"
                        + " cgroup v1 hierarchy not mounted here)";
            }
            Path parent = top;
            for (Path name : dir.equals(top) ? List.<Path>of() : top.relativize(dir)) {
                Path child = parent.resolve(name);
                if (!fs.isDirectory(child)) {
                    break;
                }
                if (!controllers(child).contains(c)) {
                    return "not enabled in " + parent + "/cgroup.subtree_control, so not delegated to " + child;
                }
                parent = child;
            }
            return "could not be enabled in " + dir + "/cgroup.subtree_control";
        } catch (Degrade e) {
            return e.getMessage();
        }
    }

    /** The name a controller has in cgroup v1 (the mount's super options); io was called blkio there. */
    private static String v1Name(Controller c) {
        return c == Controller.IO ? "blkio" : c.fileName();
    }

    // ---- I/O ----

    private String read(Path file, String step) throws Degrade {
        try {
            return fs.read(file);
        } catch (IOException e) {
            throw new Degrade(step + " failed: " + message(e));
        }
    }

    private void write(Path file, String value, String step) throws Degrade {
        try {
            fs.write(file, value);
        } catch (IOException e) {
            throw new Degrade(step + " failed: " + message(e));
        }
    }

    private static String message(IOException e) {
        return CgroupFs.describe(e);
    }
}
