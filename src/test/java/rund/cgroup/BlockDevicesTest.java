package rund.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A fake /sys with /sys/block entries as symbolic links into /sys/devices, as the kernel lays them out. */
class BlockDevicesTest {
    @TempDir
    Path sys;

    /** Creates /sys/devices/PARENT/block/NAME with dev and size, a device link when it has a parent, and the link. */
    private Path disk(String name, String parent, String dev, long sectors) throws IOException {
        Path real = sys.resolve("devices").resolve(parent).resolve("block").resolve(name);
        Files.createDirectories(real);
        if (dev != null) {
            Files.writeString(real.resolve("dev"), dev + "\n");
        }
        Files.writeString(real.resolve("size"), sectors + "\n");
        if (!parent.startsWith("virtual")) {
            Files.createSymbolicLink(real.resolve("device"), real.getParent().getParent());
        }
        Files.createDirectories(sys.resolve("block"));
        Files.createSymbolicLink(sys.resolve("block").resolve(name), real);
        return real;
    }

    private static void partition(Path disk, String name, String dev) throws IOException {
        Path p = Files.createDirectories(disk.resolve(name));
        Files.writeString(p.resolve("dev"), dev + "\n");
        Files.writeString(p.resolve("partition"), "1\n");
        Files.writeString(p.resolve("size"), "2048\n");
    }

    @Test
    void wholeDisksOnly() throws IOException {
        Path sda = disk("sda", "pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0", "8:0", 500118192);
        partition(sda, "sda1", "8:1");
        partition(sda, "sda2", "8:2");
        disk("loop0", "virtual", "7:0", 2048);
        Path nvme = disk("nvme0n1", "pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0", "259:0", 1000215216);
        partition(nvme, "nvme0n1p1", "259:1");
        disk("dm-0", "virtual", "253:0", 400000000);
        disk("ubda", "platform/uml-blkdev.0", "98:0", 204800);
        disk("sr0", "pci0000:00/0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0", "11:0", 0);
        disk("zram0", "virtual", "252:0", 8388608);
        disk("md0", "virtual", "9:0", 1000);
        disk("nbd0", "virtual", "43:0", 0);
        disk("ram0", "virtual", "1:0", 8192);
        disk("vdb", "pci0000:00/0000:00:05.0/virtio2", "254:16", 0);
        // A software device with a name not on the list: no parent device.
        disk("zvol0", "virtual", "230:0", 1000);
        // An NVMe multipath path device: hidden, no device number.
        Files.writeString(disk("nvme0c0n1", "pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0", null, 1000)
                .resolve("hidden"), "1\n");

        BlockDevices d = BlockDevices.scan(sys.resolve("block"));
        assertEquals(List.of(new BlockDevice("nvme0n1", 259, 0), new BlockDevice("sda", 8, 0),
                new BlockDevice("ubda", 98, 0)), d.disks());
        assertEquals(List.of("dm-0", "loop0", "md0", "nbd0", "nvme0c0n1", "ram0", "sr0", "vdb", "zram0", "zvol0"),
                List.copyOf(d.skipped().keySet()));
        assertTrue(d.skipped().get("vdb").contains("size 0"), d.skipped()::toString);
        assertTrue(d.skipped().get("zvol0").contains("no parent device"), d.skipped()::toString);
        assertTrue(d.skipped().get("nvme0c0n1").contains("hidden"), d.skipped()::toString);
        assertEquals("nvme0n1 259:0, sda 8:0, ubda 98:0", d.describe());
    }

    @Test
    void noDiskSaysWhy() throws IOException {
        disk("loop0", "virtual", "7:0", 2048);
        BlockDevices d = BlockDevices.scan(sys.resolve("block"));
        assertEquals(List.of(), d.disks());
        assertEquals("no whole disk found in " + sys.resolve("block") + " (loop0: loop device (its I/O reaches the"
                + " disk holding the backing file))", d.describe());
    }

    @Test
    void missingSysBlockGivesNoDisks() {
        BlockDevices d = BlockDevices.scan(sys.resolve("nonexistent"));
        assertEquals(List.of(), d.disks());
        assertTrue(d.describe().startsWith("no whole disk found in " + sys.resolve("nonexistent")), d.describe());
    }

    @Test
    void unreadableDeviceNumberIsSkipped() throws IOException {
        Path sdb = disk("sdb", "pci0000:00/0000:00:1f.2/ata3/host2/target2:0:0/2:0:0:0", "garbage", 100);
        assertEquals(List.of(), BlockDevices.scan(sys.resolve("block")).disks());
        Files.writeString(sdb.resolve("dev"), "8:16\n");
        assertEquals(List.of(new BlockDevice("sdb", 8, 16)), BlockDevices.scan(sys.resolve("block")).disks());
    }
}
