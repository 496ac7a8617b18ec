"""Real-browser journeys through Kerb with accessibility checks (Kerb issue 10, item 8).

Run by infra/lib/browser-journeys.sh (`infra/test --browser`), which starts a throwaway cluster,
`kerb demo seed` and `kerb serve --demo-services`, and passes:
  KERB_BROWSER_BASE       http://localhost:PORT
  KERB_BROWSER_SEED       the demo seed's output (one-time set-up links; never printed)
  KERB_BROWSER_ARTEFACTS  where the screenshots go
  KERB_BROWSER_PSQL       SOCKET_DIR:PORT of the throwaway cluster (one fixture, see journey d)
  KERB_BIN                the kerb binary (`kerb tenant onboard` in journey a)

Every person has their own headless Chromium with JavaScript switched off (DevTools
Emulation.setScriptExecutionDisabled, which holds across navigations), so each journey is walked
as a browser without JavaScript would walk it. On every page visited, `check()`:
  * fails if the page has any <script> (Kerb's pages are meant to be JS-free);
  * fails on any Content-Security-Policy report in the browser console;
  * runs axe-core (axe-selenium-python) at 1280 px, failing on any serious or critical
    violation (lesser ones are listed). For axe alone scripting is switched on after the page has
    loaded, and off again before the journey goes on; WebDriver injects it (page CSP does not apply
    to that), and it reads the DOM the journey walked without changing it. Since the page has no
    scripts of its own (checked first), switching scripting on runs nothing of Kerb's;
  * at 320 px (mobile viewport): the page must not scroll sideways (scrollWidth <= 321), and any
    table wider than its box must sit in a scroll container that is focusable (tabindex="0") and
    has an accessible name, so keyboard users can scroll it;
  * keeps a full-page screenshot at 1280 px and at 320 px in KERB_BROWSER_ARTEFACTS.
Problems found on a page are collected and each journey fails at its end with all of them.
The first test feeds the checks a page with each fault they look for and fails unless every
check reports its fault, so a check that quietly stopped working is caught too.
"""

import base64
import hashlib
import hmac
import os
import pathlib
import re
import struct
import subprocess
import time

import pytest
from axe_selenium_python import Axe
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE = os.environ.get("KERB_BROWSER_BASE", "http://localhost:8080")
ARTEFACTS = pathlib.Path(os.environ.get("KERB_BROWSER_ARTEFACTS", ".kerb/browser-artefacts"))
SEED_FILE = os.environ.get("KERB_BROWSER_SEED", "")
# Made up for these journeys only (not a real person's), long enough and not on the common list.
PASSWORD = "lamp-orbit-velvet-42"
DESKTOP, NARROW = 1280, 320
AXE_FAIL = {"serious", "critical"}

problems: list[str] = []
notes: dict[str, list[str]] = {}  # axe findings below serious: listed, not failed
shots = {"n": 0}
state: dict = {}


# --- TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps), from the key shown on the enrolment page


def totp(secret: bytes, step: int) -> str:
    digest = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


class Authenticator:
    """One person's authenticator app: never offers a step it offered before (Kerb refuses a
    replayed code), and waits when the next unused step is not yet within Kerb's window."""

    def __init__(self, key_text: str):
        key = re.sub(r"\s", "", key_text).upper()
        self.secret = base64.b32decode(key + "=" * (-len(key) % 8))
        self.last = -1

    def code(self) -> str:
        now = int(time.time()) // 30
        step = max(now, self.last + 1)
        while step > int(time.time()) // 30 + 1:  # Kerb accepts one step of drift either way
            time.sleep(1)
        self.last = step
        return totp(self.secret, step)


# --- people, each with their own browser


class Person:
    def __init__(self, name: str, email: str, prefix: str):
        self.name, self.email, self.prefix = name, email, prefix
        self.auth: Authenticator | None = None
        self._driver = None

    @property
    def driver(self):
        if self._driver is None:
            options = Options()
            options.binary_location = "/usr/bin/chromium"
            for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                        f"--window-size={DESKTOP},900", "--lang=en-GB", "--disable-extensions"):
                options.add_argument(arg)
            options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
            self._driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
            self._driver.set_page_load_timeout(30)
            self._driver.set_script_timeout(30)
            # No JavaScript for the pages, on every page this browser opens (DevTools emulation).
            self._driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        return self._driver

    def quit(self):
        if self._driver is not None:
            self._driver.quit()
            self._driver = None


