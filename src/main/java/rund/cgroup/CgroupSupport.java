package rund.cgroup;

import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Where job cgroups live, detected once at daemon start by {@link #detect}.
 *
 * <h2>Detection rules</h2>
 * <ol>
 *   <li>{@code "off"}: degraded, nothing is read.</li>
 *   <li>Anything other than {@code "auto"}, {@code "off"} or an absolute path: degraded.</li>
 *   <li>The cgroup2 mount comes from {@code procRoot/self/mountinfo} (file system type cgroup2); none: degraded.</li>
 *   <li>The daemon must run as root (effective uid 0 in {@code procRoot/self/status}) and the mount must be
 *       writable; otherwise degraded.</li>
 *   <li>{@code "auto"}: the daemon's own cgroup is the "0::" line of {@code procRoot/self/cgroup}. If that cgroup's
 *       cgroup.controllers offers none of cpu, memory, io and pids, detection ends degraded <em>before writing
 *       anything</em>; the reason names, for each controller, where it went (typically "bound to the cgroup v1
 *       hierarchy at /sys/fs/cgroup/memory" on a hybrid layout). Otherwise:
 *     <ul>
 *       <li>The daemon is in the root cgroup (the "0::/" line, and the mount's top directory has no cgroup.type file,
 *           which only the real root lacks; the top of a cgroup namespace has one): the root is exempt from the
 *           no-internal-process rule, so the available controllers are enabled in the root's
 *           cgroup.subtree_control, {@code <mount>/rund} is created if missing (it must hold no process) and the
 *           controllers are enabled in its cgroup.subtree_control. Jobs go under {@code <mount>/rund}.</li>
 *       <li>Any other cgroup that holds exactly this process (cgroup.procs = [ownPid]), the usual case of a systemd
 *           service with Delegate=yes: a cgroup that enables controllers for its children may not hold processes
 *           (google/gvisor#8111), so the daemon moves itself into the leaf {@code <own>/rund-daemon}, enables the
 *           controllers in {@code <own>/cgroup.subtree_control}, and jobs go under {@code <own>}.</li>
 *       <li>A cgroup that holds other processes too: degraded, "set cgroupRoot to a cgroup delegated to rund".</li>
 *     </ul></li>
 *   <li>An absolute path: it must lie inside a cgroup2 mount. If the controllers it would get (its cgroup.controllers,
 *       or the cgroup.subtree_control of its nearest existing ancestor when it does not exist yet) include none of
 *       cpu, memory, io and pids: degraded, nothing written. If it exists and holds processes: degraded. Otherwise
 *       it is created with its missing parents (mkdir -p; each directory created on the way enables the controllers
 *       for the next), and its cgroup.controllers among cpu, memory, io and pids are enabled in its
 *       cgroup.subtree_control. Jobs go under that path. rund never writes above the configured path.</li>
 *   <li>Controllers are enabled one by one (one refusal does not block the others). The controllers usable for jobs
 *       are those listed in the job parent's cgroup.subtree_control afterwards; if there is none, degraded. Each
 *       wanted controller that is missing gets a reason in {@link Enabled#unavailable()}.</li>
 * </ol>
 * Detection never throws: an I/O error ends in {@link Degraded} with the failing step in the reason.
 */
public sealed interface CgroupSupport permits CgroupSupport.Enabled, CgroupSupport.Degraded {

    /**
     * @param configuredRoot "auto", "off", or an absolute directory inside a cgroup2 mount
     * @param procRoot normally {@code Path.of("/proc")}; tests pass a fake
     * @param ownPid this process's pid, for the self-placement step
     */
    static CgroupSupport detect(String configuredRoot, Path procRoot, long ownPid) {
        return new Detection(CgroupFs.REAL, procRoot, ownPid).run(configuredRoot);
    }

    /** One line for the daemon's start-up log. */
    String describe();

    /**
     * Job cgroups are created under {@code jobParent}.
     *
     * @param mount the cgroup2 mount point, to show job cgroups relative to it
     * @param jobParent the directory job cgroups are created in; its cgroup.subtree_control enables {@code controllers}
     * @param controllers the controllers job cgroups get
     * @param unavailable for each controller not in {@code controllers}, why, for {@link LimitException} messages
     * @param description how this was set up, for the start-up log
     */
    record Enabled(Path mount, Path jobParent, Set<Controller> controllers, Map<Controller, String> unavailable,
                   String description) implements CgroupSupport {
        public Enabled {
            Objects.requireNonNull(mount, "mount");
            Objects.requireNonNull(jobParent, "jobParent");
            Objects.requireNonNull(description, "description");
            if (!jobParent.startsWith(mount)) {
                throw new IllegalArgumentException(jobParent + " is not inside " + mount);
            }
            Set<Controller> c = EnumSet.noneOf(Controller.class);
            c.addAll(controllers);
            controllers = Collections.unmodifiableSet(c);
            Map<Controller, String> u = new EnumMap<>(Controller.class);
            u.putAll(unavailable);
            unavailable = Collections.unmodifiableMap(u);
        }

        /** Why {@code controller} cannot be used for jobs, or empty text when it can. */
        public String whyUnavailable(Controller controller) {
            if (controllers.contains(controller)) {
                return "";
            }
            return unavailable.getOrDefault(controller,
                    "the " + controller.fileName() + " controller is not enabled in " + jobParent
                            + "/cgroup.subtree_control");
        }

        @Override
        public String describe() {
            StringBuilder sb = new StringBuilder("cgroups: ").append(description).append("; controllers ")
                    .append(Controller.describe(controllers));
            unavailable.forEach((c, why) -> sb.append("; no ").append(c.fileName()).append(": ").append(why));
            return sb.toString();
        }
    }

    /** No job cgroups: jobs run without limits or per-job accounting, and any limit is refused. */
    record Degraded(String reason) implements CgroupSupport {
        public Degraded {
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public String describe() {
            return "cgroups: degraded, " + reason;
        }
    }
}
