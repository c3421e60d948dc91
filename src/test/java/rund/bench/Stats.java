package rund.bench;

import java.util.Arrays;

/** Summary figures of a set of samples (durations in nanoseconds, or any other unit). */
final class Stats {
  private final long[] sorted;

  Stats(long[] samples) {
    if (samples.length == 0) {
      throw new IllegalArgumentException("no samples");
    }
    this.sorted = samples.clone();
    Arrays.sort(sorted);
  }

  /** The nearest-rank percentile (p in 0..100). */
  long percentile(double p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  long median() {
    return percentile(50);
  }

  long max() {
    return sorted[sorted.length - 1];
  }

  int count() {
    return sorted.length;
  }

  static double millis(long nanos) {
    return nanos / 1e6;
  }
}
