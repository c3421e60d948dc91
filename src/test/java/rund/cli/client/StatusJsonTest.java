package rund.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Int32Value;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UInt64Value;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import rund.api.JobStatus;
import rund.api.Limits;
import rund.api.LogInfo;
import rund.api.State;
import rund.api.Usage;

/** The JSON that status and stop print: every field, its name, its null form. */
class StatusJsonTest {

    private static final List<String> KEYS = List.of("id", "command", "args", "state", "pid", "exit_code", "signal",
            "signal_name", "oom_killed", "stop_requested", "created_at", "started_at", "ended_at", "limits", "usage",
            "log", "cgroup", "message");

    private static Timestamp ts(long seconds, int nanos) {
        return Timestamp.newBuilder().setSeconds(seconds).setNanos(nanos).build();
    }

    private static UInt64Value u(long value) {
        return UInt64Value.of(value);
    }

    @Test
    void aFinishedJobWithEveryFieldSet() {
        JobStatus status = JobStatus.newBuilder()
                .setId("01JABCDEFGHJKMNPQRSTVWXYZ0")
                .setCommand("sh")
                .addAllArgs(List.of("-c", "echo \"hi\"\n"))
                .setState(State.STATE_SIGNALED)
                .setPid(4242)
                .setSignal(Int32Value.of(9))
                .setOomKilled(true)
                .setStopRequested(true)
                .setCreatedAt(ts(1_700_000_000L, 123_456_789))
                .setStartedAt(ts(1_700_000_000L, 500_000_000))
                .setEndedAt(ts(1_700_000_001L, 0))
                .setLimits(Limits.newBuilder()
                        .setMaxCpuBandwidth(u(50_000)).setMaxMemoryUsage(u(10_000_000)).setMaxRbps(u(1))
                        .setMaxRiops(u(2)).setMaxWbps(u(3)).setMaxWiops(u(4)))
                .setUsage(Usage.newBuilder()
                        .setCpuUsec(u(11)).setMemoryPeakBytes(u(12)).setIoReadBytes(u(13)).setIoWriteBytes(u(14))
                        .setCpuThrottledPeriods(u(15)).setCpuThrottledUsec(u(16)))
                .setLog(LogInfo.newBuilder().setStoredBytes(100).setDroppedBytes(5).setTruncated(true)
                        .setCapBytes(105))
                .setCgroup("rund.slice/job-01J")
                .setMessage("stopped")
                .build();

        String line = StatusJson.format(status);
        assertFalse(line.contains("\n"), line);
        assertEquals("{\"id\":\"01JABCDEFGHJKMNPQRSTVWXYZ0\",\"command\":\"sh\",\"args\":[\"-c\",\"echo \\\"hi\\\"\\n\"],"
                + "\"state\":\"signaled\",\"pid\":4242,\"exit_code\":null,\"signal\":9,\"signal_name\":\"SIGKILL\","
                + "\"oom_killed\":true,\"stop_requested\":true,"
                + "\"created_at\":\"2023-11-14T22:13:20.123456789Z\",\"started_at\":\"2023-11-14T22:13:20.500Z\","
                + "\"ended_at\":\"2023-11-14T22:13:21Z\","
                + "\"limits\":{\"max_cpu_bandwidth\":50000,\"max_memory_usage\":10000000,\"max_rbps\":1,"
                + "\"max_riops\":2,\"max_wbps\":3,\"max_wiops\":4},"
                + "\"usage\":{\"cpu_usec\":11,\"memory_peak_bytes\":12,\"io_read_bytes\":13,\"io_write_bytes\":14,"
                + "\"cpu_throttled_periods\":15,\"cpu_throttled_usec\":16},"
                + "\"log\":{\"stored_bytes\":100,\"dropped_bytes\":5,\"truncated\":true,\"cap_bytes\":105},"
                + "\"cgroup\":\"rund.slice/job-01J\",\"message\":\"stopped\"}", line);
    }

    @Test
    void anEmptyStatusHasEveryKeyAndNullsWhereNothingWasReported() {
        JsonObject json = new JsonObject(StatusJson.format(JobStatus.getDefaultInstance()));
        assertEquals(KEYS, List.copyOf(json.fieldNames()));
        assertEquals("", json.getString("id"));
        assertEquals(List.of(), json.getJsonArray("args").getList());
        assertEquals("unspecified", json.getString("state"));
        assertEquals(0, json.getInteger("pid"));
        for (String key : List.of("exit_code", "signal", "signal_name", "created_at", "started_at", "ended_at",
                "cgroup", "message")) {
            assertTrue(json.containsKey(key) && json.getValue(key) == null, key);
        }
        assertEquals(false, json.getBoolean("oom_killed"));
        assertEquals(false, json.getBoolean("stop_requested"));
        assertEquals(new JsonObject(), json.getJsonObject("limits"));
        JsonObject usage = json.getJsonObject("usage");
        assertEquals(List.of("cpu_usec", "memory_peak_bytes", "io_read_bytes", "io_write_bytes",
                "cpu_throttled_periods", "cpu_throttled_usec"), List.copyOf(usage.fieldNames()));
        usage.forEach(entry -> assertEquals(null, entry.getValue(), entry.getKey()));
        assertEquals(new JsonObject().put("stored_bytes", 0).put("dropped_bytes", 0).put("truncated", false)
                .put("cap_bytes", 0), json.getJsonObject("log"));
    }

