#!/bin/sh
# self-test.sh - check.sh fails on each kind of bad include, and passes on
# the same tree without it (so layering/tree cannot pass by checking nothing).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

mk() {   # a clean two-module tree
	rm -rf "$tmp/t"
	mkdir -p "$tmp/t/docs" "$tmp/t/include/kupgrade" "$tmp/t/src/lib/low" "$tmp/t/src/lib/high" \
		"$tmp/t/src/cli"
	cat > "$tmp/t/docs/ARCHITECTURE.md" <<'DOC'
# layers
<!-- layering -->
    0  low   low.h
    1  high  high.h
    2  cli
<!-- /layering -->
DOC
	printf '#include "kupgrade/low.h"\n' > "$tmp/t/include/kupgrade/high.h"
	printf '/* low */\n' > "$tmp/t/include/kupgrade/low.h"
	printf '#include "kupgrade/low.h"\n#include "low/low_int.h"\n' > "$tmp/t/src/lib/low/a.c"
	printf '/* private */\n' > "$tmp/t/src/lib/low/low_int.h"
	printf '#include "kupgrade/high.h"\n#include "kupgrade/low.h"\n' > "$tmp/t/src/lib/high/b.c"
	printf '#include "kupgrade/high.h"\n#include "cli.h"\n' > "$tmp/t/src/cli/main.c"
}

expect() {   # expect WHAT STATUS PATTERN
	set +e
	out=$(sh "$here/check.sh" "$tmp/t" 2>&1)
	rc=$?
	set -e
	if [ "$rc" -ne "$2" ] || ! printf '%s\n' "$out" | grep -q -- "$3"; then
		echo "FAIL $1: exit $rc (want $2), output:"
		printf '%s\n' "$out"
		fail=1
	else
		echo "ok   $1"
	fi
}

mk
expect "clean tree passes" 0 ''
mk
printf '#include "kupgrade/high.h"\n' >> "$tmp/t/src/lib/low/a.c"
expect "upward include" 1 'src/lib/low/a.c:3: low (layer 0) includes kupgrade/high.h of high (layer 1): upward include'
mk
printf '#include "kupgrade/high.h"\n' >> "$tmp/t/include/kupgrade/low.h"
expect "upward include in a public header" 1 'include/kupgrade/low.h:2: low (layer 0) includes kupgrade/high.h'
mk
printf '#include "low/low_int.h"\n' >> "$tmp/t/src/lib/high/b.c"
expect "private header of another module" 1 'src/lib/high/b.c:3: high includes low/low_int.h, a private header of low'
mk
printf '#include "low/low_int.h"\n' >> "$tmp/t/src/cli/main.c"
expect "private header from the cli" 1 'src/cli/main.c:3: cli includes low/low_int.h'
mk
printf '/* new */\n' > "$tmp/t/include/kupgrade/new.h"
expect "header not in the table" 1 'include/kupgrade/new.h: header not in the layering table'
mk
mkdir "$tmp/t/src/lib/extra"
expect "module not in the table" 1 'src/lib/extra: module not in the layering table'
mk
printf '#include "kupgrade/nosuch.h"\n' >> "$tmp/t/src/lib/high/b.c"
expect "unknown header" 1 'includes kupgrade/nosuch.h, which the layering table does not name'
exit $fail
