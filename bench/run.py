#!/usr/bin/env python3
"""`make bench`: Mizan under load on loopback, next to a floor measured in the same run.

For each database (PostgreSQL, SQLite): a fresh benchmark database, `bench_seed`,
`bench_fixtures`, gunicorn with production settings (DEBUG off, collected static
files), then each scenario with wrk at 1 and 8 connections after a warm-up. It also
measures the task worker draining queued SMS, page weights and memory; then, on a
dedicated database per kind, the SMS gateway path (bench/sms_path.py: committed filings
→ `manage.py worker` × 1 and 2 → a fake HTTP aggregator; messages/s and commit→gateway
delay). Results go to bench/results/<date>-<machine>.json, a PNG chart of the ratios
next to it (bench/chart.py) and a Markdown table appended to bench/README.md.
Everything it starts, it stops; all traffic stays on 127.0.0.1.
"""

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sms_path import bench_sms_path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
PG_ADMIN = ["runuser", "-u", "postgres", "--", "psql", "-qtA", "-v", "ON_ERROR_STOP=1"]
DATABASE_NAME = "mizan_bench"
PG_URL = "postgres://mizan:mizan@127.0.0.1:5432/mizan_bench"
SMS_PATH_DB = "mizan_bench_sms"
PEER_DB = "helpdesk_bench"

# (name, request list, method, what it measures)
SCENARIOS = [
    ("floor", "floor.tsv", "GET", "bare Django view, same middleware"),
    ("tracking", "tracking.tsv", "GET", "citizen's tracking page with its timeline"),
    ("filing_form", "filing_form.tsv", "POST", "complaint form POST: validation, SMS code"),
    (
        "filing_confirm",
        "filing_confirm.tsv",
        "POST",
        "code POST: routing, case, event, audit, SMS, one transaction",
    ),
    ("queue", "queue.tsv", "GET", "agent's queue page (largest unit)"),
    ("case_page", "case_page.tsv", "GET", "agent's case page (audited read)"),
    ("search", "search.tsv", "GET", "staff search by a filer's phone (full text, audited)"),
    (
        "search_words",
        "search_words.tsv",
        "GET",
        "staff search by a name or a word of the facts (many matches)",
    ),
    ("transparency", "transparency.tsv", "GET", "public dashboard: procedure, region, office"),
]
# Booking contention (bench_fixtures `_bookings`): one service per wrk run, its campaign
# opening as the run starts, many verified citizens posting the slots they picked.
BOOKING = ("booking", "booking POST of verified citizens when a campaign opens (contention)")
CITIZEN_PAGES = ["/fr/", "/ar/complaint/", "/fr/complaint/", "/ar/track/"]
PEER = BENCH / "peer"
PEER_VENV = ROOT / "var" / "bench-peer-venv"
PEER_REQUIREMENTS = [
    "django-helpdesk==2.6.1",
    "Django==5.2.19",
    "gunicorn==27.0.1",
    "psycopg[binary]==3.3.9",
]
PEER_SCENARIOS = [
    ("peer_status", "peer_status.tsv", "GET", "django-helpdesk public ticket-status page"),
    ("peer_submit", "peer_submit.tsv", "POST", "django-helpdesk public ticket submission"),
]
# Which Mizan scenario each peer scenario is compared with.
PEER_COMPARISONS = {
    "tracking": "peer_status",
    "filing_form": "peer_submit",
    "filing_confirm": "peer_submit",
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict, *args: str, quiet: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    if not quiet and result.stdout.strip():
        log(result.stdout.strip().splitlines()[-1])
    return result.stdout + result.stderr


def base_env(database_url: str, work: Path, port: int) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("MIZAN_")},
        "DATABASE_URL": database_url,
        "MIZAN_DEBUG": "false",
        "MIZAN_SECRET_KEY": "bench-only-secret-key-" + "b" * 40,
        "MIZAN_ALLOWED_HOSTS": "127.0.0.1",
        "MIZAN_SITE_URL": f"http://127.0.0.1:{port}",
        "MIZAN_SECURE_COOKIES": "false",
        "MIZAN_COLLECTED_STATIC": "true",
        "MIZAN_STATIC_ROOT": str(work / "static"),
        "MIZAN_MEDIA_ROOT": str(work / "media"),
        "MIZAN_BENCH_FLOOR": "true",
        "MIZAN_LOG_LEVEL": "WARNING",
        # The load comes from one address with many phones: lift the per-address limit.
        "MIZAN_OTP_MAX_PER_IP_PER_HOUR": "100000000",
    }


