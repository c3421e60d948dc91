package rund.server;

import com.google.protobuf.UInt64Value;
import java.util.OptionalLong;
import java.util.function.Consumer;
import rund.api.Limits;
import rund.cgroup.JobLimits;

/** Translates between the API's wrapper-typed limits and the cgroup package's typed limits. */
final class LimitsMapper {
  private LimitsMapper() {}

  /**
   * Unset wrappers become absent limits. A uint64 above Long.MAX_VALUE arrives as a negative long; it is kept
   * negative here so that validation rejects it instead of wrapping it into a small limit.
   */
  static JobLimits fromApi(Limits limits) {
    return new JobLimits(
        value(limits.hasMaxCpuBandwidth(), limits.getMaxCpuBandwidth()),
        value(limits.hasMaxMemoryUsage(), limits.getMaxMemoryUsage()),
        value(limits.hasMaxRbps(), limits.getMaxRbps()),
        value(limits.hasMaxRiops(), limits.getMaxRiops()),
        value(limits.hasMaxWbps(), limits.getMaxWbps()),
        value(limits.hasMaxWiops(), limits.getMaxWiops()));
  }

  static Limits toApi(JobLimits limits) {
    Limits.Builder api = Limits.newBuilder();
    set(limits.cpuQuotaMicros(), api::setMaxCpuBandwidth);
    set(limits.memoryMaxBytes(), api::setMaxMemoryUsage);
    set(limits.readBps(), api::setMaxRbps);
    set(limits.readIops(), api::setMaxRiops);
    set(limits.writeBps(), api::setMaxWbps);
    set(limits.writeIops(), api::setMaxWiops);
    return api.build();
  }

  private static OptionalLong value(boolean present, UInt64Value value) {
    return present ? OptionalLong.of(value.getValue()) : OptionalLong.empty();
  }

  private static void set(OptionalLong value, Consumer<UInt64Value> setter) {
    if (value.isPresent()) {
      setter.accept(UInt64Value.of(value.getAsLong()));
    }
  }
}
