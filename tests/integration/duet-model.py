#!/usr/bin/python3
# duet-model.py - a Duet board running RepRapFirmware in standalone mode
# (its own HTTP server, no single-board computer), or with --sbc one in
# SBC mode (a single-board computer's DuetSoftwareFramework, DSF, serves
# the network), for the tests of the duet backend, on loopback:
#
#   duet-model.py [options] LOG PORTFILE
#
#   --port N             listen on N (0: the kernel picks; again on the
#                        same port after a restart)
#   --password-file F    the machine password is F's first line (M551);
#                        without it the board has none, and any request
#                        opens a session
#   --session-timeout MS a session not heard from for MS ms is dropped
#                        (8000, as the firmware's)
#   --max-sessions N     sessions at once (8); one more gets err 2
#   --rate N             bytes of the file printed per tick (--tick s)
#   --no-session-key     as a board older than RepRapFirmware 3.5: no
#                        sessionKey (nor apiLevel), the session is the
#                        client's address
#   --sbc                DSF's API instead of the board's (below)
#   --dsf-old            with --sbc, a DSF older than 3.4: no
#                        /machine/connect (404), no passwords, no sessions,
#                        no /machine/status and no rr_connect (404)
#   --status-only        with --sbc, the model under /machine/status
#                        alone (/machine/model 404), as DSF named it first
#
# The server, the log, the errors and the blackout are hostmodel.py's;
# RepRapFirmware has no TLS and no API key, so neither has the model.
#
# Written from RepRapFirmware's documentation of its HTTP requests
# ("HTTP requests" and the OpenAPI definition of standalone mode) and of
# its object model, implementing what the backend uses as strictly as the
# firmware:
#
#   GET  /rr_connect?password=P&time=T&sessionKey=yes
#        {"err":0,"sessionTimeout":MS,"boardType":..,"apiLevel":..,
#        "sessionKey":K}; err 1 a wrong password, err 2 no more sessions
#   GET  /rr_disconnect              {"err":0}, or 1 without a session
#   POST /rr_upload?name=0:/gcodes/F&time=T&crc32=HEX, the raw body with
#        its Content-Length: {"err":0}, or {"err":1} on a CRC mismatch
#        (nothing kept), a path outside the card, the file printing
#   GET  /rr_upload                  the last upload's {"err":..}
#   GET  /rr_gcode?gcode=LINES       {"buff":N}; the replies go to rr_reply
#   GET  /rr_reply                   text/plain, the replies since the last
#   GET  /rr_model?key=K&flags=F     {"key":K,"flags":F,"result":..} for
#        state, job, heat (and "" for all three)
#   GET  /rr_delete?name=0:/gcodes/F {"err":0}, or 1
#
# Every request but rr_connect needs a session, or it is answered 401: a
# session opened with sessionKey=yes is the X-Session-Key header's, one
# opened without it the client address's (and with no password set, any
# request opens one).  A session expires after sessionTimeout ms without
# a request.  rr_status (deprecated, gone from RRF 3.5) and any other
# path are 404.
#
# G-code, as the firmware runs it from the HTTP channel: M32 "0:/gcodes/F"
# selects and starts a file (an error reply if it is missing or a file
# prints already); M23 selects, M24 starts or resumes; M25 (or M226)
# pauses (status pausing, then paused); M0 or M1 while paused cancels
# (cancelling, then idle), and while printing is refused; M112 stops at
# once (status halted, the heaters off) until M999 resets the board (its
# sessions are lost, upTime begins again); M104/M109, M140/M190 and G10
# set the heaters' active temperatures (reached at once); M108 and
# anything else is taken.  The job's own lines are run as they pass:
# ";LAYER:N" (a Cura slicer's, 0-based) begins layer N+1, ";LAYER_COUNT:N"
# is the file's numLayers, M104/M140 heat.  M291 P"MSG" R"TITLE" Sn
# [K{"A","B"}] [J1] shows a message box (mode n; K the choices of mode 4,
# J1 a Cancel button there): S2 and up stop the file's lines after it
# until the box is answered, S0 and S1 do not.  M292 closes it: P0 (OK,
# Close, or with R the choice) and the job goes on, P1 (Cancel, only in
# modes 3 and up, or with J1) abandons the print at once (idle, the
# file where it waited); a seq (S) that is not the
# box's, an M292 with no box open, a choice the box lacks or a mode 4 box
# answered without R are errors, and the box stays.  Object model fields:
# state (status idle/busy/processing/paused/pausing/resuming/cancelling/
# halted/off, upTime, messageBox: mode, title, message, seq, timeout,
# cancelButton, choices, or null), job (file.fileName, file.size, file.numLayers,
# filePosition, layer, duration, lastFileName; in standalone mode no
# lastFileCancelled or lastFileAborted: those are the SBC's), heat
# (bedHeaters, heaters[].current/active/standby/state).
#
# SBC mode, written from DSF's documentation (the OpenAPI definition, the
# wiki's "REST API", DuetWebServer's controllers), as strict about what
# the backend uses:
#
#   GET  /machine/connect?password=P {"sessionKey":"K"}, a string; 403 for
#        a wrong password (no password given is "reprap")
#   GET  /machine/disconnect         204; the session named goes
#   GET  /machine/noop               204
#   GET  /machine/model, /machine/status   the whole object model: state,
#        job (with lastFileCancelled and lastFileAborted, DSF's), heat,
#        boards
#   POST /machine/code, the G-code as the body (Content-Length): 200
#        text/plain, the codes' replies when they are done
#   PUT  /machine/file/PATH, the raw body (Content-Length): 201; PATH is
#        0:/gcodes/F (as DSF's web interface sends it) or gcodes/F (the
#        card's root without a drive), URL-encoded
#   GET, DELETE /machine/file/PATH   the file, or 204; 404 if missing
#   GET  /rr_connect                 as DSF 3.5 answers older clients:
#        {"err":0,"isEmulated":true,...} (no sessionKey), or err 1; every
#        other rr_ request is answered 404 and logged "unmodelled", so that
#        a test sees the backend use it
#
# Every request but connect and disconnect needs the session's
# X-Session-Key (or none at all while no password is set): a missing,
# unknown or expired key is 403, as DSF's documentation has it.  A
# session expires after --session-timeout ms without a request.  Any
# other path is 404, another method 405.  The G-code and the board are
# the same as standalone's.
#
# The model's own controls, for the tests (no RRF request):
#   POST /_model/hold?layer=L         the next print stops advancing when
#                                     its layer L begins
#   POST /_model/release              and goes on
#   POST /_model/halt?message=M       the board halts (a heater fault, a
#                                     driver error): "Error: M" in the reply
#   POST /_model/expire               every session expires now
#   POST /_model/blackout?requests=N  the next N requests are dropped
#                                     unanswered, as by a network that is
#                                     down; the board prints on
#   POST /_model/foreign?filename=F   a print started at the board's panel
#   POST /_model/finish               that print completes
#   POST /_model/off                  the board's power is off (status off)
#   POST /_model/unplug               SBC: DSF has lost the board (status
#                                     disconnected); the print waits
#   POST /_model/plug                 and has it again
#
# Each event is a line of LOG (flushed), so that a test waits for it.
import argparse
import binascii
import os
import random
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostmodel  # noqa: E402
from hostmodel import HostError as Err, Raw  # noqa: E402

