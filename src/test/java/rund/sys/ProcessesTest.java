package rund.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessesTest {

    @Test
    void exitCode137IsAnExitNotASignal() throws Exception {
        Child.Result r = Child.run("/bin/sh", "-c", "exit 137");
        assertEquals(ExitStatus.exited(137), r.status());
        assertFalse(r.status().signaled());
    }

    @Test
    void sigkillIsReportedAsSignal9() throws Exception {
        Child.Result r = Child.run("/bin/sh", "-c", "kill -KILL $$");
        assertEquals(ExitStatus.killed(Signals.SIGKILL, false), r.status());
    }

    @Test
    void sigtermIsReportedAsSignal15() throws Exception {
        Child.Result r = Child.run("/bin/sh", "-c", "kill -TERM $$");
        assertEquals(ExitStatus.killed(Signals.SIGTERM, false), r.status());
    }

    @Test
    void stdoutAndStderrGoToTheirOwnPipes() throws Exception {
        Child.Result r = Child.run("/bin/sh", "-c", "printf out; printf err >&2");
        assertEquals("out", r.out());
        assertEquals("err", r.err());
        assertEquals(ExitStatus.exited(0), r.status());
    }

    @Test
    void stdinIsDevNull() throws Exception {
        // An inherited stdin (surefire's pipe) would keep cat reading until the deadline fails the test.
        Child.Result r = Child.run("/bin/sh", "-c", "readlink /proc/self/fd/0; cat");
        assertEquals("/dev/null\n", r.out());
        assertEquals("", r.err());
        assertEquals(ExitStatus.exited(0), r.status());
    }

    @Test
    void noOtherDescriptorLeaksIntoTheChild() throws Throwable {
        int[] pipe = Fds.pipe();
        // A descriptor without close-on-exec, so only closefrom(3) can keep it out of the child.
        int leaky = TestLibc.dupAtLeast(pipe[0], 200);
        try {
            Child.Result r = Child.run("/bin/ls", "/proc/self/fd");
            assertEquals(ExitStatus.exited(0), r.status(), r.err());
            Set<Integer> fds = Arrays.stream(r.out().split("\n")).map(Integer::parseInt)
                    .collect(Collectors.toCollection(TreeSet::new));
            assertFalse(fds.contains(leaky), "leaked fd " + leaky + ": " + fds);
            Set<Integer> beyondStdio = new TreeSet<>(fds);
            beyondStdio.removeAll(Set.of(0, 1, 2));
            // ls holds exactly one descriptor of its own: the /proc/self/fd directory it is listing.
            assertTrue(fds.containsAll(Set.of(0, 1, 2)) && beyondStdio.size() <= 1, "child fds: " + fds);
        } finally {
            Fds.close(leaky);
            Fds.close(pipe[0]);
            Fds.close(pipe[1]);
        }
    }

    @Test
    void childLeadsANewSessionAndProcessGroup() throws Exception {
        try (Child child = Child.start("/bin/sh", "-c",
                "echo $$; read -r _pid _comm _state _ppid pgrp sid _rest < /proc/$$/stat; echo $pgrp $sid")) {
            Child.Result r = child.finish();
            assertEquals(ExitStatus.exited(0), r.status(), r.err());
            String p = Integer.toString(child.pid);
            assertEquals(p + "\n" + p + " " + p + "\n", r.out());
        }
    }

    @Test
    void childHasDefaultDispositionsAndAnEmptyMaskWhateverTheSpawningThreadHad() throws Exception {
        // Spawn from a fresh platform thread that blocks SIGTERM, while SIGTTOU is ignored process-wide:
        // both would be inherited through exec without SETSIGMASK/SETSIGDEF.
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread spawner = Thread.ofPlatform().start(() -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment oldMask = TestLibc.blockSignal(arena, Signals.SIGTERM);
                MemorySegment oldTtou = TestLibc.ignore(Signals.SIGTTOU);
                try (Child child = Child.start("/bin/cat", "/proc/self/status")) {
                    outcome.set(child.finish());
                } finally {
                    TestLibc.setHandler(Signals.SIGTTOU, oldTtou);
                    TestLibc.restoreMask(oldMask);
                }
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        spawner.join(Child.DEADLINE);
        assertFalse(spawner.isAlive(), "spawning thread did not finish");
        if (outcome.get() instanceof Throwable t) {
            throw new AssertionError(t);
        }
        Child.Result r = (Child.Result) outcome.get();
        assertEquals(ExitStatus.exited(0), r.status(), r.err());
        Map<String, String> status = r.out().lines().filter(l -> l.contains(":"))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf(':')), l -> l.substring(l.indexOf(':') + 1).strip()));
        assertEquals(0L, Long.parseUnsignedLong(status.get("SigBlk"), 16), "blocked: " + status.get("SigBlk"));
        assertEquals(0L, Long.parseUnsignedLong(status.get("SigIgn"), 16), "ignored: " + status.get("SigIgn"));
    }

    @Test
    void workingDirectoryAndEnvironmentAreApplied(@TempDir Path dir) throws Exception {
        Path real = dir.toRealPath();
        try (Child child = Child.start(List.of("/bin/sh", "-c", "pwd; echo \"$FOO\""),
                List.of("FOO=bar baz", "PATH=/usr/bin:/bin"), real)) {
            Child.Result r = child.finish();
            assertEquals(ExitStatus.exited(0), r.status(), r.err());
            assertEquals(real + "\nbar baz\n", r.out());
        }
    }

    @Test
    void environmentIsExactlyTheGivenOne() throws Exception {
        try (Child child = Child.start(List.of("/usr/bin/env"), List.of("A=1", "B=two words"), null)) {
            Child.Result r = child.finish();
            assertEquals(ExitStatus.exited(0), r.status(), r.err());
            assertEquals("A=1\nB=two words\n", r.out());
        }
    }

    @Test
    void argvIsPassedVerbatimWithoutPathSearch() throws Exception {
        try (Child child = Child.start(List.of("/bin/sh", "-c", "printf '[%s]' \"$0\" \"$@\"", "zero", "a b", "", "*"),
                List.of(), null)) {
            Child.Result r = child.finish();
            assertEquals("[zero][a b][][*]", r.out());
        }
        // posix_spawn, not posix_spawnp: a bare name is a relative path, not looked up in PATH.
        ErrnoException e = assertThrows(ErrnoException.class,
                () -> Child.start(List.of("sh", "-c", "true"), Child.ENV, Path.of("/")));
        assertEquals(Errno.ENOENT, e.errno());
    }

    @Test
    void missingExecutableFailsAtSpawnWithEnoent() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> Child.start("/nonexistent/rund-nope"));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("posix_spawn", e.call());
        assertEquals("posix_spawn(/nonexistent/rund-nope): No such file or directory (errno 2)", e.getMessage());
    }

    @Test
    void nonExecutableFileFailsAtSpawnWithEacces(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("script.sh");
        Files.writeString(script, "#!/bin/sh\necho should not run\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-r--r--"));
        ErrnoException e = assertThrows(ErrnoException.class, () -> Child.start(script.toString()));
        assertEquals(Errno.EACCES, e.errno());
    }

    @Test
    void missingWorkingDirectoryFailsAtSpawn(@TempDir Path dir) {
        Path missing = dir.resolve("gone");
        ErrnoException e = assertThrows(ErrnoException.class,
                () -> Child.start(List.of("/bin/true"), Child.ENV, missing));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void argumentsWithNulAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Child.start("/bin/echo", "a\0b"));
    }

    @Test
    void waitNoHangIsNullWhileRunningThenReapsOnPidfdReadiness() throws Exception {
        try (Child child = Child.start("/bin/sleep", "60"); Epoll epoll = Epoll.create()) {
            assertNull(Processes.waitNoHang(child.pid));
            epoll.add(child.pidfd, 42);
            long[] tokens = new long[4];
            assertEquals(0, epoll.await(0, tokens), "pidfd readable while the child runs");

            assertTrue(Processes.kill(child.pid, Signals.SIGTERM));
            long deadline = System.nanoTime() + Child.DEADLINE.toNanos();
            int n;
            do {
                n = epoll.await(Child.remainingMillis(deadline, "pidfd readiness"), tokens);
            } while (n == 0);
            assertEquals(1, n);
            assertEquals(42L, tokens[0]);
            assertEquals(ExitStatus.killed(Signals.SIGTERM, false), Processes.waitNoHang(child.pid));
            // Reaped: the pid is no longer our child.
            ErrnoException e = assertThrows(ErrnoException.class, () -> Processes.waitNoHang(child.pid));
            assertEquals(Errno.ECHILD, e.errno());
            child.markReaped();
        }
    }

    @Test
    void pidfdOfAChildThatExitsOnItsOwnReportsTheExitCode() throws Exception {
        try (Child child = Child.start("/bin/sh", "-c", "exit 3")) {
            assertEquals(ExitStatus.exited(3), child.awaitExit());
        }
    }

    @Test
    void killReturnsFalseForAReapedPid() throws Exception {
        int pid;
        try (Child child = Child.start("/bin/true")) {
            pid = child.pid;
            assertEquals(ExitStatus.exited(0), child.awaitExit());
        }
        assertFalse(Processes.kill(pid, 0));
        assertFalse(Processes.kill(pid, Signals.SIGKILL));
    }

    @Test
    void killOfTheNegativePidReachesTheWholeProcessGroup() throws Exception {
        try (Child child = Child.start("/bin/sh", "-c", "/bin/sleep 60 & echo $!; wait")) {
            int grandchild = Integer.parseInt(child.readLine().strip());
            assertTrue(Processes.kill(-child.pid, Signals.SIGKILL));
            assertEquals(ExitStatus.killed(Signals.SIGKILL, false), child.awaitExit());
            // The orphaned sleep is reaped by init (or left a zombie by a lazy one): either way it must be dead.
            long deadline = System.nanoTime() + Child.DEADLINE.toNanos();
            while (isLive(grandchild)) {
                Child.remainingMillis(deadline, "grandchild " + grandchild + " to die");
                Thread.onSpinWait();
                LockSupport.parkNanos(1_000_000);
            }
        }
    }

    @Test
    void kill0ProbesARunningChild() throws Exception {
        try (Child child = Child.start("/bin/sleep", "60")) {
            assertTrue(Processes.kill(child.pid, 0));
        }
    }

    @Test
    void spawnIsSafeFromManyThreadsAtOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<String>> tasks = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String word = "w" + i;
                tasks.add(() -> Child.run("/bin/sh", "-c", "printf %s \"$1\"; printf e%s \"$1\" >&2", "sh", word)
                        .toString());
            }
            List<Future<String>> results = pool.invokeAll(tasks, Child.DEADLINE.toSeconds(), TimeUnit.SECONDS);
            for (int i = 0; i < results.size(); i++) {
                String expected = new Child.Result("w" + i, "ew" + i, ExitStatus.exited(0)).toString();
                assertEquals(expected, results.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static boolean isLive(int pid) throws Exception {
        Path stat = Path.of("/proc/" + pid + "/stat");
        try {
            String s = Files.readString(stat);
            return s.charAt(s.lastIndexOf(')') + 2) != 'Z';
        } catch (NoSuchFileException gone) {
            return false;
        }
    }
}
