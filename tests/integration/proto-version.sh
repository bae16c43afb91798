#!/bin/sh
# A new spoold and a backend an older gspool left printing.  A stand-in
# for the backend listens where a backend does (run/mk3.sock) and greets
# spoold as backends did before protocol versions were counted, a hello
# without one: spoold re-attaches (version 1 is understood), says so,
# and follows it: gpc status shows what it reports, a job is printed
# through it and completes.  Then a stand-in that claims a protocol
# newer than spoold's, printing a job: spoold says exactly why it cannot
# follow it, in its log and as the job's reason (recorded stopped: no
# one follows it now), and talks to it no further.  A message spoold
# does not know, or one short of an argument, is logged with the
# reason and ignored: the backend is followed as before.  Last, a
# client newer than spoold is refused at its hello, naming both
# versions, and one of version 3 reads its rows as before.
. "$top_srcdir/tests/integration/lib.sh"
PY=/usr/bin/python3
"$PY" -c 'import socket; socket.recv_fds' 2>/dev/null ||
	{ echo "SKIP: no python3 with recv_fds"; exit 77; }
gs_config "clears_bed = yes" "filters = events"
# A filter that keeps the events it hears: with a backend of a protocol
# before 4, spoold gives the backend none of its pipes, and writes it
# every event itself.
mkdir "$T/filters"
printf '#!/bin/sh\ncat > "$GSPOOL_JOB_DIR/events"\n' > "$T/filters/events"
chmod +x "$T/filters/events"
sed -i "/^\[spool\]/a filter_dir = $T/filters" "$GSPOOL_CONF"

# standin VERSION JOB ENDS: a backend's socket for mk3; its hello names
# JOB (0 none) and VERSION ("" for none); each message spoold sends is
# logged (its first two fields) in $T/standin.log; the first ENDS print
# requests are answered as completed, the rest left printing.
cat > "$T/standin.py" <<'PY'
import os, socket, sys
path, log, version, job, ends = sys.argv[1], sys.argv[2], sys.argv[3], \
    sys.argv[4], int(sys.argv[5])
out = open(log, "w", buffering=1)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
if os.path.exists(path):
    os.unlink(path)
srv.bind(path + ".new")
os.chmod(path + ".new", 0o600)
srv.listen(1)
os.rename(path + ".new", path)
c, _ = srv.accept()
hello = ["hello", str(os.getpid()), job, "120", "0", "3000", "printing"]
if version:
    hello.append(version)
c.send("\t".join(hello).encode())
try:
    c.send(b"frobnicate\tx")
    c.send(b"progress\t1")
    c.send(b"status\tready\tMarlin stand-in")
except BrokenPipeError:
    pass			# spoold would not follow it
while True:
    try:
        data, fds, _, _ = socket.recv_fds(c, 8192, 1)
    except ConnectionResetError:
        break
    for fd in fds:
        os.close(fd)
    if not data:
        break
    f = data.decode().split("\t")
    out.write(" ".join(f[:2]) + "\n")
    if f[0] == "print" and ends > 0:
        ends -= 1
        c.send(("end\t%s\tcompleted\t" % f[1]).encode())
out.write("closed\n")
PY
standin() {
	rm -f "$T/standin.log" "$T/spool/run/mk3.sock"
	"$PY" "$T/standin.py" "$T/spool/run/mk3.sock" "$T/standin.log" "$@" &
	STANDIN_PID=$!
	"$WAITFOR" exists "$T/spool/run/mk3.sock" || fail "the stand-in did not start"
}
mkdir -p "$T/spool/run"
chmod 700 "$T/spool/run"

# 1. The previous protocol: a hello without a version.
standin "" 0 1
gs_spoold
"$WAITFOR" contains "$T/spoold.log" "mk3: re-attached to backend $STANDIN_PID" ||
	fail "spoold did not re-attach to the stand-in"
grep -q "mk3: its backend $STANDIN_PID speaks protocol version 1 (a hello without one), which this spoold understands" \
    "$T/spoold.log" || fail "the version is not logged"
