#!/bin/bash
# vm/guest-btf.sh [CACHE]: the vmlinux BTF of every guest kernel the matrix
# has cached (CACHE/kernels/<package>/boot/vmlinuz-<release>, default
# vm/.cache), for host-side tests that need no VM: CACHE/btf/<release>.btf.
# A bzImage carries vmlinux compressed (gzip, xz, zstd or lz4, as the kernel
# was configured) after its setup code: each place where a compressor's magic
# bytes occur is tried until one decompresses to an ELF file, whose .BTF
# section is the kernel's BTF (CONFIG_DEBUG_INFO_BTF).  Files already there
# are kept; each new one appears whole (written aside, then renamed).
# Prints one line per kernel; exit 0 when every kernel gave its BTF.
set -uo pipefail
CACHE=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/.cache}
out=$CACHE/btf
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out" || exit 1

# magic (grep -P) and the command that decompresses a stream starting there
methods=(
	'\x1f\x8b\x08|gzip -dc'
	'\xfd\x37\x7a\x58\x5a\x00|xz -dc --single-stream'
	'\x28\xb5\x2f\xfd|zstd -dc'
	'\x02\x21\x4c\x18|lz4 -dc'
)

is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }

# extract_vmlinux IMAGE OUT: 0 when OUT is the ELF vmlinux inside IMAGE
extract_vmlinux() {
	local img=$1 m magic cmd off
	for m in "${methods[@]}"; do
		magic=${m%%|*} cmd=${m#*|}
		command -v "${cmd%% *}" >/dev/null || continue
		while read -r off; do
			tail -c +$((off + 1)) "$img" | $cmd >"$2" 2>/dev/null
			is_elf "$2" && return 0
		done < <(LC_ALL=C grep -obUaP "$magic" "$img" | cut -d: -f1)
	done
	return 1
}

rc=0
for img in "$CACHE"/kernels/*/boot/vmlinuz-*; do
	[ -f "$img" ] || continue
	rel=${img##*/vmlinuz-}
	if [ -s "$out/$rel.btf" ]; then
		echo "$rel: $out/$rel.btf (cached)"
		continue
	fi
	if ! extract_vmlinux "$img" "$tmp/vmlinux"; then
		echo "$rel: no compressed vmlinux found in $img (gzip/xz/zstd/lz4 tools installed?)" >&2
		rc=1
		continue
	fi
	if ! objcopy -O binary --only-section=.BTF "$tmp/vmlinux" "$tmp/btf" || [ ! -s "$tmp/btf" ]; then
		echo "$rel: vmlinux has no .BTF section (CONFIG_DEBUG_INFO_BTF off?)" >&2
		rc=1
		continue
	fi
	if ! mv "$tmp/btf" "$out/$rel.btf.$$" || ! mv "$out/$rel.btf.$$" "$out/$rel.btf"; then
		rc=1
		continue
	fi
	echo "$rel: $out/$rel.btf"
done
rm -f "$tmp/vmlinux"
exit $rc
