#!/bin/sh
# Cura's OctoPrint Connection against gwebd: its requests replayed as
# it sends them (its User-Agent, X-Api-Key, a JSON Content-Type even on
# a GET), each field it reads asserted with the type it reads it as.
# The Application Keys probe is answered 404, so Cura asks for a typed
# key; /api/printerprofiles tells the build volume, the heated bed and
# the tools of gspool.conf's printer; the upload answers a Location
# whose path holds "api/", and a held upload is selected there, then
# selected to print (released).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/weblib.sh"
gs_config "[web]" "listen = 127.0.0.1:0" "user = $(gs_web_user)" \
    "[account ann]" "api_keys = $T/ann.apikeys" \
    "[account root-op]" "api_keys = $T/op.apikeys" "admin = yes"
sed -i 's/^clears_bed = yes/clears_bed = no\nbuild_volume = 250 210 220\nmax_bed = 110\ndescription = Original Prusa MK3S\ncamera = http:\/\/127.0.0.1:9\/cam/' \
    "$GSPOOL_CONF"
ANN=$(gs_web_key ann)
OP=$(gs_web_key op)
gs_vprinter
gs_spoold
gs_gwebd
# The poll below counts the tools Cura counts: wait (on the pushed
# queue) until the printer has reported its heaters.
curl -s -N -H "X-Api-Key: $ANN" "$URL/api/gspool/events" > "$T/ev" &
EV=$!
"$WAITFOR" contains "$T/ev" '"heaters":[{' || fail "no heaters reported: $(head -c 600 "$T/ev")"
kill "$EV"; wait "$EV" 2>/dev/null || true

/usr/bin/python3 - "$WPORT" "$ANN" "$OP" "$CUBE" > "$T/py.out" 2>&1 <<'PYEOF' || fail "Cura's requests: $(cat "$T/py.out")"
import http.client, json, sys
port, key, opkey, cube = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
UA = "Cura/5.8.1 OctoPrintPlugin/3.7.3"

def ask(method, path, body=None, key=key, ctype="application/json"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    h = {"User-Agent": UA}
    if key is not None:
        h["X-Api-Key"] = key
    if ctype is not None:
        h["Content-Type"] = ctype
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    loc = r.getheader("Location")
    c.close()
    try:
        j = json.loads(data) if data else None
    except ValueError:
        j = None
    return r.status, j, loc

def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)

# DiscoverOctoPrintAction: the Application Keys probe carries no key;
# anything but 204 makes Cura ask for a typed key.  Its request (POST,
# {"app": "Cura"}) is 404 too: "does not support AppKeys".
s, j, _ = ask("GET", "/plugin/appkeys/probe", key=None, ctype=None)
assert s == 404 and "no API keys" in j["error"], (s, j)
s, j, _ = ask("POST", "/plugin/appkeys/request", json.dumps({"app": "Cura"}), key=None)
assert s == 404, (s, j)

# The typed key is tested with /api/settings: 200 accepts it, 401 not.
s, j, _ = ask("GET", "/api/settings", key="wrong-key-0123456789")
assert s == 401, (s, j)
s, j, _ = ask("GET", "/api/settings")
assert s == 200, (s, j)
assert isinstance(j["feature"]["sdSupport"], bool) and j["feature"]["sdSupport"] is False, j
w = j["webcam"]
assert w["streamUrl"] == "/api/gspool/printers/mk3/stream", w
assert isinstance(w["rotate90"], bool) and isinstance(w["flipH"], bool) and isinstance(w["flipV"], bool), w
assert isinstance(j["plugins"], dict), j

# getAdditionalData: version (server), a passive login (name), the
# printer profiles (the current one's name and model).
s, j, _ = ask("GET", "/api/version")
assert s == 200 and isinstance(j["server"], str) and j["text"].startswith("OctoPrint"), j
s, j, _ = ask("POST", "/api/login", json.dumps({"passive": True}))
assert s == 200 and j["name"] == "ann", (s, j)
s, j, _ = ask("GET", "/api/printerprofiles")
assert s == 200 and isinstance(j["profiles"], dict), (s, j)
cur = [p for p in j["profiles"].values() if p.get("current", False)]
assert len(cur) == 1, j
p = cur[0]
assert p["name"] == "mk3" and p["model"] == "Original Prusa MK3S", p
v = p["volume"]
assert (v["width"], v["depth"], v["height"]) == (250, 210, 220), v
assert p["heatedBed"] is True and isinstance(p["heatedChamber"], bool), p
assert isinstance(p["extruder"]["count"], int) and p["extruder"]["count"] >= 1, p

