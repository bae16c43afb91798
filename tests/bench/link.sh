#!/bin/sh
# make bench: the printer link, on the virtual printer at 250000 baud
# with 1 ms latency each way and Marlin's default buffers (128-byte
# receive buffer, 4 command slots, 16 planner moves).
#
#   bench: link lines=N bytes=N seconds=S efficiency=E pingpong_efficiency=P speedup=X
#       moves take no time, so the link is the only limit; efficiency is
#       bytes sent / (seconds x baud / 10), ping-pong is window = 1;
#   bench: stutter underruns=U pingpong_underruns=V
#       moves take their real time on a file of short curved segments
#       printed fast; an underrun is the planner running dry because
#       the next command had not arrived;
#   bench: link-floor cpu_s_per_100k_lines=F user_s_per_100k_lines=U syscalls_per_line=S switches_per_line=W efficiency=E
#       the least the same job costs on a pseudo-terminal:
#       tests/bench/linkfloor streams the dense file's commands with the
#       same window (4 lines, 127 bytes), one blocking read of every
#       reply waiting and one write of every line that fits per wake-up,
#       no poll, timer or engine, to a second virtual printer at the same
#       time as the backend's dense run; its printer's log is checked
#       exact and clean;
#   bench: link-cpu cpu_s_per_100k_lines=C user_s_per_100k_lines=U switches_per_line=W preempted_per_line=P max_rss_kib=M syscalls_per_line=S floor=F ratio=R
#       the backend's own CPU time during the job (the virtual printer's
#       and spoold's not counted), the user-space part of it, its context
#       switches per line (waits for the printer, and preemptions, most
#       of them by the kernel's worker that carries a pty write to the
#       other side), its peak memory, its system calls per line (the
#       loop's polls, the port's reads and writes), and its CPU time
#       against the floor's in the same run (ratio = C / F);
#   bench: link-klipper efficiency=K marlin_efficiency=E ratio=R
#       the same dense file over Klipper's serial port (the virtual
#       printer's Klipper flavour, klipper:PATH), against Marlin's;
#   bench: link-peer printcore_lines_per_s=N gspool_lines_per_s=M
#       where Debian's printrun is installed: the same dense file
#       streamed by Printrun's printcore to the same virtual printer;
#   bench: link-noise rate=R efficiency=E clean_efficiency=C ratio=X faults=F resends=N
#       the same dense file with one line in 1/R damaged each way (a
#       flipped bit, a lost or extra byte, bit 7 set, at random); the
#       ratio is E/C, faults counts each fault once, resends every
#       request; the print stays exact;
#   bench: stutter-noise rate=R underruns=U starved_s=S faults=F recovered=V lost_oks=L
#       the curves (thirty layers) in real time with the same damage:
#       underruns and the seconds the planner stood dry for want of a
#       command, against the lines the printer damaged either way (F);
#       V and L are the link's resend recoveries and lost oks found;
#   bench: farm printers=16 min_efficiency=E cpu_s_per_printer_hour=C single_efficiency=S ratio=R
#       16 virtual printers at 250000 baud, one spoold driving them all
#       at once, each printing the first 8000 lines of the dense file,
#       every log exact: the lowest printer's efficiency, and the CPU
#       time of spoold and the 16 backends per printer and hour of
#       printing; single_efficiency is one printer's alone on the whole
#       dense file (the link line's), and ratio the lowest over it;
#
# LINK_BENCH=cpu prints only the dense run's efficiency, the floor's
# line and its link-cpu line, LINK_BENCH=klipper the dense run and Klipper's on it, and
# LINK_BENCH=stutter only the two stutter figures (window 4).
. "$top_srcdir/tests/integration/lib.sh"
BAUD=250000

# The dense file: real slicer output when the corpus is there (the first
# 30000 lines of a Benchy: short segments), else the project's cube.
dense="$T/dense.gcode"
if [ -f "$CORPUS/prusaslicer-2.7.1-mini-benchy-large.gcode" ]; then
	head -n 30000 "$CORPUS/prusaslicer-2.7.1-mini-benchy-large.gcode" > "$dense"
else
	cp "$CUBE" "$dense"
fi

