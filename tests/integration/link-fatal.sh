#!/bin/sh
# Faults that end a job: the board resets, kill(), thermal runaway, the
# printer goes silent, the cable is pulled.  The job ends aborted (or
# stopped, for a lost port) with the reason, no line of it is sent
# after the fault, and the printer takes the next job once it is back.
# A reset leaves the heaters' targets at 0.
. "$top_srcdir/tests/integration/lib.sh"

case_run() {	# name end-state reason-pattern vprinter-options...
	name=$1 want=$2 pat=$3
	shift 3
	gs_config "ok_timeout = 1" "max_timeouts = 2"
	gs_vprinter "$@"
	gs_spoold
	id=$(submit "$CUBE")
	out=$("$GQUEUE" -w "$id") && fail "$name: the job completed"
	case "$out" in
	"mk3-$id: $want: "*) ;;
	*) fail "$name: gqueue -w said: $out" ;;
	esac
	echo "$out" | grep -q "$pat" || fail "$name: reason: $out"
	# Nothing of the job ran after the fault.
	n=$(wc -l < "$T/vprinter.log")
	[ "$n" -eq 500 ] || fail "$name: the printer executed $n commands, not 500"
	echo "$name: $out"
}

next_job_prints() {
	: > "$T/vprinter.log"
	id=$(submit "$CUBE")
	"$GQUEUE" -w "$id" > /dev/null || fail "$1: the next job did not complete"
	expect_log "$CUBE"
}

teardown_case() {
	gs_stop_spoold
	kill "$VPRINTER_PID"; wait "$VPRINTER_PID" || true
	pkill -f -- "$T/" || true
	pidwait -f -- "$T/" || true
	mv "$T/spoold.log" "$T/spoold-$1.log"
	rm -rf "$T/spool" "$T/vprinter.log" "$T/vprinter.log.json"
}

case_run reset aborted 'the printer restarted' --reset-at 500
# The cube heats the hotend and the bed; a reset zeroes their targets,
# as Marlin's boot does, and the summary has it before the "start" that
# aborted the job left the printer.
grep -q '"hotend_target":0.0,"bed_target":0.0' "$T/vprinter.log.json" ||
	fail "reset: the targets after the reset: $(cat "$T/vprinter.log.json")"
next_job_prints reset
teardown_case reset

case_run kill aborted 'Error:Printer halted. kill() called!' --kill-at 500
teardown_case kill

case_run runaway aborted 'Thermal Runaway, system stopped! Heater_ID: bed' --runaway-at 500
teardown_case runaway

case_run silent aborted 'the printer stopped answering' --silent-after 500
teardown_case silent

case_run hangup stopped 'lost the printer' --hangup-after 500
"$WAITFOR" exists "$T/mk3.tty"
next_job_prints hangup
teardown_case hangup
echo "PASS"
