package rund.cli.client;

import com.github.rvesse.airline.annotations.Command;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import rund.api.LogEnd;

/**
 * runc log ID (alias logs): writes the job's stdout to stdout and its stderr to stderr, from the first byte, following
 * live output until the job has ended and every byte is delivered.
 */
@Command(name = "log", description = "Stream a job's output from its first byte until it has ended: the job's stdout"
        + " to stdout, its stderr to stderr (alias: logs)")
public final class LogCommand extends JobIdCommand {

    /** The open call; touched only on the session's context. */
    private JobControllerClient.LogCall call;

    @Override
    String name() {
        return "log";
    }

    @Override
    int execute(CommandContext context) {
        LogEnd end;
        try (ClientSession session = context.open(connection(), endpoint())) {
            end = session.await(
                    client -> client.log(id()).compose(opened -> follow(opened, session.context(), context)),
                    this::cancel);
        }
        if (end.getTruncated()) {
            context.err().print("runc: log truncated: " + Long.toUnsignedString(end.getDroppedBytes())
                    + " bytes were dropped (the daemon's per-job log cap)\n");
            context.err().flush();
        }
        return ExitCodes.OK;
    }

    private Future<LogEnd> follow(JobControllerClient.LogCall opened, Context vertxContext, CommandContext context) {
        call = opened;
        return new LogFollower(vertxContext, context.out(), context.err())
                .follow(opened.chunks())
                .transform(followed -> {
                    GrpcStatus status = opened.response().status();
                    if (followed.succeeded() && (status == null || status == GrpcStatus.OK)) {
                        return Future.succeededFuture(followed.result());
                    }
                    opened.cancel();
                    return Future.failedFuture(JobControllerClient.statusError(opened.response(), followed.cause()));
                });
    }

    /** SIGINT: reset the stream so that the server stops sending at once. */
    private void cancel() {
        if (call != null) {
            call.cancel();
        }
    }
}
