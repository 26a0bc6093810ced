#!/usr/bin/env python3
"""`make chaos`: faults survived by Mizan's real processes, under load (issue #12).

Everything runs on 127.0.0.1, in temporary directories, and is stopped at the end (also
on a failure or Ctrl-C):

- a private PostgreSQL cluster (Debian's `initdb`/`pg_ctl`, a free port, deleted at the
  end) — never the machine's shared server, which this script does not touch;
- two app servers with their task workers: `scripts/serve-prod` twice, each with its
  own port, static files and `WORKERS=1`, as two machines would run them (gunicorn with
  production settings, `manage.py worker`);
- a fake SMS aggregator (`mizan.testing.fake_sms_http`, in this process, reached through
  `MIZAN_SMS_GATEWAYS` as in production) that records every message it accepts — it is
  the citizens' phones: the load reads the one-time codes there — and can go down
  (connections refused).

Citizens (threads, each request to the other server in turn) file complaints through
the public form with the one-time code sent by SMS, confirm filings whose code they
already hold, read their tracking page, and book appointments competing for the same
slots. Scenarios:

1. PostgreSQL restarted under load (`pg_ctl restart -m fast`): every answer during the
   fault is the friendly "try again" page or a success, requests succeed again after,
   every filing answered with a reference has its case, every case its first event,
   its SMS and its audit entry;
2. two app servers and two workers under load, with a rush on the same appointment
   slots: no duplicate reference, no SMS taken twice by the gateway, no official booked
   twice at once;
3. the SMS gateway down for N seconds (600 in `make chaos`): filings go on, then the
   backlog drains; every message the database holds was taken by the gateway, once.

Prints a table and exits non-zero when an invariant fails. The figures are written in
docs/operations.md ("Faults survived") by hand, with the command that produced them.

`bench/chaos.py django <command>` is the Django side (seeding, checks), run by this
script with the private database's settings.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime as dt
import glob
import itertools
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TOKEN = "chaos-aggregator-token"
SERVICES = ("mre-family-law", "mre-court-case")  # mizan/appointments/demo.py
CODE_PATTERN = re.compile(r"\b(\d{6})\b")
CSRF_PATTERN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SLOT_PATTERN = re.compile(r'name="slot" value="(\d{4}-\d\d-\d\dT\d\d:\d\dZ)"')


def log(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:
    """In a child: SIGTERM when this script goes away, however it ends."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def descendants(pid: int) -> list[int]:
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
        except OSError:
            continue
        for child in map(int, text.split()):
            found += [child, *descendants(child)]
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


# --- the private PostgreSQL cluster ---------------------------------------------------


def postgres_bin() -> Path:
    """Debian's PostgreSQL programs (the newest installed), installed when missing."""
    for attempt in range(2):
        found = sorted(
            glob.glob("/usr/lib/postgresql/*/bin/initdb"),
            key=lambda p: int(Path(p).parts[4]) if Path(p).parts[4].isdigit() else 0,
        )
        if found:
            return Path(found[-1]).parent
        if shutil.which("initdb") and shutil.which("pg_ctl"):
            return Path(shutil.which("initdb")).parent
        if attempt == 0:
            log("PostgreSQL's programs are missing: installing Debian's postgresql package")
            subprocess.run([str(ROOT / "scripts" / "apt-install"), "postgresql"], check=True)
    raise SystemExit("initdb not found, even after installing postgresql")


