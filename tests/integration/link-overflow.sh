#!/bin/sh
# The receive buffer, both ways.  mk3's printer is left without a CPU
# now and then (as on a loaded machine), with the host's bytes waiting
# to be read: when it runs again it finds at once the lines that were in
# flight and those the host's stall probe sent past the window.  A
# board would have read the lines in flight into its free command slots
# as they arrived, so nothing is lost, and the print is clean and exact.
# mk4's host really sends more than the buffer holds (it is told of 512
# bytes and 16 lines; the firmware has 128 and 4, and moves that take
# their time): the printer counts the overflows, and the line is not
# taken for clean.
. "$top_srcdir/tests/integration/lib.sh"
gs_config "" "[printer mk4]" "device = $T/mk4.tty" "handshake_timeout = 5" \
    "reconnect_interval = 1" "clears_bed = yes" "window = 16" \
    "rx_buffer = 512"
gs_vprinter --freeze-every 400 --command-ms 1
"$VPRINTER" -o "$T/vprinter4.log" --time-scale 0.1 --planner 4 \
    "$T/mk4.tty" 2>>"$T/vprinter4.err" &
"$WAITFOR" exists "$T/mk4.tty" || fail "the second printer did not start"
gs_spoold

id=$(submit "$CUBE")
"$GQUEUE" -w "$id" > /dev/null || fail "job $id did not complete"
expect_log "$CUBE"
late=$(vp_field rx_late "$T/vprinter.log.json")
[ -n "$late" ] && [ "$late" -gt 0 ] ||
	fail "the printer never found its buffer full after a freeze: $(cat "$T/vprinter.log.json")"
echo "mk3: clean and exact, after $late late reads"

head -n 300 "$CUBE" > "$T/part.gcode"
out=$("$GPRINT" -P mk4 "$T/part.gcode") || fail "gprint -P mk4: exit $?"
id=${out#request id is mk4-}
id=${id%% *}
"$GQUEUE" -w "$id" > /dev/null || fail "job $id did not complete"
o=$(vp_field rx_overflows "$T/vprinter4.log.json")
[ -n "$o" ] && [ "$o" -gt 0 ] ||
	fail "a host past the buffer lost no byte: $(cat "$T/vprinter4.log.json")"
( expect_clean "$T/vprinter4.log.json" ) 2> /dev/null &&
	fail "a line with $o overflows was taken for clean"
echo "mk4: $o overflows caught"
echo "PASS"