# Short curved segments printed fast: 0.3 mm chords of 10 mm circles
# at 120 mm/s, each move 2.5 ms: within the link's capacity, beyond
# what one line per round trip can feed.  Thirty layers, about 6,300
# moves: at one line in 2,000 damaged each way, several faults fall
# inside the noisy run, so its underruns are weighed against them.
curves="$T/curves.gcode"
awk 'BEGIN {
	print "G21"; print "G90"; print "M82"; print "G92 E0"
	e = 0; seg = 0.3; r = 10; n = int(2 * 3.14159265 * r / seg)
	for (layer = 0; layer < 30; layer++) {
		printf "G1 Z%.2f F3000\n", 0.2 + layer * 0.2
		for (i = 0; i <= n; i++) {
			a = 2 * 3.14159265 * i / n
			e += 0.02
			printf "G1 X%.3f Y%.3f E%.4f%s\n", 100 + r * cos(a), 100 + r * sin(a), e, i == 0 ? " F7200" : ""
		}
	}
}' > "$curves"

# run FILE WINDOW VPRINTER-OPTIONS...: print FILE, leave the backend's
# stats line in $stats and the printer's summary in $summary; the
# printer must have executed FILE exactly.
run() {
	file=$1 window=$2
	shift 2
	rm -rf "$T/spool" "$T/vprinter.log" "$T/vprinter.log.json"
	if [ -n "${KLIPPER:-}" ]; then
		gs_config "window = $window" "handshake_timeout = 2" \
		    "device = klipper:$T/mk3.tty" "firmware = klipper"
	else
		gs_config "window = $window" "handshake_timeout = 2"
	fi
	gs_vprinter --baud $BAUD --latency-ms 1 "$@"
	gs_spoold
	id=$(submit "$file")
	"$GQUEUE" -w "$id" > /dev/null || fail "the bench job did not complete"
	expect_log "$file"
	stats=$(grep "mk3-$id: stats" "$T/spoold.log" | tail -n 1)
	gs_stop_spoold
	kill "$VPRINTER_PID"; wait "$VPRINTER_PID" || true
	pkill -f -- "$T/" || true
	pidwait -f -- "$T/" || true
	summary=$(cat "$T/vprinter.log.json")
	mv "$T/spoold.log" "$T/spoold-$window.log"
}
field() {	# name text
	echo "$2" | tr ' ,{}' '\n\n\n\n' | sed -n "s/^\"*$1\"*[=:]//p" | head -n 1
}

# The damaged curves' line: the faults are the lines the printer
# damaged, either way (the link's own count, which takes a lost ok for
# a fault of another kind, is beside it as recovered).
stutter_noise() {
	echo "bench: stutter-noise rate=$RATE underruns=$(field planner_underruns "$summary") starved_s=$(field starved_s "$summary") faults=$(($(field damaged_in "$summary") + $(field damaged_out "$summary"))) recovered=$(field faults "$stats") lost_oks=$(field lost_oks "$stats")"
}

# Line noise: one line in 2000 damaged each way, any kind.  With
# LINK_BENCH=stutter, the curves in real time alone, clean and damaged.
RATE=0.0005
noise="--corrupt-in 2000 --corrupt-out 2000 --corrupt-kind mixed --seed 5"
if [ "${LINK_BENCH:-}" = stutter ]; then
	run "$curves" 4 --time-scale 1
	echo "bench: stutter underruns=$(field planner_underruns "$summary")"
	# shellcheck disable=SC2086
	run "$curves" 4 --time-scale 1 $noise
	stutter_noise
	exit 0
fi

# The floor runs on a second virtual printer at the same time as the
# backend's dense run, so that both meet the same load (the machine may
# be shared, and the load moves from one minute to the next).  Its
# paths are relative to $T, out of reach of run()'s pkill.
gcode_commands "$dense" > "$T/floor.cmds"
(cd "$T" && exec "$VPRINTER" -o floor.log --baud $BAUD --latency-ms 1 \
    floor.tty 2>>vprinter-floor.err) &
FLOOR_VP=$!
"$WAITFOR" exists "$T/floor.tty" || fail "the floor's printer did not start"
(cd "$T" && exec "$BIN/tests/bench/linkfloor" -w 4 -x 128 floor.tty \
    floor.cmds > floor.out 2> floor.err) &
FLOOR_PID=$!
run "$dense" 4
wait "$FLOOR_PID" || fail "linkfloor: $(cat "$T/floor.err")"
kill "$FLOOR_VP"; wait "$FLOOR_VP" || true
cmp -s "$T/floor.cmds" "$T/floor.log" ||
	fail "the floor's printer log differs from the job's commands"
