#!/bin/bash
# scripts/run-tests.sh BUILD_DIR: the whole suite, as `make check` runs it.
#   1. every test group on this host's kernel
#   2. the same suite built with ASan+UBSan
#   3. the kernel matrix: QEMU guests (5.10, 6.1, 6.12) and an emulated RHEL 7
#      (skip with WARDEN_MATRIX=0)
# It closes with one line "N passed, N failed, N skipped" summed over all runs.
set -uo pipefail
O=${1:-build}
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0 status=0

tally() { # $1 = log file: add its "GROUP: N passed, N failed, N skipped" lines
	local p f s
	read -r p f s < <(awk '/^[a-z]+: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$/ \
		{ p += $2; f += $4; s += $6 } END { print p + 0, f + 0, s + 0 }' "$1")
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

run_suite() { # $1 = label, $2 = runner, $3 = file to keep the log in (optional), $4.. = runner args
	local log; log=${3:-$(mktemp)}
	echo "=== $1"
	# cmocka's per-test banners stay in the log; failures and skips are shown
	WARDEN_OBJ_DIR=$O/bpf WARDEN_BIN=$O/warden "$2" "${@:4}" >"$log" 2>&1
	local rc=$?
	grep -E '^(SKIP |\[  FAILED  \] [a-z_]|ERROR)' "$log" | awk '!seen[$0]++' || true
	grep -E '^[a-z]+: [0-9]+ passed' "$log"
	if [ $rc -ne 0 ]; then
		status=1
		echo "($1: exit status $rc; full log in $log)"
	fi
	tally "$log"
}

host_log=$(mktemp)
run_suite "host kernel $(uname -r)" "$O/tests/warden-test" "$host_log"
# The real-world corpus (tests/corpus/build.sh, cached in vm/.cache/corpus):
# on the host before the guests, which get the objects it keeps.
run_suite "corpus of objects written by others, on this host" "$O/tests/warden-test" "" --group corpus
if [ -x "$O/asan/tests/warden-test" ]; then
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		run_suite "ASan+UBSan build" "$O/asan/tests/warden-test"
fi

if [ "${WARDEN_MATRIX:-1}" != 0 ]; then
	echo "=== kernel matrix (vm/matrix.sh; WARDEN_MATRIX=0 skips it)"
	cache=${MATRIX_CACHE:-vm/.cache}
	rm -f "$cache"/logs/*.results
	MATRIX_BUILD_DIR=$PWD/$O ./vm/matrix.sh --no-host || status=1
	for r in "$cache"/logs/*.results; do
		[ -f "$r" ] || continue
		read -r p f s < <(awk '/^@@MATRIX / { p += $3; f += $4; s += $5 } END { print p + 0, f + 0, s + 0 }' "$r")
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	done
fi

# Every test this host skips for lack of a kernel feature must pass in at
# least one guest: list where each ran.
if [ "${WARDEN_MATRIX:-1}" != 0 ]; then
	echo "=== host skips, and the guests where those tests passed"
	grep -E '^SKIP ' "$host_log" | awk '!seen[$0]++' | while read -r _ name reason; do
		name=${name%:}
		where=$(grep -l -F "[       OK ] $name" "$cache"/logs/*.log 2>/dev/null |
			xargs -r -n1 basename | sed 's/\.log$//' | grep -v -e '^host$' -e RHEL7 | tr '\n' ' ')
		printf '  %-52s %s\n' "$name" "${where:+passed on: }${where:-NOT RUN ON ANY KERNEL ($reason)}"
	done
fi

[ $failed -gt 0 ] && status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
