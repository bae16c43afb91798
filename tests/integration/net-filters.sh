#!/bin/sh
# Filters beside a job of a network printer (gspool-filter(7)), on the
# model of Moonraker and Klipper: a filter that records its events hears
# start, each layer once and in order, progress, the pause and the
# resume, and the end; the timelapse filter takes one frame a layer
# from a snapshot camera and renders them.  spoold is killed mid-print
# and the backend, which holds the filters' pipes, writes them the next
# layer while no spoold is there; the new spoold follows the same
# filters.  Then spoold is away when a job ends: the backend tells the
# filters the end, waits for them, and the next spoold reads their last
# words and records their exit.
. "$top_srcdir/tests/integration/net.sh"
net_need curl ffmpeg ffprobe
MODEL="$top_srcdir/tests/integration/moonraker-model.py"
CAMSERVER="$BIN/tests/integration/camserver"

net_secret "$T/key" gspool-test-key-0123
net_model_start --api-key-file "$T/key" --printed "$T/printed"

# 6 layers, with Klipper's layer information and the slicer's markers.
awk 'BEGIN {
	print "SET_PRINT_STATS_INFO TOTAL_LAYER=6"
	print "G28"; print "G90"; print "M82"
	for (l = 1; l <= 6; l++) {
		printf ";LAYER:%d\nSET_PRINT_STATS_INFO CURRENT_LAYER=%d\n", l - 1, l
		printf "G1 Z%.2f F600\n", l * 0.2
		for (i = 0; i < 60; i++) {
			e += 0.05
			printf "G1 X%d Y%d E%.3f F3000\n", 10 + i % 50,
			    10 + (i * 7) % 50, e
		}
	}
}' > "$T/job.gcode"

# The camera, and a filter that writes down each event it hears.
ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc=size=160x120:rate=5 \
    -frames:v 3 "$T/f%d.jpg" || fail "ffmpeg could not make test frames"
"$CAMSERVER" -p "$T/cam.port" -m snapshot "$T/f1.jpg" "$T/f2.jpg" "$T/f3.jpg" \
    2>>"$T/cam.err" &
"$WAITFOR" exists "$T/cam.port" || fail "the test camera did not start"
mkdir "$T/filters"
ln -s "$BIN/filters/timelapse" "$T/filters/timelapse"
# Once its events end it waits, while $T/gate is there, for a word on
# that pipe: a filter still running when the next spoold comes.
cat > "$T/filters/rec" <<EOF
#!/bin/sh
n=0
while IFS= read -r ev; do
	printf '%s\n' "\$ev" >> events
	n=\$((n + 1))
done
[ -p "$T/gate" ] && read -r _ < "$T/gate"
echo "ATTR: rec.events=\$n" >&2
EOF
chmod +x "$T/filters/rec"
gs_config "device = moonraker://127.0.0.1:$PORT" "api_key_file = $T/key" \
    "camera = http://127.0.0.1:$(cat "$T/cam.port")/snapshot" \
    "filter_options = hold=0 fps=10 timeout=10" "filters = rec timelapse"
sed -i "/^\[spool\]/a filter_dir = $T/filters\nfilter_timeout = 120" "$GSPOOL_CONF"

attr() {	# name value
	grep -q "\"$1\": \"$2\"" "$T/j.json" ||
		fail "job $id: $1 is not '$2': $(cat "$T/j.json")"
}
frames_in() {	# video
	ffprobe -v error -count_frames -select_streams v:0 \
	    -show_entries stream=nb_read_frames -of csv=p=0 "$1"
}
started() {	# filter: its pid, once job $id started it
	"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter $1 started, pid" ||
		fail "filter $1 did not start"
	sed -n "s/.*mk3-$id: filter $1 started, pid \([0-9]*\).*/\1/p" \
	    "$T/spoold.log"
}
# layers: the layers the recording filter heard, on one line.
layers() {
	grep '^layer ' "$T/spool/jobs/$id.d/events" | tr '\n' ' '
}

gs_spoold
"$WAITFOR" contains "$T/spoold.log" "mk3: ready Klipper" ||
	fail "the printer did not get ready"

