#!/usr/bin/python3
"""media.py URL OWNER OWNERKEY OTHER OTHERKEY - the pictures of gwebd's page
in the real chromium (headless, through chromedriver), job 1 being OWNER's,
held on mk3, whose camera streams ffmpeg's 160 x 120 test picture.

OWNER logs in, job 1 is released and paused while it prints: its card shows
the job's thumbnail (a 16 x 16 PNG, decoded) and the live camera (the relay's
frames, decoded, and changing).  OTHER then sees the camera but no thumbnail
of another's job.  OWNER watches the print resume and end: its Timelapse
is offered as it reaches the history, and plays in the page (the video's
metadata loads, 160 x 120 or 120 x 160, and it runs).  OTHER is offered
no Timelapse of it.  No console error, and nothing reached but gwebd.

Every wait is for something on the page (WebDriverWait watches the DOM);
its timeout only bounds a test that has already failed.
"""
import http.client
import sys
from urllib.parse import urlparse

from selenium.webdriver.common.by import By

from common import browser, fail, fill_login, log_errors, text, wait

url, owner, owner_key, other, other_key = sys.argv[1:6]
origin = "%s://%s" % (urlparse(url).scheme, urlparse(url).netloc)
host, port = urlparse(url).hostname, urlparse(url).port
# whoami while logged out is 401 by design.
EXPECTED_MISSES = (("/api/gspool/whoami", 401),)


def js(d, script, *args):
    return d.execute_script(script, *args)


def api(method, path, key):
    c = http.client.HTTPConnection(host, port, timeout=30)
    c.request(method, path, headers={"X-Api-Key": key})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


def login(d, account, key):
    d.get(url)
    fill_login(d, account, key)
    wait(d, account + " is not logged in",
         lambda: text(d, "#who-name") == account)
    wait(d, "the event stream never came", lambda: text(d, "#link") == "Live")


def checked(d):
    """Nothing but gwebd reached, and no console error, on this page."""
    res = js(d, "return performance.getEntriesByType('resource')"
             ".map(e => e.name)")
    foreign = [r for r in res if not r.startswith(origin + "/")]
    if foreign:
        fail("the page reached beyond gwebd: %s" % foreign)
    errs = log_errors(d, EXPECTED_MISSES)
    if errs:
        fail("console errors: %s" % errs)


def logout(d):
    checked(d)
    d.find_element(By.ID, "logout").click()
    wait(d, "the logout did not show the login form", lambda: js(
        d, "const e = document.getElementById('login-account');"
        "return e !== null && e.offsetParent !== null;"))


# The decoded size of the printer's picture (its camera or its job's
# thumbnail), 0 while it has none.
def picture(d, css):
    return js(d, "const e = document.querySelector(arguments[0]);"
              "return e ? e.naturalWidth : 0;", css)


# The camera's picture drawn on a canvas: what the viewer sees now.
def frame(d):
    return js(d, """
        const e = document.querySelector('.printer img.cam');
        if (!e || !e.naturalWidth) return '';
        const c = document.createElement('canvas');
        c.width = e.naturalWidth; c.height = e.naturalHeight;
        c.getContext('2d').drawImage(e, 0, 0);
        return c.toDataURL();""")


def main():
    d = browser(host, "360,800",
                "--autoplay-policy=no-user-gesture-required")
    try:
        run(d)
    finally:
        d.quit()


def run(d):
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 360, "height": 800, "deviceScaleFactor": 1, "mobile": True})
    login(d, owner, owner_key)
    s, b = api("POST", "/api/gspool/jobs/1/release", owner_key)
    if s != 200:
        fail("release: %d %s" % (s, b))
    wait(d, "job 1 does not print on mk3",
         lambda: "Printing" in text(d, ".printer .jobline"))
    s, b = api("POST", "/api/gspool/printers/mk3/pause", owner_key)
    if s != 200:
        fail("pause: %d %s" % (s, b))
    wait(d, "mk3 did not pause", lambda: "paus" in text(d, ".printer h3"))

    # The owner: the thumbnail and the live camera.
    wait(d, "no thumbnail decoded on the printing job's card",
         lambda: picture(d, ".printer img.thumb") == 16)
    wait(d, "no camera picture decoded on the card",
         lambda: picture(d, ".printer img.cam") == 160)
    if "/stream" not in js(d, "return document.querySelector("
                              "'.printer img.cam').src"):
        fail("the camera is not the relay's stream")
    first = wait(d, "no camera frame drawn", lambda: frame(d))
    wait(d, "the camera's picture does not change",
         lambda: frame(d) not in ("", first))
    logout(d)

    # Another account: the camera, and no thumbnail of ann's job.
    login(d, other, other_key)
    wait(d, "the other account sees no camera",
         lambda: picture(d, ".printer img.cam") == 160)
    if "Printing" not in text(d, ".printer .jobline"):
        fail("the other account does not see mk3 printing")
    if js(d, "return document.querySelector('.printer img.thumb') !== null"):
        fail("the other account is shown a thumbnail of another's job")
    logout(d)

    # The owner watches the print end: its timelapse is offered as the
    # job reaches the history, without a reload.
    login(d, owner, owner_key)
    s, b = api("POST", "/api/gspool/printers/mk3/resume", owner_key)
    if s != 200:
        fail("resume: %d %s" % (s, b))
    wait(d, "job 1 never reached the history",
         lambda: "pictured.gcode" in text(d, "#history"), timeout=300)
    wait(d, "no Timelapse offered for job 1",
         lambda: "Timelapse" in text(d, "#history"), timeout=300)
    d.find_element(By.XPATH, "//ul[@id='history']//button"
                   "[text()='Timelapse']").click()
    wait(d, "the timelapse does not load in the page", lambda: js(
        d, "const v = document.querySelector('#history video');"
        "return v && v.readyState >= 1;"))
    size = js(d, "const v = document.querySelector('#history video');"
              "return [v.videoWidth, v.videoHeight, v.duration];")
    if sorted(size[:2]) != [120, 160] or not size[2] > 0:
        fail("the timelapse played is %r" % size)
    js(d, "document.querySelector('#history video').play()")
    wait(d, "the timelapse does not play", lambda: js(
        d, "return document.querySelector('#history video').currentTime > 0"))
    logout(d)

    # The other account: the job in the history, no Timelapse of it.
    login(d, other, other_key)
    wait(d, "job 1 is not in the other account's history",
         lambda: "mk3-1" in text(d, "#history"))
    if "Timelapse" in text(d, "#history"):
        fail("the other account is offered another's timelapse")

    checked(d)
    print("ok: thumbnail and camera for %s, the camera alone for %s, the"
          " timelapse played (%dx%d, %.1f s)" % (owner, other, size[0],
                                                 size[1], size[2]))


main()
