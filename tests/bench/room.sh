#!/bin/sh
# make bench: a room of three gspool hosts, twelve virtual printers
# over them, and 120 short jobs sent to one class on the front host:
#
#   bench: room hosts=3 printers=12 jobs=120 seconds=S lost=0 duplicated=0
#       remote=R job_seconds=J ratio=X
#
# The front host has four printers of its own and eight remote queues,
# the four printers of each of the hosts b and c (each a spool of its
# own, with gsftpd on its own loopback port); its class room lists all
# twelve.  seconds is the first gprint to the last job's end.  lost and
# duplicated are counted from what the virtual printers executed, not
# from gspool's view: each job names itself in an M117, and a job whose
# name no printer executed is lost, one executed more than once is
# duplicated.  remote is how many of the jobs the remote hosts'
# printers executed.  The baseline, in the same run: job_seconds is one
# such job alone on a printer of the front, gprint to its end, and ratio
# is seconds over the time twelve printers would take if every job took
# job_seconds and nothing else (JOBS / 12 * job_seconds).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/forwardlib.sh"
JOBS=120

FWD_PRINTERS="p1 p2 p3 p4"
fwd_host b
fwd_remote --command-ms 5
fwd_host c
fwd_remote --command-ms 5
for p in l1 l2 l3 l4; do
	"$VPRINTER" -o "$T/vprinter-$p.log" --command-ms 5 "$T/$p.tty" 2>>"$T/vprinter.err" &
	"$WAITFOR" exists "$T/$p.tty" || fail "the virtual printer $p did not start"
done
set --
members=
for p in l1 l2 l3 l4; do
	set -- "$@" "[printer $p]" "device = $T/$p.tty" "handshake_timeout = 5" \
	    "reconnect_interval = 1" "clears_bed = yes"
	members="$members $p"
done
for h in b c; do
	for p in p1 p2 p3 p4; do
		set -- "$@" "$(fwd_printer "$h$p" "$h" "$p")"
		members="$members $h$p"
	done
done
FWD_NO_FAR=yes
FWD_SPOOL_EXTRA="max_user_jobs = $JOBS"
fwd_front "$@" "[class room]" "printers =$members"
for p in $members; do
	"$WAITFOR" contains "$T/spoold.log" "$p: the printer is ready" ||
		fail "$p did not become ready"
done

n=0
while [ $n -lt $JOBS ]; do
	n=$((n + 1))
	{
		echo "M117 room-$n"
		echo "G28"
		i=0
		while [ $i -lt 100 ]; do
			echo "G1 X$((i + 10)) Y$((n % 50 + 10)) F6000"
			i=$((i + 1))
		done
	} > "$T/job$n.gcode"
done

now_ms() { date +%s%3N; }
sed 's/^M117 room-1$/M117 base/' "$T/job1.gcode" > "$T/base.gcode"
t0=$(now_ms)
out=$("$GPRINT" -P l1 -T base "$T/base.gcode") || fail "gprint: $out"
j=${out#request id is l1-}
"$GQUEUE" -w "${j%% *}" > "$T/wait.out" || fail "the baseline job: $(cat "$T/wait.out")"
base=$(( $(now_ms) - t0 ))

t0=$(now_ms)
ids=
n=0
while [ $n -lt $JOBS ]; do
	n=$((n + 1))
	out=$("$GPRINT" -P room -T "room $n" "$T/job$n.gcode") || fail "gprint: $out"
	j=${out#request id is room-}
	ids="$ids ${j%% *}"
done
# shellcheck disable=SC2086
"$GQUEUE" -w $ids > "$T/wait.out" || fail "the room's jobs: $(cat "$T/wait.out")"
ms=$(( $(now_ms) - t0 ))

cat "$T"/vprinter-*.log "$T"/b/vprinter-*.log "$T"/c/vprinter-*.log |
    grep -x 'M117 room-[0-9]*' | sort | uniq -c > "$T/counts"
lost=$(( JOBS - $(grep -c . "$T/counts") ))
dup=$(awk '$1 > 1 { d += $1 - 1 } END { print d + 0 }' "$T/counts")
# shellcheck disable=SC2086
remote=$(cat "$T"/b/vprinter-*.log "$T"/c/vprinter-*.log | grep -c -x 'M117 room-[0-9]*' || true)
awk -v ms="$ms" -v j=$JOBS -v l="$lost" -v d="$dup" -v r="$remote" -v b="$base" 'BEGIN {
	printf "bench: room hosts=3 printers=12 jobs=%d seconds=%.2f lost=%d duplicated=%d remote=%d job_seconds=%.2f ratio=%.2f\n",
	    j, ms / 1000, l, d, r, b / 1000, ms / (j / 12 * b) }'
