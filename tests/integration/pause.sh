#!/bin/sh
# gpc pause and resume: the printer runs the pause G-code after the lines
# already sent, and on resume goes back to where the head was, runs the
# resume G-code and restores E, the modes and the feed rate; the job's
# own commands run exactly once, in order, around that.  Then a cancel
# runs the cancel G-code, and the next job prints whole.
. "$top_srcdir/tests/integration/lib.sh"

# Scripts of our own, written over several lines with comments.
gs_config \
    "pause_gcode = M400" "  G91 ; lift" "  G1 Z5 F600" "  G90" \
    "resume_gcode = M117 back" \
    "cancel_gcode = M104 S0" "  M140 S0 ; bed off" "  M84"
gs_vprinter --command-ms 2
gs_spoold
id=$(submit "$CUBE")
"$WAITFOR" lines "$T/vprinter.log" 400 || fail "the print did not start"
"$GPC" pause mk3 || fail "gpc pause"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: paused" || fail "never paused"
"$GPC" status mk3 > "$T/status.out"
grep -q "^	paused mk3-$id: layer [0-9]* of [0-9]*, [0-9]*% (by time)" "$T/status.out" ||
	fail "gpc status: $(cat "$T/status.out")"
grep -qx "	paused by request" "$T/status.out" || fail "gpc status says no why: $(cat "$T/status.out")"
"$GQUEUE" | grep -qx "mk3 is ready; mk3-$id is paused" || fail "gqueue: $("$GQUEUE")"
"$GPC" pause mk3 2> "$T/err" && fail "paused a paused job"
grep -q "is paused" "$T/err" || fail "gpc pause again said: $(cat "$T/err")"
"$GPC" resume mk3 || fail "gpc resume"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "the job did not complete: $(cat "$T/wait.out")"
"$GPC" resume mk3 2> "$T/err" && fail "resumed with nothing printing"
grep -q "no job is printing" "$T/err" || fail "gpc resume said: $(cat "$T/err")"

# The log is the job with one block inserted after line k.
gcode_commands "$CUBE" > "$T/job.log"
n=$(wc -l < "$T/job.log")
total=$(wc -l < "$T/vprinter.log")
extra=$((total - n))
diff "$T/job.log" "$T/vprinter.log" > "$T/diff" && fail "no pause G-code ran"
[ "$(grep -c '^[0-9]' "$T/diff")" -eq 1 ] || fail "more than one change: $(head "$T/diff")"
head -n 1 "$T/diff" | grep -qE "^[0-9]+a[0-9]+,[0-9]+$" || fail "not an insertion: $(head -n 1 "$T/diff")"
k=$(head -n 1 "$T/diff" | sed 's/a.*//')
sed -n 's/^> //p' "$T/diff" > "$T/block"
[ "$(wc -l < "$T/block")" -eq "$extra" ] || fail "block size"
# Where the head was after line k, from the job itself (absolute, mm).
head -n "$k" "$T/job.log" | awk '
	/^G9[01]/ { rel = ($1 == "G91") }
	/^G[0-3] / && !rel {
		for (i = 2; i <= NF; i++) {
			a = substr($i, 1, 1); v = substr($i, 2)
			if (a == "X") x = v; else if (a == "Y") y = v
			else if (a == "Z") z = v; else if (a == "E") e = v
			else if (a == "F") f = v
		}
	}
	END {
		printf "M400\nG91\nG1 Z5 F600\nG90\n"
		printf "G21\nG90\nG1 X%.3f Y%.3f F6000\nG1 Z%.3f F600\n", x, y, z
		printf "M117 back\n"
		printf "G21\nG92 E%.5f\nG90\nM82\nG1 F%.3f\n", e, f
	}' > "$T/expected-block"
diff "$T/expected-block" "$T/block" || fail "the pause and resume G-code differ"

# The layer reached is recorded with the job.
grep -q "mk3-$id: completed" "$T/spoold.log" || fail "not completed"

# Cancel mid-print: the job ends canceled at once, the cancel G-code
# runs, and the next job prints whole.
: > "$T/vprinter.log"
id1=$(submit "$CUBE")
id2=$(submit "$CUBE")
"$WAITFOR" lines "$T/vprinter.log" 300 || fail "the print did not start"
"$GCANCEL" "$id1" || fail "gcancel"
out=$("$GQUEUE" -w "$id1") && fail "a canceled job completed"
[ "$out" = "mk3-$id1: canceled: canceled by request" ] || fail "gqueue -w: $out"
"$GQUEUE" -w "$id2" > "$T/wait.out" || fail "job 2 did not complete: $(cat "$T/wait.out")"
total=$(wc -l < "$T/vprinter.log")
k=$((total - n - 3))
[ "$k" -gt 0 ] || fail "log too short"
head -n "$k" "$T/vprinter.log" | cmp -s - "$(head -n "$k" "$T/job.log" > "$T/prefix"; echo "$T/prefix")" ||
	fail "job 1 did not run in order up to the cancel"
sed -n "$((k + 1)),$((k + 3))p" "$T/vprinter.log" > "$T/cancel"
printf 'M104 S0\nM140 S0\nM84\n' | cmp -s - "$T/cancel" || fail "cancel G-code: $(cat "$T/cancel")"
tail -n "$n" "$T/vprinter.log" | cmp -s - "$T/job.log" || fail "job 2 is not whole"

# M0 in a job: not sent; the job pauses there until gpc resume.
printf 'G28\nG90\nG1 X10 Y10 F3000\nM0 insert the magnets\nG1 X20 Y20\n' > "$T/m0.gcode"
: > "$T/vprinter.log"
id=$(submit "$T/m0.gcode")
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: paused" || fail "M0 did not pause the job"
grep -q "mk3-$id: pausing: the job waits for the user (line 4: M0 insert the magnets)" \
    "$T/spoold.log" || fail "no reason for the M0 pause"
"$GPC" status mk3 | grep -qx "	paused: the job waits for the user (line 4: M0 insert the magnets)" ||
	fail "gpc status does not say why the job paused: $("$GPC" status mk3)"
"$GPC" resume mk3 || fail "gpc resume after M0"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "the M0 job did not complete: $(cat "$T/wait.out")"
grep -q '^M0' "$T/vprinter.log" && fail "M0 reached the printer"
tail -n 1 "$T/vprinter.log" | grep -qx "G1 X20 Y20" || fail "the job did not go on after M0"
echo "PASS"
