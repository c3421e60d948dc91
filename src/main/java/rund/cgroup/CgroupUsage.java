package rund.cgroup;

import java.util.OptionalLong;

/**
 * A job cgroup's resource figures, read by {@link JobCgroup#usage()} (the final ones just before removal). A figure
 * is empty when the kernel does not provide it: the controller is not enabled, or the kernel predates the file
 * (memory.peak needs Linux 5.19).
 *
 * @param cpuUsec cpu.stat usage_usec, CPU time of all the job's processes
 * @param cpuThrottledPeriods cpu.stat nr_throttled, periods in which the cpu.max quota was used up
 * @param cpuThrottledUsec cpu.stat throttled_usec, time spent waiting for the next period
 * @param memoryPeakBytes memory.peak, the highest memory use
 * @param ioReadBytes io.stat rbytes, summed over the whole disks
 * @param ioWriteBytes io.stat wbytes, summed over the whole disks
 * @param oomKills memory.events oom_kill, processes of the job killed by an OOM killer (0 without the memory controller)
 */
public record CgroupUsage(
        OptionalLong cpuUsec,
        OptionalLong cpuThrottledPeriods,
        OptionalLong cpuThrottledUsec,
        OptionalLong memoryPeakBytes,
        OptionalLong ioReadBytes,
        OptionalLong ioWriteBytes,
        long oomKills) {

    public static final CgroupUsage NONE = new CgroupUsage(OptionalLong.empty(), OptionalLong.empty(),
            OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), 0);

    public boolean oomKilled() {
        return oomKills > 0;
    }
}
