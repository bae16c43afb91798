#!/bin/sh
# Numbers from the control protocol and from the queue are range-checked
# before any sum is made of them.  A hold-until past the year 9999, a
# priority or copies that do not fit, are refused with the reason; a
# queue an older spoold left with such a hold-until (it overflowed a
# signed addition at every start, which the sanitizer build aborts on)
# is read, listed and kept, and spoold stays up across restarts.
. "$top_srcdir/tests/integration/lib.sh"
PY=/usr/bin/python3
"$PY" -c 'import socket, sqlite3; socket.send_fds' 2>/dev/null ||
	{ echo "SKIP: no python3 with send_fds and sqlite3"; exit 77; }
gs_config
gs_spoold			# no printer: the jobs wait

# raw FIELD...: one request on the control socket with $CUBE attached;
# prints the reply's fields, one a line.
raw() {
	"$PY" - "$T/spool/control" "$CUBE" "$@" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
f = open(sys.argv[2], "rb")
socket.send_fds(s, ["\t".join(sys.argv[3:]).encode()], [f.fileno()])
for field in s.recv(8192).decode().split("\t"):
    print(field)
PY
}

expect_refused() {
	what=$1
	shift
	raw "$@" > "$T/raw.out" || fail "$what: no reply"
	head -n 1 "$T/raw.out" | grep -qx error || fail "$what accepted: $(cat "$T/raw.out")"
	grep -q "$what" "$T/raw.out" || fail "$what: $(cat "$T/raw.out")"
}

# 1. Refused at the door, with the field named.
expect_refused "hold-until '9223372036854775807' is not a time" \
	submit mk3 t "" "" 1 9223372036854775807
expect_refused "hold-until '253402300800' is not a time" \
	submit mk3 t "" "" 1 253402300800
expect_refused "hold-until '-1' is not a time" submit mk3 t "" "" 1 -1
expect_refused "priority '9223372036854775808'" submit mk3 t 9223372036854775808
expect_refused "copies '-9223372036854775809'" submit mk3 t 50 -9223372036854775809
expect_refused "copies '101'" submit mk3 t 50 101
raw submit mk3 latest "" "" 1 253402300799 > "$T/raw.out"
head -n 1 "$T/raw.out" | grep -qx ok || fail "the last time allowed: $(cat "$T/raw.out")"
latest=$(sed -n 2p "$T/raw.out")
id=$(submit "$CUBE" -q)
expect_refused "hold: '9223372036854775807' is not a time" hold "$id" 9223372036854775807
"$GPRINT" --hold-until '99999-01-01 00:00' "$CUBE" 2> "$T/err" && fail "gprint took the year 99999"
grep -q "hold-until" "$T/err" || fail "gprint --hold-until said: $(cat "$T/err")"

# 2. What an older spoold let in: the largest hold-until there is, in
# the queue itself.
gs_stop_spoold
"$PY" - "$T/spool/queue.db" "$id" <<'PY' || fail "cannot edit the queue"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE job SET state = 'held', hold_until = 9223372036854775807"
           " WHERE id = ?", (int(sys.argv[2]),))
db.commit()
PY
for round in 1 2; do
	gs_spoold
	# An answer comes from the loop, past the sum made of the time.
	"$GQUEUE" -l > "$T/q.out" || fail "spoold did not answer (round $round)"
	grep -q "^held .* $id " "$T/q.out" || fail "job $id not listed: $(cat "$T/q.out")"
	grep -q "held until 9223372036854775807" "$T/q.out" ||
		fail "gqueue -l: $(cat "$T/q.out")"
	grep -q "^held .* $latest " "$T/q.out" || fail "job $latest not listed: $(cat "$T/q.out")"
	kill -0 "$SPOOLD_PID" || fail "spoold died (round $round)"
	gs_stop_spoold
done
grep -q "runtime error" "$T/spoold.log" && fail "spoold: $(grep 'runtime error' "$T/spoold.log")"
# It can still be released by hand.
gs_spoold
"$GPC" release "$id" || fail "gpc release of the job held for ever"
"$GQUEUE" > "$T/q.out"
grep -q "^1st .* $id " "$T/q.out" || fail "job $id not released: $(cat "$T/q.out")"
echo "PASS"
