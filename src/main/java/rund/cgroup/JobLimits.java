package rund.cgroup;

import java.util.EnumSet;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A job's resource limits as the API gives them; an empty value means "not set" and no limit is written for it.
 *
 * <p>The API's fields are unsigned 64-bit integers carried in a {@code long}: a value of 2^63 or more arrives here as
 * a negative number. Nothing is checked here; {@link LimitValidator} decides what is acceptable.
 *
 * @param cpuQuotaMicros microseconds of CPU time per 100000 us period (cpu.max), API flag max_cpu_bandwidth
 * @param memoryMaxBytes hard memory limit in bytes (memory.max), max_memory_usage
 * @param readBps read bytes per second on every whole disk (io.max rbps), max_rbps
 * @param readIops read operations per second (io.max riops), max_riops
 * @param writeBps write bytes per second (io.max wbps), max_wbps
 * @param writeIops write operations per second (io.max wiops), max_wiops
 */
public record JobLimits(
        OptionalLong cpuQuotaMicros,
        OptionalLong memoryMaxBytes,
        OptionalLong readBps,
        OptionalLong readIops,
        OptionalLong writeBps,
        OptionalLong writeIops) {

    private static final JobLimits NONE = new JobLimits(
            OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(),
            OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty());

    /** A null component means "not set", so callers mapping optional API fields need no special case. */
    public JobLimits {
        cpuQuotaMicros = orEmpty(cpuQuotaMicros);
        memoryMaxBytes = orEmpty(memoryMaxBytes);
        readBps = orEmpty(readBps);
        readIops = orEmpty(readIops);
        writeBps = orEmpty(writeBps);
        writeIops = orEmpty(writeIops);
    }

    private static OptionalLong orEmpty(OptionalLong value) {
        return value == null ? OptionalLong.empty() : value;
    }

    public static JobLimits none() {
        return NONE;
    }

    public boolean isEmpty() {
        return controllersNeeded().isEmpty();
    }

    /** True when any of the four io.max keys is set. */
    public boolean hasIoLimit() {
        return readBps.isPresent() || readIops.isPresent() || writeBps.isPresent() || writeIops.isPresent();
    }

    /** The controllers that must be enabled for the job cgroup to enforce these limits. */
    public Set<Controller> controllersNeeded() {
        Set<Controller> needed = EnumSet.noneOf(Controller.class);
        if (cpuQuotaMicros.isPresent()) {
            needed.add(Controller.CPU);
        }
        if (memoryMaxBytes.isPresent()) {
            needed.add(Controller.MEMORY);
        }
        if (hasIoLimit()) {
            needed.add(Controller.IO);
        }
        return needed;
    }

    /** Returns a copy with the cpu quota set; the {@code with...} methods keep call sites and tests readable. */
    public JobLimits withCpuQuotaMicros(long value) {
        return new JobLimits(OptionalLong.of(value), memoryMaxBytes, readBps, readIops, writeBps, writeIops);
    }

    public JobLimits withMemoryMaxBytes(long value) {
        return new JobLimits(cpuQuotaMicros, OptionalLong.of(value), readBps, readIops, writeBps, writeIops);
    }

    public JobLimits withReadBps(long value) {
        return new JobLimits(cpuQuotaMicros, memoryMaxBytes, OptionalLong.of(value), readIops, writeBps, writeIops);
    }

    public JobLimits withReadIops(long value) {
        return new JobLimits(cpuQuotaMicros, memoryMaxBytes, readBps, OptionalLong.of(value), writeBps, writeIops);
    }

    public JobLimits withWriteBps(long value) {
        return new JobLimits(cpuQuotaMicros, memoryMaxBytes, readBps, readIops, OptionalLong.of(value), writeIops);
    }

    public JobLimits withWriteIops(long value) {
        return new JobLimits(cpuQuotaMicros, memoryMaxBytes, readBps, readIops, writeBps, OptionalLong.of(value));
    }
}
