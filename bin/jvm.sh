# Shared by bin/rund and bin/runc (sourced, POSIX sh): find a JDK 25+ and build the project if needed.

# Prints the java binary of a JDK 25 or newer: $JAVA_HOME if it is one, else the newest under /usr/lib/jvm.
rund_find_java() {
  if [ -n "${JAVA_HOME:-}" ] && [ "$(rund_jdk_major "$JAVA_HOME")" -ge 25 ] 2>/dev/null; then
    echo "$JAVA_HOME/bin/java"
    return 0
  fi
  best= best_major=0
  for jdk in /usr/lib/jvm/*; do
    major=$(rund_jdk_major "$jdk")
    if [ "$major" -ge 25 ] 2>/dev/null && [ "$major" -gt "$best_major" ]; then
      best=$jdk best_major=$major
    fi
  done
  if [ -z "$best" ]; then
    echo "rund: no JDK 25 or newer found (JAVA_HOME=${JAVA_HOME:-unset}, nothing suitable in /usr/lib/jvm)." \
      "Install one (for example Temurin 25) or point JAVA_HOME at it." >&2
    return 1
  fi
  echo "$best/bin/java"
}

# Prints the major version of the JDK in directory $1 (from its release file), or nothing.
rund_jdk_major() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && [ -f "$1/release" ] || return 0
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release"
}

# Builds target/ with Maven when it is missing or older than the sources. Output goes to stderr so that
# stdout stays clean for the command's own output (runc start prints only the job id).
rund_ensure_built() {
  jar="$home/target/rund.jar"
  if [ -f "$jar" ] && [ -d "$home/target/lib" ] &&
    [ -z "$(find "$home/src/main" "$home/proto" "$home/pom.xml" -newer "$jar" -print 2>/dev/null | head -n 1)" ]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || {
    echo "rund: Maven is needed to build rund on first use: apt-get install -y maven" >&2
    return 1
  }
  echo "rund: building (first use or sources changed)..." >&2
  java_home=$(dirname "$(dirname "$1")")
  # One build at a time when several commands start together.
  (
    command -v flock >/dev/null 2>&1 && flock 9
    if [ ! -f "$jar" ] || [ -n "$(find "$home/src/main" "$home/proto" "$home/pom.xml" -newer "$jar" -print 2>/dev/null | head -n 1)" ]; then
      build_log=$(mktemp)
      if ! JAVA_HOME=$java_home MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" \
        mvn -q -B -Dstyle.color=never -Dmaven.test.skip=true -f "$home/pom.xml" package >"$build_log" 2>&1; then
        sed 's/\x1b\[[0-9;]*m//g' "$build_log" >&2
        rm -f "$build_log"
        echo "rund: the build failed (output above)" >&2
        exit 1
      fi
      rm -f "$build_log"
      # Class-data archives and AOT caches describe the old jar: the next run makes new ones.
      rm -f "$home"/target/*.jsa "$home"/target/*.aot
    fi
  ) 9>"${TMPDIR:-/tmp}/rund-build-$(id -u).lock"
}
