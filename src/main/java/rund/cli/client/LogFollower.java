package rund.cli.client;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.streams.ReadStream;
import java.io.PrintStream;
import rund.api.LogChunk;
import rund.api.LogEnd;
import rund.api.Output;
import rund.api.Stream;

/**
 * Copies a Log stream to stdout and stderr. Writes to the terminal or a pipe block, so they run in order on a worker
 * thread; the stream is read on credit: at most {@link #MAX_IN_FLIGHT} chunks are received and not yet written, so a
 * slow reader of stdout slows the server down instead of filling memory.
 */
final class LogFollower {

    /** Chunks received and not yet written. */
    static final int MAX_IN_FLIGHT = 4;

    private final Context context;
    private final PrintStream out;
    private final PrintStream err;

    private final Promise<LogEnd> result = Promise.promise();
    private Future<Void> lastWrite = Future.succeededFuture();
    private LogEnd end;

    /** Call on {@code context}, the context the stream delivers on. */
    LogFollower(Context context, PrintStream out, PrintStream err) {
        this.context = context;
        this.out = out;
        this.err = err;
    }

    /**
     * Follows {@code chunks}, a paused stream, to its end. The result completes with the end marker once every byte
     * before it is written, and fails if the stream fails, ends without the marker, or stdout/stderr cannot be written.
     */
    Future<LogEnd> follow(ReadStream<LogChunk> chunks) {
        chunks.handler(chunk -> {
            switch (chunk.getKindCase()) {
                case OUTPUT -> write(chunks, chunk.getOutput());
                case END -> {
                    end = chunk.getEnd();
                    chunks.fetch(1);
                }
                // A kind this client does not know (a newer server): skip it.
                case KIND_NOT_SET -> chunks.fetch(1);
            }
        });
        chunks.exceptionHandler(error -> lastWrite.onComplete(ignored -> result.tryFail(error)));
        chunks.endHandler(v -> lastWrite.onComplete(written -> {
            if (written.failed()) {
                result.tryFail(written.cause());
            } else if (end == null) {
                result.tryFail(CliException.failure("the log stream ended without its end marker"));
            } else {
                result.tryComplete(end);
            }
        }));
        chunks.fetch(MAX_IN_FLIGHT);
        return result.future();
    }

    private void write(ReadStream<LogChunk> chunks, Output output) {
        PrintStream target = output.getStream() == Stream.STREAM_STDERR ? err : out;
        String name = target == err ? "stderr" : "stdout";
        lastWrite = context.executeBlocking(() -> {
            output.getData().writeTo(target);
            // PrintStream keeps I/O errors to itself; checkError also flushes, so a terminal shows the bytes now.
            if (target.checkError()) {
                throw CliException.failure("cannot write the job's output to " + name);
            }
            return null;
        }, true);
        lastWrite.onComplete(written -> {
            if (written.succeeded()) {
                chunks.fetch(1);
            } else {
                result.tryFail(written.cause());
            }
        });
    }
}
