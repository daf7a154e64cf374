#!/bin/bash
# bench/snoop/run.sh [BUILD_DIR] [bench_snoop options]: the added cost per
# open() of a real tool's BPF object (the one Debian's libbpf-tools opensnoop
# embeds, taken from the binary at run time) under libbpf, under libwarden,
# and as the tool itself.  libbpf is linked here only.  Needs root and the
# libbpf-tools package.  About 30 s with the defaults.
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${1:-build}
shift || true
OUT=$O/bench/snoop
TOOL=/usr/sbin/opensnoop
if [ ! -x "$TOOL" ]; then
	echo "bench/snoop: skipped: no $TOOL (apt-get install libbpf-tools)" >&2
	exit 0
fi
mkdir -p "$OUT"
make -s O="$O" "$O/libwarden.a"
${CC:-cc} -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude \
	bench/snoop/bench_snoop.c -o "$OUT/bench_snoop" "$O/libwarden.a" -lbpf -lelf -lz -lpthread
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
exec "$OUT/bench_snoop" -t "$TOOL" "$@"
