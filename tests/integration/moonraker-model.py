#!/usr/bin/python3
# moonraker-model.py - a Moonraker host with Klipper behind it, for the
# tests of the moonraker backend, on loopback:
#
#   moonraker-model.py [options] LOG PORTFILE
#
#   --port N          listen on N (0: the kernel picks; again on the same
#                     port after a restart)
#   --api-key-file F  require X-Api-Key with F's first line (401 without)
#   --rate N          bytes of the file printed per tick (--tick seconds)
#   --tls CERT KEY    https, with this certificate
#   --printed F       each line of a print as Klipper runs it, appended
#                     to F byte for byte (a test compares it with the job)
#
# Written from Moonraker's web API documentation (moonraker.readthedocs.io,
# "web_api"), implementing exactly what the backend uses, as strictly as
# the real host: every answer is JSON, {"result": ...} or {"error":
# {"code", "message"}}; an unknown endpoint or method is 404/405, a
# missing parameter 400, a request without the key 401.
#
#   POST   /server/files/upload      multipart/form-data: file (required),
#                                    root (gcodes), checksum (SHA-256 hex,
#                                    verified: 422 on a mismatch)
#   POST   /printer/print/start      ?filename=  (404 unknown, 400 busy)
#   POST   /printer/print/pause|resume|cancel
#   POST   /printer/emergency_stop   Klipper shuts down
#   POST   /printer/firmware_restart Klipper ready again
#   POST   /printer/gcode/script     ?script=
#   GET    /printer/objects/query    ?print_stats&virtual_sdcard&...
#   GET    /server/gcode_store       ?count=  the newest responses and
#                                    commands, oldest first
#   DELETE /server/files/gcodes/NAME (403 while it prints)
#
# The print advances --rate bytes every tick; the lines passed are run as
# Klipper would the few that matter here: SET_PRINT_STATS_INFO
# TOTAL_LAYER= / CURRENT_LAYER= (print_stats.info), M104/M109 and
# M140/M190 (the heaters' targets, reached at once), TURN_OFF_HEATERS,
# and RESPOND [TYPE=echo|command|error] MSG=..., whose response goes to
# the G-code store ("echo: M", "// M", "!! M") as Klipper sends it to
# Moonraker, which keeps the last 1000.
#
# The model's own controls, for the tests (no Moonraker endpoint):
#   POST /_model/shutdown?message=M   Klipper's shutdown, with its message
#   POST /_model/foreign?filename=F   a print started by someone else
#   POST /_model/finish               that print completes
#   POST /_model/hold?layer=L         the next print stops advancing
#                                     when its layer L begins
#   POST /_model/hold?marker=L        the same at the first command
#                                     after the slicer's L-th ";LAYER:"
#                                     (the file says no layer to Klipper)
#   POST /_model/release[?next=L]     and goes on (to stop again when
#                                     layer L begins)
#   POST /_model/blackout?requests=N  the next N requests of the API are
#                                     dropped unanswered, as by a network
#                                     that is down; Klipper prints on
#
# Each event is a line of LOG (flushed), so that a test waits for it.
import argparse
import hashlib
import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostmodel  # noqa: E402
from hostmodel import HostError as Err, multipart, one  # noqa: E402

ap = argparse.ArgumentParser()
hostmodel.add_args(ap)
ap.add_argument("--printed")
args = ap.parse_args()
printed = open(args.printed, "ab") if args.printed else None

key = hostmodel.read_key(args.api_key_file)
blackout = hostmodel.blackout
files = {}          # name -> bytes
store = []          # the G-code store: {"message", "time", "type"}


def gcode_store(message, kind):
    store.append({"message": message, "time": time.time(), "type": kind})
    del store[:-1000]


def respond(args):
    """RESPOND's arguments, as Klipper's respond module reads them."""
    m = re.search(r'\bMSG=("([^"]*)"|(\S*))', args, re.I)
    msg = (m.group(2) if m.group(2) is not None else m.group(3)) if m else ""
    t = re.search(r"\bTYPE=(\w+)", args, re.I)
    prefix = {"echo": "echo:", "command": "//", "error": "!!"}.get(
        t.group(1).lower() if t else "echo", "echo:")
    gcode_store("%s %s" % (prefix, msg), "response")
log = hostmodel.start_log(args.log)


