#!/usr/bin/python3
# web-hostile.py PORT KEY TEST: hostile HTTP clients for web-hostile.sh,
# each printing what it saw ("ok ..." or "bad ...").
import socket, sys, time

port, key, test = int(sys.argv[1]), sys.argv[2], sys.argv[3]

def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    return s

def status_of(data):
    line = data.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) > 1 else 0

def ask(raw):
    s = conn()
    s.sendall(raw)
    data = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
            if b"\r\n\r\n" in data and b"Content-Length" not in data:
                break
    except socket.timeout:
        pass
    s.close()
    return data

if test == "slowloris":
    # Half a request line, then nothing: gwebd closes the connection at
    # its timeout; meanwhile another client is served.
    s = conn()
    s.sendall(b"GET /api/version HTTP/1.1\r\nHost: x\r\nX-Api-")
    r = ask(b"GET /api/version HTTP/1.1\r\nHost: x\r\nX-Api-Key: " +
            key.encode() + b"\r\nConnection: close\r\n\r\n")
    print("ok served" if status_of(r) == 200 else "bad not served %r" % r[:80])
    try:
        b = s.recv(100)
        print("ok closed" if b == b"" or status_of(b) >= 400 else
              "bad answered %r" % b[:80])
    except socket.timeout:
        print("bad still open")
elif test == "trickle":
    # A header a byte at a time, never ending: cut when it passes
    # max_header, or closed at the timeout.
    s = conn()
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: ")
    closed = False
    try:
        for i in range(40000):
            s.sendall(b"a" * 8)
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    try:
        b = s.recv(200)
        closed = True
        print("ok cut %d" % (status_of(b) if b else 0))
    except (socket.timeout, ConnectionResetError):
        print("ok cut 0" if closed else "bad still open")
elif test == "dribble":
    # A header a byte a second, under the idle timeout (2 s) and far
    # from max_header: cut once its headers are not complete after
    # request_time (3 s), by the sweep of each second, so before the
    # client has sent request_time + 2 bytes past the first; meanwhile
    # another client is served.
    s = conn()
    s.settimeout(1)
    s.sendall(b"G")
    served = False
    sent, closed = 0, False
    for c in b"ET /api/version HTTP/1.1\r\nHost: x\r\nX-Dribble: " + b"a" * 60:
        try:
            b = s.recv(200)
            if b == b"" or status_of(b) >= 400:
                closed = True
                break
        except socket.timeout:
            pass    # the client's pace: a byte a second
        except ConnectionResetError:
            closed = True
            break
        if not served:
            r = ask(b"GET /api/version HTTP/1.1\r\nHost: x\r\nX-Api-Key: " +
                    key.encode() + b"\r\nConnection: close\r\n\r\n")
            served = status_of(r) == 200
        try:
            s.sendall(bytes([c]))
            sent += 1
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
    print("ok served" if served else "bad not served")
    print("ok cut after %d bytes" % sent if closed and sent <= 3 + 2 else
          "bad %s after %d bytes" % ("cut" if closed else "still open", sent))
elif test == "flood":
    # 200 connections from one address, each asking once: only
    # max_per_address are served at once, the rest refused.
    socks, served, refused = [], 0, 0
    for i in range(200):
        try:
            s = conn()
            s.sendall(b"GET /api/version HTTP/1.1\r\nHost: x\r\nX-Api-Key: " +
                      key.encode() + b"\r\n\r\n")
            socks.append(s)
        except OSError:
            refused += 1
    for s in socks:
        try:
            b = s.recv(4096)
            if b and status_of(b) == 200:
                served += 1
            else:
                refused += 1
        except (socket.timeout, OSError):
            refused += 1
    for s in socks:
        s.close()
    print("served=%d refused=%d" % (served, refused))
elif test == "slowbody":
    # A body a byte every half second, under the idle timeout: cut off
    # at request_time, the connection closed.
    s = conn()
    s.sendall(b"POST /api/gspool/jobs/1/cancel HTTP/1.1\r\nHost: x\r\n"
              b"X-Api-Key: " + key.encode() + b"\r\nContent-Type: "
              b"application/x-www-form-urlencoded\r\nContent-Length: 4000"
              b"\r\n\r\n")
    sent = 0
    try:
        while sent < 4000:
            s.sendall(b"a")
            sent += 1
            time.sleep(0.5)   # the client's pace, not a synchronisation
    except (BrokenPipeError, ConnectionResetError):
        pass
    print("ok cut after %d bytes" % sent if sent < 4000 else "bad not cut")
elif test == "badmultipart":
    body = (b"--XX\r\nContent-Disposition: form-data; name=\"file\"; "
            b"filename=\"a.gcode\"\r\n\r\nG28\r\n")  # no closing boundary
    r = ask(b"POST /api/gspool/upload HTTP/1.1\r\nHost: x\r\nX-Api-Key: " +
            key.encode() + b"\r\nContent-Type: multipart/form-data; "
            b"boundary=XX\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
            % len(body) + body)
    print("status=%d" % status_of(r))
    print(r.split(b"\r\n\r\n", 1)[-1].decode(errors="replace"))
