#!/bin/sh
# make bench: gwebd's camera relay, ten viewers of one camera streaming
# 20 frames a second of 50 kB for 20 seconds.
#
#   bench: relay viewers=10 camera_connections=N cpu_s_per_viewer_hour=N frames_per_viewer_s=N
#
# camera_connections: those the test camera saw; cpu_s_per_viewer_hour:
# gwebd's CPU time (user + system) over the window, per viewer, scaled
# to an hour; frames_per_viewer_s: the parts a viewer got a second
# ([web] stream_fps = 5 caps it).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/weblib.sh"
VIEWERS=10 SECONDS_=20
CAMSERVER="$BIN/tests/integration/camserver"
# A 50 kB JPEG: SOI, a segment, SOS, data without 0xFF bytes, EOI.
for i in 1 2; do
	{
		printf '\377\330\377\333\000\004\000\000\377\332\000\002'
		head -c 51200 /dev/urandom | tr '\377' '\001'
		printf '\377\331'
	} > "$T/f$i.jpg"
done
"$CAMSERVER" -p "$T/cam.port" -m stream -r 20 -l "$T/cam.log" \
    "$T/f1.jpg" "$T/f2.jpg" 2>>"$T/cam.err" &
"$WAITFOR" exists "$T/cam.port" || fail "the test camera did not start"
gs_config "camera = http://127.0.0.1:$(cat "$T/cam.port")/stream" \
    "[web]" "listen = 127.0.0.1:0" "user = $(gs_web_user)" "stream_fps = 5" \
    "[account ann]" "api_keys = $T/ann.apikeys"
ANN=$(gs_web_key ann)
gs_vprinter
gs_spoold
gs_gwebd
cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}
i=0 viewers=
while [ $i -lt $VIEWERS ]; do
	curl -s -N -o "$T/v$i" -H "X-Api-Key: $ANN" \
	    "$URL/api/gspool/printers/mk3/stream" &
	viewers="$viewers $!"
	i=$((i + 1))
done
i=0
while [ $i -lt $VIEWERS ]; do
	"$WAITFOR" count "$T/v$i" gspoolframe 1 || fail "viewer $i got no frame"
	i=$((i + 1))
done
f0=$(grep -ac gspoolframe "$T/v0")
w0=$(cpu_s "$GWEBD_PID") t0=$(date +%s.%N)
wait_until=$(awk -v t="$t0" -v s=$SECONDS_ 'BEGIN { printf "%d", t + s }')
while [ "$(date +%s)" -lt "$wait_until" ]; do
	sleep 1	# the measured window itself, not a synchronisation
done
w1=$(cpu_s "$GWEBD_PID") t1=$(date +%s.%N)
f1=$(grep -ac gspoolframe "$T/v0")
# shellcheck disable=SC2086
kill $viewers 2>/dev/null || true
awk -v w0="$w0" -v w1="$w1" -v t0="$t0" -v t1="$t1" -v n=$VIEWERS \
    -v c="$(grep -c '^open$' "$T/cam.log")" -v f0="$f0" -v f1="$f1" 'BEGIN {
	h = (t1 - t0) / 3600
	printf "bench: relay viewers=%d camera_connections=%d cpu_s_per_viewer_hour=%.2f frames_per_viewer_s=%.1f\n",
	    n, c, (w1 - w0) / n / h, (f1 - f0) / (t1 - t0) }'
