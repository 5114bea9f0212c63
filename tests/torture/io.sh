#!/bin/bash
# tests/torture/io.sh KUPGRADE - ENOSPC and EIO injected ($KUP_IO_FAIL, a build with
# -DKUP_FAULT_INJECTION=ON) into every write path the CLI has: fix --write (replace,
# backup, a hard-linked file rewritten in place), the fleet report, the fleet store's
# creation.  Each time: exit 1, the error names the file and the reason, the original
# file is intact and no temporary file is left.  (The snapshot's write path is tested
# the same way in unit/test_client; the core helpers in unit/test_io.)
set -u
K=$1
command -v sqlite3 >/dev/null 2>&1 ||
	{ echo "torture/io: FAIL: the sqlite3 shell is not installed (scripts/install-deps --test installs it)" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export NO_COLOR=1
fail=0
ff() { echo "torture/io: FAIL: $*" >&2; fail=1; }
reason() { case $1 in ENOSPC) echo "No space left on device" ;; EIO) echo "Input/output error" ;; esac; }

# is this the fault-injection build?  (the Nth write of a report fails)
mkdir -p "$W/probe" && cd "$W/probe" || exit 1
cp "$top/tests/cases/row-24-ingress-extensions-v1beta1/in.yaml" probe.yaml
KUP_IO_FAIL=write:1:EIO "$K" fix probe.yaml --to 1.25 --write >/dev/null 2>&1
if [ $? != 1 ]; then
	echo "torture/io: $K was not built with -DKUP_FAULT_INJECTION=ON" >&2
	exit 1
fi

# ---- fix --write ---------------------------------------------------------------------------
for op in write fsync close rename; do
	for e in ENOSPC EIO; do
		# backup: the 1st write is the backup's, the 2nd the file's (the backup stays)
		for mode in plain backup backup2 hardlink; do
			d=$W/fix-$op-$e-$mode
			mkdir -p "$d" && cd "$d" || exit 1
			cp "$top/tests/cases/row-24-ingress-extensions-v1beta1/in.yaml" m.yaml
			cp m.yaml orig.copy
			args=(fix m.yaml --to 1.25 --write)
			n=1
			[ $mode = backup ] && args+=(--backup)
			[ $mode = backup2 ] && { args+=(--backup); n=2; }
			[ $mode = backup2 ] && [ $op = rename ] && continue   # the backup is not renamed
			[ $mode = hardlink ] && ln m.yaml other-link.yaml
			before=$(ls -A | sort)
			KUP_IO_FAIL=$op:$n:$e "$K" "${args[@]}" >out 2>err
			rc=$?
			what="fix --write ($mode), $op fails with $e"
			if [ $mode = hardlink ] && [ $op = rename ]; then
				# rewritten in place: no rename to fail, the write goes through
				[ $rc = 0 ] || ff "$what: exit $rc"
				continue
			fi
			[ $rc = 1 ] || ff "$what: exit $rc, want 1"
			grep -q "$(reason $e)" err || ff "$what: the reason is not named: $(cat err)"
			grep -q "m.yaml" err || ff "$what: the file is not named: $(cat err)"
			after=$(ls -A | grep -v '^out$\|^err$' | sort)
			if [ $mode = hardlink ] && [ $op != rename ]; then
				# the backup of a hard-linked file is written first: if it fails, nothing
				# else happens; if the in-place write fails, the backup holds the original
				if ls m.yaml.orig* >/dev/null 2>&1; then
					cmp -s m.yaml.orig orig.copy || ff "$what: the backup is not the original"
				else
					cmp -s m.yaml orig.copy || ff "$what: the file changed and there is no backup"
				fi
				continue
			fi
			cmp -s m.yaml orig.copy || ff "$what: the original changed"
			if [ $mode = backup2 ] || { [ $mode = backup ] && [ $op = rename ]; }; then
				# the backup was made before the file's own write failed: it stays, and
				# it is the original
				cmp -s m.yaml.orig orig.copy || ff "$what: the backup is not the original"
				after=$(echo "$after" | grep -v '^m.yaml.orig$')
			fi
			[ "$after" = "$before" ] || ff "$what: files left behind: $(echo "$after" | tr '\n' ' ')"
		done
	done
done

# fix --write: the temporary file cannot be made (mkstemp)
for e in ENOSPC EIO; do
	d=$W/fix-mkstemp-$e
	mkdir -p "$d" && cd "$d" || exit 1
	cp "$top/tests/cases/row-24-ingress-extensions-v1beta1/in.yaml" m.yaml
	cp m.yaml orig.copy
	before=$(ls -A | sort)
	KUP_IO_FAIL=mkstemp:1:$e "$K" fix m.yaml --to 1.25 --write >out 2>err
	rc=$?
	what="fix --write, mkstemp fails with $e"
	[ $rc = 1 ] || ff "$what: exit $rc, want 1"
	grep -q "m.yaml': $(reason $e)" err || ff "$what: the file and reason are not named: $(cat err)"
	cmp -s m.yaml orig.copy || ff "$what: the original changed"
	after=$(ls -A | grep -v '^out$\|^err$' | sort)
	[ "$after" = "$before" ] || ff "$what: files left behind: $(echo "$after" | tr '\n' ' ')"