def pg_url(name: str) -> str:
    return PG_URL.replace("/mizan_bench", f"/{name}")


def prepare_database(kind: str, work: Path, name: str = DATABASE_NAME) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"not a plain database name: {name!r}")
    if kind == "postgresql":
        subprocess.run([*PG_ADMIN, "-c", f"drop database if exists {name}"], check=True)
        subprocess.run([*PG_ADMIN, "-c", f"create database {name} owner mizan"], check=True)
        return pg_url(name)
    return f"sqlite:///{work / (name + '.sqlite3')}"


def process_cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


class Server:
    def __init__(
        self,
        env: dict,
        port: int,
        workers: int,
        log_path: Path,
        *,
        python: str = PYTHON,
        app: str = "config.wsgi",
        cwd: Path = ROOT,
        probe: str = "/fr/bench/floor/",
    ):
        self.port = port
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                python,
                "-m",
                "gunicorn",
                app,
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=cwd,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise SystemExit("gunicorn did not start")

    @property
    def pids(self) -> list[int]:
        return [self.process.pid, *children(self.process.pid)]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


CONSUMED: dict[str, int] = {}


def wrk(
    port: int,
    script_args: list[str],
    connections: int,
    seconds: int,
    script: str = "requests.lua",
) -> dict:
    threads = min(connections, 2)
    offset = CONSUMED.get(script_args[0], 0)
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / "lua" / script),
        f"http://127.0.0.1:{port}",
        "--",
        *script_args,
        str(threads),
        str(offset),
    ]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    match = re.search(r"WRK_JSON (\{.*\})", output.stdout)
    if not match:
        raise SystemExit(f"wrk gave no result:\n{output.stdout}\n{output.stderr}")
    if os.environ.get("MIZAN_BENCH_DEBUG"):
        print(output.stderr[-4000:], file=sys.stderr)
    result = json.loads(match.group(1))
    # Threads interleave over the list but need not make as many requests each, so the
    # next run starts well past anything this one may have used.
    CONSUMED[script_args[0]] = offset + 2 * result["requests"] + 200
    return result


def measure_row(name, what, connections, measured, cpu, failed_answers) -> dict:
    """One measure's figures. `failed_answers` names the Lua counter of answers that are
    errors for this scenario; wrk's socket errors (connect, read, write, timeout) always
    are."""
    requests = measured["requests"]
    errors = measured[failed_answers] + sum(
        v for k, v in measured.items() if k.startswith("errors_") and k != "errors_status"
    )
    return {
        "scenario": name,
        "what": what,
        "connections": connections,
        "requests": requests,
        "rps": round(requests / (measured["duration_us"] / 1e6), 1),
        "p50_ms": round(measured["p50_us"] / 1000, 2),
        "p99_ms": round(measured["p99_us"] / 1000, 2),
        "errors": errors,
        "cpu_ms_per_request": round(1000 * cpu / requests, 2) if requests else None,
    }


def run_scenarios(
    server: Server, lists: Path, seconds: int, warmup: int, scenarios=None
) -> list[dict]:
    results = []
    for name, filename, method, what in scenarios or SCENARIOS:
        args = [str(lists / filename), method]
        for connections in (1, 8):
            wrk(server.port, args, connections, warmup)
            before = process_cpu_seconds(server.pids)
            measured = wrk(server.port, args, connections, seconds)
            cpu = process_cpu_seconds(server.pids) - before
            row = measure_row(name, what, connections, measured, cpu, "unexpected_status")
            errors = row["errors"]
            log(
                f"{name:15} c={connections}: {row['rps']:8.1f} req/s  p50 {row['p50_ms']} ms"
                f"  p99 {row['p99_ms']} ms  errors {errors}  cpu {row['cpu_ms_per_request']}"
                " ms/req"
            )
            results.append(row)
    return results


