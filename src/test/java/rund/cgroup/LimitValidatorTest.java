package rund.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LimitValidatorTest {
    private static final String HOST_REASON = "cgroup2 at /sys/fs/cgroup/unified offers no cpu, memory, io or pids"
            + " controller (memory: bound to the cgroup v1 hierarchy at /sys/fs/cgroup/memory)";
    private static final CgroupSupport DEGRADED = new CgroupSupport.Degraded(HOST_REASON);
    private static final CgroupSupport ALL = new CgroupSupport.Enabled(Path.of("/sys/fs/cgroup"),
            Path.of("/sys/fs/cgroup/rund"), EnumSet.allOf(Controller.class), Map.of(), "test");
    private static final CgroupSupport NO_IO = new CgroupSupport.Enabled(Path.of("/sys/fs/cgroup"),
            Path.of("/sys/fs/cgroup/rund"), EnumSet.of(Controller.CPU, Controller.MEMORY, Controller.PIDS),
            Map.of(Controller.IO, "not enabled in /sys/fs/cgroup/cgroup.subtree_control, so not delegated to"
                    + " /sys/fs/cgroup/rund"), "test");
    private static final BlockDevices SDA = BlockDevices.of(List.of(new BlockDevice("sda", 8, 0)));
    private static final BlockDevices NO_DISK = BlockDevices.of(List.of());
    private static final JobLimits NONE = JobLimits.none();

    /** support, limits, disks, expected kind (null = accepted), expected message. */
    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of("no limits, degraded", DEGRADED, NONE, NO_DISK, null, null),
                Arguments.of("no limits, enabled", ALL, NONE, SDA, null, null),
                Arguments.of("every limit, enabled", ALL, NONE.withCpuQuotaMicros(50000).withMemoryMaxBytes(1 << 26)
                        .withReadBps(1 << 20).withWriteBps(1 << 20).withReadIops(100).withWriteIops(100),
                        SDA, null, null),
                Arguments.of("memory on this host", DEGRADED, NONE.withMemoryMaxBytes(10_000_000), SDA,
                        LimitException.Kind.UNAVAILABLE,
                        "memory limit requested but the cgroup v2 memory controller is not available on this host: "
                                + HOST_REASON),
                Arguments.of("cpu on this host", DEGRADED, NONE.withCpuQuotaMicros(50000), SDA,
                        LimitException.Kind.UNAVAILABLE,
                        "cpu limit requested but the cgroup v2 cpu controller is not available on this host: "
                                + HOST_REASON),
                Arguments.of("cpu and io on this host", DEGRADED, NONE.withCpuQuotaMicros(50000).withReadBps(42),
                        SDA, LimitException.Kind.UNAVAILABLE,
                        "cpu limit requested but the cgroup v2 cpu controller is not available on this host: "
                                + HOST_REASON + "; io limit requested but the cgroup v2 io controller is not"
                                + " available on this host: " + HOST_REASON),
                Arguments.of("io without the io controller", NO_IO, NONE.withReadBps(42), SDA,
                        LimitException.Kind.UNAVAILABLE,
                        "io limit requested but the cgroup v2 io controller is not available on this host: not"
                                + " enabled in /sys/fs/cgroup/cgroup.subtree_control, so not delegated to"
                                + " /sys/fs/cgroup/rund"),
                Arguments.of("cpu without io controller is fine", NO_IO, NONE.withCpuQuotaMicros(20000), NO_DISK,
                        null, null),
                Arguments.of("io without a disk", ALL, NONE.withWriteIops(10), NO_DISK,
                        LimitException.Kind.UNAVAILABLE,
                        "io limit requested but there is no whole disk to apply it to: no whole disk found in a"
                                + " fixed list"),
                Arguments.of("invalid beats unavailable", DEGRADED, NONE.withCpuQuotaMicros(500), SDA,
                        LimitException.Kind.INVALID,
                        "max_cpu_bandwidth 500 is below the kernel's minimum quota of 1000 us per 100000 us period"),
                Arguments.of("beyond 4 CPUs", ALL, NONE.withCpuQuotaMicros(400_001), SDA,
                        LimitException.Kind.INVALID,
                        "max_cpu_bandwidth 400001 exceeds this host's capacity of 400000 (4 online CPUs x 100000 us"
                                + " per 100000 us period); omit the flag for no limit"),
                Arguments.of("every problem at once", ALL, NONE.withCpuQuotaMicros(0).withMemoryMaxBytes(0)
                        .withReadBps(0), SDA, LimitException.Kind.INVALID,
                        "max_cpu_bandwidth 0 would never let the job run; omit the flag for no limit;"
                                + " max_memory_usage 0 is not a limit; omit the flag for no limit;"
                                + " max_rbps 0 is not a limit; omit the flag for no limit"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void validate(String name, CgroupSupport support, JobLimits limits, BlockDevices disks,
                  LimitException.Kind kind, String message) throws LimitException {
        if (kind == null) {
            LimitValidator.validate(limits, support, 4, disks);
            return;
        }
        LimitException e = assertThrows(LimitException.class, () -> LimitValidator.validate(limits, support, 4, disks));
        assertEquals(kind, e.kind());
        assertEquals(message, e.getMessage());
    }

    @Test
    void controllersNeeded() {
        assertEquals(EnumSet.noneOf(Controller.class), NONE.controllersNeeded());
        assertEquals(EnumSet.of(Controller.CPU, Controller.IO),
                NONE.withCpuQuotaMicros(1000).withWriteIops(3).controllersNeeded());
        assertEquals(EnumSet.of(Controller.MEMORY), NONE.withMemoryMaxBytes(1 << 20).controllersNeeded());
        assertEquals(true, NONE.isEmpty());
        assertEquals(false, NONE.withReadIops(2).isEmpty());
    }
}
