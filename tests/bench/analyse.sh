#!/bin/sh
# make bench: the analyser (gprint --check) on the largest corpus file
# and on a 1 GB file made by repeating it.
#
#   bench: analyse file=NAME mb_per_s=R max_rss_kib=M
#       one line for each file; memory must not grow with the size;
#   bench: analyse-peer gcoder_mb_per_s=R
#       where Debian's printrun is installed: Printrun's G-code analyser
#       (gcoder) on the same corpus file.
. "$top_srcdir/tests/integration/lib.sh"
need_corpus
command -v /usr/bin/python3 > /dev/null || { echo "SKIP: no python3"; exit 77; }
src="$CORPUS/prusaslicer-2.7.1-mini-benchy-large.gcode"

# measure FILE: seconds and peak memory of gprint --check on it.
measure() {
	/usr/bin/python3 - "$GPRINT" "$1" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
r = subprocess.run([sys.argv[1], "--check", sys.argv[2]], stdout=subprocess.DEVNULL)
secs = time.monotonic() - t
if r.returncode != 0:
    sys.exit("gprint --check refused " + sys.argv[2])
print("%.3f %d" % (secs, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
PY
}
report() {	# name file
	size=$(stat -c %s "$2")
	set -- "$1" $(measure "$2") "$size"
	awk -v n="$1" -v s="$2" -v m="$3" -v b="$4" 'BEGIN {
		printf "bench: analyse file=%s mb_per_s=%.1f max_rss_kib=%d\n", n, b / s / 1e6, m
	}'
}

report "$(basename "$src")" "$src"
big="$T/repeated-1GB.gcode"
n=$((1000000000 / $(stat -c %s "$src") + 1))
i=0
while [ $i -lt $n ]; do
	cat "$src"
	i=$((i + 1))
done > "$big"
report repeated-1GB "$big"
rm -f "$big"

if /usr/bin/python3 -c 'import printrun.gcoder' 2>/dev/null; then
	/usr/bin/python3 - "$src" <<'PY'
import os, sys, time
from printrun import gcoder
path = sys.argv[1]
t = time.monotonic()
with open(path, encoding="ascii", errors="replace") as f:
    g = gcoder.GCode(f)
secs = time.monotonic() - t
print("bench: analyse-peer gcoder_mb_per_s=%.1f" % (os.path.getsize(path) / secs / 1e6))
PY
fi
