#!/bin/sh
# Filters outlive spoold, as the print does (gspool(7), gspool-filter(7)).
# A filmed print (the timelapse filter, a snapshot camera): spoold is
# killed (SIGKILL) three times during it, at points of the print, and
# started again; each new spoold gets the filter's pipes back from the
# backend and follows the same filter process, whose layers the backend
# wrote while no spoold was there.  The video has exactly one frame a
# layer, and the filter's end is recorded with the job.  Then spoold is
# killed near the end of a second print and comes back only after the
# job has ended: the backend told the filter the end, and the new spoold
# reads the filter's last words (its ATTR: lines) and records its exit.
. "$top_srcdir/tests/integration/lib.sh"
command -v ffmpeg > /dev/null && command -v ffprobe > /dev/null ||
	{ echo "SKIP: no ffmpeg"; exit 77; }
CAMSERVER="$BIN/tests/integration/camserver"

# Frames for the test camera, and a job of 20 layers.
ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc=size=160x120:rate=5 \
    -frames:v 3 "$T/f%d.jpg" || fail "ffmpeg could not make test frames"
awk 'BEGIN {
	print "G28"; print "G90"; print "M82"; print "G92 E0"
	for (l = 1; l <= 20; l++) {
		printf ";LAYER:%d\nG1 Z%.2f F600\n", l - 1, l * 0.2
		for (i = 0; i < 40; i++) {
			e += 0.05
			printf "G1 X%d Y%d E%.3f F3000\n", 10 + i, 10 + i * 2, e
		}
	}
}' > "$T/layers.gcode"
total=$(gcode_commands "$T/layers.gcode" | wc -l)

mkdir "$T/filters"
ln -s "$BIN/filters/timelapse" "$T/filters/timelapse"
"$CAMSERVER" -p "$T/cam.port" -m snapshot "$T/f1.jpg" "$T/f2.jpg" "$T/f3.jpg" \
    2>>"$T/cam.err" &
"$WAITFOR" exists "$T/cam.port" || fail "the test camera did not start"
url="http://127.0.0.1:$(cat "$T/cam.port")/snapshot"
gs_config "camera = $url" "filter_options = hold=0 fps=10 timeout=10" \
    "filters = timelapse"
sed -i "/^\[spool\]/a filter_dir = $T/filters\nfilter_timeout = 120" "$GSPOOL_CONF"

frames_in() {	# video
	ffprobe -v error -count_frames -select_streams v:0 \
	    -show_entries stream=nb_read_frames -of csv=p=0 "$1"
}
attr() {	# name value
	grep -q "\"$1\": \"$2\"" "$T/j.json" || fail "job $id: $1 is not '$2': $(cat "$T/j.json")"
}
restart() {	# spoold killed, and started again
	kill -9 "$SPOOLD_PID"
	wait "$SPOOLD_PID" 2>/dev/null || true
	rm -f "$T/spool/control"
	gs_spoold
}

gs_vprinter --command-ms 3
gs_spoold

# 1. Killed three times mid-print: one filter, one frame a layer.
id=$(submit "$T/layers.gcode")
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter timelapse started, pid" ||
	fail "the filter did not start"
pid=$(sed -n "s/.*mk3-$id: filter timelapse started, pid \([0-9]*\).*/\1/p" \
    "$T/spoold.log")
n=0
for at in 150 300 500; do
	n=$((n + 1))
	"$WAITFOR" lines "$T/vprinter.log" "$at" || fail "the print stalled before line $at"
	restart
	"$WAITFOR" count "$T/spoold.log" "mk3-$id: filter timelapse followed again, pid $pid" "$n" ||
		fail "restart $n: spoold did not follow the filter again"
done
grep -q "mk3-$id: re-attached to backend" "$T/spoold.log" || fail "no re-attach"
"$GQUEUE" -w "$id" > "$T/w.out" || fail "job $id: $(cat "$T/w.out")"
expect_log "$T/layers.gcode"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter timelapse exited" ||
	fail "the filter's end was not recorded"
[ "$(grep -c "mk3-$id: filter timelapse started" "$T/spoold.log")" = 1 ] ||
	fail "the filter was started again"
"$GQUEUE" --json --history "$id" > "$T/j.json"
attr timelapse.frames 20
attr timelapse.failed_frames 0
attr timelapse.render ok
attr filter.timelapse.exit "unknown (started by an earlier spoold)"
[ "$(frames_in "$T/spool/jobs/$id.d/timelapse.mp4")" = 20 ] ||
	fail "the video has $(frames_in "$T/spool/jobs/$id.d/timelapse.mp4") frames for 20 layers"

# 2. spoold away when the job ends: the backend tells the filter the
# end, and keeps its words for the next spoold.
: > "$T/vprinter.log"
rm -f "$T/spool/run/mk3.end"
id=$(submit "$T/layers.gcode")
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter timelapse started, pid" ||
	fail "the filter did not start"
pid=$(sed -n "s/.*mk3-$id: filter timelapse started, pid \([0-9]*\).*/\1/p" \
    "$T/spoold.log")
"$WAITFOR" lines "$T/vprinter.log" $((total - 200)) || fail "the print stalled"
kill -9 "$SPOOLD_PID"
wait "$SPOOLD_PID" 2>/dev/null || true
SPOOLD_PID=
"$WAITFOR" exists "$T/spool/run/mk3.end" || fail "the backend kept no end"
"$WAITFOR" exists "$T/spool/jobs/$id.d/timelapse.mp4" ||
	fail "the filter did not hear the end while spoold was away"
rm -f "$T/spool/control"
gs_spoold
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter timelapse followed again, pid $pid; its job has ended" ||
	fail "the new spoold did not follow the filter"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter timelapse exited" ||
	fail "the filter's end was not recorded"
"$GQUEUE" --json --history "$id" > "$T/j.json"
grep -q '"state": "completed"' "$T/j.json" || fail "job $id: $(cat "$T/j.json")"
attr timelapse.frames 20
attr timelapse.render ok
[ "$(frames_in "$T/spool/jobs/$id.d/timelapse.mp4")" = 20 ] ||
	fail "the video has $(frames_in "$T/spool/jobs/$id.d/timelapse.mp4") frames for 20 layers"
echo "PASS"
