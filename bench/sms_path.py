#!/usr/bin/env python3
"""The SMS gateway path: committed case steps → task worker(s) → an HTTP aggregator.

Measured for `make bench` (imported by bench/run.py, which prepares the database):

- **throughput**: N complaints are filed through `case_submit` (each filing is one
  committed transaction that writes its case, event, audit entry, Notification and
  delivery task); then K workers (`manage.py worker`) start, and the time from their
  start until the fake aggregator has accepted all N gives messages/s, K = 1 and 2;
- **latency**: with K workers already running, a producer commits messages at a fixed
  offered rate, one transaction each: complaints filed (`filing`), or the same SMS
  through `notification_queue` alone (`outbox`). The delay of each message is the time
  the fake received it minus the Notification's `created_at` (taken inside the
  committing transaction, a few ms before its commit; same machine, same clock).

The fake aggregator (`python -m mizan.testing.fake_sms_http`) runs as its own process
on 127.0.0.1, no receipts; Mizan reaches it through `MIZAN_SMS_GATEWAYS` (kind
http-json), as in production. Each measure records where the CPU went (workers,
PostgreSQL, aggregator, producer, anything else) and is taken again when other
processes disturbed it. Every process started here is bounded in time, dies with its
parent (PR_SET_PDEATHSIG), and is stopped by its pid.

Run as a script, this file is the Django side (`produce`, `statuses`, `vacuum`,
`explain`, `profiled-worker`), called with the project's settings in the environment.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import math
import os
import pstats
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TOKEN = "bench-aggregator-token"
CASABLANCA = "06.141.01.0"  # a commune routed with high confidence (tests/factories.py)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- processes ------------------------------------------------------------------------


def _die_with_parent() -> None:
    """In the child: receive SIGTERM when the bench process goes away."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn(command: list[str], env: dict, log_path: Path, *, pipe: bool = False):
    """Start a child on ROOT; its stderr (and stdout unless piped) go to `log_path`."""
    with open(log_path, "ab") as output:
        return subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE if pipe else output,
            stderr=output,
            preexec_fn=_die_with_parent,
        )


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU of PostgreSQL so far: its live processes, plus the backends that exited (the
    postmaster reaps them: its children's times). A worker's connection ends after
    CONN_MAX_AGE (60 s), so exited backends matter."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() not in ("postgres", "postmaster"):
                    continue
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # utime, stime, and the times of its children that were waited for.
            total += sum(int(v) for v in fields[11:15]) / ticks
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / ticks, sum(fields[:8]) / ticks


def wait_quiet(ours: list[int], limit: float = 0.3, patience: float = 60) -> tuple:
    """Wait (up to `patience` s) for a second in which processes other than `ours` use
    under `limit` cores: on a shared machine, someone's test run would otherwise be
    measured too. Returns (cores used by others, cores used by ours) at the last look."""
    deadline = time.monotonic() + patience
    while True:
        before, mine = machine_busy(), sum(cpu_seconds(pid) for pid in ours)
        time.sleep(1)
        after, mine = machine_busy(), sum(cpu_seconds(pid) for pid in ours) - mine
        elapsed = (after[1] - before[1]) / (os.cpu_count() or 1)
        others = max(0.0, (after[0] - before[0] - mine) / elapsed)
        if others < limit:
            return others, mine / elapsed
        if time.monotonic() > deadline:
            log(f"the machine stays busy ({others:.2f} cores used by others): measuring anyway")
            return others, mine / elapsed
        time.sleep(2)


class CpuMeter:
    """Where the CPU went between two instants: the workers, PostgreSQL, the aggregator,
    the producer (this process's finished children) and everything else on the machine
    (other people's work on a shared machine: it shows when a run was disturbed)."""

    def __init__(self, kind: str, aggregator_pid: int, workers=()):
        self.postgres = kind == "postgresql"
        self.workers_before = sum(cpu_seconds(w.pid) for w in workers)
        self.aggregator_pid = aggregator_pid
        self.started = time.monotonic()
        self.machine = machine_busy()
        self.pg = postgres_cpu_seconds() if self.postgres else 0.0
        self.aggregator = cpu_seconds(aggregator_pid)
        self.own = self._own()

    @staticmethod
    def _own() -> float:
        me = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # finished: the producer
        return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime

    def read(self, workers: list[subprocess.Popen]) -> CpuMeter:
        """Call while the workers still run (their CPU is read from /proc)."""
        self.seconds = time.monotonic() - self.started
        busy, total = machine_busy()
        self.busy = busy - self.machine[0]
        self.capacity = total - self.machine[1]
        # Workers started after the meter: their start-up is included.
        self.workers = sum(cpu_seconds(w.pid) for w in workers) - self.workers_before
        self.pg = postgres_cpu_seconds() - self.pg if self.postgres else 0.0
        self.aggregator = cpu_seconds(self.aggregator_pid) - self.aggregator
        self.producer = self._own() - self.own  # the bench's own polling included
        return self

    def per_message(self, messages: int) -> dict:
        ms = 1000 / messages
        other = self.busy - self.workers - self.pg - self.aggregator - self.producer
        return {
            "worker_cpu_ms_per_message": round(self.workers * ms, 2),
            "postgres_cpu_ms_per_message": round(self.pg * ms, 2) if self.postgres else None,
            "aggregator_cpu_ms_per_message": round(self.aggregator * ms, 2),
            "producer_cpu_ms_per_message": round(self.producer * ms, 2),
            "machine_cpu_busy": round(self.busy / self.capacity, 2) if self.capacity else None,
            # Cores used by anything else during the measure (0: an undisturbed run).
            "other_cores": round(max(other, 0.0) / self.seconds, 2) if self.seconds else None,
        }


class Aggregator:
    """The fake aggregator in its own process; its control port tells what it accepted."""

    def __init__(self, env: dict, work: Path, max_seconds: float):
        self.process = spawn(
            [
                PYTHON,
                "-m",
                "mizan.testing.fake_sms_http",
                "--token",
                TOKEN,
                "--max-seconds",
                str(int(max_seconds)),
            ],
            env,
            work / "aggregator.log",
            pipe=True,
        )
        ports = json.loads(self.process.stdout.readline())
        self.port, self.control = ports["port"], ports["control_port"]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/messages"

    def _get(self, path: str) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.control}{path}", timeout=10) as r:
            return json.loads(r.read())

    def stats(self) -> dict:
        return self._get("/stats")

    def messages(self, since: int) -> list[tuple[str, float]]:
        return [tuple(m) for m in self._get(f"/messages?since={since}")["messages"]]

    def stop(self) -> None:
        stop(self.process)


