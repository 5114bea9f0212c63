#!/bin/bash
# Man pages and completions made from the binary's --help (scripts/gen-docs):
# a page per verb naming its options, and bash completion that completes
# verbs and each verb's options (driven as bash would, through COMP_WORDS).
# Usage (ctest): docs.sh SOURCE_DIR KUPGRADE_CLI
set -u
SRC="$1"
K="$2"
fails=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fails=$((fails + 1)); }
check() { local d="$1"; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
command -v help2man >/dev/null 2>&1 || { echo "no help2man (scripts/install-deps)" >&2; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/kup-docs.XXXXXX")
trap 'rm -rf "$W"' EXIT
"$SRC/scripts/gen-docs" "$K" "$W" 2>/dev/null || { echo "gen-docs failed" >&2; exit 1; }
M="$W/man/man1"
check "kupgrade.1 is a man page" grep -q '^\.TH KUPGRADE "1"' "$M/kupgrade.1"
for v in scan fix plan rollout fleet serve drain; do
	check "kupgrade-$v.1 exists" test -s "$M/kupgrade-$v.1"
done
check "kupgrade-scan.1 documents --fail-on" grep -q 'fail\\-on' "$M/kupgrade-scan.1"
check "kupgrade-serve.1 documents --token-file" grep -q 'token\\-file' "$M/kupgrade-serve.1"
B="$W/bash-completion/completions/kupgrade"
check "bash completion parses" bash -n "$B"
complete_words() { # complete_words WORD... : what bash completion offers for the last word
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _kupgrade; printf "%s\n" "${COMPREPLY[@]}"' _ "$B" "$@"
}
check "bash: 'kupgrade se' offers serve" sh -c "echo '$(complete_words kupgrade se)' | grep -qx serve"
check "bash: 'kupgrade scan --fa' offers --fail-on" sh -c "echo '$(complete_words kupgrade scan --fa)' | grep -qx -- --fail-on"
check "bash: 'kupgrade plan --ma' offers --manifests" sh -c "echo '$(complete_words kupgrade plan --ma)' | grep -qx -- --manifests"
check "zsh completion names every verb" sh -c "for v in scan fix plan serve; do grep -q \"'\$v:\" '$W/zsh/vendor-completions/_kupgrade' || exit 1; done"
check "fish completion has scan's --fail-on" grep -q "__fish_seen_subcommand_from scan' -l fail-on" "$W/fish/vendor_completions.d/kupgrade.fish"
[ "$fails" -eq 0 ] || exit 1