class Klipper:
    def __init__(self):
        self.webhooks = "ready"
        self.message = "Printer is ready"
        self.reset()
        self.hold_at = 0
        self.hold_marker = 0
        self.ext = [25.0, 0.0]
        self.bed = [25.0, 0.0]

    def reset(self):
        self.state = "standby"
        self.filename = ""
        self.pmsg = ""
        self.pos = 0
        self.layer = None
        self.total = None
        self.held = False
        self.foreign = False
        self.markers = 0
        self.marker_seen = False

    def run_line(self, line):
        line = line.split(";", 1)[0].strip()
        m = re.match(r"RESPOND\b(.*)", line, re.I)
        if m:
            respond(m.group(1))
            return
        m = re.match(r"SET_PRINT_STATS_INFO\b(.*)", line, re.I)
        if m:
            for k, v in re.findall(r"(\w+)=(\d+)", m.group(1)):
                if k.upper() == "TOTAL_LAYER":
                    self.total = int(v)
                elif k.upper() == "CURRENT_LAYER":
                    self.layer = int(v)
                    log("layer", v)
                    if self.hold_at and int(v) == self.hold_at:
                        self.held = True
                        log("held", v)
            return
        if line.upper() == "TURN_OFF_HEATERS":
            self.ext[1] = self.bed[1] = 0.0
            return
        m = re.match(r"M(104|109|140|190)\b.*\bS([0-9.]+)", line)
        if m:
            t = float(m.group(2))
            h = self.ext if m.group(1) in ("104", "109") else self.bed
            h[0] = h[1] = t

    def marker(self, line):
        """The test's hold at a slicer's marker (not Klipper's doing)."""
        if line.startswith(";LAYER:"):
            self.markers += 1
            self.marker_seen = self.markers == self.hold_marker
        elif self.marker_seen and line.split(";", 1)[0].strip():
            self.marker_seen = False
            self.held = True
            log("held", self.markers)

    def tick(self):
        if self.state != "printing" or self.held or self.foreign:
            return
        data = files.get(self.filename)
        if data is None:
            return
        end = min(len(data), self.pos + args.rate)
        nl = data.rfind(b"\n", self.pos, end)
        if nl >= 0 and end < len(data):
            end = nl + 1
        # A print held at a layer stops just after the line that began
        # it, as Klipper's queue would at a pause.
        for raw in data[self.pos:end].splitlines(keepends=True):
            self.marker(raw.decode("utf-8", "replace"))
            self.run_line(raw.decode("utf-8", "replace"))
            self.pos += len(raw)
            if printed:
                printed.write(raw)
                printed.flush()
            if self.held:
                break
        if self.pos >= len(data):
            self.state = "complete"
            log("complete", self.filename)

    def shutdown(self, message):
        self.webhooks = "shutdown"
        self.message = message
        if self.state in ("printing", "paused"):
            self.state = "error"
            self.pmsg = message
        self.ext[1] = self.bed[1] = 0.0
        log("shutdown", message)

    def status(self, objs):
        size = len(files.get(self.filename, b""))
        all_ = {
            "webhooks": {"state": self.webhooks,
                         "state_message": self.message},
            "print_stats": {
                "filename": self.filename, "total_duration": 0.0,
                "print_duration": 0.0, "filament_used": 0.0,
                "state": self.state, "message": self.pmsg,
                "info": {"total_layer": self.total,
                         "current_layer": self.layer}},
            "virtual_sdcard": {
                "file_path": ("/home/pi/printer_data/gcodes/" + self.filename)
                if self.filename else None,
                "progress": (self.pos / size) if size else 0.0,
                "is_active": self.state == "printing",
                "file_position": self.pos, "file_size": size},
            "display_status": {"progress": (self.pos / size) if size else
                               0.0, "message": None},
            "extruder": {"temperature": self.ext[0], "target": self.ext[1],
                         "power": 0.0},
            "heater_bed": {"temperature": self.bed[0], "target": self.bed[1],
                           "power": 0.0},
        }
        out = {}
        for name, attrs in objs.items():
            if name not in all_:
                continue
            o = all_[name]
            if attrs:
                o = {a: o[a] for a in attrs.split(",") if a in o}
            out[name] = o
        return {"eventtime": time.monotonic(), "status": out}


k = Klipper()


