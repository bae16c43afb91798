#!/usr/bin/python3
# prusalink-model.py - a Prusa printer with PrusaLink, for the tests of
# the prusalink backend, on loopback:
#
#   prusalink-model.py [options] LOG PORTFILE
#
#   --port N          listen on N (0: the kernel picks; the same port
#                     again when the host comes back, see /_model/back)
#   --api-key-file F  X-Api-Key must be F's first line
#   --digest-file F   or HTTP digest (RFC 7616, MD5, qop=auth) with
#                     F's first line, USER:PASSWORD
#                     (without either, no request is authorized)
#   --rate N          bytes of the file printed per tick (--tick seconds)
#   --storage NAME    the one storage, usb (the MK4's) or local
#   --tls CERT KEY    https, with this certificate
#
# PORTFILE gets two lines: the API's port, then the port of the model's
# own controls (a listener of its own, so that the API's can go away).
#
# Written from PrusaLink's OpenAPI description (Prusa-Link-Web,
# spec/openapi.yaml, "PrusaLink Web" 1.0.0), implementing what a client
# of API v1 uses, as strictly as the real host: a request without the
# key or a valid digest is 401 (with the digest challenge); an unknown
# path 404, a known one with another method 405; an error is the
# printer's text (text/plain), or {"title", "text"} when the client
# accepts application/json.
#
#   GET    /api/version                 api, version, text, firmware, ...
#   GET    /api/v1/info                 the printer's name, serial, ...
#   GET    /api/v1/status               printer (state, temperatures),
#                                       job (id, progress %, times),
#                                       storage
#   GET    /api/v1/storage              storage_list
#   PUT    /api/v1/files/STORAGE/PATH   the raw body, Content-Length
#                                       required; Print-After-Upload and
#                                       Overwrite are ?0 or ?1 (RFC 8941
#                                       booleans, anything else 400);
#                                       201, or 409 when the file exists
#                                       without Overwrite: ?1, when it is
#                                       the one printing, or when it
#                                       should print and the printer is
#                                       not free; 404 unknown storage
#   POST   /api/v1/files/STORAGE/PATH   print it (204; 409 not free)
#   GET|HEAD /api/v1/files/STORAGE/PATH its metadata
#   DELETE /api/v1/files/STORAGE/PATH   204; 409 while it prints
#   GET    /api/v1/job                  the job, or 204 without one
#   PUT    /api/v1/job/ID/pause         204 when PRINTING, else 409
#   PUT    /api/v1/job/ID/resume        204 when PAUSED, else 409
#   DELETE /api/v1/job/ID               stop: 204 when PRINTING, PAUSED
#                                       or ATTENTION, else 409
#                                       (ID not the job's: 404)
#
# PrusaLink has no endpoint for raw G-code and none for M112: the model
# has none either (404).
#
# The printer's states (printer.state): IDLE, then PRINTING, PAUSED,
# ATTENTION (the print halted, waiting for someone at the printer: a
# filament runout), FINISHED or STOPPED (the last job stays shown until
# the next starts), ERROR (the print is lost; a reset at the printer
# clears it), BUSY (the printer is working on something of its own: a
# calibration, a menu).  A print is possible from IDLE, READY, FINISHED
# and STOPPED.  The print advances --rate bytes every tick, and the
# lines passed set the heaters' targets (M104/M109, M140/M190, reached
# at once); a stop or an error turns the heaters off, as the firmware
# does.  Progress is a whole percentage, as the printer reports it.
#
# The model's own controls, POST on the control port:
#   /_model/hold?percent=N        the next print stops advancing at N %
#   /_model/release               and goes on
#   /_model/attention?message=M   the print halts: ATTENTION (a runout,
#                                 M, which only the printer shows)
#   /_model/attended              someone at the printer dealt with it:
#                                 the print goes on
#   /_model/error?message=M       the printer fails: ERROR, print lost
#   /_model/reset                 the printer is reset: IDLE
#   /_model/busy, /_model/idle    BUSY with something of its own, and
#                                 back
#   /_model/race                  the printer turns BUSY the moment the
#                                 next upload arrives (someone started
#                                 a calibration at the display)
#   /_model/foreign?name=F        a print started at the printer
#   /_model/finish                the current print completes
#   /_model/away                  the API's listener closes and every
#                                 open connection is dropped; the
#                                 printer prints on
#   /_model/back                  the listener opens again, same port
#
# Each event is a line of LOG (flushed), so that a test waits for it.
#
# The listeners, the log, the lock, the clock and the errors are
# hostmodel.py's; the requests are handled here: PrusaLink checks the
# credentials before it reads a body, takes an upload in pieces, and
# answers HEAD and 204 without a body, which the JSON hosts of
# hostmodel.Handler.handle_any do not.
import argparse
import hashlib
import http
import http.server
import json
import os
import re
import secrets
import socket
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostmodel  # noqa: E402
from hostmodel import HostError, Raw  # noqa: E402

