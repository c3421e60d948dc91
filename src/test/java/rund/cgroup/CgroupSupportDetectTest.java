package rund.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each detection rule of {@link CgroupSupport#detect} against a fake /proc and a fake cgroup2 tree. */
class CgroupSupportDetectTest {
    private static final long PID = FakeHost.OWN_PID;
    private static final EnumSet<Controller> ALL = EnumSet.allOf(Controller.class);

    @TempDir
    Path tmp;

    private static CgroupSupport.Degraded degraded(CgroupSupport s) {
        return assertInstanceOf(CgroupSupport.Degraded.class, s, s::describe);
    }

    private static CgroupSupport.Enabled enabled(CgroupSupport s) {
        return assertInstanceOf(CgroupSupport.Enabled.class, s, s::describe);
    }

    @Test
    void offIsDegradedWithoutReadingAnything() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids");
        Files.delete(host.proc.resolve("self/mountinfo")); // reading it would change the reason
        CgroupSupport s = host.detect("off");
        assertEquals("cgroup support is switched off in the configuration", degraded(s).reason());
        assertEquals(List.of(), host.kernel.log);
    }

    @Test
    void noCgroup2Mount() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids").withoutCgroup2();
        assertEquals("no cgroup2 file system is mounted", degraded(host.detect("auto")).reason());
        assertEquals(List.of(), host.kernel.log);
    }

    @Test
    void notRoot() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids").uid(1000);
        String reason = degraded(host.detect("auto")).reason();
        assertTrue(reason.contains("uid 1000") && reason.contains("not as root"), reason);
        assertEquals(List.of(), host.kernel.log);
    }

    @Test
    void readOnlyMount() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids").readOnlyMount();
        String reason = degraded(host.detect("auto")).reason();
        assertTrue(reason.contains("read-only"), reason);
        assertEquals(List.of(), host.kernel.log);
    }

    @Test
    void invalidConfiguredRoot() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids");
        String reason = degraded(host.detect("sys/fs/cgroup/rund")).reason();
        assertTrue(reason.contains("\"auto\", \"off\" or an absolute path"), reason);
        assertEquals(List.of(), host.kernel.log);
    }

    /** This host: hybrid layout, the cgroup2 mount offers hugetlb only. Nothing may be written. */
    @Test
    void hybridHostIsDegradedAndNothingIsWritten() throws IOException {
        FakeHost host = new FakeHost(tmp, "hugetlb").hybrid();
        host.kernel.forbidWrites = true;
        String reason = degraded(host.detect("auto")).reason();
        Path v1 = tmp.resolve("v1");
        assertTrue(reason.startsWith("cgroup2 at " + host.cgroupMount
                + " offers no cpu, memory, io or pids controller ("), reason);
        assertTrue(reason.contains("cpu: bound to the cgroup v1 hierarchy at " + v1.resolve("cpu")), reason);
        assertTrue(reason.contains("memory: bound to the cgroup v1 hierarchy at " + v1.resolve("memory")), reason);
        assertTrue(reason.contains("io: bound to the cgroup v1 blkio hierarchy at " + v1.resolve("blkio")), reason);
        assertTrue(reason.contains("pids: bound to the cgroup v1 hierarchy at " + v1.resolve("pids")), reason);
        assertTrue(reason.contains("cgroup_no_v1=all"), reason);
        assertEquals(List.of(), host.kernel.log);
        assertEquals("", host.kernel.content(host.cgroupMount, "cgroup.subtree_control"));
        assertTrue(host.kernel.subdirectories(host.cgroupMount).isEmpty());
    }

    /** An explicit path on the hybrid host: refused before mkdir. */
    @Test
    void hybridHostExplicitPathIsNotCreated() throws IOException {
        FakeHost host = new FakeHost(tmp, "hugetlb").hybrid();
        host.kernel.forbidWrites = true;
        String reason = degraded(host.detect(host.cgroupMount.resolve("rund").toString())).reason();
        assertTrue(reason.contains("offers no cpu, memory, io or pids controller to " + host.cgroupMount
                .resolve("rund")), reason);
        assertTrue(Files.notExists(host.cgroupMount.resolve("rund")));
    }

    @Test
    void controllerMissingWithoutV1MountSaysWhy() throws IOException {
        FakeHost host = new FakeHost(tmp, "hugetlb");
        String reason = degraded(host.detect("auto")).reason();
        assertTrue(reason.contains("memory: not offered by the kernel"), reason);
        assertTrue(!reason.contains("cgroup_no_v1"), reason);
    }

    @Test
    void rootCgroupCreatesRundAndEnablesControllers() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpuset cpu io memory hugetlb pids rdma misc");
        CgroupSupport.Enabled e = enabled(host.detect("auto"));
        Path rund = host.cgroupMount.resolve("rund");
        assertEquals(rund, e.jobParent());
        assertEquals(host.cgroupMount, e.mount());
        assertEquals(ALL, e.controllers());
        assertEquals(java.util.Map.of(), e.unavailable());
        assertEquals(List.of(
                "write /cgroup.subtree_control +cpu",
                "write /cgroup.subtree_control +memory",
                "write /cgroup.subtree_control +io",
                "write /cgroup.subtree_control +pids",
                "mkdir /rund",
                "write /rund/cgroup.subtree_control +cpu",
                "write /rund/cgroup.subtree_control +memory",
                "write /rund/cgroup.subtree_control +io",
                "write /rund/cgroup.subtree_control +pids"), host.kernel.log);
        assertEquals(ALL, Controller.parseList(host.kernel.content(rund, "cgroup.subtree_control")));
    }

    @Test
    void rootCgroupAlreadySetUpWritesNothingNew() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids");
        host.kernel.setSubtreeControl(host.cgroupMount, "cpu io memory pids");
        Path rund = host.kernel.cgroup("rund");
        host.kernel.setSubtreeControl(rund, "cpu io memory pids");
        CgroupSupport.Enabled e = enabled(host.detect("auto"));
        assertEquals(rund, e.jobParent());
        assertEquals(ALL, e.controllers());
        assertEquals(List.of(), host.kernel.log);
    }

    @Test
    void rundUnderRootHoldingProcessesIsDegraded() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids");
        host.kernel.setSubtreeControl(host.cgroupMount, "cpu io memory pids");
        host.kernel.cgroup("rund", 77);
        String reason = degraded(host.detect("auto")).reason();
        assertTrue(reason.contains("holds processes (pid 77)"), reason);
    }

    /** A systemd service with Delegate=yes: the daemon is alone in its cgroup and moves into a leaf. */
    @Test
    void ownCgroupWithOnlyThisProcessMovesIntoLeaf() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids");
        host.kernel.setSubtreeControl(host.cgroupMount, "cpu io memory pids");
        host.kernel.setSubtreeControl(host.kernel.cgroup("system.slice"), "cpu io memory pids");
        Path own = host.kernel.cgroup("system.slice/rund.service", PID);
        host.ownCgroup("/system.slice/rund.service");

        CgroupSupport.Enabled e = enabled(host.detect("auto"));
        assertEquals(own, e.jobParent());
        assertEquals(ALL, e.controllers());
        assertEquals(List.of(
                "mkdir /system.slice/rund.service/rund-daemon",
                "write /system.slice/rund.service/rund-daemon/cgroup.procs " + PID,
                "write /system.slice/rund.service/cgroup.subtree_control +cpu",
                "write /system.slice/rund.service/cgroup.subtree_control +memory",
                "write /system.slice/rund.service/cgroup.subtree_control +io",
                "write /system.slice/rund.service/cgroup.subtree_control +pids"), host.kernel.log);
        assertEquals(List.of(PID), host.kernel.procs(own.resolve("rund-daemon")));
        assertEquals(List.of(), host.kernel.procs(own));
    }

    @Test
    void ownCgroupWithOtherProcessesIsDegradedAndUntouched() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids");
        host.kernel.setSubtreeControl(host.cgroupMount, "cpu io memory pids");
        host.kernel.setSubtreeControl(host.kernel.cgroup("user.slice"), "cpu io memory pids");
        host.kernel.cgroup("user.slice/session-1.scope", 900, PID, 901);
        host.ownCgroup("/user.slice/session-1.scope");
        String reason = degraded(host.detect("auto")).reason();
        assertTrue(reason.startsWith("the daemon's cgroup " + host.cgroupMount.resolve("user.slice/session-1.scope")
                + " holds other processes (pids 900, 901)"), reason);
        assertTrue(reason.endsWith("set cgroupRoot to a cgroup delegated to rund"), reason);
        assertEquals(List.of(), host.kernel.log);
    }

    @Test
    void ownCgroupWithoutOurPidIsDegraded() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids");
        host.kernel.setSubtreeControl(host.cgroupMount, "cpu io memory pids");
        host.kernel.cgroup("svc", 7);
        host.ownCgroup("/svc");
        String reason = degraded(host.detect("auto")).reason();
        assertTrue(reason.contains("does not list the daemon's pid " + PID + " (pid 7)"), reason);
        assertEquals(List.of(), host.kernel.log);
    }

    @Test
    void ownCgroupNotDelegatedSaysWhere() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids");
        host.kernel.cgroup("system.slice/rund.service", PID);
        host.ownCgroup("/system.slice/rund.service");
        String reason = degraded(host.detect("auto")).reason();
        assertTrue(reason.contains("memory: not enabled in " + host.cgroupMount + "/cgroup.subtree_control, so not"
                + " delegated to " + host.cgroupMount.resolve("system.slice")), reason);
        assertEquals(List.of(), host.kernel.log);
    }

    /** Inside a cgroup namespace "0::/" is not the real root: its top directory has cgroup.type. */
    @Test
    void namespaceRootIsTreatedAsOrdinaryCgroup() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids");
        host.kernel.put(host.cgroupMount, "cgroup.type", "domain\n");
        host.kernel.setProcs(host.cgroupMount, PID);
        CgroupSupport.Enabled e = enabled(host.detect("auto"));
        assertEquals(host.cgroupMount, e.jobParent());
        assertEquals(List.of(PID), host.kernel.procs(host.cgroupMount.resolve("rund-daemon")));
        assertTrue(host.kernel.log.contains("mkdir /rund-daemon"), host.kernel.log::toString);
    }

    @Test
    void controllerThatCannotBeEnabledIsReportedUnavailable() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids");
        host.kernel.refuseEnable.add("cpu");
        CgroupSupport.Enabled e = enabled(host.detect("auto"));
        assertEquals(EnumSet.of(Controller.MEMORY, Controller.IO, Controller.PIDS), e.controllers());
        String why = e.whyUnavailable(Controller.CPU);
        assertTrue(why.contains("enabling it in " + host.cgroupMount + "/cgroup.subtree_control failed: "), why);
        assertTrue(why.contains("Invalid argument"), why);
        assertEquals("", e.whyUnavailable(Controller.MEMORY));
    }

    @Test
    void explicitPathIsCreatedWithParents() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids");
        host.kernel.setSubtreeControl(host.cgroupMount, "cpu memory");
        Path target = host.cgroupMount.resolve("jobs/rund");
        CgroupSupport.Enabled e = enabled(host.detect(target + "/"));
        assertEquals(target, e.jobParent());
        assertEquals(EnumSet.of(Controller.CPU, Controller.MEMORY), e.controllers());
        assertEquals(List.of(
                "mkdir /jobs",
                "write /jobs/cgroup.subtree_control +cpu",
                "write /jobs/cgroup.subtree_control +memory",
                "mkdir /jobs/rund",
                "write /jobs/rund/cgroup.subtree_control +cpu",
                "write /jobs/rund/cgroup.subtree_control +memory"), host.kernel.log);
        String why = e.whyUnavailable(Controller.IO);
        assertEquals("not enabled in " + host.cgroupMount + "/cgroup.subtree_control, so not delegated to "
                + host.cgroupMount.resolve("jobs"), why);
    }

    @Test
    void explicitExistingEmptyPath() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids");
        host.kernel.setSubtreeControl(host.cgroupMount, "cpu io memory pids");
        Path target = host.kernel.cgroup("rund.slice");
        CgroupSupport.Enabled e = enabled(host.detect(target.toString()));
        assertEquals(target, e.jobParent());
        assertEquals(ALL, e.controllers());
        assertTrue(host.kernel.log.stream().noneMatch(l -> l.startsWith("mkdir")), host.kernel.log::toString);
    }

    @Test
    void explicitPathHoldingProcessesIsDegradedAndUntouched() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids");
        host.kernel.setSubtreeControl(host.cgroupMount, "cpu io memory pids");
        Path target = host.kernel.cgroup("busy", 10, 11);
        String reason = degraded(host.detect(target.toString())).reason();
        assertTrue(reason.startsWith("cgroupRoot " + target + " holds processes (pids 10, 11)"), reason);
        assertEquals(List.of(), host.kernel.log);
    }

    @Test
    void explicitPathOutsideCgroup2() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids");
        String reason = degraded(host.detect(tmp.resolve("elsewhere").toString())).reason();
        assertTrue(reason.contains("is not inside a cgroup2 mount (cgroup2 is mounted at " + host.cgroupMount + ")"),
                reason);
        assertEquals(List.of(), host.kernel.log);
    }

    @Test
    void explicitPathWithDotDotIsNormalisedBeforeTheMountCheck() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids");
        String reason = degraded(host.detect(host.cgroupMount + "/../../../escape")).reason();
        assertTrue(reason.contains("is not inside a cgroup2 mount"), reason);
        assertEquals(List.of(), host.kernel.log);
    }

    /** A process outside the root of the cgroup namespace the mount shows sees "0::/../x". */
    @Test
    void ownCgroupOutsideTheMountIsDegraded() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids").ownCgroup("/../../outside");
        String reason = degraded(host.detect("auto")).reason();
        assertTrue(reason.contains("is outside the cgroup2 mount at " + host.cgroupMount), reason);
        assertEquals(List.of(), host.kernel.log);
    }

    @Test
    void ownCgroupMissingFromProcSelfCgroup() throws IOException {
        FakeHost host = new FakeHost(tmp, "cpu io memory pids");
        Files.writeString(host.proc.resolve("self/cgroup"), "4:memory:/x\n");
        String reason = degraded(host.detect("auto")).reason();
        assertTrue(reason.contains("has no \"0::\" line"), reason);
    }
}
