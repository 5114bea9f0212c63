#!/bin/bash
# tests/cli/completion.sh KUPGRADE - `kupgrade completion bash|zsh|fish`
# loads in each shell and completes what the option tables say.
#
# bash: `bash -n`, `complete -p kupgrade`, then _kupgrade called with
# COMP_WORDS/COMP_CWORD as bash sets them on TAB.  fish (when installed):
# `fish -n`, then `complete -C` (fish's own completion of a command line).
# zsh (when installed): `zsh -n` and loading it under compinit.  kubectl
# contexts come from a kubeconfig made here, when kubectl is installed.
set -u
K=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0
"$K" completion bash >"$W/kupgrade.bash" || { echo "FAIL: completion bash"; exit 1; }
"$K" completion zsh >"$W/_kupgrade" || { echo "FAIL: completion zsh"; exit 1; }
"$K" completion fish >"$W/kupgrade.fish" || { echo "FAIL: completion fish"; exit 1; }
"$K" completion tcsh >/dev/null 2>&1 && { echo "FAIL: completion tcsh succeeds"; fail=1; }
bash -n "$W/kupgrade.bash" || { echo "FAIL: bash -n"; fail=1; }

cat >"$W/kubeconfig" <<'KC'
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: https://127.0.0.1:1}
users:
- name: u
  user: {token: t}
contexts:
- name: prod-eu
  context: {cluster: c, user: u}
- name: staging
  context: {cluster: c, user: u}
current-context: staging
KC
export KUBECONFIG=$W/kubeconfig
mkdir -p "$W/tree/charts" && touch "$W/tree/profile.yaml" "$W/tree/values.yaml"

# expect "WORDS..." "WANTED" : _kupgrade on WORDS (the last is the word under the
# cursor) gives exactly WANTED (sorted, space-separated)
cat >"$W/t.bash" <<'T'
source "$1"
cd "$2" || exit 1
fail=0
expect() {
	local want=$1 got
	shift
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_kupgrade
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//')
	# one element per candidate (not one holding them all, joined by newlines)
	if [ "$got" != "$want" ] || [ "${#COMPREPLY[@]}" -ne "$(wc -w <<<"$want")" ]; then
		echo "FAIL: [$*]: got '$got' (${#COMPREPLY[@]} elements), want '$want'"
		fail=1
	fi
}
complete -p kupgrade | grep -q -- '-F _kupgrade' || { echo "FAIL: complete -p kupgrade"; fail=1; }
complete -p kubectl-kupgrade | grep -q -- '-F _kupgrade' || { echo "FAIL: complete -p kubectl-kupgrade"; fail=1; }
expect "scan serve snapshot" kupgrade s
expect "check plan policies run scenario simulate tune" kupgrade rollout ""
expect "--to --today" kupgrade plan --to
expect "--target-versions --to" kupgrade scan x.yaml --t
expect "csv html json junit markdown sarif table yaml" kupgrade scan -o ""
expect "json junit" kupgrade scan --output = j
expect "--output=json --output=junit" kupgrade scan --output=j
expect "deprecated" kupgrade scan --fail-on d
expect "csv html json junit markdown sarif table text yaml" kupgrade plan profile.yaml -o ""
expect "csv json table yaml" kupgrade rollout simulate s.yaml -o ""
expect "fail force" kupgrade drain --on-timeout ""
expect "bash fish zsh" kupgrade completion ""
expect "charts" kupgrade plan --kb ch
expect "profile.yaml" kupgrade plan --manifests dir pro
expect "values.yaml" kupgrade scan chart -f v
expect "--backoff" kupgrade drain --back
expect "" kupgrade scan --to ""
expect "--seeds" kupgrade rollout tune --se
if command -v kubectl >/dev/null 2>&1; then
	expect "prod-eu staging" kupgrade scan --context ""
	expect "prod-eu" kupgrade plan --to 1.30 --context p
else
	echo "note: kubectl is not installed: contexts not tried"
