"""delay.py PORT_FILE TARGET_PORT ONE_WAY_MS: a TCP relay on a loopback
port (written to PORT_FILE) to 127.0.0.1:TARGET_PORT that holds every
piece of data ONE_WAY_MS milliseconds each way, in order, so that a
loopback connection has the round trip of a real link (twice that).
For make bench only: what pays a round trip per request shows."""
import asyncio
import os
import sys
import time

PORT_FILE, TARGET, DELAY = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 1000


async def pump(reader, writer):
    """One direction: each piece read is written DELAY after it came."""
    held = asyncio.Queue()

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
        held.put_nowait((time.monotonic() + DELAY, data))
        if not data:
            break
    await out


async def relay(creader, cwriter):
    sreader, swriter = await asyncio.open_connection("127.0.0.1", TARGET)
    await asyncio.gather(pump(creader, swriter), pump(sreader, cwriter),
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
