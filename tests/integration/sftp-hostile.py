# sftp-hostile.py HOST PORT KEY: a hostile client for gsftpd (run by
# sftp.sh with Debian's python3-paramiko).  Each attack must be refused;
# the script exits 1 listing any that was not.
import socket
import struct
import sys

import paramiko
from paramiko.sftp import CMD_EXTENDED, CMD_OPENDIR, CMD_CLOSE

host, port, keyfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
key = paramiko.Ed25519Key.from_private_key_file(keyfile)
failures = []


def connect():
    t = paramiko.Transport((host, port))
    t.connect(username="alice", pkey=key)
    return t


def refused(what, fn):
    try:
        fn()
    except (IOError, OSError, paramiko.SSHException, EOFError):
        return
    failures.append(what)


# Passwords are never accepted, even for a real account.
t = paramiko.Transport((host, port))
t.start_client()
refused("password login", lambda: t.auth_password("alice", "alice"))
t.close()
t = paramiko.Transport((host, port))
t.start_client()
refused("keyboard-interactive login", lambda: t.auth_interactive(
    "alice", lambda title, instructions, prompts: ["alice"] * len(prompts)))
t.close()

# No exec, shell, pty, forwarding, other subsystem or second channel.
for what, attack in [
    ("exec", lambda t: t.open_session().exec_command("id")),
    ("pty", lambda t: t.open_session().get_pty()),
    ("shell", lambda t: t.open_session().invoke_shell()),
    ("subsystem", lambda t: t.open_session().invoke_subsystem("netconf")),
    ("port forward", lambda t: t.request_port_forward("127.0.0.1", 0)),
    ("direct-tcpip", lambda t: t.open_channel(
        "direct-tcpip", ("127.0.0.1", port), ("127.0.0.1", 1))),
]:
    t = connect()
    refused(what, lambda: attack(t))
    t.close()
t = connect()
c1 = t.open_session()
c1.invoke_subsystem("sftp")
refused("second channel", lambda: t.open_session(timeout=10))
t.close()

# SFTP: escapes, links, writes outside drop/, handles, offsets.
t = connect()
sftp = paramiko.SFTPClient.from_transport(t)
refused("open ../", lambda: sftp.open("../etc/passwd"))
refused("open /drop/../..", lambda: sftp.open("/drop/../../etc/passwd"))
refused("listdir ..", lambda: sftp.listdir(".."))
refused("write outside drop", lambda: sftp.open("printers/x.gcode", "w"))
refused("symlink", lambda: sftp.symlink("/etc/passwd", "drop/link.gcode"))
refused("hardlink", lambda: sftp._request(
    CMD_EXTENDED, "hardlink@openssh.com", "queue.txt", "drop/h.gcode"))
refused("posix-rename out", lambda: sftp.posix_rename(
    "queue.txt", "drop/q.gcode"))
refused("mkdir", lambda: sftp.mkdir("drop/new"))
refused("remove printers", lambda: sftp.rmdir("printers/mk3"))
refused("chmod queue.txt", lambda: sftp.chmod("queue.txt", 0o777))


def far_write():
    f = sftp.open("drop/far.gcode", "w")
    f.seek(1 << 62)
    f.write(b"G28\n")
    f.close()


refused("write at 2^62", far_write)
# 256 handles at most: the 257th is refused, the others stay usable.
handles = []
try:
    for i in range(257):
        handles.append(sftp._request(CMD_OPENDIR, "printers")[1].get_binary())
    failures.append("257 open handles")
except IOError as e:
    if "too many open handles" not in str(e):
        failures.append("257th handle: %s" % e)
for h in handles:
    sftp._request(CMD_CLOSE, h)
if len(handles) != 256:
    failures.append("only %d handles" % len(handles))
sftp.close()
t.close()

# A connection dropped in the middle of an upload: the part written is
# discarded (sftp.sh checks that nothing of cut.gcode is left).
t = connect()
sftp = paramiko.SFTPClient.from_transport(t)
f = sftp.open("drop/cut.gcode", "w")
f.write(b"G28\nG1 X10 Y10\n" * 1000)
f.flush()
t.sock.close()
t.close()


def raw_sftp():
    t = connect()
    ch = t.open_session()
    ch.invoke_subsystem("sftp")
    ch.sendall(struct.pack(">IBI", 5, 1, 3))     # INIT, version 3
    ch.settimeout(30)
    ch.recv(4096)                                # VERSION
    return t, ch


def closed(ch):
    try:
        while True:
            if ch.recv(4096) == b"":
                return True
    except socket.timeout:
        return False
    except (EOFError, OSError, paramiko.SSHException):
        return True


# Malformed: an unknown packet type, then a string longer than its
# packet.  The server ends that connection, nothing else.
for what, pkt in [
    ("unknown packet", struct.pack(">IBI", 5, 200, 7)),
    ("short string", struct.pack(">IBII", 9, 3, 8, 1000)),
]:
    t, ch = raw_sftp()
    ch.sendall(pkt)
    if not closed(ch):
        failures.append(what + ": connection not ended")
    t.close()

# Oversized: a packet that claims 256 MiB and never comes.
t, ch = raw_sftp()
ch.sendall(struct.pack(">I", 256 << 20) + b"\x03" + b"\0" * 1000)
ch.close()
t.close()

# Stalled half packet: two bytes of a length, then silence.  The
# watchdog must end the connection (sftp.sh waits for its log line).
t, ch = raw_sftp()
ch.sendall(b"\0\0")
if not closed(ch):
    failures.append("stalled half packet: connection not ended")
t.close()

if failures:
    print("not refused: " + ", ".join(failures))
    sys.exit(1)
print("all refused")
