"""common.py - what the browser tests of gwebd's page (page.py, admin.py,
media.py) share: headless chromium limited to gwebd's host, reading the
page, waiting for it, the login form, and the console's errors.

Every wait is for something on the page (WebDriverWait watches the DOM);
its timeout only bounds a test that has already failed.
"""
import sys
import tempfile

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def browser(host, size, *more):
    """Headless chromium at window SIZE ("w,h"), with the arguments MORE."""
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--window-size=" + size,
              "--user-data-dir=" + tempfile.mkdtemp(prefix="gspool-chromium."),
              # Any name but gwebd's host resolves to nothing, and no
              # proxy is asked: the page may reach gwebd alone.
              "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE " + host,
              "--no-proxy-server", "--disable-background-networking",
              "--disable-component-update", "--disable-sync",
              "--no-first-run") + more + (
              "--disable-features=Translate,OptimizationHints,MediaRouter",):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def text(d, css):
    # Read in one script: the page redraws a printer on every event, so
    # an element found by one call may be gone by the next.
    return d.execute_script(
        "const e = document.querySelector(arguments[0]);"
        "return e ? e.innerText.trim() : '';", css)


def wait(d, what, pred, timeout=120, stale_ok=False):
    """PRED true within TIMEOUT seconds, or fail saying WHAT.  stale_ok:
    an element gone while PRED reads it means not yet (a reload leaves
    elements of the old page)."""
    try:
        return WebDriverWait(d, timeout, poll_frequency=0.2,
                             ignored_exceptions=(
                                 (StaleElementReferenceException,)
                                 if stale_ok else None)
                             ).until(lambda _: pred())
    except Exception:
        fail("%s; the page says: %s" % (what, text(d, "body")[:2000]))


def fill_login(d, account, key):
    """Log in as ACCOUNT with KEY from the login form, by the keyboard."""
    wait(d, "no login form", lambda: d.find_element(
        By.ID, "login-account").is_displayed())
    d.find_element(By.ID, "login-account").send_keys(account)
    d.find_element(By.ID, "login-key").send_keys(key, Keys.ENTER)


def log_errors(d, expected_misses):
    """The console's errors and Content-Security-Policy reports, but for
    the failed loads expected (pairs of a path and its status)."""
    bad = []
    for e in d.get_log("browser"):
        m = e.get("message", "")
        if "Content Security Policy" in m or "Content-Security-Policy" in m:
            bad.append(m)
        elif e.get("level") == "SEVERE":
            if e.get("source") == "network" and any(
                    p in m.split(" ")[0] and "status of %d " % c in m
                    for p, c in expected_misses):
                continue
            bad.append(m)
    return bad
