#!/bin/sh
# The alert rules shipped in deploy/prometheus: valid (promtool check rules),
# firing as their unit tests say (promtool test rules), and the
# PrometheusRule carrying exactly the groups of rules.yaml.
# Usage (ctest): alert_rules.sh SOURCE_DIR [KUPGRADE_CLI]
set -u
D="$1/deploy/prometheus"
fails=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fails=$((fails + 1)); }
command -v promtool >/dev/null 2>&1 || { echo "no promtool (Debian's prometheus package: scripts/install-deps --test)" >&2; exit 1; }
if promtool check rules "$D/rules.yaml" >/tmp/kup-rules.$$ 2>&1; then ok "promtool check rules"; else not_ok "promtool check rules"; cat /tmp/kup-rules.$$; fi
if (cd "$D" && promtool test rules rules_test.yaml) >/tmp/kup-rules.$$ 2>&1; then ok "promtool test rules: every alert fires when it should"; else not_ok "promtool test rules"; cat /tmp/kup-rules.$$; fi
rm -f /tmp/kup-rules.$$
# the PrometheusRule's spec, dedented, is rules.yaml
if sed -n '/^spec:$/,$p' "$D/prometheusrule.yaml" | sed '1d; s/^  //' | cmp -s - "$D/rules.yaml"; then
	ok "prometheusrule.yaml carries rules.yaml"
else
	not_ok "prometheusrule.yaml differs from rules.yaml (regenerate it)"
fi
[ "$fails" -eq 0 ] || exit 1
