package rund.server;

import com.google.protobuf.Int32Value;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UInt64Value;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.function.Consumer;
import rund.api.JobStatus;
import rund.api.LogInfo;
import rund.api.State;
import rund.api.Usage;
import rund.cgroup.CgroupUsage;
import rund.job.Job;
import rund.sys.ExitStatus;

/** Turns a job's state into the API's JobStatus. */
final class StatusMapper {
  private StatusMapper() {}

  static JobStatus toStatus(Job job) {
    JobStatus.Builder status = JobStatus.newBuilder()
        .setId(job.id())
        .setCommand(job.command())
        .addAllArgs(job.args())
        .setPid(job.pid())
        .setStopRequested(job.stopRequested())
        .setLimits(LimitsMapper.toApi(job.limits()));
    setTime(job.createdAt(), status::setCreatedAt);
    setTime(job.startedAt(), status::setStartedAt);
    setTime(job.endedAt(), status::setEndedAt);
    ExitStatus exit = job.exit();
    if (exit == null) {
      status.setState(State.STATE_RUNNING);
    } else if (exit.signaled()) {
      status.setState(State.STATE_SIGNALED).setSignal(Int32Value.of(exit.signal()));
    } else {
      status.setState(State.STATE_EXITED).setExitCode(Int32Value.of(exit.exitCode()));
    }
    CgroupUsage usage = job.usage();
    if (usage != null) {
      Usage.Builder figures = Usage.newBuilder();
      setU64(usage.cpuUsec(), figures::setCpuUsec);
      setU64(usage.memoryPeakBytes(), figures::setMemoryPeakBytes);
      setU64(usage.ioReadBytes(), figures::setIoReadBytes);
      setU64(usage.ioWriteBytes(), figures::setIoWriteBytes);
      setU64(usage.cpuThrottledPeriods(), figures::setCpuThrottledPeriods);
      setU64(usage.cpuThrottledUsec(), figures::setCpuThrottledUsec);
      status.setUsage(figures);
      status.setOomKilled(usage.oomKills() > 0);
    }
    if (job.cgroup() != null) {
      status.setCgroup(job.cgroup());
    }
    rund.log.LogInfo log = job.log().info();
    status.setLog(LogInfo.newBuilder()
        .setStoredBytes(log.storedBytes())
        .setDroppedBytes(log.droppedBytes())
        .setTruncated(log.truncated())
        .setCapBytes(log.capBytes()));
    return status.build();
  }

  private static void setTime(Instant instant, Consumer<Timestamp> setter) {
    if (instant != null) {
      setter.accept(Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build());
    }
  }

  private static void setU64(OptionalLong value, Consumer<UInt64Value> setter) {
    if (value.isPresent()) {
      setter.accept(UInt64Value.of(value.getAsLong()));
    }
  }
}
