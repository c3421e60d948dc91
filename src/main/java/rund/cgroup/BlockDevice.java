package rund.cgroup;

import java.util.Objects;

/** A whole disk as listed in /sys/block: its kernel name and device number. */
public record BlockDevice(String name, int major, int minor) {
    public BlockDevice {
        Objects.requireNonNull(name, "name");
        if (major < 0 || minor < 0) {
            throw new IllegalArgumentException("device number " + major + ":" + minor + " of " + name);
        }
    }

    /** "8:0", the form io.max and io.stat use. */
    public String majMin() {
        return major + ":" + minor;
    }
}
