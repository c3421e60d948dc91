package rund.log;

/** What a follower needs from a job: its log, whether the log is complete, and where progress is announced. */
public interface LogSource {
  JobLog log();

  /**
   * True once every byte the job will ever write is in the log (the job has ended and its pipes are
   * closed). Read on the event loop; once true, {@link JobLog#committedLength()} is final.
   */
  boolean outputComplete();

  /** The event-bus address on which a message is published whenever the log grows or completes. */
  String progressAddress();
}
