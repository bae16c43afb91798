#!/bin/sh
# gwebd's API with curl and Python's http.client: the exact requests a
# slicer sends (PrusaSlicer's and Cura's OctoPrint version check, then
# a multipart upload with print=true), the page's queue, events, login
# and writes, each account seeing and changing only what spoold lets
# it; an admin account does what gpc can.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/weblib.sh"
gs_config "[web]" "listen = 127.0.0.1:0" "user = $(gs_web_user)" \
    "[account ann]" "api_keys = $T/ann.apikeys" \
    "[account bob]" "api_keys = $T/bob.apikeys" \
    "[account root-op]" "api_keys = $T/op.apikeys" "admin = yes" \
    "[account cam]" "password = $(/usr/bin/python3 -c 'import crypt; print(crypt.crypt("s3cret pass", crypt.mksalt(crypt.METHOD_SHA512)))' 2>/dev/null)"
sed -i 's/^clears_bed = yes/clears_bed = no\nmax_hotend = 285/' "$GSPOOL_CONF"
ANN=$(gs_web_key ann)
BOB=$(gs_web_key bob)
OP=$(gs_web_key op)
gs_vprinter
gs_spoold
gs_gwebd
PY=/usr/bin/python3

# 1. The version check, as PrusaSlicer sends it: X-Api-Key, a JSON
#    body whose text starts with "OctoPrint".
expect_status 200 GET /api/version -H "X-Api-Key: $ANN"
grep -q '"text":"OctoPrint (gspool ' "$T/body" || fail "version: $(cat "$T/body")"
grep -q '"api":"' "$T/body" || fail "version has no api: $(cat "$T/body")"
# No key, a wrong key: 401.
expect_status 401 GET /api/version
expect_status 401 GET /api/version -H "X-Api-Key: wrong-key-0123456789"
expect_status 401 GET /api/gspool/queue

# 2. The page: a one-line page at /, served to anyone; no such page 404.
expect_status 200 GET /
expect_status 404 GET /no-such-page

# 3. An upload as PrusaSlicer's "Upload and Print" sends it, with
#    Python's http.client: multipart file, path, print=true.
$PY - "$WPORT" "$ANN" "$CUBE" > "$T/py.out" <<'PYEOF' || fail "http.client upload: $(cat "$T/py.out")"
import http.client, json, sys
port, key, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
c.request("GET", "/api/version", headers={"X-Api-Key": key})
r = c.getresponse(); v = json.loads(r.read())
assert r.status == 200 and v["text"].startswith("OctoPrint"), v
b = "------------------------gspoolboundary"
data = open(path, "rb").read()
body = b"".join([
    ("--%s\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n\r\n" % b).encode(),
    ("--%s\r\nContent-Disposition: form-data; name=\"print\"\r\n\r\ntrue\r\n" % b).encode(),
    ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cube.gcode\"\r\nContent-Type: application/octet-stream\r\n\r\n" % b).encode(),
    data, ("\r\n--%s--\r\n" % b).encode()])
c.request("POST", "/api/files/local", body=body, headers={"X-Api-Key": key,
    "Content-Type": "multipart/form-data; boundary=" + b})
r = c.getresponse(); o = json.loads(r.read())
assert r.status == 201, (r.status, o)
assert o["done"] is True and o["files"]["local"]["name"] == "cube.gcode", o
assert o["effectivePrint"] is True, o
print(o["job"])
PYEOF
JOB=$(cat "$T/py.out")
[ "$JOB" = 1 ] || fail "the upload is job '$JOB', not 1"
"$GQUEUE" -w 1 > /dev/null || fail "job 1 did not complete"
"$GQUEUE" --history --json 1 > "$T/h.json"
grep -q '"owner": "ann"' "$T/h.json" || fail "job 1 is not ann's: $(cat "$T/h.json")"

# 4. The queue as the account sees it: the object gqueue --json prints.
expect_status 200 GET /api/gspool/queue -H "X-Api-Key: $ANN"
jq -e '.printers[0].name == "mk3" and (.jobs | type == "array")' "$T/body" > /dev/null ||
    fail "queue: $(cat "$T/body")"
expect_status 200 GET /api/gspool/whoami -H "X-Api-Key: $ANN"
jq -e '.account == "ann" and .admin == false' "$T/body" > /dev/null || fail "whoami: $(cat "$T/body")"
expect_status 200 GET /api/gspool/history -H "X-Api-Key: $ANN"
jq -e '[.jobs[] | select(.id == 1)] | length == 1' "$T/body" > /dev/null ||
    fail "history: $(cat "$T/body")"
