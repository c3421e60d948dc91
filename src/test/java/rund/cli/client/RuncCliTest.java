package rund.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import rund.api.Limits;
import rund.api.StartRequest;

/** The command line, without a server: what each argv becomes, and how each mistake is reported. */
class RuncCliTest {

    private final RuncCli cli = new RuncCli();

    private RpcCommand command(String... argv) {
        return assertInstanceOf(RuncCli.Run.class, cli.parse(argv)).command();
    }

    private StartRequest start(String... argv) {
        return assertInstanceOf(StartCommand.class, command(argv)).request();
    }

    // --- start: everything from CMD on is the job's, verbatim

    @Test
    void argumentsAfterCmdArePassedVerbatimEvenWhenTheyLookLikeFlags() {
        StartRequest request = start("start", "ls", "-la", "/");
        assertEquals("ls", request.getCommand());
        assertEquals(List.of("-la", "/"), request.getArgsList());
    }

    @Test
    void runcFlagNamesAfterCmdBelongToTheJob() {
        StartRequest request = start("start", "-addr", ":9", "prog", "-addr", "x", "--max_rbps=1", "--", "-h");
        assertEquals("prog", request.getCommand());
        assertEquals(List.of("-addr", "x", "--max_rbps=1", "--", "-h"), request.getArgsList());
        assertEquals(Limits.getDefaultInstance(), request.getLimits());
    }

    @Test
    void doubleDashBeforeCmdIsDroppedOnlyOnce() {
        StartRequest request = start("start", "-max_memory_usage", "10", "--", "sh", "-c", "x");
        assertEquals("sh", request.getCommand());
        assertEquals(List.of("-c", "x"), request.getArgsList());
        assertEquals(10, request.getLimits().getMaxMemoryUsage().getValue());

        StartRequest twice = start("start", "--", "--", "a");
        assertEquals("--", twice.getCommand());
        assertEquals(List.of("a"), twice.getArgsList());
    }

    @Test
    void doubleDashAllowsACmdThatBeginsWithADash() {
        StartRequest request = start("start", "--", "-weird-cmd", "-x");
        assertEquals("-weird-cmd", request.getCommand());
        assertEquals(List.of("-x"), request.getArgsList());
    }

    @Test
    void argumentsKeepBlanksEmptyWordsAndUnicode() {
        StartRequest request = start("start", "printf", "", "a b", " ", "é\u0000", "=");
        assertEquals(List.of("", "a b", " ", "é\u0000", "="), request.getArgsList());
    }

    @Test
    void cmdWithoutArguments() {
        StartRequest request = start("start", "true");
        assertEquals("true", request.getCommand());
        assertEquals(List.of(), request.getArgsList());
    }

    // --- start: limits

    @Test
    void noLimitIsSetUnlessItsFlagIsGiven() {
        Limits limits = start("start", "true").getLimits();
        assertFalse(limits.hasMaxCpuBandwidth());
        assertFalse(limits.hasMaxMemoryUsage());
        assertFalse(limits.hasMaxRbps());
        assertFalse(limits.hasMaxRiops());
        assertFalse(limits.hasMaxWbps());
        assertFalse(limits.hasMaxWiops());
    }

