#!/usr/bin/python3
"""camera.py URL ACCOUNT KEY DOWNFILE - a printer's camera that fails and
comes back, in the real chromium (headless, through chromedriver): mk3's
camera answers 500 while DOWNFILE exists and streams ffmpeg's 160 x 120
test picture once it is removed.

ACCOUNT logs in: mk3's card says "Camera unavailable" with no image shown
(no broken one), and the page asks again (a second failure counted).
DOWNFILE is removed: the camera's frame is decoded and shown, the notice
gone, in the same page (a mark set in it before is still there: no
reload).  No console error but the failed loads of the camera while it
was down, and nothing reached but gwebd.

Every wait is for something on the page (WebDriverWait watches the DOM);
its timeout only bounds a test that has already failed.
"""
import os
import sys
from urllib.parse import urlparse

from common import browser, fail, fill_login, log_errors, text, wait

url, account, key, down = sys.argv[1:5]
origin = "%s://%s" % (urlparse(url).scheme, urlparse(url).netloc)
host = urlparse(url).hostname
# whoami while logged out is 401 by design; the snapshot is 404 while
# the camera is down (no frame from it, and spoold keeps none).
EXPECTED_MISSES = (("/api/gspool/whoami", 401), ("/snapshot", 404))


def js(d, script, *args):
    return d.execute_script(script, *args)


# The camera's state on mk3's card: [data-cam, retries, the image's
# decoded width, shown, the notice shown].
def cam(d):
    return js(d, """
        const b = document.querySelector('.printer .cam-box');
        if (!b) return null;
        const i = b.querySelector('img.cam'), p = b.querySelector('.cam-off');
        return [b.dataset.cam || '', Number(b.dataset.retries || 0),
                i.naturalWidth, !i.hidden && i.offsetParent !== null,
                !p.hidden && p.offsetParent !== null];""")


def main():
    d = browser(host, "800,900")
    try:
        run(d)
    finally:
        d.quit()


def run(d):
    d.get(url)
    fill_login(d, account, key)
    wait(d, account + " is not logged in",
         lambda: text(d, "#who-name") == account)
    wait(d, "the event stream never came", lambda: text(d, "#link") == "Live")
    js(d, "window.gspoolMark = 'same page';")

    # Down: the notice, no image, asked again.
    wait(d, "the failed camera is not said to be unavailable",
         lambda: (cam(d) or [""])[0] == "off")
    c = cam(d)
    if c[3] or not c[4]:
        fail("the camera that is down shows %r (image shown, notice"
             " shown)" % c)
    if "Camera unavailable" not in text(d, ".printer .cam-off"):
        fail("the notice says: %s" % text(d, ".printer .cam-off"))
    wait(d, "the page does not ask the camera again",
         lambda: (cam(d) or ["", 0])[1] >= 2, timeout=120)
    c = cam(d)
    if c[0] != "off" or c[3]:
        fail("after a second failure the camera shows %r" % c)

    # Back: the frame, with no reload.
    os.unlink(down)
    wait(d, "the camera's frame does not come back",
         lambda: (cam(d) or [""])[0] == "live", timeout=120)
    wait(d, "the camera's frame is not decoded and shown",
         lambda: (lambda c: c[2] == 160 and c[3] and not c[4])(cam(d)))
    if js(d, "return window.gspoolMark") != "same page":
        fail("the page was reloaded")
    if "/stream" not in js(d, "return document.querySelector("
                              "'.printer img.cam').src"):
        fail("the camera that came back is not the relay's stream")

    res = js(d, "return performance.getEntriesByType('resource')"
             ".map(e => e.name)")
    foreign = [r for r in res if not r.startswith(origin + "/")]
    if foreign:
        fail("the page reached beyond gwebd: %s" % foreign)
    errs = log_errors(d, EXPECTED_MISSES)
    if errs:
        fail("console errors: %s" % errs)
    print("ok: the camera was unavailable, asked %d times, and came back"
          " with no reload" % c[1])


main()