ap = argparse.ArgumentParser()
hostmodel.add_args(ap, key=False, tls=False)
ap.add_argument("--password-file")
ap.add_argument("--session-timeout", type=int, default=8000)
ap.add_argument("--max-sessions", type=int, default=8)
ap.add_argument("--no-session-key", action="store_true")
ap.add_argument("--sbc", action="store_true")
ap.add_argument("--dsf-old", action="store_true")
ap.add_argument("--status-only", action="store_true")
args = ap.parse_args()

password = None
if args.password_file:
    with open(args.password_file) as f:
        password = f.readline().rstrip("\r\n")

blackout = hostmodel.blackout
log = hostmodel.start_log(args.log)
BOARD = "duet3mb6hc"
API_LEVEL = 1


def now_ms():
    return int(time.monotonic() * 1000)


class Sessions:
    """The firmware's HTTP sessions: by key, or by the client's address."""

    def __init__(self):
        self.by_key = {}     # key -> last heard (ms)
        self.by_ip = {}      # address -> last heard (ms)

    def expire(self):
        t = now_ms()
        for d in (self.by_key, self.by_ip):
            for k in [k for k, seen in d.items()
                      if t - seen > args.session_timeout]:
                del d[k]
                log("session-expired")

    def count(self):
        return len(self.by_key) + len(self.by_ip)

    def clear(self):
        self.by_key.clear()
        self.by_ip.clear()

    def find(self, key, ip):
        """The session a request belongs to, refreshed, or None.  A board
        older than 3.5 knows no X-Session-Key, only addresses."""
        self.expire()
        if key is not None and not args.no_session_key:
            try:
                k = int(key)
            except ValueError:
                return None
            if k in self.by_key:
                self.by_key[k] = now_ms()
                return ("key", k)
            return None
        if ip in self.by_ip:
            self.by_ip[ip] = now_ms()
            return ("ip", ip)
        return None


