package rund.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * Spawning, watching and signalling child processes. Not ProcessBuilder, because the daemon needs (a) the exit code
 * kept apart from a terminating signal, (b) raw pipe fds that one epoll thread reads for all jobs, and (c) to reap
 * its children itself, on pidfd readiness, instead of a JVM reaper thread per child.
 */
public final class Processes {
    private Processes() {}

    // <spawn.h> flags.
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final short POSIX_SPAWN_SETSID = 0x80;

    private static final int O_RDONLY = 0;

    /**
     * glibc's posix_spawnattr_t is 336 bytes and posix_spawn_file_actions_t 80 bytes, sigset_t 128 bytes, on both
     * x86_64 and aarch64. The opaque structs get generous room so a future glibc growing them cannot overrun.
     */
    private static final long SPAWN_STRUCT_BYTES = 1024;
    private static final long SIGSET_BYTES = 128;

    private static final long SYS_PIDFD_OPEN = 434; // same number on x86_64 and aarch64

    // waitid(2)
    private static final int P_PID = 1;
    private static final int WNOHANG = 1;
    private static final int WEXITED = 4;
    private static final int CLD_EXITED = 1;
    private static final int CLD_KILLED = 2;
    private static final int CLD_DUMPED = 3;
    /** siginfo_t for SIGCHLD on 64-bit Linux: si_code at 8, then si_pid, si_uid, si_status after 4 bytes of padding. */
    private static final long SIGINFO_BYTES = 128;
    private static final long SI_CODE = 8;
    private static final long SI_PID = 16;
    private static final long SI_STATUS = 24;

