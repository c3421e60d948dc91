package rund.job;

import rund.cgroup.JobCgroup;
import rund.log.JobLog;

/**
 * A job whose process is running its command: the descriptors the output pump takes over, the cgroup (null
 * in degraded mode), and the release gate (null when the command was spawned directly), which stays open
 * until the job ends so the launch step can always read its release line.
 */
record LaunchedJob(
    int pid, int pidfd, int stdoutFd, int stderrFd, JobCgroup cgroup, ReleaseGate releaseGate, JobLog log) {}