expect_status 200 GET /api/gspool/jobs/1 -H "X-Api-Key: $ANN"
jq -e '.id == 1' "$T/body" > /dev/null || fail "job 1: $(cat "$T/body")"
# Its analysis as the analyser gave it, its reasons (none: it printed).
jq -e '(.analysis.layers > 0) and (.analysis | has("filament_mm")) and
    (.analysis | has("bbox")) and (.reasons | type == "array")' "$T/body" \
    > /dev/null || fail "job 1's analysis: $(cat "$T/body")"
expect_status 404 GET /api/gspool/jobs/99 -H "X-Api-Key: $ANN"

# 5. The page's upload: a held job, then one the check refuses, with
#    its reason as gprint shows it (422).
expect_status 201 POST /api/gspool/upload -H "X-Api-Key: $ANN" \
    -F "file=@$CUBE;filename=held.gcode" -F hold=1
jq -e '.ok == true and .job == 2 and .name == "mk3-2"' "$T/body" > /dev/null ||
    fail "upload: $(cat "$T/body")"
# A held job says why.
expect_status 200 GET /api/gspool/jobs/2 -H "X-Api-Key: $ANN"
jq -e '(.reasons | length == 1) and (.reasons[0] | test("held"))' \
    "$T/body" > /dev/null || fail "job 2's reasons: $(cat "$T/body")"
printf 'G28\nM104 S305\nG1 X10 Y10\n' > "$T/hot.gcode"
expect_status 422 POST /api/gspool/upload -H "X-Api-Key: $ANN" -F "file=@$T/hot.gcode"
grep -q 'line 2: M104 S305 sets 305 C, above the printer.s max_hotend 285' "$T/body" || fail "refusal: $(cat "$T/body")"
# Not multipart: 415; no file part: 400.
expect_status 415 POST /api/gspool/upload -H "X-Api-Key: $ANN" -d x=1
expect_status 400 POST /api/files/local -H "X-Api-Key: $ANN" -F print=true

# 6. Writes: bob may not touch ann's job; ann may; the admin may.
expect_status 403 POST /api/gspool/jobs/2/cancel -H "X-Api-Key: $BOB"
grep -q '"error"' "$T/body" || fail "no error for bob's cancel"
expect_status 200 POST /api/gspool/jobs/2/release -H "X-Api-Key: $ANN"
expect_status 200 GET /api/gspool/whoami -H "X-Api-Key: $OP"
jq -e '.admin == true' "$T/body" > /dev/null || fail "the admin is not: $(cat "$T/body")"
# The bed holds ann's job 1: bob may not say it is clear, the admin may.
expect_status 403 POST /api/gspool/printers/mk3/ready -H "X-Api-Key: $BOB"
expect_status 200 POST /api/gspool/printers/mk3/ready -H "X-Api-Key: $OP"
"$GQUEUE" -w 2 > /dev/null || fail "job 2 did not complete"
expect_status 404 POST /api/gspool/printers/nosuch/pause -H "X-Api-Key: $OP"

# 7. OctoPrint's status: /api/job and /api/printer.
expect_status 200 GET /api/job -H "X-Api-Key: $ANN"
jq -e '.state | type == "string"' "$T/body" > /dev/null || fail "job: $(cat "$T/body")"
expect_status 200 GET /api/printer -H "X-Api-Key: $ANN"
jq -e '.state.flags.operational == true' "$T/body" > /dev/null || fail "printer: $(cat "$T/body")"
# The heaters as OctoPrint names them, from the status model (their
# figures change as the printer cools: only their shape is asserted).
jq -e '[.temperature.tool0, .temperature.bed] | all(.actual > 0 and (.target | type == "number"))' \
    "$T/body" > /dev/null ||
    fail "printer temperatures: $(cat "$T/body")"

# 8. The login form: a cookie (HttpOnly, SameSite=Strict; no Secure on
#    a loopback http listener), writes with it only from the page's own
#    origin; logout ends it.
code=$(curl -s -o /dev/null -D "$T/hdr" -w '%{http_code}' -X POST \
    --data-urlencode account=ann --data-urlencode "key=$ANN" "$URL/api/gspool/login")
[ "$code" = 204 ] || fail "login: $code"
grep -i '^set-cookie: gspool_session=[0-9a-f]*; HttpOnly; SameSite=Strict; Path=/' "$T/hdr" > /dev/null ||
    fail "login cookie: $(grep -i set-cookie "$T/hdr")"