expect_clean "$T/floor.log.json"
fl=$(cat "$T/floor.out")
lines=$(field lines "$stats") bytes=$(field bytes "$stats")
secs=$(field seconds "$stats") cpu=$(field cpu_s "$stats")
ucpu=$(field user_s "$stats") sw=$(field switches "$stats")
pre=$(field preempted "$stats") rss=$(field max_rss_kib "$stats")
sys=$(field syscalls "$stats")
gspool_lps=$(awk -v l="$lines" -v s="$secs" 'BEGIN { printf "%d", l / s }')

floor=$(awk -v c="$(field cpu_s "$fl")" -v l="$(field lines "$fl")" \
    'BEGIN { printf "%.3f", c * 100000 / l }')
link_floor() {
	echo "$fl" | awk -v baud=$BAUD '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		l = f["lines"]
		printf "bench: link-floor cpu_s_per_100k_lines=%.3f user_s_per_100k_lines=%.3f syscalls_per_line=%.2f switches_per_line=%.2f efficiency=%.3f\n", f["cpu_s"] * 100000 / l, f["user_s"] * 100000 / l, (f["reads"] + f["writes"]) / l, f["switches"] / l, f["bytes"] / (f["seconds"] * baud / 10)
	}'
}
link_cpu() {
	link_floor
	awk -v c="$cpu" -v u="$ucpu" -v w="$sw" -v p="$pre" -v l="$lines" \
	    -v m="$rss" -v s="$sys" -v f="$floor" 'BEGIN {
		printf "bench: link-cpu cpu_s_per_100k_lines=%.3f user_s_per_100k_lines=%.3f switches_per_line=%.2f preempted_per_line=%.2f max_rss_kib=%d syscalls_per_line=%.2f floor=%.3f ratio=%.2f\n", c * 100000 / l, u * 100000 / l, w / l, p / l, m, s / l, f, c * 100000 / l / f
	}'
}
# LINK_BENCH=cpu: the dense run alone, its efficiency and its CPU time.
if [ "${LINK_BENCH:-}" = cpu ]; then
	awk -v b="$bytes" -v s="$secs" -v baud=$BAUD 'BEGIN {
		printf "bench: link efficiency=%.3f\n", b / (s * baud / 10)
	}'
	link_cpu
	exit 0
fi
# Klipper's serial port (klipper:PATH, gspool-vprinter --flavour
# klipper) on the same file: no resends, readiness from Klipper's state.
KLIPPER=1
run "$dense" 4 --flavour klipper
KLIPPER=
awk -v b="$bytes" -v s="$secs" -v kb="$(field bytes "$stats")" \
    -v ks="$(field seconds "$stats")" -v baud=$BAUD 'BEGIN {
	e = b / (s * baud / 10); k = kb / (ks * baud / 10)
	printf "bench: link-klipper efficiency=%.3f marlin_efficiency=%.3f ratio=%.3f\n", k, e, k / e
}'
[ "${LINK_BENCH:-}" = klipper ] && exit 0
run "$dense" 1
pbytes=$(field bytes "$stats") psecs=$(field seconds "$stats")
awk -v l="$lines" -v b="$bytes" -v s="$secs" -v pb="$pbytes" -v ps="$psecs" \
    -v baud=$BAUD 'BEGIN {
	e = b / (s * baud / 10); p = pb / (ps * baud / 10)
	printf "bench: link lines=%d bytes=%d seconds=%.2f efficiency=%.3f pingpong_efficiency=%.3f speedup=%.2f\n", l, b, s, e, p, ps / s
}'

run "$curves" 4 --time-scale 1
u=$(field planner_underruns "$summary")
run "$curves" 1 --time-scale 1
pu=$(field planner_underruns "$summary")
echo "bench: stutter underruns=$u pingpong_underruns=$pu"


# shellcheck disable=SC2086
run "$dense" 4 $noise
nbytes=$(field bytes "$stats") nsecs=$(field seconds "$stats")
faults=$(field faults "$stats") resends=$(field resends "$stats")
awk -v r=$RATE -v b="$bytes" -v s="$secs" -v nb="$nbytes" -v ns="$nsecs" \
    -v f="$faults" -v n="$resends" -v baud=$BAUD 'BEGIN {
	c = b / (s * baud / 10); e = nb / (ns * baud / 10)
	printf "bench: link-noise rate=%s efficiency=%.3f clean_efficiency=%.3f ratio=%.3f faults=%d resends=%d\n", r, e, c, e / c, f, n
}'
# shellcheck disable=SC2086
run "$curves" 4 --time-scale 1 $noise
stutter_noise

