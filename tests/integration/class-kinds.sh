#!/bin/sh
# A class of every kind of printer under one spoold: a Marlin virtual
# printer (mk3), Klipper's serial port on the virtual printer's Klipper
# flavour (kl, device = klipper:PATH), and Klipper behind Moonraker (mr,
# the model of moonraker-model.py).  Three jobs sent to the class print
# at once, one on each, and each exactly; the queue, gqueue -l, the
# status model and the history show them in the same shape whatever the
# kind (the layers too: the Moonraker job's come from the file's
# markers, as on a serial line).  Then a job is canceled on the
# Moonraker printer while the serial ones print on.
. "$top_srcdir/tests/integration/net.sh"
net_need jq curl
MODEL="$top_srcdir/tests/integration/moonraker-model.py"

net_secret "$T/key" gspool-test-key-0123
net_model_start --api-key-file "$T/key" --printed "$T/mr.printed"

# 8 layers of 40 moves, with the slicer's markers and nothing a Marlin
# would not know.
awk 'BEGIN {
	print "G28"; print "G90"; print "M82"; print "G92 E0"
	for (l = 1; l <= 8; l++) {
		printf ";LAYER:%d\nG1 Z%.2f F600\n", l - 1, l * 0.2
		for (i = 0; i < 40; i++) {
			e += 0.05
			printf "G1 X%d Y%d E%.3f F3000\n", 10 + i, 10 + (i * 3) % 40, e
		}
	}
}' > "$T/job.gcode"
lines=$(gcode_commands "$T/job.gcode" | wc -l)
gcode_commands "$T/job.gcode" > "$T/expected"

gs_config "" "[printer kl]" "device = klipper:$T/kl.tty" "handshake_timeout = 5" \
    "reconnect_interval = 1" "clears_bed = yes" "" \
    "[printer mr]" "device = moonraker://127.0.0.1:$PORT" "api_key_file = $T/key" \
    "reconnect_interval = 1" "clears_bed = yes" "" \
    "[class room]" "printers = mk3 kl mr"
# The serial printers take 10 ms a command: a print of a few seconds.
gs_vprinter --command-ms 10
"$VPRINTER" -o "$T/kl.log" -s "$T/kl.json" --flavour klipper --command-ms 10 \
    "$T/kl.tty" 2>>"$T/kl.err" &
"$WAITFOR" exists "$T/kl.tty" || fail "the Klipper printer did not start"
gs_spoold
for p in mk3 kl mr; do
	"$WAITFOR" contains "$T/spoold.log" "$p: the printer is ready" ||
		fail "$p did not get ready: $("$GPC" status "$p")"
done
"$GPC" status > "$T/st.out"
grep -qx "room: class of mk3 kl mr" "$T/st.out" || fail "gpc status: $(cat "$T/st.out")"

# room_submit: one job for the class; its number.
room_submit() {
	out=$("$GPRINT" -P room "$T/job.gcode") || fail "gprint -P room"
	case "$out" in "request id is room-"*) ;; *) fail "gprint said: $out" ;; esac
	id=${out#request id is room-}
	echo "${id%% *}"
}
# on PRINTER: the job processing on PRINTER, from gqueue --json.
on() {
	jq -r --arg p "$1" '.jobs[] | select(.printer == $p and
	    .state == "processing") | .id' "$T/q.json"
}
# shape JSON JQ: how many different shapes (the names of the fields of
# each object, at every depth; a list is a list, whatever it holds) the
# values JQ gives have.
shape() {
	jq "def s: if type == \"object\" then with_entries(.value |= s)
	    elif type == \"array\" then \"list\" else \"value\" end;
	    [$2 | s] | unique | length" "$1"
}

# 1. Three jobs, held on Moonraker at layer 3: all three print at once,
# one on each printer.
ctl hold marker=3
ids="$(room_submit) $(room_submit) $(room_submit)"
"$WAITFOR" contains "$ML" "held 3" || fail "no job reached the Moonraker printer"
"$WAITFOR" count "$T/spoold.log" ": sent to the printer" 3 ||
	fail "the three jobs were not all handed out"
"$GQUEUE" -a --json > "$T/q.json"
[ "$(jq '[.jobs[] | select(.state == "processing")] | length' "$T/q.json")" = 3 ] ||
	fail "not three jobs printing at once: $(cat "$T/q.json")"
mk3=$(on mk3) kl=$(on kl) mr=$(on mr)
[ -n "$mk3" ] && [ -n "$kl" ] && [ -n "$mr" ] ||
	fail "not one job on each printer: $(cat "$T/q.json")"
for id in $ids; do
	case " $mk3 $kl $mr " in *" $id "*) ;; *) fail "job $id is not printing" ;; esac
done
# The status model: the same fields for each kind while it prints.
[ "$(shape "$T/q.json" '.printers[] | .status')" = 1 ] ||
	fail "the printers' status differ in shape: $(jq -c '.printers[] | .status' "$T/q.json")"
jq -e '[.printers[] | .status.activity] == ["printing", "printing", "printing"]' \
    "$T/q.json" > /dev/null || fail "status: $(jq -c '.printers[] | .status' "$T/q.json")"
