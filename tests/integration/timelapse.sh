#!/bin/sh
# Filters and the timelapse (gspool-filter(7)): a frame at each layer
# from a snapshot camera, from ffmpeg's own MJPEG stream and from a
# V4L2 device, parked (stable) frames, a video
# ffprobe reads with one frame a layer (and the last held); a dead
# camera, one that sends half a frame, one that hangs, ffmpeg missing,
# and filters that crash, flood and hang: each reported in the job's
# attributes, and every print completes exactly.
. "$top_srcdir/tests/integration/lib.sh"
command -v ffmpeg > /dev/null && command -v ffprobe > /dev/null ||
	{ echo "SKIP: no ffmpeg"; exit 77; }
CAMSERVER="$BIN/tests/integration/camserver"

# Frames for the test camera, and a job of 12 layers.
ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc=size=160x120:rate=5 \
    -frames:v 3 "$T/f%d.jpg" || fail "ffmpeg could not make test frames"
awk 'BEGIN {
	print "G28"; print "G90"; print "M82"; print "G92 E0"
	for (l = 1; l <= 12; l++) {
		printf ";LAYER:%d\nG1 Z%.2f F600\n", l - 1, l * 0.2
		for (i = 0; i < 10; i++) {
			e += 0.05
			printf "G1 X%d Y%d E%.3f F3000\n", 10 + i, 10 + i * 2, e
		}
	}
}' > "$T/layers.gcode"

# The test filters: one crashes, one floods, one never ends.
mkdir "$T/filters"
ln -s "$BIN/filters/timelapse" "$T/filters/timelapse"
printf '#!/bin/sh\nkill -SEGV $$\n' > "$T/filters/crash"
printf '#!/bin/sh\necho "ATTR: no-equals" >&2\necho "ATTR: bad/name=1" >&2\ni=0\nwhile [ $i -lt 3000 ]; do echo "INFO: line $i" >&2; i=$((i + 1)); done\necho "ATTR: flood.done=yes" >&2\ncat > /dev/null\n' > "$T/filters/flood"
printf '#!/bin/sh\ntrap "" TERM\nwhile :; do sleep 1; done\n' > "$T/filters/hang"
chmod +x "$T/filters/crash" "$T/filters/flood" "$T/filters/hang"

camera() {	# mode: a camserver, its URL in $url
	rm -f "$T/cam.port"
	"$CAMSERVER" -p "$T/cam.port" -m "$1" "$T/f1.jpg" "$T/f2.jpg" "$T/f3.jpg" \
	    2>>"$T/cam.err" &
	"$WAITFOR" exists "$T/cam.port" || fail "the test camera did not start"
	url="http://127.0.0.1:$(cat "$T/cam.port")/snapshot"
}
# setup URL OPTIONS FILTERS [FILTER_TIMEOUT]: spoold anew, with this
# printer's camera (the timeouts bound a slow machine, assert nothing).
setup() {
	[ -n "$SPOOLD_PID" ] && gs_stop_spoold
	rm -f "$T/spool/control"
	gs_config "camera = $1" "filter_options = $2" "filters = $3"
	sed -i "/^\[spool\]/a filter_dir = $T/filters\nfilter_timeout = ${4:-60}" "$GSPOOL_CONF"
	gs_spoold
}
# print: the job printed exactly; its id in $id, then its filters' ends.
print() {
	: > "$T/vprinter.log"
	id=$(submit "$T/layers.gcode")
	"$GQUEUE" -w "$id" > /dev/null || fail "job $id did not complete"
	expect_log "$T/layers.gcode"
	for f in "$@"; do
		"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter $f exited" ||
			fail "filter $f of job $id did not end"
	done
	"$GQUEUE" --json --history "$id" > "$T/j.json"
}
attr() {	# name value
	grep -q "\"$1\": \"$2\"" "$T/j.json" || fail "job $id: $1 is not '$2': $(cat "$T/j.json")"
}
frames_in() {	# video
	ffprobe -v error -count_frames -select_streams v:0 \
	    -show_entries stream=nb_read_frames -of csv=p=0 "$1"
}

gs_vprinter

# 1. A snapshot camera: a frame a layer, the video, the preview, webcam.jpg.
camera snapshot
setup "$url" "hold=2 fps=10 timeout=10 delay=20 rotate=90" timelapse
print timelapse
attr timelapse.frames 12
attr timelapse.failed_frames 0
attr timelapse.render ok
attr filter.timelapse.exit 0
dir="$T/spool/jobs/$id.d"
[ "$(frames_in "$dir/timelapse.mp4")" = 14 ] || fail "the video has $(frames_in "$dir/timelapse.mp4") frames, not 12 + 2"
[ -s "$dir/preview.jpg" ] && [ -s "$T/spool/printers/mk3/webcam.jpg" ] ||
	fail "no preview or webcam.jpg"
[ ! -d "$dir/frames" ] || fail "the frames of a good render were kept"
size=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height \
    -of csv=p=0 "$dir/timelapse.mp4")
