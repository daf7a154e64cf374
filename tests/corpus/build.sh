#!/bin/bash
# tests/corpus/build.sh BUILD_DIR: the real-world corpus for the "corpus" test
# group.  BPF programs written by others, taken from Debian's linux-source-6.1
# (the kernel's BPF selftests, tools/testing/selftests/bpf/progs, which are
# libbpf's own test corpus, and samples/bpf), built with Debian's clang against
# a vmlinux.h of the running kernel's BTF and libbpf-dev's headers.  Nothing of
# their code is in this repository: it is downloaded (apt-get download) and
# unpacked (dpkg-deb -x) into a cache, as vm/ does for kernels.
#
# Kept: the objects that build and that libbpf (`bpftool prog loadall`) loads
# whole on this kernel.  They are copied, with bpftool for the guests, into
# BUILD_DIR/tests/data/corpus/ (vm/matrix.sh copies tests/data/ into every
# guest).  Everything is cached in $CORPUS_CACHE (vm/.cache/corpus): a second
# run only copies.  Prints "corpus: tried N, built N, kept N (libbpf loads
# whole here) in S s".
set -uo pipefail
O=${1:-build}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${CORPUS_CACHE:-$REPO/vm/.cache/corpus}
PKG=linux-source-6.1
SRC=$CACHE/$PKG
OUT=$CACHE/objs
DEST=$O/tests/data/corpus
BPFTOOL=${BPFTOOL:-$(command -v bpftool || echo /usr/sbin/bpftool)}
CLANG=${CLANG:-clang}
JOBS=${JOBS:-$(nproc)}

say() { echo "corpus: $*" >&2; }
die() { say "$*"; exit 1; }
start=$(date +%s)

# ---- sources ----------------------------------------------------------------
fetch_sources() {
	[ -d "$SRC/tools/testing/selftests/bpf/progs" ] && return 0
	mkdir -p "$CACHE/debs" "$CACHE/deb"
	if ! compgen -G "$CACHE/debs/${PKG}_*.deb" >/dev/null; then
		say "apt-get download $PKG (about 140 MB, once)"
		(cd "$CACHE/debs" && apt-get download "$PKG" >&2) || die "apt-get download $PKG failed (apt-get update?)"
	fi
	dpkg-deb -x "$(compgen -G "$CACHE/debs/${PKG}_*.deb" | head -1)" "$CACHE/deb" || die "dpkg-deb -x failed"
	# Only what the BPF programs need: the selftests, the samples, tools' uapi headers.
	tar -xJf "$CACHE/deb/usr/src/$PKG.tar.xz" -C "$CACHE" --wildcards \
		"$PKG/tools/testing/selftests/bpf/*" "$PKG/samples/bpf/*" "$PKG/tools/include/*" ||
		die "cannot unpack $PKG.tar.xz"
	rm -rf "$CACHE/deb"
}

# ---- build ------------------------------------------------------------------
# The selftests' own flags (tools/testing/selftests/bpf/Makefile, 6.1):
# -g -O2 -target bpf -mcpu=v3, the system include dirs after the BPF ones.
sys_includes() {
	"$CLANG" -v -E - </dev/null 2>&1 | sed -n '/<...> search starts here:/,/End of search list./p' |
		grep '^ /' | sed 's/^ /-idirafter /' | tr '\n' ' '
}

