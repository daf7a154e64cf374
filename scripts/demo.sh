#!/bin/bash
# scripts/demo.sh [BUILD_DIR]: `make demo`.
#
# Runs the agent (`warden run --format text`) for a few seconds, filtered to
# this script's own process tree (--pid-tree) so that a busy host does not
# bury the demo's events, while the script execs a few programs, writes,
# renames and removes a file and connects to 127.0.0.1; then stops the agent
# with SIGINT, which prints the summary (events received and dropped per
# kind).  Needs root (or CAP_BPF + CAP_PERFMON).
set -uo pipefail
O=${1:-build}
cd "$(dirname "$0")/.."
WARDEN=$O/warden
DURATION=${DEMO_DURATION:-5}

if [ ! -x "$WARDEN" ]; then
	echo "demo: $WARDEN missing: run 'make O=$O all' first" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "demo: tracing needs root: run 'make demo' as root (or with sudo)" >&2
	exit 1
fi

# A connection to 127.0.0.1: to a listener of our own where python3 is
# there (connect + accept + close), else to a closed port (a connect that
# is refused is still a connect).
connect_local() {
	local port=47913 listener=
	local py
	py=$(command -v /usr/bin/python3 python3 | head -1)
	if [ -n "$py" ]; then
		"$py" - "$port" <<'EOF' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); s.settimeout(3)
try:
    c, _ = s.accept(); c.sendall(b"hello from the demo listener\n"); c.close()
except OSError:
    pass
EOF
		listener=$!
		nap 0.5
	fi
	(exec 3<>"/dev/tcp/127.0.0.1/$port" && head -c 64 <&3 >/dev/null) 2>/dev/null
	[ -n "$listener" ] && wait "$listener" 2>/dev/null
	return 0
}

workload() {
	local dir
	dir=$(mktemp -d /tmp/warden-demo.XXXXXX)
	echo "demo: exec /bin/true, uname -r and ls $dir"
	/bin/true
	uname -r >/dev/null
	ls "$dir" >/dev/null
	echo "demo: write $dir/hello.txt, rename it, chmod it, remove it"
	echo "hello" >"$dir/hello.txt"
	mv "$dir/hello.txt" "$dir/renamed.txt"
	chmod 600 "$dir/renamed.txt"
	rm -f "$dir/renamed.txt"
	echo "demo: connect to 127.0.0.1"
	connect_local
	rmdir "$dir"
}

# sleep without exec'ing /bin/sleep (its exec and exit events would crowd
# the demo's own): read with a timeout on a pipe nobody writes to
nap() {
	read -r -t "$1" -u 9 _ || true
}

agent_demo() {
	local stats pid status
	exec 9<> <(:)
	stats=$(mktemp /tmp/warden-demo-stats.XXXXXX)
	rm -f "$stats"
	echo "demo: warden run --format text --pid-tree $$ (this script and its children)"
	echo
	"$WARDEN" run --config /dev/null --format text --pid-tree $$ --stats-interval 0 \
		--stats-file "$stats" &
	pid=$!
	# attached once the stats file appears (written from the event loop)
	for _ in $(seq 600); do
		[ -e "$stats" ] && break
		kill -0 $pid 2>/dev/null || break
		nap 0.1
	done
	if ! kill -0 $pid 2>/dev/null; then
		wait $pid
		echo "demo: warden run stopped early (see above)" >&2
		rm -f "$stats"
		return 1
	fi
	nap 0.2
	workload
	nap "$(( DURATION > 3 ? DURATION - 3 : 1 ))"
	nap 0.3   # one more drain (latency 100 ms)
	kill -INT $pid
	wait $pid
	status=$?
	rm -f "$stats"
	return $status
}

if [ ! -f "$O/bpf/agent.o" ]; then
	echo "demo: $O/bpf/agent.o missing: run 'make O=$O all' first" >&2
	exit 1
fi
agent_demo
