"""End-to-end checks in a real browser against a real server process.

The server is gunicorn with production settings (DEBUG off, collected and compressed
static files) on a SQLite file of its own, with a `manage.py worker` process delivering
the SMS; Playwright drives Debian's Chromium (never a downloaded browser). The tests
read the console gateway's messages from the same database to get one-time codes.
"""

import base64
import functools
import hashlib
import hmac
import json
import os
import re
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("MIZAN_E2E_ARTIFACTS", ROOT / "artifacts" / "e2e"))
CHROMIUM = os.environ.get("MIZAN_CHROMIUM", "/usr/bin/chromium")
AXE_SOURCE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
# Every citizen page, with its CSS, JS, fonts and images, compressed, first visit.
PAGE_BUDGET_BYTES = 60 * 1024
STAFF_PASSWORD = "e2e-staff-password-2026"
PHONE_VIEWPORT = {"width": 360, "height": 740}
STAFF_VIEWPORT = {"width": 1024, "height": 768}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


WEIGHTS: list[tuple[str, int, bool]] = []


def pytest_terminal_summary(terminalreporter):
    for citizen, who in ((True, "citizen"), (False, "staff")):
        pages = sorted((w for w in WEIGHTS if w[2] == citizen), key=lambda w: -w[1])[:3]
        if pages:
            terminalreporter.write_line(
                f"Heaviest {who} pages (bytes transferred compressed, first visit; "
                f"citizen budget {PAGE_BUDGET_BYTES}): "
                + ", ".join(f"{name} {size}" for name, size, _ in pages)
            )


def pytest_sessionstart(session):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\nScreenshots of every step: {ARTIFACTS}")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("mizan-e2e")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "MIZAN_DEBUG": "false",
        "MIZAN_SECRET_KEY": "e2e-only-secret-key-" + "z" * 40,
        "DATABASE_URL": os.environ.get(
            "MIZAN_E2E_DATABASE_URL", f"sqlite:///{work / 'e2e.sqlite3'}"
        ),
        "MIZAN_STATIC_ROOT": str(work / "static"),
        "MIZAN_MEDIA_ROOT": str(work / "media"),
        "MIZAN_COLLECTED_STATIC": "true",
        # Plain HTTP on loopback: cookies cannot be Secure here.
        "MIZAN_SECURE_COOKIES": "false",
        "MIZAN_ALLOWED_HOSTS": "127.0.0.1",
        "MIZAN_SITE_URL": base_url,
        "MIZAN_DEV_OUTBOX": "false",
        "MIZAN_LOG_LEVEL": "WARNING",
        # Every journey asks for codes from 127.0.0.1: room for the whole suite.
        "MIZAN_OTP_MAX_PER_IP_PER_HOUR": "200",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (
        ["migrate", "--no-input", "-v0"],
        ["load_reference"],
        ["collectstatic", "--no-input", "-v0"],
    ):
        subprocess.run(manage + command, env=env, cwd=ROOT, check=True, capture_output=True)

    # This process talks to the same database, to build state through services and to
    # read the SMS the console gateway "sent". Playwright's sync API runs an event loop
    # in this thread, which Django would otherwise take for async code.
    os.environ.update(
        {k: env[k] for k in env if k.startswith(("MIZAN_", "DATABASE_URL", "DJANGO_SETTINGS"))}
    )
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    import django

    django.setup()
    _create_staff()

    logs = open(work / "server.log", "w")  # noqa: SIM115 - closed at teardown
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "60",
            ],
            env=env,
            cwd=ROOT,
            stdout=logs,
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [*manage, "worker", "--interval", "0.2", "--no-reload"],
            env=env,
            cwd=ROOT,
            stdout=logs,
            stderr=subprocess.STDOUT,
        ),
    ]
    try:
        _wait_until_up(f"{base_url}/fr/")
        yield base_url
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        logs.close()
        print((work / "server.log").read_text()[-3000:])


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not answer at {url}")


def _create_staff() -> None:
    from mizan.accounts.models import Role, Unit
    from mizan.accounts.services import staff_user_create

    unit = Unit.objects.get(code="PROS-TPI_CASA_PENAL")
    for username, roles in (
        ("clerk", [Role.AGENT]),
        ("head", [Role.UNIT_HEAD]),
        ("prosecutor", [Role.MAGISTRATE]),
    ):
        staff_user_create(
            username=username,
            password=STAFF_PASSWORD,
            full_name=f"{username.title()} E2E",
            unit=unit,
            roles=roles,
        )


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                # The join page's camera and microphone test: a synthetic camera and a
                # beeping microphone, the permission granted as a citizen would.
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
            ],
        )
        yield chromium
        chromium.close()