# The poll: /api/printer (temperatures tool0.., bed; state.flags) and
# /api/job (state, progress, job.file.name).
s, j, _ = ask("GET", "/api/printer")
assert s == 200, (s, j)
t = j["temperature"]
n = 0
while "tool%d" % n in t:
    assert is_num(t["tool%d" % n]["actual"]) and is_num(t["tool%d" % n]["target"]), t
    n += 1
assert n == p["extruder"]["count"], (n, p)
assert is_num(t["bed"]["actual"]) and is_num(t["bed"]["target"]), t
f = j["state"]["flags"]
for k in ("error", "closedOrError", "paused", "pausing", "printing",
          "cancelling", "ready", "operational"):
    assert isinstance(f[k], bool), (k, f)
assert f["operational"] and not f["closedOrError"], f
s, j, _ = ask("GET", "/api/job")
assert s == 200 and isinstance(j["state"], str), (s, j)
assert j["state"] in ("Operational", "Printing", "Paused", "Offline") or \
    j["state"].startswith(("Error", "Starting", "Printing", "Offline")), j
for k in ("printTime", "completion", "printTimeLeft"):
    assert k in j["progress"], j
assert "name" in j["job"]["file"], j

# "Connect" when the printer is offline: spoold connects it on its own.
s, j, _ = ask("POST", "/api/connection", json.dumps({"command": "connect"}))
assert s == 204, (s, j)
s, j, _ = ask("POST", "/api/connection", json.dumps({"command": "disconnect"}))
assert s == 409 and "connected" in j["error"], (s, j)
s, j, _ = ask("POST", "/api/connection", "{")
assert s == 400 and "JSON" in j["error"], (s, j)
s, j, _ = ask("GET", "/api/connection")
assert s == 200 and j["current"]["printerProfile"] == "mk3", (s, j)
assert isinstance(j["current"]["state"], str), j

# The upload, as postFormWithParts sends it: path, file, select, print,
# each part with its own Content-Type; 201 and a Location Cura splits
# at "api/".
b = "boundary_.oOo._MTk4NzY1NDMyMQ=="
def part(name, value, ctype, filename=None):
    d = 'form-data; name="%s"' % name
    if filename:
        d += '; filename="%s"' % filename
    return (("--%s\r\nContent-Type: %s\r\nContent-Disposition: %s\r\n\r\n"
             % (b, ctype, d)).encode() + value + b"\r\n")
body = b"".join([part("path", b"", "text/plain"),
    part("file", open(cube, "rb").read(), "application/octet-stream", "cube.gcode"),
    part("select", b"true", "text/plain"), part("print", b"true", "text/plain"),
    ("--%s--\r\n" % b).encode()])
s, j, loc = ask("POST", "/api/files/local", body, ctype="multipart/form-data; boundary=" + b)
assert s == 201, (s, j)
assert loc is not None and "api/" in loc, loc
assert loc.split("api/", 1)[1] == "gspool/jobs/%d" % j["job"], loc
assert j["effectivePrint"] is True, j
first = j["job"]

# "Start print job" unticked, "Select" ticked: the upload is held, and
# Cura selects it at the Location, as OctoPrint's file command: 204,
# still held; selected with print true, it is released to print.
body = b"".join([part("path", b"", "text/plain"),
    part("file", open(cube, "rb").read(), "application/octet-stream", "cube.gcode"),
    part("select", b"true", "text/plain"), ("--%s--\r\n" % b).encode()])
