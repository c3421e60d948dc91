#!/bin/bash
# Proves the real-kernel harness: each check boots run.sh once and looks at
# exit status, output and what the guest kernel reports. One line per check,
# then "N passed, M failed"; exits non-zero on any failure.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
run=$here/run.sh
# The caller's directory might be one the guest cannot see (/tmp...).
cd "$here" || exit 1

pass=0 failed=0
now() { echo "${EPOCHREALTIME/[.,]/}"; } # microseconds
t_all=$(now)
ok() { pass=$((pass + 1)); echo "PASS $1 ($(secs "$t_check"))"; }
ko() { failed=$((failed + 1)); echo "FAIL $1: $2 ($(secs "$t_check"))"; }
secs() { local us=$(($(now) - $1)); printf '%d.%01ds' $((us / 1000000)) $((us % 1000000 / 100000)); }
begin() { t_check=$(now); }

# The project's JDK search, done here so (e) proves it reaches the guest.
java_major() { sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null; }
if [ -z "${JAVA_HOME:-}" ] || ! [ "$(java_major "$JAVA_HOME")" -ge 25 ] 2>/dev/null; then
	JAVA_HOME=
	for d in /usr/lib/jvm/*25*; do [ -x "$d/bin/java" ] && { JAVA_HOME=$d; break; }; done
fi
export JAVA_HOME

# (a) the smallest possible job; its wall time is boot + power-off.
begin
"$run" -- true
rc=$?
[ $rc = 0 ] && ok "(a) 'true' exits 0 (boot to power-off)" || ko "(a) 'true' exits 0" "exit $rc"

# (b) exit status passes through; stdout and stderr stay separate.
begin
errf=$(mktemp) || exit 1
out=$("$run" -- sh -c 'echo to-out; echo to-err >&2; exit 7' 2>"$errf")
rc=$? err=$(cat "$errf")
rm -f "$errf"
if [ $rc = 7 ] && [ "$out" = to-out ] && [ "$err" = to-err ]; then
	ok "(b) exit 7 comes back, stdout/stderr apart"
else
	ko "(b) exit 7" "exit $rc, stdout '$out', stderr '$err'"
fi

# (c) awkward arguments arrive byte for byte.
begin
args=('a b' "it's" '"double"' '$HOME `x` *' $'tab\there' '' $'two\nlines' 'ü€' '-e' 'A=B')
want=$(printf '<%s>\n' "${args[@]}")
got=$("$run" -- printf '<%s>\n' "${args[@]}")
rc=$?
[ $rc = 0 ] && [ "$got" = "$want" ] && ok "(c) arguments with spaces and quotes arrive intact" ||
	ko "(c) arguments intact" "exit $rc, got: $got"

# (d) cgroup v2 controllers, and memory.max really kills: tail keeps its one
# newline-free "line" of 300 MiB in memory.
begin
out=$("$run" -- bash -c '
	read -r ctl </sys/fs/cgroup/cgroup.controllers
	for c in cpu io memory pids; do
		case " $ctl " in *" $c "*) ;; *) echo "controller $c missing ($ctl)"; exit 1 ;; esac
	done
	cg=/sys/fs/cgroup/selftest
	mkdir "$cg" && echo 64M >"$cg/memory.max" || exit 1
	if sh -c "echo \$\$ >$cg/cgroup.procs && head -c 300M /dev/zero | tail >/dev/null" 2>/dev/null; then
		echo "300 MiB allocator survived memory.max=64M"; exit 1
	fi
	n=$(awk "\$1 == \"oom_kill\" {print \$2}" "$cg/memory.events")
	echo "controllers: $ctl; oom_kill $n"
	[ "${n:-0}" -ge 1 ]' 2>&1)
rc=$?
[ $rc = 0 ] && ok "(d) $out" || ko "(d) cgroup v2 memory.max" "exit $rc: $out"

# (e) JDK 25 inside the guest, at the JAVA_HOME found above.
begin
if [ -z "$JAVA_HOME" ]; then
	ko "(e) JDK 25 in the guest" "no JDK 25 on this host (JAVA_HOME, /usr/lib/jvm/*25*)"
else
	out=$("$run" -- sh -c 'echo "$JAVA_HOME"; "$JAVA_HOME/bin/java" -version 2>&1 | head -1' 2>&1)
	rc=$?
	if [ $rc = 0 ] && [ "$(echo "$out" | head -1)" = "$JAVA_HOME" ] && echo "$out" | grep -q 'version "2[5-9]'; then
		ok "(e) JDK in the guest: $(echo "$out" | tail -1)"
	else
		ko "(e) JDK 25 in the guest" "exit $rc: $out"
	fi
fi

# (f) the scratch disk is the block device 98:0 the io tests expect.
begin
out=$("$run" --disk-mb 64 -- sh -c '
	[ "$RUND_REAL_KERNEL" = 1 ] || { echo "RUND_REAL_KERNEL=$RUND_REAL_KERNEL"; exit 1; }
	[ -b "$RUND_TEST_DISK" ] || { echo "no block device RUND_TEST_DISK=$RUND_TEST_DISK"; exit 1; }
	echo "$RUND_TEST_DISK $(cat /sys/class/block/ubda/dev) $(($(cat /sys/class/block/ubda/size) / 2048))MB"' 2>&1)
rc=$?
[ $rc = 0 ] && [ "$out" = "/dev/ubda 98:0 64MB" ] && ok "(f) scratch disk: $out" ||
	ko "(f) scratch disk /dev/ubda 98:0" "exit $rc: $out"

# (g) a job that outlives --timeout is killed and reported as a failure.
begin
err=$("$run" --timeout 3 -- sleep 120 2>&1)
rc=$?
[ $rc != 0 ] && echo "$err" | grep -q 'timed out' && ok "(g) timeout kills the guest, exit $rc" ||
	ko "(g) timeout" "exit $rc: $err"

# (h) a guest kernel panic is a loud failure, never a success.
begin
err=$("$run" -- sh -c 'echo c >/proc/sysrq-trigger' 2>&1)
rc=$?
[ $rc != 0 ] && echo "$err" | tail -1 | grep -q 'no exit status' && ok "(h) kernel panic fails loudly, exit $rc" ||
	ko "(h) kernel panic" "exit $rc: $err"

# (i) a Java server and client talk over loopback inside the guest.
begin
out=$("$run" -- bash -c 'mkdir -p /tmp/loop && cd /tmp/loop && cat >Loop.java <<"EOF"
import java.net.*;
public class Loop {
	public static void main(String[] a) throws Exception {
		try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			Thread echo = Thread.ofPlatform().start(() -> {
				try (Socket s = ss.accept()) { s.getInputStream().transferTo(s.getOutputStream()); }
				catch (Exception e) { throw new RuntimeException(e); }
			});
			try (Socket c = new Socket(InetAddress.getLoopbackAddress(), ss.getLocalPort())) {
				c.getOutputStream().write("ping".getBytes());
				c.shutdownOutput();
				System.out.println(new String(c.getInputStream().readAllBytes()) + " via 127.0.0.1:" + ss.getLocalPort());
			}
			echo.join();
		}
	}
}
EOF
java -XX:TieredStopAtLevel=1 Loop.java' 2>&1)
rc=$?
[ $rc = 0 ] && [ "${out%% *}" = ping ] && ok "(i) Java loopback echo: $out" || ko "(i) Java loopback" "exit $rc: $out"

echo "total $(secs "$t_all")"
echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
