package rund.cli.client;

import com.google.protobuf.Int32Value;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UInt64Value;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import rund.api.JobStatus;
import rund.api.Limits;
import rund.api.LogInfo;
import rund.api.State;
import rund.api.Usage;
import rund.sys.Signals;

/**
 * The JSON form of a {@link JobStatus} that {@code runc status} and {@code runc stop} print: one object on one line,
 * with stable snake_case names. Every key is always present except in "limits", which holds only the limits that
 * were set; a value the server did not report is null. Unsigned 64-bit numbers are printed as unsigned decimals.
 */
final class StatusJson {
    private StatusJson() {}

    static String format(JobStatus status) {
        return toJson(status).encode();
    }

    static JsonObject toJson(JobStatus status) {
        return new JsonObject()
                .put("id", status.getId())
                .put("command", status.getCommand())
                .put("args", new JsonArray(new ArrayList<Object>(status.getArgsList())))
                .put("state", stateName(status.getState()))
                .put("pid", status.getPid())
                .put("exit_code", status.hasExitCode() ? Integer.valueOf(status.getExitCode().getValue()) : null)
                .put("signal", status.hasSignal() ? Integer.valueOf(status.getSignal().getValue()) : null)
                .put("signal_name", status.hasSignal() ? signalName(status.getSignal()) : null)
                .put("oom_killed", status.getOomKilled())
                .put("stop_requested", status.getStopRequested())
                .put("created_at", status.hasCreatedAt() ? instant(status.getCreatedAt()) : null)
                .put("started_at", status.hasStartedAt() ? instant(status.getStartedAt()) : null)
                .put("ended_at", status.hasEndedAt() ? instant(status.getEndedAt()) : null)
                .put("limits", limits(status.getLimits()))
                .put("usage", usage(status.getUsage()))
                .put("log", log(status.getLog()))
                .put("cgroup", emptyToNull(status.getCgroup()))
                .put("message", emptyToNull(status.getMessage()));
    }

    /** "running", "exited", "signaled", "failed_to_start"; "unspecified" and "unknown" for what a newer server sends. */
    static String stateName(State state) {
        return switch (state) {
            case STATE_RUNNING -> "running";
            case STATE_EXITED -> "exited";
            case STATE_SIGNALED -> "signaled";
            case STATE_FAILED_TO_START -> "failed_to_start";
            case STATE_UNSPECIFIED -> "unspecified";
            case UNRECOGNIZED -> "unknown";
        };
    }

    private static String signalName(Int32Value signal) {
        int n = signal.getValue();
        return n >= 1 && n <= Signals.MAX ? Signals.name(n) : null;
    }

    /** RFC 3339 in UTC with as many fraction digits as the timestamp needs, e.g. 2025-01-02T03:04:05.123456789Z. */
    private static String instant(Timestamp t) {
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos()).toString();
    }

    private static JsonObject limits(Limits limits) {
        JsonObject json = new JsonObject();
        putIfSet(json, "max_cpu_bandwidth", limits.hasMaxCpuBandwidth(), limits.getMaxCpuBandwidth());
        putIfSet(json, "max_memory_usage", limits.hasMaxMemoryUsage(), limits.getMaxMemoryUsage());
        putIfSet(json, "max_rbps", limits.hasMaxRbps(), limits.getMaxRbps());
        putIfSet(json, "max_riops", limits.hasMaxRiops(), limits.getMaxRiops());
        putIfSet(json, "max_wbps", limits.hasMaxWbps(), limits.getMaxWbps());
        putIfSet(json, "max_wiops", limits.hasMaxWiops(), limits.getMaxWiops());
        return json;
    }

    private static void putIfSet(JsonObject json, String key, boolean set, UInt64Value value) {
        if (set) {
            json.put(key, unsigned(value.getValue()));
        }
    }

    private static JsonObject usage(Usage usage) {
        return new JsonObject()
                .put("cpu_usec", usage.hasCpuUsec() ? unsigned(usage.getCpuUsec().getValue()) : null)
                .put("memory_peak_bytes",
                        usage.hasMemoryPeakBytes() ? unsigned(usage.getMemoryPeakBytes().getValue()) : null)
                .put("io_read_bytes", usage.hasIoReadBytes() ? unsigned(usage.getIoReadBytes().getValue()) : null)
                .put("io_write_bytes", usage.hasIoWriteBytes() ? unsigned(usage.getIoWriteBytes().getValue()) : null)
                .put("cpu_throttled_periods",
                        usage.hasCpuThrottledPeriods() ? unsigned(usage.getCpuThrottledPeriods().getValue()) : null)
                .put("cpu_throttled_usec",
                        usage.hasCpuThrottledUsec() ? unsigned(usage.getCpuThrottledUsec().getValue()) : null);
    }

    private static JsonObject log(LogInfo log) {
        return new JsonObject()
                .put("stored_bytes", unsigned(log.getStoredBytes()))
                .put("dropped_bytes", unsigned(log.getDroppedBytes()))
                .put("truncated", log.getTruncated())
                .put("cap_bytes", unsigned(log.getCapBytes()));
    }

    /** A protobuf uint64 arrives in a signed long: values of 2^63 and more are shown as the unsigned number. */
    static Number unsigned(long value) {
        return value >= 0 ? Long.valueOf(value) : new BigInteger(Long.toUnsignedString(value));
    }

    private static String emptyToNull(String s) {
        return s.isEmpty() ? null : s;
    }
}
