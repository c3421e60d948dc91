package rund.cli;

import com.github.rvesse.airline.Cli;
import com.github.rvesse.airline.help.Help;
import com.github.rvesse.airline.parser.errors.ParseException;
import java.io.PrintStream;

/** Entry point of {@code rund}: parses the command line with Airline and runs the chosen subcommand. */
@com.github.rvesse.airline.annotations.Cli(
    name = "rund",
    description = "Runs Linux processes (jobs) for remote clients, each in its own cgroup v2, over gRPC with mutual TLS",
    commands = {ServeCommand.class, ExecuteCommand.class, Help.class},
    defaultCommand = Help.class)
public final class RundMain {
  private static final java.util.Set<String> COMMANDS = java.util.Set.of("serve", "execute", "help");

  private RundMain() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Returns the exit code: 0 success, 1 failure, 2 usage error. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length > 0 && java.util.Arrays.stream(args).anyMatch(a -> a.equals("-h") || a.equals("-help") || a.equals("--help"))) {
      args = COMMANDS.contains(args[0]) ? new String[] {"help", args[0]} : new String[] {"help"};
    }
    Object command;
    try {
      command = new Cli<>(RundMain.class).parse(args);
    } catch (ParseException e) {
      String topic = args.length > 0 && COMMANDS.contains(args[0]) ? "rund help " + args[0] : "rund help";
      err.println("rund: " + e.getMessage() + " (see " + topic + ")");
      return 2;
    }
    if (command instanceof Help help) {
      if (args.length > 0 && !args[0].equals("help")) {
        err.println("rund: unknown command \"" + args[0] + "\" (commands: serve, execute, help)");
        return 2;
      }
      help.run();
      return 0;
    }
    return ((RundCommand) command).run(out, err);
  }

  /** A subcommand that reports its outcome as an exit code. */
  interface RundCommand {
    int run(PrintStream out, PrintStream err);
  }
}