BOOKING_CHECK = """
import json
from django.db.models import Count, Exists, OuterRef
from mizan.appointments.models import Booking
out = {}
for code in %r:
    active = Booking.objects.filter(service__code=code, status=Booking.Status.ACTIVE)
    same_start = (
        active.values("official_id", "starts_at").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    # Any two active bookings of one official whose [start, end) ranges overlap, whatever
    # their service: the exclusion constraint's rule, checked on both databases.
    overlapping = Booking.objects.filter(
        official_id=OuterRef("official_id"),
        status=Booking.Status.ACTIVE,
        starts_at__lt=OuterRef("ends_at"),
        ends_at__gt=OuterRef("starts_at"),
    ).exclude(pk=OuterRef("pk"))
    overlaps = active.filter(Exists(overlapping)).count()
    out[code] = {
        "bookings": active.count(),
        "same_official_and_start": same_start,
        "overlapping": overlaps,
        "phones_booked_twice": active.values("citizen_phone")
        .annotate(n=Count("id")).filter(n__gt=1).count(),
    }
print("BOOKING_JSON " + json.dumps(out))
"""


def run_booking(server: Server, env: dict, lists: Path, seconds: int, warmup: int) -> list[dict]:
    """Booking contention: at 1 and 8 connections, a warm-up on one service, then the
    measure on another whose slots are all free as the run starts. Afterwards the
    database says how many bookings were made, against the slots there were."""
    manifest = json.loads((lists / "booking.json").read_text())
    name, what = BOOKING
    rows = []
    for connections in (1, 8):
        warm = lists / f"booking-warmup-{connections}.tsv"
        wrk(server.port, [str(warm)], connections, warmup, "booking.lua")
        plan = manifest[f"measure-{connections}"]
        listed = lists / f"booking-measure-{connections}.tsv"
        before = process_cpu_seconds(server.pids)
        measured = wrk(server.port, [str(listed)], connections, seconds, "booking.lua")
        cpu = process_cpu_seconds(server.pids) - before
        output = manage(
            env, "shell", "--no-imports", "-c", BOOKING_CHECK % [plan["service"]], quiet=True
        )
        check = json.loads(re.search(r"BOOKING_JSON (\{.*\})", output).group(1))
        check = check[plan["service"]]
        row = measure_row(name, what, connections, measured, cpu, "server_5xx")
        errors = row["errors"]
        row |= {
            "booking": {
                "seconds": seconds,
                "slots": plan["slots"],
                "officials": plan["officials"],
                "bookers_listed": plan["bookers"],
                "booked_answers": measured["booked"],
                "taken_race_answers": measured["taken_race"],
                "taken_form_answers": measured["taken_form"],
                "other_answers": measured["other"],
                **check,
                "all_slots_booked": check["bookings"] == plan["slots"],
                # Requests still in flight when wrk stops may book without wrk
                # reading the answer: at most one per connection.
                "booked_unanswered": check["bookings"] - measured["booked"],
                "consistent": (
                    check["bookings"] <= plan["slots"]
                    and 0 <= check["bookings"] - measured["booked"] <= connections
                    and not check["same_official_and_start"]
                    and not check["overlapping"]
                    and not check["phones_booked_twice"]
                ),
            },
        }
        b = row["booking"]
        log(
            f"{name:15} c={connections}: {row['rps']:8.1f} req/s  p50 {row['p50_ms']} ms"
            f"  p99 {row['p99_ms']} ms  errors {errors}  cpu {row['cpu_ms_per_request']}"
            f" ms/req | {b['bookings']} bookings for {b['slots']} slots, taken: "
            f"{b['taken_race_answers']} race + {b['taken_form_answers']} form, other "
            f"{b['other_answers']}, double-booked {b['same_official_and_start']}, overlapping "
            f"{b['overlapping']}{'' if b['consistent'] else '  INCONSISTENT'}"
        )
        rows.append(row)
    return rows