class Cluster:
    """A throw-away PostgreSQL cluster on 127.0.0.1:<free port>, owned by `postgres`
    when this runs as root (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="mizan-chaos-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.password = secrets.token_hex(16)
        self.as_owner: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.started = False

    @property
    def url(self) -> str:
        return f"postgres://mizan:{self.password}@127.0.0.1:{self.port}/mizan"

    def _run(self, program: str, *args: str, timeout: float = 180, check: bool = True):
        return subprocess.run(
            [*self.as_owner, str(self.bin / program), *args],
            cwd=self.dir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    def _ctl(self, *args: str, timeout: float = 120, check: bool = True):
        return self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.dir / "postgres.log"), *args,
            timeout=timeout, check=check,
        )  # fmt: skip

    def psql(self, sql: str) -> str:
        return self._run(
            "psql", "-h", str(self.dir), "-p", str(self.port), "-U", "postgres",
            "-d", "postgres", "-qtA", "-v", "ON_ERROR_STOP=1", "-c", sql,
        ).stdout.strip()  # fmt: skip

    def start(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--encoding=UTF8",
            "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync",
        )  # fmt: skip
        settings = (
            f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
            f"unix_socket_directories = '{self.dir}'\nmax_connections = 100\n"
        )
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(settings)
        self._ctl("-w", "-t", "60", "start")
        self.started = True
        self.psql(f"CREATE ROLE mizan LOGIN PASSWORD '{self.password}'")
        self.psql("CREATE DATABASE mizan OWNER mizan")
        log(f"private PostgreSQL {self.bin.parent.name} on 127.0.0.1:{self.port} ({self.dir})")

    def restart(self) -> float:
        """`pg_ctl restart -m fast`: sessions cut, the server down then up; seconds taken."""
        began = time.monotonic()
        self._ctl("-m", "fast", "-w", "-t", "60", "restart")
        return time.monotonic() - began

    def ready(self) -> bool:
        result = subprocess.run(
            [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
            check=False,
        )
        return result.returncode == 0

    def destroy(self) -> None:
        if self.started:
            stopped = self._ctl("-m", "fast", "-w", "-t", "30", "stop", check=False)
            if stopped.returncode != 0:
                self._ctl("-m", "immediate", "-w", "-t", "30", "stop", check=False)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


# --- the fake SMS aggregator ------------------------------------------------------------


def _gateway_class():
    sys.path.insert(0, str(ROOT))
    from mizan.testing.fake_sms_http import FakeSmsServer

    class Gateway(FakeSmsServer):
        """The fake aggregator, with an inbox per phone so that a citizen finds its code
        without copying every message."""

        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            self.inbox: dict[str, list[str]] = defaultdict(list)
            self.down_since: float | None = None

        def _record(self, message: dict) -> dict:  # called with self._lock held
            message = super()._record(message)
            self.inbox[message["to"]].append(message["text"])
            return message

        def code_for(self, phone: str, seen: int = 0) -> str | None:
            with self._lock:
                texts = list(self.inbox.get(phone, ()))[seen:]
            for text in reversed(texts):
                match = CODE_PATTERN.search(text)
                if match:
                    return match.group(1)
            return None

        def accepted(self) -> list[dict]:
            with self._lock:
                return [
                    {
                        "client_reference": m["client_reference"],
                        "to": m["to"],
                        "text": m["text"],
                        "at": m["received_at"].timestamp(),
                    }
                    for m in self._messages
                ]

        def answers(self) -> Counter:
            return Counter(str(r["status"]) for r in self.request_log)

    return Gateway


# --- the app servers ---------------------------------------------------------------------


class AppServer:
    """`scripts/serve-prod` (gunicorn + `manage.py worker`) as one machine would run it."""

    def __init__(self, number: int, env: dict, work: Path, *, web_processes: int) -> None:
        self.number = number
        self.port = free_port()
        self.log_path = work / f"server-{number}.log"
        self.env = {
            **env,
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(web_processes),
            "WORKERS": "1",
            # Each machine collects its own static files.
            "MIZAN_STATIC_ROOT": str(work / f"static-{number}"),
        }
        self.process: subprocess.Popen | None = None
        self.pids: dict[int, str] = {}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with open(self.log_path, "ab") as output:
            self.process = subprocess.Popen(
                [str(ROOT / "scripts" / "serve-prod")],
                env=self.env,
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )

    def wait_ready(self, timeout: float = 240) -> None:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"app server {self.number} stopped: see {self.log_path}")
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        else:
            raise SystemExit(f"app server {self.number} did not start: see {self.log_path}")
        # Every process of the set, to tell later whether one of them died.
        for pid in descendants(self.process.pid):
            cmd = command_line(pid)
            if "manage.py worker" in cmd:
                self.pids[pid] = "worker"
            elif "gunicorn" in cmd:
                self.pids[pid] = "gunicorn"

    def dead(self) -> list[str]:
        """Processes of this set that are gone (the set itself included)."""
        gone = [f"{kind} {pid}" for pid, kind in self.pids.items() if not alive(pid)]
        if self.process is not None and self.process.poll() is not None:
            gone.append(f"serve-prod (exit {self.process.returncode})")
        return gone

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # serve-prod stops its processes
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        # Whatever outlived serve-prod (a second signal it never sent): by pid, only ours.
        for pid, kind in self.pids.items():
            wanted = "manage.py worker" if kind == "worker" else "gunicorn"
            if alive(pid) and wanted in command_line(pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


# --- the load: citizens on both servers ---------------------------------------------------


@dataclass
class Hit:
    """One HTTP request as a citizen saw it."""

    started: float  # epoch seconds
    ended: float
    server: int
    step: str
    status: int | None  # None: no answer (refused, reset, timed out)
    outcome: str  # "ok", "unavailable" (the friendly 503 page) or "failure"
    detail: str = ""


class Abandoned(Exception):
    """The citizen gives up this journey (what happened is in the hits)."""


def friendly(response) -> bool:
    """One of Mizan's own error pages: made by Django (it carries the request id), HTML,
    no internals."""
    body = response.text
    return (
        "X-Request-ID" in response.headers
        and response.headers.get("Content-Type", "").startswith("text/html")
        and "<main>" in body
        and "Traceback" not in body
    )


def location_path(response) -> str:
    location = response.headers.get("Location", "")
    return re.sub(r"^https?://[^/]+", "", location)


class Load:
    """Citizens in threads; every request goes to the next server in turn, so one journey
    crosses both (sessions live in the database)."""

    def __init__(self, bases: list[str], gateway, confirmations: list[str], args) -> None:
        self.bases = bases
        self.gateway = gateway
        self.confirmations = confirmations
        self.args = args
        self.hits: list[Hit] = []
        self.filed: dict[str, dict] = {}  # reference -> how and when it was acknowledged
        self.booked: dict[str, dict] = {}
        self.journeys: Counter = Counter()
        self.events: Counter = Counter()
        self.samples: list[str] = []  # a few failures, as the citizen saw them
        self.tracked: list[tuple[dict, str]] = []
        self.phase = "setup"
        self.mix: dict[str, float] = {}
        self.slots = 3  # a citizen picks among the first free slots
        self.lock = threading.Lock()
        self._turn = 0
        self._phones = 0
        self._threads: list[tuple[threading.Thread, threading.Event]] = []
        self.stopping = threading.Event()

    # requests

    def session(self):
        import requests

        session = requests.Session()
        session.trust_env = False
        session.headers["Accept-Language"] = "fr"
        return session

    def _next_server(self) -> int:
        with self.lock:
            self._turn += 1
            return self._turn % len(self.bases)

    def phone(self, prefix: str) -> str:
        with self.lock:
            self._phones += 1
            return f"+212{prefix}{self._phones:07d}"

    def request(self, session, method, path, *, step, data=None, expect=(200,)):
        import requests

        server = self._next_server()
        started = time.time()
        try:
            response = session.request(
                method,
                self.bases[server] + path,
                data=data,
                allow_redirects=False,
                timeout=(5, 45),
            )
        except requests.RequestException as error:
            detail = f"{type(error).__name__}: {str(error)[:160]}"
            self._hit(Hit(started, time.time(), server, step, None, "failure", detail))
            return None, None
        ended = time.time()
        status = response.status_code
        if status in expect:
            self._hit(Hit(started, ended, server, step, status, "ok"))
            return response, None
        if status == 503 and friendly(response):
            self._hit(Hit(started, ended, server, step, status, "unavailable"))
            return None, response
        detail = re.sub(r"\s+", " ", response.text)[:300]
        self._hit(Hit(started, ended, server, step, status, "failure", detail))
        return None, response

    def _hit(self, hit: Hit) -> None:
        with self.lock:
            self.hits.append(hit)
            if hit.outcome == "failure" and len(self.samples) < 20:
                self.samples.append(
                    f"{time.strftime('%H:%M:%S', time.localtime(hit.started))} server "
                    f"{hit.server} {hit.step}: {hit.status} {hit.detail}"
                )

    def step(self, session, method, path, *, step, data=None, expect=(200,)):
        """A step of a journey; a citizen who meets an error page or no answer tries
        again a second later, for `--patience` seconds. Any other answer ends it."""
        deadline = time.monotonic() + self.args.patience
        while True:
            response, refused = self.request(
                session, method, path, step=step, data=data, expect=expect
            )
            if response is not None:
                return response
            if refused is not None and refused.status_code < 500:
                raise Abandoned(f"{step}: {refused.status_code}")
            if time.monotonic() > deadline or self.stopping.is_set():
                raise Abandoned(f"{step}: no success within {self.args.patience} s")
            time.sleep(1)

    def wait_code(self, phone: str, seen: int) -> str:
        deadline = time.monotonic() + self.args.code_patience
        gateway_down = False
        while time.monotonic() < deadline and not self.stopping.is_set():
            code = self.gateway.code_for(phone, seen)
            if code:
                return code
            gateway_down = gateway_down or not self.gateway.running
            time.sleep(0.2)
        if gateway_down:
            raise Abandoned("code: no SMS, the gateway went down meanwhile")
        raise Abandoned("code: no SMS while the gateway was up")

    def inbox_size(self, phone: str) -> int:
        with self.gateway._lock:
            return len(self.gateway.inbox.get(phone, ()))

    def acknowledge(self, table: dict, reference: str, **info) -> None:
        with self.lock:
            table[reference] = {"phase": self.phase, "at": time.time(), **info}

    # journeys

    def file(self, wait_for_code: bool = True) -> None:
        """A complaint through the public form: the form, the SMS code, the receipt."""
        session = self.session()
        phone = self.phone("66")
        page = self.step(session, "GET", "/fr/complaint/", step="complaint form")
        form = {
            "csrfmiddlewaretoken": CSRF_PATTERN.search(page.text).group(1),
            "complainant_kind": "person",
            "complainant_name": "Citoyen Chaos",
            "id_kind": "cin",
            "id_number": "CH123456",
            "nationality": "MA",
            "country_of_residence": "MA",
            "phone": phone,
            "preferred_language": "fr",
            "accused_unknown": "on",
            "category": "fraud",
            "facts": "J'ai versé un acompte pour un appartement jamais livré. " * 2,
            "facts_date": "2026-10-01",
            "province": "04.421",
            "commune": "04.421.01.0",
            "consent": "on",
        }
        posted = self.step(
            session, "POST", "/fr/complaint/", data=form, expect=(302,), step="complaint post"
        )
        confirm = location_path(posted)
        with self.lock:
            self.events[(self.phase, "complaint forms posted")] += 1
        if not wait_for_code:
            return
        self._confirm(session, confirm, phone=phone, via="form")

    def post_form(self) -> None:
        """While no SMS can come: the form posted, its code queued; the citizen will
        come back (not in this run)."""
        self.file(wait_for_code=False)

    def _confirm(self, session, confirm: str, *, phone: str, via: str) -> None:
        seen = 0
        for _try in range(3):
            code = self.wait_code(phone, seen)
            seen = self.inbox_size(phone)
            page = self.step(session, "GET", confirm, step="code page")
            answer = self.step(
                session,
                "POST",
                confirm,
                data={
                    "csrfmiddlewaretoken": CSRF_PATTERN.search(page.text).group(1),
                    "code": code,
                    "verify": "1",
                },
                expect=(302, 200),
                step="code post",
            )
            if answer.status_code == 302:
                break
            # The code of an earlier try arrived last: wait for the next one.
        else:
            raise Abandoned("code refused")
        self._receipt(session, location_path(answer), phone=phone, via=via)

    def _receipt(self, session, receipt: str, *, phone: str | None, via: str) -> None:
        match = re.search(r"/filed/([A-Z0-9-]+)/", receipt)
        if not match:
            raise Abandoned(f"filed: unexpected redirect to {receipt}")
        reference = match.group(1)
        self.acknowledge(self.filed, reference, phone=phone, via=via)
        self.step(session, "GET", receipt, step="receipt page")
        with self.lock:
            self.tracked.append((dict(session.cookies), reference))
            del self.tracked[:-200]

    def confirm(self) -> None:
        """A citizen who got the code earlier types it in (filings prepared by
        `bench_fixtures`, code known): the filing itself, without waiting for an SMS."""
        with self.lock:
            if not self.confirmations:
                raise Abandoned("no prepared filing left")
            line = self.confirmations.pop()
        path, _cookie, body = line.split("\t")
        session = self.session()
        from urllib.parse import parse_qsl

        page = self.step(session, "GET", path, step="code page")
        data = dict(parse_qsl(body))
        data["csrfmiddlewaretoken"] = CSRF_PATTERN.search(page.text).group(1)
        answer = self.step(session, "POST", path, data=data, expect=(302,), step="code post")
        self._receipt(session, location_path(answer), phone=None, via="code")

    def track(self) -> None:
        with self.lock:
            chosen = random.choice(self.tracked) if self.tracked else None
        if chosen is None:  # nothing filed yet: file first
            return self.file()
        cookies, reference = chosen
        session = self.session()
        for name, value in cookies.items():
            session.cookies.set(name, value)
        self.step(session, "GET", f"/fr/track/{reference}/", step="tracking page")

    def book(self) -> None:
        """An appointment: subject, a slot among the first few free (others want them
        too), details, the SMS code; a slot taken meanwhile means choosing another."""
        session = self.session()
        phone = self.phone("65")
        service = random.choice(SERVICES)
        start = f"/fr/appointments/service/{service}/"
        page = self.step(session, "GET", start, step="appointment subject")
        token = CSRF_PATTERN.search(page.text).group(1)
        answer = self.step(
            session,
            "POST",
            start,
            data={
                "csrfmiddlewaretoken": token,
                "subject": "Transcription d'un divorce prononcé à l'étranger",
                "case_reference": "",
                "country_of_residence": "MA",
            },
            expect=(302,),
            step="appointment subject post",
        )
        slots = location_path(answer)
        verified = False
        for _try in range(6):
            page = self.step(session, "GET", slots, step="appointment slots")
            keys = SLOT_PATTERN.findall(page.text)
            if not keys:
                raise Abandoned("no free slot")
            answer = self.step(
                session,
                "POST",
                slots,
                data={"csrfmiddlewaretoken": token, "slot": random.choice(keys[: self.slots])},
                expect=(302, 200),
                step="appointment slot post",
            )
            if answer.status_code == 200:  # taken since the page was shown: said so
                with self.lock:
                    self.events[(self.phase, "slot taken meanwhile")] += 1
                continue
            target = location_path(answer)
            if target.endswith("/appointments/details/") and not verified:
                self.step(session, "GET", target, step="appointment details")
                answer = self.step(
                    session,
                    "POST",
                    target,
                    data={
                        "csrfmiddlewaretoken": token,
                        "name": "Citoyenne Chaos",
                        "phone": phone,
                        "email": "",
                        "consent": "on",
                        "phone_call_fallback": "on",
                    },
                    expect=(302,),
                    step="appointment details post",
                )
                code_page = location_path(answer)
                code = self.wait_code(phone, 0)
                self.step(session, "GET", code_page, step="appointment code page")
                answer = self.step(
                    session,
                    "POST",
                    code_page,
                    data={"csrfmiddlewaretoken": token, "code": code},
                    expect=(302,),
                    step="appointment code post",
                )
                verified = True
                target = location_path(answer)
            match = re.search(r"/appointments/booked/([A-Z0-9-]+)/", target)
            if match:
                self.acknowledge(self.booked, match.group(1), phone=phone, service=service)
                self.step(session, "GET", target, step="appointment booked page")
                return
            if "/slots/" not in target:
                raise Abandoned(f"booking: unexpected redirect to {target}")
            with self.lock:
                self.events[(self.phase, "slot taken meanwhile")] += 1
        raise Abandoned("booking: every slot tried was taken")

    # threads

    def _citizen(self, stop: threading.Event) -> None:
        while not stop.is_set() and not self.stopping.is_set():
            with self.lock:
                phase, mix = self.phase, dict(self.mix)
            kind = random.choices(list(mix), weights=list(mix.values()))[0]
            try:
                getattr(self, kind)()
                result = "done"
            except Abandoned as reason:
                result = f"abandoned ({reason})"
            except Exception as error:  # a bug of this script: shown, the load goes on
                result = f"crashed ({type(error).__name__}: {error})"
            with self.lock:
                self.journeys[(phase, kind, result)] += 1
            stop.wait(self.args.think)

    def citizens(self, count: int) -> None:
        """Run `count` citizens from now on (more are started, extra ones stopped)."""
        self._threads = [(t, s) for t, s in self._threads if t.is_alive() and not s.is_set()]
        while len(self._threads) < count:
            stop = threading.Event()
            thread = threading.Thread(target=self._citizen, args=(stop,), daemon=True)
            thread.start()
            self._threads.append((thread, stop))
        for _thread, stop in self._threads[count:]:
            stop.set()
        self._threads = self._threads[:count]

    def set_phase(self, phase: str, mix: dict[str, float]) -> None:
        with self.lock:
            self.phase, self.mix = phase, mix
        log(f"phase: {phase}")

    def finish(self, timeout: float = 90) -> None:
        """Stop starting journeys; let those under way end (bounded)."""
        for _thread, stop in self._threads:
            stop.set()
        deadline = time.monotonic() + timeout
        for thread, _stop in self._threads:
            thread.join(max(0.1, deadline - time.monotonic()))
        self.stopping.set()
        for thread, _stop in self._threads:
            thread.join(10)
        self._threads = []

    def hits_between(self, start: float, end: float) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.started <= end and h.ended >= start]


# --- the Django side (run as `bench/chaos.py django ...` with the private database) --------


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def django_seed(folder: Path, filings: int, officials: int) -> None:
    """Filings waiting for a code the load knows (`bench_fixtures`' own), and more
    officials holding the demo appointment services, so the slots last the run."""
    _django()
    from datetime import time as wall

    from mizan.accounts.models import Role, Unit
    from mizan.accounts.services import staff_user_create
    from mizan.appointments.models import Availability, WeeklyHours
    from mizan.cases.management.commands.bench_fixtures import Command as Fixtures

    folder.mkdir(parents=True, exist_ok=True)
    csrf = secrets.token_hex(16)
    Fixtures()._filings(folder, random.Random(7), csrf, filings)
    unit = Unit.objects.get(code="MRE")
    for number in range(officials):
        official = staff_user_create(
            username=f"chaos.official{number}",
            password=secrets.token_urlsafe(16),
            full_name=f"Official {number}",
            unit=unit,
            roles=[Role.MAGISTRATE],
        )
        availability = Availability.objects.create(official=official, buffer_minutes=10)
        # Long days, every day: the slots last a whole run without more officials.
        for weekday in range(7):
            WeeklyHours.objects.create(
                availability=availability, weekday=weekday, starts_at=wall(7), ends_at=wall(21)
            )
    print(f"SEEDED {filings} filings, {officials} more officials")


def django_check(records_path: Path) -> None:
    """The invariants, from the database and what the load and the gateway saw; prints
    one JSON line."""
    _django()
    from django.db.models import Count

    from mizan.appointments.models import Booking
    from mizan.cases.models import Case, CaseEvent, PendingFiling
    from mizan.core.models import AuditEntry
    from mizan.notifications.models import Notification

    records = json.loads(records_path.read_text())
    since = dt.datetime.fromtimestamp(records["since"], dt.UTC)
    filed = records["filed"]
    booked = records["booked"]

    cases = Case.objects.filter(submitted_at__gte=since)
    known = Case.objects.filter(reference__in=list(filed)).values_list("reference", flat=True)
    in_db = dict(cases.values_list("reference", "id"))
    events = Counter(
        CaseEvent.objects.filter(case__in=cases, step="submit").values_list(
            "case__reference", flat=True
        )
    )
    audits = Counter(
        AuditEntry.objects.filter(action="case.submitted", object_id__in=list(in_db)).values_list(
            "object_id", flat=True
        )
    )
    received = Counter(
        Notification.objects.filter(case__in=cases, channel="sms").values_list(
            "case__reference", flat=True
        )
    )
    incomplete = {
        reference: [
            part
            for part, count in (
                ("submit event", events[reference]),
                ("audit entry", audits[reference]),
                ("SMS", received[reference]),
            )
            if count == 0
        ]
        for reference in in_db
    }
    incomplete = {ref: parts for ref, parts in incomplete.items() if parts}
    twice = {
        ref: f"{events[ref]} submit events, {audits[ref]} audit entries, {received[ref]} SMS"
        for ref in in_db
        if events[ref] > 1 or audits[ref] > 1 or received[ref] > 1
    }
    duplicate_references = list(
        Case.objects.values("reference").annotate(n=Count("id")).filter(n__gt=1)
    ) + list(Booking.objects.values("reference").annotate(n=Count("id")).filter(n__gt=1))
    confirmed_twice = list(
        PendingFiling.objects.filter(case__isnull=False)
        .values("case")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )

    bookings = Booking.objects.filter(created_at__gte=since)
    active = list(
        Booking.objects.filter(status="active")
        .order_by("official_id", "starts_at")
        .values_list("official_id", "starts_at", "ends_at", "reference")
    )
    same_slot = [(a[3], b[3]) for a, b in itertools.pairwise(active) if a[:2] == b[:2]]
    overlapping, reach = [], {}
    for official, starts_at, ends_at, reference in active:
        last = reach.get(official)
        if last is not None and starts_at < last[0] and (last[1], reference) not in same_slot:
            overlapping.append((last[1], reference))
        if last is None or ends_at > last[0]:
            reach[official] = (ends_at, reference)
    booking_refs = set(bookings.values_list("reference", flat=True))
    confirmations = Counter(
        key.split(":")[1]
        for key in Notification.objects.filter(
            idempotency_key__startswith="appointment:", idempotency_key__endswith=":confirmed:sms"
        ).values_list("idempotency_key", flat=True)
    )
    booking_ids = dict(bookings.values_list("reference", "id"))
    unconfirmed = [ref for ref, pk in booking_ids.items() if confirmations[str(pk)] == 0]

    # Every SMS of this database: the run's, and the few of the demo data before it.
    sms = Notification.objects.filter(channel="sms")
    statuses = Counter(sms.values_list("status", flat=True))
    rows = dict(sms.values_list("client_reference", "status"))
    accepted = records["accepted"]
    taken = Counter(m["client_reference"] for m in accepted)
    handed = {"sent", "delivered"}
    same_text = Counter((m["to"], m["text"]) for m in accepted)
    result = {
        "cases_in_db": len(in_db),
        "filings_acknowledged": len(filed),
        "cases_lost": sorted(set(filed) - set(known)),
        "cases_incomplete": incomplete,
        "cases_written_twice": twice,
        "cases_without_answer": sorted(set(in_db) - set(filed)),
        "duplicate_references": [str(row) for row in duplicate_references],
        "filings_confirmed_twice": [str(row) for row in confirmed_twice],
        "bookings_in_db": len(booking_refs),
        "bookings_acknowledged": len(booked),
        "bookings_lost": sorted(set(booked) - booking_refs),
        "bookings_without_answer": sorted(booking_refs - set(booked)),
        "bookings_same_official_same_slot": same_slot,
        "bookings_overlapping": overlapping,
        "bookings_without_confirmation_sms": unconfirmed,
        "sms_in_db": len(rows),
        "sms_statuses": dict(statuses),
        "sms_accepted_by_gateway": len(accepted),
        "sms_not_handed_over": sorted(r for r, s in rows.items() if s not in handed),
        "sms_recorded_sent_never_received": sorted(
            r for r, s in rows.items() if s in handed and r not in taken
        ),
        "sms_unknown_to_db": sorted(set(taken) - set(rows)),
        "sms_accepted_twice": sorted(r for r, n in taken.items() if n > 1),
        "sms_same_text_twice": [
            f"{to}: {text[:40]}" for (to, text), n in same_text.items() if n > 1
        ],
    }
    print("CHECK " + json.dumps(result))


# --- the run ---------------------------------------------------------------------------------

NORMAL = {"file": 3, "confirm": 2, "track": 4, "book": 0.5}
RUSH = {"book": 6, "file": 1, "confirm": 1, "track": 1}
# No code can come while the gateway is down: walk-in citizens post the form (its code is
# queued) and will come back; those who had their code before go on filing.
OUTAGE = {"post_form": 2, "confirm": 3, "track": 3}
# The retry policy's defaults (config/settings.py): MIZAN_SMS_RETRY_BASE_SECONDS, _MAX_,
# and MIZAN_SMS_PROVIDER_PROBE_MAX_SECONDS (a provider down is probed at most this far
# apart, and its waiting messages are due when it answers).
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600
PROVIDER_PROBE_MAX_SECONDS = 60


class Run:
    def __init__(self, args) -> None:
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="mizan-chaos-"))
        self.cluster: Cluster | None = None
        self.gateway = None
        self.servers: list[AppServer] = []
        self.load: Load | None = None
        self.env: dict = {}
        self.results: dict = {"scenarios": {}}
        self.dead: list[str] = []

    # helpers

    def manage(self, *args: str, timeout: float = 600) -> str:
        result = subprocess.run(
            [PYTHON, str(ROOT / "manage.py"), *args],
            env={**self.env, "MIZAN_DEBUG": "false"},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def django(self, *args: str, timeout: float = 600) -> str:
        result = subprocess.run(
            [PYTHON, str(Path(__file__).resolve()), "django", *args],
            env={**self.env, "MIZAN_DEBUG": "false"},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise SystemExit(f"chaos.py django {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def sql(self, query: str, params=()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.cluster.url.replace("postgres://", "postgresql://"),
                             connect_timeout=5) as connection:  # fmt: skip
            return connection.execute(query, params).fetchall()

    def sms_waiting(self, created_before: float | None = None) -> int:
        """SMS not handed over yet (queued, being sent, or waiting for a retry)."""
        query = (
            "SELECT count(*) FROM notifications_notification WHERE channel = 'sms'"
            " AND status NOT IN ('sent', 'delivered', 'permanent-failure', 'technical-failure')"
        )
        params: tuple = ()
        if created_before is not None:
            query += " AND created_at <= %s"
            params = (dt.datetime.fromtimestamp(created_before, dt.UTC),)
        return self.sql(query, params)[0][0]

    def check_processes(self) -> list[str]:
        dead = [f"server {s.number}: {d}" for s in self.servers for d in s.dead()]
        for gone in dead:
            if gone not in self.dead:
                log(f"PROCESS GONE: {gone}")
                self.dead.append(gone)
        return dead

    def wait(self, seconds: float) -> None:
        """Sleep while the load runs, watching the processes."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
            self.check_processes()

    def figures(self, start: float, end: float) -> dict:
        hits = self.load.hits_between(start, end)
        return {
            "seconds": round(end - start, 1),
            "requests": len(hits),
            "errors_seen": sum(h.outcome != "ok" for h in hits),
            "friendly_503": sum(h.outcome == "unavailable" for h in hits),
            "failures": sum(h.outcome == "failure" for h in hits),
            "filings_acknowledged": sum(
                start <= f["at"] <= end for f in list(self.load.filed.values())
            ),
            "bookings_acknowledged": sum(
                start <= b["at"] <= end for b in list(self.load.booked.values())
            ),
        }

    # set-up

    def setup(self) -> None:
        args = self.args
        self.cluster = Cluster()
        self.cluster.start()
        self.gateway = _gateway_class()(token=TOKEN).start()
        gateways = [
            {"name": "aggregator", "kind": "http-json", "url": self.gateway.json_url,
             "token": TOKEN, "cost": "0.15"}
        ]  # fmt: skip
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith("MIZAN_")
                and k not in ("DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR", "BIND", "WORKERS")
            },
            "DATABASE_URL": self.cluster.url,
            "MIZAN_SECRET_KEY": "chaos-only-secret-key-" + "c" * 40,
            "MIZAN_ALLOWED_HOSTS": "127.0.0.1",
            "MIZAN_SITE_URL": "http://127.0.0.1:8000",
            "MIZAN_SECURE_COOKIES": "false",
            "MIZAN_COLLECTED_STATIC": "true",
            "MIZAN_MEDIA_ROOT": str(self.work / "media"),
            "MIZAN_LOG_LEVEL": "WARNING",
            "MIZAN_SMS_GATEWAYS": json.dumps(gateways),
            # The load comes from one address with many phones: lift the per-address limits.
            "MIZAN_OTP_MAX_PER_IP_PER_HOUR": "100000000",
            "MIZAN_TRACK_MAX_FAILURES_PER_IP_PER_HOUR": "100000000",
        }
        log("migrating and loading the reference, demo and seed data")
        self.manage("migrate", "--no-input", "-v0")
        self.manage("load_reference")
        self.manage("load_holidays")
        self.manage("load_demo", "--force")
        lists = self.work / "lists"
        self.django(
            "seed", str(lists), "--filings", str(args.filings), "--officials", str(args.officials)
        )
        confirmations = (lists / "filing_confirm.tsv").read_text().splitlines()
        for number in (1, 2):
            server = AppServer(number, self.env, self.work, web_processes=args.web)
            self.servers.append(server)
            server.start()
            server.wait_ready()
            log(f"app server {number} (serve-prod: gunicorn × {args.web}, 1 worker) on "
                f"{server.base}")  # fmt: skip
        self.load = Load([s.base for s in self.servers], self.gateway, confirmations, args)

    # scenarios

    def warm_up(self) -> None:
        self.results["since"] = time.time()
        self.load.set_phase("warm-up", NORMAL)
        self.load.citizens(self.args.citizens)
        self.wait(self.args.warmup)

    def postgresql_restarts(self) -> None:
        args = self.args
        self.load.set_phase("PostgreSQL restart", NORMAL)
        start = time.time()
        windows = []
        for number in range(args.restarts):
            self.wait(args.before_fault)
            began = time.time()
            took = self.cluster.restart()
            windows.append((began, time.time()))
            log(f"PostgreSQL restart {number + 1}/{args.restarts}: down and up in {took:.1f} s")
            self.wait(args.after_fault)
        end = time.time()
        figures = self.figures(start, end)
        during = [h for a, b in windows for h in self.load.hits_between(a, b)]
        errors = [h for h in self.load.hits_between(start, end) if h.outcome != "ok"]
        settle = args.settle
        # In flight when the restart began, or started before it was over (+ settling).
        after = [
            h
            for h in errors
            if not any(h.ended >= a and h.started <= b + settle for a, b in windows)
        ]
        recovered = []
        for index, (a, b) in enumerate(windows):
            following = windows[index + 1][0] if index + 1 < len(windows) else end
            last = max((h.ended for h in errors if a <= h.ended < following), default=None)
            recovered.append(round(max(0.0, last - b), 1) if last else 0.0)
        figures.update(
            restarts=len(windows),
            restart_seconds=[round(b - a, 1) for a, b in windows],
            requests_during_fault=len({id(h) for h in during}),
            errors_after_recovery=len(after),
            last_error_after_up_seconds=recovered,
        )
        self.results["scenarios"]["postgresql_restart"] = figures

    def rush(self) -> None:
        args = self.args
        self.load.set_phase("appointment rush", RUSH)
        taken_before = sum(
            n for (p, e), n in self.load.events.items() if e == "slot taken meanwhile"
        )
        start = time.time()
        self.load.slots = 2  # everyone after the first free slots
        self.load.citizens(args.rush_citizens)
        self.wait(args.rush_seconds)
        self.load.citizens(args.citizens)
        self.load.slots = 3
        end = time.time()
        figures = self.figures(start, end)
        figures["slot_taken_answers"] = (
            sum(n for (p, e), n in self.load.events.items() if e == "slot taken meanwhile")
            - taken_before
        )
        figures["citizens"] = args.rush_citizens
        self.results["scenarios"]["two_servers_two_workers"] = figures

    def gateway_down(self) -> None:
        args = self.args
        self.load.set_phase("SMS gateway down", OUTAGE)
        start = time.time()
        self.gateway.stop()
        log(f"SMS gateway down for {args.outage} s")
        remaining = args.outage
        while remaining > 0:
            self.wait(min(60, remaining))
            remaining -= 60
            log(f"  gateway down: {self.sms_waiting()} SMS waiting")
        waiting = self.sql(
            "SELECT client_reference, attempts FROM notifications_notification"
            " WHERE channel = 'sms' AND status NOT IN"
            " ('sent', 'delivered', 'permanent-failure', 'technical-failure')"
        )
        backlog = len(waiting)
        up = time.time()
        self.gateway.start()
        self.load.set_phase("SMS gateway back", NORMAL)
        # How long the retry policy may take to try them all again: the provider's next
        # probe, or the back-off step the most tried message has reached if longer
        # (docs/notifications.md, "Retries"; the settings' defaults), plus a margin;
        # never past --drain-limit.
        most = max((attempts for _ref, attempts in waiting), default=0)
        backoff = max(
            PROVIDER_PROBE_MAX_SECONDS,
            min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** max(most - 1, 0)),
        )
        bound = min(args.drain_limit, backoff + 120)
        log(
            f"SMS gateway back: {backlog} SMS waiting, up to {most} attempts made: "
            f"waiting up to {bound:.0f} s for them"
        )
        deadline = time.monotonic() + bound
        drained = None
        while time.monotonic() < deadline:
            self.wait(1)
            if self.sms_waiting(created_before=up) == 0:
                drained = time.time() - up
                break
        log(f"backlog drained in {drained:.1f} s" if drained else "backlog NOT drained")
        figures = self.figures(start, up)
        wanted = {reference for reference, _attempts in waiting}
        taken = sorted(
            m["at"] - up for m in self.gateway.accepted() if m["client_reference"] in wanted
        )

        def share(fraction: float):
            index = max(0, int(len(wanted) * fraction + 0.999999) - 1)
            return round(taken[index], 1) if index < len(taken) else None

        figures.update(
            drained_by_share={f"{int(q * 100)} %": share(q) for q in (0.5, 0.9, 0.99, 1.0)},
            backlog_attempts=dict(Counter(attempts for _ref, attempts in waiting)),
            outage_seconds=round(up - start, 1),
            complaint_forms_posted=sum(
                n for (p, e), n in self.load.events.items()
                if p == "SMS gateway down" and e == "complaint forms posted"
            ),
            backlog_at_return=backlog,
            drain_seconds=round(drained, 1) if drained is not None else None,
            drain_limit=round(bound),
            attempts_before_return=sum(a for _ref, a in waiting),
        )  # fmt: skip
        self.results["scenarios"]["sms_gateway_down"] = figures

    def finish(self) -> None:
        log("stopping the load; waiting for the last SMS")
        self.load.set_phase("end", NORMAL)
        self.load.finish()
        deadline = time.monotonic() + 180
        while self.sms_waiting() and time.monotonic() < deadline:
            self.wait(1)
        self.check_processes()
        audit = subprocess.run(
            [PYTHON, str(ROOT / "manage.py"), "verify_audit"],
            env={**self.env, "MIZAN_DEBUG": "false"},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        records = self.work / "records.json"
        records.write_text(
            json.dumps(
                {
                    "since": self.results["since"],
                    "filed": self.load.filed,
                    "booked": self.load.booked,
                    "accepted": self.gateway.accepted(),
                }
            )
        )
        checks = json.loads(self.django("check", str(records)).split("CHECK ", 1)[1])
        with self.load.lock:
            hits = list(self.load.hits)
        (self.work / "hits.json").write_text(json.dumps([asdict(hit) for hit in hits]))
        self.results.update(
            checks=checks,
            audit_chain_ok=audit.returncode == 0,
            audit_output=(audit.stdout + audit.stderr).strip()[-500:],
            processes_gone=self.dead,
            requests=len(hits),
            failures=sum(h.outcome == "failure" for h in hits),
            friendly_503=sum(h.outcome == "unavailable" for h in hits),
            journeys={" / ".join(k): n for k, n in sorted(self.load.journeys.items())},
            failure_samples=self.load.samples,
            gateway_answers=dict(self.gateway.answers()),
        )

    def teardown(self) -> None:
        if self.load is not None:
            self.load.stopping.set()
        for server in self.servers:
            with contextlib.suppress(Exception):
                server.stop()
        if self.gateway is not None:
            with contextlib.suppress(Exception):
                self.gateway.stop()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                shutil.copy(self.cluster.dir / "postgres.log", self.work / "postgres.log")
            self.cluster.destroy()
        # The logs stay for a look (var/ is not committed); the rest goes.
        kept = ROOT / "var" / "chaos" / "last"
        shutil.rmtree(kept, ignore_errors=True)
        kept.mkdir(parents=True, exist_ok=True)
        for path in [*self.work.glob("*.log"), *self.work.glob("*.json")]:
            shutil.copy(path, kept / path.name)
        shutil.rmtree(self.work, ignore_errors=True)


def invariants(results: dict) -> list[tuple[str, bool, str]]:
    """(what must hold, held, the figure)."""
    checks = results["checks"]
    scenarios = results["scenarios"]
    restart = scenarios.get("postgresql_restart", {})
    rush = scenarios.get("two_servers_two_workers", {})
    outage = scenarios.get("sms_gateway_down", {})
    journeys = results["journeys"]
    crashed = sum(n for k, n in journeys.items() if "crashed" in k)
    no_code = sum(n for k, n in journeys.items() if "no SMS while the gateway was up" in k)

    def zero(name: str, value) -> tuple[str, bool, str]:
        count = value if isinstance(value, int) else len(value)
        shown = "" if isinstance(value, int) or not value else f" {list(value)[:5]}"
        return name, count == 0, f"{count}{shown}"

    rows = [
        zero("answers neither a success nor the friendly 503 page", results["failures"]),
        zero("errors once PostgreSQL was back (after the settling time)",
             restart.get("errors_after_recovery", 0)),
        zero("errors seen with two servers and two workers (no fault)", rush.get("errors_seen", 0)),
        zero("errors seen on the web while the SMS gateway was down",
             outage.get("errors_seen", 0)),
        zero("processes gone (gunicorn, workers, serve-prod)", results["processes_gone"]),
        zero("cases lost (a reference was given, no case)", checks["cases_lost"]),
        zero("half-written cases (no submit event, audit entry or SMS)",
             checks["cases_incomplete"]),
        zero("cases written twice (events, audit entries or SMS)", checks["cases_written_twice"]),
        zero("duplicate references (cases, appointments)", checks["duplicate_references"]),
        zero("filings confirmed twice", checks["filings_confirmed_twice"]),
        zero("appointments lost (a reference was given, no booking)", checks["bookings_lost"]),
        zero("official booked twice at the same time", checks["bookings_same_official_same_slot"]),
        zero("official's appointments overlapping", checks["bookings_overlapping"]),
        zero("appointments without their confirmation SMS",
             checks["bookings_without_confirmation_sms"]),
        zero("SMS never handed to the gateway", checks["sms_not_handed_over"]),
        zero("SMS recorded sent that the gateway never got",
             checks["sms_recorded_sent_never_received"]),
        zero("SMS at the gateway unknown to the database", checks["sms_unknown_to_db"]),
        zero("SMS accepted twice by the gateway (same message)", checks["sms_accepted_twice"]),
        zero("same text sent twice to the same phone", checks["sms_same_text_twice"]),
        zero("codes that never came while the gateway was up", no_code),
        zero("journeys broken by this script's own errors", crashed),
        ("SMS backlog drained after the gateway came back",
         outage.get("drain_seconds") is not None or not outage,
         f"{outage.get('drain_seconds')} s (limit {outage.get('drain_limit')} s)"),
        ("audit log's hash chain holds (verify_audit)", results["audit_chain_ok"],
         results["audit_output"][-120:]),
    ]  # fmt: skip
    return rows


def report(results: dict) -> str:
    scenarios = results["scenarios"]
    checks = results["checks"]
    lines = [
        f"\n## {results['date']} — {results['machine']}: `{results['command']}`\n",
        "| scenario | seconds | requests | during the fault | errors seen by users "
        "(friendly 503) | failures (other answers) | filings answered | appointments |",
        "|---|---|---|---|---|---|---|---|",
    ]
    names = {
        "postgresql_restart": "PostgreSQL restarted under load",
        "two_servers_two_workers": "two app servers + two workers, appointment rush",
        "sms_gateway_down": "SMS gateway down",
    }
    for key, figures in scenarios.items():
        during = figures.get("requests_during_fault", "—")
        if key == "sms_gateway_down":
            during = figures["requests"]
        lines.append(
            f"| {names[key]} | {figures['seconds']} | {figures['requests']} | {during} | "
            f"{figures['errors_seen']} ({figures['friendly_503']}) | {figures['failures']} | "
            f"{figures['filings_acknowledged']} | {figures['bookings_acknowledged']} |"
        )
    restart = scenarios.get("postgresql_restart")
    if restart:
        lines.append(
            f"\nPostgreSQL: {restart['restarts']} restarts (`pg_ctl restart -m fast`, down and "
            f"up in {restart['restart_seconds']} s); last error "
            f"{restart['last_error_after_up_seconds']} s after it was up again; errors later: "
            f"{restart['errors_after_recovery']}."
        )
    rush = scenarios.get("two_servers_two_workers")
    if rush:
        lines.append(
            f"Appointment rush: {rush['citizens']} citizens, {rush['bookings_acknowledged']} "
            f"booked, {rush['slot_taken_answers']} told the slot was just taken."
        )
    outage = scenarios.get("sms_gateway_down")
    if outage:
        lines.append(
            f"SMS gateway down {outage['outage_seconds']} s: {outage['complaint_forms_posted']} "
            f"complaint forms posted (their codes queued), {outage['filings_acknowledged']} "
            f"filings answered, {outage['backlog_at_return']} SMS waiting when it came back, "
            f"drained in {outage['drain_seconds']} s (share of the backlog taken by the gateway, "
            f"seconds after its return: {outage['drained_by_share']}; attempts already made "
            f"by the waiting SMS: {outage['backlog_attempts']}, "
            f"{outage['attempts_before_return']} in all)."
        )
    lines.append(
        f"Whole run: {results['requests']} requests, {checks['filings_acknowledged']} filings "
        f"answered ({checks['cases_in_db']} cases in the database; "
        f"{len(checks['cases_without_answer'])} filed whose answer was lost), "
        f"{checks['bookings_acknowledged']} appointments, {checks['sms_in_db']} SMS "
        f"({checks['sms_accepted_by_gateway']} accepted by the gateway; "
        f"{results['gateway_answers'].get('200', 0)} asked again with the same client "
        f"reference and deduplicated by it).\n"
    )
    lines += ["| invariant | holds | figure |", "|---|---|---|"]
    for name, held, figure in invariants(results):
        lines.append(f"| {name} | {'yes' if held else '**NO**'} | {figure} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short durations (~5 min)")
    parser.add_argument("--outage", type=float, help="seconds the SMS gateway is down (600)")
    parser.add_argument("--restarts", type=int, help="PostgreSQL restarts (3)")
    parser.add_argument("--citizens", type=int, default=6, help="concurrent citizens")
    parser.add_argument("--rush-citizens", type=int, default=12, help="during the rush")
    parser.add_argument("--rush-seconds", type=float, help="appointment rush (60)")
    parser.add_argument("--web", type=int, default=3, help="gunicorn processes per server")
    parser.add_argument("--think", type=float, default=0.1, help="pause between journeys")
    parser.add_argument("--patience", type=float, default=60, help="a citizen retries this long")
    parser.add_argument("--code-patience", type=float, default=120, help="waiting for an SMS code")
    parser.add_argument(
        "--drain-limit", type=float, help="longest wait for the SMS backlog (1200 s; quick 300)"
    )
    parser.add_argument("--settle", type=float, default=5, help="errors allowed after a restart")
    args = parser.parse_args()
    quick = args.quick
    args.outage = args.outage if args.outage is not None else (30 if quick else 600)
    args.restarts = args.restarts or (1 if quick else 3)
    args.rush_seconds = args.rush_seconds or (20 if quick else 60)
    args.drain_limit = args.drain_limit or (300 if quick else 1200)
    args.warmup = 10 if quick else 20
    args.before_fault = 5 if quick else 10
    args.after_fault = 15 if quick else 20
    args.filings = 1000 if quick else 6000
    # One more official than the demo's: enough slots for the run, few enough per slot
    # that a rush fights over them.
    args.officials = 1

    def terminate(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    started = time.monotonic()
    run = Run(args)
    try:
        run.setup()
        run.warm_up()
        run.postgresql_restarts()
        run.rush()
        run.gateway_down()
        run.finish()
    finally:
        run.teardown()
    results = run.results
    results.update(
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=f"{platform.node()} ({os.cpu_count()} cores, {platform.machine()})",
        command="make chaos-quick" if quick else "make chaos",
        minutes=round((time.monotonic() - started) / 60, 1),
        load=os.getloadavg(),
    )
    kept = ROOT / "var" / "chaos" / "last"
    (kept / "results.json").write_text(json.dumps(results, indent=1, default=str))
    print(report(results))
    print(f"Journeys: {json.dumps(results['journeys'], indent=1)}")
    if results["failure_samples"]:
        print("First failures seen:\n  " + "\n  ".join(results["failure_samples"]))
    print(f"\n{results['minutes']} min; logs and results.json in {kept}")
    if not all(held for _name, held, _figure in invariants(results)):
        raise SystemExit("chaos: an invariant does not hold (see the table)")


def django_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="chaos.py django")
    commands = parser.add_subparsers(dest="command", required=True)
    seeding = commands.add_parser("seed")
    seeding.add_argument("folder", type=Path)
    seeding.add_argument("--filings", type=int, default=600)
    seeding.add_argument("--officials", type=int, default=4)
    checking = commands.add_parser("check")
    checking.add_argument("records", type=Path)
    args = parser.parse_args(argv)
    if args.command == "seed":
        django_seed(args.folder, args.filings, args.officials)
    else:
        django_check(args.records)


if __name__ == "__main__":
    if sys.argv[1:2] == ["django"]:
        django_main(sys.argv[2:])
    else:
        main()
