#!/bin/bash
# tests/torture/run.sh KUPGRADE PATH... - allocation failure at every point (curl's
# "torture"): for each named path (scan, fix, plan, fleet-decide) the command runs once
# to count its allocations (kup_malloc & co., $KUP_ALLOC_COUNT), then once for every
# N from 1 to that count with the Nth allocation failing ($KUP_ALLOC_FAIL=N).  Each
# run must end cleanly: exit 1 with an error on stderr, or (a failure the code could
# absorb) the same exit code and output as the run that did not fail.  A crash, a
# sanitizer report (use the ASan/LSan build: a leak is a failure), a hang or any other
# exit code fails the test.  Needs a build with -DKUP_FAULT_INJECTION=ON.
#   TORTURE_JOBS (default 4) runs in parallel; TORTURE_STEP=K tries every Kth N only
#   (quick local runs; ctest uses 1).
set -u
K=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export ASAN_OPTIONS="detect_leaks=1:exitcode=86:abort_on_error=0:allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87"
export LSAN_OPTIONS="exitcode=86"
export NO_COLOR=1
jobs=${TORTURE_JOBS:-4}
step=${TORTURE_STEP:-1}

if ! KUP_ALLOC_FAIL=1 "$K" version >/dev/null 2>&1 && [ -z "$(KUP_ALLOC_COUNT=$W/probe "$K" version >/dev/null 2>&1; cat "$W/probe" 2>/dev/null)" ]; then
	echo "torture: $K was not built with -DKUP_FAULT_INJECTION=ON" >&2
	exit 1
fi

# the inputs: small, and each path's own
mkdir -p "$W/in"
cp "$top/tests/cases/row-24-ingress-extensions-v1beta1/in.yaml" "$W/in/ingress.yaml"
cat >"$W/in/profile.yaml" <<'EOP'
apiVersion: kupgrade.dev/v1alpha1
kind: ClusterProfile
metadata: {name: small}
spec:
  provider: eks
  controlPlane: {version: "1.29"}
  nodePools: [{name: general, version: "1.29", count: 3}]
  addons: [{name: coredns, version: "1.11.1"}]
EOP
cat >"$W/in/fleet.yaml" <<'EOP'
apiVersion: kupgrade.dev/v1alpha1
kind: Fleet
metadata: {name: small}
spec:
  target: {version: "1.31"}
  clusters:
    - {name: a, profile: profile.yaml, labels: {env: dev}}
    - {name: b, profile: profile.yaml, labels: {env: prod}}
  waves:
    - {name: dev, selector: {env: dev}, soak: 1h}
    - {name: prod, selector: {env: prod}, approval: true}
  driver:
    control-plane: "true"
    nodepool: "true"
    verify: "true"
EOP

# path name -> command (run in $W/run-N, a copy of $W/in)
cmd_of() {
	case $1 in
	scan) echo "scan ingress.yaml --to 1.25 -o json" ;;
	fix) echo "fix ingress.yaml --to 1.25 --stdout" ;;
	fix-write) echo "fix ingress.yaml --to 1.25 --write" ;;
	plan) echo "plan profile.yaml --to 1.31 -o json" ;;
	fleet-decide) echo "fleet plan fleet.yaml --store sqlite::memory: --now 1790000000" ;;
	*) return 1 ;;
	esac
}

cat >"$W/one.sh" <<'EOP'
#!/bin/bash
# one.sh W PATHNAME N BIN CMD...: one run with the Nth allocation failing; prints a
# line only when the run is not clean.
W=$1 name=$2 n=$3 bin=$4
shift 4
d=$W/run/$name-$n
rm -rf "$d"
cp -r "$W/in" "$d"
cd "$d" || exit 1
KUP_ALLOC_FAIL=$n timeout 60 "$bin" "$@" >out 2>err </dev/null
rc=$?
ref=$W/ref-$name
why=
if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error|Segmentation|Assertion' err; then
	why="sanitizer or crash"
elif [ "$rc" = 1 ]; then
	[ -s err ] || why="exit 1 with nothing on stderr"
elif [ "$rc" = "$(cat "$ref.rc")" ]; then
	cmp -s out "$ref.out" || why="exit $rc (as without the failure) but a different output"
else
	why="exit $rc"
fi
if [ -n "$why" ]; then
	echo "torture: $name: allocation $n: $why"
	sed -e 's/^/    /' err | head -n 25
fi
rm -rf "$d"
EOP
chmod +x "$W/one.sh"
mkdir -p "$W/run"

fail=0
for name in "$@"; do
	cmd=$(cmd_of "$name") || { echo "torture: unknown path '$name'" >&2; exit 1; }
	rm -rf "$W/run/ref"
	cp -r "$W/in" "$W/run/ref"
	(cd "$W/run/ref" && KUP_ALLOC_COUNT="$W/count-$name" "$K" $cmd >"$W/ref-$name.out" 2>"$W/ref-$name.err" </dev/null)
	echo $? >"$W/ref-$name.rc"
	total=$(cat "$W/count-$name" 2>/dev/null || echo 0)
	if [ "$total" -lt 10 ]; then
		echo "torture: $name: only $total allocations counted (is this the fault-injection build?)" >&2
		fail=1
		continue
	fi
	start=$(date +%s)
	seq 1 "$step" "$total" | xargs -P "$jobs" -I{} "$W/one.sh" "$W" "$name" {} "$K" $cmd >"$W/bad-$name"
	nbad=$(grep -c '^torture:' "$W/bad-$name")
	echo "torture: $name ($cmd): $total allocation points, $(( (total + step - 1) / step )) runs, $nbad not clean, $(( $(date +%s) - start ))s"
	if [ "$nbad" != 0 ]; then
		head -n 200 "$W/bad-$name"
		fail=1
	fi
done
[ "$fail" = 0 ] && echo "torture: PASS"
exit $fail
