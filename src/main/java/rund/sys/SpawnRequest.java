package rund.sys;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What {@link Processes#spawn} starts.
 *
 * @param executable       path of the program; used as is (no PATH search). A relative path is resolved in
 *                         workingDirectory when one is given
 * @param argv             the complete argument vector, argv[0] included (conventionally the program name)
 * @param env              the complete environment as "KEY=VALUE" strings; nothing is inherited from the daemon
 * @param workingDirectory the child's working directory, or null to inherit the daemon's
 * @param stdoutFd         becomes the child's fd 1
 * @param stderrFd         becomes the child's fd 2 (may equal stdoutFd to merge the streams)
 */
public record SpawnRequest(String executable, List<String> argv, List<String> env, Path workingDirectory,
                           int stdoutFd, int stderrFd) {
    public SpawnRequest {
        Objects.requireNonNull(executable, "executable");
        argv = List.copyOf(argv);
        env = List.copyOf(env);
        if (executable.isEmpty()) {
            throw new IllegalArgumentException("executable is empty");
        }
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv needs at least argv[0]");
        }
        if (stdoutFd < 0 || stderrFd < 0) {
            throw new IllegalArgumentException("negative fd: stdout " + stdoutFd + ", stderr " + stderrFd);
        }
        // The file actions dup2 stdoutFd onto 1 before stderrFd onto 2; a stderrFd of 1 would by then be stdout.
        if (stderrFd == 1 && stdoutFd != 1) {
            throw new IllegalArgumentException("stderrFd 1 would be overwritten by stdoutFd " + stdoutFd);
        }
    }
}
