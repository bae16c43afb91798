#!/bin/sh
# A camera that fails and comes back, in gwebd's page in the real
# chromium, headless (tests/web/camera.py): while the camera answers
# 500, the printer's card says "Camera unavailable" (no broken image)
# and asks again, more than once; once it streams, its frame is shown,
# with no reload of the page.  No console error but the refused
# snapshots of the camera that was down.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/weblib.sh"
gs_web_browser
command -v ffmpeg > /dev/null || { echo "SKIP: no ffmpeg"; exit 77; }
CAMSERVER="$BIN/tests/integration/camserver"

# The camera: down (500) while $T/down exists, then a stream of three
# frames of ffmpeg's test picture.
ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc=size=160x120:rate=5 \
    -frames:v 3 "$T/f%d.jpg" || fail "ffmpeg could not make test frames"
touch "$T/down"
"$CAMSERVER" -p "$T/cam.port" -m stream -r 10 -e "$T/down" -l "$T/cam.log" \
    "$T/f1.jpg" "$T/f2.jpg" "$T/f3.jpg" 2>>"$T/cam.err" &
"$WAITFOR" exists "$T/cam.port" || fail "the test camera did not start"
gs_config "camera = http://127.0.0.1:$(cat "$T/cam.port")/stream" \
    "[web]" "listen = 127.0.0.1:0" "user = $(gs_web_user)" \
    "[account ann]" "api_keys = $T/ann.apikeys"
ANN=$(gs_web_key ann)
gs_vprinter
gs_spoold
gs_gwebd

# While it is down the relay's stream ends with no frame (gwebd(8)).
rc=0
curl -s -o "$T/none" -D "$T/none.h" --max-time 60 -H "X-Api-Key: $ANN" \
    "$URL/api/gspool/printers/mk3/stream" || rc=$?
[ "$rc" = 0 ] || fail "the stream of a camera that is down did not end (curl $rc)"
grep -q gspoolframe "$T/none" && fail "a frame from a camera that is down"

[ "$(id -u)" = 0 ] && chmod 755 "$T"
HOME="$T" TMPDIR="$T" "$PY" "$top_srcdir/tests/web/camera.py" "$URL" \
    ann "$ANN" "$T/down" > "$T/camera.out" 2>&1 || {
	cat "$T/camera.out" >&2
	tail -n 20 "$T/gwebd.log" >&2
	fail "the page's camera that came back, in chromium"
}
cat "$T/camera.out"