done

# ---- the fleet report and the store --------------------------------------------------------
d=$W/fleet
mkdir -p "$d" && cd "$d" || exit 1
cat >c1.yaml <<'EOP'
apiVersion: kupgrade.dev/v1alpha1
kind: ClusterProfile
metadata: {name: c1}
spec:
  controlPlane: {version: "1.34"}
  nodePools: [{name: general, version: "1.34", count: 3}]
EOP
cat >fleet.yaml <<'EOP'
apiVersion: kupgrade.dev/v1alpha1
kind: Fleet
metadata: {name: io}
spec:
  target: {version: "1.35"}
  clusters: [{name: c1, profile: c1.yaml, labels: {env: dev}}]
  waves: [{name: dev, selector: {env: dev}}]
  driver: {control-plane: "true", nodepool: "true", verify: "true"}
EOP
"$K" fleet report fleet.yaml report.html --store sqlite:fleet.db >/dev/null 2>&1 || ff "the first report failed"
cp report.html report.copy
for op in write fsync close rename; do
	for e in ENOSPC EIO; do
		echo "<!-- changed -->" >>c1.yaml
		before=$(ls -A | grep -v '^out$\|^err$' | sort)
		KUP_IO_FAIL=$op:1:$e "$K" fleet report fleet.yaml report.html --store sqlite:fleet.db >out 2>err
		rc=$?
		what="fleet report, $op fails with $e"
		[ $rc = 1 ] || ff "$what: exit $rc, want 1"
		grep -q "report.html': $(reason $e)" err || ff "$what: the file and reason are not named: $(cat err)"
		cmp -s report.html report.copy || ff "$what: the report changed"
		after=$(ls -A | grep -v '^out$\|^err$' | sort)
		[ "$after" = "$before" ] || ff "$what: files left behind: $(echo "$after" | tr '\n' ' ')"
	done
done
for e in ENOSPC EIO; do
	rm -f new.db
	KUP_IO_FAIL=open:1:$e "$K" fleet status fleet.yaml --store sqlite:new.db >out 2>err
	rc=$?
	[ $rc = 1 ] || ff "store creation fails with $e: exit $rc"
	grep -q "cannot create 'new.db': $(reason $e)" err || ff "store creation fails with $e: not named: $(cat err)"
	[ -e new.db ] && ff "store creation fails with $e: new.db left behind"
done
# SQLite's own writes and syncs (the store's VFS wrapper): the Nth xWrite or xSync of a
# `fleet run --once` fails, for every N until a run needs fewer.  Each time: exit 1, the
# error names the store and the reason, and what is on disk is a whole store (integrity
# check ok) that `fleet status` reads: a transaction is all there or not at all.
cat >c2.yaml <<'EOP'
apiVersion: kupgrade.dev/v1alpha1
kind: ClusterProfile
metadata: {name: c2}
spec:
  controlPlane: {version: "1.34"}
  nodePools: [{name: general, version: "1.34", count: 3}]
EOP
sed 's/c1/c2/g' fleet.yaml >fleet-sq.yaml
for op in sqlite-write sqlite-sync; do
	for e in ENOSPC EIO; do
		n=1
		while [ $n -le 200 ]; do
			rm -f sq.db sq.db-wal sq.db-shm
			KUP_IO_FAIL=$op:$n:$e "$K" fleet run fleet-sq.yaml --store sqlite:sq.db --once >out 2>err
			rc=$?
			what="fleet run --once, SQLite's $op #$n fails with $e"
			# a record retried until it went through ("retrying") lost nothing
			if ! grep 'sq.db' err | grep -qv 'retrying$'; then
				# the run needs fewer than n: every point was tried
				[ $rc = 0 ] || ff "$what: exit $rc without a store error: $(tail -n 2 err)"
				break
			fi
			[ $rc = 1 ] || ff "$what: exit $rc, want 1: $(tail -n 2 err)"
			case $e in
			ENOSPC) grep -q "sq.db.*full" err || ff "$what: the store and reason are not named: $(tail -n 2 err)" ;;
			EIO) grep -q "sq.db.*I/O error" err || ff "$what: the store and reason are not named: $(tail -n 2 err)" ;;
			esac
			if [ -e sq.db ]; then
				ic=$(sqlite3 sq.db 'PRAGMA integrity_check' 2>&1)
				[ "$ic" = ok ] || ff "$what: the store is damaged: $ic"
				"$K" fleet status fleet-sq.yaml --store sqlite:sq.db >st.out 2>st.err
				[ $? = 1 ] && ff "$what: fleet status cannot read the store after: $(cat st.err)"
			fi
			n=$((n + 1))
		done
		[ $n -gt 1 ] || ff "SQLite's $op never failed with $e: is the VFS wrapper in this build?"
		[ $n -le 200 ] || ff "SQLite's $op with $e: still failing at #200"
		echo "torture/io: SQLite $op $e: $((n - 1)) points, each a clean error" >&2
	done
done
[ "$fail" = 0 ] && echo "torture/io: PASS"
exit $fail
