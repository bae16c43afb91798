#!/usr/bin/python3
# octoprint-model.py - an OctoPrint server with a printer behind it, for
# the tests of the octoprint backend, on loopback:
#
#   octoprint-model.py [options] LOG PORTFILE
#
#   --port N          listen on N (0: the kernel picks)
#   --api-key-file F  require X-Api-Key with F's first line (401 without
#                     a key, 403 with a wrong one)
#   --rate N          bytes of the file printed per tick (--tick seconds)
#   --tls CERT KEY    https, with this certificate
#
# Written from OctoPrint's REST API documentation (docs.octoprint.org,
# "REST API"), implementing what the backend uses, as strictly as the
# real server: errors are {"error": "..."}; an unknown endpoint is 404, a
# wrong method 405, a malformed request 400, a request that the printer's
# state does not allow 409.
#
#   GET    /api/version              {"api", "server", "text"}
#   GET    /api/connection           {"current": {"state", ...}, "options"}
#   POST   /api/connection           {"command": "connect"|"disconnect"}
#   POST   /api/files/local          multipart: file (required), select,
#                                    print ("true"): 201 {"files": {"local":
#                                    ...}, "done": true}; 409 when it would
#                                    overwrite the file printing, or print
#                                    while the printer is not operational
#                                    or busy
#   DELETE /api/files/local/NAME     204 (404 unknown, 409 while printing)
#   GET    /api/job                  {"job", "progress", "state"[, "error"]}
#   POST   /api/job                  {"command": "start"|"cancel"|"restart"
#                                    |"pause", "action": "pause"|"resume"|
#                                    "toggle"}: 204, or 409 when the state
#                                    does not allow it
#   GET    /api/printer              ?exclude=temperature,sd,state: 409 when
#                                    the printer is not operational
#   POST   /api/printer/command      {"command": L} or {"commands": [L...]}
#   GET    /api/plugin/action_command_prompt
#                                    the bundled Action Command Prompt
#                                    plugin's prompt: {"text", "choices"},
#                                    or {} when there is none (404 with
#                                    the plugin disabled)
#   POST   /api/plugin/action_command_prompt
#                                    {"command": "select", "choice": N}:
#                                    204, the prompt closed and M876 SN
#                                    sent to the printer; 409 with no
#                                    prompt, 400 for a choice it does not
#                                    have (or with the plugin disabled)
#
# The plugin (docs.octoprint.org, "Action Command Prompt support", and
# its source) follows the firmware's //action:prompt_begin MESSAGE,
# prompt_choice (or prompt_button) TEXT, prompt_show and prompt_end: a
# begin while a prompt is shown is ignored, as are choices and a show
# after it is shown, and anything before a begin.  Its GET answers the
# prompt begun, shown or not yet; prompt_end, or the printer
# disconnecting, closes it.
#
# States (/api/job's "state"): Offline, Operational, Printing, Pausing,
# Paused, Cancelling, Error.  A print advances --rate bytes a tick;
# Pausing becomes Paused and Cancelling Operational one tick later; a
# print that reaches its end leaves the printer Operational with the file
# still selected and its completion 100.  M104/M109 and M140/M190 in the
# file or in a command set the heaters' targets (reached at once).
#
# The model's own controls, for the tests (no OctoPrint endpoint):
#   POST /_model/hold?percent=P       the print stops advancing at P %
#   POST /_model/release              and goes on
#   POST /_model/foreign?filename=F   a print started by someone else
#   POST /_model/finish               that print completes
#   POST /_model/race?filename=F      the next upload finds a print of F
#                                     just started by someone else
#   POST /_model/error?message=M      the printer fails: state Error
#   POST /_model/blackout?requests=N  the next N requests are dropped
#                                     unanswered; the printer prints on
#   POST /_model/action?line=L[&line=L...]
#                                     the firmware sends //action:L for
#                                     each, at once (a prompt's lines, as
#                                     a runout or M600 sends them)
#   POST /_model/plugin?enabled=B     the prompt plugin enabled or not
#
# Each event is a line of LOG (flushed), so that a test waits for it.
import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostmodel  # noqa: E402
from hostmodel import HostError, multipart, one  # noqa: E402

ap = argparse.ArgumentParser()
hostmodel.add_args(ap)
args = ap.parse_args()

key = hostmodel.read_key(args.api_key_file)
log = hostmodel.start_log(args.log)
files = {}      # name -> bytes
ACTIVE = ("Printing", "Pausing", "Paused", "Cancelling")