link_cpu

# The farm: 16 printers, one spoold.
FARM=16
farmfile="$T/farm.gcode"
head -n 8000 "$dense" > "$farmfile"
rm -rf "$T/spool" "$T"/p*.log "$T"/p*.log.json
gs_config "window = 4" "handshake_timeout = 2"
i=1
while [ $i -le $FARM ]; do
	cat >> "$GSPOOL_CONF" <<CONF

[printer p$i]
device = $T/p$i.tty
handshake_timeout = 2
reconnect_interval = 1
clears_bed = yes
CONF
	"$VPRINTER" -o "$T/p$i.log" --baud $BAUD --latency-ms 1 "$T/p$i.tty" \
	    2>>"$T/vprinter.err" &
	eval "FARM_PID$i=\$!"
	i=$((i + 1))
done
i=1
while [ $i -le $FARM ]; do
	"$WAITFOR" exists "$T/p$i.tty" || fail "virtual printer p$i did not start"
	i=$((i + 1))
done
gs_spoold
cpu0=$(awk '{ print $14 + $15 }' "/proc/$SPOOLD_PID/stat")
ids=
i=1
while [ $i -le $FARM ]; do
	out=$("$GPRINT" -P "p$i" "$farmfile") || fail "gprint -P p$i: $out"
	id=${out#request id is p$i-}
	ids="$ids ${id%% *}"
	i=$((i + 1))
done
# shellcheck disable=SC2086
"$GQUEUE" -w $ids > "$T/farm.out" || fail "not every farm job completed: $(cat "$T/farm.out")"
cpu1=$(awk '{ print $14 + $15 }' "/proc/$SPOOLD_PID/stat")
gcode_commands "$farmfile" > "$T/farm.expected"
i=1
while [ $i -le $FARM ]; do
	cmp -s "$T/farm.expected" "$T/p$i.log" || fail "printer p$i's log differs from the job's commands"
	expect_clean "$T/p$i.log.json"
	i=$((i + 1))
done
grep -E "p[0-9]+-[0-9]+: stats" "$T/spoold.log" | tr ' ' '\n' |
    awk -v baud=$BAUD -v n=$FARM -v sc="$cpu0" -v sc1="$cpu1" \
    -v hz="$(getconf CLK_TCK)" -v single="$(awk -v b="$bytes" -v s="$secs" \
    -v baud=$BAUD 'BEGIN { print b / (s * baud / 10) }')" -F= '
	$1 == "bytes" { b = $2 }
	$1 == "seconds" { s = $2; e = b / (s * baud / 10); if (min == "" || e < min) min = e; tot += s }
	$1 == "cpu_s" { c += $2 }
	END {
		c += (sc1 - sc) / hz
		printf "bench: farm printers=%d min_efficiency=%.3f cpu_s_per_printer_hour=%.1f single_efficiency=%.3f ratio=%.3f\n", n, min, c / (tot / 3600), single, min / single
	}'
gs_stop_spoold
i=1
while [ $i -le $FARM ]; do
	eval "kill \$FARM_PID$i"
	i=$((i + 1))
done
wait 2>/dev/null || true

# The peer: Printrun's printcore on the same printer and file.
if /usr/bin/python3 -c 'import printrun.printcore' 2>/dev/null; then
	rm -f "$T/vprinter.log"
	gs_vprinter --baud $BAUD --latency-ms 1
	out=$(/usr/bin/python3 "$top_srcdir/tests/bench/printcore.py" \
	    "$T/mk3.tty" $BAUD "$dense" 2>"$T/printcore.err") ||
		fail "printcore: $(tail -n 3 "$T/printcore.err")"
	kill "$VPRINTER_PID"; wait "$VPRINTER_PID" || true
	n=$(wc -l < "$T/vprinter.log")
	echo "$out" | awk -v n="$n" -v g="$gspool_lps" '{
		printf "bench: link-peer printcore_lines_per_s=%d gspool_lines_per_s=%d\n", n / $1, g
	}'
fi