def page_weights(port: int) -> list[dict]:
    """Bytes on the wire (gzip) for each citizen page with its CSS and JS."""
    rows = []
    for path in CITIZEN_PAGES:
        total, assets = 0, []
        html = b""
        for url in [path]:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{url}", headers={"Accept-Encoding": "gzip"}
            )
            with urllib.request.urlopen(request) as response:
                raw = response.read()
                total += len(raw)
                html = (
                    gzip.decompress(raw)
                    if response.headers.get("Content-Encoding") == "gzip"
                    else raw
                )
        assets = re.findall(rb'(?:href|src)="(/static/[^"]+)"', html)
        for asset in assets:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{asset.decode()}", headers={"Accept-Encoding": "gzip"}
            )
            with urllib.request.urlopen(request) as response:
                total += len(response.read())
        rows.append({"page": path, "bytes": total, "assets": len(assets)})
        log(f"page weight {path}: {total} bytes ({len(assets)} assets)")
    return rows


def notifications_drain(env: dict, count: int) -> dict:
    """Queue `count` SMS through the outbox, then time one worker draining them.

    The HTTP scenarios left their own SMS tasks unrun (no worker runs during them);
    they are set aside first so that only the `count` messages are timed.
    """
    backlog = manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from django_tasks_db.models import DBTaskResult\n"
        "print(DBTaskResult.objects.ready().delete()[0])",
        quiet=True,
    ).split()[-1]
    log(f"set aside {backlog} SMS tasks queued by the HTTP scenarios")
    run_key = f"bench-drain-{time.time_ns()}"
    script = (
        "import time\n"
        "from django.db import transaction\n"
        "from mizan.notifications.services import notification_queue\n"
        f"for start in range(0, {count}, 500):\n"
        "    with transaction.atomic():\n"
        f"        for i in range(start, min(start + 500, {count})):\n"
        "            notification_queue(template_key='complaint.closed', recipient='+212600000000',"
        " language='ar', context={'reference': 'PLT-2026-000001-N'},"
        f" idempotency_key=f'{run_key}:{{i}}')\n"
    )
    manage(env, "shell", "--no-imports", "-c", script, quiet=True)
    started = time.monotonic()
    worker = subprocess.Popen(
        [
            PYTHON,
            str(ROOT / "manage.py"),
            "db_worker",
            "--queue-name",
            "*",
            "--batch",
            "--no-startup-delay",
            "--no-reload",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peak = 0.0
    while worker.poll() is None:
        peak = max(peak, rss_mb(worker.pid))
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    delays = manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from django.db.models import F\n"
        "from mizan.notifications.models import Notification\n"
        "rows = sorted((n.sent_at - n.created_at).total_seconds() for n in "
        f"Notification.objects.filter(idempotency_key__startswith='{run_key}:'))\n"
        "print(len(rows), rows[len(rows)//2], rows[int(len(rows)*0.99)])",
        quiet=True,
    ).split()[-3:]
    result = {
        "messages": count,
        "seconds": round(elapsed, 1),
        "messages_per_second": round(count / elapsed, 1),
        "worker_peak_rss_mb": round(peak, 1),
        "queue_to_sent_p50_s": round(float(delays[1]), 1),
        "queue_to_sent_p99_s": round(float(delays[2]), 1),
    }
    log(f"notifications: {result}")
    return result


def peer_python() -> str:
    """The peer's own environment (django-helpdesk needs Django 5.2): made once."""
    python = PEER_VENV / "bin" / "python"
    stamp = PEER_VENV / ".installed"
    if not stamp.exists() or stamp.read_text() != " ".join(PEER_REQUIREMENTS):
        log("installing the peer (django-helpdesk) into var/bench-peer-venv")
        subprocess.run([PYTHON, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PEER_REQUIREMENTS], check=True)
        stamp.write_text(" ".join(PEER_REQUIREMENTS))
    return str(python)


def bench_peer(kind: str, args, work: Path, lists: Path) -> list[dict]:
    python = peer_python()
    if kind == "postgresql":
        url = prepare_database(kind, work, args.peer_database)
    else:
        url = f"sqlite:///{work / 'peer.sqlite3'}"
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MIZAN_", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "peer_settings",
        "PEER_SECRET_KEY": "peer-bench-secret-key-" + "p" * 40,
        "PEER_DATABASE_URL": url,
        "PEER_STATIC_ROOT": str(work / "peer-static"),
        "PEER_MEDIA_ROOT": str(work / "peer-media"),
    }
    for command in (["migrate", "--no-input", "-v0"], ["collectstatic", "--no-input", "-v0"]):
        subprocess.run(
            [python, "-m", "django", *command], env=env, cwd=PEER, check=True, capture_output=True
        )
    csrf = (lists / "csrf.txt").read_text()
    seeded = subprocess.run(
        [python, "peer_seed.py", str(lists), str(args.cases), csrf],
        env=env,
        cwd=PEER,
        check=True,
        capture_output=True,
        text=True,
    )
    log(seeded.stdout.strip())
    server = Server(
        env,
        port,
        args.workers,
        work / f"peer-{kind}.log",
        python=python,
        app="peer_wsgi",
        cwd=PEER,
        probe="/tickets/submit/",
    )
    try:
        return run_scenarios(server, lists, args.seconds, args.warmup, PEER_SCENARIOS)
    finally:
        server.stop()


