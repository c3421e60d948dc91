#!/bin/bash
# PID 1 of the user-mode Linux guest booted by run.sh (kernel "init=").
#
# The root file system is the host's tree, read-only (hostfs). The kernel
# command line gives us RUND_OUT, the host path of run.sh's scratch directory:
# job.sh (what to run) comes in through it, the exit status goes out through it.
# The guest console tty1 is the host's stdout and tty2 the host's stderr; the
# kernel console (tty0) goes to run.sh's log, shown only when something fails.
#
# PID 1 must never exit: the kernel would panic and UML abort. Every path ends
# in power_off. Missing status file = failure on the host side, so any setup
# error below just reports and powers off without writing one.

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
out=/mnt/out

power_off() {
	sync
	echo o >/proc/sysrq-trigger
	while :; do sleep 60; done
}
fail() {
	echo "guest-init: $*" >&2
	power_off
}

mount -t proc proc /proc || fail "cannot mount /proc"
# Guest sysfs must hide the host's /sys (seen read-only through hostfs) before
# anything touches /sys/fs/cgroup.
mount -t sysfs sysfs /sys || fail "cannot mount /sys"
# The kernel usually mounts devtmpfs itself (CONFIG_DEVTMPFS_MOUNT).
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev || fail "cannot mount /dev"

# From now on report on the host's stderr. -opost: no "\n" -> "\r\n" rewriting,
# so the host receives the bytes the command wrote.
stty -F /dev/tty1 -opost 2>/dev/null
stty -F /dev/tty2 -opost 2>/dev/null
exec </dev/null 2>/dev/tty2

mkdir -p /dev/shm /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm || fail "cannot mount /dev/shm"
mount -t devpts -o mode=620,ptmxmode=666 devpts /dev/pts || fail "cannot mount /dev/pts"
for d in /tmp /var/tmp; do
	mount -t tmpfs -o mode=1777 tmpfs "$d" || fail "cannot mount $d"
done
mount -t tmpfs -o mode=755 tmpfs /run || fail "cannot mount /run"
# /mnt gets a tmpfs only to hold the mount point: the root is read-only.
mount -t tmpfs -o mode=755 tmpfs /mnt && mkdir /mnt/out || fail "cannot mount /mnt"
[ -n "${RUND_OUT:-}" ] || fail "RUND_OUT missing from the kernel command line"
mount -t hostfs none "$out" -o "$RUND_OUT" || fail "cannot mount host dir $RUND_OUT"
[ -r "$out/job.sh" ] || fail "no job.sh in $RUND_OUT"
# shellcheck source=/dev/null
. "$out/job.sh" || fail "cannot read job.sh"

# Writable HOME that still shows the host's /root (Maven's ~/.m2 has no
# network to refill it from in here): overlay, upper layer in guest RAM.
# Falls back to an empty tmpfs if the overlay module is unavailable.
mount_overlay() { # DIR: make DIR writable, changes live in guest RAM only
	local up
	up=/run/overlay/$(echo "$1" | tr / _)
	mkdir -p "$up/upper" "$up/work" &&
		mount -t overlay overlay -o "lowerdir=$1,upperdir=$up/upper,workdir=$up/work" "$1"
}
# insmod (kmod) is often not installed; perl (essential on Debian) can make
# the finit_module syscall (313 on x86_64) itself.
load_module() {
	insmod "$1" 2>/dev/null || perl -e 'open(my $f, "<", $ARGV[0]) or exit 1;
		my $no = ""; exit(syscall(313, fileno($f), $no, 0) == 0 ? 0 : 1)' "$1"
}
grep -qw overlay /proc/filesystems ||
	load_module "/usr/lib/uml/modules/$(uname -r)/kernel/fs/overlayfs/overlay.ko"
# A working directory under a path the guest covers with its own tmpfs (a clone in /tmp, say) is shown
# again from the host, read-only, at the same path.
case $JOB_CWD/ in
/tmp/* | /var/tmp/* | /run/* | /mnt/*)
	mkdir -p "$JOB_CWD" && mount -r -t hostfs none "$JOB_CWD" -o "$JOB_CWD" ||
		fail "cannot show the host's $JOB_CWD in the guest" ;;
esac
mount_overlay /root || mount -t tmpfs -o mode=700 tmpfs /root || fail "cannot mount /root"
if [ "${JOB_RW_CWD:-0}" = 1 ]; then
	mount_overlay "$JOB_CWD" || fail "cannot overlay $JOB_CWD (--rw-cwd)"
fi

# cgroup v2 with the controllers the daemon uses. Check the type: the root is
# the host's tree, and only the guest's own cgroup2 may ever be written to.
mount -t cgroup2 none /sys/fs/cgroup || fail "cannot mount cgroup2"
[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || fail "/sys/fs/cgroup is not cgroup2"
echo "+cpu +memory +io +pids" >/sys/fs/cgroup/cgroup.subtree_control ||
	fail "cannot enable cgroup controllers"

ip link set lo up || fail "cannot bring up loopback"
# A resolvable host name (the host's /etc/hosts is what the guest sees):
# InetAddress.getLocalHost() and friends fail on the default "(none)".
hostname localhost

# Run the job in a clean environment: the kernel hands every unknown
# command-line word (mem=, umid=, ...) to init as an environment variable.
# The outer 2>/dev/console sends bash's "Killed" job notices to the log.
{ (
	BASH_ARGV0=guest # "guest: cmd: not found", not this script's path
	for v in $(compgen -e); do unset "$v"; done
	export HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb LANG=C.UTF-8 TMPDIR=/tmp
	export RUND_REAL_KERNEL=1 RUND_TEST_DISK=/dev/ubda
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	if [ -n "${JOB_JAVA_HOME:-}" ]; then
		export JAVA_HOME=$JOB_JAVA_HOME
		PATH=$JAVA_HOME/bin:$PATH
	fi
	# The caller's PATH last, so tools in odd places (mvn, ...) are found.
	export PATH=$PATH${JOB_PATH:+:$JOB_PATH}
	for kv in "${JOB_ENV[@]}"; do export "$kv"; done
	cd -- "$JOB_CWD" || exit 125
	exec "${JOB_ARGV[@]}"
) </dev/null >/dev/tty1 2>/dev/tty2; } 2>/dev/console
status=$?

# Wait until the consoles have handed everything to the host (stty sets
# termios with TCSADRAIN), otherwise power-off can cut the tail of the output.
stty -F /dev/tty1 -opost 2>/dev/null
stty -F /dev/tty2 -opost 2>/dev/null
# Write then rename, so the host never reads a half-written status.
echo "$status" >"$out/status.tmp" && mv "$out/status.tmp" "$out/status" ||
	fail "cannot write the exit status"
umount "$out"
power_off
