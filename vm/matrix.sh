#!/bin/bash
# vm/matrix.sh: run warden's test groups on the host, on an emulated RHEL 7 and
# on each Debian kernel of vm/kernels.list booted under QEMU (TCG), then print
# one table kernel x group. See vm/README.md.
set -uo pipefail

# ---- settings ---------------------------------------------------------------
TEST_GROUPS=(loader core attach consumers doctor corpus agent crash)   # runner groups, table columns
EMULATED_LABEL="RHEL7 (emulated)"                   # host run with WARDEN_EMULATE=rhel7
EMULATED_ENV=rhel7
EMULATED_GROUPS=(loader doctor agent)
# Suites read through a private apt state (host apt config stays untouched).
APT_SUITES=("debian bullseye" "debian-security bullseye-security"
            "debian bookworm" "debian-security bookworm-security")
# Host tools copied into the guest (with their libraries) for the attach tests'
# `ip netns`/veth world and `tc ... show`: the real iproute2 binaries, which
# busybox's ip applet (no netns, no tc) cannot stand in for.
GUEST_TOOLS=(ip tc)
# Kernel modules loaded by the guest init, in this order, when the kernel's .deb
# has them (=m; built-in options have no .ko and are skipped): veth for the veth
# pair, sch_ingress for the clsact qdisc, cls_bpf for TC's netlink filters,
# nf_conntrack for kfuncs a module defines (bpf_xdp_ct_lookup, 6.0+; module
# BTF in 6.1 and 6.12: tests/test_kmod_btf.c).
GUEST_MODULES=(veth sch_ingress cls_bpf nf_conntrack)
# Modules put into the guest but NOT loaded: the agent's module_load test
# loads one itself (tests/test_agent_module.c).
GUEST_SPARE_MODULES=(dummy)

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$VM_DIR")
CACHE=${MATRIX_CACHE:-$VM_DIR/.cache}
BUILD_DIR=${MATRIX_BUILD_DIR:-$REPO_DIR/build}
TIMEOUT=${MATRIX_TIMEOUT:-1200}              # per guest, seconds (TCG on a loaded 2-core host)
GROUP_TIMEOUT=${MATRIX_GROUP_TIMEOUT:-600}   # per group inside a guest / on the host
QEMU_MEM=${MATRIX_MEM:-1G}
QEMU_SMP=${MATRIX_SMP:-2}
# One host thread runs both vCPUs (-accel tcg,thread=single), not one each
# (MTTCG, QEMU's default for x86 guests on x86 hosts).  Measured here under
# MTTCG: the 5.10 guest's two vCPUs both spun at a patched jump label
# (syscall_exit_to_user_mode+0xb3, the raw_syscalls:sys_exit static key that
# attaching a syscall tracepoint flips with text_poke_bp) until the soft
# lockup watchdog fired (three times on 2026-11-30 in the agent and crash
# groups, once with the host idle), once at bpf_lsm_file_open+0
# (a trampoline's patch site), and 6.12 took "Oops: int3" at a static key in
# __schedule: all at code being patched while the other vCPU ran it.
# Single-threaded TCG runs the vCPUs in turn, so that cannot happen (our
# reading; not proven).  The 5.10 row took 537 s instead of 558, with no
# lockup.  MATRIX_TCG_THREAD=multi gives MTTCG back.
TCG_THREAD=${MATRIX_TCG_THREAD:-single}
KERNELS_LIST=${MATRIX_KERNELS_LIST:-$VM_DIR/kernels.list}
# Extra "KEY=VALUE ..." for the runner in every row (no spaces in values): on the
# host through env, in guests through the kernel cmdline (init sees them as env).
read -r -a EXTRA_ENV <<<"${MATRIX_ENV:-}"
LOGS=$CACHE/logs

opt_kernels=() opt_groups=() opt_host=1 opt_emulated=1 opt_verbose=0 opt_shell=0 opt_jobs=1

