package rund.cli.client;

import com.github.rvesse.airline.annotations.Arguments;
import io.vertx.core.Future;
import java.util.List;
import java.util.function.BiFunction;
import rund.api.JobStatus;

/** A subcommand whose one operand is a job ID. */
public abstract class JobIdCommand extends RpcCommand {

    @Arguments(title = "ID", description = "the job's ID, as printed by runc start")
    List<String> operands = List.of();

    @Override
    void prepare(List<String> operands) {
        this.operands = List.copyOf(operands);
        if (operands.isEmpty()) {
            throw CliException.usage(name() + ": missing job ID", name());
        }
        if (operands.size() > 1) {
            throw CliException.usage(name() + ": expected one job ID, got " + operands.size() + " operands", name());
        }
        if (operands.getFirst().isBlank()) {
            throw CliException.usage(name() + ": the job ID is empty", name());
        }
        endpoint();
    }

    String id() {
        return operands.getFirst();
    }

    /** Makes a call that answers with a JobStatus and prints it as one line of JSON. */
    int printStatus(CommandContext context, BiFunction<JobControllerClient, String, Future<JobStatus>> call) {
        JobStatus status;
        try (ClientSession session = context.open(connection(), endpoint())) {
            status = session.await(client -> call.apply(client, id()));
        }
        context.out().print(StatusJson.format(status) + "\n");
        context.out().flush();
        return ExitCodes.OK;
    }
}