    // posix_spawn* functions return the error number instead of setting errno.
    private static final MethodHandle POSIX_SPAWN = Native.function("posix_spawn",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle ATTR_INIT = Native.function("posix_spawnattr_init",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle ATTR_DESTROY = Native.function("posix_spawnattr_destroy",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle ATTR_SETFLAGS = Native.function("posix_spawnattr_setflags",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT));
    private static final MethodHandle ATTR_SETSIGDEFAULT = Native.function("posix_spawnattr_setsigdefault",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle ATTR_SETSIGMASK = Native.function("posix_spawnattr_setsigmask",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SIGEMPTYSET = Native.function("sigemptyset",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle ACTIONS_INIT = Native.function("posix_spawn_file_actions_init",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle ACTIONS_DESTROY = Native.function("posix_spawn_file_actions_destroy",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle ACTIONS_ADDOPEN = Native.function("posix_spawn_file_actions_addopen",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle ACTIONS_ADDDUP2 = Native.function("posix_spawn_file_actions_adddup2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle ACTIONS_ADDCLOSEFROM = Native.function("posix_spawn_file_actions_addclosefrom_np",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle ACTIONS_ADDCHDIR = Native.function("posix_spawn_file_actions_addchdir_np",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));

    /** syscall(2) is variadic; its arguments are read as longs, so they are passed as longs. */
    private static final MethodHandle SYSCALL_3 = Native.functionWithErrno("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle WAITID = Native.functionWithErrno("waitid",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle KILL = Native.functionWithErrno("kill",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    /**
     * posix_spawn (no PATH search) and returns the child's pid. The child:
     * <ul>
     * <li>starts a new session (POSIX_SPAWN_SETSID): its pgid == pid, so the whole job can be signalled as a group
     *     and a Ctrl-C at the daemon's terminal never reaches it;</li>
     * <li>has every signal at default disposition and an empty signal mask, whatever the JVM's thread had;</li>
     * <li>reads stdin from /dev/null, writes fd 1 to stdoutFd and fd 2 to stderrFd;</li>
     * <li>inherits no other descriptor (closefrom 3), so no job holds another job's pipe open;</li>
     * <li>runs in workingDirectory when given, with exactly the given environment.</li>
     * </ul>
     * glibc's posix_spawn (CLONE_VFORK since 2.24) waits for the exec and returns its error, so a missing or
     * non-executable program fails here with ENOENT/EACCES instead of as an exit code 127 later.
     */
    public static int spawn(SpawnRequest request) throws ErrnoException {
        String subject = request.executable()
                + (request.workingDirectory() == null ? "" : " in " + request.workingDirectory());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment path = Native.cString(arena, request.executable(), "executable");
            MemorySegment argv = stringArray(arena, request.argv(), "argv");
            MemorySegment envp = stringArray(arena, request.env(), "env");
            MemorySegment cwd = request.workingDirectory() == null
                    ? MemorySegment.NULL
                    : Native.cString(arena, request.workingDirectory().toString(), "workingDirectory");
            MemorySegment devNull = arena.allocateFrom("/dev/null");
            MemorySegment pid = arena.allocate(JAVA_INT);
            MemorySegment allSignals = arena.allocate(SIGSET_BYTES, 8);
            MemorySegment noSignals = arena.allocate(SIGSET_BYTES, 8);
            MemorySegment attr = arena.allocate(SPAWN_STRUCT_BYTES, 16);
            MemorySegment actions = arena.allocate(SPAWN_STRUCT_BYTES, 16);
            try {
                // Every bit set, not sigfillset: glibc's sigfillset leaves out its two internal signals (32 and 33),
                // and its spawn code sets signals it was not asked to default to SIG_IGN, which survives exec.
                // Jobs would start with signals 32 and 33 ignored (so do ProcessBuilder's children). setsigdefault
                // copies the set as is, and resetting them in the child before exec does not touch the parent.
                allSignals.fill((byte) 0xff);
                if ((int) SIGEMPTYSET.invokeExact(noSignals) != 0) { // fails only for a NULL pointer
                    throw new IllegalStateException("sigemptyset failed");
                }

                check((int) ATTR_INIT.invokeExact(attr), "posix_spawnattr_init", subject);
                try {
                    check((int) ATTR_SETFLAGS.invokeExact(attr,
                                    (short) (POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)),
                            "posix_spawnattr_setflags", subject);
                    check((int) ATTR_SETSIGDEFAULT.invokeExact(attr, allSignals),
                            "posix_spawnattr_setsigdefault", subject);
                    check((int) ATTR_SETSIGMASK.invokeExact(attr, noSignals), "posix_spawnattr_setsigmask", subject);

                    check((int) ACTIONS_INIT.invokeExact(actions), "posix_spawn_file_actions_init", subject);
                    try {
                        // Order matters: the dup2s read the caller's fds before closefrom(3) closes them, and fd 0
                        // is opened after them in case stdoutFd or stderrFd happens to be 0.
                        check((int) ACTIONS_ADDDUP2.invokeExact(actions, request.stdoutFd(), 1),
                                "posix_spawn_file_actions_adddup2", subject);
                        check((int) ACTIONS_ADDDUP2.invokeExact(actions, request.stderrFd(), 2),
                                "posix_spawn_file_actions_adddup2", subject);
                        check((int) ACTIONS_ADDOPEN.invokeExact(actions, 0, devNull, O_RDONLY, 0),
                                "posix_spawn_file_actions_addopen", subject);
                        check((int) ACTIONS_ADDCLOSEFROM.invokeExact(actions, 3),
                                "posix_spawn_file_actions_addclosefrom_np", subject);
                        if (!cwd.equals(MemorySegment.NULL)) {
                            check((int) ACTIONS_ADDCHDIR.invokeExact(actions, cwd),
                                    "posix_spawn_file_actions_addchdir_np", subject);
                        }
                        check((int) POSIX_SPAWN.invokeExact(pid, path, actions, attr, argv, envp),
                                "posix_spawn", subject);
                        return pid.get(JAVA_INT, 0);
                    } finally {
                        int ignored = (int) ACTIONS_DESTROY.invokeExact(actions);
                    }
                } finally {
                    int ignored = (int) ATTR_DESTROY.invokeExact(attr);
                }
            } catch (ErrnoException e) {
                throw e;
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
        }
    }

    /** A NULL-terminated char*[] as execve wants for argv and envp. */
    private static MemorySegment stringArray(Arena arena, List<String> strings, String what) {
        MemorySegment array = arena.allocate(ADDRESS, strings.size() + 1L);
        for (int i = 0; i < strings.size(); i++) {
            array.setAtIndex(ADDRESS, i, Native.cString(arena, strings.get(i), what));
        }
        array.setAtIndex(ADDRESS, strings.size(), MemorySegment.NULL);
        return array;
    }

    private static void check(int errorNumber, String call, String subject) throws ErrnoException {
        if (errorNumber != 0) {
            throw new ErrnoException(call, subject, errorNumber);
        }
    }

    /**
     * pidfd_open(pid, 0) via syscall(2). The fd (close-on-exec) becomes readable when the process exits, so the
     * epoll thread learns of exits without SIGCHLD. Call it right after spawn and before reaping: until the child
     * is reaped its pid cannot be reused, so the pidfd refers to the right process even if it already exited.
     */
    public static int pidfdOpen(int pid) throws ErrnoException {
        MemorySegment state = Native.callState();
        long fd;
        try {
            fd = (long) SYSCALL_3.invokeExact(state, SYS_PIDFD_OPEN, (long) pid, 0L);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (fd < 0) {
            throw new ErrnoException("pidfd_open", Integer.toString(pid), Native.errno(state));
        }
        return (int) fd;
    }

    /**
     * waitid(P_PID, pid, WEXITED|WNOHANG): reaps and returns the status, or null if the child is still running.
     * Throws ECHILD if pid is not an unreaped child of this process.
     */
    public static ExitStatus waitNoHang(int pid) throws ErrnoException {
        if (pid <= 0) {
            throw new IllegalArgumentException("pid must be positive: " + pid);
        }
        try (Arena arena = Arena.ofConfined()) {
            // Zeroed by the arena: with WNOHANG and no state change, waitid returns 0 and leaves si_pid 0.
            MemorySegment info = arena.allocate(SIGINFO_BYTES, 8);
            MemorySegment state = Native.callState();
            while (true) {
                int rc;
                try {
                    rc = (int) WAITID.invokeExact(state, P_PID, pid, info, WNOHANG | WEXITED);
                } catch (Throwable t) {
                    throw Native.rethrow(t);
                }
                if (rc == 0) {
                    break;
                }
                int errno = Native.errno(state);
                if (errno != Errno.EINTR) {
                    throw new ErrnoException("waitid", Integer.toString(pid), errno);
                }
            }
            if (info.get(JAVA_INT, SI_PID) == 0) {
                return null;
            }
            int code = info.get(JAVA_INT, SI_CODE);
            int status = info.get(JAVA_INT, SI_STATUS);
            return switch (code) {
                case CLD_EXITED -> ExitStatus.exited(status);
                case CLD_KILLED -> ExitStatus.killed(status, false);
                case CLD_DUMPED -> ExitStatus.killed(status, true);
                // Only WEXITED was asked for, so stop/continue codes cannot appear.
                default -> throw new IllegalStateException("waitid(" + pid + "): unexpected si_code " + code);
            };
        }
    }

    /**
     * kill(2). Returns false when the target does not exist (ESRCH); throws on other errors (e.g. EPERM).
     * pid &lt; 0 addresses the process group -pid: a spawned job leads its own group, so {@code kill(-pid, sig)}
     * reaches its descendants too.
     */
    public static boolean kill(int pid, int signal) throws ErrnoException {
        MemorySegment state = Native.callState();
        int rc;
        try {
            rc = (int) KILL.invokeExact(state, pid, signal);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc == 0) {
            return true;
        }
        int errno = Native.errno(state);
        if (errno == Errno.ESRCH) {
            return false;
        }
        throw new ErrnoException("kill", pid + ", " + Signals.name(signal), errno);
    }
}