# --- the Django side (run as a script) ------------------------------------------------


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def produce(count: int, rate: float | None, out: Path, first: int, how: str) -> None:
    """Commit `count` messages, one transaction each, at `rate` per second (None: at once).

    how="filing": each is a complaint filed through `case_submit` (case, event, audit
    entry, Notification and task in one transaction); how="outbox": only the SMS, through
    `notification_queue` (the same message a filing sends). Writes the achieved rate and
    each Notification's (client_reference, created_at).
    """
    _django()
    from datetime import date

    from django.db.models import Q

    from mizan.cases.services import case_submit
    from mizan.notifications.models import Notification
    from mizan.notifications.services import notification_queue, tracking_link
    from mizan.reference.models import Commune

    commune = Commune.objects.get(code=CASABLANCA)
    details = {
        "complainant_kind": "person",
        "id_kind": "cin",
        "id_number": "AB123456",
        "nationality": "MA",
        "country_of_residence": "MA",
        "accused_unknown": True,
        "accused": [],
        "category": "theft",
        "facts": "My phone was stolen at the bus station on Saturday evening.",
        "facts_date": date(2026, 11, 1).isoformat(),
        "province": commune.province_id,
        "commune": commune.code,
    }
    case_ids, notification_ids, lateness = [], [], []
    started = time.monotonic()
    for i in range(count):
        if rate:
            due = started + i / rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            lateness.append(max(0.0, -wait))
        phone = f"+21261{(first + i) % 10_000_000:07d}"
        language = "ar" if i % 2 else "fr"
        if how == "filing":
            filing = case_submit(
                procedure="complaint",
                filer_name="Bench Filer",
                filer_phone=phone,
                language=language,
                commune=commune,
                details=details,
            )
            case_ids.append(filing.case.pk)
        else:
            reference = f"PLT-2026-{first + i:06d}-N"
            queued = notification_queue(
                template_key="complaint.received",
                recipient=phone,
                language=language,
                context={
                    "reference": reference,
                    "link": tracking_link(reference=reference, language=language),
                },
                idempotency_key=f"bench-sms-path:{first + i}",
            )
            notification_ids.append(queued.pk)
    seconds = time.monotonic() - started
    rows = Notification.objects.filter(
        Q(case_id__in=case_ids) | Q(id__in=notification_ids)
    ).values_list("client_reference", "created_at")
    lateness.sort()
    out.write_text(
        json.dumps(
            {
                "filed": count,
                "seconds": seconds,
                "rate": count / seconds if seconds else None,
                "late_p99_s": lateness[int(len(lateness) * 0.99)] if lateness else 0.0,
                "notifications": [[ref, at.timestamp()] for ref, at in rows],
            }
        )
    )


