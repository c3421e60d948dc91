package rund.cli.client;

import com.github.rvesse.airline.annotations.Arguments;
import com.github.rvesse.airline.annotations.Command;
import com.github.rvesse.airline.annotations.Option;
import com.google.protobuf.UInt64Value;
import java.util.List;
import java.util.function.Consumer;
import rund.api.Limits;
import rund.api.StartRequest;
import rund.api.StartResponse;

/**
 * runc start [flags] CMD [ARGS...]: starts a job and prints its ID. Flags are read up to CMD; from CMD on, every
 * word is passed verbatim, including words that begin with "-".
 */
@Command(name = "start", description = "Start a job and print its ID; flags go before CMD, and everything from CMD"
        + " on is passed to the job verbatim (put -- before a CMD that begins with -)")
public final class StartCommand extends RpcCommand {

    @Option(name = {"-max_cpu_bandwidth", "--max_cpu_bandwidth"}, title = "uint",
            description = "maximum CPU bandwidth limit, which indicates how many time units the job may consume out"
                    + " of 100000 (cpu.max quota in microseconds per 100000 us period)")
    String maxCpuBandwidth;

    @Option(name = {"-max_memory_usage", "--max_memory_usage"}, title = "uint",
            description = "memory usage hard limit in bytes (memory.max)")
    String maxMemoryUsage;

    @Option(name = {"-max_rbps", "--max_rbps"}, title = "uint",
            description = "max read bytes per second (io.max rbps)")
    String maxRbps;

    @Option(name = {"-max_riops", "--max_riops"}, title = "uint",
            description = "max read IO operations per second (io.max riops)")
    String maxRiops;

    @Option(name = {"-max_wbps", "--max_wbps"}, title = "uint",
            description = "max write bytes per second (io.max wbps)")
    String maxWbps;

    @Option(name = {"-max_wiops", "--max_wiops"}, title = "uint",
            description = "max write IO operations per second (io.max wiops)")
    String maxWiops;

    @Arguments(title = {"CMD", "ARGS"},
            description = "the program (an absolute path, a path containing /, or a name looked up in the server's"
                    + " PATH) and its arguments")
    List<String> commandLine = List.of();

    private StartRequest request;

    @Override
    String name() {
        return "start";
    }

    @Override
    void prepare(List<String> operands) {
        commandLine = List.copyOf(operands);
        if (commandLine.isEmpty()) {
            throw CliException.usage("start: missing CMD (usage: runc start [flags] CMD [ARGS...])", name());
        }
        if (commandLine.getFirst().isEmpty()) {
            throw CliException.usage("start: CMD is empty", name());
        }
        Limits.Builder limits = Limits.newBuilder();
        limit(maxCpuBandwidth, "-max_cpu_bandwidth", limits::setMaxCpuBandwidth);
        limit(maxMemoryUsage, "-max_memory_usage", limits::setMaxMemoryUsage);
        limit(maxRbps, "-max_rbps", limits::setMaxRbps);
        limit(maxRiops, "-max_riops", limits::setMaxRiops);
        limit(maxWbps, "-max_wbps", limits::setMaxWbps);
        limit(maxWiops, "-max_wiops", limits::setMaxWiops);
        endpoint();
        request = StartRequest.newBuilder()
                .setCommand(commandLine.getFirst())
                .addAllArgs(commandLine.subList(1, commandLine.size()))
                .setLimits(limits)
                .build();
    }

    /** Sets a limit only when its flag was given. */
    private void limit(String value, String flag, Consumer<UInt64Value> setter) {
        if (value != null) {
            setter.accept(UInt64Value.of(Uint64.parse(value, flag, name())));
        }
    }

    /** The request {@link #prepare} built. */
    StartRequest request() {
        return request;
    }

    @Override
    int execute(CommandContext context) {
        StartResponse response;
        try (ClientSession session = context.open(connection(), endpoint())) {
            response = session.await(client -> client.start(request));
        }
        if (response.getId().isEmpty()) {
            throw CliException.failure("the server answered Start without a job ID");
        }
        context.out().print(response.getId() + "\n");
        context.out().flush();
        return ExitCodes.OK;
    }
}
