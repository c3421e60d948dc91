package rund.cli.client;

import com.github.rvesse.airline.annotations.Command;

/** runc stop ID. */
@Command(name = "stop", description = "Stop a job (its whole process tree) and print its final status as JSON")
public final class StopCommand extends JobIdCommand {

    @Override
    String name() {
        return "stop";
    }

    @Override
    int execute(CommandContext context) {
        return printStatus(context, JobControllerClient::stop);
    }
}
