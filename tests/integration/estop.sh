#!/bin/sh
# gpc abort: an emergency stop.  M112 goes out at once; with the
# firmware's emergency parser the printer halts as it arrives.  The job
# ends aborted, the backend opens the port again (which resets the
# board), and the next job prints whole.
. "$top_srcdir/tests/integration/lib.sh"

run_case() {	# name vprinter-options...
	name=$1
	shift
	gs_config
	gs_vprinter --command-ms 2 "$@"
	gs_spoold
	id1=$(submit "$CUBE")
	"$WAITFOR" lines "$T/vprinter.log" 300 || fail "$name: the print did not start"
	"$GPC" abort mk3 || fail "$name: gpc abort"
	out=$("$GQUEUE" -w "$id1") && fail "$name: an aborted job completed"
	[ "$out" = "mk3-$id1: aborted: emergency stop (M112) by request" ] ||
		fail "$name: gqueue -w: $out"
	if [ "$name" = parser ]; then
		"$WAITFOR" contains "$T/vprinter.err" "M112 from the emergency parser" ||
			fail "$name: the emergency parser never saw M112"
	fi
	# What ran of job 1 ran in order, and nothing of it after the stop
	# (without the parser, M112 itself may run as a command).
	grep -v '^M112$' "$T/vprinter.log" > "$T/ran.log" || true
	k=$(wc -l < "$T/ran.log")
	gcode_commands "$CUBE" > "$T/job.log"
	head -n "$k" "$T/job.log" | cmp -s - "$T/ran.log" ||
		fail "$name: job 1 did not run in order"
	[ "$k" -lt "$(wc -l < "$T/job.log")" ] || fail "$name: job 1 ran whole"
	id2=$(submit "$CUBE")
	"$GQUEUE" -w "$id2" > "$T/wait.out" ||
		fail "$name: the next job did not complete: $(cat "$T/wait.out")"
	tail -n "$(wc -l < "$T/job.log")" "$T/vprinter.log" | cmp -s - "$T/job.log" ||
		fail "$name: the next job is not whole"
	gs_stop_spoold
	kill "$VPRINTER_PID"; wait "$VPRINTER_PID" || true
	pkill -f -- "$T/" || true
	pidwait -f -- "$T/" || true
	mv "$T/spoold.log" "$T/spoold-$name.log"
	mv "$T/vprinter.err" "$T/vprinter-$name.err"
	rm -rf "$T/spool" "$T/vprinter.log" "$T/vprinter.log.json"
}

run_case parser --emergency-parser
# Without the parser M112 waits its turn in the firmware's buffer; the
# job still ends at once, and opening the port again resets the board.
run_case no-parser
echo "PASS"
