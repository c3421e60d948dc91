package rund.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The io controller: io.max and io.stat.
 *
 * <p>io.max takes one device per write: "MAJ:MIN rbps=N wbps=N riops=N wiops=N", where keys left out keep their
 * current value ("max" in a new cgroup). rund writes one line per whole disk ({@link BlockDevices}) with only the keys
 * the caller set. Rules for max_rbps, max_wbps, max_riops, max_wiops:
 * <ul>
 *   <li>0 is rejected: it is not a limit (the kernel answers ERANGE); omit the flag for no limit.</li>
 *   <li>1 is rejected: many kernels (6.1 among them) refuse it with EINVAL, so the smallest portable value is 2.</li>
 *   <li>riops and wiops above 4294967294 are rejected: the kernel clamps them to 4294967295, which it takes as "no
 *       limit", and accepts the write without an error.</li>
 *   <li>2^63 and above is rejected as out of range.</li>
 *   <li>Limits need at least one whole disk; without one they cannot be enforced (UNAVAILABLE).</li>
 * </ul>
 */
final class Io {
    private Io() {}

    static final String MAX_FILE = "io.max";
    static final String STAT_FILE = "io.stat";
    static final long MIN_VALUE = 2;
    /**
     * blk-throttle keeps iops limits in an unsigned int, clamps larger values to UINT_MAX and treats UINT_MAX as "no
     * limit": on Linux 6.1 "riops=4294967295" is accepted and io.max then shows no limit at all.
     */
    static final long MAX_IOPS = 0xFFFF_FFFEL;

    /** The io.max keys in the kernel's own order, with the API flag each comes from. */
    private enum Key {
        RBPS("rbps", "max_rbps", false),
        WBPS("wbps", "max_wbps", false),
        RIOPS("riops", "max_riops", true),
        WIOPS("wiops", "max_wiops", true);

        final String key;
        final String flag;
        final boolean iops;

        Key(String key, String flag, boolean iops) {
            this.key = key;
            this.flag = flag;
            this.iops = iops;
        }

        OptionalLong of(JobLimits limits) {
            return switch (this) {
                case RBPS -> limits.readBps();
                case WBPS -> limits.writeBps();
                case RIOPS -> limits.readIops();
                case WIOPS -> limits.writeIops();
            };
        }
    }

    static void check(JobLimits limits, List<String> problems) {
        for (Key k : Key.values()) {
            OptionalLong value = k.of(limits);
            if (value.isEmpty()) {
                continue;
            }
            long v = value.getAsLong();
            if (v == 0) {
                problems.add(k.flag + " 0 is not a limit; omit the flag for no limit");
            } else if (v > 0 && v < MIN_VALUE) {
                problems.add(k.flag + " " + v + " is below the minimum of " + MIN_VALUE
                        + " that the kernel's io.max accepts");
            } else if (v < 0) {
                problems.add(k.flag + " " + Long.toUnsignedString(v) + " is out of range (at most "
                        + (k.iops ? MAX_IOPS : Long.MAX_VALUE) + "); omit the flag for no limit");
            } else if (k.iops && v > MAX_IOPS) {
                problems.add(k.flag + " " + v + " exceeds the kernel's maximum of " + MAX_IOPS
                        + " operations per second (it would mean no limit); omit the flag for no limit");
            }
        }
    }

    /** The io.max lines to write, one per disk, each with only the keys that are set; empty without io limits. */
    static List<String> lines(JobLimits limits, List<BlockDevice> disks) {
        StringBuilder keys = new StringBuilder();
        for (Key k : Key.values()) {
            OptionalLong value = k.of(limits);
            if (value.isPresent()) {
                keys.append(' ').append(k.key).append('=').append(value.getAsLong());
            }
        }
        if (keys.isEmpty()) {
            return List.of();
        }
        List<String> lines = new ArrayList<>(disks.size());
        for (BlockDevice disk : disks) {
            lines.add(disk.majMin() + keys);
        }
        return lines;
    }

    static void apply(CgroupFs fs, Path cgroup, JobLimits limits, BlockDevices devices) throws IOException {
        for (String line : lines(limits, devices.disks())) {
            fs.writeLimit(cgroup.resolve(MAX_FILE), line);
        }
    }

    /** io.stat rbytes and wbytes, summed. */
    record Stat(OptionalLong readBytes, OptionalLong writeBytes) {
        static final Stat NONE = new Stat(OptionalLong.empty(), OptionalLong.empty());

        /**
         * Sums rbytes and wbytes over the devices in {@code devices} ("8:0"), or over every line when it is empty.
         * Counting only whole disks avoids counting I/O twice: a read through device-mapper shows up on dm-0 and
         * again on the disk below it. An existing but empty io.stat (no I/O yet) gives 0.
         */
        static Stat parse(String ioStat, Set<String> devices) {
            long read = 0;
            long write = 0;
            for (Map.Entry<String, Map<String, String>> line : KeyedFiles.parseNested(ioStat).entrySet()) {
                if (!devices.isEmpty() && !devices.contains(line.getKey())) {
                    continue;
                }
                read += KeyedFiles.parseUnsigned(line.getValue().get("rbytes")).orElse(0);
                write += KeyedFiles.parseUnsigned(line.getValue().get("wbytes")).orElse(0);
            }
            return new Stat(OptionalLong.of(read), OptionalLong.of(write));
        }
    }
}