usage() {
	cat <<EOF
usage: vm/matrix.sh [options]
  --kernel LABEL   only this kernel from kernels.list (repeatable; "none" = no VM)
  --group GROUP    only this group (repeatable; default: ${TEST_GROUPS[*]});
                   "none" runs no group (with --shell: straight to the shell)
  --no-host        skip the host row      --no-emulated  skip the emulated row
  -j N             boot N guests at once (default 1; 2 cores here)
  -v               stream guest consoles / host runs to stdout
  --shell          boot one kernel, run the groups, then drop to a shell on the
                   console (quit: Ctrl-A x); no timeout
  --selftest       use the stub runner vm/selftest/stub-test.c instead of build/
  --update-list    rewrite kernels.list pins to the newest packages, then exit
env: MATRIX_ENV="KEY=VALUE ..." extra environment for the runner, in every row
     MATRIX_APPEND="..." extra guest kernel cmdline (e.g. lsm=...,bpf)
     MATRIX_TIMEOUT=$TIMEOUT MATRIX_GROUP_TIMEOUT=$GROUP_TIMEOUT MATRIX_BUILD_DIR=$BUILD_DIR
     MATRIX_CACHE=$CACHE MATRIX_MEM=$QEMU_MEM MATRIX_SMP=$QEMU_SMP
EOF
}

