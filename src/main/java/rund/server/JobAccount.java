package rund.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import rund.job.JobLauncher;

/**
 * Resolves the configured {@code jobUser} and {@code jobGroup} when the daemon starts, so that a misspelt name
 * stops the daemon with a message instead of failing every job. Names are looked up with {@code getent}, through
 * the same name service switch that {@code setpriv} uses when the launch step drops to them.
 */
final class JobAccount {
  private static final Logger LOG = Logger.getLogger(Daemon.class.getName());
  /** Where the launch step (bin/rund execute) looks for util-linux's setpriv. */
  static final List<Path> SETPRIV = List.of(Path.of("/usr/bin/setpriv"), Path.of("/bin/setpriv"),
      Path.of("/usr/sbin/setpriv"), Path.of("/sbin/setpriv"));

  private JobAccount() {}

  static JobLauncher.RunAs resolve(String user, String group) throws Daemon.StartupException {
    int uid = effectiveUid();
    if (user == null && group == null) {
      if (uid == 0) {
        LOG.warning("jobs run as root, the daemon's user: set jobUser (and jobGroup) in the configuration to run"
            + " them as an unprivileged account");
      }
      return JobLauncher.RunAs.DAEMON;
    }
    if (uid != 0) {
      throw new Daemon.StartupException("jobUser and jobGroup need the daemon to run as root, to switch to them,"
          + " and it does not: remove them from the configuration or start rund as root");
    }
    if (SETPRIV.stream().noneMatch(Files::isExecutable)) {
      throw new Daemon.StartupException("jobUser and jobGroup need setpriv (Debian package util-linux), found at"
          + " none of " + SETPRIV);
    }
    String resolvedGroup = group;
    String described;
    String groups;
    if (user != null) {
      String[] passwd = lookUp("passwd", user, "jobUser", "user");
      described = "user " + passwd[0] + " (uid " + passwd[2] + ")";
      resolvedGroup = group != null ? group : passwd[3];
      groups = group != null ? " and the user's supplementary groups"
          : ", its primary group (gid " + passwd[3] + ") and its supplementary groups";
    } else {
      described = "the daemon's user";
      groups = " and no supplementary groups";
    }
    if (group != null) {
      String[] entry = lookUp("group", group, "jobGroup", "group");
      described += ", group " + entry[0] + " (gid " + entry[2] + ")";
    }
    described += groups;
    LOG.info("jobs run as " + described);
    return new JobLauncher.RunAs(user, resolvedGroup);
  }

  /** The colon-separated fields of {@code name}'s entry in {@code database}. */
  private static String[] lookUp(String database, String name, String key, String what)
      throws Daemon.StartupException {
    Process getent;
    String output;
    try {
      getent = new ProcessBuilder("getent", database, name).redirectErrorStream(true).start();
      getent.getOutputStream().close();
      output = new String(getent.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!getent.waitFor(30, TimeUnit.SECONDS)) {
        getent.destroyForcibly();
        throw new Daemon.StartupException(key + " \"" + name + "\": getent " + database + " did not answer");
      }
    } catch (IOException e) {
      throw new Daemon.StartupException(key + " \"" + name + "\": cannot run getent: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Daemon.StartupException(key + " \"" + name + "\": interrupted while looking it up");
    }
    String[] fields = output.strip().split(":", -1);
    if (getent.exitValue() != 0 || fields.length < (database.equals("passwd") ? 4 : 3)) {
      throw new Daemon.StartupException(key + " \"" + name + "\": no such " + what + " on this host (getent "
          + database + " " + name + " found none)");
    }
    return fields;
  }

  /** The daemon's effective uid (the owner of its /proc entry), or -1 if that cannot be read. */
  private static int effectiveUid() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | UnsupportedOperationException e) {
      return -1;
    }
  }
}
