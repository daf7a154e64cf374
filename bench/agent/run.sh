#!/bin/bash
# bench/agent/run.sh BUILD_DIR: the agent against its peers, side by side in
# one run (root).  Each operation runs in a tight loop (gen_ops) for
# BENCH_SECS seconds with nothing attached, then under each tracer:
#
#   open, filtered    a read-only open(): warden drops it after its flags
#                     (reads are not file events); the peers are given a uid
#                     filter that drops it in the kernel (opensnoop -u); and
#                     an empty program on sys_exit_openat (bench/agent/
#                     floor.bpf.c, `warden load --attach`): the kernel's own
#                     cost of a program on that hook, which no tracer there
#                     goes below
#   open, prefix      a write open() outside warden's --path-prefix: read,
#                     compared and dropped at sys_exit (warden only)
#   open, reported    a write open() under the prefix: one event each
#   exec, reported    posix_spawn(/bin/true) + wait
#   connect, reported TCP connect to 127.0.0.1 + accept + close (RST)
#
# Tracers: warden run (JSON lines to a file), libbpf-tools (Debian
# libbpf-tools: opensnoop, execsnoop, tcpconnect), bpftrace one-liners
# printing the same fields, bcc (Debian bpfcc-tools: opensnoop-bpfcc...).
# A tool that cannot run on this kernel is reported as "cannot run here"
# with its reason, never given a number.  Then warden's start-up (fork+exec
# to READY=1 on $NOTIFY_SOCKET, every program attached) and exit (SIGTERM
# to exit) over BENCH_ROUNDS runs.
# BENCH_OPS="open_filtered open_prefix ..." runs some operations only.
#
# Per arm: ns per operation, the cost added to it (ns over nothing
# attached), the tracer's BPF program time per operation, events found in
# the output against operations (both runs), drops (warden: its own
# summary; written + dropped must equal generated), the tracer's CPU per
# event and its peak RSS.  The machine is noisy (2 cores, shared):
# the baseline is measured again before each operation.
set -uo pipefail
O=${1:-build}
SECS=${BENCH_SECS:-3}       # per arm
ROUNDS=${BENCH_ROUNDS:-5}
cd "$(dirname "$0")/../.."
GEN=$O/bench/gen_ops
STARTUP=$O/bench/agent_startup
BPFSTATS=$O/bench/bpf_stats
if [ "$(id -u)" != 0 ]; then echo "bench/agent: needs root" >&2; exit 1; fi
for f in "$GEN" "$STARTUP" "$BPFSTATS" "$O/warden" "$O/bench/floor.bpf.o"; do
	{ [ -x "$f" ] || { [[ $f == *.o ]] && [ -f "$f" ]; }; } || { echo "bench/agent: build $f first (make bench-agent O=$O)" >&2; exit 1; }
