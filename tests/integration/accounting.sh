#!/bin/sh
# Accounting and monthly limits (gspool(7), "A makerspace").  Every
# ended job leaves one accounting row: its filament is the analyser's
# (gprint --check --json) times the share printed, a canceled print's
# by the commands it sent; its cost is the printer's cost_per_kg and
# cost_per_hour.  gqueue --history --summary gives the totals, as
# text, CSV and JSON, by user, printer or month, since a date.  A
# submission that would pass a monthly limit is refused with what is
# left; the jobs still queued count, and a reprint and each copy; the
# month's edge is crossed with $GSPOOL_TEST_NOW.  spoold killed as a
# job's end is written, before and after the commit, leaves exactly one
# row.  An SFTP account's jobs are the account's, under its limit.  A
# tool's [material], the filament its slicer names, has its own cost,
# in the rows and in a cost limit.  The rows outlive keep_jobs and go
# after keep_accounting.  Then the corpus: each file's figures and cost
# against its analysis (skipped, 77, without it).
. "$top_srcdir/tests/integration/lib.sh"
export TZ=UTC
me=$(id -un)
gs_config "cost_per_kg = 25" "cost_per_hour = 1.20"
gs_vprinter --command-ms 1
gs_spoold

# A generated file: 200 moves of 0.5 mm of filament each (100 mm).
awk 'BEGIN {
	print "G28"; print "G90"; print "M83"; print "G1 Z0.2 F600"
	for (i = 0; i < 200; i++)
		printf "G1 X%d Y%d E0.5 F1200\n", 10 + i % 100, 10 + int(i / 100)
	print "M84"
}' > "$T/gen.gcode"
"$GPRINT" --check --json "$T/gen.gcode" > "$T/gen.json" || fail "gprint --check gen.gcode"
"$GPRINT" --check --json "$CUBE" > "$T/cube.json" || fail "gprint --check cube"
[ "$(jq '.filament_mm[0]' "$T/gen.json")" = 100 ] ||
	fail "the generated file's filament: $(jq -c .filament_mm "$T/gen.json")"

# summary [gqueue options]: the totals as JSON.
summary() {
	"$GQUEUE" --history --summary --json "$@"
}
# dbq SQL: a query of the queue's database, its row's columns a space
# apart, committed (python3's sqlite3; the database is in WAL mode, so
# spoold may be running).
dbq() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for r in c.execute(sys.argv[2]):
    print(" ".join(str(v) for v in r))
c.commit()' "$T/spool/queue.db" "$1"
}
# near A B TOLERANCE: |A - B| <= TOLERANCE.
near() {
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t + 1e-9) }'
}

# 1. Two complete jobs: their totals are their analyses'.
a=$(submit "$T/gen.gcode")
b=$(submit "$CUBE")
"$GQUEUE" -w "$a" "$b" > /dev/null || fail "the jobs did not print"
summary --by user > "$T/s.json" || fail "gqueue --summary"
[ "$(jq -r '.by' "$T/s.json")" = user ] || fail "by: $(cat "$T/s.json")"
[ "$(jq '.totals | length' "$T/s.json")" = 1 ] || fail "not one user: $(cat "$T/s.json")"
[ "$(jq -r '.totals[0].user' "$T/s.json")" = "$me" ] || fail "not $me: $(cat "$T/s.json")"
[ "$(jq '.totals[0].jobs' "$T/s.json")" = 2 ] || fail "not 2 jobs: $(cat "$T/s.json")"
[ "$(jq '.totals[0].completed' "$T/s.json")" = 2 ] || fail "not 2 completed: $(cat "$T/s.json")"
want_g=$(jq -n --slurpfile x "$T/gen.json" --slurpfile y "$T/cube.json" '$x[0].filament_g[0] + $y[0].filament_g[0]')
want_mm=$(jq -n --slurpfile x "$T/gen.json" --slurpfile y "$T/cube.json" '$x[0].filament_mm[0] + $y[0].filament_mm[0]')
g=$(jq '.totals[0].g' "$T/s.json")
mm=$(jq '.totals[0].mm' "$T/s.json")
near "$g" "$want_g" 0.011 || fail "grams $g, not the analyser's $want_g"
near "$mm" "$want_mm" 0.011 || fail "mm $mm, not the analyser's $want_mm"
# The cost: 25 a kg and 1.20 an hour, each job's rounded to a cent.
secs=$(jq '.totals[0].seconds' "$T/s.json")
cost=$(jq '.totals[0].cost' "$T/s.json")
want_cost=$(awk -v g="$g" -v s="$secs" 'BEGIN { printf "%.4f", g / 1000 * 25 + s / 3600 * 1.2 }')
near "$cost" "$want_cost" 0.021 || fail "cost $cost, not $want_cost ($g g, $secs s)"
# The same as text and CSV.
"$GQUEUE" --history --summary --by user > "$T/s.txt" || fail "gqueue --summary (text)"
head -n 1 "$T/s.txt" | grep -q "^User  *Jobs  *Completed  *Hours  *Metres  *Grams  *Cost$" ||
	fail "the text's header: $(cat "$T/s.txt")"