class PageChecks:
    """Per page: a screenshot, axe-core at WCAG 2.1 AA, and the transfer budget."""

    def __init__(self, page, base_url: str, folder: Path, *, citizen: bool, js: bool):
        self.page = page
        self.js = js
        self._audit_page = None
        self.base_url = base_url
        self.folder = folder
        self.citizen = citizen
        self.count = 0
        self.transferred = 0
        self.foreign: list[str] = []
        folder.mkdir(parents=True, exist_ok=True)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        # Every page is weighed as on a first visit: nothing from the cache.
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.requestWillBeSent", self._request)

    def _finished(self, event):
        self.transferred += int(event.get("encodedDataLength", 0))

    def _request(self, event):
        url = event["request"]["url"]
        if not (url.startswith(self.base_url) or url.startswith("data:")):
            self.foreign.append(url)

    def start(self) -> None:
        """Call before the action that loads the next page."""
        self.transferred = 0

    def check(self, name: str) -> None:
        self.page.wait_for_load_state("load")
        self.count += 1
        self.page.screenshot(path=self.folder / f"{self.count:02d}-{name}.png", full_page=True)
        assert self.foreign == [], f"third-party requests on {name}: {self.foreign}"
        WEIGHTS.append(
            (f"{self.folder.parent.name}/{self.folder.name}/{name}", self.transferred, self.citizen)
        )
        if self.citizen:
            assert self.transferred <= PAGE_BUDGET_BYTES, (
                f"{name} transferred {self.transferred} bytes (budget {PAGE_BUDGET_BYTES})"
            )
        violations = axe_violations(self._auditable_page())
        assert violations == [], f"accessibility violations on {name}:\n" + json.dumps(
            violations, indent=1, ensure_ascii=False
        )

    def _auditable_page(self):
        """The page itself, or, with JavaScript off (where axe cannot run), a copy of
        its HTML in a JavaScript-enabled page that loads the same styles."""
        if self.js:
            return self.page
        if self._audit_page is None:
            context = self.page.context.browser.new_context(
                viewport=self.page.viewport_size, java_script_enabled=True
            )
            self._audit_page = context.new_page()
        html = self.page.content().replace("<head>", f'<head><base href="{self.base_url}/">', 1)
        self._audit_page.set_content(html, wait_until="load")
        return self._audit_page

    def close(self) -> None:
        if self._audit_page is not None:
            self._audit_page.context.close()


@functools.cache
def _axe_source() -> str:
    return AXE_SOURCE.read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    page.evaluate(_axe_source())
    return page.evaluate(
        """() => axe.run(document, {
             runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
             resultTypes: ['violations'],
           }).then(result => result.violations.map(v => ({
             id: v.id, impact: v.impact, help: v.help,
             nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary),
           })))"""
    )


# --- Shared by the journeys --------------------------------------------------------


def sms_code_for(phone: str) -> str:
    """The newest one-time code the console gateway "sent" to `phone` (never a
    reference's digits from another SMS)."""
    from mizan.notifications.models import ConsoleMessage

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        message = (
            ConsoleMessage.objects.filter(recipient=phone, notification__template_key="phone.code")
            .order_by("-id")
            .first()
        )
        if message and (match := re.search(r"\b(\d{6})\b", message.body)):
            return match.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no code reached {phone}")


# What each staff member's authenticator app holds, learnt at enrolment: its key, the
# last 30-second step used (a code is accepted once), and the recovery codes.
AUTHENTICATORS: dict[str, dict] = {}