done
tmp=$(mktemp -d /tmp/warden-bench.XXXXXX)
tracer_pid=
stats_pid=
cleanup() {
	[ -n "$tracer_pid" ] && kill -KILL "$tracer_pid" 2>/dev/null && wait "$tracer_pid" 2>/dev/null
	[ -n "$stats_pid" ] && kill "$stats_pid" 2>/dev/null && wait "$stats_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/gen" "$tmp/other"
: > "$tmp/read"
HZ=$(getconf CLK_TCK)
NOBODY_UID=4242   # a uid nothing runs as: the peers' in-kernel filter drops every event
results=$tmp/results

echo "bench/agent: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"

# ---- one operation under one tracer --------------------------------------

# attach_fds PID: the tracer's BPF links and perf events (its attached
# programs), from its fd table.
attach_fds() {
	ls -l "/proc/$1/fd" 2>/dev/null | grep -c -E 'bpf[-_]link|perf_event'
}

# wait_ready KIND PID: the tracer is attached (warden: its stats file,
# written once every program is; the others: their link and perf event
# fds, once their number has stopped growing).  1 if it died first.
wait_ready() {
	local kind=$1 pid=$2 last=0 same=0 now
	for _ in $(seq 600); do
		kill -0 "$pid" 2>/dev/null || return 1
		if [ "$kind" = warden ]; then
			[ -e "$tmp/stats.json" ] && return 0
		else
			now=$(attach_fds "$pid")
			if [ "$now" -gt 0 ] && [ "$now" = "$last" ]; then
				same=$((same + 1))
				[ $same -ge 5 ] && return 0
			else
				same=0
			fi
			last=$now
		fi
		sleep 0.1
	done
	return 1
}

# why_not FILE...: one line on why a tool did not start.
why_not() {
	if grep -q "Unable to find kernel headers" "$@"; then
		echo "no kernel headers for $(uname -r) (bcc compiles its programs at run time; no /lib/modules/$(uname -r)/build, CONFIG_IKHEADERS off)"
	elif grep -q -i "kprobe" "$@"; then
		echo "needs kprobes (CONFIG_KPROBES off): $(grep -h -i -m1 kprobe "$@" | sed 's/^libbpf: //')"
	else
		cat "$@" | grep -v '^$' | tail -1
	fi
}

# arm OP MODE PATH NAME KIND COUNT_PATTERN CMD...: run MODE of gen_ops
# under CMD (nothing when KIND is none); append a result line.  Events are
# counted in the tracer's stdout, or warden's --output file ($tmp/w.json).
arm() {
	local op=$1 mode=$2 path=$3 name=$4 kind=$5 pat=$6
	shift 6
	local out=$tmp/out.$RANDOM pid= cpu0=0 cpu1=0 rss=0 n t c got=0 dropped=- st bpfns=- n2=0
	rm -f "$tmp/stats.json" "$tmp/w.json"
	if [ "$kind" != none ]; then
		if ! command -v "$1" >/dev/null 2>&1; then
			printf '%s\t%s\tcannot run here: %s is not installed (make bench-deps)\n' "$op" "$name" "$1" >> "$results"
			return
		fi
		"$@" > "$out" 2> "$out.err" &
		pid=$!
		tracer_pid=$pid
		if ! wait_ready "$kind" "$pid"; then
			kill -INT "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			tracer_pid=
			printf '%s\t%s\tcannot run here: %s\n' "$op" "$name" "$(why_not "$out" "$out.err")" >> "$results"
			rm -f "$out" "$out.err"
			return
		fi
		cpu0=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
	fi
	read -r n t c < <("$GEN" "$mode" "$SECS" "$path") || { echo "bench/agent: gen_ops $mode failed" >&2; n=0; t=1; c=1; }
	if [ -n "$pid" ]; then
		sleep 0.3   # the consumer's latency bound: what the loop produced reaches the output
		cpu1=$(awk '{ print $14 + $15 }' /proc/$pid/stat 2>/dev/null || echo "$cpu0")
		rss=$(awk '/^VmHWM/ { print $2 }' /proc/$pid/status 2>/dev/null || echo 0)
		read -r bpfns n2 < <(bpf_ns_per_op "$pid" "$mode" "$path")
		kill -INT "$pid" 2>/dev/null
		wait "$pid"
		st=$?
		tracer_pid=
		if [ "$kind" = warden ]; then
			got=$(grep -c -F -- "$pat" "$tmp/w.json" 2>/dev/null)
			# the summary's per-kind line: "  open   RECEIVED   DROPPED"
			dropped=$(awk -v k="${op%% *}" '$1 == k && NF == 3 { print $3 }' "$out.err")
			dropped=${dropped:-0}
			[ $st -ne 0 ] && dropped="exit $st"
		elif [ "$kind" = floor ]; then
			got=0
		else
			got=$(grep -c -F -- "$pat" "$out")
		fi
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$op" "$name" "$n" "$t" "$c" "${got:-0}" "$dropped" \
		"$((cpu1 - cpu0))" "${rss:-0}" "$bpfns" "$((n + n2))" >> "$results"
	rm -f "$out" "$out.err"
}

# bpf_ns_per_op PID MODE PATH: the tracer's own BPF program time per
# operation, from the kernel's run-time statistics, on for a second run of
# one second only (they cost every program run two clock reads).
bpf_ns_per_op() {
	local ns0 c0 ns1 c1 n t c
	"$BPFSTATS" hold 20 &
	stats_pid=$!
	sleep 0.2
	read -r ns0 c0 < <("$BPFSTATS" sum "$1")
	read -r n t c < <("$GEN" "$2" 1 "$3")
	read -r ns1 c1 < <("$BPFSTATS" sum "$1")
	kill "$stats_pid" 2>/dev/null
	wait "$stats_pid" 2>/dev/null
	stats_pid=
	awk -v a="$ns0" -v b="$ns1" -v n="$n" 'BEGIN { if (n > 0 && b >= a) printf "%.0f %d\n", (b - a) / n, n; else print "- 0" }'
}

W=("$O/warden" run --config /dev/null --stats-interval 0 --stats-file "$tmp/stats.json" --bpf-dir "$O/bpf")
BT=bpftrace

op_open_filtered() {
	local op="open filtered"
	arm "$op" open-read "$tmp/read" "nothing attached" none ""
	arm "$op" open-read "$tmp/read" "empty program (the floor)" floor "" "$O/warden" load "$O/bench/floor.bpf.o" --attach
	arm "$op" open-read "$tmp/read" "warden" warden "$tmp/read" "${W[@]}" --kinds open --output "$tmp/w.json"
	arm "$op" open-read "$tmp/read" "libbpf-tools opensnoop -u" other "$tmp/read" /usr/sbin/opensnoop -u $NOBODY_UID
	arm "$op" open-read "$tmp/read" "bpftrace (uid filter)" bpftrace "$tmp/read" $BT -e "
		tracepoint:syscalls:sys_enter_openat /uid == $NOBODY_UID/ { @f[tid] = args->filename; }
		tracepoint:syscalls:sys_exit_openat /@f[tid]/ { printf(\"%d %s %s %d\n\", pid, comm, str(@f[tid]), args->ret); delete(@f[tid]); }"
	arm "$op" open-read "$tmp/read" "bcc opensnoop-bpfcc -u" other "$tmp/read" /usr/sbin/opensnoop-bpfcc -u $NOBODY_UID
	arm "$op" open-read "$tmp/read" "nothing attached" none ""
}

op_open_prefix() {
	local op="open prefix-filtered"
	arm "$op" open-write "$tmp/other/f" "nothing attached" none ""
	arm "$op" open-write "$tmp/other/f" "empty program (the floor)" floor "" "$O/warden" load "$O/bench/floor.bpf.o" --attach
	arm "$op" open-write "$tmp/other/f" "warden --path-prefix" warden "$tmp/other/f" "${W[@]}" --kinds open \
		--path-prefix "$tmp/gen/" --output "$tmp/w.json"
	arm "$op" open-write "$tmp/other/f" "nothing attached" none ""
}

op_open_reported() {
	local op="open reported"
	arm "$op" open-write "$tmp/gen/f" "nothing attached" none ""
	arm "$op" open-write "$tmp/gen/f" "warden" warden "\"path\":\"$tmp/gen/f\"" "${W[@]}" --kinds open \
		--path-prefix "$tmp/gen/" --output "$tmp/w.json"
	arm "$op" open-write "$tmp/gen/f" "libbpf-tools opensnoop" other " $tmp/gen/f" /usr/sbin/opensnoop
	arm "$op" open-write "$tmp/gen/f" "bpftrace" bpftrace " $tmp/gen/f" $BT -e '
		tracepoint:syscalls:sys_enter_openat { @f[tid] = args->filename; }
		tracepoint:syscalls:sys_exit_openat /@f[tid]/ { printf("%d %s %s %d\n", pid, comm, str(@f[tid]), args->ret); delete(@f[tid]); }'
	arm "$op" open-write "$tmp/gen/f" "bcc opensnoop-bpfcc" other " $tmp/gen/f" /usr/sbin/opensnoop-bpfcc
	arm "$op" open-write "$tmp/gen/f" "nothing attached" none ""
}

# The agent's CPU and memory at a given event rate: reported opens paced
# at 10,000 and 100,000 a second (gen_ops GEN_RATE; the "ops/s" column
# says what the loop reached), warden and libbpf-tools' opensnoop.
op_open_rates() {
	local rate op
	for rate in 10000 100000; do
		op="open at $((rate / 1000))k/s"
		GEN_RATE=$rate arm "$op" open-write "$tmp/gen/f" "nothing attached" none ""
		GEN_RATE=$rate arm "$op" open-write "$tmp/gen/f" "warden" warden "\"path\":\"$tmp/gen/f\"" "${W[@]}" \
			--kinds open --path-prefix "$tmp/gen/" --output "$tmp/w.json"
		GEN_RATE=$rate arm "$op" open-write "$tmp/gen/f" "libbpf-tools opensnoop" other " $tmp/gen/f" /usr/sbin/opensnoop
	done
}

op_exec() {
	local op="exec reported"
	arm "$op" exec "" "nothing attached" none ""
	arm "$op" exec "" "warden" warden '"executable":"/bin/true","args":["true"]' "${W[@]}" --kinds exec --output "$tmp/w.json"
	arm "$op" exec "" "libbpf-tools execsnoop" other "/bin/true" /usr/sbin/execsnoop
	arm "$op" exec "" "bpftrace" bpftrace "/bin/true" $BT -e '
		tracepoint:syscalls:sys_enter_execve { printf("%d %s %s ", pid, comm, str(args->filename)); join(args->argv); }'
	arm "$op" exec "" "bcc execsnoop-bpfcc" other "/bin/true" /usr/sbin/execsnoop-bpfcc
	arm "$op" exec "" "nothing attached" none ""
}

op_connect() {
	local op="connect reported"
	arm "$op" connect "" "nothing attached" none ""
	arm "$op" connect "" "warden" warden '"action":"connect"' "${W[@]}" --kinds connect --output "$tmp/w.json"
	arm "$op" connect "" "libbpf-tools tcpconnect" other "gen_ops" /usr/sbin/tcpconnect
	arm "$op" connect "" "bpftrace" bpftrace "gen_ops" $BT -e '
		tracepoint:sock:inet_sock_set_state /args->newstate == 2/ { printf("%d %s %s %d\n", pid, comm, ntop(args->daddr_v6), args->dport); }'
	arm "$op" connect "" "bcc tcpconnect-bpfcc" other "gen_ops" /usr/sbin/tcpconnect-bpfcc
	arm "$op" connect "" "nothing attached" none ""
}

: > "$results"
# BENCH_OPS: some of the operations only (default: all), e.g. "open_filtered open_prefix"
for op in ${BENCH_OPS:-open_filtered open_prefix open_reported open_rates exec connect}; do
	declare -F "op_$op" >/dev/null || { echo "bench/agent: unknown operation '$op' in BENCH_OPS" >&2; exit 2; }
	"op_$op"
done

# ---- the table ----------------------------------------------------------

# ns per operation from the generator's CPU time (it and its children: the
# traced work is charged there); the baseline is the mean of the runs with
# nothing attached before and after the tracers of that operation.  "BPF
# ns": the tracer's programs' own run time per operation (kernel run-time
# statistics, a separate one-second run), steady where the added CPU time
# drowns in the noise of a 600 us exec.
echo
awk -F'\t' -v hz="$HZ" '
FNR == NR {
	if (NF == 11 && $2 == "nothing attached") { bsum[$1] += $5 / $3 * 1e9; bn[$1]++ }
	next
}
function show(op, name, n, t, c, got, dropped, cpu, rss, bpfns, total,    ns, add) {
	ns = c / n * 1e9
	if (name == "nothing attached") {
		if (seen[op]++) return
		printf "%-22s %-28s %9.0f %9s %8s %9.0f %8.0f %15s %8s %9s %7s\n", op, name " (mean)", base[op], "-",
		       "-", t / n * 1e9, n / t, "-", "-", "-", "-"
		return
	}
	add = ns - base[op]
	added[op, name] = add
	bpf[op, name] = bpfns
	printf "%-22s %-28s %9.0f %+9.0f %8s %9.0f %8.0f %15s %8s %9s %7.1f\n", op, name, ns, add, bpfns,
	       t / n * 1e9, n / t, got "/" total, dropped, (got ? sprintf("%.2f", cpu / hz / got * 1e6) : "-"),
	       rss / 1024
}
FNR == 1 {
	for (o in bsum) base[o] = bsum[o] / bn[o]
	printf "%-22s %-28s %9s %9s %8s %9s %8s %15s %8s %9s %7s\n", "OPERATION", "TRACER", "CPU ns/op",
	       "added ns", "BPF ns", "wall ns", "ops/s", "events/ops", "dropped", "CPU us/ev", "RSS MiB"
}
NF == 3 { printf "%-22s %-28s %s\n", $1, $2, $3; next }
{ show($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) }
END {
	print ""
	print "added cost per operation, warden / peer (below 1: warden adds less):"
	for (k in added) {
		split(k, p, SUBSEP)
		if (p[2] ~ /^warden/ || !((p[1], "warden") in added)) continue
		ra = (added[k] > 0) ? sprintf("%5.2f", added[p[1], "warden"] / added[k]) : "(peer: none measured)"
		rb = (bpf[k] > 0) ? sprintf("%5.2f", bpf[p[1], "warden"] / bpf[k]) : "-"
		printf "  %-22s vs %-28s added %s, BPF program time %s\n", p[1], p[2], ra, rb
	}
}' "$results" "$results"

# ---- start-up and exit ---------------------------------------------------

echo
echo "warden start-up (fork+exec to READY=1, every program attached) and exit (SIGTERM to exit), $ROUNDS rounds:"
"$STARTUP" "$ROUNDS" "$O/warden" run --config /dev/null --output /dev/null --stats-file none --bpf-dir "$O/bpf" \
	2>"$tmp/startup.err" | tail -1
grep -m1 "^start-up:" "$tmp/startup.err" | sed 's/^/  last run: /'
grep -m1 "^programs loaded:" "$tmp/startup.err" | sed 's/^/  /'
