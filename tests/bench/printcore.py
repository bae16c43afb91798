#!/usr/bin/python3
"""Stream a G-code file through Printrun's printcore to a serial port and
print the seconds it took: the peer figure of make bench
(tests/bench/link.sh counts the lines the printer executed).

usage: printcore.py PORT BAUD FILE
"""
import sys
import time

from printrun import gcoder
from printrun.printcore import printcore


def main():
    port, baud, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(path, encoding="ascii", errors="replace") as f:
        lines = [l.rstrip("\r\n") for l in f]
    gcode = gcoder.LightGCode(lines)
    p = printcore(port, baud)
    deadline = time.monotonic() + 30
    while not p.online:
        if time.monotonic() > deadline:
            sys.exit("printcore: the printer did not come online")
        time.sleep(0.05)
    start = time.monotonic()
    p.startprint(gcode)
    # printcore has no completion event to wait on; it is polled.
    while p.printing:
        time.sleep(0.01)
    secs = time.monotonic() - start
    p.disconnect()
    print("%.3f" % secs)


if __name__ == "__main__":
    main()
