package rund.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IoTest {
    private static final List<BlockDevice> TWO_DISKS =
            List.of(new BlockDevice("sda", 8, 0), new BlockDevice("nvme0n1", 259, 0));

    private static JobLimits limits(Long rbps, Long riops, Long wbps, Long wiops) {
        return new JobLimits(OptionalLong.empty(), OptionalLong.empty(), opt(rbps), opt(riops), opt(wbps), opt(wiops));
    }

    private static OptionalLong opt(Long v) {
        return v == null ? OptionalLong.empty() : OptionalLong.of(v);
    }

    /** Columns: rbps, riops, wbps, wiops (empty = unset), expected line for disk 8:0. */
    @ParameterizedTest(name = "{4}")
    @CsvSource(delimiter = '|', value = {
        "42      |      |         |      | 8:0 rbps=42",
        "        | 100  |         |      | 8:0 riops=100",
        "        |      | 1048576 |      | 8:0 wbps=1048576",
        "        |      |         | 7    | 8:0 wiops=7",
        "2097152 | 300  | 1048576 | 200  | 8:0 rbps=2097152 wbps=1048576 riops=300 wiops=200",
        "10      |      | 20      |      | 8:0 rbps=10 wbps=20",
    })
    void lineFormat(Long rbps, Long riops, Long wbps, Long wiops, String expected) {
        assertEquals(List.of(expected), Io.lines(limits(rbps, riops, wbps, wiops), List.of(new BlockDevice("sda", 8, 0))));
    }

    @Test
    void oneLinePerDisk() {
        assertEquals(List.of("8:0 rbps=1000 wiops=50", "259:0 rbps=1000 wiops=50"),
                Io.lines(limits(1000L, null, null, 50L), TWO_DISKS));
    }

    @Test
    void noIoLimitNoLines() {
        assertEquals(List.of(), Io.lines(JobLimits.none().withMemoryMaxBytes(1 << 30), TWO_DISKS));
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "rbps  | 0                    | max_rbps 0 is not a limit; omit the flag for no limit",
        "wbps  | 1                    | max_wbps 1 is below the minimum of 2 that the kernel's io.max accepts",
        "riops | 1                    | max_riops 1 is below the minimum of 2 that the kernel's io.max accepts",
        "rbps  | 2                    | ''",
        "rbps  | 9223372036854775807  | ''",
        "wbps  | -1                   | max_wbps 18446744073709551615 is out of range (at most 9223372036854775807); omit the flag for no limit",
        "riops | 4294967294           | ''",
        "riops | 4294967295           | max_riops 4294967295 exceeds the kernel's maximum of 4294967294 operations per second (it would mean no limit); omit the flag for no limit",
        "wiops | 4294967296           | max_wiops 4294967296 exceeds the kernel's maximum of 4294967294 operations per second (it would mean no limit); omit the flag for no limit",
        "wiops | -9223372036854775808 | max_wiops 9223372036854775808 is out of range (at most 4294967294); omit the flag for no limit",
        "wiops | 0                    | max_wiops 0 is not a limit; omit the flag for no limit",
    })
    void check(String key, long value, String problem) {
        JobLimits l = switch (key) {
            case "rbps" -> JobLimits.none().withReadBps(value);
            case "wbps" -> JobLimits.none().withWriteBps(value);
            case "riops" -> JobLimits.none().withReadIops(value);
            case "wiops" -> JobLimits.none().withWriteIops(value);
            default -> throw new IllegalArgumentException(key);
        };
        List<String> problems = new ArrayList<>();
        Io.check(l, problems);
        assertEquals(problem.isEmpty() ? List.of() : List.of(problem), problems);
    }

    @Test
    void checkReportsEveryBadKey() {
        List<String> problems = new ArrayList<>();
        Io.check(limits(0L, 1L, 5L, 0L), problems);
        assertEquals(3, problems.size(), problems::toString);
    }

    @Test
    void applyWritesOncePerDisk(@TempDir Path tmp) throws IOException {
        FakeKernel k = new FakeKernel(tmp, "io");
        k.setSubtreeControl(tmp, "io");
        Path cg = k.cgroup("job");
        Io.apply(k, cg, limits(null, null, 1048576L, null), BlockDevices.of(TWO_DISKS));
        assertEquals(List.of("write /job/io.max 8:0 wbps=1048576", "write /job/io.max 259:0 wbps=1048576"), k.log);
    }

    private static final String IO_STAT = """
            8:0 rbytes=1048576 wbytes=4096 rios=20 wios=1 dbytes=0 dios=0
            259:0 rbytes=512 wbytes=2097152 rios=1 wios=16 dbytes=0 dios=0
            253:0 rbytes=1048576 wbytes=4096 rios=20 wios=1 dbytes=0 dios=0
            """;

    @Test
    void statSumsEveryDeviceWhenNoneIsKnown() {
        Io.Stat s = Io.Stat.parse(IO_STAT, Set.of());
        assertEquals(OptionalLong.of(1048576 + 512 + 1048576), s.readBytes());
        assertEquals(OptionalLong.of(4096 + 2097152 + 4096), s.writeBytes());
    }

    /** dm-0 (253:0) sits on sda: counting only whole disks counts its I/O once. */
    @Test
    void statCountsOnlyWholeDisks() {
        Io.Stat s = Io.Stat.parse(IO_STAT, Set.of("8:0", "259:0"));
        assertEquals(OptionalLong.of(1048576 + 512), s.readBytes());
        assertEquals(OptionalLong.of(4096 + 2097152), s.writeBytes());
    }

    @Test
    void emptyStatIsZero() {
        Io.Stat s = Io.Stat.parse("", Set.of("8:0"));
        assertEquals(OptionalLong.of(0), s.readBytes());
        assertEquals(OptionalLong.of(0), s.writeBytes());
    }

    @Test
    void statToleratesUnknownKeysAndMalformedLines() {
        Io.Stat s = Io.Stat.parse("8:0 rbytes=10 wbytes=x newkey=5\ngarbage\n8:16 wbytes=3\n", Set.of());
        assertEquals(OptionalLong.of(10), s.readBytes());
        assertEquals(OptionalLong.of(3), s.writeBytes());
    }
}