    @ParameterizedTest
    @CsvSource({
        "max_cpu_bandwidth, 50000",
        "max_memory_usage, 10000000",
        "max_rbps, 42",
        "max_riops, 7",
        "max_wbps, 1048576",
        "max_wiops, 3",
    })
    void eachLimitFlagSetsItsOwnFieldOnlyInEverySpelling(String flag, long value) {
        Function<Limits, Object> field = switch (flag) {
            case "max_cpu_bandwidth" -> l -> l.hasMaxCpuBandwidth() ? l.getMaxCpuBandwidth().getValue() : null;
            case "max_memory_usage" -> l -> l.hasMaxMemoryUsage() ? l.getMaxMemoryUsage().getValue() : null;
            case "max_rbps" -> l -> l.hasMaxRbps() ? l.getMaxRbps().getValue() : null;
            case "max_riops" -> l -> l.hasMaxRiops() ? l.getMaxRiops().getValue() : null;
            case "max_wbps" -> l -> l.hasMaxWbps() ? l.getMaxWbps().getValue() : null;
            case "max_wiops" -> l -> l.hasMaxWiops() ? l.getMaxWiops().getValue() : null;
            default -> throw new IllegalArgumentException(flag);
        };
        for (String[] argv : List.of(
                new String[] {"start", "-" + flag, Long.toString(value), "true"},
                new String[] {"start", "--" + flag, Long.toString(value), "true"},
                new String[] {"start", "-" + flag + "=" + value, "true"},
                new String[] {"start", "--" + flag + "=" + value, "true"})) {
            Limits limits = start(argv).getLimits();
            assertEquals(value, field.apply(limits), String.join(" ", argv));
            assertEquals(1, limits.getAllFields().size(), "only " + flag + " is set: " + limits);
        }
    }

