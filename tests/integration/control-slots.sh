#!/bin/sh
# No local user can lock the others out of the control socket: 64, then
# 500, idle connections of one unprivileged user leave another user's
# gqueue, and root's emergency stop, answered; the user's connections
# past its share are refused with the reason.
. "$top_srcdir/tests/integration/lib.sh"
[ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null && [ -x /usr/bin/python3 ] &&
    id nobody > /dev/null 2>&1 && id bin > /dev/null 2>&1 ||
	{ echo "SKIP: needs root, setpriv, /usr/bin/python3, and the users nobody and bin"; exit 77; }
gs_config
gs_vprinter --command-ms 2
gs_spoold
chmod 755 "$T"
"$WAITFOR" contains "$T/spoold.log" "the printer is ready" || fail "mk3 is not ready"

# N idle connections of nobody's: once told "check" (by then spoold has
# taken them all in), it says how many spoold kept and how many it
# turned away, and holds the rest until its standard input ends.
cat > "$T/hold.py" <<'PY'
import socket, sys
n, path = int(sys.argv[1]), sys.argv[2]
socks = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    socks.append(s)
print("connected", flush=True)
sys.stdin.readline()
kept, refused = [], 0
for s in socks:
    s.setblocking(False)
    try:
        data = s.recv(8192)
    except BlockingIOError:
        kept.append(s)
        continue
    if b"too many connections" in data:
        refused += 1
print("kept %d refused %d" % (len(kept), refused), flush=True)
sys.stdin.read()
PY
n_ready=1
for n in 64 500; do
	rm -f "$T/hold.in"
	mkfifo "$T/hold.in"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    /usr/bin/python3 "$T/hold.py" "$n" "$T/spool/control" < "$T/hold.in" > "$T/hold.out" 2>&1 &
	hold=$!
	exec 9> "$T/hold.in"
	"$WAITFOR" contains "$T/hold.out" connected || fail "nobody's connections: $(cat "$T/hold.out")"
	# Root's request is answered after spoold has met every one of them.
	"$GQUEUE" > /dev/null || fail "root's gqueue with $n connections held"
	echo check >&9
	"$WAITFOR" contains "$T/hold.out" kept || fail "nobody's connections: $(cat "$T/hold.out")"
	grep -q "^kept 16 refused $((n - 16))$" "$T/hold.out" ||
		fail "$n connections: $(cat "$T/hold.out")"
	grep -q "control: refusing uid $(id -u nobody): it has too many connections open" "$T/spoold.log" ||
		fail "the refusals were not logged"
	# Another user is answered; so is root's emergency stop.
	setpriv --reuid=bin --regid=bin --clear-groups "$GQUEUE" > "$T/q.out" 2>&1 ||
		fail "bin's gqueue with $n connections held: $(cat "$T/q.out")"
	: > "$T/vprinter.log"
	id=$(submit "$CUBE")
	"$WAITFOR" lines "$T/vprinter.log" 100 || fail "the print did not start"
	"$GPC" abort mk3 > "$T/abort.out" 2>&1 || fail "gpc abort with $n connections held: $(cat "$T/abort.out")"
	out=$("$GQUEUE" -w "$id") && fail "the job went on after gpc abort"
	[ "$out" = "$id: aborted: emergency stop (M112) by request" ] || fail "gqueue -w: $out"
	n_ready=$((n_ready + 1))
	"$WAITFOR" count "$T/spoold.log" "mk3: the printer is ready" "$n_ready" ||
		fail "mk3 did not come back"
	exec 9>&-
	wait "$hold" || true
done
echo "PASS"
