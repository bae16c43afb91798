#!/bin/sh
# make demo's script, run as the quick start runs it: it prints the cube,
# shows gpc status with the printer's temperatures and clears the bed
# with gpc ready.  Its output to a file holds no escape byte; on a
# terminal its headings are bold.
. "$top_srcdir/tests/integration/lib.sh"

ESC=$(printf '\033')
DEMO="$top_srcdir/tests/demo.sh"

# The demo's own directory under $T, so that the teardown finds what it
# leaves running.
rc=0
TMPDIR="$T" sh "$DEMO" "$top_builddir" "$top_srcdir" > "$T/demo.log" 2>&1 ||
    rc=$?
[ "$rc" -eq 0 ] || fail "the demo exited $rc: $(tail -n 20 "$T/demo.log")"
if grep -n "$ESC" "$T/demo.log" > "$T/escapes"; then
	fail "escape codes in the demo's output to a file, line $(head -n 1 \
	    "$T/escapes" | cut -d: -f1)"
fi
grep -q "exactly the file's, in order" "$T/demo.log" ||
    fail "the demo did not compare the printer's log with the file"

# gpc status while it prints: the job's progress and the heaters.
sed -n '/^\$ gpc status$/,/^$/p' "$T/demo.log" > "$T/status"
grep -q '^	printing mk3-1: layer [0-9]* of [0-9]*, [0-9]*% (by time)' "$T/status" ||
    fail "gpc status shows no printing job: $(cat "$T/status")"
grep -q '^	heaters: T0 [0-9.]*/[0-9.]* C.*, B [0-9.]*/[0-9.]* C' "$T/status" ||
    fail "gpc status shows no heaters: $(cat "$T/status")"

# gpc ready: awaiting-clear before it, ready after.
sed -n '/^\$ gpc status mk3$/,$p' "$T/demo.log" > "$T/ready"
awk '/^mk3: awaiting-clear / && !a { a = NR }
    /^\$ gpc ready mk3$/ && a && !r { r = NR }
    /^mk3: ready / && r { ok = 1 }
    END { exit !ok }' "$T/ready" ||
    fail "no awaiting-clear, gpc ready, then ready: $(cat "$T/ready")"
grep -q 'bed cleared' "$T/demo.log" ||
    fail "spoold did not log the bed cleared"

# On a terminal, the same demo with its headings in bold.
if command -v script > /dev/null; then
	rc=0
	TMPDIR="$T" script -qec "sh '$DEMO' '$top_builddir' '$top_srcdir'" \
	    /dev/null > "$T/demo-tty.log" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] ||
	    fail "the demo on a terminal exited $rc: $(tail -n 20 "$T/demo-tty.log")"
	grep -q "${ESC}\[1m7\. Clear the bed${ESC}\[0m" "$T/demo-tty.log" ||
	    fail "no bold heading on a terminal: $(head -n 5 "$T/demo-tty.log")"
else
	echo "script is not installed: the terminal's look is not checked"
fi
echo "PASS"