class Printer:
    def __init__(self):
        self.state = "Operational"
        self.error = None
        self.file = None        # the selected file's name
        self.pos = 0
        self.started = None
        self.hold = None        # percent
        self.held = False
        self.foreign = False
        self.race = None
        self.tool = [25.0, 0.0]
        self.bed = [25.0, 0.0]

    def operational(self):
        return self.state not in ("Offline", "Error")

    def run_line(self, line):
        m = re.match(r"M(104|109|140|190)\b.*\bS([0-9.]+)",
                     line.split(";", 1)[0].strip())
        if m:
            h = self.tool if m.group(1) in ("104", "109") else self.bed
            h[0] = h[1] = float(m.group(2))

    def begin(self, name, foreign=False):
        self.file, self.pos, self.state = name, 0, "Printing"
        self.started = time.monotonic()
        self.foreign, self.held = foreign, False

    def tick(self):
        if self.state == "Pausing":
            self.state = "Paused"
            log("paused")
        elif self.state == "Cancelling":
            self.state = "Operational"
            log("cancelled", self.file)
        if self.state != "Printing" or self.held or self.foreign:
            return
        data = files.get(self.file, b"")
        end = min(len(data), self.pos + args.rate)
        nl = data.rfind(b"\n", self.pos, end)
        if nl >= 0 and end < len(data):
            end = nl + 1
        if self.hold is not None and len(data):
            stop = len(data) * self.hold // 100
            if self.pos < stop <= end:
                end = stop
                self.held = True
                log("held", self.hold)
        for line in data[self.pos:end].decode("utf-8", "replace").splitlines():
            self.run_line(line)
        self.pos = end
        if self.pos >= len(data):
            self.state = "Operational"
            log("done", self.file)

    def job(self):
        size = len(files.get(self.file, b"")) if self.file else None
        f = {"name": self.file, "path": self.file, "display": self.file,
             "origin": "local" if self.file else None, "size": size,
             "date": 1700000000 if self.file else None}
        prog = {"completion": None, "filepos": None, "printTime": None,
                "printTimeLeft": None, "printTimeLeftOrigin": None}
        if self.file and (self.state in ACTIVE or self.pos):
            t = time.monotonic() - (self.started or time.monotonic())
            prog = {"completion": 100.0 * self.pos / size if size else 0.0,
                    "filepos": self.pos, "printTime": int(t),
                    "printTimeLeft": int(t * (size - self.pos) / self.pos)
                    if self.pos else None,
                    "printTimeLeftOrigin": "linear"}
        out = {"job": {"file": f, "estimatedPrintTime": None,
                       "lastPrintTime": None,
                       "filament": None},
               "progress": prog, "state": self.state}
        if self.state == "Error":
            out["error"] = self.error
        return out


class PromptPlugin:
    """The bundled action_command_prompt plugin, as its source has it."""

    def __init__(self):
        self.enabled = True
        self.prompt = None      # {"text", "choices", "active"}

    def action(self, line):
        if not self.enabled:
            return              # no handler of the action hook
        parts = line.split(None, 1)
        act, arg = parts[0], (parts[1] if len(parts) > 1 else "").strip()
        if act == "prompt_begin":
            if self.prompt is not None and self.prompt["active"]:
                log("prompt-ignored", line)
                return
            self.prompt = {"text": arg, "choices": [], "active": False}
        elif act in ("prompt_choice", "prompt_button"):
            if self.prompt is None or self.prompt["active"]:
                log("prompt-ignored", line)
                return
            self.prompt["choices"].append(arg)
        elif act == "prompt_show":
            if self.prompt is None or self.prompt["active"]:
                log("prompt-ignored", line)
                return
            self.prompt["active"] = True
            log("prompt-shown", self.prompt["text"],
                "|".join(self.prompt["choices"]))
        elif act == "prompt_end":
            if self.prompt is None:
                return
            self.prompt = None
            log("prompt-closed")

    def get(self):
        if not self.enabled:
            raise HostError(404, "Not Found")
        if self.prompt is None:
            return 200, {}
        return 200, {"text": self.prompt["text"],
                     "choices": list(self.prompt["choices"])}

    def command(self, req):
        if not self.enabled:
            raise HostError(400, "Bad Request")
        cmd = req.get("command")
        if cmd != "select":
            raise HostError(400, "command is invalid")
        if "choice" not in req:
            raise HostError(400, "Mandatory parameter choice missing for "
                            "command select")
        if self.prompt is None:
            raise HostError(409, "No active prompt")
        choice = req["choice"]
        if not isinstance(choice, int) or \
                not 0 <= choice < len(self.prompt["choices"]):
            log("select-refused", repr(choice))
            raise HostError(400, "%r is not a valid value for choice" %
                            (choice,))
        log("select", choice, self.prompt["choices"][choice])
        self.prompt = None
        log("printer M876 S%d" % choice)
        return 204, None