line=$(sed -n 2p "$T/s.txt")
set -- $line
[ "$1" = "$me" ] && [ "$2" = 2 ] && [ "$3" = 2 ] || fail "the text's row: $line"
near "$6" "$g" 0.005 || fail "the text's grams $6, not $g"
"$GQUEUE" --history --summary --csv --by user > "$T/s.csv" || fail "gqueue --summary --csv"
[ "$(sed -n 1p "$T/s.csv")" = "user,jobs,completed,seconds,mm,g,cost" ] ||
	fail "the CSV's header: $(cat "$T/s.csv")"
printf '%s,2,2,%s,%.2f,%.2f,%.2f\n' "$me" "$secs" "$mm" "$g" "$cost" > "$T/want.csv"
[ "$(sed -n 2p "$T/s.csv")" = "$(cat "$T/want.csv")" ] ||
	fail "the CSV's row: $(sed -n 2p "$T/s.csv"), not $(cat "$T/want.csv")"
# Another's totals are an administrator's to see.
if command -v setpriv > /dev/null && id nobody > /dev/null 2>&1; then
	chmod 755 "$T"
	rc=0
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$GQUEUE" --history --summary -u "$me" > "$T/out" 2> "$T/err" || rc=$?
	[ $rc = 1 ] || fail "nobody asked for $me's totals: exit $rc, not 1"
	grep -qx "gqueue: $me: only an administrator sees the totals of another" "$T/err" ||
		fail "nobody asked for $me's totals: $(cat "$T/err")"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$GQUEUE" --history --summary -a --json > "$T/out" || fail "nobody's -a"
	[ "$(jq '.totals | length' "$T/out")" = 0 ] || fail "nobody's -a shows others' totals: $(cat "$T/out")"
fi
# By printer, by month, and since a date.
[ "$(summary --by printer | jq -r '.totals[0].printer')" = mk3 ] || fail "--by printer"
[ "$(summary -P mk3 | jq '.totals[0].jobs')" = 2 ] || fail "-P mk3: $(summary -P mk3)"
[ "$(summary -P mk4 | jq '.totals | length')" = 0 ] || fail "-P mk4 counts mk3's jobs"
[ "$(summary --by month | jq -r '.totals[0].month')" = "$(date +%Y-%m)" ] || fail "--by month"
[ "$(summary | jq -r '.totals[0].total + " " + (.totals[0].jobs | tostring)')" = "all 2" ] ||
	fail "the total: $(summary)"
[ "$(summary --since "$(date -d tomorrow +%F)" | jq '.totals | length')" = 0 ] ||
	fail "--since tomorrow counts jobs"