COOKIE=$(sed -n 's/^[Ss]et-[Cc]ookie: \(gspool_session=[0-9a-f]*\);.*/\1/p' "$T/hdr")
expect_status 200 GET /api/gspool/whoami -b "$COOKIE"
jq -e '.account == "ann"' "$T/body" > /dev/null || fail "cookie whoami: $(cat "$T/body")"
expect_status 403 POST /api/gspool/jobs/1/hold -b "$COOKIE" -H "Origin: http://evil.example"
expect_status 403 POST /api/gspool/jobs/1/hold -b "$COOKIE"
expect_status 409 POST /api/gspool/jobs/1/hold -b "$COOKIE" -H "Origin: http://127.0.0.1:$WPORT"
expect_status 204 POST /api/gspool/logout -b "$COOKIE" -H "Origin: http://127.0.0.1:$WPORT"
expect_status 401 GET /api/gspool/whoami -b "$COOKIE"
expect_status 401 POST /api/gspool/login -d account=ann -d key=wrong-key-0123456789
# A password (a crypt(3) hash in gspool.conf): right, and wrong.
code=$(curl -s -o /dev/null -D "$T/hdr" -w '%{http_code}' -X POST \
    --data-urlencode account=cam --data-urlencode "password=s3cret pass" "$URL/api/gspool/login")
[ "$code" = 204 ] || fail "password login: $code"
COOKIE=$(sed -n 's/^[Ss]et-[Cc]ookie: \(gspool_session=[0-9a-f]*\);.*/\1/p' "$T/hdr")
expect_status 200 GET /api/gspool/whoami -b "$COOKIE"
jq -e '.account == "cam"' "$T/body" > /dev/null || fail "password whoami: $(cat "$T/body")"
expect_status 401 POST /api/gspool/login --data-urlencode account=cam --data-urlencode "password=s3cret"

# 9. The event stream: the queue at once, as one line of JSON.
curl -s -N --max-time 3 -H "X-Api-Key: $ANN" "$URL/api/gspool/events" > "$T/ev" || true
head -n 1 "$T/ev" | grep -q '^event: queue$' || fail "events: $(head -c 300 "$T/ev")"
sed -n 2p "$T/ev" | sed 's/^data: //' | jq -e '.printers[0].name == "mk3"' > /dev/null ||
    fail "events data: $(sed -n 2p "$T/ev" | head -c 300)"

expect_log "$CUBE" "$CUBE"
kill -0 "$GWEBD_PID" || fail "gwebd died"
kill "$GWEBD_PID"; wait "$GWEBD_PID" || fail "gwebd did not stop cleanly"

# 10. Anonymous reading, opted in: the queue as bob sees it, without a
#     key; never a write.
sed -i 's/^\[web\]$/[web]\nanonymous = bob/' "$GSPOOL_CONF"
gs_gwebd
expect_status 200 GET /api/gspool/queue
jq -e '.printers[0].name == "mk3"' "$T/body" > /dev/null || fail "anonymous queue: $(cat "$T/body")"
expect_status 200 GET /api/gspool/whoami
jq -e '.anonymous == true and .admin == false' "$T/body" > /dev/null || fail "anonymous whoami: $(cat "$T/body")"
expect_status 401 POST /api/gspool/printers/mk3/pause
expect_status 401 POST /api/gspool/upload -F "file=@$CUBE"
# A wrong key is still refused, not taken as anonymous.
expect_status 401 GET /api/gspool/queue -H "X-Api-Key: wrong-key-0123456789"
# A refused upload is answered after its body, not in the middle of
# it: twenty of 48 KiB in a row each read their 401 and its reason, none
# a reset connection.
$PY - "$WPORT" > "$T/py.out" 2>&1 <<'PYEOF' || fail "refused uploads: $(cat "$T/py.out")"
import http.client, json, sys
port = int(sys.argv[1])
b = "gspoolrefused"
body = (("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.gcode\"\r\n\r\n" % b).encode()
    + b"G1 X1\n" * 8192 + ("\r\n--%s--\r\n" % b).encode())
for i in range(20):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/api/files/local", body=body,
        headers={"Content-Type": "multipart/form-data; boundary=" + b})
    r = c.getresponse(); o = json.loads(r.read())
    assert r.status == 401 and "key" in o["error"], (i, r.status, o)
    c.close()
print("ok")
PYEOF
kill "$GWEBD_PID"; wait "$GWEBD_PID" || fail "gwebd did not stop cleanly"

