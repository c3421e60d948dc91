package rund.cgroup;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Parsers for cgroup.procs and the two keyed formats of cgroup v2 interface files (Documentation/admin-guide/cgroup-v2.rst,
 * "Interface Files"): flat keyed ("KEY VALUE" per line: cpu.stat, memory.events) and nested keyed
 * ("KEY SUB=VAL SUB=VAL ..." per line: io.stat, io.max). Unknown keys are kept, malformed lines are skipped: the
 * kernel adds keys over time and a newer kernel must not break an older daemon.
 */
final class KeyedFiles {
    private KeyedFiles() {}

    /** Flat keyed: "usage_usec 1234" lines. Values that are not unsigned 64-bit numbers are left out. */
    static Map<String, Long> parseFlat(String content) {
        Map<String, Long> result = new HashMap<>();
        for (String line : content.split("\n")) {
            String[] parts = line.strip().split("\\s+");
            if (parts.length == 2) {
                parseUnsigned(parts[1]).ifPresent(v -> result.put(parts[0], v));
            }
        }
        return result;
    }

    /** Nested keyed: "8:0 rbytes=1 wbytes=2" lines, by first token, then by sub-key. */
    static Map<String, Map<String, String>> parseNested(String content) {
        Map<String, Map<String, String>> result = new HashMap<>();
        for (String line : content.split("\n")) {
            String[] parts = line.strip().split("\\s+");
            if (parts.length == 0 || parts[0].isEmpty()) {
                continue;
            }
            Map<String, String> values = new HashMap<>();
            for (int i = 1; i < parts.length; i++) {
                int eq = parts[i].indexOf('=');
                if (eq > 0) {
                    values.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
                }
            }
            result.put(parts[0], values);
        }
        return result;
    }

    /**
     * A counter as the kernel prints it (u64). Values of 2^63 and more do not fit a long and are not expected of any
     * counter rund reads; they are reported as absent rather than as a negative number.
     */
    static OptionalLong parseUnsigned(String text) {
        if (text == null || text.isEmpty() || text.length() > 19) {
            return OptionalLong.empty();
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return OptionalLong.empty();
            }
        }
        try {
            return OptionalLong.of(Long.parseLong(text));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * cgroup.procs: one pid per line, each once. A process outside the reader's pid namespace is listed as 0 and
     * left out.
     */
    static List<Long> parsePids(String cgroupProcs) {
        List<Long> pids = new ArrayList<>();
        for (String line : cgroupProcs.split("\n")) {
            OptionalLong pid = parseUnsigned(line.strip());
            if (pid.isPresent() && pid.getAsLong() > 0 && !pids.contains(pid.getAsLong())) {
                pids.add(pid.getAsLong());
            }
        }
        return pids;
    }

    static OptionalLong get(Map<String, Long> flat, String key) {
        Long v = flat.get(key);
        return v == null ? OptionalLong.empty() : OptionalLong.of(v);
    }
}
