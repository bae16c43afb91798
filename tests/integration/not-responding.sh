#!/bin/sh
# A printer that falls silent mid-print is an event of its job that the
# notify command and the filters hear: not-responding, with the
# backend's words, and, when the printer speaks again, the job's state
# (processing).  The printer is stopped (SIGSTOP) during a long job, and
# continued once notify has heard of it, well before the silence would
# stop the job (15 s); the job then goes on.
. "$top_srcdir/tests/integration/lib.sh"
mkdir -p "$T/filters"
cat > "$T/filters/events" <<'SH'
#!/bin/sh
cat > "$GSPOOL_JOB_DIR/events.txt"
SH
cat > "$T/notify.sh" <<'SH'
#!/bin/sh
echo "$1 $GSPOOL_JOB_NAME $GSPOOL_STATE $GSPOOL_REASON" >> "${0%/*}/notify.log"
SH
chmod +x "$T/filters/events" "$T/notify.sh"
gs_config "filters = events"
sed -i "/^\[spool\]/a notify = $T/notify.sh\nfilter_dir = $T/filters" "$GSPOOL_CONF"
gs_vprinter
gs_spoold
# Long enough to be printing while the printer is stopped and after.
awk 'BEGIN { print "G28"; print "G92 E0"
	for (i = 0; i < 60000; i++) printf "G1 X%d Y%d E%.2f F3000\n", i % 200, (i / 200) % 200, i * 0.01 }' > "$T/long.gcode"
id=$(submit "$T/long.gcode")
"$WAITFOR" contains "$T/notify.log" "processing mk3-$id processing" ||
	fail "the job did not start: $(cat "$T/notify.log")"
kill -STOP "$VPRINTER_PID"
"$WAITFOR" contains "$T/notify.log" "not-responding mk3-$id processing not responding: no word from the printer" ||
	{ kill -CONT "$VPRINTER_PID"; fail "notify did not hear not-responding: $(cat "$T/notify.log")"; }
kill -CONT "$VPRINTER_PID"
"$WAITFOR" contains "$T/notify.log" "processing mk3-$id processing the printer answers again" ||
	fail "notify did not hear the printer again: $(cat "$T/notify.log")"
"$GCANCEL" "$id" > /dev/null || fail "gcancel"
out=$("$GQUEUE" -w "$id") || true
case "$out" in
"mk3-$id: canceled"*) ;;
*) fail "the job did not go on until canceled: $out" ;;
esac
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter events exited" ||
	fail "the filter did not end"
ev="$T/spool/jobs/$id.d/events.txt"
grep -q "^not-responding not responding: no word from the printer" "$ev" ||
	fail "the filter did not hear not-responding: $(cat "$ev")"
grep -n "^not-responding" "$ev" | cut -d: -f1 > "$T/a"
grep -n "^processing$" "$ev" | cut -d: -f1 > "$T/b"
[ -s "$T/b" ] && [ "$(head -n 1 "$T/a")" -lt "$(head -n 1 "$T/b")" ] ||
	fail "the filter did not hear the printer again after: $(cat "$ev")"
grep -q "^end canceled$" "$ev" || fail "the filter's events: $(cat "$ev")"
echo "PASS"
