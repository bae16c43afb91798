"""slowlink.py [-s BYTES] [-p PAUSE_FILE] PORT_FILE TARGET_PORT ONE_WAY_MS:
a TCP relay
on a loopback port (written to PORT_FILE once it listens) to
127.0.0.1:TARGET_PORT.

Every piece of data is held ONE_WAY_MS milliseconds each way, in order,
so that a loopback connection has the round trip of a real link (twice
that).  With -s, the first connection to send more than BYTES towards
the target stalls there: what comes after is read and dropped, as by a
link that went dead, until the client closes; the target's side is
then closed.  Later connections pass.  With -p, while PAUSE_FILE exists
the link is dead: a connection that carries anything then stalls both
ways, for good, as above; once the file is gone new connections
pass."""
import asyncio
import os
import sys
import time

args = sys.argv[1:]
STALL = None
PAUSE = None
while args and args[0] in ("-s", "-p"):
    if args[0] == "-s":
        STALL = int(args[1])
    else:
        PAUSE = args[1]
    args = args[2:]
PORT_FILE, TARGET, DELAY = args[0], int(args[1]), float(args[2]) / 1000
stalled = False


async def pump(reader, writer, limit, conn):
    """One direction: each piece read is written DELAY after it came;
    past limit bytes (if not None), or once the connection met a pause
    (conn), nothing more is written."""
    global stalled
    held = asyncio.Queue()
    passed = 0

    async def deliver():
        while True:
            due, data = await held.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                writer.close()
                return
            writer.write(data)
            await writer.drain()

    out = asyncio.ensure_future(deliver())
    while True:
        try:
            data = await reader.read(65536)
        except ConnectionError:
            data = b""
        if data and PAUSE is not None and (conn["dead"] or
                                           os.path.exists(PAUSE)):
            if not conn["dead"]:
                sys.stderr.write("slowlink: paused\n")
                sys.stderr.flush()
            conn["dead"] = True
            continue
        if data and limit is not None and passed + len(data) > limit:
            if not stalled:
                sys.stderr.write("slowlink: stalled after %d bytes\n" % limit)
                sys.stderr.flush()
            stalled = True
            data = data[:limit - passed]
            if data:
                held.put_nowait((time.monotonic() + DELAY, data))
            while await reader.read(65536):
                pass
            data = b""
        passed += len(data)
        held.put_nowait((time.monotonic() + DELAY, data))
        if not data:
            break
    await out


async def relay(creader, cwriter):
    sreader, swriter = await asyncio.open_connection("127.0.0.1", TARGET)
    limit = STALL if STALL is not None and not stalled else None
    conn = {"dead": False}
    await asyncio.gather(pump(creader, swriter, limit, conn),
                         pump(sreader, cwriter, None, conn),
                         return_exceptions=True)


async def main():
    server = await asyncio.start_server(relay, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with open(PORT_FILE + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(PORT_FILE + ".tmp", PORT_FILE)
    async with server:
        await server.serve_forever()

asyncio.run(main())
