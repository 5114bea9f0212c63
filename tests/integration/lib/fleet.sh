# tests/integration/lib/fleet.sh - helpers of the fleet_*.sh integration tests.
#
#   . "$(dirname "$0")/lib/fleet.sh"
#   fleet_setup               # $W: a fresh copy of examples/fleet (profiles regenerated)
#   fleet_exactly_once        # every step in $W/driver.log started once and ended once
#   fleet_all_at 1.35         # every profile in $W/clusters at that version
#   fleet_no_overlap          # no two runs on one cluster overlap in time
# Failures print "FAIL: ..." and return 1.

FLEET_SRC=$(cd "$(dirname "$0")/../../examples/fleet" && pwd)

fleet_log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
fleet_fail() { printf '%s: FAIL: %s\n' "$(basename "$0")" "$*" >&2; return 1; }

fleet_setup() {
	W=$(mktemp -d "${TMPDIR:-/tmp}/kup-fleet-test.XXXXXX") || return 1
	cp -R "$FLEET_SRC/." "$W/" || return 1
	rm -f "$W/driver.log" "$W/fail.list" "$W/unhealthy.list"
	"$W/gen.sh" || return 1
	export W
}

fleet_cleanup() { [ -n "${W:-}" ] && rm -rf "$W"; }

# Every (cluster, type, component, version) started exactly once and ended once;
# a run that failed (a "fail" line of the same pid: `fleet retry` runs it again) is
# not counted.
fleet_exactly_once() {
	log=${1:-$W/driver.log}
	[ -s "$log" ] || { fleet_fail "the driver log $log is empty"; return 1; }
	dup=$(awk '$3=="fail"{failed[$2]=1} {line[NR]=$0; pid[NR]=$2; kind[NR]=$3}
		END { for (i = 1; i <= NR; i++) if (kind[i]=="start" && !failed[pid[i]]) { split(line[i], f, " "); print f[4], f[5], f[6], f[7] } }' "$log" |
		sort | uniq -d)
	if [ -n "$dup" ]; then
		fleet_fail "steps that ran more than once:"
		printf '%s\n' "$dup" >&2
		return 1
	fi
	starts=$(awk '$3=="start"' "$log" | wc -l)
	ends=$(awk '$3=="end" || $3=="fail"' "$log" | wc -l)
	if [ "$starts" != "$ends" ]; then
		fleet_fail "$starts driver runs started but $ends ended"
		return 1
	fi
	fleet_log "exactly once: $starts steps, each started and ended once"
}

# Every cluster's control plane and node pools at version $1.
fleet_all_at() {
	bad=$(grep -H 'version: "' "$W"/clusters/*.yaml | grep -v "version: \"$1\"" || true)
	if [ -n "$bad" ]; then
		fleet_fail "not at $1:"
		printf '%s\n' "$bad" | head -20 >&2
		return 1
	fi
}

# No two driver runs on one cluster overlap: start/end lines of a cluster alternate.
fleet_no_overlap() {
	log=${1:-$W/driver.log}
	out=$(sort -n "$log" | awk '$3=="start"{ if (open[$4]) { print "overlap on " $4 ": " $0; } open[$4]=1 }
		$3=="end" || $3=="fail" { open[$4]=0 }')
	if [ -n "$out" ]; then
		fleet_fail "driver runs overlap:"
		printf '%s\n' "$out" | head >&2
		return 1
	fi
}