def person(key: str) -> Person:
    return state["people"][key]


# --- the checks on every page


def redact(text: str) -> str:
    """Set-up tokens, recovery codes and TOTP keys never reach the log (throwaway as they are)."""
    text = re.sub(r"token=[^&\s\"']+", "token=[redacted]", text)
    text = re.sub(r"\b[a-z0-9]{5}-[a-z0-9]{5}\b", "[recovery code]", text)
    return re.sub(r"\b(?:[A-Z2-7]{4} ){3,}[A-Z2-7]{2,4}\b", "[TOTP key]", text)


def body_text(p: Person) -> str:
    return p.driver.find_element(By.TAG_NAME, "body").text


def page_dump(p: Person) -> str:
    return redact(body_text(p)[:1500])


def set_width(d, width: int, height: int = 900):
    d.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def screenshot(d, name: str, width: int) -> pathlib.Path:
    set_width(d, width)
    height = d.execute_script("return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)")
    set_width(d, width, min(max(int(height), 600), 6000))
    path = ARTEFACTS / f"{name}-{width}.png"
    d.save_screenshot(str(path))
    set_width(d, width)
    return path


OVERFLOWING_JS = """
const width = arguments[0], out = [];
const over = e => e.getBoundingClientRect().right > width + 1;
const scrolled = e => { for (let a = e.parentElement; a; a = a.parentElement)
  if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX)) return true; return false; };
for (const e of document.body.querySelectorAll('*')) {
  const loose = ['absolute', 'fixed'].includes(getComputedStyle(e).position);  // may escape a scroller
  if (!over(e) || (scrolled(e) && !loose) || [...e.children].some(over)) continue;
  out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
    + ' (' + Math.round(e.getBoundingClientRect().right) + ' px)');
}
return out.slice(0, 5).join(', ') || 'no single element';
"""

WIDE_TABLES_JS = """
const out = [];
for (const table of document.querySelectorAll('table')) {
  let box = table.parentElement, scroller = null;
  while (box && box !== document.body) {
    const o = getComputedStyle(box).overflowX;
    if (o === 'auto' || o === 'scroll') { scroller = box; break; }
    box = box.parentElement;
  }
  const width = table.getBoundingClientRect().width;
  const room = scroller ? scroller.clientWidth : document.documentElement.clientWidth;
  if (width <= room + 1) continue;
  const caption = table.caption ? table.caption.textContent.trim() : '(no caption)';
  if (!scroller) { out.push('table "' + caption + '" is ' + Math.round(width) + ' px wide with no scroll container'); continue; }
  const named = (scroller.getAttribute('aria-label') || '').trim() || scroller.getAttribute('aria-labelledby');
  if (scroller.getAttribute('tabindex') !== '0' || !named || !scroller.getAttribute('role'))
    out.push('table "' + caption + '" scrolls sideways in a container without tabindex="0", a role and an accessible name');
}
return out;
"""


def axe_check(d, where: str):
    # axe needs scripting (its run is asynchronous): on just while it reads the loaded page.
    d.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    try:
        axe = Axe(d)
        axe.inject()
        results = axe.run()
    finally:
        d.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    for v in results["violations"]:
        if v.get("impact") in AXE_FAIL:
            targets = "; ".join(" ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"])
                                for n in v["nodes"][:5])
            problems.append(f"{where}: axe {v['impact']} {v['id']}: {v['help']} [{targets}]")
        elif v.get("impact"):
            notes.setdefault(f"axe {v['impact']} {v['id']}: {v['help']}", []).append(where.split(" ")[0])


