#!/bin/sh
# make bench: what following a printer over HTTP costs.
#
#   bench: backend-http printers=8 seconds=S cpu_s_per_printer_hour=C
#       8 Moonraker printers (moonraker-model.py, one host each), one
#       spoold driving them all at once, each printing the same job for
#       about BENCH_SECONDS (30 by default); C is the CPU time (user and
#       system) of the 8 backend processes from the hand-over of the
#       first job to the end of the last, per printer and hour of
#       printing: the cost of polling the host once a second, following
#       the job and telling spoold.  The hosts' and spoold's CPU is not
#       counted.
. "$top_srcdir/tests/integration/lib.sh"
command -v python3 > /dev/null || { echo "SKIP: no python3"; exit 77; }
MODEL="$top_srcdir/tests/integration/moonraker-model.py"
N=8
SECS=${BENCH_SECONDS:-30}

# About 40 KB of moves, printed at a rate that takes SECS seconds.
awk 'BEGIN {
	print "G28"; print "G90"; print "M82"
	for (l = 1; l <= 6; l++) {
		printf ";LAYER:%d\nSET_PRINT_STATS_INFO CURRENT_LAYER=%d\n", l - 1, l
		printf "G1 Z%.2f F600\n", l * 0.2
		for (i = 0; i < 250; i++) {
			e += 0.05
			printf "G1 X%d Y%d E%.3f F3000\n", 10 + i % 50,
			    10 + (i * 7) % 50, e
		}
	}
}' > "$T/job.gcode"
size=$(wc -c < "$T/job.gcode")
rate=$(( size * 5 / (SECS * 100) + 1 ))	# bytes per 0.05 s tick

# name I: printer I's name; the first is lib.sh's mk3.
name() { if [ "$1" -eq 1 ]; then echo mk3; else echo "p$1"; fi; }
i=1
while [ $i -le $N ]; do
	python3 "$MODEL" --rate "$rate" "$T/m$i.log" "$T/m$i.port" \
	    2>>"$T/model.err" &
	eval "MODEL_PID$i=\$!"
	"$WAITFOR" exists "$T/m$i.port" || fail "model $i did not start"
	i=$((i + 1))
done
gs_config "device = moonraker://127.0.0.1:$(cat "$T/m1.port")"
i=2
while [ $i -le $N ]; do
	cat >> "$GSPOOL_CONF" <<CONF

[printer p$i]
device = moonraker://127.0.0.1:$(cat "$T/m$i.port")
reconnect_interval = 1
clears_bed = yes
CONF
	i=$((i + 1))
done
gs_spoold
"$WAITFOR" count "$T/spoold.log" ": ready Klipper" $N ||
	fail "not every printer got ready"

# cpu: the backends' CPU ticks, from /proc.
pids=$(sed -n 's/^spoold: [mp][k0-9]*: backend .* started, pid \([0-9]*\)$/\1/p' \
    "$T/spoold.log")
[ "$(echo "$pids" | wc -w)" -eq $N ] || fail "not $N backends: $pids"
cpu() {
	for p in $pids; do cat "/proc/$p/stat"; done |
	    awk '{ t += $14 + $15 } END { print t }'
}
c0=$(cpu)
t0=$(date +%s.%N)
ids=
i=1
while [ $i -le $N ]; do
	p=$(name $i)
	out=$("$GPRINT" -P "$p" "$T/job.gcode") || fail "gprint -P $p: $out"
	id=${out#request id is $p-}
	ids="$ids ${id%% *}"
	i=$((i + 1))
done
# shellcheck disable=SC2086
"$GQUEUE" -w $ids > "$T/wait.out" || fail "not every job completed: $(cat "$T/wait.out")"
c1=$(cpu)
t1=$(date +%s.%N)
gs_stop_spoold
i=1
while [ $i -le $N ]; do
	grep -q "^complete " "$T/m$i.log" || fail "host $i did not print the job"
	eval "kill \$MODEL_PID$i"
	i=$((i + 1))
done
awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v n=$N \
    -v hz="$(getconf CLK_TCK)" 'BEGIN {
	s = t1 - t0
	printf "bench: backend-http printers=%d seconds=%.1f cpu_s_per_printer_hour=%.2f\n", n, s, (c1 - c0) / hz / (n * s / 3600)
}'
