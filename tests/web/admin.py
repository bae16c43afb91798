#!/usr/bin/python3
"""admin.py URL ADMIN ADMINKEY USER USERKEY ARTEFACTS - gwebd's page as an
administrator and as an account without admin = yes, in the real chromium
(headless, through chromedriver), at a desktop's 1280 x 800.

The administrator's page is readable there (no horizontal scroll, the
printers side by side, no element beyond the window or clipped by its
box; ARTEFACTS/desktop.png is kept), and offers gpc's controls, used here:
disable and enable a printer, reject and accept jobs with a reason the
cards show, G-code sent by hand with the printer's answer, a job approved
and one denied (job 6),
another's job re-prioritised and moved (job 2), released and then aborted
while it prints (job 1), cancelled (job 5).  Log out ends the session: the
cookie is gone from the browser, the page shows the login form, and the
old cookie replayed is refused 401.  The other account then sees none of
these controls, and the same writes forged from its page are refused 403.

Every wait is for something on the page (WebDriverWait watches the DOM);
its timeout only bounds a test that has already failed.
"""
import http.client
import os
import sys
from urllib.parse import urlparse

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

import common
from common import browser, fail, fill_login, log_errors, text

url, admin, admin_key, user, user_key, artefacts = sys.argv[1:7]
origin = "%s://%s" % (urlparse(url).scheme, urlparse(url).netloc)
host, port = urlparse(url).hostname, urlparse(url).port
# What gwebd answers by design, and the browser logs as a failed load:
# whoami while logged out, no camera's relay and snapshot, and the
# writes this test forges as the account without admin = yes.
EXPECTED_MISSES = (("/api/gspool/whoami", 401), ("/stream", 404),
                   ("/snapshot", 404), ("/disable", 403), ("/reject", 403),
                   ("/send", 403), ("/abort", 403), ("/cancel", 403),
                   ("/release", 403), ("/top", 403), ("/approve", 403))
FORGED = ("printers/mk3/disable", "printers/mk3/reject", "printers/mk3/send",
          "printers/mk3/abort", "jobs/4/cancel", "jobs/4/release",
          "jobs/2/top")


def card(d, printer):
    return d.execute_script(
        "const e = [...document.querySelectorAll('.printer')].find(c =>"
        " c.dataset.printer === arguments[0]);"
        "return e ? e.innerText.trim() : '';", printer)


def wait(d, what, pred, timeout=120):
    # A reload (the logout's) leaves elements of the old page.
    return common.wait(d, what, pred, timeout, stale_ok=True)


def click(d, by, sel):
    def once():
        try:
            d.find_element(by, sel).click()
            return True
        except StaleElementReferenceException:
            return False
    wait(d, "could not click " + sel, once)


def job_button(d, job, label):
    """The button LABEL of the queue's line of job JOB (its name)."""
    return ("//ul[@id='queue']/li[.//button[@class='link'] and"
            " contains(., '%s ')]//button[text()='%s']" % (job, label))


def open_job(d, job):
    click(d, By.XPATH, "//ul[@id='queue']/li[contains(., '%s ')]"
          "/button[@class='link']" % job)
    wait(d, "job %s did not open" % job,
         lambda: text(d, "#job-h") == "Job " + job and
         d.find_element(By.ID, "job-section").is_displayed())


def notice_is(d, what, want):
    wait(d, "%s: the page did not say '%s'" % (what, want),
         lambda: text(d, "#notice").startswith(want))


def login(d, account, key):
    fill_login(d, account, key)
    wait(d, "the login did not offer the upload", lambda: d.find_element(
        By.ID, "upload-section").is_displayed())
    wait(d, "the event stream never came", lambda: text(d, "#link") == "Live")
    wait(d, "not both printers on the page", lambda: d.execute_script(
        "return document.querySelectorAll('.printer').length") == 2)


def labelled(d):
    """Every control shown has a label, every button words."""
    r = d.execute_script("""
        const bad = [];
        for (const e of document.querySelectorAll('input, select, textarea'))
            if (e.getClientRects().length && (!e.labels || !e.labels.length))
                bad.push('input ' + e.id);
        for (const e of document.querySelectorAll('button'))
            if (!e.textContent.trim() && !e.getAttribute('aria-label'))
                bad.push('button without words');
        return bad;""")
    if r:
        fail("not accessible: %s" % r)