# 11. Several listen addresses, one daemon each: anonymous readers are
#     ann on the first, nobody on the second, [web] anonymous (bob) on
#     the third; -p writes their ports one a line, in that order.
if /usr/bin/python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	SECOND='[::1]:0' SECOND_HOST='[::1]'
else
	SECOND='127.0.0.2:0' SECOND_HOST=127.0.0.2
fi
# (the third on a line of its own: listen goes on on indented lines)
set_listen() {
	sed -i "/^\t/d; s/^listen = .*/listen = $1/" "$GSPOOL_CONF"
}
set_listen "127.0.0.1:0 anonymous=ann, $SECOND anonymous=none ,\n\t127.0.0.1:0"
gs_gwebd
[ "$(wc -l < "$T/webport")" = 3 ] || fail "ports written: $(cat "$T/webport")"
P2=$(sed -n 2p "$T/webport") P3=$(sed -n 3p "$T/webport")
[ "$P2" != "$WPORT" ] && [ "$P3" != "$WPORT" ] || fail "ports: $(cat "$T/webport")"
expect_status 200 GET /api/gspool/whoami
jq -e '.anonymous == true and .account == "ann"' "$T/body" > /dev/null || fail "first address: $(cat "$T/body")"
URL1=$URL URL="http://$SECOND_HOST:$P2"
expect_status 401 GET /api/gspool/queue
expect_status 200 GET /api/gspool/whoami -H "X-Api-Key: $BOB"
jq -e '.anonymous == false and .account == "bob"' "$T/body" > /dev/null || fail "second address: $(cat "$T/body")"
URL="http://127.0.0.1:$P3"
expect_status 200 GET /api/gspool/whoami
jq -e '.anonymous == true and .account == "bob"' "$T/body" > /dev/null || fail "third address: $(cat "$T/body")"
URL=$URL1
kill "$GWEBD_PID"; wait "$GWEBD_PID" || fail "gwebd did not stop cleanly"
# Bad entries: each refused by gwebd -n, with the file, the line of
# listen and what is wrong.
LL=$(grep -n '^listen = ' "$GSPOOL_CONF" | cut -d: -f1)
bad_listen() {
	want=$2
	set_listen "$1"
	if "$BIN/gwebd/gwebd" -n -c "$GSPOOL_CONF" > "$T/n.out" 2>&1; then
		fail "listen = $1 was taken: $(cat "$T/n.out")"
	fi
	grep -qF "$GSPOOL_CONF:$LL: [web] listen: $want" "$T/n.out" ||
	    fail "listen = $1: $(cat "$T/n.out")"
}
bad_listen '127.0.0.1:0,,127.0.0.1:0' 'an empty address'
bad_listen '127.0.0.1:0,' 'an empty address'
bad_listen '127.0.0.1:99999' "'127.0.0.1:99999': expected PORT, ADDRESS:PORT"
bad_listen 'localhost' "'localhost': expected PORT"
bad_listen '[::1]8631' "'[::1]8631': expected [ADDRESS]:PORT"
bad_listen '127.0.0.1:0 anonymous=eve' '127.0.0.1:0: anonymous=eve: no [account eve]'
bad_listen '127.0.0.1:0 colour=red' "127.0.0.1:0: 'colour=red': the only option"
bad_listen '127.0.0.1:0 anonymous=ann anonymous=none' '127.0.0.1:0: anonymous is given twice'
bad_listen "$(printf '127.0.0.1:0,\\n\\t%.0s' $(seq 16))127.0.0.1:0" 'more than 16 addresses'
# Only [web] listen goes on on indented lines.
sed -i "/^\t/d; s/^\[sftp\]$/[sftp]\nlisten = 2222\n\t2223/" "$GSPOOL_CONF"
"$BIN/gwebd/gwebd" -n -c "$GSPOOL_CONF" > "$T/n.out" 2>&1 && fail "[sftp] listen took two lines"
grep -q 'only \[web\] listen and G-code keys take more lines' "$T/n.out" || fail "[sftp] listen: $(cat "$T/n.out")"
sed -i '/^\t2223$/d; /^listen = 2222$/d' "$GSPOOL_CONF"
# An address that does not resolve: named with the line by gwebd.
set_listen "127.0.0.1:0, no-such-host.invalid:8631"
if "$BIN/gwebd/gwebd" -f -c "$GSPOOL_CONF" > "$T/n.out" 2>&1; then
	fail "an unresolvable address was taken"
fi
grep -qF "$GSPOOL_CONF:$LL: [web] listen: no-such-host.invalid:8631: " "$T/n.out" ||
    fail "unresolvable: $(cat "$T/n.out")"
echo "ok: web-api"
