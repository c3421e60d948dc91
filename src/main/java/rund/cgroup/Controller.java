package rund.cgroup;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The cgroup v2 controllers rund uses. cpu, memory and io carry job limits; pids is enabled for the job cgroups when
 * available (it costs nothing and makes per-job process counts visible) but no limit is set through it.
 */
public enum Controller {
    CPU("cpu"),
    MEMORY("memory"),
    IO("io"),
    PIDS("pids");

    private final String fileName;

    Controller(String fileName) {
        this.fileName = fileName;
    }

    /** The name as the kernel writes it in cgroup.controllers and as interface files are prefixed ("cpu" -> cpu.max). */
    public String fileName() {
        return fileName;
    }

    /** The controller the kernel calls {@code name}, empty for controllers rund does not use (hugetlb, rdma, ...). */
    public static Optional<Controller> byFileName(String name) {
        for (Controller c : values()) {
            if (c.fileName.equals(name)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /**
     * The controllers rund uses among a space-separated list as found in cgroup.controllers and
     * cgroup.subtree_control ("cpuset cpu io memory hugetlb pids rdma misc"); other names are ignored.
     */
    static Set<Controller> parseList(String content) {
        Set<Controller> result = EnumSet.noneOf(Controller.class);
        for (String token : content.strip().split("\\s+")) {
            byFileName(token).ifPresent(result::add);
        }
        return result;
    }

    /** "cpu, memory and io" for messages; the controllers in declaration order. */
    static String describe(Set<Controller> controllers) {
        StringBuilder sb = new StringBuilder();
        Set<Controller> sorted = EnumSet.noneOf(Controller.class);
        sorted.addAll(controllers);
        Controller[] list = sorted.toArray(Controller[]::new);
        for (int i = 0; i < list.length; i++) {
            if (i > 0) {
                sb.append(i == list.length - 1 ? " and " : ", ");
            }
            sb.append(list[i].fileName);
        }
        return sb.toString();
    }
}