ap = argparse.ArgumentParser()
hostmodel.add_args(ap)
ap.add_argument("--digest-file")
ap.add_argument("--storage", default="usb", choices=("usb", "local"))
args = ap.parse_args()

REALM = "Printer API"
CHUNK = 65536

key = hostmodel.read_key(args.api_key_file)
digest_user = digest_pass = None
if args.digest_file:
    digest_user, _, digest_pass = \
        hostmodel.read_key(args.digest_file).partition(":")

lock = hostmodel.lock
log = hostmodel.start_log(args.log)


class Err(HostError):
    """PrusaLink's error: its text, and the title of its JSON form."""

    def __init__(self, code, text, title=None, headers=()):
        HostError.__init__(self, code, text, headers)
        self.text = text
        self.title = title or http.HTTPStatus(code).phrase


FREE = ("IDLE", "READY", "FINISHED", "STOPPED")
RUNNING = ("PRINTING", "PAUSED", "ATTENTION")


class Printer:
    def __init__(self):
        self.state = "IDLE"
        self.message = ""
        self.files = {}         # path -> (bytes, m_timestamp)
        self.next_id = 100 + secrets.randbelow(800)
        self.job = None         # the current or last job (a dict)
        self.hold_at = 0
        self.held = False
        self.race = False
        self.nozzle = [24.0, 0.0]
        self.bed = [23.5, 0.0]

    def free(self):
        return self.state in FREE

    def start(self, path, foreign=False):
        self.job = {"id": self.next_id, "path": path, "pos": 0,
                    "started": time.monotonic(), "printing_s": 0.0,
                    "foreign": foreign, "state": "PRINTING"}
        self.next_id += 1
        self.state = "PRINTING"
        self.message = ""
        self.held = False
        log("start", self.job["id"], path)

    def size(self):
        if self.job is None or self.job["foreign"]:
            return 0
        return len(self.files.get(self.job["path"], (b"",))[0])

    def progress(self):
        if self.job is None:
            return 0
        if self.job["state"] == "FINISHED":
            return 100
        n = self.size()
        return (self.job["pos"] * 100) // n if n else 0

    def heaters_off(self):
        self.nozzle[1] = self.bed[1] = 0.0

    def end(self, state, why=""):
        j = self.job
        j["state"] = state
        self.state = state
        self.held = False
        self.hold_at = 0
        log(state.lower(), j["id"], j["path"], *([why] if why else []))

    def run_line(self, line):
        line = line.split(";", 1)[0].strip()
        m = re.match(r"M(104|109|140|190)\b.*\bS([0-9.]+)", line)
        if m:
            t = float(m.group(2))
            h = self.nozzle if m.group(1) in ("104", "109") else self.bed
            h[0] = h[1] = t

    def tick(self):
        j = self.job
        if self.state != "PRINTING" or j is None:
            return
        j["printing_s"] += args.tick
        if self.held or j["foreign"]:
            return
        data = self.files.get(j["path"], (None,))[0]
        if data is None:
            self.end("ERROR", "the file is gone")
            return
        end = min(len(data), j["pos"] + args.rate)
        nl = data.rfind(b"\n", j["pos"], end)
        if nl >= 0 and end < len(data):
            end = nl + 1
        if self.hold_at:
            # Held at the line where the percentage reaches hold_at.
            at = -(-len(data) * self.hold_at // 100)
            if end > at:
                nl = data.find(b"\n", at - 1)
                end = max(j["pos"], nl + 1 if nl >= 0 else len(data))
        for line in data[j["pos"]:end].decode("utf-8", "replace") \
                .splitlines():
            self.run_line(line)
        j["pos"] = end
        if self.hold_at and self.progress() >= self.hold_at:
            self.held = True
            log("held", self.hold_at)
        if j["pos"] >= len(data):
            self.end("FINISHED")

    def status(self):
        st = {"state": self.state,
              "temp_nozzle": self.nozzle[0], "target_nozzle": self.nozzle[1],
              "temp_bed": self.bed[0], "target_bed": self.bed[1],
              "axis_z": 0.2, "flow": 100, "speed": 100,
              "fan_hotend": 0, "fan_print": 0}
        # status_printer is the printer's conditions (PrusaLink's
        # conditions.py): broken with the printer's error, "OK" else.
        # An ATTENTION is none: its reason (a runout, say) is shown on
        # the printer only, and no endpoint shows or answers its dialog.
        if self.state == "ERROR" and self.message:
            st["status_printer"] = {"ok": False, "message": self.message}
        else:
            st["status_printer"] = {"ok": True, "message": "OK"}
        out = {"printer": st,
               "storage": {"name": args.storage, "path": "/" + args.storage,
                           "read_only": False}}
        if self.job is not None:
            j = self.job
            out["job"] = {"id": j["id"], "progress": self.progress(),
                          "time_printing": int(j["printing_s"]),
                          "time_remaining": self.remaining()}
        return out

    def remaining(self):
        n = self.size()
        if n == 0 or self.job["state"] not in RUNNING:
            return 0
        left = n - self.job["pos"]
        return int(left / args.rate * args.tick) + 1

    def job_info(self):
        j = self.job
        state = j["state"]
        if state == "ATTENTION":
            state = "PAUSED"    # a job's states know no ATTENTION
        info = {"id": j["id"], "state": state, "progress": self.progress(),
                "time_printing": int(j["printing_s"]),
                "time_remaining": self.remaining()}
        if j["foreign"]:
            info["file"] = {"name": j["path"].rsplit("/", 1)[-1],
                            "display_name": j["path"].rsplit("/", 1)[-1],
                            "path": "/" + args.storage, "m_timestamp": 0}
        else:
            data, ts = self.files.get(j["path"], (b"", 0))
            d, _, name = ("/" + args.storage + "/" + j["path"]).rpartition(
                "/")
            info["file"] = {"name": name, "display_name": name,
                            "path": d, "display_path": d,
                            "size": len(data), "m_timestamp": ts}
        return info


p = Printer()


# RFC 7616 digest: the nonces this host gave, and each (nonce, nc,
# cnonce) seen once only.
nonces = set()
seen_nc = set()


def challenge(stale=False):
    n = secrets.token_hex(16)
    with lock:
        nonces.add(n)
    return ('Digest realm="%s", nonce="%s", qop="auth", algorithm=MD5%s'
            % (REALM, n, ', stale=true' if stale else ''))


def digest_fields(value):
    out = {}
    for m in re.finditer(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))', value):
        out[m.group(1).lower()] = m.group(2) if m.group(2) is not None \
            else m.group(3)
    return out


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def digest_ok(method, uri, value):
    if digest_user is None or not value.startswith("Digest "):
        return False
    f = digest_fields(value[7:])
    if f.get("username") != digest_user or f.get("realm") != REALM or \
            f.get("uri") != uri or f.get("algorithm", "MD5").upper() != "MD5":
        return False
    nonce = f.get("nonce")
    with lock:
        if nonce not in nonces:
            return False
    ha1 = md5("%s:%s:%s" % (digest_user, REALM, digest_pass))
    ha2 = md5("%s:%s" % (method, uri))
    qop = f.get("qop")
    if qop is None:
        want = md5("%s:%s:%s" % (ha1, nonce, ha2))
    elif qop == "auth" and "nc" in f and "cnonce" in f:
        want = md5("%s:%s:%s:%s:%s:%s" % (ha1, nonce, f["nc"],
                                          f["cnonce"], qop, ha2))
        with lock:
            t = (nonce, f["nc"], f["cnonce"])
            if t in seen_nc:
                log("digest-replay", method, uri)
                return False
            seen_nc.add(t)
    else:
        return False
    return secrets.compare_digest(want, f.get("response", ""))


