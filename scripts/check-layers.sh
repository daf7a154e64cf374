#!/bin/bash
# scripts/check-layers.sh BUILD_DIR: folders are layers, and layers only look down.
#
# Reads two kinds of arrows:
#   includes   #include "x.h" of every source, resolved as the compiler does
#              (own folder, then -Ilib -Iinclude -I.);
#   calls      from the objects of BUILD_DIR: a file that uses a symbol that
#              another file defines (nm), so a lower file calling back into a
#              higher one is seen even without an include.
# Fails, naming each pair, on an arrow from a folder to one it may not use
# (see ALLOWED) and on any circle between files (tsort).  `make check` runs it.
# BUILD_DIR "-" reads includes only; LAYERS_ROOT checks another tree (tests).
set -uo pipefail
O=${1:-build}
cd "${LAYERS_ROOT:-$(dirname "$0")/..}"

# What each folder may use besides itself.  include/warden is the public API:
# everything above lib/ sees libwarden through it alone.  bpf/include holds
# the record layouts the agent's BPF programs and its decoder share.
declare -A ALLOWED=(
	[lib/sys]="include/warden"
	[lib/spec]="lib/sys include/warden"
	[lib/host]="lib/sys lib/spec include/warden"
	[lib/load]="lib/sys lib/host lib/spec include/warden"
	[lib/attach]="lib/sys lib/host lib/spec lib/load include/warden"
	[lib/events]="lib/sys lib/host lib/spec lib/load include/warden"
	[include/warden]=""
	[diag]="include/warden"
	[agent]="include/warden bpf/include"
	[fleet]="agent include/warden"
	[cli]="include/warden diag agent fleet"
)
bad=0
folder_of() { # path -> its layer folder
	case $1 in
	lib/*/*) echo "${1%/*}" ;;
	bpf/include/*) echo bpf/include ;;
	include/warden/*) echo include/warden ;;
	*/*) echo "${1%%/*}" ;;
	*) echo . ;;
	esac
}
may_use() { # from to
	[ "$1" = "$2" ] && return 0
	local a
	for a in ${ALLOWED[$1]-}; do [ "$a" = "$2" ] && return 0; done
	return 1
}
resolve() { # includer name -> path or ""
	local d; d=$(dirname "$1")
	for p in "$d/$2" "lib/$2" "include/$2" "$2"; do
		[ -f "$p" ] && { realpath --relative-to=. "$p"; return; }
	done
}

edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
sources=$(find lib diag agent fleet cli include/warden -name '*.[ch]' 2>/dev/null | sort)
for f in $sources; do
	from=$(folder_of "$f")
	[ -n "${ALLOWED[$from]+x}" ] || { echo "layers: $f: folder $from has no place in ALLOWED"; bad=1; continue; }
	while read -r name; do
		t=$(resolve "$f" "$name")
		[ -n "$t" ] || continue
		to=$(folder_of "$t")
		if ! may_use "$from" "$to"; then
			echo "layers: include runs up or across: $f -> $t ($from may use: ${ALLOWED[$from]:-nothing})"
			bad=1
		fi
		[ "${f%.*}" != "${t%.*}" ] && echo "${f%.*} ${t%.*}" >>"$edges"
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done

# Calls: symbol -> defining unit, then each unit's undefined symbols.
if [ "$O" = - ]; then
	:
elif [ -d "$O" ]; then
	defs=$(mktemp); uses=$(mktemp)
	for obj in $(find "$O"/lib "$O"/diag "$O"/agent "$O"/fleet "$O"/cli -name '*.o' 2>/dev/null | grep -v -e /asan/ -e /clang/); do
		unit=${obj#"$O"/}; unit=${unit%.o}
		[ -f "$unit.c" ] || continue    # a stale object of a removed file
		nm "$obj" | awk -v u="$unit" '$2 ~ /^[TDBRCV]$/ { print $3, u }' >>"$defs"
		nm -u "$obj" | awk -v u="$unit" '{ print $2, u }' >>"$uses"
	done
	# the public API: every wd_ name the public headers declare
	public=" $(grep -oh '\bwd_[a-z0-9_]*' include/warden/*.h | sort -u | tr '\n' ' ') "
	while read -r sym def user; do
		[ "$user" = "$def" ] && continue
		from=$(folder_of "$user.c") to=$(folder_of "$def.c")
		# above lib/, libwarden is one layer seen through include/warden
		[ "${from#lib/}" = "$from" ] && [ "${to#lib/}" != "$to" ] &&
			[[ $public == *" $sym "* ]] && to=include/warden
		if ! may_use "$from" "$to"; then
			echo "layers: call runs up or across: $user.c -> $def.c ($sym)"
			bad=1
		fi
		echo "$user $def" >>"$edges"
	done < <(join <(sort -u "$defs") <(sort -u "$uses") | sort -u)
	rm -f "$defs" "$uses"
else
	echo "layers: no build in $O: calls not checked"
	bad=1
fi

# A unit is a .c with its .h: a circle is units that reach each other.
if ! loop=$(tsort "$edges" 2>&1 >/dev/null) || [ -n "$loop" ]; then
	echo "layers: import circle among:" $(echo "$loop" | grep -v 'input contains a loop' |
		sed 's/^tsort: //' | awk '!seen[$0]++')
	bad=1
fi
[ $bad = 0 ] && echo "layers: ok ($(echo "$sources" | wc -w) files, $(sort -u "$edges" | wc -l) arrows, no circle, none upward)"
exit $bad