def check(p: Person, step: str):
    """All the checks on the page p's browser shows now; screenshots as STEP."""
    d = p.driver
    shots["n"] += 1
    name = f"{shots['n']:02d}-{step}"
    where = f"{name} ({redact(d.current_url.replace(BASE, ''))[:60]})"
    scripts = d.execute_script("return document.scripts.length")
    if scripts:
        problems.append(f"{where}: {scripts} <script> element(s); pages must work without JavaScript")
    for entry in d.get_log("browser"):
        message = entry.get("message", "")
        if "Content Security Policy" in message or "Refused to" in message:
            problems.append(f"{where}: CSP console error: {message[:300]}")
    shot = screenshot(d, name, DESKTOP)
    axe_check(d, where + " at 1280 px")
    screenshot(d, name, NARROW)
    set_width(d, NARROW)
    overflow = d.execute_script("return document.documentElement.scrollWidth")
    if overflow > NARROW + 1:
        culprits = d.execute_script(OVERFLOWING_JS, NARROW)
        problems.append(f"{where}: the page is {overflow} px wide at {NARROW} px (scrolls sideways): {culprits}")
    for issue in d.execute_script(WIDE_TABLES_JS):
        problems.append(f"{where} at {NARROW} px: {issue}")
    d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    print(f"  checked {where}: {shot}")


# --- moving about


def go(p: Person, path: str, step: str, expect: str | None = None):
    p.driver.get(BASE + path)
    if expect:
        assert expect in body_text(p), f"{path}: expected {expect!r} in:\n{page_dump(p)}"
    check(p, step)


def form(p: Person, action_suffix: str):
    for f in p.driver.find_elements(By.TAG_NAME, "form"):
        action = f.get_attribute("action") or ""
        if action.split("?")[0].endswith(action_suffix):
            return f
    raise AssertionError(f"no form posting to *{action_suffix} on {redact(p.driver.current_url)}:\n{page_dump(p)}")


def fill(f, fields: dict):
    for name, value in fields.items():
        # By id first: one box of a group (`reasons[]`) has its own id, `reasons-CODE`.
        element = (f.find_elements(By.ID, name) or [f.find_element(By.NAME, name)])[0]
        kind = (element.get_attribute("type") or "").lower()
        if element.tag_name == "select":
            select = Select(element)
            if value.startswith("label:"):
                select.select_by_visible_text(value[len("label:"):])
            else:
                select.select_by_value(value)
        elif kind == "checkbox":
            if element.is_selected() != bool(value):
                element.click()
        else:
            element.clear()
            element.send_keys(value)


def submit(p: Person, action_suffix: str, fields: dict | None = None, step: str = "", expect: str | None = None,
           errors_ok: bool = False):
    f = form(p, action_suffix)
    fill(f, fields or {})
    old = page_id(p)
    f.find_element(By.CSS_SELECTOR, "button[type=submit], button:not([type])").click()
    wait_for_new_page(p, old)
    text = body_text(p)
    if not errors_ok and p.driver.find_elements(By.CSS_SELECTOR, ".kerb-error-summary"):
        raise AssertionError(f"{action_suffix}: the page shows errors:\n{page_dump(p)}")
    if expect:
        assert expect in text, f"{action_suffix}: expected {expect!r} in:\n{page_dump(p)}"
    if step:
        check(p, step)


def page_id(p: Person):
    """Differs for every document loaded (the time its navigation started)."""
    return p.driver.execute_script("return performance.timeOrigin")


def wait_for_new_page(p: Person, old):
    """After a click that navigates: a new document, fully loaded."""
    def loaded(d):
        try:
            return page_id(p) != old and d.execute_script("return document.readyState") == "complete"
        except WebDriverException:  # between documents
            return False
    WebDriverWait(p.driver, 30, poll_frequency=0.1).until(loaded)


def click_link(p: Person, text: str):
    old = page_id(p)
    p.driver.find_element(By.LINK_TEXT, text).click()
    wait_for_new_page(p, old)


def path_of(url: str) -> str:
    return url.replace(BASE, "")


def set_up(p: Person, link: str, step: str):
    """Completes a one-time set-up link: password, then TOTP enrolment from the key shown."""
    go(p, path_of(link), f"{step}-setup-page", expect="password")
    submit(p, "/setup", {"password": PASSWORD, "confirm": PASSWORD}, f"{step}-password-set", expect="Your password is set")
    go(p, f"{p.prefix}/sign-in", f"{step}-sign-in")
    submit(p, "/sign-in", {"email": p.email, "password": PASSWORD}, f"{step}-enrol", expect="Set up two-factor authentication")
    key = p.driver.find_element(By.CSS_SELECTOR, "code.kerb-code").text
    p.auth = Authenticator(key)
    submit(p, "/sign-in/enrol", {"code": p.auth.code()}, f"{step}-enrolled", expect="Two-factor authentication is set up")
    click_link(p, "Continue")
    check(p, f"{step}-signed-in")


