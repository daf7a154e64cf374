#!/bin/sh
# make fuzz: seed each target's corpus from the test objects, run it for N
# seconds, then print one line per target: inputs, executions/s, coverage,
# findings.  usage: fuzz/run.sh BUILD_DIR SECONDS TARGET...
set -u
O=$1; SECS=$2; shift 2
F=$O/fuzz
WARDEN_FUZZ_OBJ=${WARDEN_FUZZ_OBJ:-$O/bpf/core_fields.o}
export WARDEN_FUZZ_OBJ
objs=$(ls "$O"/bpf/*.o)

# seeds/<target>/: whole objects, or the section the target parses
seed() { # target
	d=$F/seeds/$1; rm -rf "$d"; mkdir -p "$d"
	case $1 in
	elf|core) cp $objs "$d"/ ;;
	btf|btf_ext)
		sec=.BTF; [ "$1" = btf_ext ] && sec=.BTF.ext
		for o in $objs; do
			n=$(basename "$o" .o)
			llvm-objcopy --dump-section "$sec=$d/$n" "$o" "$d/.tmp" 2>/dev/null
			rm -f "$d/.tmp"
		done ;;
	verify_log) cp fuzz/seeds/verify_log/* "$d"/ ;;
	esac
}

printf '%-11s %8s %8s %10s %8s %8s  %s\n' target seeds corpus execs/s cov ft findings
status=0
for t in "$@"; do
	seed "$t"
	corpus=$F/corpus/$t; mkdir -p "$corpus" "$F/findings/$t"
	log=$F/$t.log
	"$F/fuzz_$t" -max_total_time="$SECS" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 \
		-artifact_prefix="$F/findings/$t/" "$corpus" "$F/seeds/$t" >"$log" 2>&1
	rc=$?
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	found=$(ls "$F/findings/$t" | wc -l)
	[ "$rc" -ne 0 ] && status=1
	printf '%-11s %8s %8s %10s %8s %8s  %s\n' "$t" "$(ls "$F/seeds/$t" | wc -l)" \
		"$(ls "$corpus" | wc -l)" "${eps:-?}" "${cov:-?}" "${ft:-?}" \
		"$found$( [ "$found" -gt 0 ] && echo " in $F/findings/$t (log: $log)")"
done
exit $status