# 1. Each layer held on the host until the backend has followed it, so
# that the one-second poll sees every one; paused and resumed at layer
# 2; spoold killed at layer 3 and started again after layer 4 began.
ctl hold layer=1
id=$(submit "$T/job.gcode")
rec=$(started rec)
tl=$(started timelapse)
ev="$T/spool/jobs/$id.d/events"
for l in 1 2 3 4 5 6; do
	"$WAITFOR" contains "$ML" "held $l" || fail "job $id did not reach layer $l"
	if [ "$l" = 4 ]; then
		# No spoold: the backend wrote the filters this layer.
		"$WAITFOR" contains "$ev" "layer 4 z=0" ||
			fail "the filter did not hear layer 4 while spoold was away"
		net_spoold_start
		"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter rec followed again, pid $rec" ||
			fail "spoold did not follow the recording filter again"
		"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter timelapse followed again, pid $tl" ||
			fail "spoold did not follow the timelapse again"
	else
		"$WAITFOR" contains "$T/spoold.log" "mk3-$id: layer $l, line" ||
			fail "job $id: layer $l not followed"
		"$WAITFOR" contains "$ev" "layer $l z=0" ||
			fail "the filter did not hear layer $l: $(cat "$ev")"
	fi
	if [ "$l" = 2 ]; then
		"$GPC" pause mk3 || fail "gpc pause"
		"$WAITFOR" contains "$ev" "paused" || fail "the filter did not hear the pause"
		"$GPC" resume mk3 || fail "gpc resume"
		"$WAITFOR" contains "$ev" "resumed" || fail "the filter did not hear the resume"
	fi
	if [ "$l" = 3 ]; then
		net_spoold_kill
	fi
	if [ "$l" = 6 ]; then ctl release; else ctl release "next=$((l + 1))"; fi
done
"$GQUEUE" -w "$id" > "$T/w.out" || fail "job $id: $(cat "$T/w.out")"
cmp -s "$T/job.gcode" "$T/printed" || fail "the host did not print the job exactly"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter rec exited" ||
	fail "the recording filter's end was not recorded"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter timelapse exited" ||
	fail "the timelapse's end was not recorded"
[ "$(layers)" = "layer 1 z=0 layer 2 z=0 layer 3 z=0 layer 4 z=0 layer 5 z=0 layer 6 z=0 " ] ||
	fail "the filter heard the layers: $(layers)"
[ "$(head -n 1 "$ev")" = start ] || fail "the filter's first event: $(head -n 1 "$ev")"
[ "$(tail -n 1 "$ev")" = "end completed" ] || fail "the filter's last event: $(tail -n 1 "$ev")"
[ "$(grep -c '^end ' "$ev")" = 1 ] || fail "the filter heard the end twice: $(cat "$ev")"
grep -q '^progress [0-9]' "$ev" || fail "the filter heard no progress: $(cat "$ev")"
# Only the pause's and the resume's rows reach it: once each.
[ "$(grep -c '^paused$' "$ev")" = 1 ] && [ "$(grep -c '^resumed$' "$ev")" = 1 ] ||
	fail "the filter heard the pause and resume: $(cat "$ev")"
"$GQUEUE" --json --history "$id" > "$T/j.json"
attr rec.events "$(wc -l < "$ev" | tr -d ' ')"
attr timelapse.frames 6
attr timelapse.failed_frames 0
attr timelapse.render ok
[ "$(frames_in "$T/spool/jobs/$id.d/timelapse.mp4")" = 6 ] ||
	fail "the video has $(frames_in "$T/spool/jobs/$id.d/timelapse.mp4") frames for 6 layers"

# 2. spoold away when the job ends: the backend tells the filters the
# end and stays while one runs; the next spoold reads its last words.
: > "$T/printed"
mkfifo "$T/gate"
ctl hold layer=6
id=$(submit "$T/job.gcode")
rec=$(started rec)
ev="$T/spool/jobs/$id.d/events"
"$WAITFOR" contains "$ML" "held 6" || fail "job $id did not reach layer 6"
"$WAITFOR" contains "$ev" "layer 6 z=0" || fail "the filter did not hear layer 6"
net_spoold_kill
rm -f "$T/spool/run/mk3.end"
ctl release
"$WAITFOR" exists "$T/spool/run/mk3.end" || fail "the backend kept no end"
"$WAITFOR" contains "$ev" "end completed" ||
	fail "the filter did not hear the end from the backend"
"$WAITFOR" exists "$T/spool/jobs/$id.d/timelapse.mp4" ||
	fail "the timelapse did not render while spoold was away"
net_spoold_start
"$WAITFOR" contains "$T/spoold.log" "mk3: re-attached to backend" ||
	fail "the backend did not wait for its filter"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter rec followed again, pid $rec; its job has ended" ||
	fail "the new spoold did not follow the filter"
echo go > "$T/gate"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter rec exited" ||
	fail "the filter's end was not recorded"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter timelapse exited" ||
	fail "the timelapse's end was not recorded"
"$GQUEUE" --json --history "$id" > "$T/j.json"
grep -q '"state": "completed"' "$T/j.json" || fail "job $id: $(cat "$T/j.json")"
attr rec.events "$(wc -l < "$ev" | tr -d ' ')"
attr timelapse.render ok
cmp -s "$T/job.gcode" "$T/printed" || fail "the host did not print the second job exactly"
echo "PASS"
