package rund.cli;

import com.github.rvesse.airline.annotations.Arguments;
import com.github.rvesse.airline.annotations.Command;
import com.github.rvesse.airline.annotations.Option;
import java.io.PrintStream;
import java.util.List;

/**
 * {@code rund execute}: documented here for {@code rund help}; the work is done by bin/rund itself, in shell,
 * before any JVM starts, because it runs once per job.
 */
@Command(name = "execute", description = "The per-job launch step: waits for the line \"go\" on the FIFO, then"
    + " replaces itself with CMD ARGS (any other line, or end of file, exits 125 without running CMD)."
    + " Usage: rund execute -fifo PATH [-user NAME -group NAME | -group NAME] [--] CMD [ARGS...]")
public final class ExecuteCommand implements RundMain.RundCommand {
  @Option(name = {"-fifo", "--fifo"}, title = "path", description = "path to FIFO file")
  String fifo;

  @Option(name = {"-user", "--user"}, title = "name",
      description = "run CMD as this user, with -group and the user's supplementary groups (needs root)")
  String user;

  @Option(name = {"-group", "--group"}, title = "name",
      description = "run CMD with this group (without -user: and no supplementary groups; needs root)")
  String group;

  @Arguments(title = "command", description = "the command and its arguments")
  List<String> command;

  @Override
  public int run(PrintStream out, PrintStream err) {
    err.println("rund: execute is carried out by the bin/rund launcher script (it must not start a JVM per job);"
        + " run it as: bin/rund execute -fifo PATH -- CMD [ARGS...]");
    return 2;
  }
}
