#!/bin/sh
# A class across three hosts: the front host's class room lists its
# own printer mk3 and remote queues on two other gspool hosts (b and c,
# each a spool of its own with gsftpd on its own loopback port and
# virtual printers): b1 and b2 are b's printers p1 and p2, c1 is c's
# printer p1 (which waits to be cleared after a job), c2 is c's class q.
# While b's p1 prints a job of b's own and c's p1 waits to be cleared,
# dispatch sends nothing to b1 or c1: the jobs fill the other members.
# Once both are ready again they are used again, and a batch of jobs
# fills every member.  Each job is printed exactly once, on exactly one
# printer, the one the front's history names; gpc status shows the
# remote printers as it shows the local one.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/forwardlib.sh"

# job N: a short job $T/jobN.gcode whose M117 names it.
job() {
	{
		echo "M117 room-$1"
		echo "G28"
		i=0
		while [ $i -lt 60 ]; do
			echo "G1 X$((i % 50 + 10)) Y$((i % 40 + 10)) F6000"
			i=$((i + 1))
		done
		echo "M117 room-$1 end"
	} > "$T/job$1.gcode"
}

FWD_PRINTERS="p1 p2"
fwd_host b
fwd_remote --command-ms 5
FWD_AWAIT_CLEAR=p1
FWD_REMOTE_EXTRA="[class q]
printers = p2"
fwd_host c
fwd_remote --command-ms 5
gs_vprinter --command-ms 5
FWD_NO_FAR=yes
fwd_front "$(fwd_printer b1 b p1)" "$(fwd_printer b2 b p2)" \
    "$(fwd_printer c1 c p1)" "$(fwd_printer c2 c q)" \
    "[printer mk3]" "device = $T/mk3.tty" "handshake_timeout = 5" \
    "reconnect_interval = 1" "clears_bed = yes" \
    "[class room]" "printers = mk3 b1 b2 c1 c2"
for p in mk3 b1 b2 c1 c2; do
	"$WAITFOR" contains "$T/spoold.log" "$p: ready " || fail "$p did not become ready"
done

# vlog PRINTER: the front's printer's virtual printer log, wherever it
# is.
vlog() {
	case "$1" in
	mk3) echo "$T/vprinter.log" ;;
	b1) echo "$T/b/vprinter-p1.log" ;;
	b2) echo "$T/b/vprinter-p2.log" ;;
	c1) echo "$T/c/vprinter-p1.log" ;;
	c2) echo "$T/c/vprinter-p2.log" ;;
	esac
}
LOGS="$T/vprinter.log $T/b/vprinter-p1.log $T/b/vprinter-p2.log $T/c/vprinter-p1.log $T/c/vprinter-p2.log"