die() { echo "matrix: $*" >&2; exit 2; }
say() { echo "matrix: $*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- kernels.list -----------------------------------------------------------
# Prints "LABEL PACKAGE SUITE GLOB" lines, comments stripped.
read_list() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$KERNELS_LIST"; }

# ---- private apt state --------------------------------------------------------
APT_DIR=$CACHE/apt
XAPT=(-o "Dir::Etc::SourceList=$APT_DIR/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$APT_DIR/lists" -o "Dir::Cache=$APT_DIR/cache"
      -o APT::Sandbox::User=root)

apt_setup() {   # $1=force: refresh the package lists even if present
	local force=${1:-} key=/usr/share/keyrings/debian-archive-keyring.gpg mirror s repo suite
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
	# The mirror this machine already uses (first URIs line of its deb822 sources).
	mirror=$(sed -n 's|^URIs: *\(\S*\)/debian/\?$|\1|p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
	mirror=${mirror:-http://deb.debian.org}
	for s in "${APT_SUITES[@]}"; do
		read -r repo suite <<<"$s"
		echo "deb [signed-by=$key] $mirror/$repo $suite main"
	done >"$APT_DIR/sources.list"
	if [ "$force" = force ] || ! compgen -G "$APT_DIR/lists/*Packages*" >/dev/null; then
		say "apt-get update (private state in $APT_DIR)"
		apt-get "${XAPT[@]}" -qq update >&2 || die "apt-get update failed"
	fi
}

# Newest package whose name matches GLOB; prints "PACKAGE SUITE".
newest_matching() {
	local glob=$1 pkg best="" bestver="" ver
	for pkg in $(apt-cache "${XAPT[@]}" pkgnames linux-image- | sort -u); do
		# shellcheck disable=SC2053 # $glob is a pattern on purpose
		[[ $pkg == $glob ]] || continue
		ver=$(apt-cache "${XAPT[@]}" show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
		[ -n "$ver" ] || continue
		if [ -z "$best" ] || dpkg --compare-versions "$ver" gt "$bestver"; then best=$pkg bestver=$ver; fi
	done
	[ -n "$best" ] || return 1
	# Suite = the archive line of the candidate, e.g. ".../debian-security bookworm-security/main".
	echo "$best $(apt-cache "${XAPT[@]}" madison "$best" | head -1 | awk -F'|' '{print $3}' | awk '{print $2}' | cut -d/ -f1)"
}

update_list() {
	local label pkg suite glob new tmp
	apt_setup force
	tmp=$(mktemp)
	while IFS= read -r line; do
		if [[ $line =~ ^[[:space:]]*(#|$) ]]; then echo "$line"; continue; fi
		read -r label pkg suite glob cmdline <<<"$line"
		if new=$(newest_matching "$glob"); then
			read -r pkg suite <<<"$new"
		else
			say "$label: nothing matches '$glob', keeping $pkg"
		fi
		printf '%-6s %-49s %-18s %s%s\n' "$label" "$pkg" "$suite" "$glob" "${cmdline:+  $cmdline}"
	done <"$KERNELS_LIST" >"$tmp"
	diff -u "$KERNELS_LIST" "$tmp" || true
	cat "$tmp" >"$KERNELS_LIST"
	rm -f "$tmp"
}

# ---- kernels ------------------------------------------------------------------
# fetch_kernel PACKAGE: download the .deb once and extract only ./boot from it.
# Prints the directory holding vmlinuz-* and config-*.
fetch_kernel() {
	local pkg=$1 dir=$CACHE/kernels/$1 deb
	if ! compgen -G "$dir/boot/vmlinuz-*" >/dev/null; then
		mkdir -p "$CACHE/debs" "$dir"
		deb=$(compgen -G "$CACHE/debs/${pkg}_*.deb" | head -1)
		if [ -z "$deb" ]; then
			apt_setup
			say "downloading $pkg"
			(cd "$CACHE/debs" && apt-get "${XAPT[@]}" -qq download "$pkg" >&2) ||
				{ apt_setup force && (cd "$CACHE/debs" && apt-get "${XAPT[@]}" -qq download "$pkg" >&2); } ||
				{ say "cannot download $pkg (run vm/matrix.sh --update-list?)"; return 1; }
			deb=$(compgen -G "$CACHE/debs/${pkg}_*.deb" | head -1)
		fi
		# Only /boot: the modules are not needed and are ten times the size.
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" --wildcards './boot/*' || return 1
	fi
	echo "$dir/boot"
}

# fetch_modules PACKAGE: extract GUEST_MODULES, GUEST_SPARE_MODULES and the modules their depends= lists
# from the .deb into $CACHE/kernels/PACKAGE/modules/lib/modules/<release>/,
# decompressed (Debian 6.12 ships .ko.xz; busybox insmod wants a plain .ko), plus
# `load-order` (dependencies first) for the guest init. Prints that modules root.
fetch_modules() {
	local pkg=$1 dir=$CACHE/kernels/$1/modules deb list m d path ko rel="" round next paths
	local -A deps=()   # module name (with _) -> its dependencies
	local want="${GUEST_MODULES[*]} / ${GUEST_SPARE_MODULES[*]}"
	if [ "$(cat "$dir/done" 2>/dev/null)" != "$want" ]; then
		deb=$(compgen -G "$CACHE/debs/${pkg}_*.deb" | head -1)
		[ -n "$deb" ] || return 1
		rm -rf "$dir" && mkdir -p "$dir/x" || return 1
		list=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | grep -E '^\./(usr/)?lib/modules/[^/]+/kernel/.*\.ko(\.xz|\.zst|\.gz)?$')
		round=("${GUEST_MODULES[@]}" "${GUEST_SPARE_MODULES[@]}")
		while [ ${#round[@]} -gt 0 ]; do   # one pass over the .deb per level of dependencies
			paths=() next=()
			for m in "${round[@]}"; do
				path=$(grep -E "/${m//_/[_-]}\.ko(\.[a-z]+)?$" <<<"$list" | head -1)
				deps[$m]=""
				if [ -n "$path" ]; then paths+=("$path"); else say "$pkg: no $m.ko in the package (built in?)"; fi
			done
			[ ${#paths[@]} = 0 ] && break
			dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir/x" "${paths[@]}" || return 1
			for path in "${paths[@]}"; do
				case $path in
				*.xz) xz -df "$dir/x/$path" ;; *.zst) zstd -qdf --rm "$dir/x/$path" ;; *.gz) gzip -df "$dir/x/$path" ;;
				esac
				ko=$dir/x/${path%.ko*}.ko m=$(basename "$ko" .ko) m=${m//-/_}
				rel=${path#./} rel=${rel#usr/} rel=${rel#lib/modules/} rel=${rel%%/*}
				mkdir -p "$dir/lib/modules/$rel" && mv "$ko" "$dir/lib/modules/$rel/$m.ko" || return 1
				deps[$m]=$(tr '\0' '\n' <"$dir/lib/modules/$rel/$m.ko" | sed -n 's/^depends=//p' | tr , ' ')
				for d in ${deps[$m]}; do [ -n "${deps[$d]+x}" ] || next+=("$d"); done
			done
			round=("${next[@]}")
		done
		rm -rf "$dir/x"
		# Load order: each module after its dependencies (depth first).
		local emitted=" "
		emit() {
			[[ $emitted == *" $1 "* ]] && return
			emitted+="$1 "
			local d; for d in ${deps[$1]}; do emit "$d"; done
			[ -f "$dir/lib/modules/$rel/$1.ko" ] && echo "$1"
		}
		if [ -n "$rel" ]; then
			for m in "${GUEST_MODULES[@]}"; do emit "$m"; done >"$dir/lib/modules/$rel/load-order"
		fi
		echo "$want" >"$dir/done"
	fi
	echo "$dir"
}

# kernel_initrd PACKAGE COMMON_INITRD: COMMON_INITRD with this kernel's modules
# appended as a second cpio (Linux unpacks concatenated archives in order).
kernel_initrd() {
	local pkg=$1 common=$2 mods out=$CACHE/initramfs/$1.cpio.gz
	mods=$(fetch_modules "$pkg") || { say "$pkg: cannot extract modules"; echo "$common"; return; }
	[ -d "$mods/lib" ] || { echo "$common"; return; }   # nothing built as a module
	{ cat "$common"; (cd "$mods" && find lib | busybox cpio -o -H newc -R 0:0 2>/dev/null | gzip -1); } >"$out"
	echo "$out"
}

# config_facts CONFIG_FILE|-: the options warden cares about, one line.
# LSM= is the default LSM order: BPF_LSM=y does nothing unless "bpf" is listed
# there (or given with lsm= on the kernel cmdline).
config_facts() {
	local opt facts="" cfg
	cfg=$(cat "$1")   # read once: $1 may be a pipe (/proc/config.gz via <(zcat))
	for opt in BPF_SYSCALL BPF_JIT KPROBES KPROBE_EVENTS BPF_EVENTS BPF_LSM DEBUG_INFO_BTF; do
		case $(grep -m1 "^CONFIG_$opt=" <<<"$cfg") in
		*=y) facts+="$opt=y " ;;
		*=m) facts+="$opt=m " ;;
		*) facts+="$opt=n " ;;
		esac
	done
	facts+="LSM=$(sed -n 's/^CONFIG_LSM="\(.*\)"/\1/p' <<<"$cfg")"
	echo "$facts"
}

# ---- payload + initramfs --------------------------------------------------------
# copy_with_libs ROOT FILE...: copy each file, every library ldd lists for it and the
# dynamic loader into ROOT at the same absolute paths, so dynamic binaries just work.
copy_with_libs() {
	local root=$1 f lib
	shift
	for f in "$@"; do
		ldd "$f" 2>/dev/null | grep -oE '(^|[[:space:]])/[^[:space:]]+' | while read -r lib; do
			[ -e "$root$lib" ] || cp -L --parents "$lib" "$root/"
		done
	done
}

# stage_payload ROOT: build/ -> ROOT/warden/build (same layout as on the host).
stage_payload() {
	local root=$1 dst=$1/warden/build f
	mkdir -p "$dst/tests" "$dst/bpf"
	cp "$BUILD_DIR/tests/warden-test" "$dst/tests/"
	[ -x "$BUILD_DIR/warden" ] && cp "$BUILD_DIR/warden" "$dst/"
	compgen -G "$BUILD_DIR/bpf/*.o" >/dev/null && cp "$BUILD_DIR"/bpf/*.o "$dst/bpf/"
	[ -d "$BUILD_DIR/tests/data" ] && cp -a "$BUILD_DIR/tests/data" "$dst/tests/"
	# Libraries of every executable ELF file we ship (runner, CLI, helpers in data/).
	find "$dst" -type f -perm -u+x | while read -r f; do
		head -c 4 "$f" | grep -q 'ELF' && copy_with_libs "$root" "$f"
	done
	return 0
}

write_init() {
	cat >"$1/init" <<'INIT'
#!/bin/busybox sh
# Guest init. Kernel cmdline params it does not know reach us as env vars:
# matrix_groups, matrix_group_timeout, matrix_shell.
/bin/busybox --install -s /bin
# iproute2's ip and tc live in /usr/sbin (vm/matrix.sh GUEST_TOOLS): ahead of the
# busybox applets in /bin for /bin/sh (dash) and exec*p().
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
# Deliberately NOT mounted: tracefs, debugfs, bpffs. warden mounts what it needs.
# This kernel's modules from the .deb (vm/matrix.sh GUEST_MODULES), deps first.
mods=/lib/modules/$(uname -r)
[ -f $mods/load-order ] && for m in $(cat $mods/load-order); do
	insmod $mods/$m.ko && echo "matrix: loaded $m" || echo "matrix: insmod $m failed"
done
res=/dev/ttyS1      # second serial port -> host file; kernel messages never land there
echo "@@MATRIX-BOOT $(uname -r) $(cut -d' ' -f1 /proc/uptime)" | tee -a $res
cd /warden
# The crash loops run by time in a guest (TCG): 40 s and 30 s instead of
# the host's 100 and 60 (each still runs its minimum number of cycles).
# The parallel-load comparison takes objects up to 2000 instructions (not
# agent_legacy.o, which the agent tests load) and
# checks the first failing program twice instead of five times: the
# loader group took over its 600 s on 5.10 under TCG on a loaded host.
export PATH=/warden/build:$PATH RUNNER=/warden/build/tests/warden-test \
	WARDEN_OBJ_DIR=/warden/build/bpf MATRIX_GROUP_TIMEOUT=${matrix_group_timeout:-300} \
	WARDEN_CRASH_BUDGET=40 WARDEN_AGENT_CRASH_BUDGET=30 \
	WARDEN_PARALLEL_MAX_INSNS=2000 WARDEN_PARALLEL_ROUNDS=2
sh /warden/run-groups.sh $res $(echo "$matrix_groups" | tr , ' ')
echo "@@MATRIX-END $(cut -d' ' -f1 /proc/uptime)" | tee -a $res
if [ "${matrix_shell:-0}" = 1 ]; then
	echo "matrix: shell (tracefs/debugfs/bpffs unmounted; quit with Ctrl-A x or poweroff -f)"
	setsid cttyhack sh
fi
poweroff -f
INIT
	chmod +x "$1/init"
}

# stage_kernel_configs ROOT: every listed kernel's config as ROOT/boot/config-<release>,
# as a Debian system has it (Debian kernels lack /proc/config.gz): .kconfig
# externs and `warden doctor` read it there.
stage_kernel_configs() {
	local label pkg boot cfg
	mkdir -p "$1/boot"
	while read -r label pkg _; do
		boot=$(fetch_kernel "$pkg") || continue
		for cfg in "$boot"/config-*; do
			[ -f "$cfg" ] && cp "$cfg" "$1/boot/"
		done
	done < <(read_list)
}

# build_initramfs: one initramfs for every kernel (nothing in it is kernel-specific;
# kernel_initrd appends each kernel's modules).
build_initramfs() {
	local root=$CACHE/initramfs/root out=$CACHE/initramfs/initramfs.cpio.gz t
	rm -rf "$root" && mkdir -p "$root"/{bin,proc,sys,dev,tmp,run,warden}
	# busybox-static: /bin/busybox must not need libraries itself.
	cp "$(command -v busybox)" "$root/bin/busybox"
	ldd "$root/bin/busybox" >/dev/null 2>&1 && die "busybox is dynamic; install busybox-static"
	cp "$VM_DIR/run-groups.sh" "$root/warden/"
	stage_payload "$root" || die "cannot stage payload from $BUILD_DIR"
	for t in "${GUEST_TOOLS[@]}"; do   # at their host paths (/usr/sbin), libraries too
		t=$(command -v "$t") || die "${GUEST_TOOLS[*]} needed on the host: apt-get install iproute2"
		cp -L --parents "$t" "$root/" && copy_with_libs "$root" "$t"
	done
	# /bin/sh = dash, as on Debian: busybox-static's ash runs its own applets before
	# searching PATH (FEATURE_SH_STANDALONE), so popen("ip netns ...") would get
	# busybox's ip. Placed before `busybox --install -s`, which never overwrites.
	t=$(command -v dash) || die "dash needed on the host (the guest's /bin/sh)"
	cp -L "$t" "$root/bin/sh" && copy_with_libs "$root" "$t"
	stage_kernel_configs "$root"
	write_init "$root"
	(cd "$root" && find . | busybox cpio -o -H newc -R 0:0 2>/dev/null | gzip -1) >"$out" || die "cpio failed"
	echo "$out"
}

# ---- rows -------------------------------------------------------------------------
# Every row writes $LOGS/<row>.results: @@MATRIX markers plus @@ROW lines.
row_file() { echo "$LOGS/$(echo "$1" | tr -c 'A-Za-z0-9.\n-' _).results"; }

run_host_row() {   # LABEL EMULATE GROUP...
	local label=$1 emulate=$2 res log t0 rc pid facts
	shift 2
	res=$(row_file "$label") log=${res%.results}.log
	facts=$(config_facts <(zcat /proc/config.gz 2>/dev/null || cat "/boot/config-$(uname -r)" 2>/dev/null))
	echo "@@ROW-CONFIG $facts" >"$res"
	t0=$(now)
	{
		echo "== $label: host $(uname -r), $facts"
		# Same cwd layout as in the guest: repo root with build/ below it.
		(cd "$REPO_DIR" && env PATH="$BUILD_DIR:$PATH" RUNNER="$BUILD_DIR/tests/warden-test" \
			WARDEN_OBJ_DIR="$BUILD_DIR/bpf" MATRIX_GROUP_TIMEOUT="$GROUP_TIMEOUT" \
			${emulate:+WARDEN_EMULATE="$emulate"} "${EXTRA_ENV[@]}" sh "$VM_DIR/run-groups.sh" "$res" "$@")
	} >"$log" 2>&1 &
	pid=$!
	follow_log "$log" $pid
	wait $pid; rc=$?
	echo "@@ROW-KERNEL ${emulate:+$emulate env on }$(uname -r)" >>"$res"
	echo "@@ROW-STATUS $([ $rc = 0 ] && echo ok || echo "rc=$rc")" >>"$res"
	echo "@@ROW-TIME $(elapsed "$t0")" >>"$res"
}

# follow_log LOG PID: with -v, copy LOG to stdout until PID exits.
follow_log() {
	if [ "$opt_verbose" = 1 ]; then tail -n +1 -f --pid="$2" "$1" & fi
}

# run_vm_row_once_more LABEL PACKAGE INITRAMFS: a guest whose kernel dies
# part-way (an oops, not a test failure) is booted once more.  Measured here:
# Debian 6.12 under TCG now and then takes "Oops: int3" in __schedule while a
# static key is being patched (text_poke_bp) during perf_event_open: QEMU's
# emulation of cross-modified code, not warden.  The first log is kept as
# <label>.died.log and the oops line is printed; a second death fails the row.
run_vm_row_once_more() {
	local res log why
	run_vm_row "$@"
	res=$(row_file "$1") log=${res%.results}.log
	grep -q '^@@ROW-STATUS no-result' "$res" || return 0
	why=$(grep -m1 -aoE '(Oops|BUG|Kernel panic)[^\r]*' "$log")
	cp "$log" "${log%.log}.died.log"
	say "$1: the guest kernel died (${why:-no oops line}); booting it once more (first log: ${log%.log}.died.log)"
	run_vm_row "$@"
}

# unfinished_groups RESULTS: the selected groups without a closing line in
# RESULTS (timed out, no marker, or a runner that died).
unfinished_groups() {
	local g line
	for g in "${sel_groups[@]}"; do
		line=$(grep "^@@MATRIX $g " "$1" | tail -1)
		[ -z "$line" ] || [[ $line == "@@MATRIX $g timeout "* ]] || [[ $line == "@@MATRIX $g - "* ]] && echo "$g"
	done
	return 0
}

# run_vm_row_after_lockup LABEL PACKAGE INITRAMFS: the groups a guest left
# unfinished while its console reported a soft lockup are run once more in
# a new boot, and their markers appended to the row (cells read the last
# marker of a group; a timed-out marker counts nothing).  The lockups seen
# here are the emulator's (see TCG_THREAD above), not the tests'; a second
# one fails the cell.
run_vm_row_after_lockup() {
	local res log groups
	res=$(row_file "$1") log=${res%.results}.log
	grep -q 'soft lockup' "$log" || return 0
	groups=$(unfinished_groups "$res")
	[ -n "$groups" ] || return 0
	cp "$log" "${log%.log}.lockup.log"
	say "$1: soft lockup in the guest, unfinished: $(echo $groups); booting it once more for them (first log: ${log%.log}.lockup.log)"
	# a subshell: the second boot's groups and marker do not outlive it
	(
		# shellcheck disable=SC2206 # group names are single words
		sel_groups=($groups)
		EXTRA_ENV+=(matrix_attempt=2)
		run_vm_row "$1-again" "$2" "$3"
	)
	grep '^@@MATRIX ' "$(row_file "$1-again")" >>"$res"
	rm -f "$(row_file "$1-again")" "$(row_file "$1-again").guest"
}

# run_vm_row_retrying LABEL PACKAGE INITRAMFS: a row, booted once more after
# a kernel death or for the groups a soft lockup left unfinished.
run_vm_row_retrying() {
	run_vm_row_once_more "$@"
	run_vm_row_after_lockup "$@"
}

run_vm_row() {   # LABEL PACKAGE INITRAMFS
	local label=$1 pkg=$2 initrd=$3 res log boot t0 qpid rc status
	res=$(row_file "$label") log=${res%.results}.log
	: >"$res"
	t0=$(now)
	if ! boot=$(fetch_kernel "$pkg"); then
		echo "@@ROW-STATUS boot-fail" >>"$res"; echo "@@ROW-TIME $(elapsed "$t0")" >>"$res"
		return
	fi
	echo "@@ROW-CONFIG $(config_facts "$(compgen -G "$boot/config-*" | head -1)")" >>"$res"
	# Optional 5th+ columns of kernels.list: this kernel's own cmdline additions.
	local kcmd; kcmd=$(read_list | awk -v l="$label" '$1 == l { for (i = 5; i <= NF; i++) printf "%s ", $i }')
	{
		echo "== $label: $pkg"
		echo "== host-side config: $(sed -n 's/^@@ROW-CONFIG //p' "$res")"
		echo "== qemu: TCG, $QEMU_SMP cpus, $QEMU_MEM, timeout ${TIMEOUT}s, groups ${sel_groups[*]}"
	} >"$log"
	local qemu=(qemu-system-x86_64 -accel "tcg,thread=$TCG_THREAD" -cpu max -m "$QEMU_MEM" -smp "$QEMU_SMP"
		-nographic -no-reboot -kernel "$(compgen -G "$boot/vmlinuz-*" | head -1)" -initrd "$initrd"
		# ttyS0 = console (stdio), ttyS1 = result markers only (a file on the host).
		-serial mon:stdio -serial "file:$res.guest"
		-append "console=ttyS0 panic=-1 matrix_groups=$(IFS=,; echo "${sel_groups[*]}") matrix_group_timeout=$GROUP_TIMEOUT matrix_shell=$opt_shell ${EXTRA_ENV[*]} ${kcmd}${MATRIX_APPEND:-}")
	rm -f "$res.guest"
	if [ "$opt_shell" = 1 ]; then
		"${qemu[@]}"; rc=$?
		return $rc
	fi
	# /dev/kvm is not usable here (guest dies with "KVM internal error"): TCG only.
	# panic=-1 + -no-reboot: a kernel panic ends QEMU at once instead of hanging.
	timeout -k 10 "$TIMEOUT" "${qemu[@]}" </dev/null >>"$log" 2>&1 &
	qpid=$!
	follow_log "$log" $qpid
	wait $qpid; rc=$?
	# The guest tty turns \n into \r\n (onlcr); drop the \r.
	tr -d '\r' <"$res.guest" >>"$res" 2>/dev/null
	if [ $rc = 124 ] || [ $rc = 137 ]; then status=timeout
	elif ! grep -q '^@@MATRIX-BOOT' "$res"; then status="boot-fail"
	elif ! grep -q '^@@MATRIX-END' "$res"; then status=no-result
	else status=ok; fi
	echo "== matrix: qemu rc=$rc, row status $status" >>"$log"
	echo "@@ROW-KERNEL $(sed -n 's/^@@MATRIX-BOOT \(\S*\).*/\1/p' "$res")" >>"$res"
	echo "@@ROW-STATUS $status" >>"$res"
	echo "@@ROW-TIME $(elapsed "$t0")" >>"$res"
}

# ---- table ------------------------------------------------------------------------
failures=0 failed_cells=()
# cell RESULTS GROUP: sets CELL to the table cell and counts failures
# (no command substitution, so the count survives).
cell() {
	local res=$1 g=$2 status line p f s rc
	status=$(sed -n 's/^@@ROW-STATUS //p' "$res")
	line=$(grep "^@@MATRIX $g " "$res" | tail -1)
	CELL=
	if [ -z "$line" ]; then
		case $status in
		ok|rc=*) CELL="-"; return ;;        # group not run in this row
		timeout|boot-fail) CELL=$status ;;
		*) CELL=no-result ;;                # guest died mid-run (panic, oops)
		esac
	else
		read -r _ _ p f s rc <<<"$line"
		if [ "$p" = timeout ]; then CELL=timeout
		elif [ "$p" = - ]; then CELL="rc=$rc"          # runner died before its closing line
		elif [ "$f" = 0 ] && [ "$rc" != 0 ]; then CELL="$p/$f/$s rc=$rc"   # says 0 failed, exits non-zero
		else CELL="$p/$f/$s"; [ "$f" = 0 ] && return; fi
	fi
	failures=$((failures + 1))
	failed_cells+=("$(basename "${res%.results}")/$g=$CELL")
}

print_table() {   # ROW-LABEL...
	local label res g fmt="%-18s %-28s" kernel out=$LOGS/matrix.txt
	# shellcheck disable=SC2059
	{
		printf "$fmt" kernel release
		for g in "${sel_groups[@]}"; do printf " %-11s" "$g"; done
		printf " %8s\n" time
		for label in "$@"; do
			res=$(row_file "$label")
			kernel=$(sed -n 's/^@@ROW-KERNEL //p' "$res")
			printf "$fmt" "$label" "${kernel:--}"
			for g in "${sel_groups[@]}"; do cell "$res" "$g"; printf " %-11s" "$CELL"; done
			printf " %7ss\n" "$(sed -n 's/^@@ROW-TIME //p' "$res")"
		done
		echo
		for label in "$@"; do
			printf "%-18s %s\n" "$label" "$(sed -n 's/^@@ROW-CONFIG //p' "$(row_file "$label")")"
		done
		echo "cells: passed/failed/skipped from the runner's closing line; rc=N: runner exited N"
		echo "without a closing line; '-': group not run in this row"
	} >"$out"
	cat "$out"
}

# ---- selftest ---------------------------------------------------------------------
# Build the stub runner into a fake build dir, so the harness runs without warden.
selftest_build() {
	BUILD_DIR=$CACHE/selftest/build
	mkdir -p "$BUILD_DIR/tests" "$BUILD_DIR/bpf"
	cc -O2 -Wall -o "$BUILD_DIR/tests/warden-test" "$VM_DIR/selftest/stub-test.c" || die "cannot build stub"
	: >"$BUILD_DIR/bpf/stub.o"
}

# ---- main ---------------------------------------------------------------------------
main() {
	local selftest=0 t_all rows=() label pkg suite glob initrd kinitrd running=0
	while [ $# -gt 0 ]; do
		case $1 in
		--kernel) opt_kernels+=("${2:?}"); shift ;;
		--group) opt_groups+=("${2:?}"); shift ;;
		--no-host) opt_host=0 ;;
		--no-emulated) opt_emulated=0 ;;
		-j) opt_jobs=${2:?}; shift ;;
		-v) opt_verbose=1 ;;
		--shell) opt_shell=1 ;;
		--selftest) selftest=1 ;;
		--update-list) update_list; exit ;;
		-h|--help) usage; exit 0 ;;
		*) usage >&2; exit 2 ;;
		esac
		shift
	done
	sel_groups=("${opt_groups[@]:-${TEST_GROUPS[@]}}")
	[ "${opt_groups[*]:-}" = none ] && sel_groups=()   # --group none: just boot (for --shell)
	mkdir -p "$LOGS"
	rm -f "$LOGS"/*.results "$LOGS"/*.guest
	[ "$selftest" = 1 ] && selftest_build
	[ -x "$BUILD_DIR/tests/warden-test" ] || die "no runner at $BUILD_DIR/tests/warden-test (build first, or --selftest)"
	command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: apt-get install qemu-system-x86"

	if [ "$opt_shell" = 1 ]; then
		[ ${#opt_kernels[@]} = 1 ] || die "--shell needs exactly one --kernel LABEL"
		read -r label pkg _ < <(read_list | awk -v l="${opt_kernels[0]}" '$1 == l')
		[ -n "${pkg:-}" ] || die "no kernel '${opt_kernels[0]}' in $KERNELS_LIST"
		run_vm_row "$label" "$pkg" "$(kernel_initrd "$pkg" "$(build_initramfs)")"
		exit
	fi

	t_all=$(now)
	if [ "$opt_host" = 1 ]; then
		say "host row ($(uname -r))"
		run_host_row host "" "${sel_groups[@]}"; rows+=(host)
	fi
	if [ "$opt_emulated" = 1 ]; then
		local emu=()
		for g in "${EMULATED_GROUPS[@]}"; do [[ " ${sel_groups[*]} " == *" $g "* ]] && emu+=("$g"); done
		if [ ${#emu[@]} -gt 0 ]; then
			say "$EMULATED_LABEL row"
			run_host_row "$EMULATED_LABEL" "$EMULATED_ENV" "${emu[@]}"; rows+=("$EMULATED_LABEL")
		fi
	fi
	initrd=$(build_initramfs)
	while read -r label pkg suite glob; do
		if [ ${#opt_kernels[@]} -gt 0 ] && [[ " ${opt_kernels[*]} " != *" $label "* ]]; then continue; fi
		say "booting $label ($pkg)"
		rows+=("$label")
		# Download + modules first (serially: apt locks its private state).
		kinitrd=$(fetch_kernel "$pkg" >/dev/null && kernel_initrd "$pkg" "$initrd") || kinitrd=$initrd
		if [ "$opt_jobs" -le 1 ]; then
			run_vm_row_retrying "$label" "$pkg" "$kinitrd"
		else
			run_vm_row_retrying "$label" "$pkg" "$kinitrd" &
			running=$((running + 1))
			[ $running -ge "$opt_jobs" ] && { wait -n; running=$((running - 1)); }
		fi
	done < <(read_list)
	wait
	echo
	print_table "${rows[@]}"
	echo "matrix: total $(elapsed "$t_all")s; logs in $LOGS/ (table in matrix.txt)"
	[ $failures = 0 ] || { echo "matrix: $failures failing cell(s): ${failed_cells[*]}"; exit 1; }
}

main "$@"
