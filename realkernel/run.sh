#!/bin/bash
# Run one command as root inside a throwaway user-mode Linux (UML) kernel with
# a real cgroup v2 hierarchy, the host's tree as read-only root, and exit with
# the command's status. The host's own cgroups are never touched.
#
# usage: realkernel/run.sh [options] -- COMMAND [ARGS...]
#   --disk-mb N     size of the scratch disk /dev/ubda (98:0), default 256
#   --mem M         guest RAM, UML syntax (2G, 1536M), default 2G
#   --timeout S     kill the guest after S seconds (exit 124), default 900
#   -e NAME=VALUE   extra environment variable for the command (repeatable);
#                   the guest starts from a clean environment, only JAVA_HOME,
#                   PATH (appended), MAVEN_OPTS and MAVEN_ARGS come along
#   --rw-cwd        make the current directory writable in the guest; writes
#                   go to guest RAM and are discarded (e.g. mvn's target/)
#
# Exit status: COMMAND's, or 124 on timeout, 125 when the harness itself
# failed (no boot, kernel panic, guest killed), 130 on Ctrl-C. Harness
# failures always end with one "realkernel/run.sh: ..." line on stderr.
set -u

me=realkernel/run.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
usage() { sed -n '5,15s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 125; }
die() { echo "$me: $*" >&2; exit 125; }

disk_mb=256 mem=2G timeout=900 rw_cwd=0 JOB_ENV=()
# Maven's settings come along: builds in the guest should behave as on the host.
for v in MAVEN_OPTS MAVEN_ARGS; do
	[ -n "${!v:-}" ] && JOB_ENV+=("$v=${!v}")
done
while [ $# -gt 0 ]; do
	case $1 in
	--disk-mb) disk_mb=${2:-}; shift 2 || usage ;;
	--mem) mem=${2:-}; shift 2 || usage ;;
	--timeout) timeout=${2:-}; shift 2 || usage ;;
	-e | --env) JOB_ENV+=("${2:-}"); shift 2 || usage ;;
	--rw-cwd) rw_cwd=1; shift ;;
	--) shift; break ;;
	-h | --help) usage ;;
	-*) echo "$me: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || usage
