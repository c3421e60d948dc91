package rund.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CpuTest {

    @ParameterizedTest(name = "quota {0} -> \"{1}\"")
    @CsvSource({
        "1000,   1000 100000",
        "50000,  50000 100000",
        "100000, 100000 100000",
        "250000, 250000 100000",
    })
    void cpuMaxFormat(long quota, String expected) {
        assertEquals(expected, Cpu.cpuMax(quota));
    }

    /** An empty "problem" column means the value is accepted. */
    @ParameterizedTest(name = "quota {0} on {1} CPUs")
    @CsvSource(delimiter = '|', value = {
        "0                    | 4 | max_cpu_bandwidth 0 would never let the job run; omit the flag for no limit",
        "1                    | 4 | max_cpu_bandwidth 1 is below the kernel's minimum quota of 1000 us per 100000 us period",
        "500                  | 4 | max_cpu_bandwidth 500 is below the kernel's minimum quota of 1000 us per 100000 us period",
        "999                  | 4 | max_cpu_bandwidth 999 is below the kernel's minimum quota of 1000 us per 100000 us period",
        "1000                 | 4 | ''",
        "100000               | 1 | ''",
        "400000               | 4 | ''",
        "400001               | 4 | max_cpu_bandwidth 400001 exceeds this host's capacity of 400000 (4 online CPUs x 100000 us per 100000 us period); omit the flag for no limit",
        "100001               | 1 | max_cpu_bandwidth 100001 exceeds this host's capacity of 100000 (1 online CPU x 100000 us per 100000 us period); omit the flag for no limit",
        "-1                   | 2 | max_cpu_bandwidth 18446744073709551615 exceeds this host's capacity of 200000 (2 online CPUs x 100000 us per 100000 us period); omit the flag for no limit",
    })
    void check(long quota, int cpus, String problem) {
        List<String> problems = new ArrayList<>();
        Cpu.check(OptionalLong.of(quota), cpus, problems);
        assertEquals(problem.isEmpty() ? List.of() : List.of(problem), problems);
    }

    @Test
    void unsetIsNotChecked() {
        List<String> problems = new ArrayList<>();
        Cpu.check(OptionalLong.empty(), 1, problems);
        assertTrue(problems.isEmpty());
    }

    @Test
    void statWithThrottling() {
        Cpu.Stat s = Cpu.Stat.parse("""
                usage_usec 2539145
                user_usec 2410000
                system_usec 129145
                core_sched.force_idle_usec 0
                nr_periods 31
                nr_throttled 24
                throttled_usec 2389731
                nr_bursts 0
                burst_usec 0
                """);
        assertEquals(OptionalLong.of(2539145), s.usageUsec());
        assertEquals(OptionalLong.of(24), s.throttledPeriods());
        assertEquals(OptionalLong.of(2389731), s.throttledUsec());
    }

    /** Without the cpu controller cpu.stat holds the core figures only. */
    @Test
    void statWithoutCpuController() {
        Cpu.Stat s = Cpu.Stat.parse("usage_usec 12\nuser_usec 10\nsystem_usec 2\n");
        assertEquals(OptionalLong.of(12), s.usageUsec());
        assertEquals(OptionalLong.empty(), s.throttledPeriods());
        assertEquals(OptionalLong.empty(), s.throttledUsec());
    }

    @Test
    void applyWritesOnlyWhenSet(@TempDir Path tmp) throws IOException {
        FakeKernel k = new FakeKernel(tmp, "cpu");
        k.setSubtreeControl(tmp, "cpu");
        Path cg = k.cgroup("job");
        Cpu.apply(k, cg, JobLimits.none());
        assertEquals(List.of(), k.log);
        Cpu.apply(k, cg, JobLimits.none().withCpuQuotaMicros(20000));
        assertEquals(List.of("write /job/cpu.max 20000 100000"), k.log);
        assertEquals("20000 100000", k.content(cg, "cpu.max"));
    }
}
