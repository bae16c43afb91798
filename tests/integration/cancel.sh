#!/bin/sh
# gcancel: a job waiting in the queue, and a job the printer is
# printing.  Canceling stops the stream at once: the printer executes
# no line of the job after the cancel.
. "$top_srcdir/tests/integration/lib.sh"

# A printer that goes silent after 20 commands keeps job 1 printing.
gs_config
gs_vprinter --silent-after 20
gs_spoold
id1=$(submit "$CUBE")
id2=$(submit "$CUBE")
"$WAITFOR" lines "$T/vprinter.log" 20 || fail "the print did not start"
"$GQUEUE" > "$T/q.out"
grep -qx "mk3 is ready and printing" "$T/q.out" || fail "gqueue: $(cat "$T/q.out")"
grep -q "^active  $(id -un | cut -c1-7) *$id1 *calibration-cube.gcode *[0-9]* bytes$" "$T/q.out" ||
	fail "gqueue shows no active job: $(cat "$T/q.out")"
grep -q "^1st .* $id2 " "$T/q.out" || fail "gqueue shows no waiting job: $(cat "$T/q.out")"
# gqueue -l: what the analyser found, under each job.
"$GQUEUE" -l > "$T/ql.out"
grep -q "^	sliced by gspool mkcube.awk$" "$T/ql.out" || fail "gqueue -l: $(cat "$T/ql.out")"
grep -q "^	100 layers, about [0-9]*m [0-9]*s, T0 1.23 m of filament (4 g)$" "$T/ql.out" ||
	fail "gqueue -l: $(cat "$T/ql.out")"
grep -q "^	hotend 205 C, bed 60 C$" "$T/ql.out" || fail "gqueue -l: $(cat "$T/ql.out")"

# A job named on the wrong printer is not canceled.
rc=0
"$GCANCEL" "mk4-$id2" > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 1 ] || fail "gcancel mk4-$id2: exit $rc, not 1"
grep -qx "gcancel: mk4-$id2: job $id2 is mk3-$id2, not mk4-$id2" "$T/err" ||
	fail "gcancel mk4-$id2: $(cat "$T/err")"
"$GQUEUE" | grep -q "^1st .* $id2 " || fail "gcancel mk4-$id2 canceled mk3-$id2"

# Cancel the waiting job first: it never reaches the printer.  gcancel
# names it.
"$GCANCEL" "mk3-$id2" > "$T/out" || fail "gcancel mk3-$id2"
[ "$(cat "$T/out")" = "canceled mk3-$id2 (calibration-cube.gcode)" ] ||
	fail "gcancel mk3-$id2 said: $(cat "$T/out")"
out=$("$GQUEUE" -w "$id2") && fail "a canceled job reported success"
[ "$out" = "mk3-$id2: canceled: canceled by request" ] || fail "gqueue -w $id2: $out"

# On a terminal, gcancel asks before it cancels a print in progress:
# no leaves it printing.
if command -v script > /dev/null; then
	rc=0
	echo n | script -qec "'$GCANCEL' $id1" /dev/null > "$T/out" || rc=$?
	[ $rc = 1 ] || fail "gcancel, answered no: exit $rc, not 1"
	grep -q "mk3-$id1 (calibration-cube.gcode) is printing on mk3; cancel it? \[y/N\]" "$T/out" ||
		fail "gcancel on a terminal did not ask: $(cat "$T/out")"
	grep -q "mk3-$id1 not canceled" "$T/out" || fail "gcancel, answered no: $(cat "$T/out")"
	"$GQUEUE" | grep -q "^active .* $id1 " || fail "answered no, and the print was canceled"
fi

# Cancel the printing job (not on a terminal: no question).
"$GCANCEL" "$id1" < /dev/null || fail "gcancel $id1"
out=$("$GQUEUE" -w "$id1") && fail "a canceled job reported success"
[ "$out" = "mk3-$id1: canceled: canceled by request" ] || fail "gqueue -w $id1: $out"
"$GQUEUE" > "$T/q.out"
grep -qx "no entries" "$T/q.out" || fail "gqueue after cancel: $(cat "$T/q.out")"
[ "$(wc -l < "$T/vprinter.log")" -eq 20 ] || fail "the printer ran more than it was sent"

# A finished job cannot be canceled again.
"$GCANCEL" "$id1" 2> "$T/err" && fail "canceled a canceled job"
grep -q "already canceled" "$T/err" || fail "gcancel said: $(cat "$T/err")"

# Another user may not cancel your job.
if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null &&
    id nobody > /dev/null 2>&1; then
	id3=$(submit "$CUBE")
	chmod 755 "$T"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$GCANCEL" "$id3" 2> "$T/err" && fail "nobody canceled root's job"
	grep -q "you may cancel only your own jobs" "$T/err" ||
		fail "gcancel as nobody said: $(cat "$T/err")"
	"$GCANCEL" "$id3" || fail "the owner could not cancel"
fi
echo "PASS"
