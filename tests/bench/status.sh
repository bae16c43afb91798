#!/bin/sh
# make bench: the status model with 16 printers printing.
#
#   bench: status printers=16 gqueue_ms=T gpc_status_ms=S
#   gqueue_ms: the median time of gqueue -a (each printer's status
#   model: activity, heaters, progress read from its job's timemap,
#   then the queue); gpc_status_ms: the median of gpc status.
. "$top_srcdir/tests/integration/lib.sh"
N=16
extra=
i=1
while [ $i -lt $N ]; do
	extra="$extra
[printer p$i]
device = $T/p$i.tty
handshake_timeout = 5
reconnect_interval = 1
clears_bed = yes"
	i=$((i + 1))
done
gs_config
echo "$extra" >> "$GSPOOL_CONF"
# Moves that take time (so that every printer stays printing), faster
# than they would on a printer.
gs_vprinter --time-scale 0.05
i=1
while [ $i -lt $N ]; do
	"$VPRINTER" -o "$T/p$i.log" --time-scale 0.05 "$T/p$i.tty" 2>>"$T/vprinter.err" &
	"$WAITFOR" exists "$T/p$i.tty" || fail "printer p$i did not start"
	i=$((i + 1))
done
gs_spoold
awk 'BEGIN { print "M140 S60"; print "M104 S200"; print "G28"; print "G92 E0"
	for (l = 0; l < 200; l++) { printf ";LAYER_CHANGE\nG1 Z%.2f F600\n", 0.2 * (l + 1)
	for (i = 0; i < 300; i++) printf "G1 X%d Y%d E%.2f F3000\n", i % 200, (i / 3) % 200, (l * 300 + i) * 0.01 } }' > "$T/long.gcode"
for p in mk3 $(seq 1 $((N - 1)) | sed 's/^/p/'); do
	"$GPRINT" -P "$p" "$T/long.gcode" > /dev/null || fail "gprint -P $p"
done
for p in mk3 $(seq 1 $((N - 1)) | sed 's/^/p/'); do
	"$WAITFOR" contains "$T/spoold.log" "$p-" || fail "$p has no job"
done
"$WAITFOR" count "$T/spoold.log" ": status printing" $N || fail "not all $N printing"
[ "$("$GQUEUE" --json -a | jq '[.printers[].status | select(.activity == "printing" and .progress.time_fraction != null)] | length')" -eq $N ] ||
	fail "not all printing with a timemap: $("$GQUEUE" -a)"
now_ms() { date +%s%3N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
timed() {
	times=
	for k in $(seq 1 21); do
		a=$(now_ms); "$@" > /dev/null || fail "$*"; b=$(now_ms)
		times="$times $((b - a))"
	done
	echo "$times" | tr ' ' '\n' | grep . | median
}
gq=$(timed "$GQUEUE" -a)
gs=$(timed "$GPC" status)
"$GCANCEL" -a > /dev/null 2>&1 || true
echo "bench: status printers=$N gqueue_ms=$gq gpc_status_ms=$gs"
