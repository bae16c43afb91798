#!/bin/sh
# The queue as CUPS keeps it: jobs by priority then order, top, hold and
# release, --hold-until, copies, bed clearing (gpc ready), accept and
# reject, enable and disable, move, gcancel -a/-u/-, standard input,
# reprints, the history and its retention, notifications, and what
# another user may and may not do.
. "$top_srcdir/tests/integration/lib.sh"
gs_config "clears_bed = no" "" "[printer mk4]" "device = $T/mk4.tty"
cat > "$T/notify.sh" <<'SH'
#!/bin/sh
echo "$1 $2 $GSPOOL_JOB_NAME $GSPOOL_STATE $GSPOOL_OWNER" >> "${0%/*}/events.log"
SH
chmod +x "$T/notify.sh"
sed -i "/^\[spool\]/a notify = $T/notify.sh" "$GSPOOL_CONF"
gs_spoold			# no printer yet: the jobs wait
me=$(id -un)
for n in 1 2 3 4 5 6 7 8; do
	printf 'G28\nG1 X%d F3000\n' "$n" > "$T/j$n.gcode"
done

# Priority first, then the order they came in; -q holds.
id1=$(submit "$T/j1.gcode")
id2=$(submit "$T/j2.gcode" -p 80)
id3=$(submit "$T/j3.gcode" -q)
id4=$(submit "$T/j4.gcode" -p 80)
"$GQUEUE" > "$T/q.out"
for r in "1st $id2" "2nd $id4" "3rd $id1" "held $id3"; do
	grep -q "^${r% *} .* ${r#* } " "$T/q.out" || fail "not $r: $(cat "$T/q.out")"
done
"$GPC" top "$id1" || fail "gpc top"
"$GPC" hold "$id4" || fail "gpc hold"
"$GPC" release "$id3" || fail "gpc release"
"$GPC" release "$id3" 2> "$T/err" && fail "released a job not held"
grep -q "is not held" "$T/err" || fail "gpc release said: $(cat "$T/err")"
"$GPC" priority "$id3" 90 || fail "gpc priority"
"$GQUEUE" > "$T/q.out"
for r in "1st $id1" "2nd $id3" "3rd $id2" "held $id4"; do
	grep -q "^${r% *} .* ${r#* } " "$T/q.out" || fail "not $r: $(cat "$T/q.out")"
done
"$GQUEUE" -l "$id3" > "$T/ql.out"
grep -q "^	mk3-$id3: pending, priority 90$" "$T/ql.out" || fail "gqueue -l: $(cat "$T/ql.out")"

# The printer comes: one job, then it waits for its bed to be cleared.
gs_vprinter
"$GQUEUE" -w "$id1" > /dev/null || fail "job $id1"
"$GQUEUE" > "$T/q.out"
grep -qx "mk3 is awaiting-clear: clear its bed, then gpc ready mk3" "$T/q.out" ||
	fail "not awaiting-clear: $(cat "$T/q.out")"
grep -q "^1st .* $id3 " "$T/q.out" || fail "job $id3 did not wait: $(cat "$T/q.out")"
"$GPC" ready mk3 || fail "gpc ready"
"$GQUEUE" -w "$id3" > /dev/null || fail "job $id3"
"$GPC" ready mk3
"$GQUEUE" -w "$id2" > /dev/null || fail "job $id2"
expect_log "$T/j1.gcode" "$T/j3.gcode" "$T/j2.gcode"

# Disabled, a printer keeps its jobs; rejecting, it refuses new ones.
"$GPC" -r "nozzle change" disable mk3 || fail "gpc disable"
"$GPC" release "$id4"
"$GPC" ready mk3
"$GQUEUE" > "$T/q.out"
grep -qx "	mk3 is disabled: nozzle change" "$T/q.out" || fail "gqueue: $(cat "$T/q.out")"
grep -q "^1st .* $id4 " "$T/q.out" || fail "a disabled printer took job $id4: $(cat "$T/q.out")"
"$GPC" -r "maintenance" reject mk3 || fail "gpc reject"
"$GPRINT" "$T/j5.gcode" 2> "$T/err" && fail "a rejecting printer took a job"
grep -q "rejected: mk3 is not accepting jobs: maintenance" "$T/err" ||
	fail "gprint said: $(cat "$T/err")"
"$GPC" accept mk3 && "$GPC" enable mk3 || fail "gpc accept, enable"
"$GQUEUE" -w "$id4" > /dev/null || fail "job $id4"

