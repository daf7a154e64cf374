#!/bin/sh
# valgrind memcheck of the CLI over every test object (issue 13): inspect,
# inspect --resolve, load and doctor FILE.o.  Prints one line per run with
# errors and definitely lost bytes, then the totals; exits 1 unless every run
# has 0 errors and 0 bytes definitely lost.
#   usage: scripts/valgrind-cli.sh [BUILD_DIR] (make valgrind)
set -u
O=${1:-build}
W=$O/warden
LOGDIR=$O/valgrind; rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"
runs=0 bad=0 errors=0 lost=0
for obj in "$O"/bpf/*.o; do
	for cmd in "inspect" "inspect --resolve" "load" "doctor"; do
		n=$(basename "$obj" .o); log=$LOGDIR/$n.$(echo "$cmd" | tr -c 'a-z\n' _).log
		valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
			--errors-for-leak-kinds=definite --track-fds=no --log-file="$log" \
			$W $cmd "$obj" >/dev/null 2>&1
		e=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -1)
		d=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tr -d , | tail -1)
		e=${e:-0}; d=${d:-0}; runs=$((runs + 1))
		errors=$((errors + e)); lost=$((lost + d))
		if [ "$e" != 0 ] || [ "$d" != 0 ]; then
			bad=$((bad + 1)); echo "FAIL $n: warden $cmd: $e errors, $d bytes definitely lost ($log)"
		fi
	done
done
echo "valgrind: $runs runs over $(ls "$O"/bpf/*.o | wc -l) objects: $errors errors, $lost bytes definitely lost, $bad runs failing"
[ "$bad" = 0 ]