def desktop(d):
    """No horizontal scroll, the printers side by side, nothing beyond
    the window or clipped by its box."""
    r = d.execute_script("""
        const W = document.documentElement.clientWidth, bad = [];
        const de = document.documentElement;
        if (de.scrollWidth > W) bad.push('scrolls: ' + de.scrollWidth + ' > ' + W);
        for (const e of document.querySelectorAll('body *')) {
            if (!e.getClientRects().length) continue;   // not shown
            const b = e.getBoundingClientRect(), s = getComputedStyle(e);
            const what = e.tagName + (e.id ? '#' + e.id : '') +
                (e.className ? '.' + e.className : '');
            if (b.left < -0.5 || b.right > W + 0.5)
                bad.push('beyond the window: ' + what + ' ' + b.left + '..' + b.right);
            if (s.display !== 'inline' && e.clientWidth > 0 &&
                e.scrollWidth > e.clientWidth + 1)
                bad.push('clipped or overflowing: ' + what + ' ' +
                    e.scrollWidth + ' > ' + e.clientWidth);
        }
        const cards = [...document.querySelectorAll('.printer')].map(c =>
            c.getBoundingClientRect());
        if (cards.length !== 2) bad.push(cards.length + ' printers');
        else if (Math.abs(cards[0].top - cards[1].top) > 1 ||
                 cards[0].right > cards[1].left)
            bad.push('the printers are not side by side: ' +
                JSON.stringify(cards.map(c => [c.left, c.top, c.width])));
        else if (cards[0].width < 300)
            bad.push('a printer is ' + cards[0].width + ' px wide');
        return bad;""")
    if r:
        fail("the desktop layout: %s" % r)


def ask(method, path, cookie, body=None):
    c = http.client.HTTPConnection(host, port, timeout=30)
    h = {"Cookie": "gspool_session=" + cookie, "Origin": origin}
    if body is not None:
        h["Content-Type"] = "application/x-www-form-urlencoded"
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    r.read()
    c.close()
    return r.status


def as_admin(d):
    login(d, admin, admin_key)
    if text(d, "#who-name") != admin + " (admin)":
        fail("the page names '%s', not %s (admin)" % (text(d, "#who-name"),
                                                      admin))
    if not d.find_element(By.ID, "admin-section").is_displayed():
        fail("the administrator is not offered the administration")
    wait(d, "no heaters on the printers", lambda: "°C" in card(d, "mk3") and
         "°C" in card(d, "mini"))
    desktop(d)
    labelled(d)
    d.save_screenshot(os.path.join(artefacts, "desktop.png"))

    # A printer disabled and enabled, another rejecting and accepting,
    # each with its reason on its card.
    dest = Select(d.find_element(By.ID, "admin-dest"))
    dest.select_by_value("mk3")
    d.find_element(By.ID, "admin-reason").send_keys("nozzle swap")
    click(d, By.CSS_SELECTOR, "#admin-buttons button[data-verb=disable]")
    wait(d, "mk3's card does not say it is disabled",
         lambda: "Disabled: nozzle swap" in card(d, "mk3"))
    click(d, By.CSS_SELECTOR, "#admin-buttons button[data-verb=enable]")
    wait(d, "mk3 stays disabled", lambda: "Disabled" not in card(d, "mk3"))
    dest.select_by_value("mini")
    d.find_element(By.ID, "admin-reason").clear()
    d.find_element(By.ID, "admin-reason").send_keys("maintenance")
    click(d, By.CSS_SELECTOR, "#admin-buttons button[data-verb=reject]")
    wait(d, "mini's card does not say it rejects jobs",
         lambda: "Not accepting jobs: maintenance" in card(d, "mini"))
    click(d, By.CSS_SELECTOR, "#admin-buttons button[data-verb=accept]")
    wait(d, "mini stays rejecting", lambda: "Not accepting" not in
         card(d, "mini"))

    # G-code by hand: the printer's answer shown.
    dest.select_by_value("mk3")
    d.find_element(By.ID, "admin-gcode").send_keys("M117 from the page", Keys.ENTER)
    notice_is(d, "send", "mk3: sent")
    if "ok" not in text(d, "#notice"):
        fail("no answer of the printer to M117: " + text(d, "#notice"))

    # What mk3's tool holds (gpc load): the card says it; then nothing
    # known again.
    d.find_element(By.ID, "admin-material").send_keys("PETG", Keys.ENTER)
    notice_is(d, "load", "mk3: PETG loaded")
    wait(d, "mk3's card does not say T0 holds PETG",
         lambda: "Loaded: T0 PETG" in card(d, "mk3"))
    d.find_element(By.ID, "admin-material").clear()
    d.find_element(By.ID, "admin-material").send_keys("none", Keys.ENTER)
    wait(d, "the page did not say that T0 holds nothing known", lambda:
         text(d, "#notice").endswith(" loaded") and
         "PETG" not in text(d, "#notice"))
    wait(d, "mk3's card still says PETG",
         lambda: "PETG" not in card(d, "mk3"))

    # The job awaiting approval, approved; another denied with the
    # reason its owner is to see.
    open_job(d, "mini-3")
    labelled(d)
    click(d, By.XPATH, "//div[@id='job-admin']//button[text()='Approve']")
    notice_is(d, "approve", "mini-3: approve: done")
    open_job(d, "mini-6")
    d.find_element(By.ID, "job-note").send_keys("too tall for mini")
    click(d, By.XPATH, "//div[@id='job-admin']//button[text()='Deny']")
    notice_is(d, "deny", "mini-6: deny: done")

    # Another's held job: a priority, then another printer.
    open_job(d, "mk3-2")
    pri = d.find_element(By.ID, "job-priority")
    pri.clear()
    pri.send_keys("90")
    click(d, By.XPATH, "//div[@id='job-admin']//button[text()='Set the priority']")
    notice_is(d, "priority", "mk3-2: priority: done")
    Select(d.find_element(By.ID, "job-move")).select_by_value("mini")
    click(d, By.XPATH, "//div[@id='job-admin']//button[text()='Move']")
    notice_is(d, "move", "mk3-2: move: done")

    # Another's held job cancelled.
    click(d, By.XPATH, job_button(d, "mk3-5", "Cancel"))
    wait(d, "mk3-5 stays in the queue", lambda: "mk3-5" not in
         text(d, "#queue"))

    # Another's job released, then aborted while it prints.
    click(d, By.XPATH, job_button(d, "mk3-1", "Release"))
    wait(d, "no Abort on mk3 while it prints", lambda: d.execute_script(
        "return [...document.querySelectorAll('.printer[data-printer=mk3]"
        " button')].some(b => b.textContent === 'Abort')"))
    click(d, By.XPATH, "//article[@data-printer='mk3']//button[text()='Abort']")
    WebDriverWait(d, 30).until(expected_conditions.alert_is_present())
    d.switch_to.alert.accept()
    wait(d, "the aborted job never reached the history",
         lambda: "mk3-1" in text(d, "#history") and "aborted" in
         text(d, "#history"), timeout=180)

    # Log out: the cookie is gone, the login form is back, and the old
    # cookie is refused by gwebd.
    old = d.get_cookie("gspool_session")
    if not old or not old.get("httpOnly"):
        fail("no HttpOnly session cookie: %s" % old)
    if ask("GET", "/api/gspool/whoami", old["value"]) != 200:
        fail("the session is refused before the logout")
    click(d, By.ID, "logout")
    wait(d, "the login form did not come back", lambda: d.find_element(
        By.ID, "login-account").is_displayed())
    if d.find_element(By.ID, "app").is_displayed():
        fail("the printers are still shown after the logout")
    if d.get_cookie("gspool_session"):
        fail("the cookie stays after the logout: %s" %
             d.get_cookie("gspool_session"))
    for m, p, b in (("GET", "/api/gspool/whoami", None),
                    ("GET", "/api/gspool/queue", None),
                    ("POST", "/api/gspool/printers/mk3/disable", "reason=x")):
        s = ask(m, p, old["value"], b)
        if s != 401:
            fail("the old cookie replayed: %s %s is %d, not 401" % (m, p, s))


