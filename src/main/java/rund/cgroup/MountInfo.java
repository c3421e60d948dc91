package rund.cgroup;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The lines of /proc/self/mountinfo (proc(5)): "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw".
 * Fields before the optional fields are fixed; the optional ones end at the " - " separator.
 */
record MountInfo(String root, Path mountPoint, List<String> mountOptions, String fsType, List<String> superOptions) {

    static List<MountInfo> parse(String content) {
        List<MountInfo> result = new ArrayList<>();
        for (String line : content.split("\n")) {
            String[] f = line.strip().split(" ");
            int dash = Arrays.asList(f).indexOf("-");
            if (dash < 6 || f.length < dash + 3) {
                continue;
            }
            String mountPoint = unescape(f[4]);
            if (!mountPoint.startsWith("/")) {
                continue;
            }
            result.add(new MountInfo(unescape(f[3]), Path.of(mountPoint), List.of(f[5].split(",")), f[dash + 1],
                    f.length > dash + 3 ? List.of(f[dash + 3].split(",")) : List.of()));
        }
        return result;
    }

    /** The kernel writes space, tab, newline and backslash in paths as three-digit octal escapes ("\040"). */
    static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder sb = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                sb.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }

    boolean isCgroup2() {
        return fsType.equals("cgroup2");
    }

    /** A cgroup v1 hierarchy ("cgroup" file system); its super options name the controllers bound to it. */
    boolean isCgroup1() {
        return fsType.equals("cgroup");
    }

    boolean readOnly() {
        return mountOptions.contains("ro");
    }
}
