package rund.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.Int32Value;
import com.google.protobuf.UInt64Value;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcError;
import io.vertx.grpc.common.GrpcStatus;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rund.api.JobStatus;
import rund.api.Limits;
import rund.api.LogChunk;
import rund.api.LogEnd;
import rund.api.LogRequest;
import rund.api.Output;
import rund.api.StartRequest;
import rund.api.StartResponse;
import rund.api.State;
import rund.api.StatusRequest;
import rund.api.StopRequest;
import rund.api.Stream;

/** runc against an in-test JobController over mutual TLS with the example certificates. */
class RuncAgainstServerTest {

    private static final long TIMEOUT = FakeJobController.TIMEOUT_SECONDS;
    private static final String ID = "01JDQ7ZK3V9W2X4Y5Z6A7B8C9D";

    @TempDir
    static Path tmp;
    static FakeJobController server;

    @BeforeAll
    static void startServer() throws Exception {
        server = new FakeJobController(tmp.resolve("tls"));
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @BeforeEach
    void forgetRequests() {
        server.received.clear();
    }

    private record Result(int code, String out, String err, String interleaved) {}

    private static Result runc(String subcommand, List<String> flags, String... operands) {
        return runc(new RecordedOutput(), new Cancellation(), subcommand, flags, operands);
    }

    private static Result runc(RecordedOutput output, Cancellation cancellation, String subcommand,
            List<String> flags, String... operands) {
        List<String> argv = new ArrayList<>();
        argv.add(subcommand);
        argv.addAll(flags);
        argv.addAll(List.of(operands));
        int code = RuncMain.run(argv.toArray(String[]::new), output.out, output.err, cancellation,
                ClientTransport.TLS);
        return new Result(code, output.out(), output.err(), output.interleaved());
    }

    private static Object nextRequest() throws InterruptedException {
        Object request = server.received.poll(TIMEOUT, TimeUnit.SECONDS);
        assertNotNull(request, "the server received no request");
        return request;
    }

    private static LogChunk chunk(Stream stream, String text) {
        return LogChunk.newBuilder()
                .setOutput(Output.newBuilder().setStream(stream).setData(ByteString.copyFromUtf8(text)))
                .build();
    }

    @Test
    void startSendsTheCommandVerbatimWithOnlyTheGivenLimitsAndPrintsOnlyTheId() throws Exception {
        server.start = server.answer(request -> StartResponse.newBuilder().setId(ID).build());

        List<String> flags = new ArrayList<>(server.flags("127.0.0.1"));
        flags.addAll(List.of("-max_memory_usage", "10000000", "-max_rbps", "42", "--"));
        Result result = runc("start", flags, "ls", "-la", "/");

        assertEquals(0, result.code(), result.err());
        assertEquals(ID + "\n", result.out());
        assertEquals("", result.err());
        StartRequest request = assertInstanceOf(StartRequest.class, nextRequest());
        assertEquals("ls", request.getCommand());
        assertEquals(List.of("-la", "/"), request.getArgsList());
        assertEquals(Limits.newBuilder().setMaxMemoryUsage(UInt64Value.of(10_000_000))
                .setMaxRbps(UInt64Value.of(42)).build(), request.getLimits());
    }

    @Test
    void theColonPortFormReachesLocalhostAndTheServerNameIsVerified() throws Exception {
        server.start = server.answer(request -> StartResponse.newBuilder().setId(ID).build());

        List<String> flags = new ArrayList<>(server.flags("127.0.0.1"));
        flags.set(1, ":" + server.port());
        Result result = runc("start", flags, "true");

        assertEquals(0, result.code(), result.err());
        assertEquals(ID + "\n", result.out());
        nextRequest();
    }

    @Test
    void statusPrintsOneLineOfJson() throws Exception {
        server.status = server.answer(request -> JobStatus.newBuilder()
                .setId(request.getId()).setCommand("sleep").addArgs("60")
                .setState(State.STATE_RUNNING).setPid(99).build());

        Result result = runc("status", server.flags("127.0.0.1"), ID);

        assertEquals(0, result.code(), result.err());
        assertEquals("", result.err());
        assertTrue(result.out().endsWith("}\n"), result.out());
        assertEquals(1, result.out().lines().count(), result.out());
        JsonObject json = new JsonObject(result.out());
        assertEquals(ID, json.getString("id"));
        assertEquals("running", json.getString("state"));
        assertEquals(99, json.getInteger("pid"));
        assertEquals(ID, assertInstanceOf(StatusRequest.class, nextRequest()).getId());
    }

    @Test
    void stopPrintsTheFinalStatus() throws Exception {
        server.stop = server.answer(request -> JobStatus.newBuilder()
                .setId(request.getId()).setState(State.STATE_SIGNALED).setSignal(Int32Value.of(15))
                .setStopRequested(true).build());

        Result result = runc("stop", server.flags("127.0.0.1"), ID);

        assertEquals(0, result.code(), result.err());
        JsonObject json = new JsonObject(result.out());
        assertEquals("signaled", json.getString("state"));
        assertEquals("SIGTERM", json.getString("signal_name"));
        assertEquals(true, json.getBoolean("stop_requested"));
        assertEquals(ID, assertInstanceOf(StopRequest.class, nextRequest()).getId());
    }

    @Test
    void aServerErrorIsOneLineWithTheStatusNameAndMessage() {
        server.status = server.fail(GrpcStatus.NOT_FOUND, "no job " + ID + " for this client");

        Result result = runc("status", server.flags("127.0.0.1"), ID);

        assertEquals(1, result.code());
        assertEquals("", result.out());
        assertEquals("runc: NOT_FOUND: no job " + ID + " for this client\n", result.err());
    }

    @Test
    void aServerMessageCannotBreakTheLineOrDriveTheTerminal() {
        server.stop = server.fail(GrpcStatus.FAILED_PRECONDITION, "line one\nline two\u001b[2J");

        Result result = runc("stop", server.flags("127.0.0.1"), ID);

        assertEquals(1, result.code());
        assertEquals("runc: FAILED_PRECONDITION: line one line two[2J\n", result.err());
    }

    @Test
    void logWritesEachStreamInOrderAndExitsZeroAtTheEnd() throws Exception {
        server.log = request -> request.handler(message -> {
            server.received.add(message);
            request.response().write(chunk(Stream.STREAM_STDOUT, "1\n"));
            request.response().write(chunk(Stream.STREAM_STDERR, "2\n"));
            request.response().write(chunk(Stream.STREAM_STDOUT, "3\n"));
            request.response().end(LogChunk.newBuilder().setEnd(LogEnd.getDefaultInstance()).build());
        });

        Result result = runc("logs", server.flags("127.0.0.1"), ID);

        assertEquals(0, result.code(), result.err());
        assertEquals("1\n3\n", result.out());
        assertEquals("2\n", result.err());
        assertEquals("o:1\ne:2\no:3\n", result.interleaved());
        assertEquals(ID, assertInstanceOf(LogRequest.class, nextRequest()).getId());
    }

    @Test
    void aTruncatedLogEndsWithOneLineOnStderr() {
        server.log = request -> request.handler(message -> {
            request.response().write(chunk(Stream.STREAM_STDOUT, "kept"));
            request.response().end(LogChunk.newBuilder()
                    .setEnd(LogEnd.newBuilder().setTruncated(true).setDroppedBytes(12345)).build());
        });

        Result result = runc("log", server.flags("127.0.0.1"), ID);

        assertEquals(0, result.code(), result.err());
        assertEquals("kept", result.out());
        assertEquals("runc: log truncated: 12345 bytes were dropped (the daemon's per-job log cap)\n", result.err());
    }

    @Test
    void aLogErrorAfterSomeOutputKeepsTheOutputAndExitsOne() {
        server.log = request -> request.handler(message -> {
            request.response().write(chunk(Stream.STREAM_STDOUT, "so far"));
            request.response().status(GrpcStatus.UNAVAILABLE).statusMessage("daemon shutting down: 100% für").end();
        });

        Result result = runc("log", server.flags("127.0.0.1"), ID);

        assertEquals(1, result.code());
        assertEquals("so far", result.out());
        assertEquals("runc: UNAVAILABLE: daemon shutting down: 100% für\n", result.err());
    }

    @Test
    void logOfAnUnknownJobIsNotFound() {
        server.log = server.fail(GrpcStatus.NOT_FOUND, "no job " + ID + " for this client");

        Result result = runc("log", server.flags("127.0.0.1"), ID);

        assertEquals(1, result.code());
        assertEquals("runc: NOT_FOUND: no job " + ID + " for this client\n", result.err());
    }

    @Test
    void interruptingLogResetsTheStreamAndExits130Silently() throws Exception {
        CompletableFuture<Object> reset = new CompletableFuture<>();
        server.log = request -> {
            request.exceptionHandler(reset::complete);
            request.errorHandler(reset::complete);
            request.response().exceptionHandler(reset::complete);
            request.handler(message -> request.response().write(chunk(Stream.STREAM_STDOUT, "first\n")));
        };
        Cancellation cancellation = new Cancellation();
        RecordedOutput output = new RecordedOutput() {
            @Override
            void beforeWrite(String tag) {
                cancellation.cancel(); // Ctrl-C once the job's output shows
            }
        };

        Result result = runc(output, cancellation, "log", server.flags("127.0.0.1"), ID);

        assertEquals(130, result.code());
        assertEquals("", result.err());
        // A reset with CANCEL, not merely the connection going away when runc exits.
        assertEquals(GrpcError.CANCELLED, reset.get(TIMEOUT, TimeUnit.SECONDS));
    }

    @Test
    void connectionRefusedNamesTheAddress() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        List<String> flags = new ArrayList<>(server.flags("127.0.0.1"));
        flags.set(1, "127.0.0.1:" + port);

        Result result = runc("status", flags, ID);

        assertEquals(1, result.code());
        assertEquals("", result.out());
        assertEquals("runc: cannot connect to 127.0.0.1:" + port
                + ": connection refused; is rund serve running?\n", result.err());
    }