s, j, loc = ask("POST", "/api/files/local", body, ctype="multipart/form-data; boundary=" + b)
assert s == 201 and j["effectivePrint"] is False and j["effectiveSelect"] is True, (s, j)
sel = "/api/" + loc.split("api/", 1)[1]
s, j, _ = ask("POST", sel, json.dumps({"command": "select"}))
assert s == 204 and j is None, (s, j)
s, j, _ = ask("GET", sel)
assert s == 200 and j["state"] == "held", (s, j)
s, j, _ = ask("POST", sel, json.dumps({"command": "slice"}))
assert s == 400 and "select" in j["error"], (s, j)
s, j, _ = ask("POST", sel, "{")
assert s == 400 and "JSON" in j["error"], (s, j)
s, j, _ = ask("POST", sel, json.dumps({"command": "select", "print": True}))
assert s == 204, (s, j)
s, j, _ = ask("GET", sel)
assert s == 200 and j["state"] != "held", (s, j)
# Asked again (by an administrator's key too): it prints already, 204.
s, j, _ = ask("POST", sel, json.dumps({"command": "select", "print": True}), key=opkey)
assert s == 204, (s, j)
print(first)
PYEOF
JOB=$(tail -n 1 "$T/py.out")
[ "$JOB" = 1 ] || fail "Cura's upload is job '$JOB', not 1"
"$GQUEUE" -w 1 > /dev/null || fail "job 1 did not complete"
# The bed holds job 1 (clears_bed = no): cleared, job 2 prints.
"$GPC" ready mk3 || fail "gpc ready mk3"
"$GQUEUE" -w 2 > /dev/null || fail "job 2, selected to print, did not complete"
expect_log "$CUBE" "$CUBE"

# A printer without a camera: an empty streamUrl, which Cura skips.
expect_status 200 GET /api/settings -H "X-Api-Key: $OP"
jq -e '.webcam.streamUrl == "/api/gspool/printers/mk3/stream"' "$T/body" > /dev/null ||
    fail "settings: $(cat "$T/body")"
kill "$GWEBD_PID"; wait "$GWEBD_PID" || fail "gwebd did not stop cleanly"
sed -i '/^camera = /d' "$GSPOOL_CONF"
gs_gwebd
expect_status 200 GET /api/settings -H "X-Api-Key: $ANN"
jq -e '.webcam.streamUrl == "" and .webcam.webcamEnabled == false' "$T/body" > /dev/null ||
    fail "settings without a camera: $(cat "$T/body")"
expect_status 404 GET /api/gspool/printers/mk3/snapshot -H "X-Api-Key: $ANN"
grep -q 'mk3: no camera' "$T/body" || fail "mk3's snapshot: $(cat "$T/body")"

# A remote queue (sftp://), whose backend mirrors the other host's
# frame: advertised with its snapshot alone, which gwebd serves; the
# page is told the same ("camera": "snapshot").
kill "$GWEBD_PID"; wait "$GWEBD_PID" || fail "gwebd did not stop cleanly"
gs_stop_spoold
rm -f "$T/spool/control"
printf '[printer far]\ndevice = sftp://ann@127.0.0.1:9/mk3\nssh_key_file = %s\nknown_hosts_file = %s\n' \
    "$T/nokey" "$T/nohosts" >> "$GSPOOL_CONF"
sed -i '/^\[spool\]/a default_printer = far' "$GSPOOL_CONF"
gs_spoold
gs_gwebd
expect_status 200 GET /api/settings -H "X-Api-Key: $ANN"
jq -e '.webcam.webcamEnabled == true and .webcam.streamUrl == "" and
    .webcam.snapshotUrl == "/api/gspool/printers/far/snapshot"' "$T/body" > /dev/null ||
    fail "settings of the sftp:// printer: $(cat "$T/body")"
expect_status 200 GET /api/gspool/queue -H "X-Api-Key: $ANN"
jq -e '(.printers[] | select(.name == "far") | .camera) == "snapshot" and
    (.printers[] | select(.name == "mk3") | has("camera")) == false' "$T/body" > /dev/null ||
    fail "the queue's cameras: $(cat "$T/body")"
mkdir -p "$T/spool/printers/far"
printf '\377\330\377\340 far away\377\331' > "$T/spool/printers/far/webcam.jpg"
expect_status 200 GET /api/gspool/printers/far/snapshot -H "X-Api-Key: $ANN"
cmp -s "$T/body" "$T/spool/printers/far/webcam.jpg" || fail "far's frame differs"
kill -0 "$GWEBD_PID" || fail "gwebd died"
kill "$GWEBD_PID"; wait "$GWEBD_PID" || fail "gwebd did not stop cleanly"
echo "ok: web-cura"
