package rund.log;

/** What a job's log holds: payload bytes stored, bytes drained but dropped at the cap, and the cap itself. */
public record LogInfo(long storedBytes, long droppedBytes, long capBytes) {
  public boolean truncated() {
    return droppedBytes > 0;
  }
}
