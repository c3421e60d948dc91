package rund.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MemoryTest {

    @ParameterizedTest(name = "{0} bytes")
    @CsvSource(delimiter = '|', value = {
        "0                   | max_memory_usage 0 is not a limit; omit the flag for no limit",
        "1                   | max_memory_usage 1 is below the minimum of 1048576 bytes (1 MiB): no program can be started in less",
        "1048575             | max_memory_usage 1048575 is below the minimum of 1048576 bytes (1 MiB): no program can be started in less",
        "1048576             | ''",
        "10000000            | ''",
        "9223372036854775807 | ''",
        "-1                  | max_memory_usage 18446744073709551615 is out of range (at most 9223372036854775807 bytes); omit the flag for no limit",
        "-9223372036854775808 | max_memory_usage 9223372036854775808 is out of range (at most 9223372036854775807 bytes); omit the flag for no limit",
    })
    void check(long bytes, String problem) {
        List<String> problems = new ArrayList<>();
        Memory.check(OptionalLong.of(bytes), problems);
        assertEquals(problem.isEmpty() ? List.of() : List.of(problem), problems);
    }

    @Test
    void applyWritesMaxAndNoSwap(@TempDir Path tmp) throws IOException {
        FakeKernel k = new FakeKernel(tmp, "memory");
        k.setSubtreeControl(tmp, "memory");
        Path cg = k.cgroup("job");
        Memory.apply(k, cg, JobLimits.none().withMemoryMaxBytes(10_000_000));
        assertEquals(List.of("write /job/memory.max 10000000", "write /job/memory.swap.max 0"), k.log);
    }

    @Test
    void applyWithoutSwapAccounting(@TempDir Path tmp) throws IOException {
        FakeKernel k = new FakeKernel(tmp, "memory");
        k.swapAccounting = false;
        k.setSubtreeControl(tmp, "memory");
        Path cg = k.cgroup("job");
        Memory.apply(k, cg, JobLimits.none().withMemoryMaxBytes(67108864));
        assertEquals(List.of("write /job/memory.max 67108864"), k.log);
    }

    @Test
    void applyWithoutLimitWritesNothing(@TempDir Path tmp) throws IOException {
        FakeKernel k = new FakeKernel(tmp, "memory");
        k.setSubtreeControl(tmp, "memory");
        Memory.apply(k, k.cgroup("job"), JobLimits.none().withCpuQuotaMicros(5000));
        assertEquals(List.of(), k.log);
    }

    @Test
    void peakAndCurrent() {
        assertEquals(OptionalLong.of(67108864), Memory.parseBytes("67108864\n"));
        assertEquals(OptionalLong.of(0), Memory.parseBytes("0\n"));
        assertEquals(OptionalLong.empty(), Memory.parseBytes(""));
        assertEquals(OptionalLong.empty(), Memory.parseBytes("max\n"));
    }

    @Test
    void oomKillsFromMemoryEvents() {
        assertEquals(1, Memory.parseOomKills("low 0\nhigh 0\nmax 37\noom 1\noom_kill 1\noom_group_kill 0\n"));
        assertEquals(3, Memory.parseOomKills("oom 3\noom_kill 3\n"));
        assertEquals(0, Memory.parseOomKills("low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"));
        // oom counts limit hits; only oom_kill counts kills.
        assertEquals(0, Memory.parseOomKills("max 5\noom 2\n"));
    }
}
