#!/bin/sh
# Job lines whose replies look like the link's own: a file that asks
# for temperatures (M105, as Cura's start G-code does around every
# heat-up), positions (M114), endstops (M119) and SD status (M27) among
# heat-ups, homing and long moves, on a printer as strict as a real
# board (250000 baud, 1 ms each way, 128-byte receive buffer, 4 command
# slots, heaters and moves that take their time).  The printer runs
# exactly the job's commands and meets no error (the handshake's aside)
# and no receive-buffer overflow: a reply to the job's own M105 is never
# taken for the link's probe, and nothing is sent past the receive
# buffer while the command slots wait on a heater.
. "$top_srcdir/tests/integration/lib.sh"

f="$T/replies.gcode"
awk 'BEGIN {
	print "M140 S60"; print "M105"; print "M190 S60"
	print "M104 S200"; print "M105"; print "M109 S200"
	print "M82"; print "G28"; print "M114"; print "G92 E0"
	for (i = 0; i < 400; i++) {
		printf "G1 X%.3f Y%.3f E%.4f F%d\n", 20 + (i % 40), 20 + (i % 37) * 0.5, i * 0.05, i % 50 == 0 ? 600 : 9000
		if (i % 23 == 0) print "M105"
		if (i % 31 == 0) print "M114"
		if (i % 97 == 0) { print "M119"; print "M27" }
		if (i == 150) { print "M104 S210"; print "M105"; print "M109 S210"; print "M105" }
		if (i == 300) { print "M400"; print "M105"; print "G4 P300"; print "M105" }
	}
	print "M104 S0"; print "M140 S0"; print "M105"
}' > "$f"

run() {	# name vprinter-options...
	name=$1
	shift
	rm -rf "$T/spool" "$T/vprinter.log" "$T/vprinter.log.json"
	gs_config
	gs_vprinter --baud 250000 --latency-ms 1 --heat-time 3 \
	    --time-scale 0.2 "$@"
	gs_spoold
	id=$(submit "$f")
	"$GQUEUE" -w "$id" > "$T/wait.out" ||
		fail "$name: the job did not complete: $(cat "$T/wait.out")"
	expect_log "$f"
	[ "$(link_attr "$id" faults)" = 0 ] && [ "$(link_attr "$id" resends)" = 0 ] ||
		fail "$name: gqueue -l: $("$GQUEUE" -l --history "$id")"
	gs_stop_spoold
	kill "$VPRINTER_PID"; wait "$VPRINTER_PID" || true
	echo "$name: $(cat "$T/vprinter.log.json")"
	pkill -f -- "$T/" || true
	pidwait -f -- "$T/" || true
	mv "$T/spoold.log" "$T/spoold-$name.log"
}

run marlin-2.1
run marlin-2.0.9 --no-ok-after-resend
run advanced-ok --advanced-ok

# Real slicer output that heats with every command slot full: a legacy
# Cura file opens with M190 and M109 and its moves right behind them.
if [ -d "$CORPUS" ]; then
	f="$T/cura-start.gcode"
	head -n 3000 "$CORPUS/cura-legacy-15-spool-lock-lever.gcode" > "$f"
	run cura-legacy
fi
echo "PASS"
