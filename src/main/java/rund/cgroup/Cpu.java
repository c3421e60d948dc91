package rund.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The cpu controller: cpu.max and cpu.stat.
 *
 * <p>cpu.max is "$MAX $PERIOD" in microseconds. rund always uses the kernel's default period of 100000 us, so the API
 * value (max_cpu_bandwidth) is the quota: 50000 is half a CPU, 200000 two CPUs. Rules:
 * <ul>
 *   <li>0 is rejected: it is not a limit (a job that may never run); omit the flag for no limit.</li>
 *   <li>Below 1000 is rejected: the kernel refuses quotas under 1 ms (EINVAL; kubernetes/kubernetes#23113).</li>
 *   <li>Above 100000 times the number of online CPUs is rejected: such a quota cannot be used up on this host, so
 *       accepting it would pretend a limit that never applies.</li>
 *   <li>Otherwise written as "QUOTA 100000".</li>
 * </ul>
 */
final class Cpu {
    private Cpu() {}

    static final String FLAG = "max_cpu_bandwidth";
    static final String MAX_FILE = "cpu.max";
    static final String STAT_FILE = "cpu.stat";
    /** The kernel's default CFS period; the API defines the quota relative to it. */
    static final long PERIOD_USEC = 100_000;
    /** The smallest quota the kernel accepts (min_cfs_quota_period, 1 ms). */
    static final long MIN_QUOTA_USEC = 1_000;

    /** Adds a message to {@code problems} for every rule {@code quota} breaks. */
    static void check(OptionalLong quota, int onlineCpus, List<String> problems) {
        if (quota.isEmpty()) {
            return;
        }
        long q = quota.getAsLong();
        long capacity = PERIOD_USEC * Math.max(1, onlineCpus);
        if (q == 0) {
            problems.add(FLAG + " 0 would never let the job run; omit the flag for no limit");
        } else if (q > 0 && q < MIN_QUOTA_USEC) {
            problems.add(FLAG + " " + q + " is below the kernel's minimum quota of " + MIN_QUOTA_USEC
                    + " us per " + PERIOD_USEC + " us period");
        } else if (q < 0 || q > capacity) {
            problems.add(FLAG + " " + Long.toUnsignedString(q) + " exceeds this host's capacity of " + capacity
                    + " (" + onlineCpus + " online CPU" + (onlineCpus == 1 ? "" : "s") + " x " + PERIOD_USEC
                    + " us per " + PERIOD_USEC + " us period); omit the flag for no limit");
        }
    }

    /** The cpu.max line for a quota that passed {@link #check}. */
    static String cpuMax(long quotaMicros) {
        return quotaMicros + " " + PERIOD_USEC;
    }

    static void apply(CgroupFs fs, Path cgroup, JobLimits limits) throws IOException {
        if (limits.cpuQuotaMicros().isPresent()) {
            fs.writeLimit(cgroup.resolve(MAX_FILE), cpuMax(limits.cpuQuotaMicros().getAsLong()));
        }
    }

    /**
     * cpu.stat figures. usage_usec is there whenever the file is (core accounting, even without the cpu controller);
     * nr_throttled and throttled_usec only when the cpu controller is enabled for the cgroup.
     */
    record Stat(OptionalLong usageUsec, OptionalLong throttledPeriods, OptionalLong throttledUsec) {
        static final Stat NONE = new Stat(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty());

        static Stat parse(String cpuStat) {
            Map<String, Long> flat = KeyedFiles.parseFlat(cpuStat);
            return new Stat(KeyedFiles.get(flat, "usage_usec"), KeyedFiles.get(flat, "nr_throttled"),
                    KeyedFiles.get(flat, "throttled_usec"));
        }
    }
}
