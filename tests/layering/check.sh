#!/bin/sh
# check.sh ROOT - checks the #include lines of ROOT/src and ROOT/include
# against the layering table of ROOT/docs/ARCHITECTURE.md (the block between
# "<!-- layering -->" and "<!-- /layering -->").
#
# Each row is "LAYER MODULE HEADER...": the module is a directory of src/lib
# (or cli, for src/cli) and owns the public headers listed
# (include/kupgrade/HEADER).  A file of module M, or a public header M owns,
# may include:
#   - a public header of a module of a lower layer, or of M itself;
#   - a private header of M ("M/x.h" or a name without a slash, in src/lib/M).
# Anything else is an error naming FILE:LINE and both modules, as is a public
# header or a src/lib directory the table does not name.  Exit 0 when every
# include is allowed, 1 otherwise.
set -eu

root=${1:?usage: check.sh ROOT}
doc=$root/docs/ARCHITECTURE.md
[ -f "$doc" ] || { echo "check.sh: cannot read '$doc'" >&2; exit 2; }

table=$(awk '/^<!-- layering -->/ {on = 1; next} /^<!-- \/layering -->/ {on = 0} on' "$doc" |
	sed -n 's/^ *\([0-9][0-9]*\)  *\([a-z][a-z0-9_-]*\)\(.*\)$/\1 \2\3/p')
[ -n "$table" ] || { echo "check.sh: no layering table in '$doc'" >&2; exit 2; }

# every include line of the tree: "FILE LINE MODULE TARGET"
lines=$(
	cd "$root"
	{ find src/lib src/cli include/kupgrade -type f \( -name '*.c' -o -name '*.h' \) | sort; } |
	while read -r f; do
		grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
		sed "s|^\([0-9]*\):[^\"]*\"\([^\"]*\)\".*|$f \1 \2|"
	done
)
dirs=$(cd "$root" && ls -d src/lib/*/ 2>/dev/null | sed 's|src/lib/||; s|/$||')
headers=$(cd "$root" && ls include/kupgrade/*.h | sed 's|include/kupgrade/||')

export lines dirs headers
printf '%s\n' "$table" | awk '
{
	layer[$2] = $1 + 0
	for (i = 3; i <= NF; i++) {
		if ($i in owner)
			problem("docs/ARCHITECTURE.md: " $i " is listed under " owner[$i] " and " $2)
		owner[$i] = $2
	}
}
function problem(msg) { print msg; bad = 1 }
function module_of(f,   p) {
	if (f ~ /^src\/cli\//) return "cli"
	if (f ~ /^src\/lib\//) { split(f, p, "/"); return p[3] }
	if (f ~ /^include\/kupgrade\//) { sub(/^include\/kupgrade\//, "", f); return (f in owner) ? owner[f] : "" }
	return ""
}
END {
	lines = ENVIRON["lines"]; dirs = ENVIRON["dirs"]; headers = ENVIRON["headers"]
	n = split(dirs, d, "\n")
	for (i = 1; i <= n; i++)
		if (d[i] != "" && !(d[i] in layer))
			problem("src/lib/" d[i] ": module not in the layering table of docs/ARCHITECTURE.md")
	if (!("cli" in layer))
		problem("docs/ARCHITECTURE.md: the layering table has no row for cli")
	n = split(headers, h, "\n")
	for (i = 1; i <= n; i++)
		if (h[i] != "" && !(h[i] in owner))
			problem("include/kupgrade/" h[i] ": header not in the layering table of docs/ARCHITECTURE.md")
	n = split(lines, l, "\n")
	for (i = 1; i <= n; i++) {
		if (split(l[i], w, " ") != 3)
			continue
		file = w[1]; line = w[2]; inc = w[3]
		m = module_of(file)
		if (m == "" || !(m in layer))
			continue        # reported above
		if (inc ~ /^kupgrade\//) {
			hdr = substr(inc, 10)
			if (!(hdr in owner)) {
				problem(file ":" line ": includes " inc ", which the layering table does not name")
				continue
			}
			t = owner[hdr]
			if (t != m && layer[t] >= layer[m])
				problem(file ":" line ": " m " (layer " layer[m] ") includes " inc \
					" of " t " (layer " layer[t] "): upward include")
		} else if (inc ~ /\//) {
			split(inc, p, "/")
			if (file ~ /^include\//)
				problem(file ":" line ": public header includes private " inc)
			else if (p[1] != m && (p[1] in layer || m == "cli"))
				problem(file ":" line ": " m " includes " inc ", a private header of " p[1])
		}
	}
	exit bad
}'