[ "$(summary --since 2000-01 | jq '.totals[0].jobs')" = 2 ] || fail "--since 2000-01"
rc=0
"$GQUEUE" --history --summary --since 2026-13-01 2> "$T/err" || rc=$?
[ $rc = 2 ] || fail "a bad --since: exit $rc, not 2"
grep -q "^gqueue: --since: '2026-13-01' is not a date (YYYY-MM-DD or YYYY-MM)$" "$T/err" ||
	fail "a bad --since: $(cat "$T/err")"

# 2. A canceled print counts by the share it sent.
# A printer that goes silent after 400 commands keeps it printing.
before=$(summary | jq '.totals[0].g')
kill "$VPRINTER_PID"; wait "$VPRINTER_PID" 2>/dev/null || true
base=$(wc -l < "$T/vprinter.log")
gs_vprinter --silent-after 400
c=$(submit "$CUBE")
"$WAITFOR" lines "$T/vprinter.log" $((base + 300)) || fail "the print did not start"
"$GCANCEL" "$c" < /dev/null > /dev/null || fail "gcancel $c"
"$GQUEUE" -w "$c" > /dev/null && fail "a canceled job completed"
"$GQUEUE" --history --json "$c" > "$T/c.json"
done_lines=$(jq '.jobs[0].lines_done' "$T/c.json")
commands=$(jq '.jobs[0].commands' "$T/c.json")
[ "$done_lines" -gt 0 ] && [ "$done_lines" -lt "$commands" ] ||
	fail "the canceled job sent $done_lines of $commands lines"
after=$(summary | jq '.totals[0].g')
want=$(awk -v g="$(jq '.filament_g[0]' "$T/cube.json")" -v d="$done_lines" -v c="$commands" \
    'BEGIN { printf "%.4f", g * d / c }')
near "$(awk -v a="$after" -v b="$before" 'BEGIN { print a - b }')" "$want" 0.011 ||
	fail "the canceled job counted $after - $before g, not $want ($done_lines of $commands lines)"
[ "$(summary | jq '.totals[0].jobs')" = 3 ] || fail "the canceled job has no row"
kill "$VPRINTER_PID"; wait "$VPRINTER_PID" 2>/dev/null || true
gs_vprinter --command-ms 1

# 3. Limits.  The administrator is exempt from a group's (no hours at
# all), not from their own [user]'s.  Used so far: $after g this month.
used=$after
cube_g=$(jq '.filament_g[0]' "$T/cube.json")
limit=$(awk -v u="$used" -v c="$cube_g" 'BEGIN { printf "%d", u + c * 1.5 }')
gs_config "cost_per_kg = 25" "cost_per_hour = 1.20" "" "[group $(id -gn)]" \
    "max_hours_month = 0" "" "[user $me]" "max_grams_month = $limit" \
    "" "[group nogroup]" "max_grams_month = 1"
gs_stop_spoold
rm -f "$T/spool/control"
gs_spoold
# A group's limit holds for its members who are not administrators.
if command -v setpriv > /dev/null && id nobody > /dev/null 2>&1; then
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$GPRINT" -T nobodys.gcode < "$CUBE" 2>&1) && fail "nobody passed nogroup's limit: $out"
	echo "$out" | grep -q "would use $(printf %.0f "$cube_g") g; 1 g of your 1 g left this month" ||
		fail "nobody's refusal: $out"
fi
# One cube fits; it is held, so it stays queued and counts.
h=$(submit "$CUBE" -q)
out=$("$GPRINT" "$CUBE" 2>&1) && fail "a second cube passed the limit: $out"
left=$(awk -v l="$limit" -v u="$used" -v c="$cube_g" 'BEGIN { printf "%.0f", l - u - c }')
echo "$out" | grep -q "would use $(printf %.0f "$cube_g") g; $left g of your $limit g left this month" ||
	fail "the refusal: $out"
# A reprint is a new job, and counts again.
out=$("$GPRINT" --reprint "$b" 2>&1) && fail "a reprint passed the limit: $out"
echo "$out" | grep -q "would use $(printf %.0f "$cube_g") g; $left g of your $limit g left this month" ||
	fail "the reprint's refusal: $out"
