#!/bin/sh
# vm/run-groups.sh RESULTS GROUP...: run the warden test runner once per group
# and append one marker line per group to RESULTS:
#   @@MATRIX <group> <passed> <failed> <skipped> <rc>   runner printed its closing line
#   @@MATRIX <group> - - - <rc>                         no closing line (crash, abort)
#   @@MATRIX <group> timeout - - <rc>                   killed after MATRIX_GROUP_TIMEOUT s
# POSIX sh on purpose: the same file runs on the host (bash/dash) and inside
# the guest (busybox ash), so both rows are parsed the same way.
# Env: RUNNER (path of warden-test), WARDEN_OBJ_DIR, MATRIX_GROUP_TIMEOUT (s),
#      WARDEN_EMULATE (passed through to the runner).
results=$1
shift
: "${RUNNER:?RUNNER unset}" "${WARDEN_OBJ_DIR:?WARDEN_OBJ_DIR unset}"
export WARDEN_OBJ_DIR
tmp=${TMPDIR:-/tmp}/run-groups.$$
mkdir -p "$tmp"

for g in "$@"; do
	echo "=== group $g: $RUNNER --group $g"
	# Pipe through tee so a watcher sees output live; the rc survives in a file.
	{ timeout "${MATRIX_GROUP_TIMEOUT:-300}" "$RUNNER" --group "$g" 2>&1; echo $? >"$tmp/rc"; } |
		tee "$tmp/out"
	rc=$(cat "$tmp/rc")
	# The runner's closing line, e.g. "attach: 3 passed, 0 failed, 1 skipped".
	last=$(grep -E "^$g: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped\$" "$tmp/out" | tail -n 1)
	if [ -n "$last" ]; then
		# shellcheck disable=SC2086 # split "g: P passed, F failed, S skipped" into words
		set -- $last
		marker="@@MATRIX $g $2 $4 $6 $rc"
	elif [ "$rc" = 124 ] || [ "$rc" = 143 ]; then
		# coreutils timeout exits 124; busybox timeout returns the child's 128+SIGTERM.
		marker="@@MATRIX $g timeout - - $rc"
	else
		marker="@@MATRIX $g - - - $rc"
	fi
	echo "$marker"
	echo "$marker" >>"$results"
done
rm -rf "$tmp"
