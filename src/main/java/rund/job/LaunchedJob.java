package rund.job;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import rund.cgroup.JobCgroup;
import rund.log.JobLog;

/**
 * A job whose process is running its command: the descriptors the output pump takes over, the cgroup (null
 * in degraded mode), and the release FIFO, which stays open until the job ends so the launch step can
 * always read its release line.
 */
public record LaunchedJob(
    int pid, int pidfd, int stdoutFd, int stderrFd, JobCgroup cgroup, FileChannel releaseFifo, Path directory, JobLog log) {}
