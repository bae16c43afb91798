#!/usr/bin/python3
"""page.py URL ACCOUNT KEY GOOD BAD REASON ARTEFACTS M600 - gwebd's page in the
real chromium (headless, through chromedriver): it loads with no console
error and no Content-Security-Policy violation, with the browser's network
limited to gwebd alone; the anonymous reader sees the printers and may not
upload, then logs in; an upload from the page is queued and one the check
refuses shows its reason; the print's layer and temperatures change on the
screen as the virtual printer prints, pushed by the event stream and never
polled; a job's analysis opens, and a held job's view says why it
waits; the finished job reaches the history; the
bed is said to be clear; a held upload is cancelled from the page; the
firmware's prompts of a filament change (M600) are answered from the page
until that job is done.  A
screenshot at phone size (360 x 800) is kept as ARTEFACTS/phone.png.

Every wait is for something on the page (WebDriverWait watches the DOM);
its timeout only bounds a test that has already failed.
"""
import os
import sys
from urllib.parse import urlparse

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import common
from common import browser, fail, log_errors, text

url, account, key, good, bad, reason, artefacts, prompted = sys.argv[1:9]
origin = "%s://%s" % (urlparse(url).scheme, urlparse(url).netloc)
host = urlparse(url).hostname
# What gwebd answers by design, and the browser logs as a failed load:
# whoami before the login, the camera's relay and snapshot while there
# is no camera, and the refused upload this test makes.
EXPECTED_MISSES = (("/api/gspool/whoami", 401), ("/stream", 404),
                   ("/snapshot", 404), ("/api/gspool/upload", 422))


def wait(d, what, pred, timeout=300):
    return common.wait(d, what, pred, timeout)


def click(d, css):
    def once():
        try:
            d.find_element(By.CSS_SELECTOR, css).click()
            return True
        except StaleElementReferenceException:
            return False
    wait(d, "could not click " + css, once)


def accessible(d):
    """Every control has a label, every image an alt, every button words."""
    r = d.execute_script("""
        const bad = [];
        for (const e of document.querySelectorAll('input, select, textarea'))
            if (!e.labels || !e.labels.length) bad.push('input ' + e.id);
        for (const e of document.querySelectorAll('img'))
            if (!e.hasAttribute('alt')) bad.push('img ' + e.src);
        for (const e of document.querySelectorAll('button'))
            if (!e.textContent.trim() && !e.getAttribute('aria-label'))
                bad.push('button without words');
        if (!document.querySelector('[aria-live]')) bad.push('no aria-live');
        // Contrast of every visible text against its background (WCAG's
        // relative luminance), 4.5:1 at least.
        const rgb = c => (c.match(/[0-9.]+/g) || []).map(Number);
        const lum = c => {
            const v = rgb(c).slice(0, 3).map(x => {
                x /= 255;
                return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
            });
            return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
        };
        const bg = e => {
            for (; e; e = e.parentElement) {
                const c = getComputedStyle(e).backgroundColor, v = rgb(c);
                if (v.length === 3 || (v.length === 4 && v[3] > 0))
                    return c;
            }
            return 'rgb(255, 255, 255)';
        };
        const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let n; (n = walk.nextNode()); ) {
            const e = n.parentElement;
            if (!n.textContent.trim() || !e.offsetParent) continue;
            const a = lum(getComputedStyle(e).color), b = lum(bg(e));
            const r = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
            if (r < 4.5) bad.push('contrast ' + r.toFixed(2) + ': ' +
                n.textContent.trim().slice(0, 40));
        }
        return bad;""")
    if r:
        fail("not accessible: %s" % r)


def main():
    d = browser(host, "360,800")
    try:
        run(d)
    finally:
        d.quit()