# Copies: each one waits for the bed like a job of its own.
id5=$(submit "$T/j5.gcode" -# 2)
"$GPC" ready mk3
"$WAITFOR" contains "$T/spoold.log" "mk3-$id5: completed; another copy" ||
	fail "no first copy"
"$GQUEUE" -l > "$T/ql.out"
grep -q "^	mk3-$id5: pending (copy 1 of 2 completed), priority 50, copy 2 of 2" "$T/ql.out" ||
	fail "gqueue -l: $(cat "$T/ql.out")"
"$GPC" ready mk3
"$GQUEUE" -w "$id5" > /dev/null || fail "job $id5"

# --hold-until: queued held, released by spoold when its time comes (the
# notifications and the log say so, whatever the machine's speed).
id6=$(submit "$T/j6.gcode" --hold-until +1s)
"$GPC" ready mk3
"$GQUEUE" -w "$id6" > /dev/null || fail "job $id6 was not released"
"$WAITFOR" contains "$T/events.log" "held $id6 mk3-$id6 " || fail "job $id6 was not held"
grep -q "mk3-$id6: released: its time came" "$T/spoold.log" || fail "job $id6 was not released by its time"
expect_log "$T/j1.gcode" "$T/j3.gcode" "$T/j2.gcode" "$T/j4.gcode" \
    "$T/j5.gcode" "$T/j5.gcode" "$T/j6.gcode"

# gpc send: commands by hand, a line an argument, each checked like a
# job's and answered in turn (a printer waiting for its bed to be
# cleared takes them).
"$GPC" send mk3 "G1 X12 Y34 F3000" > "$T/out" || fail "gpc send G1"
[ "$(cat "$T/out")" = "G1 X12 Y34 F3000: ok" ] || fail "gpc send G1 said: $(cat "$T/out")"
"$GPC" send mk3 G28 M114 > "$T/out" || fail "gpc send G28 M114"
sed -n 1p "$T/out" | grep -qx "G28: ok" || fail "gpc send G28 M114 said: $(cat "$T/out")"
sed -n 2p "$T/out" | grep -q "^M114: X:0.00 Y:0.00 " || fail "gpc send G28 M114 said: $(cat "$T/out")"
[ "$(wc -l < "$T/out")" -eq 2 ] || fail "gpc send G28 M114 said: $(cat "$T/out")"
tail -n 2 "$T/vprinter.log" | tr '\n' ' ' | grep -qx "G28 M114 " ||
	fail "the printer ran: $(tail -n 2 "$T/vprinter.log")"
"$GPC" send mk3 "G1 X12 Y34 F3000" M114 > "$T/out" || fail "gpc send G1 M114"
grep -q "^M114: X:12.00 Y:34.00 " "$T/out" || fail "gpc send M114 said: $(cat "$T/out")"
before=$(wc -l < "$T/vprinter.log")
"$GPC" send mk3 M502 2> "$T/err" && fail "gpc send took a forbidden command"
grep -q "M502 is forbidden" "$T/err" || fail "gpc send M502: $(cat "$T/err")"
"$GPC" send mk3 G28 "M104 S400" 2> "$T/err" && fail "gpc send took 400 C"
grep -q "line 2: M104 S400 sets 400 C, above the printer's max_hotend" "$T/err" ||
	fail "gpc send M104: $(cat "$T/err")"
for m in M0 M1 "M0 S5"; do
	"$GPC" send mk3 "$m" 2> "$T/err" && fail "gpc send took $m"
	grep -q "line 1: '$m' waits for someone to press the printer's button" "$T/err" ||
		fail "gpc send $m: $(cat "$T/err")"
done
"$GPC" send mk3 G1 X10 2> "$T/err" && fail "gpc send took a word for a command"
grep -q "line 2: 'X10' is a word, not a command" "$T/err" || fail "gpc send G1 X10: $(cat "$T/err")"
[ "$(wc -l < "$T/vprinter.log")" -eq "$before" ] || fail "a refused command reached the printer"

# Standard input, move, and cancelling many at once on mk4 (no printer).
out=$("$GPRINT" -P mk4 < "$T/j7.gcode") || fail "gprint from standard input"
id7=$(echo "$out" | sed -n 's/^request id is mk4-\([0-9]*\) .*/\1/p')
"$GQUEUE" -P mk4 > "$T/q.out"
grep -q "^1st .* $id7 *(stdin) " "$T/q.out" || fail "stdin job: $(cat "$T/q.out")"
id8=$(submit "$T/j8.gcode" -q)
"$GPC" move "$id8" mk4 || fail "gpc move"
"$GQUEUE" -P mk4 > "$T/q.out"
grep -q "^held .* $id8 " "$T/q.out" || fail "job $id8 not moved: $(cat "$T/q.out")"
"$GCANCEL" -P mk4 -u "$me" > "$T/out" || fail "gcancel -u"
# Each job canceled is named, as lprm names them.
grep -qx "canceled mk4-$id7 ((stdin))" "$T/out" || fail "gcancel -u: $(cat "$T/out")"
# A job moved keeps the name it was submitted under.
grep -qx "canceled mk3-$id8 (j8.gcode)" "$T/out" || fail "gcancel -u: $(cat "$T/out")"
[ "$(wc -l < "$T/out")" = 2 ] || fail "gcancel -u: $(cat "$T/out")"
"$GQUEUE" -P mk4 | grep -qx "no entries" || fail "mk4 still has jobs"

# --json for scripts.
"$GPRINT" --json -P mk4 -q "$T/j1.gcode" "$T/missing.gcode" > "$T/out" 2>&1 &&
	fail "gprint --json: a missing file went unnoticed"
grep -q '^{"file":"[^"]*/j1.gcode","accepted":true,"id":[0-9]*,"name":"mk4-[0-9]*","destination":"mk4"}$' "$T/out" ||
	fail "gprint --json: $(cat "$T/out")"
grep -q '^{"file":"[^"]*/missing.gcode","accepted":false,"reason":"No such file or directory"}$' "$T/out" ||
	fail "gprint --json: $(cat "$T/out")"
idj=$(sed -n 's/.*"id":\([0-9]*\),.*/\1/p' "$T/out")
"$GCANCEL" --json "$idj" 999 > "$T/out" && fail "gcancel --json 999"
grep -qx "{\"job\":$idj,\"canceled\":true}" "$T/out" || fail "gcancel --json: $(cat "$T/out")"
grep -qx '{"job":999,"canceled":false,"error":"job 999 does not exist"}' "$T/out" ||
	fail "gcancel --json: $(cat "$T/out")"

# A reprint is a new job of the same file.
out=$("$GPRINT" --reprint "$id1") || fail "gprint --reprint"
id9=$(echo "$out" | sed -n 's/^request id is mk3-\([0-9]*\) .*/\1/p')
"$GPC" ready mk3
"$GQUEUE" -w "$id9" > /dev/null || fail "the reprint"

# Another user sees that jobs are there, not what they are, and may not
# change them or the printers.
if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null &&
    id nobody > /dev/null 2>&1; then
	chmod 755 "$T"
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	id10=$(submit "$T/j1.gcode" -q -T secret-part)
	as_nobody "$GQUEUE" > "$T/q.out" 2>&1 || fail "gqueue as nobody: $(cat "$T/q.out")"
	grep -q "^held .* $id10 *(hidden) " "$T/q.out" || fail "title shown: $(cat "$T/q.out")"
	grep -q secret "$T/q.out" && fail "title shown: $(cat "$T/q.out")"
	for c in "$GCANCEL $id10" "$GPC release $id10" "$GPC priority $id10 99" \
	    "$GPC ready mk3" "$GPC disable mk3" "$GPC top $id10" \
	    "$GCANCEL -u $me" "$GPC resume-from $id10 1" "$GPC send mk3 G28"; do
		# shellcheck disable=SC2086
		as_nobody $c > "$T/out" 2>&1 && fail "nobody could: $c"
		grep -q -E "only|your own" "$T/out" || fail "$c as nobody: $(cat "$T/out")"
	done
	"$GCANCEL" "$id10" || fail "the owner could not cancel"
	as_nobody_ok=1
fi

# The history, the notifications, and retention.
"$GQUEUE" --history > "$T/h.out"
grep -q " mk3-$id9 *mk3 *$me *completed " "$T/h.out" || fail "history: $(cat "$T/h.out")"
"$WAITFOR" contains "$T/events.log" "completed $id9 mk3-$id9 completed $me" ||
	fail "no notification: $(cat "$T/events.log")"
grep -q "^held $id3 mk3-$id3 held $me$" "$T/events.log" || fail "events: $(cat "$T/events.log")"
grep -q "^awaiting" "$T/events.log" && fail "odd event"
gs_stop_spoold
sed -i "/^\[spool\]/a keep_files = 0" "$GSPOOL_CONF"
if [ -n "${as_nobody_ok:-}" ]; then
	# The admin group may do what root may.
	sed -i "/^\[spool\]/a admin_group = nogroup" "$GSPOOL_CONF"
fi
gs_spoold
if [ -n "${as_nobody_ok:-}" ]; then
	as_nobody "$GPC" -r "from nobody" disable mk4 || fail "the admin group may not disable"
	"$GQUEUE" -P mk4 | grep -qx "	mk4 is disabled: from nobody" || fail "mk4 not disabled"
fi
"$GPRINT" --reprint "$id1" 2> "$T/err" && fail "reprinted a file not kept"
grep -q "its file is no longer kept" "$T/err" || fail "gprint --reprint: $(cat "$T/err")"
[ -e "$T/spool/jobs/$id1.gcode" ] && fail "the file of job $id1 is still kept"
gs_stop_spoold
sed -i "/^\[spool\]/a keep_jobs = 0" "$GSPOOL_CONF"
gs_spoold
"$GQUEUE" --history | grep -qx "no entries" || fail "history kept: $("$GQUEUE" --history)"
echo "PASS"