def profiled_worker(out: Path, argv: list[str]) -> None:
    """`manage.py worker` under cProfile counting CPU time (not waits), saved on exit."""
    import cProfile

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    try:
        execute_from_command_line(["manage.py", "worker", *argv])
    except SystemExit:
        pass
    finally:
        profiler.disable()
        profiler.dump_stats(out)


def statuses() -> None:
    _django()
    from django.db.models import Count

    from mizan.notifications.models import Notification

    counts = Notification.objects.values_list("status").annotate(n=Count("id"))
    print("STATUSES " + json.dumps(dict(counts)))


def vacuum() -> None:
    """VACUUM ANALYZE (PostgreSQL), and print whether autovacuum is on."""
    _django()
    from django.db import connection

    if connection.vendor != "postgresql":
        print("AUTOVACUUM n/a")
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SHOW autovacuum")
        print(f"AUTOVACUUM {cursor.fetchone()[0]}")


def explain() -> None:
    """The plans of the worker's claim query and of the delivery's queries (PostgreSQL)."""
    _django()
    from django.db import connection, transaction
    from django_tasks_db.models import DBTaskResult

    from mizan.notifications.models import DeliveryReceipt, Notification

    queries = [
        DBTaskResult.objects.ready()
        .filter(backend_name="default")
        .select_for_update(skip_locked=True)[:1],
        Notification.objects.filter(id=1),
        DeliveryReceipt.objects.filter(
            provider="agg", message_id__in=["x"], outcome=DeliveryReceipt.Outcome.UNMATCHED
        ).order_by("received_at", "id"),
    ]
    with transaction.atomic():
        for query in queries:
            sql, params = query.query.sql_with_params()
            with connection.cursor() as cursor:
                prefix = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN "
                cursor.execute(prefix + sql, params)
                print(sql[:160])
                for row in cursor.fetchall():
                    print("   ", " | ".join(str(v) for v in row))


# --- the measurement (called by bench/run.py) -----------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


