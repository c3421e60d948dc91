package rund.cli.client;

import com.github.rvesse.airline.annotations.AirlineModule;
import java.util.List;

/** A runc subcommand: one call to the JobController service. */
public abstract class RpcCommand {

    @AirlineModule
    ConnectionOptions connection = new ConnectionOptions();

    /** The subcommand's name, for messages. */
    abstract String name();

    /**
     * Takes the operands (the job ID, or CMD and its arguments) and checks everything that can be checked without
     * the server; a problem is a usage error.
     */
    abstract void prepare(List<String> operands);

    /** Makes the call and prints its outcome; returns the exit code. */
    abstract int execute(CommandContext context);

    ConnectionOptions connection() {
        return connection;
    }

    /** The server address; a malformed one is a usage error. */
    Endpoint endpoint() {
        return Endpoint.parse(connection.addr(), name());
    }
}
