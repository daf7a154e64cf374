#!/bin/bash
# scripts/public-symbols.sh HEADER...: the functions the public headers
# declare, one per line, sorted: what a library built from lib/ may export
# (scripts/mkmap.sh turns it into the linker version script) and what the
# exported-symbol test compares `nm -D` against.  The headers are run
# through the preprocessor, so comments and macros do not count; static
# inline helpers and function-pointer typedefs are not exported functions.
set -euo pipefail
cd "$(dirname "$0")/.."
for h in "$@"; do
	echo "#include \"${h#include/}\""
done | ${CC:-cc} -E -P -D_GNU_SOURCE -Iinclude -x c - |
	tr '\n' ' ' | sed 's/[;{}]/&\n/g' |
	grep -v -e 'static' -e 'typedef' |
	grep -oE '\bwd_[a-z0-9_]+ *\(' | grep -v '(\*' |
	sed 's/ *($//' | sort -u
