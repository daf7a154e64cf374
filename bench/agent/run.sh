#!/bin/bash
# bench/agent/run.sh BUILD_DIR: the agent end to end.  One process opens a
# file for writing in a tight loop for a few seconds; `warden run --kinds open`
# turns every open into a JSON line (to a file).  Prints the opens generated,
# the generator's events in the output and those dropped (from the agent's
# own summary: written + dropped must equal generated), the agent's CPU time
# per event, and the cost the agent adds to each open (the loop without and
# with it).  Only lines with the generator's path are counted, whatever else
# the prefix filter lets through.
set -uo pipefail
O=${1:-build}
SECS=${BENCH_SECS:-5}
cd "$(dirname "$0")/../.."
GEN=$O/bench/gen_open
if [ "$(id -u)" != 0 ]; then echo "bench/agent: needs root" >&2; exit 1; fi
[ -x "$GEN" ] && [ -x "$O/warden" ] || { echo "bench/agent: build $GEN and $O/warden first" >&2; exit 1; }
tmp=$(mktemp -d /tmp/warden-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

read -r base_n base_t < <("$GEN" "$SECS" "$tmp/f")
mkdir "$tmp/gen"
"$O/warden" run --config /dev/null --kinds open --path-prefix "$tmp/gen/" --output "$tmp/out.json" \
	--stats-interval 0 --stats-file "$tmp/stats.json" --bpf-dir "$O/bpf" 2>"$tmp/err" &
pid=$!
for _ in $(seq 600); do [ -e "$tmp/stats.json" ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if ! kill -0 $pid 2>/dev/null; then cat "$tmp/err" >&2; exit 1; fi
cpu0=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
read -r n t < <("$GEN" "$SECS" "$tmp/gen/f")
sleep 0.5
cpu1=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
kill -INT $pid
wait $pid
received=$(grep -c -F "\"path\":\"$tmp/gen/f\"" "$tmp/out.json")
dropped=$(awk '$1 == "open" && NF == 3 { print $3 }' "$tmp/err")
hz=$(getconf CLK_TCK)
awk -v bn="$base_n" -v bt="$base_t" -v n="$n" -v t="$t" -v r="${received:-0}" -v d="${dropped:-0}" \
    -v c=$((cpu1 - cpu0)) -v hz="$hz" 'BEGIN {
	printf "agent end to end (open events -> JSON lines in a file), %.0f s:\n", t
	printf "  opens generated %d (%.0f/s); in the output %d, dropped %d: %s\n", n, n / t, r, d,
	       (r + d == n) ? "output + dropped == generated" : "MISMATCH"
	printf "  agent CPU %.2f s: %.2f us per event\n", c / hz, (r ? c / hz / r * 1e6 : 0)
	printf "  open+close: %.2f us alone, %.2f us with the agent (+%.2f us)\n",
	       bt / bn * 1e6, t / n * 1e6, t / n * 1e6 - bt / bn * 1e6
}'