p = Printer()
plugin = PromptPlugin()


class Handler(hostmodel.Handler):
    def authorize(self, method, path):
        if key is None:
            return
        got = self.headers.get("X-Api-Key")
        if got is None:
            log("unauthorized", method, path)
            raise HostError(401, "Unauthorized")
        if got != key:
            log("forbidden", method, path)
            raise HostError(403, "Forbidden")

    def error(self, e):
        return {"error": e.message}

    def route(self, method, path, q, body):
        want = {
            "/api/version": ("GET",), "/api/connection": ("GET", "POST"),
            "/api/files/local": ("POST",), "/api/job": ("GET", "POST"),
            "/api/printer": ("GET",), "/api/printer/command": ("POST",),
            "/api/plugin/action_command_prompt": ("GET", "POST"),
        }
        if path.startswith("/_model/") and method == "POST":
            self.model(path[8:], q)
            return 204, None
        if path.startswith("/api/files/local/"):
            if method != "DELETE":
                raise HostError(405, "Method Not Allowed")
            return self.delete(path[17:])
        if path not in want:
            raise HostError(404, "Not Found")
        if method not in want[path]:
            raise HostError(405, "Method Not Allowed")
        if path == "/api/version":
            return 200, {"api": "0.1", "server": "1.10.2",
                         "text": "OctoPrint 1.10.2"}
        if path == "/api/connection":
            return self.api_connection(method, body)
        if path == "/api/files/local":
            return self.upload(body)
        if path == "/api/job":
            if method == "GET":
                return 200, p.job()
            return self.job_command(self.json_body(body))
        if path == "/api/printer":
            return self.printer(q)
        if path == "/api/plugin/action_command_prompt":
            if method == "GET":
                return plugin.get()
            return plugin.command(self.json_body(body))
        return self.printer_command(self.json_body(body))

    def api_connection(self, method, body):
        if method == "GET":
            return 200, {"current": {
                "state": p.state, "port": "/dev/ttyACM0"
                if p.state != "Offline" else None, "baudrate": 115200
                if p.state != "Offline" else None,
                "printerProfile": "_default"}, "options": {
                "ports": ["/dev/ttyACM0"], "baudrates": [115200],
                "printerProfiles": [{"id": "_default", "name": "Default"}],
                "portPreference": None, "baudratePreference": None,
                "printerProfilePreference": "_default", "autoconnect": False}}
        cmd = self.json_body(body).get("command")
        if cmd == "connect":
            p.state, p.error = "Operational", None
            log("connect")
        elif cmd == "disconnect":
            p.state = "Offline"
            plugin.prompt = None    # DISCONNECTED closes it
            log("disconnect")
        else:
            raise HostError(400, "Unknown command: %s" % cmd)
        return 204, None

    def upload(self, body):
        parts = multipart(self.headers.get("Content-Type"), body)
        if "file" not in parts or not parts["file"][0]:
            raise HostError(400, "No file included")
        name, data = parts["file"]
        if "/" in name or name.startswith(".") or \
                not name.endswith((".gcode", ".gco", ".g")):
            raise HostError(415, "Could not upload the file \"%s\", "
                            "invalid type" % name)
        flags = {}
        for f in ("select", "print"):
            v = parts.get(f, (None, b"false"))[1].decode()
            if v not in ("true", "false"):
                raise HostError(400, "Bad value for %s: %s" % (f, v))
            flags[f] = v == "true"
        if p.race is not None:
            files.setdefault(p.race, b"G28\n" * 1000)
            p.begin(p.race, foreign=True)
            log("foreign", p.race)
            p.race = None
        if p.file == name and p.state in ACTIVE:
            raise HostError(409, "Trying to overwrite file that is "
                            "currently being printed: %s" % name)
        if flags["print"] and not p.operational():
            raise HostError(409, "Printer is not operational, cannot "
                            "print %s" % name)
        if flags["print"] and p.state in ACTIVE:
            raise HostError(409, "Printer is already printing, cannot "
                            "print %s" % name)
        files[name] = data
        log("upload", name, len(data), "print=%s" % flags["print"])
        if flags["print"]:
            p.begin(name)
            log("start", name)
        elif flags["select"]:
            p.file, p.pos = name, 0
        url = "http://127.0.0.1/api/files/local/" + name
        return 201, {"files": {"local": {
            "name": name, "path": name, "display": name, "origin": "local",
            "refs": {"resource": url, "download": "http://127.0.0.1/"
                     "downloads/files/local/" + name}}},
            "done": True, "effectiveSelect": flags["select"] or
            flags["print"], "effectivePrint": flags["print"]}

    def delete(self, name):
        if name not in files:
            raise HostError(404, "File not found on 'local': %s" % name)
        if p.file == name and p.state in ACTIVE:
            raise HostError(409, "Trying to delete a file that is "
                            "currently being printed: %s" % name)
        del files[name]
        if p.file == name:
            p.file, p.pos = None, 0
        log("delete", name)
        return 204, None

    def job_command(self, req):
        cmd = req.get("command")
        if cmd not in ("start", "cancel", "restart", "pause"):
            raise HostError(400, "Unknown command: %s" % cmd)
        if not p.operational():
            raise HostError(409, "Printer is not operational")
        if cmd == "start":
            if p.state in ACTIVE:
                raise HostError(409, "Printer already has an active job")
            if p.file is None:
                raise HostError(409, "Printer has no file selected")
            p.begin(p.file)
            log("start", p.file)
        elif cmd == "cancel":
            if p.state not in ("Printing", "Paused", "Pausing"):
                raise HostError(409, "No active print job to cancel")
            p.state = "Cancelling"
            log("cancelling", p.file)
        elif cmd == "restart":
            if p.state != "Paused":
                raise HostError(409, "Printer is not paused")
            p.begin(p.file)
        else:
            action = req.get("action", "toggle")
            if action not in ("pause", "resume", "toggle"):
                raise HostError(400, "Unknown action: %s" % action)
            if p.state not in ("Printing", "Paused", "Pausing"):
                raise HostError(409, "Printer is neither printing nor "
                                "paused, 'pause' command cannot be "
                                "performed")
            if action == "toggle":
                action = "resume" if p.state == "Paused" else "pause"
            if action == "pause" and p.state == "Printing":
                p.state = "Pausing"
                log("pausing")
            elif action == "resume" and p.state == "Paused":
                p.state = "Printing"
                log("resumed")
        return 204, None

    def printer(self, q):
        if not p.operational():
            raise HostError(409, "Printer is not operational")
        ex = [e for e in ",".join(q.get("exclude", [])).split(",") if e]
        for e in ex:
            if e not in ("temperature", "sd", "state"):
                raise HostError(400, "Unknown exclude: %s" % e)
        out = {}
        if "temperature" not in ex:
            out["temperature"] = {
                "tool0": {"actual": p.tool[0], "target": p.tool[1],
                          "offset": 0},
                "bed": {"actual": p.bed[0], "target": p.bed[1],
                        "offset": 0}}
        if "sd" not in ex:
            out["sd"] = {"ready": False}
        if "state" not in ex:
            out["state"] = {"text": p.state, "flags": {
                "operational": p.operational(),
                "printing": p.state == "Printing",
                "paused": p.state == "Paused",
                "pausing": p.state == "Pausing",
                "cancelling": p.state == "Cancelling",
                "error": p.state == "Error", "ready": p.state ==
                "Operational", "closedOrError": not p.operational(),
                "sdReady": False}}
        return 200, out

    def printer_command(self, req):
        if "commands" in req:
            lines = req["commands"]
        elif "command" in req:
            lines = [req["command"]]
        else:
            raise HostError(400, "Need either command or commands")
        if not isinstance(lines, list) or not lines or \
                not all(isinstance(x, str) for x in lines):
            raise HostError(400, "commands must be a list of strings")
        if not p.operational():
            raise HostError(409, "Printer is not operational")
        for line in lines:
            if line.strip().upper().startswith("M112"):
                p.state, p.error = "Error", "Emergency stop (M112)"
                log("estop")
            p.run_line(line)
        log("command", "|".join(lines))
        return 204, None

    def model(self, what, q):
        if what == "hold":
            p.hold = int(one(q, "percent"))
        elif what == "release":
            p.hold, p.held = None, False
            log("release")
        elif what == "foreign":
            name = one(q, "filename")
            files.setdefault(name, b"G28\n" * 1000)
            p.begin(name, foreign=True)
            log("foreign", name)
        elif what == "finish":
            p.state, p.foreign = "Operational", False
            p.pos = len(files.get(p.file, b""))
            log("finish")
        elif what == "race":
            p.race = one(q, "filename")
        elif what == "error":
            p.state, p.error = "Error", one(q, "message")
            log("error", p.error)
        elif what == "blackout":
            hostmodel.blackout[0] = int(one(q, "requests"))
        elif what == "action":
            one(q, "line")
            for line in q["line"]:
                plugin.action(line)
        elif what == "plugin":
            plugin.enabled = one(q, "enabled") == "true"
            log("plugin", "enabled" if plugin.enabled else "disabled")
        else:
            raise HostError(404, "Not Found")


hostmodel.serve(Handler, args, p.tick)