fi
exit $fail
T
bash "$W/t.bash" "$W/kupgrade.bash" "$W/tree" || fail=1

# kubectl's plugin completion (kubectl 1.26+ runs kubectl_complete-kupgrade)
# Debian 12's kubernetes-client is kubectl 1.20: it has __complete but no
# plugin completion (it answers ':0' for every plugin), so the minor decides.
kminor=0
if command -v kubectl >/dev/null 2>&1; then
	kminor=$(kubectl version --client 2>/dev/null | sed -n 's/.*v1\.\([0-9][0-9]*\)\..*/\1/p' | head -1)
	kminor=${kminor:-0}
fi
if [ "$kminor" -ge 26 ] && kubectl __complete get "" >/dev/null 2>&1; then
	mkdir -p "$W/bin"
	ln -s "$(cd "$(dirname "$K")" && pwd)/$(basename "$K")" "$W/bin/kupgrade"
	ln -s "$W/bin/kupgrade" "$W/bin/kubectl-kupgrade"
	cp "$(dirname "$0")/../../scripts/kubectl_complete-kupgrade" "$W/bin/"
	got=$(PATH=$W/bin:$PATH kubectl __complete kupgrade scan --fail-on "" 2>/dev/null | tr '\n' ' ')
	[ "$got" = "removed deprecated undecided none :4 " ] ||
		{ echo "FAIL: kubectl __complete kupgrade scan --fail-on: got '$got'"; fail=1; }
	got=$(PATH=$W/bin:$PATH kubectl __complete kupgrade ro 2>/dev/null | tr '\n' ' ')
	[ "$got" = "rollout :4 " ] || { echo "FAIL: kubectl __complete kupgrade ro: got '$got'"; fail=1; }
else
	echo "note: no kubectl with plugin completion (1.26+; this one is 1.$kminor): kubectl kupgrade completion not tried"
fi

if command -v fish >/dev/null 2>&1; then
	fish -n "$W/kupgrade.fish" || { echo "FAIL: fish -n"; fail=1; }
	fc() { (cd "$W/tree" && HOME=$W fish --no-config -c "source '$W/kupgrade.fish'; complete -C '$1'" | cut -f1 | sort | tr '\n' ' ' | sed 's/ $//'); }
	fe() { local got; got=$(fc "$1"); [ "$got" = "$2" ] || { echo "FAIL: fish [$1]: got '$got', want '$2'"; fail=1; }; }
	fe "kupgrade scan -o " "csv html json junit markdown sarif table yaml"
	fe "kupgrade rollout " "check plan policies run scenario simulate tune"
	fe "kupgrade plan --keep" "--keep-nodes"
	fe "kupgrade drain --on-timeout " "fail force"
	fe "kupgrade scan pro" "profile.yaml"
	command -v kubectl >/dev/null 2>&1 && fe "kupgrade scan --context " "prod-eu staging"
else
	echo "note: fish is not installed (apt-get install fish): fish completion not tried"
fi

if command -v zsh >/dev/null 2>&1; then
	zsh -n "$W/_kupgrade" || { echo "FAIL: zsh -n"; fail=1; }
	mkdir -p "$W/fpath" && cp "$W/_kupgrade" "$W/fpath/"
	out=$(HOME=$W ZDOTDIR=$W zsh -f -c "fpath=($W/fpath \$fpath); autoload -Uz compinit; compinit -u -d $W/zcd;
		print -r -- \${_comps[kupgrade]} \${_comps[kubectl-kupgrade]}; autoload -Uz _kupgrade;
		functions _kupgrade >/dev/null && print loaded" 2>&1)
	[ "$out" = "$(printf '_kupgrade _kupgrade\nloaded')" ] || { echo "FAIL: zsh compinit: '$out'"; fail=1; }
else
	echo "note: zsh is not installed (apt-get install zsh): zsh completion not tried"
fi
[ $fail -eq 0 ] && echo "ok: completions"
exit $fail