[[ $disk_mb =~ ^[1-9][0-9]*$ ]] || die "--disk-mb wants a positive integer, got '$disk_mb'"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "--timeout wants positive seconds, got '$timeout'"
[[ $mem =~ ^([1-9][0-9]*)([KMG]?)$ ]] || die "--mem wants N, NK, NM or NG, got '$mem'"
case ${BASH_REMATCH[2]} in
K) mem_mb=$((BASH_REMATCH[1] / 1024)) ;; M) mem_mb=${BASH_REMATCH[1]} ;;
G) mem_mb=$((BASH_REMATCH[1] * 1024)) ;; *) mem_mb=$((BASH_REMATCH[1] >> 20)) ;;
esac
[ "$mem_mb" -ge 128 ] || die "--mem $mem is too small for a guest (128M minimum)"
for kv in "${JOB_ENV[@]}"; do
	[[ $kv =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "-e wants NAME=VALUE, got '$kv'"
done

# The kernel command line splits on spaces and hostfs options on commas.
[[ $here =~ [[:space:],] ]] && die "the checkout path must not contain spaces or commas: $here"
JOB_CWD=$(pwd -P)
# These are fresh, empty mounts in the guest: the caller's files would vanish.
case $JOB_CWD/ in
/dev/* | /proc/* | /sys/*)
	die "the current directory $JOB_CWD is not visible in the guest; run from elsewhere" ;;
esac

# CI starts from a fresh machine: install UML when it is missing.
if [ ! -x /usr/bin/linux ]; then
	[ "$(id -u)" = 0 ] || die "user-mode-linux is not installed (apt-get install user-mode-linux, as root)"
	echo "$me: installing user-mode-linux" >&2
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq user-mode-linux; } >&2 ||
		die "cannot install user-mode-linux with apt-get"
	[ -x /usr/bin/linux ] || die "user-mode-linux installed but /usr/bin/linux is missing"
fi

# The project's JDK search: JAVA_HOME if it is 25+, else /usr/lib/jvm/*25*.
java_major() { sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null; }
JOB_JAVA_HOME=
if [ -n "${JAVA_HOME:-}" ] && [ "$(java_major "$JAVA_HOME")" -ge 25 ] 2>/dev/null; then
	JOB_JAVA_HOME=$JAVA_HOME
else
	for d in /usr/lib/jvm/*25*; do
		[ -x "$d/bin/java" ] && { JOB_JAVA_HOME=$d; break; }
	done
fi
JOB_PATH=${PATH:-}
JOB_RW_CWD=$rw_cwd
JOB_ARGV=("$@")

scratch=$(mktemp -d "${TMPDIR:-/tmp}/rund-realkernel.XXXXXX") || die "mktemp failed"
umid=rund-$$-${scratch##*.}
uml_pid=
kill_uml() {
	# UML calls setsid() and writes its pid to the umid dir: that session
	# holds every host process of the guest. timeout(1), our direct child,
	# leads its own group, which also holds UML before its setsid().
	local p
	p=$(cat "$scratch/uml/$umid/pid" 2>/dev/null)
	[[ $p =~ ^[0-9]+$ ]] && kill -KILL -- "-$p" 2>/dev/null
	if [ -n "$uml_pid" ]; then
		kill -KILL -- "-$uml_pid" 2>/dev/null
		wait "$uml_pid" 2>/dev/null # reap quietly: no "Killed" job notice
		uml_pid=
	fi
}
cleanup() {
	kill_uml
	rm -rf -- "$scratch" "${HOME:-/root}/.uml/$umid"
}
trap cleanup EXIT
trap 'echo "$me: interrupted" >&2; exit 130' INT TERM HUP
[[ $scratch =~ [[:space:],] ]] && die "scratch path must not contain spaces or commas: $scratch"

# Data only; guest-init.sh sources it. declare -p quotes every byte exactly.
declare -p JOB_CWD JOB_JAVA_HOME JOB_PATH JOB_RW_CWD JOB_ENV JOB_ARGV >"$scratch/job.sh" ||
	die "cannot write $scratch/job.sh"
truncate -s "${disk_mb}M" "$scratch/disk.img" || die "cannot create the ${disk_mb} MB scratch disk"

# UML keeps guest RAM in a file on /dev/shm; if that is too small the guest
# dies of SIGBUS mid-run, so fall back to the (slower) scratch dir.
uml_env=(env -u TMP -u TEMP -u TMPDIR)
shm_mb=$(df -Pm /dev/shm 2>/dev/null | awk 'NR==2 {print $4}')
if [ "${shm_mb:-0}" -lt "$mem_mb" ]; then uml_env+=(TMPDIR="$scratch"); fi

# Console wiring: tty0 (kernel messages, UML's own chatter) -> console.log;
# tty1 -> fd 3 -> our stdout; tty2 -> fd 4 -> our stderr. The cat relays keep
# UML away from the caller's descriptors: UML sets O_NONBLOCK on them, which
# would leak into the caller's terminal or pipe after we exit.
mkfifo "$scratch/stdout" "$scratch/stderr" || die "mkfifo failed"
cat "$scratch/stdout" &
out_pid=$!
cat "$scratch/stderr" >&2 &
err_pid=$!

start=$SECONDS
(
	cd "$scratch" || exit 125
	ulimit -c 0 # a guest panic makes UML abort(); no core files
	exec "${uml_env[@]}" timeout -k 5 "$timeout" /usr/bin/linux \
		mem="$mem" root=/dev/root rootfstype=hostfs rootflags=/ ro \
		init="$here/guest-init.sh" umid="$umid" uml_dir="$scratch/uml" \
		con=null con0=fd:0,fd:1 con1=null,fd:3 con2=null,fd:4 quiet \
		ubd0="$scratch/disk.img" RUND_OUT="$scratch"
) </dev/null >"$scratch/console.log" 2>&1 3>"$scratch/stdout" 4>"$scratch/stderr" &
uml_pid=$!
# 2>/dev/null: no "Aborted" job notice. UML now and then abort()s during its
# own power-off, after the status is safely written; the status decides.
wait "$uml_pid" 2>/dev/null
uml_rc=$?
uml_pid= # reaped: its pid may be reused now
elapsed=$((SECONDS - start))
# Anything UML left behind would keep the relays' pipes open.
kill_uml
wait "$out_pid" "$err_pid"

if [ -f "$scratch/status" ]; then
	status=$(cat "$scratch/status")
	[[ $status =~ ^[0-9]+$ ]] || die "guest wrote a garbled exit status '$status'"
	exit "$status"
fi
if { [ "$uml_rc" = 124 ] || [ "$uml_rc" = 137 ]; } && [ "$elapsed" -ge "$timeout" ]; then
	echo "$me: timed out after ${timeout}s, guest killed" >&2
	exit 124
fi
# Show the end of the kernel console (it holds the panic or boot error),
# minus the stack dump lines that would push the message itself out of view.
grep -avE '^ \[<|^( [0-9a-f]{8}){4}$' "$scratch/console.log" | tail -n 15 | sed 's/^/  console| /' >&2
die "guest reported no exit status (UML exit $uml_rc after ${elapsed}s: boot failure, kernel panic or guest killed)"
