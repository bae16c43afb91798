#!/bin/sh
# make bench: gwebd with 50 viewers of the event stream for 20 seconds,
# and the API's latency meanwhile; then a 100 MB upload.
#
#   bench: web viewers=50 cpu_s_per_viewer_hour=N spoold_cpu_s_per_viewer_hour=N api_p99_ms=N
#   bench: web-upload mb=100 mb_per_s=N rss_kib=N
#
# cpu_s_per_viewer_hour is gwebd's CPU time (user + system) over the
# window, per viewer, scaled to an hour; spoold's is what the viewers'
# queue requests cost it.  api_p99_ms: of 400 GET /api/gspool/queue on
# one kept-alive connection.  rss_kib: gwebd's peak resident size
# after the upload.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/weblib.sh"
VIEWERS=50 SECONDS_=20 MB=100
gs_config "[web]" "listen = 127.0.0.1:0" "user = $(gs_web_user)" \
    "max_connections = 200" "max_per_address = 200" \
    "[account ann]" "api_keys = $T/ann.apikeys"
ANN=$(gs_web_key ann)
gs_vprinter
gs_spoold
gs_gwebd
# CPU seconds (user + system) of a process, from /proc/PID/stat.
cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}
i=0 viewers=
while [ $i -lt $VIEWERS ]; do
	curl -s -N -o /dev/null --max-time $((SECONDS_ + 5)) -H "X-Api-Key: $ANN" \
	    "$URL/api/gspool/events" &
	viewers="$viewers $!"
	i=$((i + 1))
done
# Every viewer connected before the window opens (each has had its
# first event: a stream's connection is established when it is open).
n=0
while [ "$n" -lt $VIEWERS ]; do
	n=$(ss -Htn state established "( sport = :$WPORT )" | wc -l)
	sleep 0.2
done
w0=$(cpu_s "$GWEBD_PID") s0=$(cpu_s "$SPOOLD_PID") t0=$(date +%s.%N)
/usr/bin/python3 - "$WPORT" "$ANN" > "$T/lat" <<'PY'
import http.client, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
lat = []
for i in range(400):
    t = time.monotonic()
    c.request("GET", "/api/gspool/queue", headers={"X-Api-Key": sys.argv[2]})
    r = c.getresponse(); r.read()
    assert r.status == 200
    lat.append((time.monotonic() - t) * 1000)
lat.sort()
print("%.2f" % lat[int(len(lat) * 0.99) - 1])
PY
wait_until=$(awk -v t="$t0" -v s=$SECONDS_ 'BEGIN { printf "%d", t + s }')
while [ "$(date +%s)" -lt "$wait_until" ]; do
	sleep 1	# the measured window itself, not a synchronisation
done
w1=$(cpu_s "$GWEBD_PID") s1=$(cpu_s "$SPOOLD_PID") t1=$(date +%s.%N)
# shellcheck disable=SC2086
kill $viewers 2>/dev/null || true
awk -v w0="$w0" -v w1="$w1" -v s0="$s0" -v s1="$s1" -v t0="$t0" -v t1="$t1" \
    -v n=$VIEWERS -v p99="$(cat "$T/lat")" 'BEGIN {
	h = (t1 - t0) / 3600
	printf "bench: web viewers=%d cpu_s_per_viewer_hour=%.2f spoold_cpu_s_per_viewer_hour=%.2f api_p99_ms=%s\n",
	    n, (w1 - w0) / n / h, (s1 - s0) / n / h, p99 }'

: > "$T/big.gcode"
while [ "$(stat -c %s "$T/big.gcode")" -lt $((MB * 1000000)) ]; do
	cat "$CUBE" "$CUBE" "$CUBE" "$CUBE" "$CUBE" "$CUBE" "$CUBE" "$CUBE" >> "$T/big.gcode"
done
truncate -s $((MB * 1000000)) "$T/big.gcode"
s=$(curl -s -o "$T/body" -w '%{http_code} %{time_total}' -H "X-Api-Key: $ANN" \
    -F "file=@$T/big.gcode;filename=big.gcode" -F hold=1 "$URL/api/gspool/upload")
[ "${s%% *}" = 201 ] || fail "upload: $s $(cat "$T/body")"
rss=$(sed -n 's/^VmHWM:[ 	]*\([0-9]*\) kB/\1/p' "/proc/$GWEBD_PID/status")
awk -v mb=$MB -v t="${s#* }" -v rss="$rss" 'BEGIN {
	printf "bench: web-upload mb=%d mb_per_s=%.1f rss_kib=%d\n", mb, mb / t, rss }'