def sign_out_and_in(p: Person, step: str):
    submit(p, "/sign-out")
    go(p, f"{p.prefix}/sign-in", f"{step}-sign-in")
    submit(p, "/sign-in", {"email": p.email, "password": PASSWORD}, f"{step}-code", expect="code")
    for _ in range(5):
        submit(p, "/sign-in/code", {"code": p.auth.code()}, errors_ok=True)
        wait = re.search(r"Wait (\d+) second", body_text(p))
        if not wait:
            break
        time.sleep(int(wait.group(1)) + 0.2)
    check(p, f"{step}-signed-in")
    assert "Sign out" in body_text(p), f"{p.name} is not signed in:\n{page_dump(p)}"


def case_href(p: Person, applicant: str) -> str:
    for link in p.driver.find_elements(By.CSS_SELECTOR, "a[href*='/cases/BB-']"):
        row = link.find_element(By.XPATH, "./ancestor::tr")
        if applicant in row.text:
            return path_of(link.get_attribute("href"))
    raise AssertionError(f"no case for {applicant} on {redact(p.driver.current_url)}:\n{page_dump(p)}")


def assert_no_problems(journey: str):
    found = [x for x in problems]
    problems.clear()
    for note, pages in notes.items():
        print(f"  {journey}: note, on {len(pages)} page(s) from {pages[0]}: {note}")
    notes.clear()
    if found and os.environ.get("KERB_BROWSER_REPORT_ONLY"):  # for exploring: list, do not fail
        print(f"{journey}: {len(found)} problem(s):\n  " + "\n  ".join(found))
    elif found:
        pytest.fail(f"{journey}: {len(found)} problem(s):\n  " + "\n  ".join(found), pytrace=False)


# --- fixtures


@pytest.fixture(scope="module", autouse=True)
def world():
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    seed = pathlib.Path(SEED_FILE).read_text()
    links = {}
    for m in re.finditer(r"^\s+(.+?) \[(.*?)\] <(.+?)>: (http\S+/setup\?token=\S+)$", seed, re.M):
        links[m.group(3)] = m.group(4)
    ops = re.search(r"(http\S+/ops/setup\?token=\S+)", seed)
    assert ops and links, "the demo seed printed no set-up links"
    west = "/t/westminster"
    people = {
        "dana": Person("Dana Whitfield", "dana.whitfield@ops.kerb.example", "/ops"),
        "priya": Person("Priya Shah", "priya.shah@westminster.demo.kerb.example", west),
        "jordan": Person("Jordan Lee", "jordan.lee@westminster.demo.kerb.example", west),
        "amira": Person("Amira Hassan", "amira.hassan@westminster.demo.kerb.example", west),
        "tom": Person("Tom Price", "tom.price@westminster.demo.kerb.example", west),
        "alex": Person("Alex Morgan", "alex.morgan@camden.demo.kerb.example", "/t/camden"),
    }
    state.update(people=people, links=links, ops_link=ops.group(1))
    print(f"\nscreenshots: {ARTEFACTS.resolve()}")
    yield
    for p in people.values():
        p.quit()
    print(f"\nscreenshots: {ARTEFACTS.resolve()}")


# --- the checks themselves: a page with every fault they look for must fail each of them