build_all() {
	local st=$SRC/tools/testing/selftests/bpf inc=$CACHE/include
	mkdir -p "$inc" "$OUT"
	[ -s "$inc/vmlinux.h" ] || "$BPFTOOL" btf dump file /sys/kernel/btf/vmlinux format c >"$inc/vmlinux.h" ||
		die "cannot write vmlinux.h from /sys/kernel/btf/vmlinux"
	local flags="-g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -I$inc -I$st -I$st/progs \
		-I$SRC/tools/include/uapi $(sys_includes) -Wno-compare-distinct-pointer-types -w"
	# One object per source; the result of each attempt is cached as
	# OUT/<name>.o (built) or OUT/<name>.fail (clang's first error).
	{
		for f in "$st"/progs/*.c; do echo "st_$(basename "${f%.c}") $f"; done
		for f in "$SRC"/samples/bpf/*_kern.c "$SRC"/samples/bpf/*.bpf.c; do
			[ -f "$f" ] && echo "sample_$(basename "${f%.c}" | sed 's/\.bpf$//') $f"
		done
	} >"$CACHE/sources.list"
	FLAGS=$flags CLANG=$CLANG OUT=$OUT xargs -P "$JOBS" -L 1 sh -c '
		name=$0 src=$1
		[ -e "$OUT/$name.o" ] || [ -e "$OUT/$name.fail" ] && exit 0
		if $CLANG $FLAGS -I"$(dirname "$src")" -c "$src" -o "$OUT/$name.o.tmp" 2>"$OUT/$name.err"; then
			mv "$OUT/$name.o.tmp" "$OUT/$name.o"; rm -f "$OUT/$name.err"
		else
			grep -m1 "error:" "$OUT/$name.err" >"$OUT/$name.fail" || echo "clang failed" >"$OUT/$name.fail"
			rm -f "$OUT/$name.o.tmp" "$OUT/$name.err"
		fi' <"$CACHE/sources.list"
}

# ---- select -----------------------------------------------------------------
# bpftool prog loadall OBJ DIR.  Maps with LIBBPF_PIN_BY_NAME are pinned
# at /sys/fs/bpf/<map> by libbpf: those that appear during the load go again.
loadall() {
	local before rc f
	before=$(ls /sys/fs/bpf)
	rm -rf "$2" 2>/dev/null
	timeout 120 "$BPFTOOL" prog loadall "$1" "$2" >"$CACHE/loadall.out" 2>&1
	rc=$?
	for f in $(ls /sys/fs/bpf); do
		[ -f "/sys/fs/bpf/$f" ] && ! grep -qx "$f" <<<"$before" && rm -f "/sys/fs/bpf/$f"
	done
	return $rc
}

# Kept when libbpf loads every program of it here (bpftool prog loadall).
select_loadable() {
	local kernel; kernel=$(uname -r)
	local verdicts=$CACHE/verdicts.$kernel o name dir n=0
	touch "$verdicts"
	[ -d /sys/fs/bpf ] || die "/sys/fs/bpf missing: mount -t bpf bpf /sys/fs/bpf"
	for o in "$OUT"/*.o; do
		name=$(basename "$o" .o)
		grep -q "^$name " "$verdicts" && continue
		# a fresh directory each time (bpffs refuses names with a dot)
		dir=/sys/fs/bpf/wd-corpus-select-$$-$((n++))
		if ! loadall "$o" "$dir"; then
			# libbpf's reason: its first "libbpf: ... failed" style line
			echo "$name refused $(grep -m1 -iE 'error|failed|invalid' "$CACHE/loadall.out" | tr -s ' ' | cut -c1-160)" >>"$verdicts"
		elif [ -z "$(ls -A "$dir" 2>/dev/null)" ]; then
			# no program to compare (type-only CO-RE fixtures, btf_dump
			# cases); `warden load` refuses such an object on purpose
			echo "$name noprog" >>"$verdicts"
		else
			echo "$name loads" >>"$verdicts"
		fi
		rm -rf "$dir" 2>/dev/null
	done
	mkdir -p "$DEST"
	rm -f "$DEST"/*.o
	# DWARF stripped (.BTF and .BTF.ext stay): a third of the size in the
	# guests' initramfs, and neither loader reads DWARF.
	awk '$2 == "loads" { print $1 }' "$verdicts" | while read -r name; do
		llvm-strip -g -o "$DEST/$name.o" "$OUT/$name.o" 2>/dev/null || cp "$OUT/$name.o" "$DEST/"
	done
	cp -L "$BPFTOOL" "$DEST/bpftool"
}

fetch_sources
build_all
select_loadable
tried=$(wc -l <"$CACHE/sources.list")
built=$(compgen -G "$OUT/*.o" | wc -l)
kept=$(compgen -G "$DEST/*.o" | wc -l)
echo "tried $tried built $built kept $kept kernel $(uname -r)" >"$DEST/summary"
say "tried $tried, built $built, kept $kept (libbpf loads whole on $(uname -r)) in $(($(date +%s) - start)) s"