sessions = Sessions()


class Board:
    def __init__(self):
        self.files = {}          # "0:/gcodes/F" -> bytes
        self.boot = time.monotonic()
        self.status = "idle"
        self.after = None        # (status, ticks): where a transition ends
        self.reply = {}          # session -> [lines]
        self.hold_at = 0
        self.bed = [25.0, 0.0]
        self.tool = [25.0, 0.0]
        self.last_upload = 0
        self.last_file = None
        self.last_cancelled = False
        self.unplugged = False   # SBC: DSF without its board
        self.box = None          # state.messageBox
        self.box_seq = 0
        self.clear_job()

    def clear_job(self):
        if getattr(self, "box", None) is not None and self.box["mode"] >= 2:
            self.box = None      # a job's blocking box goes with it
        self.file = None         # its name, while a file is selected
        self.pos = None
        self.layer = None
        self.layers = 0
        self.started = None
        self.held = False
        self.foreign = False
        self.foreign_size = 0

    def say(self, text):
        """A reply, for every session (the firmware's per-client buffer)."""
        for k in list(self.reply):
            self.reply[k].append(text)

    def heat_line(self, line):
        m = re.match(r"(M104|M109|M140|M190|G10)\b(.*)", line)
        if not m:
            return
        s = re.search(r"\b[SR](-?[0-9.]+)", m.group(2))
        if not s:
            return
        t = float(s.group(1))
        h = self.bed if m.group(1) in ("M140", "M190") else self.tool
        h[1] = t
        h[0] = t if t > 25 else 25.0

    def m291(self, code):
        def q(letter):
            m = re.search(r'\b' + letter + r'"((?:[^"]|"")*)"', code)
            return m.group(1).replace('""', '"') if m else ""

        def n(letter, default):
            m = re.search(r'\b' + letter + r'(-?[0-9.]+)', code)
            return float(m.group(1)) if m else default
        mode = int(n("S", 1))
        choices = re.findall(r'"((?:[^"]|"")*)"',
                             (re.search(r'\bK\{([^}]*)\}', code) or
                              re.match(r"()", "")).group(1))
        self.box_seq += 1
        self.box = {"mode": mode, "title": q("R"), "message": q("P"),
                    "seq": self.box_seq, "timeout": n("T", 0),
                    "cancelButton": mode == 3 or n("J", 0) >= 1,
                    "choices": choices if mode == 4 else None}
        log("box", self.box_seq, mode, q("P"))

    def blocked(self):
        return self.box is not None and self.box["mode"] >= 2

    def m292(self, code):
        b = self.box
        if b is None:
            return "Error: M292: no message box is open"
        blocked = self.blocked()
        s = re.search(r"\bS(\d+)", code)
        if s and int(s.group(1)) != b["seq"]:
            return "Error: M292: sequence number %s is not the message " \
                "box's (%d)" % (s.group(1), b["seq"])
        p = re.search(r"\bP(\d+)", code)
        p = int(p.group(1)) if p else 0
        r = re.search(r"\bR(\d+)", code)
        if p == 1:
            if not b["cancelButton"]:
                return "Error: M292: the message box has no Cancel button"
            log("answered", b["seq"], "cancel")
            self.box = None
            if self.file is not None and blocked:
                # The job is abandoned where it waited, at once.
                log("cancelled", self.file)
                self.end(cancelled=True)
            return ""
        if b["mode"] == 4:
            if r is None or int(r.group(1)) >= len(b["choices"]):
                return "Error: M292: no choice given, or one the message " \
                    "box lacks"
            log("answered", b["seq"], "choice", r.group(1))
        else:
            log("answered", b["seq"], "ok")
        self.box = None
        return ""

    def run_file_line(self, raw):
        line = raw.strip()
        if re.match(r"M291\b", line):
            self.m291(line.split(";", 1)[0].strip())
            return
        m = re.match(r";LAYER:(\d+)", line)
        if m:
            self.layer = int(m.group(1)) + 1
            log("layer", self.layer)
            if self.hold_at and self.layer == self.hold_at:
                self.held = True
                log("held", self.layer)
            return
        m = re.match(r";LAYER_COUNT:(\d+)", line)
        if m:
            self.layers = int(m.group(1))
            return
        self.heat_line(line.split(";", 1)[0].strip())

    def tick(self):
        if self.after is not None:
            st, n = self.after
            if n <= 1:
                self.after = None
                self.status = st
                log("status", st)
                if st == "idle":
                    self.end(cancelled=True)
            else:
                self.after = (st, n - 1)
            return
        if self.unplugged:
            return
        if self.status != "processing" or self.held or self.foreign or \
                self.blocked():
            return
        data = self.files.get(self.file)
        if data is None:
            return
        end = min(len(data), self.pos + args.rate)
        nl = data.rfind(b"\n", self.pos, end)
        if nl >= 0 and end < len(data):
            end = nl + 1
        at = self.pos
        for line in data[self.pos:end].splitlines(keepends=True):
            at += len(line)
            self.run_file_line(line.decode("utf-8", "replace"))
            if self.held:
                break
            if self.blocked():
                # The file waits for the answer after its M291.
                end = at
                break
        self.pos = end
        if self.pos >= len(data):
            log("complete", self.file)
            self.end(cancelled=False)

    def end(self, cancelled):
        if self.file is None:
            return
        self.last_file = self.file
        self.last_cancelled = cancelled
        self.status = "idle"
        self.clear_job()

    def start(self, name):
        self.clear_job()
        self.file, self.pos, self.status = name, 0, "processing"
        self.started = time.monotonic()
        data = self.files[name]
        # The firmware reads the slicer's header for the layer count.
        m = re.search(rb";LAYER_COUNT:(\d+)", data[:65536])
        if m:
            self.layers = int(m.group(1))
        log("start", name)

    def gcode(self, line):
        """One line from the HTTP channel; its reply, or ""."""
        code = line.split(";", 1)[0].strip()
        if code == "":
            return ""
        m = re.match(r"([GMT])(\d+)", code, re.I)
        word = (m.group(1).upper() + m.group(2)) if m else code.split()[0]
        log("gcode", code)
        if self.status == "halted" and word != "M999":
            return "Error: %s: the machine is halted, send M999" % word
        if self.status == "off" and word not in ("M80", "M999"):
            return "Error: %s: the power is off" % word
        if word in ("M32", "M23"):
            arg = code[len(m.group(0)):].strip()
            name = arg[1:-1] if arg.startswith('"') and arg.endswith('"') \
                else arg
            if not name.startswith("0:/"):
                name = "0:/gcodes/" + name.lstrip("/")
            if self.file is not None:
                return "Error: %s: Cannot set file to print, because a " \
                    "file is already being printed" % word
            if name not in self.files:
                return 'Error: %s: GCode file "%s" not found' % (word, name)
            if word == "M23":
                self.clear_job()
                self.file, self.pos = name, 0
                return "File %s selected for printing" % name
            self.start(name)
            return ""
        if word == "M24":
            if self.status == "paused":
                self.status = "resuming"
                self.after = ("processing", 2)
                log("resumed")
                return ""
            if self.file is not None and self.status == "idle":
                self.start(self.file)
                return ""
            return "Error: M24: Cannot resume print, because no print is " \
                "in progress!" if self.file is None else ""
        if word in ("M25", "M226"):
            if self.status == "processing":
                self.status = "pausing"
                self.after = ("paused", 2)
                log("paused")
                return ""
            return "Error: %s: Cannot pause print, because no file is " \
                "being printed!" % word if self.file is None else ""
        if word in ("M0", "M1"):
            if self.status == "paused":
                self.status = "cancelling"
                self.after = ("idle", 2)
                log("cancelled", self.file)
                return ""
            if self.file is not None:
                return "Error: %s: Pause the print before cancelling it" % \
                    word
            self.tool[1] = self.bed[1] = 0.0
            return ""
        if word == "M292":
            return self.m292(code)
        if word == "M291":
            self.m291(code)
            return ""
        if word == "M112":
            self.halt("Emergency stop")
            return ""
        if word == "M999":
            self.reset()
            return ""
        if word == "M80" and self.status == "off":
            self.status = "idle"
            return ""
        self.heat_line(code)
        return ""

    def halt(self, why):
        self.status = "halted"
        self.after = None
        self.tool[1] = self.bed[1] = 0.0
        log("halted", why)
        self.say("Error: " + why)

    def reset(self):
        """The board restarts: the print, the sessions and upTime go."""
        self.clear_job()
        self.status = "idle"
        self.after = None
        self.boot = time.monotonic()
        self.reply.clear()
        sessions.clear()
        log("reset")

    def model(self, key):
        st = {"status": "disconnected" if self.unplugged else self.status,
              "upTime": int(time.monotonic() - self.boot),
              "messageBox": self.box}
        size = len(self.files.get(self.file, b"")) if not self.foreign \
            else self.foreign_size
        job = {
            "file": {"fileName": self.file, "size": size if self.file
                     else None, "numLayers": self.layers if self.file
                     else None},
            "filePosition": self.pos,
            "layer": self.layer,
            "duration": int(time.monotonic() - self.started)
            if self.started is not None else None,
            "lastFileName": self.last_file,
        }
        heat = {"bedHeaters": [0, -1, -1, -1],
                "heaters": [
                    {"current": self.bed[0], "active": self.bed[1],
                     "standby": 0.0,
                     "state": "active" if self.bed[1] > 0 else "off"},
                    {"current": self.tool[0], "active": self.tool[1],
                     "standby": 0.0,
                     "state": "active" if self.tool[1] > 0 else "off"}]}
        if args.sbc:
            # DSF keeps how the last file ended.
            job["lastFileCancelled"] = self.last_cancelled
            job["lastFileAborted"] = False
        every = {"state": st, "job": job, "heat": heat}
        if key == "":
            return every
        return every.get(key)


