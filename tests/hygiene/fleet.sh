#!/bin/sh
# tests/hygiene/fleet.sh KUPGRADE - what the fleet keeps and shows is safe to keep and show:
# the SQLite store and the report are created 0600 whatever the umask; a driver's
# output loses its terminal escape sequences (colours, titles, hyperlinks, cursor
# moves) and its secrets before it is stored, shown by `fleet events` or put in
# the HTML report.
set -u
K=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
fail=0
ff() { echo "hygiene/fleet.sh: FAIL: $*" >&2; fail=1; }
cat >c1.yaml <<'EOP'
apiVersion: kupgrade.dev/v1alpha1
kind: ClusterProfile
metadata: {name: c1}
spec:
  controlPlane: {version: "1.34"}
  nodePools: [{name: general, version: "1.34", count: 3}]
EOP
# the driver paints, sets the window title, writes a hyperlink, moves the cursor and
# echoes the store's password (which must be masked), then fails
cat >drv.sh <<'EOP'
#!/bin/sh
printf '\033[1;31mFAILED\033[0m \033]0;pwned-title\007\033]8;;http://evil.example\033\\click\033]8;;\033\\ \033[2J\033[Hcleared\r\nstore postgresql://kup:HygienePw99@db/x\n'
exit 7
EOP
chmod +x drv.sh
cat >fleet.yaml <<'EOP'
apiVersion: kupgrade.dev/v1alpha1
kind: Fleet
metadata: {name: hygiene}
spec:
  target: {version: "1.35"}
  clusters:
    - {name: c1, profile: c1.yaml, labels: {env: dev}}
  waves:
    - {name: dev, selector: {env: dev}}
  driver:
    control-plane: "./drv.sh"
    nodepool: "./drv.sh"
    verify: "true"
EOP
umask 000
"$K" fleet run fleet.yaml --store sqlite:fleet.db --once >run.out 2>run.err
mode=$(stat -c %a fleet.db)
[ "$mode" = 600 ] || ff "the store was created $mode under umask 000 (want 600)"
"$K" fleet events --store sqlite:fleet.db >events.txt 2>&1
"$K" fleet events --store sqlite:fleet.db -o json >events.json 2>&1
"$K" fleet status fleet.yaml --store sqlite:fleet.db >status.txt 2>&1
"$K" fleet report fleet.yaml report.html --store sqlite:fleet.db >report.out 2>&1
[ -f report.html ] || ff "no report written: $(cat report.out)"
mode=$(stat -c %a report.html 2>/dev/null)
[ "$mode" = 600 ] || ff "the report was created $mode under umask 000 (want 600)"
grep -q 'FAILED' events.json || ff "the driver's output is not in the events"
grep -q 'FAILED' report.html || ff "the driver's output is not in the report"
for f in run.out run.err events.txt events.json status.txt report.html fleet.db; do
	# (the store is binary: an 0x1b byte in it is a page number, not an escape)
	if [ "$f" != fleet.db ] && LC_ALL=C grep -q "$(printf '\033')" "$f"; then ff "$f holds an ESC byte"; fi
	if grep -aq 'u001b\|\\x1b\|\\033\|pwned-title\|evil.example\|\[2J\|\[0m' "$f"; then
		ff "$f holds what is left of an escape sequence: $(grep -o '.\{0,20\}\(u001b\|pwned-title\|evil.example\|\[2J\|\[0m\).\{0,20\}' "$f" | head -n 2)"
	fi
	if grep -aq 'HygienePw99' "$f"; then ff "$f holds the password"; fi
done
grep -q 'FAILED click cleared' events.json || ff "the text around the escapes is not kept: $(grep -o 'FAILED.\{0,40\}' events.json | head -n 1)"
grep -q 'postgresql://kup:\*\*\*@db/x' events.json || ff "the password is not masked in the events"
[ "$fail" = 0 ] && echo "hygiene/fleet.sh: PASS"
exit $fail
