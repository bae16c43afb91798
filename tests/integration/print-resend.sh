#!/bin/sh
# Line noise: the printer reports checksum mismatches (Marlin's exact
# error and Resend: lines), with and without the "ok" that follows
# Resend: in current Marlin.  The printer's log still equals the file.
# Line 1 is damaged in the greeting (M115 is the first line 1), the
# others in the job; lines in flight behind a damaged one make a burst
# of errors for the same line, which the backend collapses.
. "$top_srcdir/tests/integration/lib.sh"

for mode in ok-after-resend no-ok-after-resend; do
	gs_config
	if [ "$mode" = no-ok-after-resend ]; then
		gs_vprinter --no-ok-after-resend --corrupt-line 1 \
		    --corrupt-line 7 --corrupt-line 8 --corrupt-line 3000
	else
		gs_vprinter --corrupt-line 1 --corrupt-line 7 \
		    --corrupt-line 8 --corrupt-line 3000
	fi
	gs_spoold
	id=$(submit "$CUBE")
	"$GQUEUE" -w "$id" > /dev/null || fail "$mode: job $id did not complete"
	expect_log "$CUBE"
	asked=$(grep -o "asked for line [0-9]*" "$T/spoold.log" | sort -u |
	    awk '{ printf "%s ", $4 }')
	[ "$asked" = "3000 7 8 " ] || fail "$mode: resends for lines: $asked"
	gs_stop_spoold
	kill "$VPRINTER_PID"; wait "$VPRINTER_PID" || true
	"$WAITFOR" gone "$T/mk3.tty"
	pkill -f -- "$T/" || true
	pidwait -f -- "$T/" || true
	rm -rf "$T/spool" "$T/vprinter.log"
	mv "$T/spoold.log" "$T/spoold-$mode.log"
done
echo "PASS"