"$GPC" status > "$T/st.out"
for p in mk3 kl mr; do
	grep -A 1 "^$p: ready " "$T/st.out" | grep -q "^	printing room-[0-9]*: layer [0-9]* of 8, " ||
		fail "gpc status for $p: $(cat "$T/st.out")"
done
"$GQUEUE" -P room > "$T/gq.out"
[ "$(grep -c '^active ' "$T/gq.out")" = 3 ] || fail "gqueue -P room: $(cat "$T/gq.out")"
ctl release
# shellcheck disable=SC2086
"$GQUEUE" -w $ids > "$T/w.out" || fail "the class's jobs: $(cat "$T/w.out")"
for id in $ids; do
	grep -qx "room-$id: completed" "$T/w.out" || fail "gqueue -w: $(cat "$T/w.out")"
done
# Each printed exactly: the serial printers' logs, the host's bytes.
cmp -s "$T/expected" "$T/vprinter.log" || fail "mk3 did not print the job exactly"
cmp -s "$T/expected" "$T/kl.log" || fail "kl did not print the job exactly"
expect_clean "$T/vprinter.log.json"
cmp -s "$T/job.gcode" "$T/mr.printed" || fail "mr did not print the job exactly"
grep -qx "upload gspool-mr-$mr.gcode $(wc -c < "$T/job.gcode") True" "$ML" ||
	fail "the Moonraker job was not uploaded with its checksum: $(grep upload "$ML")"
# The history: each the same shape, where it ran, every line, 8 layers.
# shellcheck disable=SC2086
"$GQUEUE" -a --json --history $ids > "$T/h.json"
[ "$(shape "$T/h.json" '.jobs[] | del(.attributes)')" = 1 ] ||
	fail "the jobs' history differs in shape: $(cat "$T/h.json")"
jq -e --argjson l "$lines" '[.jobs[] | select(.state == "completed" and
    .destination == "room" and .lines_done == $l and .layer == 8) |
    .printer] | sort == ["kl", "mk3", "mr"]' "$T/h.json" > /dev/null ||
	fail "history: $(cat "$T/h.json")"
# gqueue -l: the same fields, but the serial line's own figures.
for id in $mk3 $kl $mr; do
	"$GQUEUE" -l --history "$id" | grep -v 'link\.' |
	    sed -e 's/\<\(mk3\|kl\|mr\)\>/PRINTER/g' -e 's/[0-9][0-9.:-]*/N/g' \
	    -e 's/  */ /g' > "$T/l.$id"
done
cmp -s "$T/l.$mk3" "$T/l.$mr" && cmp -s "$T/l.$mk3" "$T/l.$kl" ||
	fail "gqueue -l differs by kind: $(diff "$T/l.$mk3" "$T/l.$mr"; diff "$T/l.$mk3" "$T/l.$kl")"

# 2. Three more; the one on Moonraker is canceled at layer 2, the host
# stops there, its upload goes; the others complete exactly.
: > "$T/vprinter.log"
: > "$T/kl.log"
: > "$T/mr.printed"
ctl hold marker=2
ids="$(room_submit) $(room_submit) $(room_submit)"
"$WAITFOR" contains "$ML" "held 2" || fail "no job reached the Moonraker printer"
"$GQUEUE" -a --json > "$T/q.json"
mr=$(on mr)
[ -n "$mr" ] || fail "no job on mr: $(cat "$T/q.json")"
"$GCANCEL" "$mr" || fail "gcancel $mr"
"$WAITFOR" contains "$ML" "cancelled gspool-mr-$mr.gcode" ||
	fail "the host was not asked to cancel"
"$WAITFOR" contains "$ML" "delete gspool-mr-$mr.gcode" ||
	fail "the canceled upload was not removed"
ctl release
# shellcheck disable=SC2086
"$GQUEUE" -w $ids > "$T/w.out" && fail "a canceled job waited as done"
grep -qx "room-$mr: canceled: canceled by request" "$T/w.out" || fail "gqueue -w: $(cat "$T/w.out")"
[ "$(grep -c ': completed$' "$T/w.out")" = 2 ] || fail "gqueue -w: $(cat "$T/w.out")"
cmp -s "$T/expected" "$T/vprinter.log" || fail "mk3 did not print the job exactly"
cmp -s "$T/expected" "$T/kl.log" || fail "kl did not print the job exactly"
n=$(wc -c < "$T/mr.printed")
[ "$n" -lt "$(wc -c < "$T/job.gcode")" ] && head -c "$n" "$T/job.gcode" | cmp -s - "$T/mr.printed" ||
	fail "the host printed other than the job's start before the cancel"
# shellcheck disable=SC2086
"$GQUEUE" -a --json --history $ids > "$T/h.json"
[ "$(shape "$T/h.json" '.jobs[] | del(.attributes)')" = 1 ] ||
	fail "the jobs' history differs in shape: $(cat "$T/h.json")"
jq -e --argjson id "$mr" '.jobs[] | select(.id == $id) | .state == "canceled" and
    .printer == "mr" and .layer == 2' "$T/h.json" > /dev/null ||
	fail "the canceled job's history: $(cat "$T/h.json")"
echo "PASS"
