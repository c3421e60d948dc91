package rund.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Detection on the machine that runs the tests, when it has the hybrid layout of the development hosts (v1
 * hierarchies own cpu, memory, blkio and pids; cgroup2 at /sys/fs/cgroup/unified offers none of them). Those hosts'
 * cgroups must never be written: detection first runs on a file system view that fails the test on any write,
 * mkdir or rmdir, and the real {@link CgroupSupport#detect} runs only after that proved the path read-only. On any
 * other layout the test is skipped, because there detection would rightly set cgroups up.
 */
class HostCgroupDetectionTest {
    private static final Path PROC = Path.of("/proc");
    private static final Path UNIFIED = Path.of("/sys/fs/cgroup/unified");

    /** Reads through to the real file system; every write is a test failure. */
    private static final class ReadOnlyView implements CgroupFs {
        @Override
        public String read(Path file) throws IOException {
            return REAL.read(file);
        }

        @Override
        public void write(Path file, String value) {
            throw new AssertionError("detection tried to write \"" + value + "\" to " + file);
        }

        @Override
        public void mkdir(Path dir) {
            throw new AssertionError("detection tried to create " + dir);
        }

        @Override
        public void rmdir(Path dir) {
            throw new AssertionError("detection tried to remove " + dir);
        }

        @Override
        public boolean exists(Path path) {
            return REAL.exists(path);
        }

        @Override
        public boolean isDirectory(Path path) {
            return REAL.isDirectory(path);
        }

        @Override
        public List<Path> subdirectories(Path dir) throws IOException {
            return REAL.subdirectories(dir);
        }
    }

    private static boolean hybridHost() throws IOException {
        List<MountInfo> mounts = MountInfo.parse(Files.readString(PROC.resolve("self/mountinfo")));
        boolean unified = mounts.stream().anyMatch(m -> m.isCgroup2() && m.mountPoint().equals(UNIFIED));
        boolean otherCgroup2 = mounts.stream().anyMatch(m -> m.isCgroup2() && !m.mountPoint().equals(UNIFIED));
        boolean v1Memory = mounts.stream().anyMatch(m -> m.isCgroup1() && m.superOptions().contains("memory"));
        return unified && !otherCgroup2 && v1Memory
                && Controller.parseList(Files.readString(UNIFIED.resolve("cgroup.controllers"))).isEmpty();
    }

    @Test
    void thisHostIsDegradedAndNamesTheMissingControllers() throws IOException {
        // The project's machines and CI have this layout; on any other host this test must fail, not skip.
        assertTrue(hybridHost(), "expected the hybrid cgroup layout of the project's machines (cgroup2 at "
                + UNIFIED + " without controllers, memory on cgroup v1)");
        long pid = ProcessHandle.current().pid();

        CgroupSupport guarded = new Detection(new ReadOnlyView(), PROC, pid).run("auto");
        String reason = assertInstanceOf(CgroupSupport.Degraded.class, guarded, guarded::describe).reason();
        assertTrue(reason.startsWith("cgroup2 at " + UNIFIED + " offers no cpu, memory, io or pids controller"),
                reason);
        for (String c : List.of("cpu: ", "memory: ", "io: ", "pids: ")) {
            assertTrue(reason.contains(c), reason);
        }
        assertTrue(reason.contains("bound to the cgroup v1 hierarchy at /sys/fs/cgroup/memory"), reason);

        // The same inputs took a path without writes; now the public entry point.
        CgroupSupport real = CgroupSupport.detect("auto", PROC, pid);
        assertEquals(guarded, real);

        // An explicit path inside the unified mount is refused before mkdir, too.
        CgroupSupport explicit = new Detection(new ReadOnlyView(), PROC, pid).run(UNIFIED.resolve("rund").toString());
        assertInstanceOf(CgroupSupport.Degraded.class, explicit, explicit::describe);
        assertTrue(Files.notExists(UNIFIED.resolve("rund")));
    }
}