    @Test
    void aRunningJobHasNoExitCodeSignalOrEnd() {
        JsonObject json = StatusJson.toJson(JobStatus.newBuilder()
                .setState(State.STATE_RUNNING).setPid(7).setStartedAt(ts(0, 0)).build());
        assertEquals("running", json.getString("state"));
        assertEquals("1970-01-01T00:00:00Z", json.getString("started_at"));
        assertEquals(null, json.getValue("exit_code"));
        assertEquals(null, json.getValue("signal"));
        assertEquals(null, json.getValue("ended_at"));
    }

    @Test
    void exitCodeZeroIsANumberNotNull() {
        JsonObject json = StatusJson.toJson(JobStatus.newBuilder()
                .setState(State.STATE_EXITED).setExitCode(Int32Value.of(0)).build());
        assertEquals("exited", json.getString("state"));
        assertEquals(0, json.getValue("exit_code"));
        assertEquals(null, json.getValue("signal_name"));
    }

    @Test
    void exitCode137IsNotASignal() {
        JsonObject json = StatusJson.toJson(JobStatus.newBuilder()
                .setState(State.STATE_EXITED).setExitCode(Int32Value.of(137)).build());
        assertEquals(137, json.getValue("exit_code"));
        assertEquals(null, json.getValue("signal"));
        assertEquals(null, json.getValue("signal_name"));
    }

    @ParameterizedTest
    @CsvSource({
        "STATE_UNSPECIFIED, unspecified",
        "STATE_RUNNING, running",
        "STATE_EXITED, exited",
        "STATE_SIGNALED, signaled",
        "STATE_FAILED_TO_START, failed_to_start",
    })
    void stateNames(State state, String name) {
        assertEquals(name, StatusJson.toJson(JobStatus.newBuilder().setState(state).build()).getString("state"));
    }

    @Test
    void aStateFromANewerServerIsUnknown() {
        JobStatus status = JobStatus.newBuilder().setStateValue(99).build();
        assertEquals("unknown", StatusJson.toJson(status).getString("state"));
    }

    @ParameterizedTest
    @CsvSource({"1, SIGHUP", "2, SIGINT", "6, SIGABRT", "9, SIGKILL", "15, SIGTERM", "31, SIGSYS"})
    void signalNames(int signal, String name) {
        JsonObject json = StatusJson.toJson(JobStatus.newBuilder().setSignal(Int32Value.of(signal)).build());
        assertEquals(signal, json.getValue("signal"));
        assertEquals(name, json.getString("signal_name"));
    }

    @Test
    void aSignalNumberOutsideLinuxsRangeHasNoName() {
        for (int signal : new int[] {0, -1, 65}) {
            JsonObject json = StatusJson.toJson(JobStatus.newBuilder().setSignal(Int32Value.of(signal)).build());
            assertEquals(signal, json.getValue("signal"));
            assertEquals(null, json.getValue("signal_name"), "signal " + signal);
        }
    }

    @Test
    void onlyTheLimitsThatWereSetArePrinted() {
        JsonObject limits = StatusJson.toJson(JobStatus.newBuilder()
                .setLimits(Limits.newBuilder().setMaxMemoryUsage(u(0)).setMaxWiops(u(9))).build())
                .getJsonObject("limits");
        assertEquals(new JsonObject().put("max_memory_usage", 0).put("max_wiops", 9), limits);
    }

    @Test
    void unsigned64BitValuesArePrintedUnsigned() {
        JobStatus status = JobStatus.newBuilder()
                .setLimits(Limits.newBuilder().setMaxRbps(u(-1L)))
                .setUsage(Usage.newBuilder().setIoReadBytes(u(Long.MIN_VALUE)))
                .setLog(LogInfo.newBuilder().setCapBytes(-2L))
                .build();
        String line = StatusJson.format(status);
        assertTrue(line.contains("\"max_rbps\":18446744073709551615"), line);
        assertTrue(line.contains("\"io_read_bytes\":9223372036854775808"), line);
        assertTrue(line.contains("\"cap_bytes\":18446744073709551614"), line);
    }

    @Test
    void someUsageFiguresMayBeMissing() {
        JsonObject usage = StatusJson.toJson(JobStatus.newBuilder()
                .setUsage(Usage.newBuilder().setCpuUsec(u(0)).setIoWriteBytes(u(5))).build())
                .getJsonObject("usage");
        assertEquals(0L, ((Number) usage.getValue("cpu_usec")).longValue());
        assertEquals(null, usage.getValue("memory_peak_bytes"));
        assertEquals(null, usage.getValue("io_read_bytes"));
        assertEquals(5L, ((Number) usage.getValue("io_write_bytes")).longValue());
        assertEquals(null, usage.getValue("cpu_throttled_periods"));
        assertEquals(null, usage.getValue("cpu_throttled_usec"));
    }

    @Test
    void controlCharactersFromTheServerStayEscaped() {
        String line = StatusJson.format(JobStatus.newBuilder()
                .setMessage("bad\u001b[2J\r\nthing").addArgs("\u0007").build());
        assertFalse(line.chars().anyMatch(c -> c < 0x20), line);
        assertTrue(line.contains("\\u001B[2J\\r\\nthing") || line.contains("\\u001b[2J\\r\\nthing"), line);
    }

    @Test
    void emptyCgroupAndMessageAreNull() {
        JsonObject json = StatusJson.toJson(JobStatus.newBuilder().setCgroup("").setMessage("").build());
        assertEquals(null, json.getValue("cgroup"));
        assertEquals(null, json.getValue("message"));
    }
}
