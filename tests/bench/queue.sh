#!/bin/sh
# make bench: the queue with 10,000 jobs in its history.
#
#   bench: queue jobs=10000 gqueue_ms=T submit_per_s=R history_ms=H
#       spoold_rss_kib_500=A spoold_rss_kib_5000=B spoold_rss_kib_10000=C
#       spoold_rss_kib_end=D
#   gqueue_ms: the median time of gqueue (the printer's status and the
#   waiting jobs) with 10,000 ended jobs kept; submit_per_s: small files
#   queued per second through gprint, each committed and synced before
#   it is acknowledged; history_ms: gqueue --history (all 10,000 rows);
#   spoold's memory after 500 jobs queued, 5,000 and 10,000 (flat: it
#   stops growing once SQLite's page cache, 2 MB, is full), and at the
#   end, after cancelling them all and listing the history.
. "$top_srcdir/tests/integration/lib.sh"
N=10000
gs_config
sed -i '/^\[spool\]/a max_user_jobs = 0' "$GSPOOL_CONF"
gs_spoold			# no printer: the jobs wait until canceled
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$SPOOLD_PID/status"; }
printf 'G28\nG1 X10 Y10 F3000\nG1 X20 Y10 E1\n' > "$T/small.gcode"
# gprint takes many files in one run: 500 at a time.
set --
i=0
while [ $i -lt 500 ]; do set -- "$@" "$T/small.gcode"; i=$((i + 1)); done
now_ms() { date +%s%3N; }
t0=$(now_ms)
k=0
while [ $k -lt $((N / 500)) ]; do
	"$GPRINT" "$@" > /dev/null || fail "gprint"
	[ $k -eq 0 ] && rss0=$(rss)
	[ $k -eq $((N / 1000 - 1)) ] && rss1=$(rss)
	k=$((k + 1))
done
t1=$(now_ms)
rss2=$(rss)
"$GCANCEL" -a > /dev/null || fail "gcancel -a"
for i in 1 2 3; do submit "$T/small.gcode" > /dev/null; done
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
times=
for i in $(seq 1 21); do
	a=$(now_ms); "$GQUEUE" > /dev/null; b=$(now_ms)
	times="$times $((b - a))"
done
gq=$(echo "$times" | tr ' ' '\n' | grep . | median)
a=$(now_ms); "$GQUEUE" --history > "$T/h.out"; b=$(now_ms)
# A row a job, its Result column "canceled".
[ "$(grep -c ' canceled ' "$T/h.out")" -eq "$N" ] || fail "history: $(grep -c ' canceled ' "$T/h.out") rows"
echo "bench: queue jobs=$N gqueue_ms=$gq submit_per_s=$(( N * 1000 / (t1 - t0) )) history_ms=$((b - a)) spoold_rss_kib_500=$rss0 spoold_rss_kib_5000=$rss1 spoold_rss_kib_10000=$rss2 spoold_rss_kib_end=$(rss)"