def as_user(d):
    login(d, user, user_key)
    if text(d, "#who-name") != user:
        fail("the page names '%s', not %s" % (text(d, "#who-name"), user))
    if d.find_element(By.ID, "admin-section").is_displayed():
        fail("%s is offered the administration" % user)
    wait(d, "boss's job 4 is not in the queue",
         lambda: "mk3-4" in text(d, "#queue"))
    offered = d.execute_script("""
        const bad = [];
        for (const b of document.querySelectorAll('#printers button'))
            if (b.textContent === 'Abort') bad.push('Abort');
        const li = [...document.querySelectorAll('#queue li')].find(l =>
            l.textContent.includes('mk3-4 '));
        if (li && li.querySelector('.actions')) bad.push("boss's job's " +
            li.querySelector('.actions').textContent);
        return bad;""")
    if offered:
        fail("%s is offered %s" % (user, offered))
    open_job(d, "mk3-2")
    if text(d, "#job-admin"):
        fail("%s is offered a job's administration: %s" % (
            user, text(d, "#job-admin")))
    # The same writes, forged from the page: 403, spoold's words.
    got = d.execute_async_script("""
        const done = arguments[arguments.length - 1], out = [];
        (async () => {
            for (const p of arguments[0]) {
                const r = await fetch('/api/gspool/' + p, {method: 'POST',
                    body: new URLSearchParams({reason: 'x', gcode: 'M105'}),
                    credentials: 'same-origin'});
                const o = await r.json().catch(() => ({}));
                out.push([p, r.status, o.error || '']);
            }
            done(out);
        })();""", list(FORGED))
    wrong = [g for g in got if g[1] != 403 or "administrator" not in g[2]
             and "only your own" not in g[2]]
    if wrong:
        fail("forged writes not refused 403: %s" % wrong)
    wait(d, "boss's job 4 is no longer held", lambda: any(
        "mk3-4 " in li and "held" in li for li in d.execute_script(
            "return [...document.querySelectorAll('#queue li')]"
            ".map(l => l.textContent)")))
    if "Disabled" in card(d, "mk3") or "Not accepting" in card(d, "mk3"):
        fail("a forged write changed mk3: " + card(d, "mk3"))
    return len(got)


def main():
    d = browser(host, "1280,800")
    try:
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 1280, "height": 800, "deviceScaleFactor": 1,
            "mobile": False})
        d.get(url)
        if d.execute_script("return window.innerWidth") != 1280:
            fail("the page is not 1280 px wide")
        as_admin(d)
        n = as_user(d)
        errs = log_errors(d, EXPECTED_MISSES)
        if errs:
            fail("console errors: %s" % errs)
        if d.execute_script("return window.gspoolCsp") != 0:
            fail("the page saw Content-Security-Policy violations")
        print("ok: the administrator's controls used, the session ended"
              " and refused after the logout, %d forged writes refused" % n)
    finally:
        d.quit()


main()