[ "$size" = "120,160" ] || fail "rotate=90: the video is $size"
# The render's progress: each line's share is its count of frames.
sed -n "s/^.*mk3-$id: filter timelapse: INFO: rendering: \([0-9]*\)% (\([0-9]*\) of \([0-9]*\) frames)$/\1 \2 \3/p" \
    "$T/spoold.log" > "$T/render.out"
[ -s "$T/render.out" ] || fail "no render progress"
awk '$1 != int($2 * 100 / $3) { exit 1 }' "$T/render.out" ||
	fail "render progress that disagrees with its frames: $(cat "$T/render.out")"
"$GQUEUE" -l --history "$id" > "$T/ql.out"
grep -qx "	timelapse: $dir/timelapse.mp4" "$T/ql.out" || fail "gqueue -l: $(cat "$T/ql.out")"

# 1b. Two copies: a video each.
id=$(submit "$T/layers.gcode" -# 2)
"$GQUEUE" -w "$id" > /dev/null || fail "the copies did not print"
"$WAITFOR" count "$T/spoold.log" "mk3-$id: filter timelapse exited" 2 || fail "no end"
[ -s "$T/spool/jobs/$id.d/timelapse.mp4" ] && [ -s "$T/spool/jobs/$id.d/copy-2/timelapse.mp4" ] ||
	fail "not a video for each copy: $(ls -R "$T/spool/jobs/$id.d")"

# 2. ffmpeg's own MJPEG stream: one connection, a fresh frame a layer.
port=$("$CAMSERVER" -F)
ffmpeg -hide_banner -loglevel error -re -f lavfi -i testsrc=size=160x120:rate=10 \
    -f mpjpeg -listen 1 "http://127.0.0.1:$port/stream" 2>>"$T/ffmpeg.err" &
setup "http://127.0.0.1:$port/stream" "hold=0 timeout=30" timelapse
print timelapse
attr timelapse.frames 12
attr timelapse.render ok
[ "$(frames_in "$T/spool/jobs/$id.d/timelapse.mp4")" = 12 ] || fail "the stream's video"
grep -q "the camera sends a stream" "$T/spoold.log" || fail "the stream was not seen as one"

# 3. A dead camera, half frames, a camera that hangs, an error page.
setup "http://127.0.0.1:$port/gone" "timeout=1" timelapse
print timelapse
attr timelapse.frames 0
attr timelapse.failed_frames 12
attr timelapse.render "no frames"
attr timelapse.error "couldn't connect to the camera at http://127.0.0.1:$port/gone: Connection refused"
for mode in half hang error; do
	camera "$mode"
	setup "$url" "timeout=1" timelapse
	print timelapse
	attr timelapse.frames 0
	attr timelapse.render "no frames"
	grep -q '"timelapse.failed_frames": "[1-9]' "$T/j.json" || fail "$mode: no failed frame"
	grep -q '"timelapse.error": "[a-z]' "$T/j.json" || fail "$mode: no reason: $(cat "$T/j.json")"
done
attr timelapse.error "the camera at $url answered HTTP 500"

# 3b. Every N seconds instead of at layers: a frame at the start at
# least, none asked for by the layers.
camera snapshot
setup "$url" "every=60 render=no timeout=10" timelapse
print timelapse
attr timelapse.frames 1
grep -q "mk3-$id: filter timelapse: INFO: taking frames from .* every few seconds" "$T/spoold.log" ||
	fail "every=N was not taken"

# 4. ffmpeg missing: the frames are kept.
camera snapshot
setup "$url" "ffmpeg=$T/no-ffmpeg" timelapse
print timelapse
attr timelapse.frames 12
attr timelapse.render "failed: cannot run $T/no-ffmpeg"
attr timelapse.error "cannot run $T/no-ffmpeg"
[ "$(ls "$T/spool/jobs/$id.d/frames" | wc -l)" -eq 12 ] || fail "the frames were not kept"
# An ffmpeg that fails: its last word is the reason.
printf '#!/bin/sh\necho "frame=0"\necho "[libx264] this line is not the last" >&2\necho "Unknown encoder libx264" >&2\nexit 1\n' > "$T/bad-ffmpeg"
chmod +x "$T/bad-ffmpeg"
setup "$url" "ffmpeg=$T/bad-ffmpeg" timelapse
print timelapse
attr timelapse.render_error "ffmpeg exited with 1: Unknown encoder libx264"
attr timelapse.error "ffmpeg exited with 1: Unknown encoder libx264"

# 5. Stable frames: the printer parks its head at each layer change, the
# frame is taken then, and the filter lets it go on.
setup "$url" "timeout=10" timelapse
sed -i "/^filters = /a park_gcode = G1 X5 Y5 F9000\n  M400\nunpark_gcode = G1 F3000\npark_timeout = 60" "$GSPOOL_CONF"
gs_stop_spoold; rm -f "$T/spool/control"; gs_spoold
: > "$T/vprinter.log"
id=$(submit "$T/layers.gcode")
"$GQUEUE" -w "$id" > /dev/null || fail "the parked job did not complete"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter timelapse exited" || fail "no end"
"$GQUEUE" --json --history "$id" > "$T/j.json"
attr timelapse.frames 12
[ "$(grep -c '^G1 X5 Y5 F9000$' "$T/vprinter.log")" -eq 11 ] ||
	fail "the head parked $(grep -c '^G1 X5 Y5 F9000$' "$T/vprinter.log") times, not 11"
grep -q "mk3-$id: no frame taken" "$T/spoold.log" && fail "the filter did not unpark"
# The job's commands, in order, among the parking moves.
gcode_commands "$T/layers.gcode" | awk 'BEGIN { k = 0 } NR == FNR { want[n++] = $0; next }
	k < n && $0 == want[k] { k++ } END { exit k == n ? 0 : 1 }' - "$T/vprinter.log" ||
	fail "the job's commands are not all in the printer's log, in order"

# 5b. Paused while parked: the pause G-code after the park G-code, and
# a resume goes back to where the head was before it parked.
printf '#!/bin/sh\ncat > /dev/null\n' > "$T/filters/noframe"
chmod +x "$T/filters/noframe"
head -n 27 "$T/layers.gcode" > "$T/two.gcode"	# two layers
setup "$url" "" noframe
sed -i "/^filters = /a park_gcode = G1 X5 Y5 F9000\n  M400\npark_timeout = 60" "$GSPOOL_CONF"
gs_stop_spoold; rm -f "$T/spool/control"; gs_spoold
: > "$T/vprinter.log"
id=$(submit "$T/two.gcode")
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: parked for a frame" || fail "not parked"
"$GPC" pause mk3 || fail "gpc pause while parked"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: paused" || fail "not paused"
"$GPC" resume mk3 || fail "gpc resume"
"$GQUEUE" -w "$id" > /dev/null || fail "the job paused while parked did not complete"
grep -A1 '^G1 X5 Y5 F9000$' "$T/vprinter.log" | grep -qx M400 || fail "no park"
grep -qx 'G1 E-2 F2700' "$T/vprinter.log" || fail "no pause G-code"
grep -qx 'G1 X19.000 Y28.000 F6000' "$T/vprinter.log" || fail "the head did not go back"

# 6. A real slicer's file: a frame for each of its layers.
cube="$CORPUS/prusaslicer-2.8.1-mini-cube.gcode"
if [ -f "$cube" ]; then
	setup "$url" "hold=3 timeout=10" timelapse
	layers=$("$GPRINT" --check --json "$cube" | sed -n 's/.*"layers":\([0-9]*\).*/\1/p')
	id=$(submit "$cube")
	"$GQUEUE" -w "$id" > /dev/null || fail "the cube did not complete"
	"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter timelapse exited" || fail "no end"
	"$GQUEUE" --json --history "$id" > "$T/j.json"
	attr timelapse.frames "$layers"
	[ "$(frames_in "$T/spool/jobs/$id.d/timelapse.mp4")" = $((layers + 3)) ] ||
		fail "the cube's video has $(frames_in "$T/spool/jobs/$id.d/timelapse.mp4") frames for $layers layers"
fi

# 7. A V4L2 device, a frame at a time through ffmpeg (here a stand-in
# that answers with a JPEG: no camera is attached to the test machine).
printf '#!/bin/sh\ncase "$*" in *"-f v4l2 -i /dev/video-test "*) cat "%s" ;; *) exit 1 ;; esac\n' \
    "$T/f2.jpg" > "$T/fake-ffmpeg"
chmod +x "$T/fake-ffmpeg"
setup /dev/video-test "render=no ffmpeg=$T/fake-ffmpeg" timelapse
print timelapse
attr timelapse.frames 12
attr timelapse.render "not asked for"
cmp -s "$T/spool/jobs/$id.d/frames/frame000012.jpg" "$T/f2.jpg" || fail "the device's frame"
setup /dev/video-none "render=no ffmpeg=$T/fake-ffmpeg" timelapse
print timelapse
attr timelapse.frames 0
attr timelapse.failed_frames 12

# 8. Filters that crash, flood and hang beside one job.
setup "$url" "" "crash flood hang" 3
print crash flood hang
attr filter.crash.exit "signal 11"
attr flood.done yes
grep -q '"filter.flood.messages_dropped": "[1-9]' "$T/j.json" || fail "the flood was not held back"
attr filter.hang.exit "signal 9 (timeout)"
grep -q "mk3-$id: filter flood: ATTR without '=': no-equals" "$T/spoold.log" ||
	fail "a bad ATTR line was not reported"
grep -q "mk3-$id: filter flood: bad attribute name" "$T/spoold.log" ||
	fail "a bad attribute name was not reported"
grep -q '"bad/name"' "$T/j.json" && fail "a bad attribute name was kept"

# A bad option: the filter says which, and the print is untouched.
setup "$url" "fps=0" timelapse
print timelapse
attr filter.timelapse.exit 2
grep -q "mk3-$id: filter timelapse: ERROR: option fps=0: give 1 to 120" "$T/spoold.log" ||
	fail "the bad option was not reported"
kill -0 "$SPOOLD_PID" || fail "spoold died"
echo "PASS"
