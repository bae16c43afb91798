#!/bin/sh
# make bench: the analyser (gprint --check) on the largest corpus file
# and on a 1 GB file made by repeating it, the best of several runs.
#
#   bench: analyse file=NAME mb_per_s=R analyser_mb_per_s=A startup_ms=S
#       max_rss_kib=M
#       one line for each file: the whole run, the analysis alone (less
#       the start of the program), and memory, which must not grow with
#       the size;
#   bench: analyse-peer gcoder_mb_per_s=R
#       where Debian's printrun is installed: Printrun's G-code analyser
#       (gcoder) on the same corpus file.
. "$top_srcdir/tests/integration/lib.sh"
need_corpus
command -v /usr/bin/python3 > /dev/null || { echo "SKIP: no python3"; exit 77; }
src="$CORPUS/prusaslicer-2.7.1-mini-benchy-large.gcode"

# measure FILE RUNS: the best time of gprint --check on it over RUNS
# runs (the machine is shared: the best is the least disturbed), and
# its peak memory.
measure() {
	/usr/bin/python3 - "$GPRINT" "$1" "$2" <<'PY'
import resource, subprocess, sys, time
best = None
for _ in range(int(sys.argv[3])):
    t = time.monotonic()
    r = subprocess.run([sys.argv[1], "--check", sys.argv[2]], stdout=subprocess.DEVNULL)
    secs = time.monotonic() - t
    if r.returncode != 0:
        sys.exit("gprint --check refused " + sys.argv[2])
    best = secs if best is None else min(best, secs)
print("%.3f %d" % (best, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
PY
}
# The time gprint takes to start and check a one-line file: taken off
# for the analyser's own rate (analyser_mb_per_s).
printf 'G28\n' > "$T/one.gcode"
start=$(measure "$T/one.gcode" 9 | cut -d' ' -f1)
report() {	# name file runs
	size=$(stat -c %s "$2")
	set -- "$1" $(measure "$2" "$3") "$size"
	awk -v n="$1" -v s="$2" -v m="$3" -v b="$4" -v s0="$start" 'BEGIN {
		printf "bench: analyse file=%s mb_per_s=%.1f analyser_mb_per_s=%.1f startup_ms=%.1f max_rss_kib=%d\n",
		    n, b / s / 1e6, b / (s - s0) / 1e6, s0 * 1000, m
	}'
}

report "$(basename "$src")" "$src" 9
big="$T/repeated-1GB.gcode"
n=$((1000000000 / $(stat -c %s "$src") + 1))
i=0
while [ $i -lt $n ]; do
	cat "$src"
	i=$((i + 1))
done > "$big"
report repeated-1GB "$big" 3
rm -f "$big"

if /usr/bin/python3 -c 'import printrun.gcoder' 2>/dev/null; then
	/usr/bin/python3 - "$src" <<'PY'
import os, sys, time
from printrun import gcoder
path = sys.argv[1]
secs = None
for _ in range(3):
    t = time.monotonic()
    with open(path, encoding="ascii", errors="replace") as f:
        g = gcoder.GCode(f)
    d = time.monotonic() - t
    secs = d if secs is None else min(secs, d)
print("bench: analyse-peer gcoder_mb_per_s=%.1f" % (os.path.getsize(path) / secs / 1e6))
PY
fi