# batch NAME...: the jobs NAME sent to the class while it is disabled,
# then the class enabled, so that one dispatch meets them all; waits
# for their ends, and prints each job's printer as the front's history
# says, after checking that its job was printed exactly once, on that
# printer's virtual printer.
batch() {
	"$GPC" disable room > /dev/null || fail "gpc disable room"
	ids=
	for n in "$@"; do
		job "$n"
		out=$("$GPRINT" -P room -T "room $n" "$T/job$n.gcode") ||
			fail "gprint -P room: $out"
		j=${out#request id is room-}
		ids="$ids ${j%% *}"
	done
	"$GPC" enable room > /dev/null || fail "gpc enable room"
	# shellcheck disable=SC2086
	"$GQUEUE" -w $ids > "$T/wait.out" || fail "the class's jobs: $(cat "$T/wait.out")"
	# shellcheck disable=SC2086
	set -- $ids
	for n in $BATCH_NAMES; do
		id=$1
		shift
		p=$("$GQUEUE" --json --history "$id" | jq -r '.jobs[0].printer')
		# shellcheck disable=SC2086
		k=$(cat $LOGS | grep -c -x "M117 room-$n" || true)
		[ "$k" -eq 1 ] || fail "job $id (room-$n) was printed $k times"
		grep -q -x "M117 room-$n end" "$(vlog "$p")" ||
			fail "job $id (room-$n) is not on $p's printer"
		echo "$p"
	done
}

# ready_count PRINTER: how often the front has seen PRINTER turn ready.
ready_count() {
	grep -c "spoold: $1: the printer is ready" "$T/spoold.log" || true
}

# 1. b's p1 prints a job of b's own (paused there, so that it lasts),
#    c's p1 waits to be cleared after a job of c's own: b1 and c1 are
#    busy here, and six jobs sent to the class fill mk3, b2 and c2 alone.
job own
out=$("$GPRINT" -c "$T/b/gspool.conf" -P p1 -T own "$CUBE") || fail "gprint on b: $out"
bown=${out#request id is p1-}
bown=${bown%% *}
"$WAITFOR" contains "$T/spoold.log" "b1: busy " || fail "b1 is not busy here"
"$GPC" -c "$T/b/gspool.conf" pause p1 > /dev/null || fail "gpc pause p1 on b"
"$WAITFOR" contains "$T/spoold-b.log" "p1-$bown: paused" || fail "b's own job was not paused"
out=$("$GPRINT" -c "$T/c/gspool.conf" -P p1 -T own "$T/jobown.gcode") || fail "gprint on c: $out"
cown=${out#request id is p1-}
cown=${cown%% *}
"$GQUEUE" -c "$T/c/gspool.conf" -w "$cown" > "$T/wait.out" || fail "c's own job: $(cat "$T/wait.out")"
"$WAITFOR" contains "$T/spoold.log" "c1: busy " || fail "c1 is not busy here"
nb=$(ready_count b1)
nc=$(ready_count c1)
BATCH_NAMES="a1 a2 a3 a4 a5 a6"
# shellcheck disable=SC2086
on=$(batch $BATCH_NAMES | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
case "$on" in
*b1*|*c1*) fail "a busy member got a job: $on" ;;
esac
for p in mk3 b2 c2; do
	case "$on" in
	*"$p:"*) ;;
	*) fail "$p got no job: $on" ;;
	esac
done
grep -q "room-a" "$T/b/vprinter-p1.log" "$T/c/vprinter-p1.log" &&
	fail "a busy member's printer printed a class job"

# 2. b's own job ends and c's p1 is cleared: b1 and c1 are ready here
#    again, and five jobs fill all five members, one each.
"$GPC" -c "$T/b/gspool.conf" resume p1 > /dev/null || fail "gpc resume p1 on b"
"$GQUEUE" -c "$T/b/gspool.conf" -w "$bown" > "$T/wait.out" || fail "b's own job: $(cat "$T/wait.out")"
"$GPC" -c "$T/c/gspool.conf" ready p1 > /dev/null || fail "gpc ready p1 on c"
"$WAITFOR" count "$T/spoold.log" "spoold: b1: the printer is ready" $((nb + 1)) ||
	fail "b1 did not become ready again"
"$WAITFOR" count "$T/spoold.log" "spoold: c1: the printer is ready" $((nc + 1)) ||
	fail "c1 did not become ready again"
BATCH_NAMES="b1 b2 b3 b4 b5"
# shellcheck disable=SC2086
on=$(batch $BATCH_NAMES | sort | tr '\n' ' ')
[ "$on" = "b1 b2 c1 c2 mk3 " ] || fail "five jobs for five members went to: $on"

# 3. gpc status shows a remote printer as it shows the local one: a
#    cube printing on mk3 and on b2, each paused once it has heated.
for p in mk3 b2; do
	out=$("$GPRINT" -P $p -T "cube on $p" "$CUBE") || fail "gprint -P $p: $out"
	j=${out#request id is "$p"-}
	eval "cube_$p=\${j%% *}"
	"$WAITFOR" contains "$T/spoold.log" "$p: heaters' targets: T0 205, B 60" || fail "the cube did not heat $p"
	"$GPC" pause $p > /dev/null || fail "gpc pause $p"
	"$WAITFOR" contains "$T/spoold.log" "$p-${j%% *}: paused" || fail "the cube on $p was not paused"
done
"$GPC" status mk3 b2 > "$T/status.out" || fail "gpc status: $(cat "$T/status.out")"
# The same lines, but for the names, the figures and the local heaters'
# power (a remote host's status.json has none).
shape() {
	sed -e "s/\b$1\b/P/g" -e 's/ (power [0-9]*)//g' -e 's/^P: ready (.*)$/P: ready/' \
	    -e 's/[0-9][0-9.:]*/N/g'
}
sed -n '/^mk3:/,/^b2:/p' "$T/status.out" | sed '$d' | shape mk3 > "$T/local.shape"
sed -n '/^b2:/,$p' "$T/status.out" | shape b2 > "$T/remote.shape"
[ -s "$T/local.shape" ] && cmp -s "$T/local.shape" "$T/remote.shape" ||
	fail "gpc status shows b2 unlike mk3: $(cat "$T/status.out")"
grep -q "^	paused b2-$cube_b2: layer [0-9]* of 100, " "$T/status.out" &&
    grep -q "^	heaters: T0 205.0/205.0 C, B 60.0/60.0 C$" "$T/status.out" ||
	fail "gpc status b2: $(cat "$T/status.out")"
"$GPC" --json status b2 | jq -e --argjson id "$cube_b2" '.printers[0] |
    .state == "ready" and .activity == "paused" and .job == $id and
    .lines_done > 0 and .status.progress.layers == 100 and (.layer | type) == "number" and .message == "p2 on 127.0.0.1:'"$(cat "$T/b/port")"'" and
    ([.status.heaters[] | [.name, .target, .actual, .stale]] ==
	[["T0", 205, 205, false], ["B", 60, 60, false]])' > /dev/null ||
	fail "gpc --json status b2: $("$GPC" --json status b2)"
echo PASS