# The API's listener, and the connections it has open, closed by
# /_model/away.
api = {"server": None, "gone": False, "port": args.port}
conns = set()


def boolean(headers, name):
    v = headers.get(name)
    if v is None:
        return False
    if v not in ("?0", "?1"):
        raise Err(400, "%s: %r is not ?0 or ?1" % (name, v))
    return v == "?1"


class Handler(hostmodel.Handler):
    server_version = "PrusaLink"
    sys_version = ""

    def setup(self):
        http.server.BaseHTTPRequestHandler.setup(self)
        with lock:
            conns.add(self.connection)

    def finish(self):
        with lock:
            conns.discard(self.connection)
        try:
            http.server.BaseHTTPRequestHandler.finish(self)
        except OSError:
            pass

    # A 204 has no Content-Length, and an answer to HEAD no body.
    def send_json(self, code, obj, headers=()):
        if api["gone"]:
            self.close_connection = True
            return
        if isinstance(obj, Raw):
            body, ctype = obj.body, obj.ctype
        elif obj is not None:
            body, ctype = json.dumps(obj).encode(), "application/json"
        else:
            body, ctype = b"", None
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        if ctype is not None:
            self.send_header("Content-Type", ctype)
        if code != 204:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, e):
        if "application/json" in (self.headers.get("Accept") or ""):
            return Raw(json.dumps({"title": e.title, "text": e.text})
                       .encode(), "application/json")
        return Raw((e.text + "\n").encode(), "text/plain; charset=utf-8")

    def send_error_of(self, e):
        self.send_json(e.code, self.error(e), e.headers)

    def parse_request(self):
        self.auth_ok = None
        return http.server.BaseHTTPRequestHandler.parse_request(self)

    # Asked once a request: a digest's nc counts once.
    def authorized(self):
        if self.auth_ok is None:
            self.auth_ok = self.check_auth()
        return self.auth_ok

    def check_auth(self):
        k = self.headers.get("X-Api-Key")
        if k is not None:
            return key is not None and secrets.compare_digest(k, key)
        return digest_ok(self.command, self.path,
                         self.headers.get("Authorization") or "")

    # A request with no credentials is challenged (a digest client's
    # first); one with wrong credentials is refused.
    def refuse(self):
        h = self.headers
        log("challenge" if h.get("X-Api-Key") is None and
            h.get("Authorization") is None else "unauthorized",
            self.command, urllib.parse.urlsplit(self.path).path)
        return Err(401, "Unauthorized", headers=(
            ("WWW-Authenticate", challenge()),))

    # A client that waits for 100-continue is refused before it sends
    # its body.
    def handle_expect_100(self):
        if not self.authorized():
            self.send_error_of(self.refuse())
            self.close_connection = True
            return False
        return http.server.BaseHTTPRequestHandler.handle_expect_100(self)

    def drain(self):
        """A body not read: read and dropped, or the connection closed."""
        n = self.headers.get("Content-Length")
        try:
            n = int(n) if n is not None else 0
        except ValueError:
            n = -1
        if n < 0 or n > 64 * CHUNK or self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return
        while n > 0:
            got = self.rfile.read(min(n, CHUNK))
            if not got:
                break
            n -= len(got)

    def handle_request(self):
        u = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(u.path)
        self.body_read = False
        try:
            if api["gone"]:
                self.close_connection = True
                return
            if not self.authorized():
                raise self.refuse()
            code, obj = self.route(self.command, path)
            if not self.body_read:
                self.drain()
            self.send_json(code, obj)
        except Err as e:
            if not self.body_read:
                self.drain()
            if api["gone"]:
                self.close_connection = True
                return
            self.send_error_of(e)
        except (ConnectionError, socket.timeout):
            self.close_connection = True
        except Exception as e:
            # A fault of the model's own, as hostmodel.Handler answers
            # one: logged, and net.sh fails the test.
            log("model-fault", self.command, path, repr(e))
            self.close_connection = True
            self.send_error_of(Err(500, repr(e)))

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = \
        handle_request

    def route(self, method, path):
        fixed = {"/api/version": ("GET", self.version),
                 "/api/v1/info": ("GET", self.info),
                 "/api/v1/status": ("GET", self.status),
                 "/api/v1/storage": ("GET", self.storage),
                 "/api/v1/job": ("GET", self.job)}
        if path in fixed:
            want, fn = fixed[path]
            if method != want:
                raise Err(405, "Method Not Allowed")
            return fn()
        m = re.fullmatch(r"/api/v1/job/([^/]+)(/pause|/resume)?", path)
        if m:
            return self.job_command(method, m.group(1), m.group(2))
        m = re.fullmatch(r"/api/v1/files/([^/]+)/(.+)", path)
        if m:
            return self.file(method, m.group(1), m.group(2))
        raise Err(404, "Not Found")

    def version(self):
        return 200, {"api": "2.0.0", "version": "2.1.2", "server": "2.1.2",
                     "printer": "1.0.0", "text": "PrusaLink",
                     "firmware": "6.1.3+8254", "sdk": "0.8.0",
                     "hostname": "prusa-mk4", "nozzle_diameter": 0.4,
                     "capabilities": {"upload-by-put": True}}

    def info(self):
        return 200, {"name": "MK4", "location": "", "hostname": "prusa-mk4",
                     "serial": "10589-3742441632179803",
                     "nozzle_diameter": 0.4, "min_extrusion_temp": 170,
                     "mmu": False, "farm_mode": False, "sd_ready": False,
                     "active_camera": False}

    def status(self):
        with lock:
            return 200, p.status()

    def storage(self):
        with lock:
            used = sum(len(d) for d, _ in p.files.values())
        return 200, {"storage_list": [{
            "name": args.storage, "type": args.storage.upper(),
            "path": "/" + args.storage, "available": True,
            "read_only": False, "print_files": used,
            "system_files": 0, "free_space": 8 << 30,
            "total_space": 8 << 30}]}

    def job(self):
        with lock:
            if p.job is None or p.job["state"] not in RUNNING:
                return 204, None
            return 200, p.job_info()

    def job_command(self, method, ident, what):
        want = "PUT" if what else "DELETE"
        if method != want:
            raise Err(405, "Method Not Allowed")
        with lock:
            if p.job is None or str(p.job["id"]) != ident:
                raise Err(404, "Job %s not found" % ident)
            j = p.job
            verb = what[1:] if what else "stop"
            if p.state not in {"pause": ("PRINTING",), "resume": ("PAUSED",),
                               "stop": RUNNING}[verb]:
                log("refused", verb, j["id"], p.state)
                raise Err(409, "Cannot %s: the printer is %s"
                          % (verb, p.state))
            if verb == "pause":
                p.state = j["state"] = "PAUSED"
                log("paused", j["id"])
            elif verb == "resume":
                p.state = j["state"] = "PRINTING"
                log("resumed", j["id"])
            else:
                p.heaters_off()
                p.message = ""
                p.end("STOPPED")
        return 204, None

    def target(self, storage, rest):
        if storage != args.storage:
            raise Err(404, "Storage %s not found" % storage)
        parts = rest.split("/")
        if any(s in ("", ".", "..") for s in parts) or "\0" in rest:
            raise Err(400, "Invalid path: %s" % rest)
        return rest

    def file(self, method, storage, rest):
        path = self.target(storage, rest)
        if method == "PUT":
            return self.upload(path)
        with lock:
            have = p.files.get(path)
            printing = p.job is not None and p.job["path"] == path and \
                p.state in RUNNING
            if method in ("GET", "HEAD"):
                if have is None:
                    raise Err(404, "File %s not found" % path)
                name = path.rsplit("/", 1)[-1]
                return 200, {"name": name, "display_name": name,
                             "size": len(have[0]), "m_timestamp": have[1],
                             "read_only": False, "type": "PRINT_FILE"
                             if re.search(r"\.b?gcode$", name) else "FILE",
                             "refs": {"download": "/" + storage + "/" + path}}
            if method == "DELETE":
                if have is None:
                    raise Err(404, "File %s not found" % path)
                if printing:
                    raise Err(409, "File %s is being printed" % path)
                del p.files[path]
                log("delete", path)
                return 204, None
            if method == "POST":
                if have is None:
                    raise Err(404, "File %s not found" % path)
                if not p.free():
                    raise Err(409, "Printer is %s" % p.state)
                p.start(path)
                return 204, None
        raise Err(405, "Method Not Allowed")

    def upload(self, path):
        h = self.headers
        if h.get("Transfer-Encoding"):
            raise Err(411, "Length Required: a chunked body is not taken")
        ctype = (h.get("Content-Type") or "").lower()
        if ctype.startswith("multipart/") or \
                ctype.startswith("application/x-www-form-urlencoded"):
            raise Err(415, "The body is the file itself, not %s" % ctype)
        try:
            n = int(h.get("Content-Length"))
            if n < 0:
                raise ValueError
        except (TypeError, ValueError):
            raise Err(411, "Length Required")
        to_print = boolean(h, "Print-After-Upload")
        overwrite = boolean(h, "Overwrite")
        with lock:
            if path in p.files and not overwrite:
                log("conflict", path, "exists")
                raise Err(409, "File %s already exists" % path)
            if p.job is not None and p.job["path"] == path and \
                    p.state in RUNNING:
                log("conflict", path, "printing")
                raise Err(409, "File %s is being printed" % path)
            if p.race:
                p.race = False
                p.state = "BUSY"
                log("busy")
            if to_print and not p.free():
                log("conflict", path, p.state)
                raise Err(409, "Printer is %s" % p.state)
        # The body, in pieces; a client that stops short leaves nothing.
        data = bytearray()
        self.body_read = True
        while len(data) < n:
            got = self.rfile.read(min(CHUNK, n - len(data)))
            if not got:
                log("upload-short", path, len(data), n)
                self.close_connection = True
                raise ConnectionError("short body")
            data += got
        with lock:
            if to_print and not p.free():
                log("conflict", path, p.state)
                raise Err(409, "Printer is %s" % p.state)
            p.files[path] = (bytes(data), int(time.time()))
            auth = "key" if h.get("X-Api-Key") is not None else "digest"
            log("upload", path, n, "print=" + ("?1" if to_print else "?0"),
                "overwrite=" + ("?1" if overwrite else "?0"), "auth=" + auth)
            if to_print:
                p.start(path)
        return 201, None


