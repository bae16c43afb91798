#!/bin/sh
# gwebd's camera relay: ten viewers of one printer's camera make one
# connection to it; each viewer gets whole frames; the snapshot serves
# the relay's latest where spoold keeps none; the last viewer leaving
# closes the camera's connection, and the next viewer opens another.
# A viewer gets no more than stream_fps (5) of the camera's 20 frames a
# second: counted against a client of the camera itself in the same
# window, not against a clock.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/weblib.sh"
CAMSERVER="$BIN/tests/integration/camserver"

# Three small JPEGs (SOI, a segment, SOS, its data, EOI).
for i in 1 2 3; do
	printf '\377\330\377\333\000\004\000\000\377\332\000\002frame%d\377\331' "$i" \
	    > "$T/f$i.jpg"
done
"$CAMSERVER" -p "$T/cam.port" -m stream -r 20 -l "$T/cam.log" \
    "$T/f1.jpg" "$T/f2.jpg" "$T/f3.jpg" 2>>"$T/cam.err" &
CAM_PID=$!
"$WAITFOR" exists "$T/cam.port" || fail "the test camera did not start"
gs_config "camera = http://127.0.0.1:$(cat "$T/cam.port")/stream" \
    "[web]" "listen = 127.0.0.1:0" "user = $(gs_web_user)" "stream_fps = 5" \
    "[account ann]" "api_keys = $T/ann.apikeys"
ANN=$(gs_web_key ann)
gs_vprinter
gs_spoold
gs_gwebd

expect_status 404 GET /api/gspool/printers/nosuch/stream -H "X-Api-Key: $ANN"
expect_status 401 GET /api/gspool/printers/mk3/stream

# 1. Ten viewers; each gets at least three whole frames.
PIDS=
for i in 0 1 2 3 4 5 6 7 8 9; do
	curl -s -N -H "X-Api-Key: $ANN" -D "$T/h$i" -o "$T/v$i" \
	    "$URL/api/gspool/printers/mk3/stream" &
	PIDS="$PIDS $!"
done
for i in 0 1 2 3 4 5 6 7 8 9; do
	"$WAITFOR" count "$T/v$i" gspoolframe 3 ||
	    fail "viewer $i got no three frames: $(od -c "$T/v$i" | head -5)"
	grep -qi '^content-type: multipart/x-mixed-replace;boundary=gspoolframe' "$T/h$i" ||
	    fail "viewer $i's type: $(cat "$T/h$i")"
	grep -aq 'frame[123]' "$T/v$i" || fail "viewer $i got no camera frame"
done
n=$(grep -c '^open$' "$T/cam.log")
[ "$n" = 1 ] || fail "the camera saw $n connections for ten viewers, not 1"

# 2. The snapshot: spoold keeps no frame (no timelapse filter), the
#    relay's latest is served.
expect_status 200 GET /api/gspool/printers/mk3/snapshot -H "X-Api-Key: $ANN" -D "$T/sh"
grep -qi '^content-type: image/jpeg' "$T/sh" || fail "snapshot type: $(cat "$T/sh")"
cmp -s "$T/body" "$T/f1.jpg" || cmp -s "$T/body" "$T/f2.jpg" ||
    cmp -s "$T/body" "$T/f3.jpg" || fail "the snapshot is no frame: $(od -c "$T/body")"

# 3. The viewers leave: the camera's connection is closed.
kill $PIDS
wait $PIDS 2>/dev/null || true
"$WAITFOR" contains "$T/cam.log" closed ||
    fail "the camera's connection stayed open: $(cat "$T/cam.log")"
grep -q '^open$' "$T/cam.log"

# 4. A viewer again: a new connection, frames again.
curl -s -N -H "X-Api-Key: $ANN" -o "$T/again" \
    "$URL/api/gspool/printers/mk3/stream" &
P=$!
"$WAITFOR" count "$T/again" gspoolframe 2 || fail "no frames after the camera was closed"
n=$(grep -c '^open$' "$T/cam.log")
[ "$n" = 2 ] || fail "the camera saw $n connections, not 2"
kill "$P"
wait "$P" 2>/dev/null || true
"$WAITFOR" count "$T/cam.log" closed 2 || fail "the second connection stayed open"

# 5. The cap per viewer: while a client of the camera itself receives
#    60 frames (three seconds at 20 a second), a viewer of the relay,
#    started before it, receives about a quarter of them (5 of 20), and
#    at the most half.
curl -s -N -H "X-Api-Key: $ANN" -o "$T/capped" \
    "$URL/api/gspool/printers/mk3/stream" &
P=$!
"$WAITFOR" count "$T/capped" gspoolframe 1 || fail "no frame to the capped viewer"
curl -s -N -o "$T/direct" "http://127.0.0.1:$(cat "$T/cam.port")/stream" &
D=$!
"$WAITFOR" count "$T/direct" image/jpeg 60 || fail "the camera sent no 60 frames"
kill "$P" "$D"
wait "$P" "$D" 2>/dev/null || true
direct=$(grep -ac image/jpeg "$T/direct")
relayed=$(grep -ac image/jpeg "$T/capped")
echo "the camera sent $direct frames, a viewer of the relay got $relayed"
[ "$relayed" -ge 2 ] || fail "the capped viewer got $relayed frames"
[ $((relayed * 2)) -le "$direct" ] ||
    fail "a viewer got $relayed frames while the camera sent $direct: stream_fps 5 is not kept"
exit 0
