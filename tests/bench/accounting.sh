#!/bin/sh
# make bench: the accounting of a year of a busy space.
#
#   bench: accounting jobs=100000 summary_ms=T month_ms=M gqueue_ms=Q
#       summary_ratio=R
#   100,000 ended jobs (30 users, 8 printers, a year, about 270 a day)
#   are written straight into the accounting table; summary_ms is the
#   median time of gqueue --history --summary -a --by user over all of
#   them, month_ms the same --by month; gqueue_ms the median time of a
#   plain gqueue in the same run, the baseline, and summary_ratio
#   summary_ms over it.
. "$top_srcdir/tests/integration/lib.sh"
N=100000
gs_config
gs_spoold			# no printer: it only answers
gs_stop_spoold
python3 - "$T/spool/queue.db" "$N" <<'PY' || fail "the rows"
import random, sqlite3, sys, time
db, n = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
random.seed(21)
start = int(time.time()) - 365 * 86400
rows = []
for i in range(1, n + 1):
    fin = start + i * 365 * 86400 // n
    secs = random.randint(300, 6 * 3600)
    g = round(random.uniform(1, 300), 2)
    mm = round(g / 0.00298, 2)
    share = 1.0 if random.random() < 0.9 else round(random.random(), 4)
    rows.append((i, "user%02d" % random.randrange(30), 1000,
        "p%d" % random.randrange(8), "farm-%d" % i,
        "completed" if share == 1.0 else "canceled", fin - secs - 60,
        fin - secs, fin, secs, share, mm * share, g * share,
        '{"mm":[%s],"g":[%s]}' % (mm, g), round(g / 1000 * 25 + secs / 3600, 2)))
c.executemany("INSERT INTO accounting (job, owner, uid, printer, name,"
    " result, created, started, finished, seconds, share, mm, g, tools,"
    " cost) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
c.commit()
PY
rm -f "$T/spool/control"
gs_spoold
now_ms() { date +%s%3N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# time_of COMMAND...: the median of 7 runs, in ms.
time_of() {
	for i in 1 2 3 4 5 6 7; do
		a=$(now_ms); "$@" > "$T/out" || fail "$*"; b=$(now_ms)
		echo $((b - a))
	done | median
}
s=$(time_of "$GQUEUE" --history --summary -a --by user --json)
[ "$(jq '[.totals[].jobs] | add' "$T/out")" = "$N" ] || fail "the summary: not $N jobs"
[ "$(jq '.totals | length' "$T/out")" = 30 ] || fail "the summary: not 30 users"
m=$(time_of "$GQUEUE" --history --summary -a --by month)
q=$(time_of "$GQUEUE")
echo "bench: accounting jobs=$N summary_ms=$s month_ms=$m gqueue_ms=$q summary_ratio=$(awk -v s="$s" -v q="$q" 'BEGIN { printf "%.1f", s / (q > 0 ? q : 1) }')"
