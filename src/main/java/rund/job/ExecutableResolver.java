package rund.job;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

/**
 * Finds the program a Start request names, the way execvp would, so that "command not found" and
 * "permission denied" are answered as Start errors instead of surfacing later as a job that exits 127.
 */
public final class ExecutableResolver {
  private final List<Path> searchPath;
  private final Path workingDirectory;

  public ExecutableResolver(String pathVariable, Path workingDirectory) {
    this.searchPath = java.util.Arrays.stream(pathVariable.split(":"))
        .filter(entry -> !entry.isEmpty())
        .map(Path::of)
        .toList();
    this.workingDirectory = workingDirectory;
  }

  /** Returns the absolute path to execute. */
  public Path resolve(String command) throws LaunchException {
    if (command.contains("/")) {
      Path path;
      try {
        path = workingDirectory.resolve(command).normalize();
      } catch (InvalidPathException e) {
        throw new LaunchException(LaunchException.Kind.NOT_FOUND, "invalid command path: " + command);
      }
      return check(path, command);
    }
    LaunchException denied = null;
    for (Path directory : searchPath) {
      Path candidate = directory.resolve(command);
      if (!Files.exists(candidate)) {
        continue;
      }
      try {
        return check(candidate, command);
      } catch (LaunchException e) {
        // execvp keeps searching after EACCES and reports it only if nothing later matches.
        if (denied == null) {
          denied = e;
        }
      }
    }
    if (denied != null) {
      throw denied;
    }
    throw new LaunchException(LaunchException.Kind.NOT_FOUND,
        "command not found: " + command + " (searched PATH=" + String.join(":", searchPath.stream().map(Path::toString).toList()) + ")");
  }

  private static Path check(Path path, String command) throws LaunchException {
    if (!Files.exists(path)) {
      throw new LaunchException(LaunchException.Kind.NOT_FOUND, "command not found: " + command + " (no such file " + path + ")");
    }
    if (Files.isDirectory(path)) {
      throw new LaunchException(LaunchException.Kind.PERMISSION_DENIED, "permission denied: " + path + " is a directory");
    }
    if (!Files.isExecutable(path)) {
      throw new LaunchException(LaunchException.Kind.PERMISSION_DENIED, "permission denied: " + path + " is not executable");
    }
    return path.toAbsolutePath();
  }
}