BAD_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'self'">
<title>Faulty</title></head><body><main><h1>Faulty</h1>
<p style="color: red">An inline style, which the policy blocks.</p>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<table><caption>Wide</caption><tr><td>%s</td></tr></table>
<p>%s</p>
<script>document.title = "ran"</script>
</main></body></html>""" % ("x" * 120, "y" * 120)


def test_0_the_checks_catch_the_faults_they_look_for():
    probe = Person("Probe", "", "")
    try:
        probe.driver.get("data:text/html;base64," + base64.b64encode(BAD_PAGE.encode()).decode())
        assert probe.driver.title == "Faulty", "scripts ran although JavaScript is switched off"
        check(probe, "0-faulty-page")
        found = "\n".join(problems)
        for fault in ("<script> element", "CSP console error", "scrolls sideways", "axe critical image-alt",
                      'table "Wide" is'):
            assert fault in found, f"the checks missed: {fault}\nthey found:\n{found}"
    finally:
        problems.clear()
        notes.clear()
        probe.quit()


# --- the journeys (in order: each builds on the one before)


def test_a_supplier_ops_onboard_a_council_and_invite_its_admin():
    dana = person("dana")
    set_up(dana, state["ops_link"], "a-ops")
    sign_out_and_in(dana, "a-ops-2fa")
    go(dana, "/ops/", "a-ops-councils", expect="Westminster")
    assert "Camden" not in body_text(dana)
    # Onboarding is a `kerb tenant` command by design (the web console is read-only: the app's
    # database login may only read the tenant list); ops run it and send the printed link.
    out = subprocess.run(
        [os.environ["KERB_BIN"], "tenant", "onboard", "camden", "--admin-name", "Alex Morgan",
         "--admin-email", person("alex").email],
        capture_output=True, text=True, timeout=120, env={**os.environ, "KERB_OPERATOR": "Dana Whitfield"})
    assert out.returncode == 0, f"kerb tenant onboard failed: {out.stderr[-2000:]}"
    token = re.search(r"set-up token[^:]*: (\S+)", out.stdout)
    assert token, "kerb tenant onboard printed no set-up token"
    state["camden_link"] = f"{BASE}/t/camden/setup?token={token.group(1)}"
    go(dana, "/ops/", "a-ops-councils-with-camden", expect="Camden")
    assert dana.driver.find_elements(By.CSS_SELECTOR, "a[href='/t/camden/']"), "the council list does not link to Camden"
    assert_no_problems("journey a")


def test_b_council_admin_sets_up_and_manages_people_groups_and_policy():
    alex = person("alex")
    set_up(alex, state["camden_link"], "b-admin")
    go(alex, "/t/camden/", "b-admin-home", expect="Hello, Alex Morgan")
    # An empty council's Reports: its charts say there is nothing yet instead of a blank block.
    go(alex, "/t/camden/mi", "b-admin-reports-empty", expect="Reports")
    go(alex, "/t/camden/admin/groups", "b-admin-groups")
    submit(alex, "/admin/groups", {
        "name": "Blue Badge assessors", "description": "Assess walking difficulty",
        "permissions-case.view": "yes", "permissions-case.assess": "yes"}, "b-admin-group-created",
        expect="Blue Badge assessors")
    go(alex, "/t/camden/admin/users/new", "b-admin-invite")
    group_box = alex.driver.find_element(By.XPATH, "//label[normalize-space()='Blue Badge assessors']").get_attribute("for")
    submit(alex, "/admin/users/new", {
        "full-name": "Chris Doyle", "email": "chris.doyle@camden.demo.kerb.example", group_box: "yes"},
        "b-admin-person-created", expect="Account created")
    assert "/t/camden/setup?token=" in body_text(alex), "no set-up link shown for the new person"
    assert "another administrator" in body_text(alex)
    go(alex, "/t/camden/admin/users", "b-admin-users", expect="Chris Doyle")
    go(alex, "/t/camden/admin/policy", "b-admin-policy")
    submit(alex, "/admin/policy", {"badge.fee_pence": "5.00", "reason": "Cabinet decision 12/2026"},
           "b-admin-policy-saved", expect="Saved as version 2")
    assert_no_problems("journey b")


def test_c_officer_signs_in_with_2fa_and_takes_an_online_application_to_an_issued_badge():
    jordan, amira = person("jordan"), person("amira")
    set_up(jordan, state["links"][jordan.email], "c-officer")
    sign_out_and_in(jordan, "c-officer-2fa")
    go(jordan, "/t/westminster/cases", "c-officer-queue")
    submit(jordan, "/cases/import", step="c-officer-imported", expect="online applications imported")
    go(jordan, "/t/westminster/cases?show=unassigned", "c-officer-unassigned", expect="Edith Marlowe")
    case = case_href(jordan, "Edith Marlowe")
    state["dennis"] = case_href(jordan, "Dennis Okoro")
    go(jordan, case, "c-officer-case", expect="Edith Marlowe")
    submit(jordan, "/assign-to-me", step="c-officer-assigned")
    set_up(amira, state["links"][amira.email], "c-decider")
    go(amira, case, "c-decider-case", expect="Decide")
    submit(amira, "/decide", {"outcome": "APPROVED"}, "c-decider-approved", expect="Approved")
    submit(amira, "/badge", {}, "c-decider-badge-ordered", expect="Badge ordered")
    badge = amira.driver.find_element(By.CSS_SELECTOR, "a[href*='/badges/']").get_attribute("href")
    go(amira, path_of(badge), "c-decider-badge", expect="Ordered")
    submit(amira, "/issued", step="c-decider-badge-issued", expect="Issued")
    number = path_of(badge).rsplit("/", 1)[-1]
    go(jordan, f"/t/westminster/cases?q={number}", "c-officer-finds-badge", expect="Edith Marlowe")
    assert_no_problems("journey c")


def approve_pending_memberships_as_a_second_administrator():
    """Fixture: the demo council has one administrator, and its policy makes every access change
    wait for a different administrator's approval. There is no second one to sign in, so this
    stands in for them, on the throwaway cluster only."""
    socket_dir, port = os.environ["KERB_BROWSER_PSQL"].rsplit(":", 1)
    sql = ("SELECT schema_name FROM kerb_control.tenants WHERE slug = 'westminster'")
    base = ["psql", "-X", "-qtA", "-v", "ON_ERROR_STOP=1", "-h", socket_dir, "-p", port, "-U", "kerb_super", "-d", "kerb"]
    if os.getuid() == 0:
        base = ["runuser", "-u", "postgres", "--"] + base
    schema = subprocess.run(base + ["-c", sql], capture_output=True, text=True, check=True).stdout.strip()
    assert re.fullmatch(r"[a-z0-9_]+", schema), f"unexpected schema name {schema!r}"
    done = subprocess.run(base + ["-c", f"UPDATE {schema}.group_memberships SET status = 'active', decided_at = now() "
                                         "WHERE status = 'pending' RETURNING id"],
                          capture_output=True, text=True, check=True).stdout.split()
    assert len(done) == 1, f"expected one pending membership, approved {len(done)}"


def test_d_a_refusal_with_reasons_and_its_review():
    jordan, amira, priya, tom = person("jordan"), person("amira"), person("priya"), person("tom")
    case = state["dennis"]
    go(jordan, case, "d-officer-case", expect="Dennis Okoro")
    submit(jordan, "/assess", {"findings": "Walks 200 m without pain or aids"}, "d-officer-assessed", expect="assessed")
    go(amira, case, "d-decider-case", expect="Decide")
    submit(amira, "/decide", {"outcome": "REFUSED", "rationale": ""}, "d-decider-refusal-without-reasons",
           expect="A refusal must give at least one reason", errors_ok=True)
    submit(amira, "/decide", {"outcome": "REFUSED", "reasons-WALKING_NOT_SUBSTANTIAL": "yes",
                              "rationale": "Walks 200 m without pain or aids"}, "d-decider-refused", expect="Refused")
    letter = amira.driver.find_element(By.XPATH, "//a[contains(., 'Refusal with reasons')]").get_attribute("href")
    go(amira, path_of(letter), "d-refusal-letter", expect="ask us to review it")
    go(jordan, case, "d-officer-case-refused")
    submit(jordan, "/review", step="d-officer-review-requested", expect="Answer due by")
    go(amira, case, "d-decider-case-review")
    submit(amira, "/review/decide", {"review-outcome": "OVERTURNED", "review-rationale": "x"},
           "d-decider-may-not-review", expect="someone else must review it", errors_ok=True)
    # A second decision maker: the administrator adds Tom Price to Decision makers.
    set_up(priya, state["links"][priya.email], "d-admin")
    go(priya, "/t/westminster/admin/users", "d-admin-users", expect="Tom Price")
    tom_page = priya.driver.find_element(By.XPATH, "//a[contains(., 'Tom Price')]").get_attribute("href")
    go(priya, path_of(tom_page), "d-admin-tom")
    submit(priya, "/groups", {"group": "label:Decision makers"}, "d-admin-tom-asked", expect="Decision makers")
    approve_pending_memberships_as_a_second_administrator()
    set_up(tom, state["links"][tom.email], "d-reviewer")
    go(tom, case, "d-reviewer-case", expect="Decide the review")
    submit(tom, "/review/decide", {"review-outcome": "OVERTURNED", "review-rationale": "GP letter shows a 30 m limit"},
           "d-reviewer-overturned", expect="Overturned")
    go(priya, "/t/westminster/mi", "d-manager-reports", expect="Decisions per month")
    assert_no_problems("journey d")
