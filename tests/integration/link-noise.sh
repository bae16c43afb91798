#!/bin/sh
# The link under faults that must not change the print: damaged bytes
# either way, lost and damaged "ok"s, spurious "Resend:", firmware with
# and without an "ok" after "Resend:", the silent drop of a duplicate
# line, ADVANCED_OK.  Each time the printer executes exactly the job's
# commands, in order.
. "$top_srcdir/tests/integration/lib.sh"

case_run() {	# name vprinter-options...
	name=$1
	shift
	gs_config "ok_timeout = 1"
	gs_vprinter --seed 7 "$@"
	gs_spoold
	id=$(submit "$CUBE")
	"$GQUEUE" -w "$id" > "$T/wait.out" ||
		fail "$name: the job did not complete: $(cat "$T/wait.out")"
	expect_log "$CUBE"
	# gqueue -l shows the job's faults and resends.
	f=$(link_attr "$id" faults) r=$(link_attr "$id" resends)
	[ -n "$f" ] && [ -n "$r" ] && [ "$r" -ge "$f" ] ||
		fail "$name: gqueue -l: $("$GQUEUE" -l --history "$id")"
	case "$name" in
	damaged-in|no-ok-after-resend|advanced-ok|lost-bytes|extra-bytes|\
	high-bit|mixed*)
		[ "$f" -gt 0 ] || fail "$name: no fault counted" ;;
	esac
	echo "$name: faults=$f resends=$r"
	gs_stop_spoold
	kill "$VPRINTER_PID"; wait "$VPRINTER_PID" || true
	pkill -f -- "$T/" || true
	pidwait -f -- "$T/" || true
	grep -q '"lines_executed":' "$T/vprinter.log.json" ||
		fail "$name: no summary from the virtual printer"
	echo "$name: $(cat "$T/vprinter.log.json")"
	mv "$T/spoold.log" "$T/spoold-$name.log"
	rm -rf "$T/spool" "$T/vprinter.log" "$T/vprinter.log.json"
}

case_run damaged-in --corrupt-in 40
case_run damaged-out --corrupt-out 40
case_run lost-oks --drop-ok 80
case_run damaged-oks --corrupt-ok 80
case_run spurious-resend --spurious-resend 150
case_run silent-duplicates --spurious-resend 150 --silent-duplicates
case_run no-ok-after-resend --no-ok-after-resend --corrupt-in 40
case_run advanced-ok --advanced-ok --corrupt-in 60 --bufsize 8
# Each kind of damage, then all of them at once, in bursts, with lost
# oks, for both Resend: behaviours, and on a wire with its real speed.
case_run lost-bytes --corrupt-in 60 --corrupt-out 60 --corrupt-kind lose
case_run extra-bytes --corrupt-in 60 --corrupt-out 60 --corrupt-kind extra
case_run high-bit --corrupt-in 60 --corrupt-out 60 --corrupt-kind high
case_run mixed-bursts --corrupt-in 60 --corrupt-out 60 --corrupt-kind mixed \
    --burst 3 --drop-ok 100
case_run mixed-2.0.9 --no-ok-after-resend --corrupt-in 60 --corrupt-out 60 \
    --corrupt-kind mixed --drop-ok 100
case_run mixed-wire --baud 250000 --latency-ms 1 --corrupt-in 200 \
    --corrupt-out 200 --corrupt-kind mixed --drop-ok 400 --spurious-resend 300
echo "PASS"
