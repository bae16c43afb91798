#!/bin/sh
# The replies read with no poll before them: while a job's lines are in
# flight and nothing else is to be done, the serial backend reads the
# port's blocking descriptor at once (gspool-backend(8)).  A print on
# the virtual printer at 250000 baud is exact and clean, and the
# backend's stats line counts fewer system calls than a poll, a read
# and a write a line make (about 2.9): about 2, a read and most of a
# write.  And spoold is still heard while the backend waits in such
# reads: on a second printer whose hotend takes an hour to heat, a job
# waits in its M109 with its next lines in flight, the printer saying
# no more than its temperature each second, and is canceled when asked.
. "$top_srcdir/tests/integration/lib.sh"
gs_config "" "[printer mk4]" "device = $T/mk4.tty" "handshake_timeout = 5" \
    "reconnect_interval = 1" "clears_bed = yes"
gs_vprinter --baud 250000 --latency-ms 1
"$VPRINTER" -o "$T/vprinter4.log" --heat-time 3600 "$T/mk4.tty" \
    2>>"$T/vprinter4.err" &
"$WAITFOR" exists "$T/mk4.tty" || fail "the second printer did not start"
gs_spoold

id=$(submit "$CUBE")
"$GQUEUE" -w "$id" > /dev/null || fail "job mk3-$id did not complete"
expect_log "$CUBE"
expect_clean "$T/vprinter.log.json"
stats=$(grep "mk3-$id: stats" "$T/spoold.log" | tail -n 1)
[ -n "$stats" ] || fail "no stats line for mk3-$id"
echo "$stats" | tr ' ' '\n' | awk -F= '
	$1 == "lines" { l = $2 } $1 == "syscalls" { s = $2 }
	END {
		printf "mk3: %d lines, %d system calls, %.2f a line\n", l, s, s / l
		exit !(l > 1000 && s / l < 2.5)
	}' || fail "a poll before each read: $stats"

{
	echo "G90"
	echo "M104 S200"
	echo "M109 S200"
	i=0
	while [ $i -lt 20 ]; do
		echo "G1 X$((20 + i)) Y20 F3000"
		i=$((i + 1))
	done
} > "$T/heat.gcode"
out=$("$GPRINT" -P mk4 "$T/heat.gcode") || fail "gprint -P mk4: exit $?"
id=${out#request id is mk4-}
id=${id%% *}
"$WAITFOR" contains "$T/vprinter4.log" "M104 S200" ||
	fail "the job did not reach mk4"
"$GCANCEL" "mk4-$id" < /dev/null > /dev/null || fail "gcancel mk4-$id: exit $?"
"$GQUEUE" -w "mk4-$id" > "$T/w.out" 2>&1 && fail "the heating job completed"
grep -q "^mk4-$id: canceled" "$T/w.out" ||
	fail "gqueue -w said: $(cat "$T/w.out")"
echo "mk4: $(cat "$T/w.out")"
echo "PASS"
