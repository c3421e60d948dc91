package rund.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * The memory controller: memory.max, memory.swap.max, memory.peak, memory.current and memory.events.
 *
 * <p>Rules for max_memory_usage:
 * <ul>
 *   <li>0 is rejected: it is not a limit; omit the flag for no limit.</li>
 *   <li>Below 1 MiB is rejected: no program can even be executed in less (the exec'd image, its page tables and
 *       stack are charged to the job), so the job could only end in an OOM kill before running a line of user code.
 *       Limits above 1 MiB but below what the program needs are accepted; the kernel's OOM killer then ends the job
 *       and Status reports it (memory.events oom_kill).</li>
 *   <li>2^63 and above is rejected as out of range; any other value is written as is (the kernel rounds it down to
 *       a whole page). A value above the host's RAM is legal and simply never reached.</li>
 *   <li>When the kernel accounts swap (memory.swap.max exists), memory.swap.max is set to 0 as well: memory.max
 *       only bounds RAM, and a job allowed to swap could use far more memory than its "hard limit" says.</li>
 * </ul>
 */
final class Memory {
    private Memory() {}

    static final String FLAG = "max_memory_usage";
    static final String MAX_FILE = "memory.max";
    static final String SWAP_MAX_FILE = "memory.swap.max";
    static final String PEAK_FILE = "memory.peak";
    static final String CURRENT_FILE = "memory.current";
    static final String EVENTS_FILE = "memory.events";
    static final long MIN_BYTES = 1L << 20;

    static void check(OptionalLong maxBytes, List<String> problems) {
        if (maxBytes.isEmpty()) {
            return;
        }
        long v = maxBytes.getAsLong();
        if (v == 0) {
            problems.add(FLAG + " 0 is not a limit; omit the flag for no limit");
        } else if (v < 0) {
            problems.add(FLAG + " " + Long.toUnsignedString(v) + " is out of range (at most "
                    + Long.MAX_VALUE + " bytes); omit the flag for no limit");
        } else if (v < MIN_BYTES) {
            problems.add(FLAG + " " + v + " is below the minimum of " + MIN_BYTES
                    + " bytes (1 MiB): no program can be started in less");
        }
    }

    static void apply(CgroupFs fs, Path cgroup, JobLimits limits) throws IOException {
        if (limits.memoryMaxBytes().isEmpty()) {
            return;
        }
        fs.writeLimit(cgroup.resolve(MAX_FILE), Long.toString(limits.memoryMaxBytes().getAsLong()));
        Path swap = cgroup.resolve(SWAP_MAX_FILE);
        if (fs.exists(swap)) {
            fs.writeLimit(swap, "0");
        }
    }

    /** memory.peak (Linux 5.19+) or memory.current: one number of bytes. */
    static OptionalLong parseBytes(String content) {
        return KeyedFiles.parseUnsigned(content.strip());
    }

    /**
     * The oom_kill count of memory.events: processes of this cgroup (or its descendants) killed by any OOM killer.
     * This, not an exit status of 137 or SIGKILL, is how rund tells an OOM kill (containerd/containerd#6323).
     */
    static long parseOomKills(String memoryEvents) {
        return KeyedFiles.get(KeyedFiles.parseFlat(memoryEvents), "oom_kill").orElse(0);
    }
}