class Handler(hostmodel.Handler):
    with_body = ("POST", "DELETE")

    def authorize(self, method, path):
        if key is not None and self.headers.get("X-Api-Key") != key:
            log("unauthorized", method, path)
            raise Err(401, "Unauthorized")

    def error(self, e):
        return {"error": {"code": e.code, "message": e.message,
                          "traceback": ""}}

    def ready(self):
        if k.webhooks != "ready":
            raise Err(503, "Klippy Host not ready: %s" % k.message)

    def route(self, method, path, q, body):
        res, code = self.api(method, path, q, body)
        return code, {"result": res}

    def api(self, method, path, q, body):
        want = {
            "/server/files/upload": "POST",
            "/printer/print/start": "POST", "/printer/print/pause": "POST",
            "/printer/print/resume": "POST", "/printer/print/cancel": "POST",
            "/printer/emergency_stop": "POST",
            "/printer/firmware_restart": "POST",
            "/printer/gcode/script": "POST",
            "/printer/objects/query": "GET",
            "/server/gcode_store": "GET",
        }
        if path.startswith("/server/files/gcodes/"):
            if method != "DELETE":
                raise Err(405, "Method Not Allowed")
            return self.delete(urllib.parse.unquote(path[21:])), 200
        if path.startswith("/_model/") and method == "POST":
            return self.model(path[8:], q), 200
        if path not in want:
            raise Err(404, "Not Found")
        if want[path] != method:
            raise Err(405, "Method Not Allowed")
        if path == "/server/files/upload":
            return self.upload(body), 201
        if path == "/server/gcode_store":
            n = int(q.get("count", ["100"])[0])
            return {"gcode_store": store[-n:] if n > 0 else []}, 200
        if path == "/printer/objects/query":
            if not q:
                raise Err(400, "No objects provided")
            return k.status({n: v[0] for n, v in q.items()}), 200
        if path == "/printer/emergency_stop":
            k.shutdown("Shutdown due to webhooks request")
            return "ok", 200
        if path == "/printer/firmware_restart":
            k.webhooks, k.message = "ready", "Printer is ready"
            if k.state == "error":
                k.reset()
            log("restart")
            return "ok", 200
        self.ready()
        if path == "/printer/gcode/script":
            s = one(q, "script")
            gcode_store(s, "command")
            for line in s.splitlines():
                k.run_line(line)
            log("script", s.replace("\n", "|"))
            return "ok", 200
        if path == "/printer/print/start":
            return self.start(one(q, "filename")), 200
        return self.job(path.rsplit("/", 1)[1]), 200

    def upload(self, body):
        parts = multipart(self.headers.get("Content-Type"), body)
        if "file" not in parts or not parts["file"][0]:
            raise Err(400, "No file name specifed in upload form")
        root = parts.get("root", (None, b"gcodes"))[1].decode()
        if root != "gcodes":
            raise Err(400, "Invalid root request: %s" % root)
        name, data = parts["file"]
        if "/" in name or name.startswith("."):
            raise Err(400, "Invalid file name: %s" % name)
        if "checksum" in parts:
            want = parts["checksum"][1].decode().lower()
            got = hashlib.sha256(data).hexdigest()
            if want != got:
                log("checksum-mismatch", name)
                raise Err(422, "File checksum mismatch: expected %s, "
                          "calculated %s" % (want, got))
        if k.filename == name and k.state in ("printing", "paused"):
            raise Err(403, "File is loaded, upload not permitted")
        files[name] = data
        log("upload", name, len(data), "checksum" in parts)
        return {"item": {"path": name, "root": "gcodes",
                         "modified": time.time(), "size": len(data),
                         "permissions": "rw"},
                "print_started": False, "print_queued": False,
                "action": "create_file"}

    def start(self, name):
        if name not in files:
            raise Err(404, "File does not exist: %s" % name)
        if k.state in ("printing", "paused"):
            raise Err(400, "SD busy")
        k.reset()
        k.filename, k.state = name, "printing"
        log("start", name)
        return "ok"

    def job(self, what):
        if what == "pause":
            if k.state == "printing":
                k.state = "paused"
                log("paused")
        elif what == "resume":
            if k.state == "paused":
                k.state = "printing"
                log("resumed")
        elif what == "cancel":
            if k.state in ("printing", "paused"):
                k.state = "cancelled"
                log("cancelled", k.filename)
        return "ok"

    def delete(self, name):
        if name not in files:
            raise Err(404, "File does not exist: gcodes/%s" % name)
        if k.filename == name and k.state in ("printing", "paused"):
            raise Err(403, "File currently in use")
        del files[name]
        log("delete", name)
        return {"item": {"path": name, "root": "gcodes"},
                "action": "delete_file"}

    def model(self, what, q):
        if what == "shutdown":
            k.shutdown(one(q, "message"))
        elif what == "foreign":
            k.reset()
            k.filename, k.state, k.foreign = one(q, "filename"), \
                "printing", True
            log("foreign", k.filename)
        elif what == "finish":
            k.state = "complete"
            k.foreign = False
            log("finish")
        elif what == "blackout":
            blackout[0] = int(one(q, "requests"))
        elif what == "hold":
            if "marker" in q:
                k.hold_marker = int(one(q, "marker"))
            else:
                k.hold_at = int(one(q, "layer"))
        elif what == "release":
            k.held = False
            k.hold_at = int(q["next"][0]) if "next" in q else 0
            k.hold_marker = 0
            log("release")
        else:
            raise Err(404, "Not Found")
        return "ok"


hostmodel.serve(Handler, args, k.tick)
