package rund.cli.client;

import com.github.rvesse.airline.annotations.Command;

/** runc status ID. */
@Command(name = "status", description = "Print a job's status as JSON")
public final class StatusCommand extends JobIdCommand {

    @Override
    String name() {
        return "status";
    }

    @Override
    int execute(CommandContext context) {
        return printStatus(context, JobControllerClient::status);
    }
}