    @Test
    void aServerCertificateFromAnotherCaFailsTheHandshake() {
        List<String> flags = new ArrayList<>(server.flags("127.0.0.1"));
        flags.set(3, server.tlsFile("client.pem").toString()); // -ca: a certificate that signed nothing

        Result result = runc("status", flags, ID);

        assertEquals(1, result.code());
        assertEquals(1, result.err().lines().count(), result.err());
        assertTrue(result.err().startsWith("runc: TLS handshake with 127.0.0.1:" + server.port()
                + " failed: the server certificate is not signed by the CA in "), result.err());
    }

    @Test
    void aServerThatRefusesTheClientCertificateIsReportedAsSuch() throws Exception {
        // This server trusts only certificates issued by its own certificate: the example client's is not.
        try (FakeJobController picky = new FakeJobController(tmp.resolve("picky"), "server.pem")) {
            picky.status = picky.answer(request -> JobStatus.getDefaultInstance());

            Result result = runc("status", picky.flags("127.0.0.1"), ID);

            assertEquals(1, result.code());
            assertEquals("", result.out());
            assertEquals("runc: the connection to 127.0.0.1:" + picky.port() + " closed before the server answered:"
                    + " the server stopped, or it did not accept the client certificate (check -cert and -key,"
                    + " and that the server trusts their CA)\n", result.err());
            assertEquals(0, picky.received.size());
        }
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsNamedWhenTheServerRefusesTheHandshake() {
        // runc does not check the pair before connecting; the server refuses the signature, and runc then says why.
        List<String> flags = new ArrayList<>(server.flags("127.0.0.1"));
        Path otherKey = server.tlsFile("server-key.pem");
        flags.set(7, otherKey.toString());

        Result result = runc("status", flags, ID);

        assertEquals(1, result.code());
        assertEquals("", result.out());
        assertEquals("runc: cannot use the TLS files: " + otherKey + " is not the private key of the certificate in "
                + server.tlsFile("client.pem") + "\n", result.err());
    }

    @Test
    void aServerCertificateForAnotherNameFailsTheHandshake() {
        List<String> flags = new ArrayList<>(server.flags("127.0.0.2"));

        Result result = runc("status", flags, ID);

        assertEquals(1, result.code());
        assertEquals(1, result.err().lines().count(), result.err());
        assertTrue(result.err().startsWith("runc: TLS handshake with 127.0.0.2:" + server.port()
                + " failed: the server certificate is not valid for 127.0.0.2"), result.err());
    }
}
