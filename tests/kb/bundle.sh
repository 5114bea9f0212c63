#!/bin/sh
# `kupgrade kb update BUNDLE` and `kb status`: a newer, valid bundle is
# installed into $XDG_DATA_HOME/kupgrade/kb and used instead of the embedded
# knowledge base; a bundle that is not newer, fails its MANIFEST, holds an
# unexpected member or does not validate changes nothing.
#   $1 the kupgrade binary
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
top="$here/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_DATA_HOME="$tmp/share"
fail=0
check() { # check NAME STATUS
	if [ "$2" -ne 0 ]; then
		echo "FAIL: $1"
		fail=1
	fi
}
mkbundle() { # mkbundle OUT DATA_DIR
	"$top/scripts/kb-bundle" "$1" "$2" >/dev/null
}
embedded=$("$bin" version | sed -n 's/^knowledge base: \([0-9-]*\) .*/\1/p')

# A copy of data/ one day "newer" (a checked: date after the embedded one).
mkdir "$tmp/new"
cp "$top"/data/*.yaml "$tmp/new/"
sed -i 's/^    checked: "[0-9-]*"$/    checked: "2099-01-02"/' "$tmp/new/addons.yaml"
grep -q '2099-01-02' "$tmp/new/addons.yaml"
check "the test bundle carries the date 2099-01-02" $?

# Not newer than the embedded knowledge base: refused.
mkbundle "$tmp/same.tar" "$top/data"
"$bin" kb update "$tmp/same.tar" >"$tmp/out" 2>"$tmp/err"
check "a bundle of the embedded KB exits 1" $(($? != 1))
grep -q "is not newer than $embedded" "$tmp/err"
check "refused as not newer than $embedded" $?
[ ! -e "$XDG_DATA_HOME/kupgrade/kb" ]
check "nothing installed after a refused bundle" $?

# Tampered: one byte of a file changed after the MANIFEST was written.
mkbundle "$tmp/new.tar" "$tmp/new"
cp "$tmp/new.tar" "$tmp/bad.tar"
python3 - "$tmp/bad.tar" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.index(b"schema: kupgrade.dev/kb/addons/v1")
b[i] = ord("S")
open(p, "wb").write(b)
PY
"$bin" kb update "$tmp/bad.tar" >"$tmp/out" 2>"$tmp/err"
check "a tampered bundle exits 1" $(($? != 1))
grep -q "'addons.yaml' does not match its sha256 in MANIFEST" "$tmp/err"
check "the tampered file is named" $?
[ ! -e "$XDG_DATA_HOME/kupgrade/kb" ]
check "nothing installed after a tampered bundle" $?

# Truncated, or not a tar at all: refused.
head -c 1500 "$tmp/new.tar" >"$tmp/trunc.tar"
"$bin" kb update "$tmp/trunc.tar" >"$tmp/out" 2>"$tmp/err"
check "a truncated bundle exits 1" $(($? != 1))
grep -q "is truncated\|no end-of-archive marker" "$tmp/err"
check "the truncation is reported" $?
"$bin" kb update "$top/data/addons.yaml" >"$tmp/out" 2>"$tmp/err"
check "a YAML file as bundle exits 1" $(($? != 1))
grep -q "is not a ustar header" "$tmp/err"
check "a non-tar bundle is reported" $?

# A member outside data/: refused.
mkdir -p "$tmp/evil/data"
cp "$tmp/new"/*.yaml "$tmp/evil/data/"
printf 'kupgrade-kb-bundle 1\n' >"$tmp/evil/MANIFEST"
echo x >"$tmp/evil/extra.sh"
tar --format=ustar -cf "$tmp/evil.tar" -C "$tmp/evil" MANIFEST data extra.sh
"$bin" kb update "$tmp/evil.tar" >"$tmp/out" 2>"$tmp/err"
check "a bundle with an extra member exits 1" $(($? != 1))
grep -q "unexpected member 'extra.sh'" "$tmp/err"
check "the extra member is named" $?

# Valid MANIFEST, invalid knowledge base: every problem reported, nothing installed.
mkdir "$tmp/broken"
cp "$tmp/new"/*.yaml "$tmp/broken/"
sed -i '0,/^    hop: /s/^    hop: .*/    hop: sideways/' "$tmp/broken/addons.yaml"
mkbundle "$tmp/broken.tar" "$tmp/broken"
"$bin" kb update "$tmp/broken.tar" >"$tmp/out" 2>"$tmp/err"
check "an invalid KB exits 1" $(($? != 1))
grep -q "addons.yaml:[0-9]*:[0-9]*: unknown hop rule 'sideways'" "$tmp/err"
check "the problem is reported as file:line:column" $?
[ ! -e "$XDG_DATA_HOME/kupgrade/kb" ]
check "nothing installed after an invalid KB" $?

# The newer bundle: installed and in use.
"$bin" kb update "$tmp/new.tar" >"$tmp/out" 2>"$tmp/err"
check "the newer bundle installs (exit 0)" $?
grep -q "installed the knowledge base of 2099-01-02" "$tmp/out"
check "update reports the installed date" $?
[ -L "$XDG_DATA_HOME/kupgrade/kb" ] && [ -f "$XDG_DATA_HOME/kupgrade/kb/addons.yaml" ]
check "kb is a symlink to the unpacked bundle" $?
"$bin" kb status >"$tmp/out" 2>"$tmp/err"
grep -q "^in use:    installed" "$tmp/out" && grep -q "2099-01-02" "$tmp/out"
check "kb status: the installed KB is in use" $?
"$bin" version >"$tmp/out" 2>&1
grep -q "^knowledge base: 2099-01-02 ($XDG_DATA_HOME/kupgrade/kb)" "$tmp/out"
check "version names the installed KB" $?
first=$(readlink "$XDG_DATA_HOME/kupgrade/kb")

# A failed update keeps the installed one.
"$bin" kb update "$tmp/bad.tar" >/dev/null 2>&1
[ "$(readlink "$XDG_DATA_HOME/kupgrade/kb")" = "$first" ]
check "a failed update leaves the installed KB in place" $?

# An even newer one replaces it, and the old directory goes.
sed -i 's/"2099-01-02"/"2099-01-03"/' "$tmp/new/addons.yaml"
mkbundle "$tmp/newer.tar" "$tmp/new"
"$bin" kb update "$tmp/newer.tar" >/dev/null 2>&1
check "a newer bundle replaces the installed one" $?
[ "$(readlink "$XDG_DATA_HOME/kupgrade/kb")" != "$first" ] && [ ! -d "$XDG_DATA_HOME/kupgrade/$first" ]
check "the previous directory is removed" $?
[ "$(find "$XDG_DATA_HOME/kupgrade" -mindepth 1 -maxdepth 1 | wc -l)" -eq 2 ]
check "only kb and its target remain" $?

# An installed KB older than the embedded one is not used.
XDG_DATA_HOME="$tmp/old" "$bin" kb status >"$tmp/out" 2>&1
grep -q "^in use:    embedded" "$tmp/out"
check "without an installed KB the embedded one is in use" $?
exit $fail
