#!/bin/sh
# bench/core: build against an existing build dir and run.
#   bench/core/run.sh [BUILD_DIR] [ROUNDS]      (default: build, 20; run as root)
# Needs: make O=BUILD_DIR all (libwarden.a and the CO-RE test objects).
set -e
cd "$(dirname "$0")/../.."
O=${1:-build}
ROUNDS=${2:-20}
CC=${CC:-cc}
mkdir -p "$O/bench"
$CC -std=gnu11 -O2 -g -Wall -Wextra -Werror -Iinclude -Ilib -D_GNU_SOURCE \
	bench/core/bench_core.c bench/core/bench_wd.c "$O/libwarden.a" \
	-lbpf -lelf -lz -lpthread -o "$O/bench/bench_core"
exec "$O/bench/bench_core" "$O/bpf" "$ROUNDS"
