package rund.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * The whole disks an io.max limit is applied to.
 *
 * <p>io.max takes the MAJ:MIN of a whole disk; a partition's number is rejected (stratis-storage/stratisd#1394).
 * /sys/block lists whole disks only (partitions are sub-directories such as /sys/block/sda/sda1), so a limit on the
 * disk covers every partition on it. An entry of /sys/block counts as a disk when all of these hold:
 * <ul>
 *   <li>its name does not start with loop, ram, zram, nbd, dm-, md or sr. The first six are software devices whose
 *       I/O ends up on another device, in RAM or on the network. I/O that device-mapper or md remaps to a physical
 *       disk keeps the job's cgroup, so the physical disk's limit applies to it, and limiting both would throttle it
 *       twice. sr is optical media;</li>
 *   <li>it has a {@code device} link, that is, a parent device (a PCI, SCSI, NVMe, virtio or platform device; UML's
 *       ubd disks hang off a platform device). The kernel files devices without a parent under
 *       /sys/devices/virtual; this catches software devices the name list misses;</li>
 *   <li>it is not {@code hidden} (the per-path devices of NVMe multipath, which have no device number of their own);</li>
 *   <li>its {@code dev} file holds MAJ:MIN and its {@code size} is more than 0 sectors (an empty card reader, a
 *       disconnected device).</li>
 * </ul>
 * A limit is written for every such disk, so it applies to each disk separately, not to their sum.
 */
public final class BlockDevices {
    /** Name prefixes of software and optical devices, with the reason reported in {@link #skipped()}. */
    private static final Map<String, String> SKIPPED_PREFIXES = new LinkedHashMap<>();

    static {
        SKIPPED_PREFIXES.put("loop", "loop device (its I/O reaches the disk holding the backing file)");
        SKIPPED_PREFIXES.put("zram", "compressed RAM disk");
        SKIPPED_PREFIXES.put("ram", "RAM disk");
        SKIPPED_PREFIXES.put("nbd", "network block device");
        SKIPPED_PREFIXES.put("dm-", "device-mapper device (its I/O is limited on the disks below it)");
        SKIPPED_PREFIXES.put("md", "software RAID (its I/O is limited on the disks below it)");
        SKIPPED_PREFIXES.put("sr", "optical drive");
    }

    private final List<BlockDevice> disks;
    private final Map<String, String> skipped;
    private final String source;

    private BlockDevices(List<BlockDevice> disks, Map<String, String> skipped, String source) {
        this.disks = List.copyOf(disks);
        this.skipped = Collections.unmodifiableMap(new TreeMap<>(skipped));
        this.source = source;
    }

    /** A fixed list, for callers that know their disks (and for tests). */
    public static BlockDevices of(List<BlockDevice> disks) {
        return new BlockDevices(disks, Map.of(), "a fixed list");
    }

    /**
     * Reads {@code sysBlock} (normally /sys/block). Never throws: an unreadable entry is skipped with the reason,
     * a missing directory gives no disks.
     */
    public static BlockDevices scan(Path sysBlock) {
        List<BlockDevice> disks = new ArrayList<>();
        Map<String, String> skipped = new TreeMap<>();
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(sysBlock)) {
            stream.forEach(entries::add);
        } catch (IOException e) {
            return new BlockDevices(List.of(), Map.of(), sysBlock + " (unreadable: " + e.getMessage() + ")");
        }
        entries.sort(null);
        for (Path entry : entries) {
            String name = entry.getFileName().toString();
            String reason = skipReason(name, entry);
            if (reason != null) {
                skipped.put(name, reason);
                continue;
            }
            try {
                String[] majMin = read(entry.resolve("dev")).split(":");
                disks.add(new BlockDevice(name, Integer.parseInt(majMin[0]), Integer.parseInt(majMin[1])));
            } catch (IOException | RuntimeException e) {
                skipped.put(name, "no readable device number");
            }
        }
        return new BlockDevices(disks, skipped, sysBlock.toString());
    }

    private static String skipReason(String name, Path entry) {
        for (Map.Entry<String, String> prefix : SKIPPED_PREFIXES.entrySet()) {
            if (name.startsWith(prefix.getKey())) {
                return prefix.getValue();
            }
        }
        if (!Files.exists(entry.resolve("device"))) {
            return "no parent device (a software device)";
        }
        try {
            if (Files.exists(entry.resolve("hidden")) && read(entry.resolve("hidden")).equals("1")) {
                return "hidden (a path of a multipath device)";
            }
            OptionalLong size = KeyedFiles.parseUnsigned(read(entry.resolve("size")));
            if (size.isEmpty() || size.getAsLong() == 0) {
                return "size 0 (no medium)";
            }
        } catch (IOException e) {
            return "unreadable: " + e.getMessage();
        }
        return null;
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.US_ASCII).strip();
    }

    /** The whole disks, by name. */
    public List<BlockDevice> disks() {
        return disks;
    }

    /** Entries of /sys/block that are not used, with the reason; for messages and the daemon's start-up log. */
    public Map<String, String> skipped() {
        return skipped;
    }

    /** "sda 8:0, nvme0n1 259:0" or why there is none; for messages. */
    public String describe() {
        if (!disks.isEmpty()) {
            StringBuilder sb = new StringBuilder();
            for (BlockDevice d : disks) {
                sb.append(sb.isEmpty() ? "" : ", ").append(d.name()).append(' ').append(d.majMin());
            }
            return sb.toString();
        }
        if (skipped.isEmpty()) {
            return "no whole disk found in " + source;
        }
        StringBuilder sb = new StringBuilder("no whole disk found in " + source + " (");
        skipped.forEach((name, why) -> sb.append(sb.charAt(sb.length() - 1) == '(' ? "" : "; ")
                .append(name).append(": ").append(why));
        return sb.append(')').toString();
    }

    @Override
    public String toString() {
        return describe();
    }
}