def totp_at(secret: str, step: int) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def second_factor(page, checks, username):
    """The log-in's second step: enrol the first time (QR page), then a code each time."""
    page.wait_for_load_state("load")
    if "/login/set-up/" in page.url:
        checks.check("second-factor-set-up")
        secret = page.locator("code.secret").inner_text().replace(" ", "")
        step = int(time.time() // 30)
        page.fill("#id_code", totp_at(secret, step))
        page.click("main form button[type=submit]")
        page.wait_for_load_state("load")
        checks.check("recovery-codes")
        codes = page.locator(".recovery-codes code").all_inner_texts()
        assert len(codes) == 10
        AUTHENTICATORS[username] = {"secret": secret, "last_step": step, "recovery": codes}
        page.click("main a.button")
        return
    assert "/login/verify/" in page.url, page.url
    checks.check("second-factor")
    app = AUTHENTICATORS[username]
    step = int(time.time() // 30)
    if step > app["last_step"]:
        app["last_step"] = step
        code = totp_at(app["secret"], step)
    else:  # this step's code was used already: a recovery code, as a person would
        code = app["recovery"].pop()
    page.fill("#id_code", code)
    page.click("main form button[type=submit]")
    page.wait_for_load_state("load")


class StaffDesk:
    """One staff member logged in (password, then second factor) in a browser of their
    own, taking workflow steps on cases found in their queue; every page is checked."""

    def __init__(
        self,
        browser,
        server,
        folder: Path,
        language: str,
        js: bool,
        username: str,
        *,
        audit_forms: bool = False,
    ):
        self.server, self.language, self.username = server, language, username
        # Also check each step's form once opened (closed, axe does not look into it).
        self.audit_forms = audit_forms
        self.context = browser.new_context(viewport=STAFF_VIEWPORT, java_script_enabled=js)
        self.page = self.context.new_page()
        self.checks = PageChecks(self.page, server, folder, citizen=False, js=js)
        self.page.goto(f"{server}/{language}/backoffice/login/")
        self.checks.check("login")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", STAFF_PASSWORD)
        self.page.click("main form button[type=submit]")
        second_factor(self.page, self.checks, username)
        self.checks.check("queue")

    def open_case(self, reference: str) -> None:
        """From the queue, as an agent would: the case's link."""
        page = self.page
        if not page.url.rstrip("/").endswith("/backoffice"):
            page.goto(f"{self.server}/{self.language}/backoffice/")
            self.checks.check("queue")
        page.click(f"a:has-text('{reference}')")
        assert page.url.endswith(f"/cases/{reference}/"), page.url
        self.checks.check(f"case-{reference}")

    def step(self, reference: str, step: str, **fields) -> None:
        """Open the case from the queue, then take `step`, filling its fields by name
        (selects by value; the assignee by the person's name)."""
        self.open_case(reference)
        page = self.page
        step_box = page.locator(f"details.step:has(input[name=step][value={step}])")
        step_box.locator("summary").click()
        for name, value in fields.items():
            field = step_box.locator(f"[name={name}]")
            if field.evaluate("e => e.tagName") != "SELECT":
                field.fill(value)
            elif name == "assignee":
                field.select_option(label=value)
            else:
                field.select_option(value)
        if self.audit_forms:
            self.checks.check(f"{step}-form")
        step_box.locator("button[type=submit]").click()
        page.wait_for_load_state("load")
        assert page.url.endswith(f"/cases/{reference}/"), page.url
        self.checks.check(f"{step}-done")

    def close(self) -> None:
        self.checks.close()
        self.context.close()


def staff_step(browser, server, folder, language, js, username, reference, step, **fields):
    """Log in, take one step on one case, log out (a browser of its own)."""
    desk = StaffDesk(browser, server, folder / f"agent-{username}-{step}", language, js, username)
    desk.step(reference, step, **fields)
    desk.close()


class Citizen:
    """A citizen's phone: its own browser, every page checked against the citizen
    budget. `visit(name, action)` runs the action that loads a page, then checks it."""

    def __init__(self, browser, server, folder: Path, language: str, js: bool):
        self.server, self.language, self.js = server, language, js
        self.context = browser.new_context(
            viewport=PHONE_VIEWPORT,
            java_script_enabled=js,
            locale={"ar": "ar-MA", "fr": "fr-MA"}.get(language, language),
        )
        self.page = self.context.new_page()
        self.checks = PageChecks(self.page, server, folder, citizen=True, js=js)

    def visit(self, name: str, action) -> None:
        """`action` is a path under the language (str) or a callable that loads a page."""
        self.checks.start()
        if isinstance(action, str):
            self.page.goto(f"{self.server}/{self.language}/{action.lstrip('/')}")
        else:
            action()
        self.page.wait_for_load_state("load")
        self.checks.check(name)

    def close(self) -> None:
        self.checks.close()
        self.context.close()
