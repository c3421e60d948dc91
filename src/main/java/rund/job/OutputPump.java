package rund.job;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import rund.log.JobLog;
import rund.log.LogRecords;
import rund.log.OutputStream;
import rund.sys.Epoll;
import rund.sys.ErrnoException;
import rund.sys.ExitStatus;
import rund.sys.Fds;
import rund.sys.Processes;

/**
 * The one thread that moves every job's output from its pipes into its log, and notices every job's exit.
 *
 * <p>A single epoll set holds, per job, the read ends of its stdout and stderr pipes and a pidfd. One
 * thread for all jobs means no thread per job, and since ready pipes are drained in the order the kernel
 * reports them, a chunk at a time, the relative order of stdout and stderr is kept as the daemon observed
 * it. Exits are reaped here (waitid on the pid) rather than by the JDK, which would fold a terminating
 * signal into an exit code.
 *
 * <p>All descriptor changes happen on the pump thread: other threads queue commands and wake it, so a
 * descriptor is never closed under a concurrent read.
 */
public final class OutputPump implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(OutputPump.class.getName());
  private static final int STDOUT = 0;
  private static final int STDERR = 1;
  private static final int EXIT = 2;

  /** Called on the pump thread: implementations hand the news to the job's event loop and return at once. */
  public interface Listener {
    /** The log grew. */
    void onOutput();

    /** Both pipes reached end of file (or were force-closed): the log is complete. */
    void onOutputClosed();

    /** The job's main process ended and was reaped. */
    void onExit(ExitStatus status);
  }

  private final Epoll epoll;
  private final Thread thread;
  private final Map<Long, Watch> watches = new ConcurrentHashMap<>();
  private final Queue<Runnable> commands = new ConcurrentLinkedQueue<>();
  private final AtomicLong nextId = new AtomicLong();
  private volatile boolean running = true;

  public OutputPump() throws ErrnoException {
    this.epoll = Epoll.create();
    this.thread = Thread.ofPlatform().name("rund-output-pump").daemon().unstarted(this::loop);
    thread.start();
  }

  /** Watches a freshly launched job. Thread-safe; takes ownership of the three descriptors. */
  public Handle watch(int pid, int pidfd, int stdoutFd, int stderrFd, JobLog log, Listener listener) {
    Watch watch = new Watch(nextId.getAndIncrement(), pid, new int[] {stdoutFd, stderrFd, pidfd}, log, listener);
    submit(() -> watch.register());
    return new Handle(watch);
  }

  /** Lets the job's owner give up on output that never ends (a straggler escaped the kill). */
  public final class Handle {
    private final Watch watch;

    private Handle(Watch watch) {
      this.watch = watch;
    }

    /** Closes the pipes as if they had reached end of file. Thread-safe. */
    public void forceCloseOutput() {
      submit(() -> {
        watch.closeStream(STDOUT);
        watch.closeStream(STDERR);
      });
    }
  }

  private void submit(Runnable command) {
    commands.add(command);
    epoll.wakeup();
  }

  private void loop() {
    long[] tokens = new long[64];
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buffer = arena.allocate(LogRecords.MAX_PAYLOAD);
      while (running) {
        Runnable command;
        while ((command = commands.poll()) != null) {
          command.run();
        }
        int ready;
        try {
          ready = epoll.await(-1, tokens);
        } catch (ErrnoException e) {
          LOG.log(Level.SEVERE, "epoll_wait failed; job output can no longer be collected", e);
          return;
        }
        for (int i = 0; i < ready; i++) {
          Watch watch = watches.get(tokens[i] >>> 2);
          if (watch != null) {
            watch.ready((int) (tokens[i] & 3), buffer);
          }
        }
        for (int i = 0; i < ready; i++) {
          Watch watch = watches.get(tokens[i] >>> 2);
          if (watch != null) {
            watch.announce();
          }
        }
      }
    }
  }

  /** One job's descriptors; touched only on the pump thread. */
  private final class Watch {
    private final long id;
    private final int pid;
    private final int[] fds;
    private final JobLog log;
    private final Listener listener;
    private boolean grew;
    private boolean outputClosed;

    Watch(long id, int pid, int[] fds, JobLog log, Listener listener) {
      this.id = id;
      this.pid = pid;
      this.fds = fds;
      this.log = log;
      this.listener = listener;
    }

    void register() {
      watches.put(id, this);
      for (int kind = STDOUT; kind <= EXIT; kind++) {
        try {
          epoll.add(fds[kind], (id << 2) | kind);
        } catch (ErrnoException e) {
          LOG.log(Level.SEVERE, "cannot watch descriptor of pid " + pid, e);
        }
      }
    }

    void ready(int kind, MemorySegment buffer) {
      if (fds[kind] < 0) {
        return;
      }
      try {
        if (kind == EXIT) {
          ExitStatus status = Processes.waitNoHang(pid);
          if (status != null) {
            closeFd(EXIT);
            listener.onExit(status);
            forgetIfDone();
          }
          return;
        }
        int n = Fds.read(fds[kind], buffer);
        if (n > 0) {
          log.append(kind == STDOUT ? OutputStream.STDOUT : OutputStream.STDERR, buffer.asSlice(0, n).asByteBuffer());
          grew = true;
        } else if (n == 0) {
          closeStream(kind);
        }
      } catch (IOException e) {
        LOG.log(Level.WARNING, "job pid " + pid + ": output lost, closing its pipes", e);
        closeStream(STDOUT);
        closeStream(STDERR);
      }
    }

    void announce() {
      if (grew) {
        grew = false;
        listener.onOutput();
      }
    }

    void closeStream(int kind) {
      if (fds[kind] < 0) {
        return;
      }
      closeFd(kind);
      if (!outputClosed && fds[STDOUT] < 0 && fds[STDERR] < 0) {
        outputClosed = true;
        try {
          log.closeWriter();
        } catch (IOException e) {
          LOG.log(Level.WARNING, "closing log of pid " + pid, e);
        }
        announce();
        listener.onOutputClosed();
        forgetIfDone();
      }
    }

    private void closeFd(int kind) {
      try {
        epoll.remove(fds[kind]);
      } catch (ErrnoException e) {
        LOG.log(Level.FINE, "epoll remove", e);
      }
      Fds.close(fds[kind]);
      fds[kind] = -1;
    }

    private void forgetIfDone() {
      if (fds[STDOUT] < 0 && fds[STDERR] < 0 && fds[EXIT] < 0) {
        watches.remove(id);
      }
    }
  }

  @Override
  public void close() {
    running = false;
    epoll.wakeup();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Watch watch : watches.values()) {
      for (int kind = STDOUT; kind <= EXIT; kind++) {
        if (watch.fds[kind] >= 0) {
          Fds.close(watch.fds[kind]);
        }
      }
    }
    epoll.close();
  }
}
