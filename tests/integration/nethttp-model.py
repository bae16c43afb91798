#!/usr/bin/python3
# nethttp-model.py - a host for the network backends' HTTP side
# (nethttp.sh, netreq): authentication as RFC 7616 and RFC 7617 say, a
# raw and a multipart upload, an answer too big, the hosts' errors.
#
#   nethttp-model.py --user U --password P [--api-key-file F] LOG PORTFILE
#
#   GET  /digest   HTTP digest (MD5, qop=auth): 401 with a challenge
#                  until the response is right
#   GET  /basic    HTTP basic
#   GET  /key      X-Api-Key (401 without, 403 wrong)
#   GET  /session  X-Session-Key must be "s3ss"
#   PUT  /raw      digest, and a Content-Length body, no chunks, with
#                  X-Upload: yes; logs "put SIZE SHA256"
#   POST /form     multipart with file and print: logs "form SIZE SHA256"
#   GET  /big      an answer of 2 MiB
#   GET  /busy     409 {"title": "Conflict", "message": "printer busy"}
#   GET  /text     500 with a short text body
#   GET  /hang     logs "hang" and never answers (for a minute): a host
#                  that took the connection and went silent
import argparse
import base64
import hashlib
import os
import re
import secrets
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostmodel  # noqa: E402
from hostmodel import HostError, multipart  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--user", required=True)
ap.add_argument("--password", required=True)
hostmodel.add_args(ap)
args = ap.parse_args()
key = hostmodel.read_key(args.api_key_file)
log = hostmodel.start_log(args.log)
REALM = "gspool-test"
nonces = set()


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


class Handler(hostmodel.Handler):
    def authorize(self, method, path):
        pass

    def error(self, e):
        return {"title": "Error", "message": e.message}

    def send_json(self, code, obj):
        if code is None:
            return      # answered already
        if code == 401 and getattr(self, "challenge", None):
            body = b'{"message": "Unauthorized"}'
            self.send_response(401)
            self.send_header("WWW-Authenticate", self.challenge)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.challenge = None
            return
        hostmodel.Handler.send_json(self, code, obj)

    def digest(self, method, path):
        nonce = secrets.token_hex(16)
        nonces.add(nonce)
        self.challenge = ('Digest realm="%s", qop="auth", algorithm=MD5, '
                          'nonce="%s"' % (REALM, nonce))
        a = self.headers.get("Authorization", "")
        if not a.startswith("Digest "):
            log("digest-challenge", method, path)
            raise HostError(401, "Unauthorized")
        f = {k: v1 or v2 for k, v1, v2 in
             re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', a[7:])}
        if f.get("username") != args.user or f.get("realm") != REALM or \
                f.get("nonce") not in nonces or f.get("uri") != self.path \
                or f.get("qop") != "auth":
            log("digest-refused", method, path)
            raise HostError(401, "Unauthorized")
        ha1 = md5("%s:%s:%s" % (args.user, REALM, args.password))
        ha2 = md5("%s:%s" % (method, f["uri"]))
        want = md5(":".join([ha1, f["nonce"], f.get("nc", ""),
                             f.get("cnonce", ""), "auth", ha2]))
        if f.get("response") != want:
            log("digest-wrong", method, path)
            raise HostError(401, "Unauthorized")
        self.challenge = None

    def basic(self):
        want = "Basic " + base64.b64encode(
            ("%s:%s" % (args.user, args.password)).encode()).decode()
        if self.headers.get("Authorization") != want:
            self.challenge = 'Basic realm="%s"' % REALM
            raise HostError(401, "Unauthorized")

    def route(self, method, path, q, body):
        if path == "/digest" and method == "GET":
            self.digest(method, path)
            return 200, {"ok": "digest"}
        if path == "/basic" and method == "GET":
            self.basic()
            return 200, {"ok": "basic"}
        if path == "/key" and method == "GET":
            got = self.headers.get("X-Api-Key")
            if got is None:
                raise HostError(401, "Unauthorized")
            if got != key:
                raise HostError(403, "Forbidden")
            return 200, {"ok": "key"}
        if path == "/session" and method == "GET":
            if self.headers.get("X-Session-Key") != "s3ss":
                raise HostError(401, "no session")
            return 200, {"ok": "session"}
        if path == "/raw" and method == "PUT":
            self.digest(method, path)
            if self.headers.get("X-Upload") != "yes":
                raise HostError(400, "no X-Upload")
            if len(body) != int(self.headers.get("Content-Length", -1)):
                raise HostError(400, "short body")
            log("put", len(body), hashlib.sha256(body).hexdigest())
            return 201, None
        if path == "/form" and method == "POST":
            parts = multipart(self.headers.get("Content-Type"), body)
            if "file" not in parts or parts.get("print", (0, b""))[1] != \
                    b"true":
                raise HostError(400, "no file, or no print")
            data = parts["file"][1]
            log("form", len(data), hashlib.sha256(data).hexdigest())
            return 201, {"done": True}
        if path == "/big":
            return 200, {"big": "x" * (2 << 20)}
        if path == "/busy":
            raise HostError(409, "printer busy")
        if path == "/hang":
            log("hang", method, path)
            time.sleep(60)
            raise HostError(504, "the model hung")
        if path == "/text":
            self.send_response(500)
            self.send_header("Content-Length", "9")
            self.end_headers()
            self.wfile.write(b"it broke\n")
            return None, None
        raise HostError(404, "Not Found")

    def handle_any(self, method):
        self.challenge = None
        hostmodel.Handler.handle_any(self, method)


hostmodel.serve(Handler, args, lambda: None)
