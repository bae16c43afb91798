#!/bin/sh
# A job's progress in the status model, on a corpus file, against the
# analyser's own figures (gprint --check --json): its layer count, its
# modelled time, its commands; the layer shown is the file's at the
# line acknowledged; the share done is by modelled time; the time left
# is the model's remainder at the pace the print has kept; a filter's
# progress events follow the same share.  The same
# file at half the printer's speed (--time-scale doubled) keeps half
# the pace, and its time left is twice the model's share of it.
. "$top_srcdir/tests/integration/lib.sh"
need_corpus
command -v jq > /dev/null || { echo "SKIP: no jq"; exit 77; }
f="$CORPUS/prusaslicer-2.8.1-mini-cube.gcode"
SCALE=0.1
mkdir -p "$T/filters"
cat > "$T/filters/events" <<'SH'
#!/bin/sh
cat > "$GSPOOL_JOB_DIR/events.txt"
SH
chmod +x "$T/filters/events"
gs_config "filters = events"
sed -i "/^\[spool\]/a filter_dir = $T/filters" "$GSPOOL_CONF"
gs_vprinter --time-scale $SCALE --heat-time 0
gs_spoold
"$GPRINT" --check --json "$f" > "$T/check.json" || fail "gprint --check"
model=$(jq .gspool_estimated_seconds "$T/check.json")
layers=$(jq .layers "$T/check.json")
commands=$(jq .commands "$T/check.json")
[ "$model" -gt 60 ] && [ "$layers" -gt 10 ] || fail "the check: $(cat "$T/check.json")"

# The file's layer after its first N commands: the markers before them.
file_layer() {
	tr -d '\r' < "$f" | awk -v n="$1" '
		/^;LAYER_CHANGE/ { layer++ }
		/^[ \t]*[GMT][0-9]/ { if (++c > n) { print layer + 0; exit } }'
}

# progress N: mk3's status once the printer has run N commands, in
# $T/status.json, and its figures checked.
progress() {
	"$WAITFOR" lines "$T/vprinter.log" "$1" || fail "the printer did not reach $1"
	"$GQUEUE" --json | jq '.printers[0].status' > "$T/status.json"
	p=$(cat "$T/status.json")
	jq -e --argjson m "$model" --argjson l "$layers" --argjson c "$commands" '
	    .activity == "printing" and .progress.layers == $l and
	    .progress.commands == $c and .progress.model_seconds == $m and
	    .progress.time_fraction > 0 and .progress.time_fraction < 1 and
	    .progress.bytes_fraction > 0 and .progress.bytes_fraction < 1 and
	    (.progress.time_fraction * $m - .progress.model_elapsed | fabs) <= 1 and
	    .progress.pace > 0' "$T/status.json" > /dev/null ||
		fail "progress after $1 commands: $p"
	done=$(jq .progress.lines_done "$T/status.json")
	want=$(file_layer "$done")
	[ "$(jq .progress.layer "$T/status.json")" = "$want" ] ||
		fail "layer $(jq .progress.layer "$T/status.json") at line $done, the file's is $want: $p"
	# The time left is the model's remainder at the pace so far.
	jq -e '(.progress.model_seconds - .progress.model_elapsed) * .progress.pace
	    - .progress.remaining | fabs <= 2' "$T/status.json" > /dev/null ||
		fail "the time left is not the model's at the pace: $p"
	jq -e '.progress.finish - .progress.remaining - now | fabs <= 5' \
	    "$T/status.json" > /dev/null || fail "the finish is not now and the time left: $p"
}

id=$(submit "$f")
progress $((commands / 4))
first=$(jq .progress.time_fraction "$T/status.json")
layer1=$(jq .progress.layer "$T/status.json")
progress $((commands * 3 / 5))
jq -e --argjson a "$first" --argjson l "$layer1" \
    '.progress.time_fraction > $a and .progress.layer > $l' "$T/status.json" > /dev/null ||
	fail "no headway from $first, layer $layer1: $(cat "$T/status.json")"
pace1=$(jq .progress.pace "$T/status.json")
"$GQUEUE" > "$T/out"
grep -q "^	printing mk3-$id: layer [0-9]* of $layers, [0-9]*% (by time), [0-9hms]* elapsed, about [0-9hms]* left, done at [0-9:]*$" "$T/out" ||
	fail "gqueue: $(cat "$T/out")"
# gpc(8)'s example of gpc status has the lines gpc status prints, its
# figures aside.
shape() { grep '^	' | sed -e 's/[0-9][0-9.:hms]*/N/g'; }
"$GPC" status mk3 > "$T/gpc.out" || fail "gpc status: exit $?"
awk '/^\$ gpc status mk3$/ { on = 1; next } /^\$ / { on = 0 } on' \
    "$top_srcdir/man/gpc.8" | shape > "$T/man.shape"
shape < "$T/gpc.out" > "$T/gpc.shape"
[ -s "$T/man.shape" ] && cmp -s "$T/man.shape" "$T/gpc.shape" ||
	fail "gpc(8)'s example of gpc status is not what it prints:" \
	    "$(cat "$T/man.shape") / $(cat "$T/gpc.out")"
out=$("$GQUEUE" -w "$id") || fail "the job: $out"
# The filters' per cent is the same share, by time: it only grows, to
# 100 at the end.
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter events exited" ||
	fail "the filter did not end"
ev="$T/spool/jobs/$id.d/events.txt"
sed -n 's/^progress //p' "$ev" > "$T/pc"
[ "$(tail -n 1 "$T/pc")" = 100 ] && sort -n -c "$T/pc" ||
	fail "the filter's progress: $(tr '\n' ' ' < "$T/pc")"

# Half speed: the printer's moves take twice as long.
"$WAITFOR" contains "$T/spoold.log" "mk3: status idle" || fail "not idle"
kill "$VPRINTER_PID"
wait "$VPRINTER_PID" || true
"$WAITFOR" contains "$T/spoold.log" "mk3: status offline" || fail "not offline"
rm -f "$T/vprinter.log"
gs_vprinter --time-scale "$(awk -v s=$SCALE 'BEGIN { print s * 2 }')" --heat-time 0
"$WAITFOR" count "$T/spoold.log" "mk3: status idle" 2 || fail "not idle again"
id=$(submit "$f")
progress $((commands * 3 / 5))
pace2=$(jq .progress.pace "$T/status.json")
echo "note: pace $pace1 at full speed, $pace2 at half speed"
echo "$pace1 $pace2" | awk '{ r = $2 / $1; exit !(r > 1.6 && r < 2.4) }' ||
	fail "at half speed the pace went from $pace1 to $pace2, not twice"
"$GCANCEL" "$id" > /dev/null
echo "PASS"