def run(d):
    # A phone's screen: 360 CSS px wide (a window cannot be made so
    # narrow, an emulated screen can).
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 360, "height": 800, "deviceScaleFactor": 1, "mobile": True})
    d.get(url)
    if d.execute_script("return window.innerWidth") != 360:
        fail("the page is not 360 px wide")
    wait(d, "no login form", lambda: d.find_element(
        By.ID, "login-account").is_displayed())
    # Anonymous reading ([web] anonymous): the printers, pushed, and
    # nothing that writes.
    wait(d, "the anonymous reader sees no printer",
         lambda: text(d, ".printer h3").startswith("mk3"))
    if d.find_element(By.ID, "upload-section").is_displayed():
        fail("the anonymous reader is offered an upload")
    accessible(d)
    # The focus is visible.
    outline = d.execute_script("""
        const e = document.getElementById('login-account');
        e.focus();
        const s = getComputedStyle(e);
        return s.outlineStyle + ' ' + s.outlineWidth;""")
    if outline.startswith("none") or outline.endswith(" 0px"):
        fail("no visible focus on the login's account: " + outline)
    # Log in with the keyboard alone.
    d.find_element(By.ID, "login-account").send_keys(account)
    d.find_element(By.ID, "login-key").send_keys(key, Keys.ENTER)
    wait(d, "the login did not offer the upload", lambda: d.find_element(
        By.ID, "upload-section").is_displayed())
    if d.find_element(By.ID, "login-section").is_displayed():
        fail("the login form stays after the login")
    if text(d, "#who-name") != account:
        fail("the page names '%s', not %s" % (text(d, "#who-name"), account))
    wait(d, "the event stream never came", lambda: text(d, "#link") == "Live")
    wait(d, "no printer on the page", lambda: text(d, ".printer h3"))

    # An upload from the page is queued.
    d.find_element(By.ID, "upload-file").send_keys(good)
    d.find_element(By.CSS_SELECTOR, "#upload button[type=submit]").click()
    wait(d, "the upload was not queued",
         lambda: text(d, "#upload-result").startswith("Queued as mk3-"))
    # The layer and the temperatures change on the screen, pushed.
    wait(d, "no layer shown", lambda: "of" in text(d, ".printer .layer"))
    heat0, layer0 = text(d, ".printer .heaters"), text(d, ".printer .layer")
    wait(d, "the temperatures did not change from " + heat0,
         lambda: text(d, ".printer .heaters") not in ("", heat0))
    wait(d, "the layer did not change from " + layer0,
         lambda: text(d, ".printer .layer") not in ("", layer0))
    # A keyboard's focus on the printer's Pause stays there while the
    # card is drawn anew with each event.
    focused = d.execute_script(
        "const b = [...document.querySelectorAll('.printer button')]"
        ".find(e => e.textContent === 'Pause');"
        "if (!b) return false; b.focus(); return true;")
    if not focused:
        fail("no Pause button on the printing job's printer: " +
             text(d, ".printer"))
    if focused:
        heat1, layer1 = text(d, ".printer .heaters"), text(d, ".printer .layer")
        wait(d, "the printer's card was not drawn again",
             lambda: (text(d, ".printer .heaters"), text(d, ".printer .layer"))
             != (heat1, layer1))
        where = d.execute_script(
            "const e = document.activeElement;"
            "return e && e.closest('.printer') ? e.tagName + ' ' +"
            " e.textContent : String(e && e.tagName);")
        if where != "BUTTON Pause":
            fail("the focus left the Pause button when the card was"
                 " redrawn: it is on " + where)
    times = text(d, ".printer .times")
    if "Elapsed" not in times or "remaining" not in times or "done at" not in times:
        fail("no elapsed, remaining and finish time: " + times)
    d.save_screenshot(os.path.join(artefacts, "phone.png"))

    # One the check refuses shows its reason.
    d.find_element(By.ID, "upload-file").send_keys(bad)
    d.find_element(By.CSS_SELECTOR, "#upload button[type=submit]").click()
    wait(d, "the refusal was not shown",
         lambda: text(d, "#upload-result").startswith("Refused:"))
    if reason not in text(d, "#upload-result"):
        fail("the refusal '%s' does not give the reason '%s'" % (
            text(d, "#upload-result"), reason))

    # A job's analysis.
    click(d, "#queue .job button.link")
    wait(d, "the job's analysis did not open",
         lambda: "Layers" in text(d, "#job") and "100" in text(d, "#job"))
    accessible(d)

    # The print ends: the history has it, without a reload.
    wait(d, "the finished job never reached the history",
         lambda: "mk3-1" in text(d, "#history"), timeout=600)

    # The bed holds ann's finished job: she says it is clear, and the
    # printer is idle again.
    wait(d, "no button to say the bed is clear", lambda: d.execute_script(
        "return [...document.querySelectorAll('.printer button')]"
        ".some(b => b.textContent === 'The bed is clear')"))
    click(d, ".printer .actions button")
    if not text(d, ".printer .clear"):
        fail("the page does not say the bed holds the job")
    wait(d, "the printer did not leave awaiting-clear",
         lambda: not text(d, ".printer .clear") and
         "The bed is clear" not in text(d, ".printer"))

    # A held upload, cancelled from the page.
    d.find_element(By.ID, "upload-file").send_keys(good)
    d.find_element(By.ID, "upload-hold").click()
    d.find_element(By.CSS_SELECTOR, "#upload button[type=submit]").click()
    wait(d, "the held upload was not queued",
         lambda: text(d, "#upload-result").startswith("Queued as mk3-"))
    wait(d, "the held job is not in the queue with a Release button",
         lambda: "held" in text(d, "#queue") and "Release" in text(d, "#queue"))
    # Its view gives the reason it waits.
    click(d, "#queue .job button.link")
    wait(d, "the held job's view gives no reason it is held",
         lambda: "held" in text(d, "#job-reasons"))
    click(d, "#queue .job .actions button")
    wait(d, "the cancelled job stays in the queue",
         lambda: text(d, "#queue") == "Nothing queued.")

    # A filament change: the firmware's prompts, answered from the page
    # ("Continue") until the job is done.
    d.find_element(By.ID, "upload-file").send_keys(prompted)
    d.find_element(By.CSS_SELECTOR, "#upload button[type=submit]").click()
    wait(d, "the M600 upload was not queued",
         lambda: text(d, "#upload-result").startswith("Queued as mk3-"))
    name = text(d, "#upload-result")[len("Queued as "):].rstrip(".")
    wait(d, "no prompt on the page",
         lambda: "Nozzle Parked" in text(d, ".printer .prompt"))
    answered = []

    def answer_or_done():
        if name in text(d, "#history"):
            return True
        t = text(d, ".printer .prompt")
        if t and not answered[-1:] == [t]:
            try:
                d.find_element(By.XPATH, "//div[@class='prompt']"
                               "/button[text()='Continue']").click()
                answered.append(t)
            except Exception:
                pass
        return False
    wait(d, "%s did not end after its prompts" % name, answer_or_done,
         timeout=600)
    if not answered or "Nozzle Parked" not in answered[0]:
        fail("the prompts answered: %s" % answered)

    # Pushed, not polled: one event stream, no fetch of the queue.
    res = d.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    if any("/api/gspool/queue" in r for r in res):
        fail("the page polled the queue: %s" % res)
    # The stream is still open, so the browser lists no entry for it.
    pushed = d.execute_script("return window.gspoolEvents")
    if pushed < 3:
        fail("only %d queue events reached the page" % pushed)
    foreign = [r for r in res if not r.startswith(origin + "/")]
    if foreign:
        fail("the page reached beyond gwebd: %s" % foreign)
    if d.execute_script("return window.gspoolCsp") != 0:
        fail("the page saw Content-Security-Policy violations")
    errs = log_errors(d, EXPECTED_MISSES)
    if errs:
        fail("console errors: %s" % errs)
    print("ok: %d queue events pushed, %d resources, all from %s; %d"
          " prompts answered" % (pushed, len(res), origin, len(answered)))


main()