b = Board()


def crc32_hex(data):
    return "%08x" % (binascii.crc32(data) & 0xffffffff)


def card_path(name):
    """A file's path on the card, or None for one outside it."""
    if not name.startswith("0:/") and not name.startswith("/"):
        return None
    p = name[2:] if name.startswith("0:") else name
    parts = p.split("/")[1:]
    if not parts or any(x in ("", ".", "..") for x in parts):
        return None
    return "0:/" + "/".join(parts)


class Handler(hostmodel.Handler):
    # The firmware's JSON carries no charset; its errors are short texts.
    json_type = "application/json"

    def reads_body(self, method, path):
        return method == "POST" and path == "/rr_upload"

    def body(self):
        if self.headers.get("Transfer-Encoding"):
            raise Err(411, "chunked bodies are not taken: send a "
                      "Content-Length")
        n = self.headers.get("Content-Length")
        if n is None:
            raise Err(411, "Length Required")
        return self.rfile.read(int(n))

    # Every request but rr_connect needs a session: route() finds it,
    # under the lock, after the path and the method are known.
    def authorize(self, method, path):
        pass

    def error(self, e):
        return Raw((e.message + "\n").encode())

    def one(self, q, name, required=True):
        v = q.get(name)
        if v is None:
            if required:
                raise Err(400, "missing parameter %s" % name)
            return None
        return v[0]

    def password_ok(self, q):
        """The query's password is the machine's (none given is
        "reprap"), or the machine has none."""
        pw = self.one(q, "password", required=False)
        return password is None or \
            (pw if pw is not None else "reprap") == password

    def session(self):
        """The request's session, or 401."""
        key = self.headers.get("X-Session-Key")
        ip = self.client_address[0]
        s = sessions.find(key, ip)
        if s is None and password is None and key is None:
            # No password: any request opens a session (the address's).
            if sessions.count() < args.max_sessions:
                sessions.by_ip[ip] = now_ms()
                s = ("ip", ip)
                b.reply.setdefault(s, [])
        if s is None:
            log("unauthorized", self.path.split("?")[0])
            raise Err(401, "Unauthorized")
        b.reply.setdefault(s, [])
        return s

    def route(self, method, path, q, body):
        if path.startswith("/_model/"):
            if method != "POST":
                raise Err(405, "Method Not Allowed")
            self.control(path[8:], q)
            return 200, {"ok": True}
        gets = ("/rr_connect", "/rr_disconnect", "/rr_gcode", "/rr_reply",
                "/rr_model", "/rr_delete")
        if path == "/rr_upload":
            if method not in ("GET", "POST"):
                raise Err(405, "Method Not Allowed")
        elif path in gets:
            if method != "GET":
                raise Err(405, "Method Not Allowed")
        else:
            raise Err(404, "Not Found")
        if path == "/rr_connect":
            return self.connect(q)
        s = self.session()
        if path == "/rr_disconnect":
            if s[0] == "key":
                del sessions.by_key[s[1]]
            else:
                del sessions.by_ip[s[1]]
            b.reply.pop(s, None)
            log("disconnect")
            return 200, {"err": 0}
        if path == "/rr_upload":
            if method == "GET":
                return 200, {"err": b.last_upload}
            return self.upload(q, body)
        if path == "/rr_gcode":
            g = self.one(q, "gcode")
            for line in g.split("\n"):
                r = b.gcode(line)
                if r:
                    b.reply[s].append(r)
            return 200, {"buff": 255}
        if path == "/rr_reply":
            text = "\n".join(b.reply.get(s, []))
            b.reply[s] = []
            return 200, Raw((text + "\n" if text else "").encode())
        if path == "/rr_model":
            key = self.one(q, "key")
            flags = self.one(q, "flags")
            return 200, {"key": key, "flags": flags,
                         "result": b.model(key)}
        if path == "/rr_delete":
            name = card_path(self.one(q, "name"))
            if name is None or name not in b.files or name == b.file:
                return 200, {"err": 1}
            del b.files[name]
            log("delete", name)
            return 200, {"err": 0}

    def connect(self, q):
        if not self.password_ok(q):
            log("connect wrong-password")
            return 200, {"err": 1}
        sessions.expire()
        if sessions.count() >= args.max_sessions:
            log("connect no-session")
            return 200, {"err": 2}
        out = {"err": 0, "sessionTimeout": args.session_timeout,
               "boardType": BOARD}
        if not args.no_session_key:
            out["apiLevel"] = API_LEVEL
        if self.one(q, "sessionKey", required=False) == "yes" and \
                not args.no_session_key:
            k = random.randint(1, 2 ** 31 - 1)
            sessions.by_key[k] = now_ms()
            b.reply[("key", k)] = []
            out["sessionKey"] = k
        else:
            ip = self.client_address[0]
            sessions.by_ip[ip] = now_ms()
            b.reply.setdefault(("ip", ip), [])
        log("connect ok")
        return 200, out

    def upload(self, q, body):
        name = card_path(self.one(q, "name"))
        crc = self.one(q, "crc32", required=False)
        if name is None or name == b.file:
            b.last_upload = 1
            log("upload-refused", self.one(q, "name"))
            return 200, {"err": 1}
        if crc is not None:
            if not re.fullmatch(r"[0-9a-fA-F]{1,8}", crc) or \
                    int(crc, 16) != int(crc32_hex(body), 16):
                b.last_upload = 1
                log("crc-mismatch", name)
                return 200, {"err": 1}
        b.files[name] = body
        b.last_upload = 0
        log("upload", name, len(body), "crc" if crc is not None else
            "nocrc")
        return 200, {"err": 0}

    def control(self, what, q):
        if what == "hold":
            b.hold_at = int(self.one(q, "layer"))
        elif what == "release":
            b.held = False
            b.hold_at = 0
            log("release")
        elif what == "halt":
            b.halt(self.one(q, "message"))
        elif what == "expire":
            sessions.clear()
            SbcHandler.keys.clear()
            log("sessions-expired")
        elif what == "blackout":
            blackout[0] = int(self.one(q, "requests"))
        elif what == "foreign":
            b.clear_job()
            b.file = card_path("0:/gcodes/" + self.one(q, "filename"))
            b.pos, b.status, b.foreign = 0, "processing", True
            b.foreign_size = 1000
            b.started = time.monotonic()
            log("foreign", b.file)
        elif what == "finish":
            b.end(cancelled=False)
            log("finish")
        elif what == "off":
            b.clear_job()
            b.status = "off"
            log("off")
        elif what == "unplug" and args.sbc:
            b.unplugged = True
            log("unplugged")
        elif what == "plug" and args.sbc:
            b.unplugged = False
            log("plugged")
        else:
            raise Err(404, "Not Found")


