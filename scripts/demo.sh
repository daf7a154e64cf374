#!/bin/bash
# scripts/demo.sh [BUILD_DIR]: `make demo`.  Runs the bundled exec tracer for
# a few seconds while a background loop starts a few programs, so the live
# events show.  Needs root (or CAP_BPF + CAP_PERFMON).
set -uo pipefail
O=${1:-build}
cd "$(dirname "$0")/.."
WARDEN=$O/warden
DURATION=${DEMO_DURATION:-5}

if [ ! -x "$WARDEN" ] || [ ! -f "$O/bpf/execsnoop.o" ]; then
	echo "demo: $WARDEN or $O/bpf/execsnoop.o missing: run 'make O=$O all' first" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "demo: tracing needs root: run 'sudo make demo'" >&2
	exit 1
fi

echo "demo: tracing every exec on this machine for ${DURATION}s (warden trace-exec)"
echo "demo: a background loop runs /bin/true, ls and uname once per 0.3 s"
echo
(
	sleep 0.5
	end=$((SECONDS + DURATION - 1))
	while [ $SECONDS -lt $end ]; do
		/bin/true
		ls / >/dev/null
		uname -r >/dev/null
		sleep 0.3
	done
) &
gen=$!
"$WARDEN" trace-exec --duration "$DURATION"
status=$?
kill "$gen" 2>/dev/null
wait "$gen" 2>/dev/null
exit $status
