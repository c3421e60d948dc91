package rund.cgroup;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks a job's limits before anything is created: first each value against its controller's rules (see
 * {@link Cpu}, {@link Memory}, {@link Io}; the README quotes them), then whether this host can enforce them.
 *
 * <p>Summary of the rules:
 * <table>
 *   <caption>Limit rules</caption>
 *   <tr><th>flag</th><th>rejected as INVALID</th><th>written as</th></tr>
 *   <tr><td>max_cpu_bandwidth</td><td>0; 1..999 (kernel minimum 1000 us); more than 100000 x online CPUs</td>
 *       <td>cpu.max "QUOTA 100000"</td></tr>
 *   <tr><td>max_memory_usage</td><td>0; under 1 MiB; 2^63 and more</td>
 *       <td>memory.max "BYTES" (and memory.swap.max "0" when swap is accounted)</td></tr>
 *   <tr><td>max_rbps, max_wbps</td><td>0; 1; 2^63 and more</td>
 *       <td>io.max "MAJ:MIN rbps=N wbps=N", one write per whole disk</td></tr>
 *   <tr><td>max_riops, max_wiops</td><td>0; 1; more than 4294967294</td>
 *       <td>io.max "MAJ:MIN riops=N wiops=N", one write per whole disk</td></tr>
 * </table>
 * A set limit whose controller is not enabled for job cgroups, and io limits on a host without a whole disk, are
 * UNAVAILABLE; the message names the controller and why it is missing. No limit at all is always accepted, also
 * when cgroup support is degraded. All problems of the same kind are reported in one message, separated by "; ".
 */
public final class LimitValidator {
    private LimitValidator() {}

    /**
     * @param onlineCpus the host's online CPUs (the upper bound of max_cpu_bandwidth is 100000 per CPU)
     * @param devices the whole disks io.max would be written for
     * @throws LimitException INVALID for a value no host accepts, UNAVAILABLE for one this host cannot enforce
     */
    public static void validate(JobLimits limits, CgroupSupport support, int onlineCpus, BlockDevices devices)
            throws LimitException {
        List<String> problems = new ArrayList<>();
        Cpu.check(limits.cpuQuotaMicros(), onlineCpus, problems);
        Memory.check(limits.memoryMaxBytes(), problems);
        Io.check(limits, problems);
        if (!problems.isEmpty()) {
            throw new LimitException(LimitException.Kind.INVALID, String.join("; ", problems));
        }
        checkAvailable(limits, support, devices);
    }

    /** The UNAVAILABLE half of {@link #validate}, also run by {@link JobCgroup#create} in case a caller skipped it. */
    static void checkAvailable(JobLimits limits, CgroupSupport support, BlockDevices devices)
            throws LimitException {
        List<String> problems = new ArrayList<>();
        for (Controller c : limits.controllersNeeded()) {
            String why = switch (support) {
                case CgroupSupport.Degraded d -> d.reason();
                case CgroupSupport.Enabled e -> e.whyUnavailable(c);
            };
            if (!why.isEmpty()) {
                problems.add(c.fileName() + " limit requested but the cgroup v2 " + c.fileName()
                        + " controller is not available on this host: " + why);
            }
        }
        if (limits.hasIoLimit() && problems.isEmpty() && devices.disks().isEmpty()) {
            problems.add("io limit requested but there is no whole disk to apply it to: " + devices.describe());
        }
        if (!problems.isEmpty()) {
            throw new LimitException(LimitException.Kind.UNAVAILABLE, String.join("; ", problems));
        }
    }
}