class SbcHandler(Handler):
    """DSF's DuetWebServer in front of the same board."""
    keys = {}                # session key -> last heard (ms)

    def reads_body(self, method, path):
        return (method == "POST" and path == "/machine/code") or \
            (method == "PUT" and path.startswith("/machine/file/"))

    def expire(self):
        t = now_ms()
        for k in [k for k, seen in self.keys.items()
                  if t - seen > args.session_timeout]:
            del self.keys[k]
            log("session-expired")

    def sbc_session(self, path):
        """The request's session, or 403 as DSF documents it."""
        if args.dsf_old:
            return
        self.expire()
        key = self.headers.get("X-Session-Key")
        if key is not None and key in self.keys:
            self.keys[key] = now_ms()
            return
        if key is None and password is None:
            return           # no password: the address's session
        log("unauthorized", path)
        raise Err(403, "Forbidden")

    def file_path(self, path):
        name = urllib.parse.unquote(path[len("/machine/file/"):])
        if not name.startswith("0:/"):
            name = "0:/" + name
        name = card_path(name)
        if name is None:
            raise Err(500, "Invalid path")
        return name

    def route(self, method, path, q, body):
        if path.startswith("/_model/"):
            return Handler.route(self, method, path, q, body)
        if path == "/rr_connect" and not args.dsf_old:
            return self.emulated_connect(q)
        if path == "/rr_connect":
            log("rr-connect absent")
            raise Err(404, "Not Found")
        if path.startswith("/rr_"):
            log("unmodelled", method, path)
            raise Err(404, "Not Found")
        routes = {"/machine/connect": "GET", "/machine/disconnect": "GET",
                  "/machine/noop": "GET", "/machine/model": "GET",
                  "/machine/status": "GET", "/machine/code": "POST"}
        if args.dsf_old:
            del routes["/machine/connect"]
            del routes["/machine/status"]
        if args.status_only:
            del routes["/machine/model"]
        if path not in routes and path.startswith("/machine/") and \
                not path.startswith("/machine/file/"):
            log("absent", path)
        if path.startswith("/machine/file/"):
            if method not in ("GET", "PUT", "DELETE"):
                raise Err(405, "Method Not Allowed")
        elif path not in routes:
            raise Err(404, "Not Found")
        elif method != routes[path]:
            raise Err(405, "Method Not Allowed")
        if path == "/machine/connect":
            return self.sbc_connect(q)
        if path == "/machine/disconnect":
            self.keys.pop(self.headers.get("X-Session-Key"), None)
            log("disconnect")
            return 204, None
        self.sbc_session(path)
        if path == "/machine/noop":
            return 204, None
        if path in ("/machine/model", "/machine/status"):
            m = b.model("")
            m["boards"] = [{"canAddress": 0, "shortName": "MB6HC"}]
            return 200, m
        if path == "/machine/code":
            replies = []
            for line in body.decode("utf-8", "replace").split("\n"):
                r = b.gcode(line)
                if r:
                    replies.append(r)
            return 200, Raw(("\n".join(replies) + "\n" if replies
                             else "").encode())
        name = self.file_path(path)
        if method == "PUT":
            b.files[name] = body
            log("upload", name, len(body), "put")
            return 201, None
        if name not in b.files:
            raise Err(404, urllib.parse.quote(name))
        if method == "GET":
            return 200, Raw(b.files[name], "application/octet-stream")
        del b.files[name]
        log("delete", name)
        return 204, None

    def sbc_connect(self, q):
        if not self.password_ok(q):
            log("connect wrong-password")
            raise Err(403, "")
        self.expire()
        k = "%016x" % random.getrandbits(64)
        self.keys[k] = now_ms()
        log("connect ok")
        return 200, {"sessionKey": k}

    def emulated_connect(self, q):
        if not self.password_ok(q):
            log("rr-connect wrong-password")
            return 200, {"err": 1, "isEmulated": True}
        log("rr-connect emulated")
        return 200, {"apiLevel": 1, "err": 0, "isEmulated": True,
                     "sessionTimeout": 8000, "boardType": "duet3mb6hc100"}


hostmodel.serve(SbcHandler if args.sbc else Handler, args, b.tick)
