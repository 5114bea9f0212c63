#!/bin/sh
# data/apis.yaml against the API lifecycle markers of Debian's k8s.io/api and
# k8s.io/apiextensions-apiserver packages (fetched once by
# scripts/fetch-k8s-api): any difference not listed, with its source, in
# tools/k8s-lifecycle-exceptions fails.
#   $1 the kupgrade binary
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top="$here/../.."
src=$("$top/scripts/fetch-k8s-api")
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$1" kb list -o json --kb "$top/data" >"$tmp"
echo "markers: $(tr '\n' ' ' <"$src/../versions")"
python3 "$top/tools/k8s-lifecycle" verify "$src" "$tmp" "$top/tools/k8s-lifecycle-exceptions"