    @Test
    void allLimitsTogether() {
        Limits limits = start("start", "-max_cpu_bandwidth", "1", "-max_memory_usage", "2", "-max_rbps", "3",
                "-max_riops", "4", "-max_wbps", "5", "-max_wiops", "6", "true").getLimits();
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), List.of(
                limits.getMaxCpuBandwidth().getValue(), limits.getMaxMemoryUsage().getValue(),
                limits.getMaxRbps().getValue(), limits.getMaxRiops().getValue(),
                limits.getMaxWbps().getValue(), limits.getMaxWiops().getValue()));
    }

    @Test
    void zeroAndTheLargestUnsigned64BitValueAreAccepted() {
        assertEquals(0, start("start", "-max_rbps", "0", "true").getLimits().getMaxRbps().getValue());
        long max = start("start", "-max_rbps", "18446744073709551615", "true").getLimits().getMaxRbps().getValue();
        assertEquals("18446744073709551615", Long.toUnsignedString(max));
        assertEquals(7, start("start", "-max_rbps", "007", "true").getLimits().getMaxRbps().getValue());
    }

    @Test
    void aFlagGivenTwiceKeepsItsLastValue() {
        assertEquals(2, start("start", "-max_rbps", "1", "--max_rbps=2", "true").getLimits().getMaxRbps().getValue());
        assertEquals(":2", command("status", "-addr", ":1", "-addr", ":2", "id").connection().addr());
    }

    // --- common flags

    @ParameterizedTest
    @ValueSource(strings = {"start", "stop", "status", "log", "logs"})
    void commonFlagsHaveTheirDefaults(String subcommand) {
        RpcCommand command = subcommand.equals("start") ? command(subcommand, "true") : command(subcommand, "id");
        ConnectionOptions connection = command.connection();
        assertEquals("localhost:8000", connection.addr());
        assertEquals(Path.of("tls/ca.pem"), connection.ca());
        assertEquals(Path.of("tls/client.pem"), connection.cert());
        assertEquals(Path.of("tls/client-key.pem"), connection.key());
        assertEquals(new Endpoint("localhost", 8000), command.endpoint());
    }

    @ParameterizedTest
    @ValueSource(strings = {"start", "stop", "status", "log", "logs"})
    void commonFlagsInEverySpelling(String subcommand) {
        String operand = subcommand.equals("start") ? "true" : "id";
        for (String dashes : List.of("-", "--")) {
            RpcCommand command = command(subcommand, dashes + "addr", "host:1", dashes + "ca", "a.pem",
                    dashes + "cert=c.pem", dashes + "key", "k.pem", operand);
            assertEquals("host:1", command.connection().addr());
            assertEquals(Path.of("a.pem"), command.connection().ca());
            assertEquals(Path.of("c.pem"), command.connection().cert());
            assertEquals(Path.of("k.pem"), command.connection().key());
        }
    }

    @Test
    void flagValuesAreTakenAsTheyAreEvenWhenTheyLookLikeFlags() {
        assertEquals("--", command("status", "-ca", "--", "id").connection().ca().toString());
        assertEquals("-max_rbps", command("status", "-cert", "-max_rbps", "id").connection().cert().toString());
        assertEquals("a=b", command("status", "-key=a=b", "id").connection().key().toString());
    }

    @Test
    void everySubcommandKnowsExactlyItsFlags() {
        Set<String> common = Set.of("-addr", "--addr", "-ca", "--ca", "-cert", "--cert", "-key", "--key");
        for (String subcommand : List.of("stop", "status", "log")) {
            assertEquals(common, cli.flagNames(subcommand), subcommand);
        }
        Set<String> start = new java.util.HashSet<>(common);
        for (String limit : List.of("cpu_bandwidth", "memory_usage", "rbps", "riops", "wbps", "wiops")) {
            start.add("-max_" + limit);
            start.add("--max_" + limit);
        }
        assertEquals(start, cli.flagNames("start"));
    }

    @Test
    void jobIdCommandsTakeTheIdAndFlagsInAnyOrder() {
        assertEquals("01J0ABC", ((JobIdCommand) command("stop", "01J0ABC")).id());
        JobIdCommand command = (JobIdCommand) command("logs", "01J0ABC", "-addr", ":1");
        assertInstanceOf(LogCommand.class, command);
        assertEquals("01J0ABC", command.id());
        assertEquals(":1", command.connection().addr());
        assertEquals("-odd", ((JobIdCommand) command("status", "--", "-odd")).id());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "localhost:8000 | localhost | 8000",
        ":9000          | localhost | 9000",
        "[::1]:8000     | ::1       | 8000",
        "10.0.0.1:1     | 10.0.0.1  | 1",
        "host:65535     | host      | 65535",
    })
    void addressForms(String addr, String host, int port) {
        assertEquals(new Endpoint(host, port), command("status", "-addr", addr, "id").endpoint());
    }

    // --- help

    @Test
    void helpTopics() {
        assertEquals(List.of(), assertInstanceOf(RuncCli.ShowHelp.class, cli.parse("help")).topic());
        assertEquals(List.of("start"), assertInstanceOf(RuncCli.ShowHelp.class, cli.parse("help", "start")).topic());
        assertEquals(List.of("log"), assertInstanceOf(RuncCli.ShowHelp.class, cli.parse("help", "logs")).topic());
        assertEquals(List.of("stop"), assertInstanceOf(RuncCli.ShowHelp.class, cli.parse("stop", "-h")).topic());
        assertEquals(List.of("start"),
                assertInstanceOf(RuncCli.ShowHelp.class, cli.parse("start", "--help", "ls")).topic());
        // After CMD, -h is the job's.
        assertEquals(List.of("-h"), start("start", "ls", "-h").getArgsList());
    }

    @Test
    void helpIsPrintedToStdoutWithExitZero() {
        Result overview = Result.run("help");
        assertEquals(0, overview.code());
        assertTrue(overview.out().contains("start"), overview.out());
        assertTrue(overview.out().contains("logs"), overview.out());
        assertEquals("", overview.err());

        Result start = Result.run("help", "start");
        assertEquals(0, start.code());
        for (String flag : List.of("-addr", "-ca", "-cert", "-key", "-max_cpu_bandwidth", "-max_memory_usage",
                "-max_rbps", "-max_riops", "-max_wbps", "-max_wiops", "localhost:8000", "tls/ca.pem",
                "tls/client.pem", "tls/client-key.pem")) {
            assertTrue(start.out().contains(flag), flag + " in\n" + start.out());
        }
        assertTrue(start.out().contains("max write bytes per second"), start.out());
        assertTrue(start.out().contains("max write IO operations per second"), start.out());
    }

    // --- usage errors: exit 2, one line on stderr, nothing on stdout

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''                                   | no subcommand given",
        "frobnicate                           | unknown subcommand \"frobnicate\"; see 'runc help'",
        "help frobnicate                      | unknown subcommand \"frobnicate\"",
        "start                                | start: missing CMD",
        "start -max_rbps 1                    | start: missing CMD",
        "start --                             | start: missing CMD",
        "start -bogus ls                      | unknown flag -bogus for start; see 'runc help start'",
        "start --max-rbps 1 ls                | unknown flag --max-rbps for start",
        "start -max_rbps                      | flag -max_rbps needs a value",
        "start -max_rbps -1 ls                | invalid value \"-1\" for -max_rbps",
        "start -max_memory_usage=-5 ls        | invalid value \"-5\" for -max_memory_usage",
        "start -max_riops 12k ls              | invalid value \"12k\" for -max_riops",
        "start -max_wbps +1 ls                | invalid value \"+1\" for -max_wbps",
        "start -max_wiops 0x10 ls             | invalid value \"0x10\" for -max_wiops",
        "start -max_cpu_bandwidth 1.5 ls      | invalid value \"1.5\" for -max_cpu_bandwidth",
        "start -max_cpu_bandwidth= ls         | invalid value \"\" for -max_cpu_bandwidth",
        "start -max_rbps 18446744073709551616 ls | invalid value \"18446744073709551616\" for -max_rbps: out of range",
        "start -max_rbps 99999999999999999999999 ls | out of range",
        "start -addr nocolon ls               | invalid -addr \"nocolon\"",
        "start -addr ::1:80 ls                | invalid -addr \"::1:80\"",
        "start -addr host:0 ls                | port must be 1..65535",
        "start -addr host:65536 ls            | port must be 1..65535",
        "start -addr host: ls                 | invalid -addr \"host:\"",
        "start -addr [::1]80 ls               | invalid -addr \"[::1]80\"",
        "stop                                 | stop: missing job ID; see 'runc help stop'",
        "status                               | status: missing job ID; see 'runc help status'",
        "log                                  | log: missing job ID; see 'runc help log'",
        "logs                                 | log: missing job ID",
        "status a b                           | status: expected one job ID, got 2",
        "status -x id                         | unknown flag -x for status",
        "stop -max_rbps 1 id                  | unknown flag -max_rbps for stop",
        "log -addr                            | flag -addr needs a value",
    })
    void usageErrorsExitTwoWithOneLine(String argv, String expected) {
        Result result = Result.run(argv.isEmpty() ? new String[0] : argv.split(" "));
        assertEquals(2, result.code(), result.err());
        assertEquals("", result.out());
        assertTrue(result.err().startsWith("runc: "), result.err());
        assertTrue(result.err().endsWith("\n"), result.err());
        assertEquals(1, result.err().lines().count(), result.err());
        assertTrue(result.err().contains(expected), result.err());
        assertTrue(result.err().contains("see 'runc help"), result.err());
    }

    @Test
    void anEmptyIdIsAUsageError() {
        Result result = Result.run("status", "");
        assertEquals(2, result.code());
        assertEquals("runc: status: the job ID is empty; see 'runc help status'\n", result.err());
    }

    @Test
    void usageErrorsAreFoundBeforeAnyFileIsRead() {
        Result result = Result.run("status", "-ca", "/nonexistent/ca.pem", "-addr", "bad", "id");
        assertEquals(2, result.code());
        assertTrue(result.err().contains("invalid -addr"), result.err());
    }

    @Test
    void anUnreadableTlsFileIsNamed() {
        Result result = Result.run("status", "-ca", "/nonexistent/ca.pem", "-addr", ":1", "id");
        assertEquals(1, result.code());
        assertEquals("", result.out());
        assertEquals(1, result.err().lines().count(), result.err());
        assertTrue(result.err().startsWith("runc: cannot use the TLS files: /nonexistent/ca.pem"), result.err());
    }

    @Test
    void parseErrorsCarryTheUsageExitCode() {
        CliException e = assertThrows(CliException.class, () -> cli.parse("start", "-max_rbps", "x", "ls"));
        assertEquals(ExitCodes.USAGE, e.exitCode());
    }

    /** What {@link RuncMain#run} printed and returned. */
    record Result(int code, String out, String err) {
        static Result run(String... argv) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code = RuncMain.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
    }
}
