#!/bin/bash
# bench/ringbuf/run.sh [BUILD_DIR] [bench options]: build and run the ring
# buffer / perf buffer consumer benchmark (warden against libbpf, same run).
# libbpf is linked here only.  Needs root.  About 70 s with the defaults (17 phases
# of 2 s, then the consumers alone draining filled rings).
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${1:-build}
shift || true
OUT=$O/bench/ringbuf
mkdir -p "$OUT"
make -s O="$O" "$O/libwarden.a"
ARCH_INC=/usr/include/$(${CC:-cc} -dumpmachine)
${CLANG:-clang} -target bpf -g -O2 -I"$ARCH_INC" -D__TARGET_ARCH_x86 \
	-c bench/ringbuf/producer.bpf.c -o "$OUT/producer.bpf.o"
${CC:-cc} -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude \
	bench/ringbuf/bench.c -o "$OUT/bench" "$O/libwarden.a" -lbpf -lelf -lz -lpthread
exec "$OUT/bench" "$@" "$OUT/producer.bpf.o"
