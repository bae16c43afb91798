#!/usr/bin/python3
# notify-receiver.py - the receivers of notify-apprise.sh, on loopback:
#
#   notify-receiver.py http DIR PORTFILE   records each request
#   notify-receiver.py hang DIR PORTFILE   accepts, reads, never answers
#   notify-receiver.py smtp DIR PORTFILE   an SMTP server (aiosmtpd)
#
# Each request (or mail) is written to DIR/N.req (N from 1, written to a
# temporary name and renamed, so that a file that exists is whole): the
# request line and headers, an empty line, the body.  hang writes
# DIR/N.held once it holds a connection, reads what comes, never
# answers, and writes DIR/N.closed when the client gives up.  The port
# is written to PORTFILE (renamed into place) once it listens.
import http.server
import os
import socket
import sys
import threading
import time

mode, out, portfile = sys.argv[1], sys.argv[2], sys.argv[3]
count = 0
lock = threading.Lock()


def record(name, data, n=None):
    global count
    if n is None:
        with lock:
            count += 1
            n = count
    tmp = os.path.join(out, ".%d.%s.tmp" % (n, name))
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, os.path.join(out, "%d.%s" % (n, name)))
    return n


def ready(port):
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(portfile + ".tmp", portfile)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        head = ("%s %s\r\n" % (self.command, self.path)).encode() + \
            bytes(self.headers)
        record("req", head + body)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


if mode == "http":
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ready(srv.server_address[1])
    srv.serve_forever()
elif mode == "hang":
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    ready(s.getsockname()[1])
    def hold(c, n):
        while c.recv(65536):
            pass
        record("closed", b"", n)

    while True:
        c, _ = s.accept()
        n = record("held", b"")
        threading.Thread(target=hold, args=(c, n), daemon=True).start()
elif mode == "smtp":
    from aiosmtpd.controller import Controller

    class Mail:
        async def handle_DATA(self, server, session, envelope):
            record("req", ("MAIL FROM:%s RCPT TO:%s\r\n" % (
                envelope.mail_from, ",".join(envelope.rcpt_tos))).encode() +
                envelope.content)
            return "250 OK"

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    ctl = Controller(Mail(), hostname="127.0.0.1", port=port)
    ctl.start()
    ready(port)
    while True:
        time.sleep(3600)
else:
    sys.exit("notify-receiver.py: unknown mode %s" % mode)