def api_open():
    srv = hostmodel.listen(Handler, api["port"], args.tls)
    api["server"], api["port"], api["gone"] = srv, srv.server_address[1], \
        False
    threading.Thread(target=srv.serve_forever, daemon=True).start()


def api_close():
    srv = api["server"]
    api["gone"] = True
    srv.shutdown()
    srv.server_close()
    with lock:
        for c in list(conns):
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
    api["server"] = None


class Control(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        code, text = 200, "ok"
        try:
            self.control(u.path, q)
        except Err as e:
            code, text = e.code, e.text
        body = (text + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def control(self, path, q):
        def need(name):
            if not q.get(name):
                raise Err(400, "%s needs %s=" % (path, name))
            return q[name]
        if path == "/_model/away":
            if api["server"] is not None:
                api_close()
                log("away")
            return
        if path == "/_model/back":
            if api["server"] is None:
                api_open()
                log("back", api["port"])
            return
        with lock:
            running = p.state in RUNNING
            if path == "/_model/hold":
                p.hold_at = int(need("percent"))
            elif path == "/_model/release":
                p.held = False
                p.hold_at = 0
                log("release")
            elif path == "/_model/attention":
                if p.state not in ("PRINTING", "PAUSED"):
                    raise Err(409, "nothing prints")
                p.state = p.job["state"] = "ATTENTION"
                p.message = need("message")
                log("attention", p.job["id"], p.message)
            elif path == "/_model/attended":
                if p.state != "ATTENTION":
                    raise Err(409, "nothing needs attention")
                p.state = p.job["state"] = "PRINTING"
                p.message = ""
                log("attended", p.job["id"])
            elif path == "/_model/error":
                p.message = need("message")
                p.heaters_off()
                if running:
                    p.end("ERROR", p.message)
                else:
                    p.state = "ERROR"
                    log("error", p.message)
            elif path == "/_model/reset":
                p.state, p.message = "IDLE", ""
                p.job = None
                log("reset")
            elif path == "/_model/busy":
                if running:
                    raise Err(409, "a job prints")
                p.state = "BUSY"
                log("busy")
            elif path == "/_model/idle":
                if p.state == "BUSY":
                    p.state = "IDLE"
                log("idle")
            elif path == "/_model/race":
                p.race = True
            elif path == "/_model/foreign":
                if not p.free():
                    raise Err(409, "Printer is %s" % p.state)
                p.start(need("name"), foreign=True)
            elif path == "/_model/finish":
                if not running:
                    raise Err(409, "nothing prints")
                if not p.job["foreign"]:
                    p.job["pos"] = p.size()
                p.end("FINISHED")
            else:
                raise Err(404, "no such control")


api_open()
ctl = hostmodel.listen(Control, 0)
hostmodel.start_ticker(args, p.tick)
hostmodel.write_ports(args.portfile, api["port"], ctl.server_address[1])
ctl.serve_forever()