grep -q "cannot re-attach" "$T/spoold.log" && fail "spoold refused the stand-in"
"$WAITFOR" contains "$T/spoold.log" "mk3: the printer is ready" || fail "mk3 is not ready"
grep -q "mk3: unknown message from a backend 'frobnicate'; ignored" "$T/spoold.log" ||
	fail "an unknown message is not logged"
grep -q "mk3: progress: LINES is missing (progress ID LINES LAYER BYTES \[Z\]); ignored" "$T/spoold.log" ||
	fail "a short message is not logged"
out=$("$GPC" status mk3) || fail "gpc status: exit $?"
[ "$out" = "mk3: ready (Marlin stand-in)" ] || fail "gpc status: $out"
id=$(submit "$CUBE")
"$GQUEUE" -w "$id" > "$T/w.out" || fail "job $id: $(cat "$T/w.out")"
grep -q "^script " "$T/standin.log" || fail "spoold sent no scripts: $(cat "$T/standin.log")"
grep -qx "print $id" "$T/standin.log" || fail "job $id not sent: $(cat "$T/standin.log")"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter events exited: 0" ||
	fail "the filter of job $id did not end"
grep -q "^filter " "$T/standin.log" &&
	fail "spoold gave a filter's pipe to a backend of protocol 1: $(cat "$T/standin.log")"
[ "$(cat "$T/spool/jobs/$id.d/events")" = "$(printf 'start\nend completed')" ] ||
	fail "the filter heard: $(cat "$T/spool/jobs/$id.d/events")"
# A second job is left printing on it when spoold stops.
id2=$(submit "$CUBE")
"$WAITFOR" contains "$T/standin.log" "print $id2" || fail "job $id2 not sent"
gs_stop_spoold
wait "$STANDIN_PID" || fail "the stand-in failed"
grep -qx closed "$T/standin.log" || fail "the stand-in: $(cat "$T/standin.log")"

# 2. A protocol newer than spoold's, the job still printing there.
standin 99 "$id2" 0
rm -f "$T/spool/control"
gs_spoold
why="the backend speaks protocol version 99, newer than this one's (1 to 8)"
"$WAITFOR" contains "$T/spoold.log" "mk3: cannot re-attach to the backend left running: $why; starting a new one" ||
	fail "spoold did not say why it cannot re-attach"
wait "$STANDIN_PID" || fail "the stand-in failed"
[ "$(cat "$T/standin.log")" = closed ] ||
	fail "spoold talked to a backend it cannot follow: $(cat "$T/standin.log")"
grep -q "re-attached to backend $STANDIN_PID" "$T/spoold.log" &&
	fail "spoold re-attached to a backend it cannot follow"
"$GQUEUE" --json "$id2" > "$T/q.json" || fail "gqueue $id2"
grep -q '"state": "stopped"' "$T/q.json" || fail "job $id2: $(cat "$T/q.json")"
grep -qF "\"reason\": \"not followed since spoold restarted: $why\"" "$T/q.json" ||
	fail "job $id2's reason: $(cat "$T/q.json")"

# 3. Clients.  One newer than spoold is refused at its hello with both
# versions named; one of version 3 is answered, its job rows with the
# fields it knows first (the name, version 4's, comes after them).
"$PY" - "$T/spool/control" "$id2" > "$T/client.out" <<'PY' || fail "clients: $(cat "$T/client.out")"
import socket, sys
def hello(v):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    s.send(("hello\t%d" % v).encode())
    return s, s.recv(65536).decode().split("\t")
s, r = hello(9)
assert r == ["error", "the client speaks protocol version 9, newer than this one's (1 to 8)"], r
s, r = hello(3)
assert r[0] == "ok", r
s.send(b"queue")
while True:
    f = s.recv(65536).decode().split("\t")
    if f[0] == "end":
        break
    if f[0] == "job" and f[3] == sys.argv[2]:
        assert f[4] == "mk3" and f[21] in ("0", "1") and f[22] == "mk3-" + sys.argv[2], f
        print("job row read")
PY
grep -qx "job row read" "$T/client.out" || fail "no job row for version 3: $(cat "$T/client.out")"
echo "PASS"
