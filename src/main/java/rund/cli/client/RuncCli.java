package rund.cli.client;

import com.github.rvesse.airline.Cli;
import com.github.rvesse.airline.help.Help;
import com.github.rvesse.airline.model.CommandMetadata;
import com.github.rvesse.airline.model.OptionMetadata;
import com.github.rvesse.airline.parser.errors.ParseException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The command line of runc. Airline declares the subcommands and flags, binds flag values and writes the help; this
 * class first splits argv into flags and operands, because everything from start's CMD on belongs to the job and
 * must never be read as a flag. Operands (CMD and its arguments, or the job ID) go to the command verbatim.
 *
 * <p>Flags: -name value, -name=value, and the same with two dashes; a flag given twice keeps its last value; "--"
 * ends the flags (the first one only is dropped); -h, -help and --help show the subcommand's help.
 */
final class RuncCli {

    private static final Set<String> HELP_FLAGS = Set.of("-h", "-help", "--help");

    private final Cli<Object> cli = Cli.builder("runc")
            .withDescription("client of rund: start, stop, inspect and follow jobs on a remote Linux host")
            .withCommands(StartCommand.class, StopCommand.class, StatusCommand.class, LogCommand.class, Help.class)
            .build();

    /** What argv asks for. */
    sealed interface Invocation permits Run, ShowHelp {}

    /** Run a prepared subcommand. */
    record Run(RpcCommand command) implements Invocation {}

    /** Print the help on {@code topic}: empty for the overview, else a subcommand name. */
    record ShowHelp(List<String> topic) implements Invocation {}

    /** Reads argv; a mistake in it is a usage {@link CliException}. */
    Invocation parse(String... argv) {
        if (argv.length == 0) {
            throw CliException.usage("no subcommand given (start, stop, status, log)", null);
        }
        String subcommand = canonical(argv[0]);
        List<String> rest = Arrays.asList(argv).subList(1, argv.length);
        if (subcommand.equals("help") || HELP_FLAGS.contains(subcommand)) {
            return help(rest);
        }
        CommandMetadata metadata = command(subcommand);
        boolean start = subcommand.equals("start");
        List<String> flags = new ArrayList<>();
        List<String> operands = new ArrayList<>();
        Set<String> known = flagNames(metadata);
        for (int i = 0; i < rest.size(); i++) {
            String word = rest.get(i);
            if (word.equals("--")) {
                operands.addAll(rest.subList(i + 1, rest.size()));
                break;
            }
            if (!word.startsWith("-") || word.equals("-")) {
                if (start) {
                    operands.addAll(rest.subList(i, rest.size()));
                    break;
                }
                operands.add(word);
                continue;
            }
            if (HELP_FLAGS.contains(word)) {
                return new ShowHelp(List.of(subcommand));
            }
            int equals = word.indexOf('=');
            String name = equals < 0 ? word : word.substring(0, equals);
            if (!known.contains(name)) {
                throw CliException.usage("unknown flag " + name + " for " + subcommand, subcommand);
            }
            String value;
            if (equals >= 0) {
                value = word.substring(equals + 1);
            } else if (i + 1 < rest.size()) {
                value = rest.get(++i);
            } else {
                throw CliException.usage("flag " + name + " needs a value", subcommand);
            }
            // Airline takes any value of one word "name=value" as it is, even "--" or "-5", but not an empty one.
            if (value.isEmpty()) {
                flags.add(name);
                flags.add(value);
            } else {
                flags.add(name + "=" + value);
            }
        }
        RpcCommand command = bind(subcommand, flags);
        command.prepare(operands);
        return new Run(command);
    }

    private RpcCommand bind(String subcommand, List<String> flags) {
        List<String> words = new ArrayList<>(flags.size() + 1);
        words.add(subcommand);
        words.addAll(flags);
        try {
            return (RpcCommand) cli.parse(words.toArray(String[]::new));
        } catch (ParseException e) {
            throw CliException.usage(Failures.oneLine(e.getMessage()), subcommand);
        }
    }

    private Invocation help(List<String> topic) {
        if (topic.isEmpty()) {
            return new ShowHelp(List.of());
        }
        if (topic.size() > 1) {
            throw CliException.usage("help takes at most one subcommand", null);
        }
        String subcommand = canonical(topic.getFirst());
        command(subcommand);
        return new ShowHelp(List.of(subcommand));
    }

    /** Writes the help on {@code topic} (see {@link ShowHelp}). */
    void printHelp(List<String> topic, OutputStream out) {
        try {
            Help.help(cli.getMetadata(), topic, out);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private CommandMetadata command(String subcommand) {
        return cli.getMetadata().getDefaultGroupCommands().stream()
                .filter(c -> c.getName().equals(subcommand) && !c.getName().equals("help"))
                .findFirst()
                .orElseThrow(() -> CliException.usage("unknown subcommand \"" + Failures.oneLine(subcommand) + "\"",
                        null));
    }

    /** "logs" is another name of "log". */
    private static String canonical(String subcommand) {
        return subcommand.equals("logs") ? "log" : subcommand;
    }

    /** The names of a subcommand's flags, both spellings. */
    Set<String> flagNames(String subcommand) {
        return flagNames(command(subcommand));
    }

    private static Set<String> flagNames(CommandMetadata command) {
        Set<String> names = new HashSet<>();
        for (OptionMetadata option : command.getAllOptions()) {
            names.addAll(option.getOptions());
        }
        return names;
    }
}
