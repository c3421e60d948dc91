package rund.security;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the runc command line in this JVM, as a user would run it, through {@code RuncMain.run(args, out, err)}
 * (package-private in rund.cli.client, hence reflection): the exit code and what it printed.
 */
record Runc(int exitCode, String out, String err) {

  /** runc SUBCOMMAND -addr ADDR -ca CA -cert CERT -key KEY OPERANDS... */
  static Runc run(String subcommand, String addr, Path ca, Path cert, Path key, String... operands) throws Exception {
    List<String> argv = new ArrayList<>(List.of(subcommand, "-addr", addr, "-ca", ca.toString(),
        "-cert", cert.toString(), "-key", key.toString()));
    argv.addAll(List.of(operands));
    Method run = Class.forName("rund.cli.client.RuncMain")
        .getDeclaredMethod("run", String[].class, PrintStream.class, PrintStream.class);
    run.setAccessible(true);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = (int) run.invoke(null, argv.toArray(String[]::new), o, e);
    }
    return new Runc(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** The one line runc printed on stderr, without its newline; fails if it printed anything else. */
  String errorLine() {
    if (!err.endsWith("\n") || err.indexOf('\n') != err.length() - 1 || !err.startsWith("runc: ")) {
      throw new AssertionError("runc should print exactly one \"runc: \" line on stderr, printed: " + err);
    }
    return err.substring(0, err.length() - 1);
  }
}
