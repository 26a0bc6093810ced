"""End-to-end checks in a real browser against a real server process.

The server is gunicorn with production settings (DEBUG off, collected and compressed
static files) on a SQLite file of its own, with a `manage.py worker` process delivering
the SMS; Playwright drives Debian's Chromium (never a downloaded browser). The tests
read the console gateway's messages from the same database to get one-time codes.
"""

import json
import os
import socket
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


def axe_violations(page) -> list[dict]:
    page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
    return page.evaluate(
        """() => axe.run(document, {
             runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
             resultTypes: ['violations'],
           }).then(result => result.violations.map(v => ({
             id: v.id, impact: v.impact, help: v.help,
             nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary),
           })))"""
    )