class SmsPath:
    """One database's run: the environment, the aggregator, the workers."""

    def __init__(self, env: dict, kind: str, work: Path, profile: bool):
        self.kind = kind
        self.work = work
        self.profile = profile
        self.filed = 0
        self.autovacuum = None
        self.aggregator = Aggregator(env, work, max_seconds=3600)
        gateways = [
            {"name": "agg", "kind": "http-json", "url": self.aggregator.url, "token": TOKEN}
        ]
        self.env = {**env, "MIZAN_SMS_GATEWAYS": json.dumps(gateways)}

    def run_script(self, *args: str, timeout: float) -> str:
        result = subprocess.run(
            [PYTHON, str(Path(__file__).resolve()), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=_die_with_parent,
        )
        if result.returncode != 0:
            raise SystemExit(f"sms_path {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def produce(self, count: int, rate: float | None = None, how: str = "filing") -> dict:
        out = self.work / f"produced-{self.filed}.json"
        budget = 120 + (count / rate if rate else count / 20)
        self.run_script(
            "produce",
            *(str(count), str(rate or 0), str(out), str(self.filed), how),
            timeout=budget,
        )
        self.filed += count
        return json.loads(out.read_text())

    def vacuum(self) -> None:
        """What autovacuum would have done by now (it is off on some CI servers, and then
        the claim query sorts every queued task and walks dead index entries)."""
        if self.kind == "postgresql":
            output = self.run_script("vacuum", timeout=600)
            self.autovacuum = output.split("AUTOVACUUM ", 1)[1].strip()

    def start_workers(self, count: int, label: str) -> list[subprocess.Popen]:
        workers = []
        for i in range(count):
            if self.profile:
                prof = self.work / f"{label}-{i}.prof"
                command = [PYTHON, str(Path(__file__).resolve()), "profiled-worker", str(prof)]
            else:
                command = [PYTHON, str(ROOT / "manage.py"), "worker"]
            command += [
                "--interval",
                "0.05",
                "--sweep-interval",
                "0",
                "--no-startup-delay",
                "--no-reload",
            ]
            workers.append(spawn(command, self.env, self.work / f"{label}-{i}.log"))
        return workers

    def wait_started(self, workers: list[subprocess.Popen], label: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            logs = [(self.work / f"{label}-{i}.log").read_text() for i in range(len(workers))]
            if all("Starting worker" in text for text in logs):
                return
            if any(worker.poll() is not None for worker in workers):
                break
            time.sleep(0.1)
        raise SystemExit(f"workers {label} did not start: see {self.work}")

    def wait_accepted(self, target: int, workers, timeout: float) -> tuple[bool, float]:
        """Poll the aggregator until it holds `target` messages; the workers' peak RSS.

        Gives up at `timeout`, when a worker exits, or after 30 s without progress (the
        workers' last log lines are shown then)."""
        peak, progress, moved = 0.0, -1, time.monotonic()
        deadline = time.monotonic() + timeout
        while True:
            peak = max(peak, *(rss_mb(w.pid) for w in workers))
            accepted = self.aggregator.stats()["accepted"]
            if accepted >= target:
                return True, peak
            if accepted != progress:
                progress, moved = accepted, time.monotonic()
            stalled = time.monotonic() - moved > 30
            if stalled or time.monotonic() > deadline or any(w.poll() is not None for w in workers):
                for log_path in sorted(self.work.glob("*.log")):
                    tail = log_path.read_text(errors="replace").strip().splitlines()[-8:]
                    log(f"{log_path.name}:\n    " + "\n    ".join(tail))
                return False, peak
            time.sleep(0.1)

    def stop_workers(self, workers, label: str) -> None:
        for worker in workers:
            stop(worker)
        if self.profile:
            for i in range(len(workers)):
                path = self.work / f"{label}-{i}.prof"
                if path.exists():
                    text = self.work / f"{label}-{i}.prof.txt"
                    with open(text, "w") as out:
                        stats = pstats.Stats(str(path), stream=out)
                        stats.sort_stats("cumulative").print_stats(45)
                        stats.sort_stats("tottime").print_stats(30)
                    keep = ROOT / "var" / "bench-sms-profiles" / self.kind
                    keep.mkdir(parents=True, exist_ok=True)
                    for kept in (path, text):
                        (keep / kept.name).write_bytes(kept.read_bytes())
                    log(f"profile of {label} worker {i}: {keep / text.name}")

    def throughput(self, messages: int, workers: int) -> dict:
        label = f"throughput-k{workers}"
        produced = self.produce(messages)
        log(
            f"filed {messages} complaints in {produced['seconds']:.1f} s "
            f"({produced['rate']:.0f}/s, one transaction each); starting {workers} worker(s)"
        )
        self.vacuum()
        if self.profile and self.kind == "postgresql":
            log("claim query with the backlog queued:\n" + self.run_script("explain", timeout=120))
        wait_quiet([self.aggregator.process.pid])
        before = self.aggregator.stats()
        base = before["accepted"]
        meter = CpuMeter(self.kind, self.aggregator.process.pid)
        started = time.time()
        procs = self.start_workers(workers, label)
        complete, peak = self.wait_accepted(base + messages, procs, timeout=60 + messages / 20)
        cpu = meter.read(procs)
        self.stop_workers(procs, label)
        after = self.aggregator.stats()
        wanted = {ref for ref, _at in produced["notifications"]}
        received = [(ref, at) for ref, at in self.aggregator.messages(base) if ref in wanted]
        times = sorted(at for _ref, at in received)
        seconds = (times[-1] - started) if times else None
        steady = (times[-1] - times[0]) if len(times) > 1 else None
        result = {
            "workers": workers,
            "messages": messages,
            "filing_rate": round(produced["rate"], 1),
            "accepted": len(received),
            "complete": complete and len(received) == messages,
            "seconds": round(seconds, 2) if seconds else None,
            "messages_per_second": round(len(received) / seconds, 1) if seconds else None,
            "steady_messages_per_second": round((len(times) - 1) / steady, 1) if steady else None,
            "worker_peak_rss_mb": round(peak, 1),
            "aggregator_requests": after["requests"] - before["requests"],
            **cpu.per_message(messages),
        }
        log(f"sms path throughput K={workers}: {result}")
        return result

    def latency(self, rate: float, seconds: float, workers: int, how: str) -> dict:
        label = f"latency-{how}-k{workers}"
        base = self.aggregator.stats()["accepted"]
        self.vacuum()
        procs = self.start_workers(workers, label)
        try:
            self.wait_started(procs, label)
            _others, idle = wait_quiet([self.aggregator.process.pid, *(p.pid for p in procs)])
            count = int(rate * seconds)
            meter = CpuMeter(self.kind, self.aggregator.process.pid, procs)
            produced = self.produce(count, rate, how)
            complete, peak = self.wait_accepted(base + count, procs, timeout=60)
            cpu = meter.read(procs)
        finally:
            self.stop_workers(procs, label)
        created = dict(produced["notifications"])
        received = dict(self.aggregator.messages(base))
        delays = [received[ref] - at for ref, at in created.items() if ref in received]
        result = {
            "workers": workers,
            "producer": how,
            "offered_per_second": rate,
            "achieved_per_second": round(produced["rate"], 1),
            "producer_late_p99_ms": round(1000 * produced["late_p99_s"], 1),
            "messages": count,
            "arrived": len(delays),
            "complete": complete and len(delays) == count,
            "worker_peak_rss_mb": round(peak, 1),
            # What the idle workers (polling every 0.05 s) and aggregator used, in cores.
            "idle_cores": round(idle, 3),
        }
        if delays:
            result.update(
                {
                    f"{name}_ms": round(1000 * percentile(delays, q), 1)
                    for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
                }
            )
            result["max_ms"] = round(1000 * max(delays), 1)
        result.update(cpu.per_message(count))
        log(f"sms path latency K={workers} ({how}): {result}")
        return result

    def statuses(self) -> dict:
        output = self.run_script("statuses", timeout=120)
        return json.loads(output.split("STATUSES ", 1)[1])


def undisturbed(measure, limit: float = 0.3, attempts: int = 3) -> dict:
    """Run `measure` again (up to `attempts` times) while other processes took more than
    `limit` cores during it; keep the least disturbed result."""
    results = []
    for attempt in range(1, attempts + 1):
        result = measure()
        result["attempt"] = attempt
        results.append(result)
        if (result.get("other_cores") or 0) <= limit:
            break
        log(f"disturbed: other processes used {result['other_cores']} cores; measuring again")
    return min(results, key=lambda r: r.get("other_cores") or 0)


def bench_sms_path(
    env: dict,
    kind: str,
    *,
    messages: int,
    rate: float,
    seconds: float,
    worker_counts=(1, 2),
    profile: bool = False,
) -> dict:
    """Both measures on the database `env` points at (migrated, reference data loaded)."""
    with tempfile.TemporaryDirectory(prefix="mizan-sms-path-") as folder:
        work = Path(folder)
        path = SmsPath(env, kind, work, profile)
        try:
            throughput = [
                undisturbed(lambda k=k: path.throughput(messages, k)) for k in worker_counts
            ]
            latency = [
                undisturbed(lambda k=k, how=how: path.latency(rate, seconds, k, how))
                for how in ("filing", "outbox")
                for k in worker_counts
            ]
            if profile and kind == "postgresql":
                log("claim query plan:\n" + path.run_script("explain", timeout=120))
            statuses = path.statuses()
        finally:
            path.aggregator.stop()
    return {
        "database": kind,
        "gateway": "http-json, fake aggregator on 127.0.0.1 (own process, no receipts)",
        # Off on CI-configured servers: the bench then runs VACUUM ANALYZE before each
        # measure, as autovacuum would have.
        "autovacuum": path.autovacuum,
        "throughput": throughput,
        "latency": latency,
        "statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Django side of the SMS path benchmark")
    commands = parser.add_subparsers(dest="command", required=True)
    producing = commands.add_parser("produce")
    producing.add_argument("count", type=int)
    producing.add_argument("rate", type=float)
    producing.add_argument("out", type=Path)
    producing.add_argument("first", type=int)
    producing.add_argument("how", choices=["filing", "outbox"])
    profiling = commands.add_parser("profiled-worker")
    profiling.add_argument("out", type=Path)
    profiling.add_argument("worker_args", nargs=argparse.REMAINDER)
    commands.add_parser("statuses")
    commands.add_parser("vacuum")
    commands.add_parser("explain")
    args = parser.parse_args()
    if args.command == "produce":
        produce(args.count, args.rate or None, args.out, args.first, args.how)
    elif args.command == "profiled-worker":
        profiled_worker(args.out, args.worker_args)
    elif args.command == "statuses":
        statuses()
    elif args.command == "vacuum":
        vacuum()
    else:
        explain()


if __name__ == "__main__":
    main()
