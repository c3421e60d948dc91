package rund.cli.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.streams.ReadStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import rund.api.LogChunk;
import rund.api.LogEnd;
import rund.api.Output;
import rund.api.Stream;

/** The copy loop of runc log over a scripted stream: order, routing, end, errors and backpressure. */
class LogFollowerTest {

    private static final long TIMEOUT_SECONDS = 30;

    private Vertx vertx;
    private Context context;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
    }

    @AfterEach
    void tearDown() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    static LogChunk out(String text) {
        return output(Stream.STREAM_STDOUT, text);
    }

    static LogChunk err(String text) {
        return output(Stream.STREAM_STDERR, text);
    }

    static LogChunk output(Stream stream, String text) {
        return LogChunk.newBuilder()
                .setOutput(Output.newBuilder().setStream(stream).setData(ByteString.copyFromUtf8(text)))
                .build();
    }

    static LogChunk end(boolean truncated, long dropped) {
        return LogChunk.newBuilder()
                .setEnd(LogEnd.newBuilder().setTruncated(truncated).setDroppedBytes(dropped))
                .build();
    }

    private <T> T onContext(Supplier<T> action) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        context.runOnContext(v -> result.complete(action.get()));
        return result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void stdoutAndStderrGoToTheirStreamsInOrderAndTheEndMarkerIsReturned() throws Exception {
        RecordedOutput output = new RecordedOutput();
        ScriptedStream stream = new ScriptedStream(context)
                .add(out("1\n"), err("2\n"), out("3\n"), output(Stream.STREAM_UNSPECIFIED, "4"),
                        LogChunk.getDefaultInstance(), end(true, 77))
                .thenEnd();

        Future<LogEnd> result = onContext(() -> new LogFollower(context, output.out, output.err).follow(stream));

        LogEnd end = await(result);
        assertTrue(end.getTruncated());
        assertEquals(77, end.getDroppedBytes());
        assertEquals("1\n3\n4", output.out());
        assertEquals("2\n", output.err());
        assertEquals("o:1\ne:2\no:3\no:4", output.interleaved());
    }

    @Test
    void rawBytesAreWrittenUnchanged() throws Exception {
        byte[] bytes = new byte[256];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) i;
        }
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        LogChunk chunk = LogChunk.newBuilder().setOutput(Output.newBuilder()
                .setStream(Stream.STREAM_STDOUT).setData(ByteString.copyFrom(bytes))).build();
        ScriptedStream stream = new ScriptedStream(context).add(chunk, end(false, 0)).thenEnd();
        PrintStream out = new PrintStream(stdout, false, StandardCharsets.UTF_8);

        await(onContext(() -> new LogFollower(context, out, System.err).follow(stream)));

        assertArrayEquals(bytes, stdout.toByteArray());
    }

    @Test
    void aStreamThatEndsWithoutTheMarkerFailsAfterWritingWhatCame() throws Exception {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(stdout, false, StandardCharsets.UTF_8);
        ScriptedStream stream = new ScriptedStream(context).add(out("partial")).thenEnd();

        Future<LogEnd> result = onContext(() -> new LogFollower(context, out, System.err).follow(stream));

        ExecutionException e = assertThrows(ExecutionException.class, () -> await(result));
        CliException cause = assertInstanceOf(CliException.class, e.getCause());
        assertEquals("the log stream ended without its end marker", cause.getMessage());
        assertEquals("partial", stdout.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aStreamErrorIsReportedAfterThePendingWrites() throws Exception {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(stdout, false, StandardCharsets.UTF_8);
        RuntimeException failure = new RuntimeException("reset");
        ScriptedStream stream = new ScriptedStream(context).add(out("a"), out("b")).thenFail(failure);

        Future<LogEnd> result = onContext(() -> new LogFollower(context, out, System.err).follow(stream));

        ExecutionException e = assertThrows(ExecutionException.class, () -> await(result));
        assertSame(failure, e.getCause());
        assertEquals("ab", stdout.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aClosedStdoutFailsTheFollow() throws Exception {
        PrintStream broken = new PrintStream(new OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                throw new java.io.IOException("Broken pipe");
            }
        }, false, StandardCharsets.UTF_8);
        ScriptedStream stream = new ScriptedStream(context).add(out("x"), end(false, 0)).thenEnd();

        Future<LogEnd> result = onContext(() -> new LogFollower(context, broken, System.err).follow(stream));

        ExecutionException e = assertThrows(ExecutionException.class, () -> await(result));
        assertEquals("cannot write the job's output to stdout", e.getCause().getMessage());
    }

    @Test
    void aBlockedStdoutStopsTheReadingAfterABoundedNumberOfChunks() throws Exception {
        int chunks = 100;
        CountDownLatch firstWriteStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        OutputStream slow = new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                firstWriteStarted.countDown();
                try {
                    assertTrue(release.await(TIMEOUT_SECONDS, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                stdout.write(b, off, len);
            }
        };
        ScriptedStream stream = new ScriptedStream(context);
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < chunks; i++) {
            stream.add(out(i + ","));
            expected.append(i).append(',');
        }
        stream.add(end(false, 0)).thenEnd();
        PrintStream out = new PrintStream(slow, false, StandardCharsets.UTF_8);

        Future<LogEnd> result = onContext(() -> new LogFollower(context, out, System.err).follow(stream));

        assertTrue(firstWriteStarted.await(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        // The event loop has run everything it could while the first write is blocked.
        int deliveredWhileBlocked = onContext(stream::delivered);
        assertEquals(LogFollower.MAX_IN_FLIGHT, deliveredWhileBlocked);

        release.countDown();
        await(result);
        assertEquals(chunks + 1, onContext(stream::delivered));
        assertEquals(expected.toString(), stdout.toString(StandardCharsets.UTF_8));
    }

    /**
     * A ReadStream that delivers a fixed list of chunks, on demand only, and then ends or fails. Every method runs
     * on the context.
     */
    static final class ScriptedStream implements ReadStream<LogChunk> {
        private final Context context;
        private final Deque<LogChunk> chunks = new ArrayDeque<>();
        private Throwable failure;
        private boolean ends;
        private boolean finished;
        private long demand;
        private int delivered;
        private Handler<LogChunk> handler;
        private Handler<Void> endHandler;
        private Handler<Throwable> exceptionHandler;

        ScriptedStream(Context context) {
            this.context = context;
        }

        ScriptedStream add(LogChunk... more) {
            chunks.addAll(java.util.List.of(more));
            return this;
        }

        ScriptedStream thenEnd() {
            ends = true;
            return this;
        }

        ScriptedStream thenFail(Throwable error) {
            failure = error;
            return this;
        }

        int delivered() {
            return delivered;
        }

        @Override
        public ScriptedStream exceptionHandler(Handler<Throwable> handler) {
            exceptionHandler = handler;
            return this;
        }

        @Override
        public ScriptedStream handler(Handler<LogChunk> handler) {
            this.handler = handler;
            return this;
        }

        @Override
        public ScriptedStream pause() {
            demand = 0;
            return this;
        }

        @Override
        public ScriptedStream resume() {
            return fetch(Long.MAX_VALUE);
        }

        @Override
        public ScriptedStream fetch(long amount) {
            demand = demand + amount < 0 ? Long.MAX_VALUE : demand + amount;
            // Deliver later, as a network stream does, never from inside the caller.
            context.runOnContext(v -> drain());
            return this;
        }

        @Override
        public ScriptedStream endHandler(Handler<Void> handler) {
            endHandler = handler;
            return this;
        }

        private void drain() {
            while (demand > 0 && !chunks.isEmpty()) {
                demand--;
                delivered++;
                handler.handle(chunks.poll());
            }
            if (chunks.isEmpty() && !finished) {
                if (failure != null) {
                    finished = true;
                    exceptionHandler.handle(failure);
                } else if (ends) {
                    finished = true;
                    endHandler.handle(null);
                }
            }
        }
    }
}
