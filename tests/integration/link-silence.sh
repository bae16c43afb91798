#!/bin/sh
# A printer that reports its temperatures every 2 s (M155 S2) and then
# freezes mid-print, never to say a byte again, with the ok timeout at
# its default (30 s, five times): it is shown not responding after
# three missed reports, and its job ends stopped, with the reason, after
# 15 s of silence, not minutes.  The port is opened again (the board
# resets) and the next job prints.
. "$top_srcdir/tests/integration/lib.sh"
gs_config
gs_vprinter --silent-after 300
gs_spoold
id=$(submit "$CUBE")
out=$("$GQUEUE" -w "$id") && fail "the job completed"
case "$out" in
"mk3-$id: stopped: "*"the printer said nothing for 15 s (it reports its temperatures every 2 s)"*) ;;
*) fail "gqueue -w said: $out" ;;
esac
# Not responding was said before the job stopped, and long before the
# ok timeouts would have ended it.
grep -n "not responding: no word from the printer for 6 s" "$T/spoold.log" > "$T/nr" ||
	fail "no 'not responding' status"
grep -n "mk3-$id: stopped" "$T/spoold.log" > "$T/st" || fail "no stop logged"
[ "$(cut -d: -f1 "$T/nr" | head -n 1)" -lt "$(cut -d: -f1 "$T/st" | head -n 1)" ] ||
	fail "not responding came after the stop"
grep -q "no answer from the printer" "$T/spoold.log" &&
	fail "an ok timeout came first: $(grep "no answer" "$T/spoold.log")"
n=$(wc -l < "$T/vprinter.log")
[ "$n" -eq 300 ] || fail "the printer executed $n commands, not 300"
: > "$T/vprinter.log"
id=$(submit "$CUBE")
"$GQUEUE" -w "$id" > /dev/null || fail "the next job did not complete"
expect_log "$CUBE"
echo "PASS"
