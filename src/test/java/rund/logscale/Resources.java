package rund.logscale;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.GarbageCollectionNotificationInfo;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;
import io.vertx.core.impl.buffer.VertxByteBufAllocator;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import javax.management.ListenerNotFoundException;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import rund.log.LogFollower;

/**
 * What the in-process daemon holds, as the tests measure it: live heap, open descriptors, threads and
 * registered log followers. The daemon shares this JVM with the test, so every figure includes the test's own
 * share; the tests therefore compare against a baseline taken in the same state (same clients connected,
 * same pools warmed up) rather than against absolute numbers.
 */
final class Resources {
  static final long MIB = 1024 * 1024;
  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

  private Resources() {}

  /**
   * Heap bytes still reachable: used heap right after a full collection. {@code System.gc()} is a full,
   * stop-the-world collection here (G1 without ExplicitGCInvokesConcurrent), so what remains used is the live
   * set plus a little region slack, not garbage that happens not to have been collected yet. Two rounds, so that
   * objects only reachable from finalizable or cleaner-tracked ones are gone too.
   */
  static long liveHeap() {
    for (int i = 0; i < 2; i++) {
      System.gc();
    }
    return MEMORY.getHeapMemoryUsage().getUsed();
  }

  /**
   * The largest heap occupancy seen right after any collection while it is open: a GC notification gives the
   * usage of every heap pool after that collection. After a young collection this includes old-generation garbage
   * not yet collected, so it is an upper bound of the live heap at that moment, taken many times over a run, where
   * {@link #liveHeap()} is an exact figure taken once.
   */
  static final class PeakHeapAfterGc implements AutoCloseable {
    private final List<NotificationEmitter> emitters = new ArrayList<>();
    private final NotificationListener listener;
    private final AtomicLong peak = new AtomicLong();
    private final AtomicInteger collections = new AtomicInteger();

    PeakHeapAfterGc() {
      Set<String> heapPools = new HashSet<>();
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        if (pool.getType() == MemoryType.HEAP) {
          heapPools.add(pool.getName());
        }
      }
      listener = (notification, handback) -> {
        if (!notification.getType().equals(
            GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
          return;
        }
        GarbageCollectionNotificationInfo info =
            GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
        long used = info.getGcInfo().getMemoryUsageAfterGc().entrySet().stream()
            .filter(e -> heapPools.contains(e.getKey())).mapToLong(e -> e.getValue().getUsed()).sum();
        peak.accumulateAndGet(used, Math::max);
        collections.incrementAndGet();
      };
      for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        NotificationEmitter emitter = (NotificationEmitter) gc;
        emitter.addNotificationListener(listener, null, null);
        emitters.add(emitter);
      }
    }

    long peak() {
      return peak.get();
    }

    int collections() {
      return collections.get();
    }

    @Override
    public void close() {
      for (NotificationEmitter emitter : emitters) {
        try {
          emitter.removeNotificationListener(listener);
        } catch (ListenerNotFoundException ignored) {
          // already gone
        }
      }
    }
  }

  /**
   * Off-heap buffer memory: the JDK's direct buffers plus what the Netty pools that Vert.x takes socket and TLS
   * buffers from have reserved. Checked next to the heap, so that a queue of direct buffers cannot hide.
   */
  static long directMemory() {
    long jdk = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
        .filter(pool -> pool.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
    long pools = 0;
    for (ByteBufAllocator allocator : List.of(VertxByteBufAllocator.POOLED_ALLOCATOR, PooledByteBufAllocator.DEFAULT)) {
      if (allocator instanceof ByteBufAllocatorMetricProvider metrics) {
        pools += metrics.metric().usedDirectMemory();
      }
    }
    return jdk + pools;
  }

  /** Descriptors this process has open. */
  static long openFds() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    } catch (IOException e) {
      throw new AssertionError("cannot list /proc/self/fd", e);
    }
  }

  /**
   * Live threads of this process, not counting the JDK's "process reaper" threads: those belong to the test
   * (they wait for the client processes it starts) and linger for a minute after the last one ended.
   */
  static long threads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .filter(t -> !t.getName().startsWith("process reaper"))
        .count();
  }

  /** Thread names, for failure messages. */
  static List<String> threadNames() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName).sorted().toList();
  }

  /** Log followers registered for progress notices and not yet closed, in this JVM. */
  static int followers() {
    return LogFollower.openFollowers();
  }

  /** Polls {@code condition} until it holds or {@code seconds} have passed; false if it never held. */
  static boolean within(long seconds, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
    return true;
  }

  /** Polls until {@code condition} holds, failing with {@code what} after {@code seconds}. */
  static void await(long seconds, String what, BooleanSupplier condition) {
    assertTrue(within(seconds, condition), "within " + seconds + " s: " + what);
  }
}