def bench_database(kind: str, args, work: Path) -> dict:
    log(f"== {kind}")
    port = free_port()
    reuse = args.reuse and kind == "postgresql"
    name = args.database_name
    database_url = pg_url(name) if reuse else prepare_database(kind, work, name)
    env = base_env(database_url, work, port)
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "load_reference")
    manage(env, "collectstatic", "--no-input", "-v0")
    started = time.monotonic()
    seeded = "" if reuse else manage(env, "bench_seed", "--cases", str(args.cases))
    seed_seconds = None if reuse else time.monotonic() - started
    peak = re.search(r"peak memory (\d+) MB", seeded)
    # The daily refresh of the public statistics, from nothing (every month since the
    # first request): what the dashboard reads.
    started = time.monotonic()
    manage(env, "refresh_transparency")
    refresh_seconds = time.monotonic() - started
    lists = work / f"lists-{kind}"
    manage(
        env,
        "bench_fixtures",
        str(lists),
        "--filings",
        str(args.filings),
        "--booking-slots",
        str(args.booking_slots),
        "--bookers",
        str(args.bookers if args.booking else 0),
    )
    (lists / "floor.tsv").write_text("/fr/bench/floor/\t\t\n")
    server = Server(env, port, args.workers, work / f"gunicorn-{kind}.log")
    try:
        scenarios = run_scenarios(server, lists, args.seconds, args.warmup)
        if args.booking:
            scenarios += run_booking(server, env, lists, args.booking_seconds, args.warmup)
        weights = page_weights(port)
        memory = {str(pid): round(rss_mb(pid), 1) for pid in children(server.process.pid)}
    finally:
        server.stop()
    if args.peer:
        scenarios += bench_peer(kind, args, work, lists)
    drain = notifications_drain(env, args.notifications) if args.notifications else None
    return {
        "database": kind,
        "cases": args.cases,
        "seed_seconds": round(seed_seconds, 1) if seed_seconds else "reused",
        "seed_peak_mb": int(peak.group(1)) if peak else None,
        "transparency_refresh_seconds": round(refresh_seconds, 1),
        "queue_unit": (lists / "queue_unit.txt").read_text().strip(),
        "scenarios": scenarios,
        "page_weights": weights,
        "app_worker_rss_mb_after_load": sorted(memory.values()),
        "notifications": drain,
    }


