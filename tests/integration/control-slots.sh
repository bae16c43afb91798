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

# N idle connections of nobody's: it says how many spoold kept and how
# many it turned away, and holds the rest until its standard input ends.
cat > "$T/hold.py" <<'PY'
import select, socket, sys, time
n, path, share = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
socks = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    socks.append(s)
# spoold answers each connection past the share and closes it: wait for
# those answers (a minute at most, should it keep more than the share).
kept, refused, other = list(socks), 0, 0
end = time.monotonic() + 60
while len(kept) > share and time.monotonic() < end:
    ready, _, _ = select.select(kept, [], [], 1)
    for s in ready:
        kept.remove(s)
        if b"too many connections" in s.recv(8192):
            refused += 1
        else:
            other += 1
print("kept %d refused %d other %d" % (len(kept), refused, other), flush=True)
sys.stdin.read()
PY
n_ready=1
for n in 64 500; do
	# Each round has its own files: nothing of the last one is read.
	rm -f "$T/hold-$n.in"
	mkfifo "$T/hold-$n.in"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    /usr/bin/python3 "$T/hold.py" "$n" "$T/spool/control" 16 < "$T/hold-$n.in" > "$T/hold-$n.out" 2>&1 &
	hold=$!
	exec 9> "$T/hold-$n.in"
	"$WAITFOR" contains "$T/hold-$n.out" kept || fail "nobody's connections: $(cat "$T/hold-$n.out")"
	grep -q "^kept 16 refused $((n - 16)) other 0$" "$T/hold-$n.out" ||
		fail "$n connections: $(cat "$T/hold-$n.out")"
	grep -q "control: refusing uid $(id -u nobody): it has too many connections open" "$T/spoold.log" ||
		fail "the refusals were not logged"
	# Another user is answered; so is root's emergency stop.
	setpriv --reuid=bin --regid=bin --clear-groups "$GQUEUE" > "$T/q-$n.out" 2>&1 ||
		fail "bin's gqueue with $n connections held: $(cat "$T/q-$n.out")"
	: > "$T/vprinter.log"
	id=$(submit "$CUBE")
	"$WAITFOR" lines "$T/vprinter.log" 100 || fail "the print did not start"
	"$GPC" abort mk3 > "$T/abort-$n.out" 2>&1 || fail "gpc abort with $n connections held: $(cat "$T/abort-$n.out")"
	out=$("$GQUEUE" -w "$id") && fail "the job went on after gpc abort"
	[ "$out" = "mk3-$id: aborted: emergency stop (M112) by request" ] || fail "gqueue -w: $out"
	n_ready=$((n_ready + 1))
	"$WAITFOR" count "$T/spoold.log" "mk3: the printer is ready" "$n_ready" ||
		fail "mk3 did not come back"
	exec 9>&-
	wait "$hold" || true
done
echo "PASS"
