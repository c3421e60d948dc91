package rund.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A fake /proc/self (mountinfo, cgroup, status) and a cgroup2 mount in a temporary directory. */
final class FakeHost {
    static final long OWN_PID = 4242;

    final Path proc;
    final Path cgroupMount;
    final FakeKernel kernel;
    private final List<String> mountLines = new ArrayList<>();
    private final Path base;

    FakeHost(Path base, String rootControllers) throws IOException {
        this.base = base;
        this.proc = base.resolve("proc");
        this.cgroupMount = base.resolve("sys/fs/cgroup");
        Files.createDirectories(proc.resolve("self"));
        this.kernel = new FakeKernel(cgroupMount, rootControllers);
        mountLines.add("22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw");
        mountLines.add("30 23 0:26 / " + cgroupMount + " rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2"
                + " rw,nsdelegate,memory_recursiveprot");
        writeMountInfo();
        ownCgroup("/");
        uid(0);
    }

    /** Replaces the mount table: only a tmpfs, no cgroup2. */
    FakeHost withoutCgroup2() throws IOException {
        mountLines.clear();
        mountLines.add("22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw");
        writeMountInfo();
        return this;
    }

    /**
     * This host's layout: v1 hierarchies own cpu, memory, blkio and pids; the cgroup2 mount offers hugetlb only.
     */
    FakeHost hybrid() throws IOException {
        mountLines.clear();
        mountLines.add("31 23 0:28 / " + base.resolve("sys/fs") + " rw,relatime - tmpfs tmpfs rw,mode=755");
        for (String c : List.of("cpu", "cpuacct", "memory", "blkio", "pids")) {
            Path dir = base.resolve("v1/" + c);
            Files.createDirectories(dir);
            mountLines.add("32 31 0:29 / " + dir + " rw,relatime - cgroup cgroup rw," + c);
        }
        mountLines.add("41 31 0:38 / " + cgroupMount + " rw,relatime - cgroup2 cgroup2 rw");
        writeMountInfo();
        return this;
    }

    /** A read-only cgroup2 mount (as in an unprivileged container). */
    FakeHost readOnlyMount() throws IOException {
        mountLines.replaceAll(l -> l.contains(" - cgroup2 ") ? l.replace(" rw,nosuid", " ro,nosuid") : l);
        writeMountInfo();
        return this;
    }

    FakeHost ownCgroup(String path) throws IOException {
        Files.writeString(proc.resolve("self/cgroup"), "0::" + path + "\n");
        return this;
    }

    FakeHost uid(int euid) throws IOException {
        Files.writeString(proc.resolve("self/status"), "Name:\tjava\nUmask:\t0022\nState:\tS (sleeping)\n"
                + "Uid:\t" + euid + "\t" + euid + "\t" + euid + "\t" + euid + "\nGid:\t0\t0\t0\t0\n");
        return this;
    }

    private void writeMountInfo() throws IOException {
        Files.writeString(proc.resolve("self/mountinfo"), String.join("\n", mountLines) + "\n");
    }

    CgroupSupport detect(String configured) {
        return new Detection(kernel, proc, OWN_PID).run(configured);
    }
}