def sms_path_database(kind: str, args, work: Path) -> dict:
    """The SMS gateway path on its own fresh database (migrated, reference data only)."""
    log(f"== {kind}: SMS gateway path")
    database_url = prepare_database(kind, work, args.sms_database)
    env = base_env(database_url, work, free_port())
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "load_reference")
    return bench_sms_path(
        env,
        kind,
        messages=args.sms_messages,
        rate=args.sms_rate,
        seconds=args.sms_seconds,
        profile=args.sms_profile,
    )


def sms_path_markdown(results: list[dict]) -> list[str]:
    def cpu(r: dict) -> str:
        pg = r["postgres_cpu_ms_per_message"]
        return (
            f"{r['worker_cpu_ms_per_message']} / {'—' if pg is None else pg} / "
            f"{r['aggregator_cpu_ms_per_message']}"
        )

    lines = [
        "\n### SMS gateway path (committed filings → `manage.py worker` → HTTP aggregator)\n",
        "| database | workers | messages | msgs/s | steady msgs/s | all accepted | worker "
        "peak MB | CPU ms/msg: workers / PostgreSQL / aggregator | machine busy | other "
        "cores |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for r in result["throughput"]:
            lines.append(
                f"| {result['database']} | {r['workers']} | {r['messages']} | "
                f"{r['messages_per_second']} | {r['steady_messages_per_second']} | "
                f"{'yes' if r['complete'] else 'NO'} | {r['worker_peak_rss_mb']} | {cpu(r)} | "
                f"{round(100 * r['machine_cpu_busy'])} % | {r['other_cores']} |"
            )
    lines += [
        "",
        "| database | producer | workers | offered/s | achieved/s | messages | arrived | p50 ms "
        "| p95 ms "
        "| p99 ms | max ms | worker peak MB | CPU ms/msg: workers / PostgreSQL / aggregator "
        "| producer CPU ms/msg | other cores |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for r in result["latency"]:
            lines.append(
                f"| {result['database']} | {r['producer']} | {r['workers']} | "
                f"{r['offered_per_second']:g} | "
                f"{r['achieved_per_second']} | {r['messages']} | {r['arrived']} | "
                f"{r.get('p50_ms')} | {r.get('p95_ms')} | {r.get('p99_ms')} | "
                f"{r.get('max_ms')} | {r['worker_peak_rss_mb']} | {cpu(r)} | "
                f"{r['producer_cpu_ms_per_message']} | {r['other_cores']} |"
            )
    statuses = "; ".join(
        f"{result['database']} {result['statuses']}" for result in results if result["statuses"]
    )
    lines.append(f"\nOutbox afterwards (status: count): {statuses}.")
    for result in results:
        if result["database"] != "postgresql":
            continue
        if result.get("autovacuum") == "off":
            lines.append(
                "PostgreSQL runs with autovacuum off here: `VACUUM ANALYZE` before each measure."
            )
        best = max((r["messages_per_second"] or 0) for r in result["throughput"])
        p95 = "; ".join(
            f"{r['producer']} K={r['workers']}: {r.get('p95_ms')} ms at "
            f"{r['achieved_per_second']}/s"
            for r in result["latency"]
        )
        lines.append(
            f"Issue target on PostgreSQL (≥ 500 msgs/s; p95 < 1 s at 100/s): {best} msgs/s "
            f"at best; p95 {p95}."
        )
    lines.append("")
    return lines


def markdown(run: dict) -> str:
    lines = [f"\n## {run['date']} — {run['machine']}\n"]
    if run["databases"]:
        lines.append(
            f"`{run['command']}`: {run['cases']} cases, {run['seconds']} s per measure after a "
            f"{run['warmup']} s warm-up, gunicorn {run['workers']} sync workers.\n"
        )
    else:
        lines.append(f"`{run['command']}`.\n")
    for result in run["databases"]:
        floor = {
            r["connections"]: r["rps"] for r in result["scenarios"] if r["scenario"] == "floor"
        }
        lines += [
            f"\n### {result['database']} ("
            + (
                "benchmark database of the previous run reused"
                if result["seed_seconds"] == "reused"
                else f"seeded in {result['seed_seconds']} s, peak {result['seed_peak_mb']} MB"
            )
            + f"; queue unit {result['queue_unit']} cases"
            + (
                f"; transparency refresh {result['transparency_refresh_seconds']} s"
                if result.get("transparency_refresh_seconds") is not None
                else ""
            )
            + ")\n",
            "| scenario | conn. | req/s | × floor | × peer | p50 ms | p99 ms | errors "
            "| CPU ms/req |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        by_name = {(r["scenario"], r["connections"]): r for r in result["scenarios"]}
        for r in result["scenarios"]:
            ratio = r["rps"] / floor[r["connections"]] if floor.get(r["connections"]) else 0
            peer = by_name.get((PEER_COMPARISONS.get(r["scenario"], ""), r["connections"]))
            versus = f"{r['rps'] / peer['rps']:.2f}" if peer and peer["rps"] else "—"
            lines.append(
                f"| {r['scenario']} | {r['connections']} | {r['rps']} | "
                f"{ratio:.2f} | {versus} | {r['p50_ms']} | {r['p99_ms']} | {r['errors']} | "
                f"{r['cpu_ms_per_request']} |"
            )
        for r in result["scenarios"]:
            if "booking" not in r:
                continue
            b = r["booking"]
            left = b["slots"] - b["bookings"]
            lines.append(
                f"\nBooking contention, {r['connections']} conn.: {r['requests']} "
                f"booking POSTs of verified citizens in {b.get('seconds', '?')} s for "
                f"{b['slots']} slots ({b['officials']} "
                f"officials): **{b['bookings']} bookings** ("
                + ("every slot booked" if not left else f"{left} slots still free at the end")
                + f"), {b['same_official_and_start']} double-booked, {b['overlapping']} "
                f'overlapping; answered "slot just taken": {b["taken_race_answers"]} after '
                f"losing the race (3 other slots proposed), {b['taken_form_answers']} with the "
                f"slot already gone (slots page shown again); other answers "
                f"{b['other_answers']}" + ("" if b["consistent"] else " — **INCONSISTENT**") + "."
            )
        weights = ", ".join(f"`{w['page']}` {w['bytes']} B" for w in result["page_weights"])
        drain = result["notifications"]
        lines += [
            f"\nPage weights (gzip, with CSS and JS): {weights}.",
            f"App workers' memory after the load: {result['app_worker_rss_mb_after_load']} MB.\n",
        ]
        if drain:
            lines += [
                f"SMS outbox: {drain['messages']} messages drained by one worker in "
                f"{drain['seconds']} s ({drain['messages_per_second']}/s), worker peak "
                f"{drain['worker_peak_rss_mb']} MB, queued→sent p50 {drain['queue_to_sent_p50_s']}"
                f" s, p99 {drain['queue_to_sent_p99_s']} s.\n",
            ]
    if run.get("sms_path"):
        sms = run["sms_path"][0]
        lines.append(
            f"\nSMS gateway path: {sms['throughput'][0]['messages']} complaints filed, then "
            "drained by fresh workers; latency at "
            f"{sms['latency'][0]['offered_per_second']:g}/s offered for {run['sms_seconds']:g} s,"
            " by complaints filed (`filing`) or by bare outbox messages (`outbox`)."
        )
        lines += sms_path_markdown(run["sms_path"])
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a 5-minute smoke run")
    parser.add_argument("--cases", type=int)
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--no-peer", dest="peer", action="store_false", help="skip django-helpdesk, the peer"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the PostgreSQL benchmark database of the last run",
    )
    parser.add_argument("--scenarios", help="comma-separated subset (the floor always runs)")
    parser.add_argument(
        "--database-name",
        default=DATABASE_NAME,
        help="PostgreSQL database (and SQLite file) of the run; the peer's and the SMS "
        "path's get this name with _peer and _sms unless it is the default",
    )
    parser.add_argument(
        "--booking-slots", type=int, help="booking: slots of each campaign's service (200)"
    )
    parser.add_argument(
        "--bookers", type=int, help="booking: verified citizens per measured run (6000)"
    )
    parser.add_argument(
        "--booking-seconds", type=int, help="booking: measure length (--quick: 10, else 20)"
    )
    parser.add_argument("--notifications", type=int, help="SMS to drain (0: skip)")
    parser.add_argument(
        "--only", choices=["sms-path"], help="run only this part (no gunicorn, no wrk)"
    )
    parser.add_argument(
        "--no-sms-path", dest="sms_path", action="store_false", help="skip the SMS gateway path"
    )
    parser.add_argument("--sms-messages", type=int, help="SMS path: backlog drained (5000)")
    parser.add_argument("--sms-seconds", type=float, help="SMS path: latency run length (20)")
    parser.add_argument("--sms-rate", type=float, default=100, help="SMS path: offered/s")
    parser.add_argument(
        "--sms-profile", action="store_true", help="SMS path: cProfile the workers (slower)"
    )
    parser.add_argument(
        "--no-record", dest="record", action="store_false", help="print, write no results"
    )
    args = parser.parse_args()
    args.sms_messages = args.sms_messages or (1000 if args.quick else 5000)
    args.sms_seconds = args.sms_seconds or (5 if args.quick else 20)
    if args.only is None and shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk (make bench installs it)")
    args.cases = args.cases or (2000 if args.quick else 200_000)
    args.seconds, args.warmup = (3, 1) if args.quick else (20, 5)
    args.filings = 8000 if args.quick else 60000
    if args.notifications is None:
        args.notifications = 1000 if args.quick else 5000
    args.booking_slots = args.booking_slots or (10 if args.quick else 200)
    # The rush lasts until the slots are gone: about 3 requests per slot.
    args.booking_seconds = args.booking_seconds or (10 if args.quick else args.seconds)
    args.bookers = args.bookers or (1000 if args.quick else 6000)
    if args.database_name == DATABASE_NAME:
        args.peer_database, args.sms_database = PEER_DB, SMS_PATH_DB
    else:
        args.peer_database = f"{args.database_name}_peer"
        args.sms_database = f"{args.database_name}_sms"
    args.booking = True
    if args.scenarios:
        wanted = {"floor", *args.scenarios.split(",")}
        SCENARIOS[:] = [s for s in SCENARIOS if s[0] in wanted]
        args.booking = BOOKING[0] in wanted
    kinds = args.databases.split(",")
    with tempfile.TemporaryDirectory(prefix="mizan-bench-") as folder:
        work = Path(folder)
        databases = [] if args.only else [bench_database(kind, args, work) for kind in kinds]
        sms_path = (
            [sms_path_database(kind, args, work) for kind in kinds]
            if args.sms_path or args.only == "sms-path"
            else []
        )
    command = "make bench-quick" if args.quick else "make bench"
    if args.only:
        command = f"bench/run.py --only {args.only}" + (" --quick" if args.quick else "")
    run = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.node()} ({os.cpu_count()} cores, {platform.machine()})",
        "command": command,
        "cases": args.cases,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "workers": args.workers,
        "databases": databases,
        "sms_path": sms_path,
        "sms_seconds": args.sms_seconds,
    }
    if not args.record:
        print(markdown(run))
        return
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M")
    suffix = (f"-{args.only}" if args.only else "") + ("-quick" if args.quick else "")
    out = results / f"{stamp}-{platform.node()}{suffix}.json"
    out.write_text(json.dumps(run, indent=1, ensure_ascii=False))
    chart = None
    try:
        from chart import chart_write

        chart = chart_write(run, out.with_suffix(".png"), PEER_COMPARISONS)
    except Exception as error:  # the figures are kept, without their chart
        log(f"no chart ({type(error).__name__}: {error}); bench/chart.py {out} makes it later")
    text = markdown(run)
    if chart:
        text += f"\n![Ratios to the floor and to the peer at 8 connections](results/{chart.name})\n"
    with open(BENCH / "README.md", "a", encoding="utf-8") as readme:
        readme.write(text)
    log(f"results: {out}{f', {chart}' if chart else ''} and bench/README.md")


if __name__ == "__main__":
    main()
