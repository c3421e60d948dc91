package rund.job;

import java.time.Duration;

/**
 * The job table's rules: how Stop escalates, how long a job's pipes may stay open after its processes were
 * killed, how many jobs one client may run at once, and how many finished jobs (and how many bytes of
 * their logs) are kept before the oldest are forgotten.
 */
public record JobPolicy(
    Duration stopGrace,
    Duration stragglerTimeout,
    int maxRunningJobsPerClient,
    int retainFinishedJobs,
    long retainFinishedLogBytes) {}
