# hostmodel.py - what the models of printer hosts' HTTP APIs share
# (moonraker-model.py, octoprint-model.py, prusalink-model.py,
# duet-model.py, nethttp-model.py): the server on loopback (http or
# https, its port written to a file once it listens), the log a test
# waits on, the error a request ends with, a strict multipart parser, a
# printer's clock, and a network that drops requests ("blackout").
#
# A model subclasses Handler and gives:
#   route(method, path, query, body) -> (code, object, Raw or None)
#   error(e)                  -> the host's error body for a HostError
#   authorize(method, path)   -> raises HostError if the key is not right
# and may give body() (the request's body, for reads_body(method, path)).
# It runs serve(Handler, args, tick) with the arguments of add_args();
# a model with more than one listener, or one that comes and goes,
# builds on listen(), start_ticker() and write_ports() instead.
import http.server
import json
import os
import re
import ssl
import threading
import time
import urllib.parse


def add_args(ap, key=True, tls=True):
    """The options every model takes; --api-key-file and --tls unless
    the host knows no key or no TLS (key=False, tls=False)."""
    ap.add_argument("--port", type=int, default=0)
    if key:
        ap.add_argument("--api-key-file")
    ap.add_argument("--rate", type=int, default=400)
    ap.add_argument("--tick", type=float, default=0.05)
    if tls:
        ap.add_argument("--tls", nargs=2)
    ap.add_argument("log")
    ap.add_argument("portfile")


def read_key(path):
    if not path:
        return None
    with open(path) as f:
        return f.readline().strip()


class HostError(Exception):
    """A request's end: its HTTP code, the host's words, and headers
    the answer carries (a challenge)."""

    def __init__(self, code, message, headers=()):
        Exception.__init__(self, message)
        self.code = code
        self.message = message
        self.headers = headers


class Raw:
    """An answer that is not JSON: bytes of the content type given."""

    def __init__(self, body, ctype="text/plain"):
        self.body = body
        self.ctype = ctype


class Log:
    """The model's log: a line an event, whole (threads log outside
    the host's lock too) and flushed, for a test to wait on."""

    def __init__(self, path):
        self.f = open(path, "a")
        self.lock = threading.Lock()

    def __call__(self, *words):
        with self.lock:
            self.f.write(" ".join(str(w) for w in words) + "\n")
            self.f.flush()


lock = threading.Lock()     # the host's state: one request or tick at once
blackout = [0]              # requests still to drop
log = None


def multipart(ctype, body):
    """The parts of a multipart/form-data body: name -> (filename, data).
    Anything malformed is a 400, as a real host's parser refuses it."""
    m = re.search(r'boundary="?([^";]+)"?', ctype or "")
    if not ctype or not ctype.startswith("multipart/form-data") or not m:
        raise HostError(400, "Request is not multipart/form-data")
    sep = b"--" + m.group(1).encode()
    parts = {}
    chunks = body.split(sep)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise HostError(400, "Malformed multipart body")
    for c in chunks[1:-1]:
        if not c.startswith(b"\r\n") or not c.endswith(b"\r\n"):
            raise HostError(400, "Malformed multipart part")
        head, _, data = c[2:-2].partition(b"\r\n\r\n")
        disp = re.search(rb'Content-Disposition: form-data; name="([^"]*)"'
                         rb'(?:; filename="([^"]*)")?', head, re.I)
        if not disp:
            raise HostError(400, "A part without its Content-Disposition")
        name = disp.group(1).decode()
        fn = disp.group(2).decode() if disp.group(2) is not None else None
        if name in parts:
            raise HostError(400, "Part %s given twice" % name)
        parts[name] = (fn, data)
    return parts


def one(q, name):
    """A query's one required argument."""
    v = q.get(name)
    if not v or v[0] == "":
        raise HostError(400, "No data for argument: %s" % name)
    return v[0]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    with_body = ("POST", "PUT", "DELETE")

    def log_message(self, fmt, *a):
        pass

    json_type = "application/json; charset=UTF-8"

    def send_json(self, code, obj, headers=()):
        """The answer: obj as JSON, a Raw as it is, None no body."""
        if isinstance(obj, Raw):
            body, ctype = obj.body, obj.ctype
        elif obj is not None:
            body, ctype = json.dumps(obj).encode(), self.json_type
        else:
            body, ctype = b"", None
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        if ctype is not None:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def reads_body(self, method, path):
        return method in self.with_body

    def body(self):
        if self.headers.get("Transfer-Encoding"):
            raise HostError(400, "chunked bodies are not taken here")
        n = self.headers.get("Content-Length")
        if n is None:
            return b""
        if not n.isdigit():
            raise HostError(400, "Bad Content-Length")
        return self.rfile.read(int(n))

    def json_body(self, body):
        ct = self.headers.get("Content-Type", "")
        if not ct.startswith("application/json"):
            raise HostError(400, "Expected content-type JSON")
        try:
            obj = json.loads(body)
        except ValueError:
            raise HostError(400, "Malformed JSON body in request")
        if not isinstance(obj, dict):
            raise HostError(400, "Malformed JSON body in request")
        return obj

    def handle_any(self, method):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        own = u.path.startswith("/_model/")
        try:
            body = self.body() if self.reads_body(method, u.path) else b""
            if blackout[0] > 0 and not own:
                blackout[0] -= 1
                log("dropped", method, u.path)
                self.close_connection = True
                return
            if not own:
                self.authorize(method, u.path)
            with lock:
                code, obj = self.route(method, u.path, q, body)
            self.send_json(code, obj)
        except HostError as e:
            if e.headers:
                self.send_json(e.code, self.error(e), e.headers)
            else:
                self.send_json(e.code, self.error(e))
        except Exception as e:
            # A fault of the model's own: an answer, and the test sees it.
            log("model-fault", method, u.path, repr(e))
            self.send_json(500, self.error(HostError(500, repr(e))))

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")


class Server(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


def start_log(path):
    global log
    log = Log(path)
    return log


def listen(handler, port, tls=None):
    """A server on loopback's port (0: the kernel picks), https with
    tls's (certificate, key) when given; not serving yet."""
    srv = Server(("127.0.0.1", port), handler)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls[0], tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    return srv


def start_ticker(args, tick):
    """tick() every args.tick seconds, under the host's lock."""
    def ticker():
        while True:
            time.sleep(args.tick)
            with lock:
                tick()

    threading.Thread(target=ticker, daemon=True).start()


def write_ports(path, *ports):
    """The ports, a line each, to path, whole (a test waits for the
    file), and the first to the log."""
    with open(path + ".tmp", "w") as f:
        f.write("".join("%d\n" % p for p in ports))
    os.rename(path + ".tmp", path)
    log("listening", ports[0])


def serve(handler, args, tick):
    """Listen, tick the printer every args.tick seconds, write the port
    to args.portfile, serve."""
    srv = listen(handler, args.port, getattr(args, "tls", None))
    start_ticker(args, tick)
    write_ports(args.portfile, srv.server_address[1])
    srv.serve_forever()
