package rund.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountInfoTest {

    /** Lines as this host's /proc/self/mountinfo shows them (hybrid layout). */
    @Test
    void hybridLayout() {
        List<MountInfo> m = MountInfo.parse("""
                31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
                32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
                35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
                38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
                40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
                41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
                """);
        assertEquals(6, m.size());
        MountInfo unified = m.get(5);
        assertTrue(unified.isCgroup2());
        assertEquals(Path.of("/sys/fs/cgroup/unified"), unified.mountPoint());
        assertEquals("/", unified.root());
        assertFalse(unified.readOnly());
        assertTrue(m.get(1).isCgroup1());
        assertEquals(List.of("rw", "cpu"), m.get(1).superOptions());
        assertEquals(List.of("rw", "blkio"), m.get(3).superOptions());
    }

    /** Optional fields (shared:N, master:N) sit between the mount options and the separator. */
    @Test
    void optionalFieldsAndReadOnly() {
        List<MountInfo> m = MountInfo.parse("30 23 0:26 /docker/abc /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime"
                + " shared:9 master:3 - cgroup2 cgroup2 rw,nsdelegate\n");
        assertEquals(1, m.size());
        assertEquals("/docker/abc", m.getFirst().root());
        assertTrue(m.getFirst().readOnly());
        assertEquals("cgroup2", m.getFirst().fsType());
    }

    @Test
    void octalEscapes() {
        List<MountInfo> m = MountInfo.parse("50 23 0:40 / /mnt/my\\040cgroups\\134x rw - cgroup2 none rw\n");
        assertEquals(Path.of("/mnt/my cgroups\\x"), m.getFirst().mountPoint());
        assertEquals("a\\b", MountInfo.unescape("a\\b"));
        assertEquals("tab\there", MountInfo.unescape("tab\\011here"));
    }

    @Test
    void malformedLinesAreSkipped() {
        assertEquals(List.of(), MountInfo.parse("garbage\n\n1 2 3\n"));
    }
}