# Canceled, the queued cube counts no more than it printed (nothing).
"$GCANCEL" "$h" > /dev/null || fail "gcancel $h"
h2=$(submit "$CUBE" -q)
"$GCANCEL" "$h2" > /dev/null || fail "gcancel $h2"
# Copies count each.
out=$("$GPRINT" -# 2 -q "$CUBE" 2>&1) && fail "two copies passed the limit: $out"
echo "$out" | grep -q "would use $(awk -v c="$cube_g" 'BEGIN { printf "%.0f", 2 * c }') g; " ||
	fail "two copies' refusal: $out"
# The cost and the hours, each with its own words.
gs_config "cost_per_kg = 25" "cost_per_hour = 1.20" "" "[user $me]" "max_cost_month = 0.01"
gs_stop_spoold
rm -f "$T/spool/control"
gs_spoold
out=$("$GPRINT" -q "$CUBE" 2>&1) && fail "the cube passed max_cost_month: $out"
cube_cost=$(awk -v g="$cube_g" -v s="$(jq .estimated_seconds "$T/cube.json")" \
    'BEGIN { printf "%.2f", int((g / 1000 * 2500 + s / 3600 * 120) + 0.5) / 100 }')
echo "$out" | grep -q "would cost $cube_cost; 0.00 of your 0.01 left this month" ||
	fail "the cost's refusal (not $cube_cost): $out"
gs_config "cost_per_kg = 25" "cost_per_hour = 1.20" "" "[user $me]" "max_hours_month = 0"
gs_stop_spoold
rm -f "$T/spool/control"
gs_spoold
out=$("$GPRINT" -q "$CUBE" 2>&1) && fail "the cube passed max_hours_month: $out"
echo "$out" | grep -q "would use $(jq '.estimated_seconds / 360 | round / 10' "$T/cube.json") h; 0.0 h of your 0.0 h left this month" ||
	fail "the hours' refusal: $out"
# A bad amount is refused where it is written.
gs_config "cost_per_kg = 2.555"
rc=0
"$SPOOLD" -n -c "$GSPOOL_CONF" > "$T/n.out" 2>&1 || rc=$?
[ $rc != 0 ] || fail "spoold -n took cost_per_kg = 2.555"
grep -q "gspool.conf:[0-9]*: cost_per_kg: '2.555' is not an amount from 0.00 to 1000000.00 (such as 25 or 0.50)" "$T/n.out" ||
	fail "spoold -n: $(cat "$T/n.out")"

# 4. The month's edge: this month's jobs count until its last second,
# and none the first second of the next.
gs_config "cost_per_kg = 25" "cost_per_hour = 1.20" "" "[user $me]" \
    "max_grams_month = $(awk -v u="$used" 'BEGIN { printf "%d", u + 1 }')"
gs_stop_spoold
next=$(date -d "$(date +%Y-%m-01) +1 month" +%s)
rm -f "$T/spool/control"
GSPOOL_TEST_NOW=$((next - 1)) "$SPOOLD" -d -v -c "$GSPOOL_CONF" 2>>"$T/spoold.log" &
SPOOLD_PID=$!
"$WAITFOR" exists "$T/spool/control" || fail "spoold did not start"
out=$("$GPRINT" "$CUBE" 2>&1) && fail "the month's last second: the cube passed the limit: $out"
echo "$out" | grep -q "g left this month" || fail "the month's last second: $out"
gs_stop_spoold
rm -f "$T/spool/control"
GSPOOL_TEST_NOW=$next "$SPOOLD" -d -v -c "$GSPOOL_CONF" 2>>"$T/spoold.log" &
SPOOLD_PID=$!
"$WAITFOR" exists "$T/spool/control" || fail "spoold did not start"
n=$(submit "$CUBE" -q)
"$GCANCEL" "$n" > /dev/null || fail "gcancel $n"

# 5. Killed as a job's end is written (before its commit, then just
# after it): after the restart, exactly one row for the job.
gs_config "cost_per_kg = 25" "cost_per_hour = 1.20"
for at in accounted ended; do
	gs_stop_spoold
	n0=$(dbq "SELECT count(*) FROM accounting")
	rm -f "$T/spool/control"
	GSPOOL_TEST_CRASH_AT=$at "$SPOOLD" -d -v -c "$GSPOOL_CONF" 2>>"$T/spoold.log" &
	SPOOLD_PID=$!
	"$WAITFOR" exists "$T/spool/control" || fail "spoold did not start"
	k=$(submit "$T/gen.gcode")
	rc=0
	wait "$SPOOLD_PID" || rc=$?
	[ "$rc" -eq 137 ] || fail "spoold was not killed at $at (exit $rc)"
	SPOOLD_PID=
	rm -f "$T/spool/control"
	gs_spoold
	"$GQUEUE" -w "$k" > /dev/null || fail "job $k was not recorded completed after a crash at $at"
	[ "$(dbq "SELECT count(*) FROM accounting WHERE job = $k")" = 1 ] ||
		fail "job $k: not one accounting row after a crash at $at"
	[ "$(dbq "SELECT count(*) FROM accounting")" = $((n0 + 1)) ] ||
		fail "a crash at $at: not one row more"
	near "$(dbq "SELECT g FROM accounting WHERE job = $k")" \
	    "$(jq '.filament_g[0]' "$T/gen.json")" 0.005 || fail "job $k: its grams after a crash at $at"
done

# Two copies printed: twice the file's filament, share 2.
k=$(submit "$T/gen.gcode" -# 2)
"$GQUEUE" -w "$k" > /dev/null || fail "job $k (two copies) did not complete"
[ "$(dbq "SELECT share, result FROM accounting WHERE job = $k")" = "2.0 completed" ] ||
	fail "two copies: $(dbq "SELECT share, result FROM accounting WHERE job = $k")"
near "$(dbq "SELECT g FROM accounting WHERE job = $k")" \
    "$(jq '.filament_g[0] * 2' "$T/gen.json")" 0.011 || fail "two copies' grams"

# A tool's material has its own cost_per_kg ([material NAME], in any
# case), over the printer's.  The material is the one the file's slicer
# names (PrusaSlicer's "; filament_type = PETG"), which the analyser
# reads into made_for.materials, a tool each.
{
	echo "; generated by PrusaSlicer 2.8.1"
	echo "; filament_type = PETG"
	cat "$T/gen.gcode"
} > "$T/petg.gcode"
"$GPRINT" --check --json "$T/petg.gcode" > "$T/petg.json" || fail "gprint --check petg.gcode"
[ "$(jq -c .made_for.materials "$T/petg.json")" = '["PETG"]' ] ||
	fail "the analyser's materials: $(jq -c .made_for "$T/petg.json")"
gs_config "cost_per_kg = 25" "cost_per_hour = 1.20" "" "[material petg]" "cost_per_kg = 1000"
gs_stop_spoold
rm -f "$T/spool/control"
gs_spoold
k=$(submit "$T/petg.gcode")
"$GQUEUE" -w "$k" > /dev/null || fail "job $k (PETG) did not complete"
read -r kg ks kc kt <<EOF2
$(dbq "SELECT g, seconds, cost, tools FROM accounting WHERE job = $k")
EOF2
near "$kg" "$(jq '.filament_g[0]' "$T/petg.json")" 0.005 || fail "PETG's grams $kg"
near "$kc" "$(awk -v g="$kg" -v s="$ks" 'BEGIN { printf "%.4f", int((g / 1000 * 100000 + s / 3600 * 120) + 0.5) / 100 }')" 0.001 ||
	fail "PETG's cost $kc for $kg g in $ks s, not at 1000 a kg"
near "$kc" "$(awk -v g="$kg" 'BEGIN { printf "%.4f", g / 1000 * 25 }')" 0.05 &&
	fail "PETG's cost $kc is the printer's"
[ "$(echo "$kt" | jq -c .materials)" = '["PETG"]' ] || fail "the row's materials: $kt"
# A monthly cost limit counts a file's material at its own rate: with
# 0.10 left, the file without a material passes, the PETG one does not.
used_cost=$(summary --since "$(date +%Y-%m)" | jq '.totals[0].cost')
climit=$(awk -v u="$used_cost" 'BEGIN { printf "%.2f", u + 0.10 }')
gs_config "cost_per_kg = 25" "cost_per_hour = 1.20" "" "[material petg]" \
    "cost_per_kg = 1000" "" "[user $me]" "max_cost_month = $climit"
gs_stop_spoold
rm -f "$T/spool/control"
gs_spoold
p=$(submit "$T/gen.gcode" -q)
"$GCANCEL" "$p" > /dev/null || fail "gcancel $p"
out=$("$GPRINT" -q "$T/petg.gcode" 2>&1) && fail "the PETG file passed max_cost_month: $out"
petg_cost=$(awk -v g="$(jq '.filament_g[0]' "$T/petg.json")" -v s="$(jq .estimated_seconds "$T/petg.json")" \
    'BEGIN { printf "%.2f", int((g / 1000 * 100000 + s / 3600 * 120) + 0.5) / 100 }')
echo "$out" | grep -q "would cost $petg_cost; [0-9.]* of your $climit left this month" ||
	fail "the PETG file's refusal (not $petg_cost of $climit): $out"

# 6. Over SFTP: an account's job is accounted under the account, and
# its [account]'s limit refuses its next drop, the reason kept beside
# the refused file.
if command -v sftp > /dev/null && command -v ssh-keygen > /dev/null; then
	gs_config "cost_per_kg = 25" "cost_per_hour = 1.20" \
	    "[sftp]" "listen = 127.0.0.1:0" \
	    "[account carol]" "keys = $T/carol.keys" \
	    "max_grams_month = $(awk -v c="$cube_g" 'BEGIN { printf "%d", c * 1.5 }')"
	gs_stop_spoold
	rm -f "$T/spool/control"
	chmod 755 "$T"
	gs_sftp_key carol
	gs_spoold
	gs_gsftpd
	as_sftp carol > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp put"; }
put $CUBE drop/one.gcode
B
	"$WAITFOR" gone "$T/spool/drop/carol/one.gcode" || fail "carol's drop was not taken"
	sid=$(dbq "SELECT max(id) FROM job WHERE owner = 'carol'")
	"$GQUEUE" -w "$sid" > /dev/null || fail "carol's job $sid did not complete"
	summary -u carol > "$T/c.json" || fail "gqueue --summary -u carol"
	[ "$(jq -r '.totals[0].jobs' "$T/c.json")" = 1 ] || fail "carol's totals: $(cat "$T/c.json")"
	near "$(jq '.totals[0].g' "$T/c.json")" "$cube_g" 0.005 || fail "carol's grams: $(cat "$T/c.json")"
	as_sftp carol > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp put"; }
put $CUBE drop/two.gcode
B
	"$WAITFOR" exists "$T/spool/rejected/carol/two.gcode.reason" || fail "carol's second drop was not refused"
	grep -q "would use $(printf %.0f "$cube_g") g; " "$T/spool/rejected/carol/two.gcode.reason" ||
		fail "carol's refusal: $(cat "$T/spool/rejected/carol/two.gcode.reason")"
	gs_stop_gsftpd
else
	echo "note: no sftp or ssh-keygen: the SFTP account's part is not run"
fi

# 7. The rows outlive the jobs (keep_jobs) and go after keep_accounting:
# two rows of jobs long gone, ended 40 and 20 days ago, and 30 days
# kept.
gs_stop_spoold
n0=$(dbq "SELECT count(*) FROM accounting")
now=$(date +%s)
for d in 40 20; do
	dbq "INSERT INTO accounting (job, owner, uid, printer, name, result,
	    created, started, finished, seconds, share, mm, g, tools, cost)
	    VALUES (100000 + $d, 'old', 0, 'mk3', 'mk3-old', 'completed',
	    $now - $d * 86400 - 100, $now - $d * 86400 - 90, $now - $d * 86400,
	    90, 1, 10, 1, '{}', 0.03)" > /dev/null
done
gs_config
sed -i '/^\[spool\]/a keep_jobs = 0\nkeep_files = 0\nkeep_accounting = 30d' "$GSPOOL_CONF"
rm -f "$T/spool/control"
gs_spoold
"$WAITFOR" contains "$T/spoold.log" "accounting: 1 row past keep_accounting removed" ||
	fail "the row past keep_accounting was not removed"
[ "$(dbq "SELECT group_concat(job) FROM accounting WHERE owner = 'old'")" = 100020 ] ||
	fail "not the 40 days' row removed: $(dbq "SELECT job FROM accounting WHERE owner = 'old'")"
[ "$(dbq "SELECT count(*) FROM accounting")" = $((n0 + 1)) ] || fail "keep_accounting removed more"
[ "$(dbq "SELECT count(*) FROM job WHERE finished IS NOT NULL")" = 0 ] ||
	fail "keep_jobs = 0 left ended jobs"
gs_config "cost_per_kg = 25" "cost_per_hour = 1.20" "" "[material pla]" "cost_per_kg = 40"
gs_stop_spoold
rm -f "$T/spool/control"
gs_spoold

# 8. The corpus: each file's row against its analysis, and its cost at
# the rate of the filament its slicer names (the PrusaSlicer file's
# PLA, at [material pla]'s 40 a kg), else at the printer's 25.
[ -d "$CORPUS" ] || { echo "SKIP: no corpus at $CORPUS (the rest passed)"; exit 77; }
for f in prusaslicer-2.8.1-mini-cube.gcode ideamaker-4.2.0-two-parts.gcode skeinforge-12.01-20mm-box.gcode; do
	"$GPRINT" --check --json "$CORPUS/$f" > "$T/f.json" || fail "gprint --check $f"
	k=$(submit "$CORPUS/$f")
	"$GQUEUE" -w "$k" > /dev/null || fail "$f did not print"
	dbq "SELECT mm, g, seconds, cost, result, tools FROM accounting WHERE job = $k" > "$T/row"
	read -r rmm rg rs rc result tools < "$T/row" || fail "$f: no accounting row"
	[ "$result" = completed ] || fail "$f: $result"
	near "$rmm" "$(jq '.filament_mm | add' "$T/f.json")" 0.011 || fail "$f: $rmm mm, not $(jq -c .filament_mm "$T/f.json")"
	near "$rg" "$(jq '.filament_g | add' "$T/f.json")" 0.011 || fail "$f: $rg g, not $(jq -c .filament_g "$T/f.json")"
	[ "$(echo "$tools" | jq -c '.g')" = "$(jq -c '.filament_g' "$T/f.json")" ] ||
		fail "$f: per tool $tools, not $(jq -c .filament_g "$T/f.json")"
	[ "$(echo "$tools" | jq -c '.materials')" = "$(jq -c '.made_for.materials' "$T/f.json")" ] ||
		fail "$f: the row's materials $tools, not $(jq -c .made_for "$T/f.json")"
	case "$(jq -r '.made_for.materials[0]' "$T/f.json")" in
	PLA) rate=40 ;;
	*) rate=25 ;;
	esac
	near "$rc" "$(awk -v g="$rg" -v s="$rs" -v r="$rate" 'BEGIN { printf "%.4f", int((g / 1000 * r * 100 + s / 3600 * 120) + 0.5) / 100 }')" 0.001 ||
		fail "$f: cost $rc for $rg g in $rs s, not at $rate a kg"
done
[ "$(dbq "SELECT count(*) FROM accounting WHERE json_extract(tools, '$.materials[0]') = 'PLA'")" -ge 1 ] ||
	fail "no corpus file's row has its slicer's PLA"
echo "PASS"
