#!/bin/sh
# make bench: 1,000 small files renamed into a drop folder at once.
#
#   bench: ingest files=1000 seconds=S lost=0 duplicated=0 p99_ms=L
#       seconds until the last is queued; lost: never queued; duplicated:
#       jobs beyond one a file; p99_ms: from a file's rename to its job's
#       commit (spoold removes the drop file only then), in a burst;
#   bench: ingest-single files=200 p99_ms=L
#       the same for files dropped one at a time.
. "$top_srcdir/tests/integration/lib.sh"
N=1000
gs_config
sed -i '/^\[spool\]/a max_user_jobs = 0' "$GSPOOL_CONF"
# No printer attached: the jobs wait in the queue, where they are counted.
me=$(id -un)
mkdir -p "$T/spool/drop/$me" "$T/staging"
gs_spoold
i=0
while [ $i -lt $N ]; do
	printf 'G28\nG1 X%d Y10 F3000\nG1 X10 Y10 E1\n' $((i % 200)) > "$T/staging/f$i.gcode"
	i=$((i + 1))
done
out=$("$BIN/tests/bench/dropbench" "$T/staging" "$T/spool/drop/$me" $N) ||
	echo "dropbench: $out" >&2
queued=$("$GQUEUE" | grep -c ' f[0-9]*\.gcode ')
echo "$out" | awk -v q="$queued" -v n=$N '{
	printf "bench: ingest %s %s %s duplicated=%d %s\n", $1, $2, $3, (q > n ? q - n : 0), $4
}'

# One at a time.
gs_stop_spoold
rm -rf "$T/spool"
mkdir -p "$T/spool/drop/$me" "$T/staging"
gs_spoold
i=0
while [ $i -lt 200 ]; do
	printf 'G28\nG1 X%d Y10 F3000\nG1 X10 Y10 E1\n' $((i % 200)) > "$T/staging/f$i.gcode"
	i=$((i + 1))
done
out=$("$BIN/tests/bench/dropbench" -s "$T/staging" "$T/spool/drop/$me" 200) ||
	echo "dropbench: $out" >&2
echo "$out" | awk '{ printf "bench: ingest-single %s %s\n", $1, $4 }'
