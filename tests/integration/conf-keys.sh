#!/bin/sh
# gspool.conf(5) documents exactly the keys that lib/conf.c's tables
# hold: each section's ".It Cm KEY" items (several keys of one item
# joined by ",") against what confkeys prints.
set -eu
: "${top_builddir:?}" "${top_srcdir:?}"
T=$(mktemp -d "${TMPDIR:-/tmp}/gspool-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
"$top_builddir/tests/integration/confkeys" | sort > "$T/tables"
[ -s "$T/tables" ] || { echo "FAIL: confkeys printed no key" >&2; exit 1; }
# The items of each [section]'s list, not those of the lists inside
# them; "[printer Ar name]" is section "printer".
awk '
/^\.S[hs] / {
	sec = ""
	depth = 0
	if ($0 !~ /^\.Ss \[/)
		next
	sec = $2
	sub(/^\[/, "", sec)
	sub(/\]$/, "", sec)
	next
}
sec == "" { next }
/^\.Bl / { depth++; next }
/^\.El/ { depth--; next }
depth == 1 && /^\.It Cm / {
	item = substr($0, 8)
	n = split(item, part, / , /)
	for (i = 1; i <= n; i++) {
		w = part[i]
		sub(/^Cm /, "", w)
		sub(/ .*/, "", w)
		if (w ~ /^[a-z_]+$/)
			print sec, w
	}
}' "$top_srcdir/man/gspool.conf.5" | sort > "$T/page"
[ -s "$T/page" ] || { echo "FAIL: no key found in gspool.conf.5" >&2; exit 1; }
if ! diff -u "$T/tables" "$T/page" > "$T/diff"; then
	echo "FAIL: gspool.conf(5) (+) and lib/conf.c's tables (-) differ:" >&2
	grep '^[-+][a-z]' "$T/diff" >&2
	exit 1
fi
echo "PASS: $(wc -l < "$T/tables") keys documented"
