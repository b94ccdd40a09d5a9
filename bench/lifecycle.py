"""Benchmark: the standard candidacy lifecycle through heardback, next to raw Temporal, in one run.

    python -m bench.lifecycle [--candidacies 1000] [--open 10000] [--record docs/PERFORMANCE.md]
    make bench

On one embedded dev server with file persistence (as a first install runs), with each worker in a
process of its own (so its memory can be read):

1. baseline: `BaselineLifecycle` (bench/lifecycle_baseline.py): the same number of starts,
   signals, updates, activities and pending timers as the lifecycle below, doing nothing else;
2. heardback: start, an interview with feedback, advance, a second interview with feedback,
   reject with reasons: acknowledgement, stage result and rejection delivered to a real SMTP server
   (aiosmtpd on loopback), counted by Message-ID;
3. latency: on the otherwise idle server, decision (update answered) → the message at the SMTP
   server, one candidacy at a time;
4. memory: the heardback worker's peak RSS, then its RSS with `--open` candidacies started and
   waiting on their timers.

Prints a JSON summary on stdout; `--record FILE` appends a markdown row with the machine.
A benchmark, not a test: CI runs a tiny configuration only to prove the harness works.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from bench.concurrency import bounded
from bench.lifecycle_baseline import TASK_QUEUE as BASELINE_QUEUE
from heardback.activities.mime import message_id_digest as wire
from heardback.runtime.codec import new_key_spec
from heardback.runtime.converter import DATA_CONVERTER, data_converter
from heardback.runtime.settings import Settings
from heardback.runtime.temporal import run_and_exit
from heardback.starter.client import HeardbackClient
from heardback.workflows import contract, search
from heardback.workflows.models import CandidacyInput, Decide, InterviewCompleted

CONCURRENCY = 50
HEARDBACK_QUEUE = "bench-lifecycle-heardback"
PLAIN_QUEUE = "bench-lifecycle-plain"
SETTLE_S = 0.5  # after each side's part of a round, before its CPU and server requests are read
HISTORY_SAMPLE = 20  # histories read per side for events, bytes and visibility writes

# History event types Temporal Cloud bills as actions (approximately: see the notes).
BILLABLE = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    EventType.EVENT_TYPE_TIMER_STARTED,
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
}


# --- a real SMTP server, stamping arrivals ---------------------------------------------------


class Arrivals:
    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.count: Counter[str] = Counter()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for line in envelope.content.decode("utf-8", "replace").splitlines():
            if line.lower().startswith("message-id:"):
                mid = line.split(":", 1)[1].strip().strip("<>").split("@")[0]
                self.at.setdefault(mid, time.monotonic())
                self.count[mid] += 1
                break
        return "250 OK"


# --- processes ------------------------------------------------------------------------------------


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pid(port: int) -> int | None:
    """The dev server's process (started by the SDK; found by its port on the command line)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"start-dev" in argv and str(port).encode() in argv:
            return int(proc.name)
    return None


def spawn(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, "-m", module], env={**os.environ, **env}, stdout=out, stderr=out
        )


# Acknowledgement (wire Message-ID) -> when its candidacy's start was sent: time to first response.
STARTED: dict[str, float] = {}


def first_response(arrivals: Arrivals, acks: list[str]) -> list[float]:
    return [arrivals.at[a] - STARTED[a] for a in acks if a in arrivals.at and a in STARTED]


# Rejection (wire Message-ID) -> when its `decide` update was answered, for every counted
# lifecycle: decision -> delivered under the benchmark's load.
DECIDED: dict[str, float] = {}


def decided_to_delivered(arrivals: Arrivals, mids: list[str]) -> list[float]:
    return [arrivals.at[m] - DECIDED[m] for m in mids if m in arrivals.at and m in DECIDED]


WATCHED: list[subprocess.Popen[bytes]] = []  # worker processes: a run stops if one dies


class Spent:
    """Wall time and CPU seconds (worker, dev server, driver) summed over one side's rounds."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = [0.0, 0.0, 0.0]

    def add(self, before: tuple[float, ...], after: tuple[float, ...]) -> None:
        self.wall += after[0] - before[0]
        for k in range(3):
            self.cpu[k] += after[k + 1] - before[k + 1]

    def ms(self, k: int, n: int) -> float:
        return round(self.cpu[k] / n * 1000, 1)


def ms_quantile(values: list[float], q: float) -> float | None:
    return round(quantile(values, q) * 1000, 1) if values else None


def cpu_ratio(baseline: Spent, side: Spent) -> float:
    """The baseline's total CPU per lifecycle over this side's (like throughput: 1 is level)."""
    return round(sum(baseline.cpu) / sum(side.cpu), 2) if sum(side.cpu) else 0.0


SERVER_COUNTERS = re.compile(
    r"^(persistence_requests|visibility_persistence_latency_count|persistence_latency_sum"
    r"|service_requests|task_latency_processing_sum)"
    r"\{([^}]*)\} ([0-9.e+-]+)$"
)


# metric -> (its name here, the label that says which operation or task type it counts)
SERVER_METRICS = {
    "persistence_requests": ("store", "operation"),
    "visibility_persistence_latency_count": ("visibility", "operation"),
    "persistence_latency_sum": ("store_seconds", "operation"),
    "service_requests": ("rpc", "operation"),
    "task_latency_processing_sum": ("task_us", "task_type"),
}


def _label(labels: str, name: str) -> str:
    found = re.search(rf'{name}="([^"]+)"', labels)
    return found.group(1) if found else "?"


async def server_counters(metrics_port: int) -> Counter[str]:
    """The dev server's own accounting (its Prometheus endpoint): execution-store requests and
    visibility-store writes by operation, time in persistence and in its queue tasks (kept in
    microseconds), and its services' requests. Deltas of these per side say what a lifecycle
    asks of the server."""
    async with httpx.AsyncClient(timeout=10) as http:
        text = (await http.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
    counts: Counter[str] = Counter()
    for line in text.splitlines():
        m = SERVER_COUNTERS.match(line)
        if m is None or 'namespace="system"' in m.group(2):
            continue
        name, label = SERVER_METRICS[m.group(1)]
        labels = m.group(2)
        if name == "rpc":  # by service too: frontend (the SDKs' calls), history, matching
            name = f"rpc:{_label(labels, 'service_name')}"
        timed = name in {"store_seconds", "task_us"}
        counts[f"{name}:{_label(labels, label)}"] += round(
            float(m.group(3)) * (1_000_000 if timed else 1)
        )
    return counts


def per_lifecycle(total: Counter[str], n: int) -> dict[str, Any]:
    """Server requests per lifecycle: store operations, visibility writes, persistence time."""
    store = {k.split(":", 1)[1]: v / n for k, v in total.items() if k.startswith("store:")}
    visibility = {
        k.split(":", 1)[1]: v / n
        for k, v in total.items()
        if k.startswith(("visibility:Record", "visibility:Upsert", "visibility:Delete"))
    }
    micros = sum(v for k, v in total.items() if k.startswith("store_seconds:"))
    return {
        "store_requests": round(sum(store.values()), 1),
        "store_requests_by_operation": {
            k: round(v, 2) for k, v in sorted(store.items(), key=lambda kv: -kv[1]) if v >= 0.05
        },
        "visibility_writes": round(sum(visibility.values()), 2),
        "visibility_writes_by_operation": {k: round(v, 2) for k, v in sorted(visibility.items())},
        "store_ms": round(micros / 1000 / n, 2),
        # requests each server service answered (frontend: the SDKs' calls; history and
        # matching: the server's own), per lifecycle
        "service_requests_by_operation": {
            k.removeprefix("rpc:"): round(v / n, 2)
            for k, v in sorted(total.items(), key=lambda kv: -kv[1])
            if k.startswith("rpc:") and v / n >= 0.05
        },
        # wall time the server spent on its queue tasks (transfer, timer, visibility), ms per
        # lifecycle by task type: where its own work goes (the dev server has no profiler
        # endpoint, and its binary is stripped)
        "queue_task_ms_by_type": {
            k.removeprefix("task_us:"): round(v / 1000 / n, 2)
            for k, v in sorted(total.items(), key=lambda kv: -kv[1])
            if k.startswith("task_us:") and v / 1000 / n >= 0.05
        },
    }


async def until(check: Callable[[], bool | Awaitable[bool]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        for proc in WATCHED:
            if proc.poll() is not None:
                raise RuntimeError(f"worker process {proc.pid} exited; see its log in the run dir")
        ok = check()
        if not isinstance(ok, bool):
            ok = await ok
        if ok:
            return
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition not reached")
        await asyncio.sleep(0.1)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


# --- the two lifecycles ---------------------------------------------------------------------------


def candidacy(run: str, i: int) -> CandidacyInput:
    return CandidacyInput.model_validate(
        {
            "role": {
                "id": f"bench-{run}",
                "title": "Backend Engineer",
                "company": "Acme",
                "contact_email": "hiring@acme.example",
            },
            "candidate": {"id": f"c-{i}", "name": f"Person {i}", "email": f"p{i}@example.org"},
            # Quiet hours off: the raw Temporal baseline has none, and a run at night must not
            # wait for the morning.
            "policy": {"quiet_hours": None},
        }
    )


def interview(n: int) -> InterviewCompleted:
    return InterviewCompleted(
        interview_id=f"i-{n}",
        stage="screen" if n == 1 else "onsite",
        interviewer_email="iv@acme.example",
        duration=timedelta(hours=1),
        feedback=["You gave clear, structured answers throughout."],
    )


async def heardback_lifecycle(hb: HeardbackClient, run: str, i: int) -> tuple[str, float]:
    """Returns the rejection's message id and when its decision was answered."""
    inp = candidacy(run, i)
    role, cand = inp.role.id, inp.candidate.id
    ack = contract.candidacy_workflow_id(role, cand) + ".000.acknowledgement"
    STARTED[wire(ack)] = time.monotonic()
    await hb.start_candidacy(inp)
    await hb.record_interview(role, cand, interview(1))
    await hb.decide(role, cand, Decide(outcome="advance", next_stage="onsite"))
    await hb.record_interview(role, cand, interview(2))
    result = await hb.decide(
        role, cand, Decide(outcome="reject", feedback=["We chose deeper Go experience."])
    )
    return result.message_ids[0], time.monotonic()


async def baseline_lifecycle(client: Client, run: str, i: int) -> WorkflowHandle[Any, Any]:
    handle = await client.start_workflow(
        "BaselineLifecycle", i, id=f"baseline-{run}-{i}", task_queue=BASELINE_QUEUE
    )
    await handle.signal("interview_completed", {"n": 1})
    await handle.execute_update("decide", {"outcome": "advance"})
    await handle.signal("interview_completed", {"n": 2})
    await handle.execute_update("decide", {"outcome": "reject"})
    return handle


def payload_bytes(message: Any) -> int:
    """Bytes of every Payload (data and metadata) inside one history event, as stored."""
    if isinstance(message, Payload):
        return message.ByteSize()
    total = 0
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.is_repeated:
            if field.message_type.GetOptions().map_entry:
                items = value.values()
                total += sum(payload_bytes(v) for v in items if hasattr(v, "ListFields"))
            else:
                total += sum(payload_bytes(v) for v in value)
        else:
            total += payload_bytes(value)
    return total


async def history_figures(client: Client, workflow_ids: list[str]) -> dict[str, Any]:
    """Events, billable actions and payload bytes by event type per lifecycle, from the
    histories as the server stores them (encrypted where the side encrypts). Visibility writes
    are the server's own count (`server_counters`): it folds some upserts into other writes."""
    kinds: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    events = billable = payload = stored = 0
    for wf in workflow_ids:
        history = await client.get_workflow_handle(wf).fetch_history()
        events += len(history.events)
        stored += sum(e.ByteSize() for e in history.events)
        for e in history.events:
            kind = EventType.Name(e.event_type).removeprefix("EVENT_TYPE_")
            kinds[kind] += 1
            billable += e.event_type in BILLABLE
            size = payload_bytes(e)
            payload += size
            by_kind[kind] += size
    n = len(workflow_ids)
    return {
        "events_per_lifecycle": round(events / n, 1),
        "billable_actions_per_lifecycle": round(billable / n, 1),
        "events_by_type": {k: round(v / n, 1) for k, v in kinds.most_common()},
        "history_bytes_per_lifecycle": round(stored / n),
        "payload_bytes_per_lifecycle": round(payload / n),
        "payload_bytes_by_type": {k: round(v / n) for k, v in by_kind.most_common() if v},
    }


# --- the run ------------------------------------------------------------------------------------


async def dev_server(
    tmp: Path, port: int, pragmas: list[str], metrics_port: int | None = None
) -> WorkflowEnvironment:
    """The embedded dev server with file persistence in `tmp` (as a first install runs), its
    Prometheus endpoint on `metrics_port` when given."""
    extra = ["--db-filename", str(tmp / "temporal.db")]
    if metrics_port is not None:
        extra += ["--metrics-port", str(metrics_port)]
    for pragma in pragmas:
        extra += ["--sqlite-pragma", pragma]
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        port=port,
        ui=False,
        search_attributes=search.ALL,
        data_converter=DATA_CONVERTER,
        dev_server_extra_args=extra,
        dev_server_log_level="error",
    )


async def run_bench(args: argparse.Namespace) -> dict[str, Any]:  # noqa: PLR0915 - one script
    tmp = Path(tempfile.mkdtemp(prefix="heardback-bench-"))
    port = _free_port()
    metrics_port = _free_port()
    env = await dev_server(tmp, port, args.sqlite_pragma, metrics_port)
    arrivals = Arrivals()
    smtp_port = _free_port()
    smtp = Controller(arrivals, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    run = uuid.uuid4().hex[:6]
    address = f"127.0.0.1:{port}"
    # "heardback" is the default install (encryption on); "plain" the same with it off, beside
    # it in the same run. Each has a worker process, a task queue and a ledger of its own.
    keys = new_key_spec("bench")
    encrypted = Settings(
        encryption="on",
        encryption_keys=SecretStr(keys),
        data_keys_path=tmp / "data-keys.sqlite3",
        ledger_path=tmp / "ledger.sqlite3",
    )

    def worker_env(queue: str, ledger: str, encryption: bool) -> dict[str, str]:
        return {
            "HEARDBACK_TEMPORAL_ADDRESS": address,
            "HEARDBACK_TASK_QUEUE": queue,
            "HEARDBACK_MAIL_TRANSPORT": "smtp",
            "HEARDBACK_SMTP_HOST": "127.0.0.1",
            "HEARDBACK_SMTP_PORT": str(smtp_port),
            "HEARDBACK_LEDGER_PATH": str(tmp / ledger),
            "HEARDBACK_LOG_LEVEL": "WARNING",
            "HEARDBACK_LOG_FORMAT": "json",
            "HEARDBACK_WORKER_DEPLOYMENT_NAME": f"bench-{queue}",
            **(
                {
                    "HEARDBACK_ENCRYPTION": "on",
                    "HEARDBACK_ENCRYPTION_KEYS": keys,
                    "HEARDBACK_DATA_KEYS_PATH": str(tmp / "data-keys.sqlite3"),
                }
                if encryption
                else {"HEARDBACK_ENCRYPTION": "off"}
            ),
            **dict(kv.split("=", 1) for kv in args.worker_env),
        }

    heardback_worker = spawn(
        "heardback.worker",
        worker_env(HEARDBACK_QUEUE, "ledger.sqlite3", args.encryption != "off"),
        tmp / "worker.log",
    )
    plain_worker = (
        spawn(
            "heardback.worker",
            worker_env(PLAIN_QUEUE, "ledger-plain.sqlite3", False),
            tmp / "worker-plain.log",
        )
        if args.encryption == "both"
        else None
    )
    baseline_worker = spawn(
        "bench.lifecycle_baseline", {"BENCH_TEMPORAL_ADDRESS": address}, tmp / "baseline.log"
    )
    WATCHED[:] = [p for p in (heardback_worker, plain_worker, baseline_worker) if p is not None]
    client = env.client
    enc_client = (
        await Client.connect(address, data_converter=data_converter(encrypted))
        if args.encryption != "off"
        else client
    )
    hb = HeardbackClient(enc_client, task_queue=HEARDBACK_QUEUE)
    hb_plain = HeardbackClient(client, task_queue=PLAIN_QUEUE)
    n = args.candidacies
    try:
        await asyncio.sleep(3.0)  # the workers polling

        # 1 and 2: the two sides in alternating rounds (B H, H B, B H, ...), so drift in the
        # machine's speed and the growing database weigh on both alike. Each side's round ends
        # when all its workflows have completed (heardback's: and every rejection has arrived).
        server = server_pid(port) or os.getpid()
        sides = ["baseline", "heardback"] + (["plain"] if plain_worker is not None else [])
        spent = {side: Spent() for side in sides}
        # what each side asked of the dev server in its rounds (its own metrics)
        asked: dict[str, Counter[str]] = {side: Counter() for side in sides}
        procs = {"baseline": baseline_worker, "heardback": heardback_worker}
        if plain_worker is not None:
            procs["plain"] = plain_worker
        rejections: list[str] = []
        clients = {"heardback": hb, "plain": hb_plain}

        def drive(side: str, tag: str) -> Callable[[int], Awaitable[None]]:
            async def base(i: int) -> None:
                await (await baseline_lifecycle(client, f"{run}{tag}", i)).result()

            async def one(i: int) -> None:
                prefix = f"{run}{tag}" if side == "heardback" else f"{run}p{tag}"
                mid, decided_at = await heardback_lifecycle(clients[side], prefix, i)
                DECIDED[wire(mid)] = decided_at
                await (
                    clients[side]
                    .temporal.get_workflow_handle(
                        contract.candidacy_workflow_id(f"bench-{prefix}", f"c-{i}")
                    )
                    .result()
                )
                rejections.append(wire(mid))

            return base if side == "baseline" else one

        # A warm-up round per side, not counted: first workflow code loads, caches and SQLite
        # pages otherwise weigh on whichever side runs first.
        warm = min(args.warmup, n)
        for side in sides:
            await bounded(range(warm), drive(side, "w"), CONCURRENCY)
        await until(lambda: all(m in arrivals.at for m in rejections), timeout=600)
        rejections.clear()

        rounds = max(1, min(args.rounds, n))
        for r in range(rounds):
            ids = range(r * n // rounds, (r + 1) * n // rounds)
            order = sides[r % len(sides) :] + sides[: r % len(sides)]  # each side first in turn
            for side in order:
                counted = await server_counters(metrics_port)
                before = (
                    time.monotonic(),
                    cpu_s(procs[side].pid),
                    cpu_s(server),
                    cpu_s(os.getpid()),
                )
                await bounded(ids, drive(side, ""), CONCURRENCY)
                if side != "baseline":
                    await until(lambda: all(m in arrivals.at for m in rejections), timeout=600)
                done = time.monotonic()
                # The server finishes a side's work after its last answer (visibility records,
                # task acks): its CPU and requests are read after a short settle, so they count
                # for the side that caused them; the wall time ends when the side was done.
                await asyncio.sleep(SETTLE_S)
                spent[side].add(
                    before,
                    (done, cpu_s(procs[side].pid), cpu_s(server), cpu_s(os.getpid())),
                )
                asked[side].update(await server_counters(metrics_port))
                asked[side].subtract(counted)
        baseline_s, heardback_s = spent["baseline"].wall, spent["heardback"].wall
        peak_busy = rss_mb(heardback_worker.pid, "VmHWM")

        def sent(side: str, kind: str) -> list[str]:
            """The wire Message-IDs of one kind of message, for every counted lifecycle."""
            tag = "p" if side == "plain" else ""
            return [wire(f"candidacy-bench-{run}{tag}-c-{i}.{kind}") for i in range(n)]

        owed = {
            mid
            for side in sides
            if side != "baseline"
            for kind in ("000.acknowledgement", "001.stage_result", "002.rejection")
            for mid in sent(side, kind)
        }
        loaded = {
            side: first_response(arrivals, sent(side, "000.acknowledgement"))
            for side in sides
            if side != "baseline"
        }
        decided_loaded = {
            side: decided_to_delivered(arrivals, sent(side, "002.rejection")) for side in loaded
        }
        missing = sorted(owed - set(arrivals.at))
        twice = sorted(m for m in owed if arrivals.count[m] > 1)

        # 3. latency on an idle server
        latencies = []
        for i in range(args.latency_samples):
            mid, decided_at = await heardback_lifecycle(hb, f"{run}-lat", i)
            seen = wire(mid)
            await until(lambda m=seen: m in arrivals.at, timeout=60)  # type: ignore[misc]
            latencies.append(arrivals.at[seen] - decided_at)
        idle_first = first_response(
            arrivals,
            [
                wire(f"candidacy-bench-{run}-lat-c-{i}.000.acknowledgement")
                for i in range(args.latency_samples)
            ],
        )
        plain_latencies = []
        for i in range(args.latency_samples if plain_worker is not None else 0):
            mid, decided_at = await heardback_lifecycle(hb_plain, f"{run}-plat", i)
            seen = wire(mid)
            await until(lambda m=seen: m in arrivals.at, timeout=60)  # type: ignore[misc]
            plain_latencies.append(arrivals.at[seen] - decided_at)

        picks = range(0, n, max(1, n // HISTORY_SAMPLE))
        figures = await history_figures(client, [f"candidacy-bench-{run}-c-{i}" for i in picks])
        base_figures = await history_figures(client, [f"baseline-{run}-{i}" for i in picks])
        plain_figures = (
            await history_figures(client, [f"candidacy-bench-{run}p-c-{i}" for i in picks])
            if plain_worker is not None
            else None
        )

        # 4. memory with many candidacies open, each waiting on its timers
        t0 = time.monotonic()
        opened = 0

        async def open_one(i: int) -> None:
            nonlocal opened
            await hb.start_candidacy(candidacy(f"{run}-open", i))
            opened += 1

        await bounded(range(args.open), open_one, 100)
        acks = [
            wire(f"candidacy-bench-{run}-open-c-{i}.000.acknowledgement") for i in range(args.open)
        ]
        await until(lambda: all(a in arrivals.at for a in acks), timeout=3600)
        open_s = time.monotonic() - t0
        await asyncio.sleep(3.0)
        rss_open = rss_mb(heardback_worker.pid)
        peak_all = rss_mb(heardback_worker.pid, "VmHWM")
    finally:
        for proc in WATCHED:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)
        smtp.stop()
        await env.shutdown()

    return {
        "date": datetime.now(UTC).date().isoformat(),
        "candidacies": n,
        "sqlite_pragmas": args.sqlite_pragma,
        "worker_env": args.worker_env,
        "baseline_s": round(baseline_s, 2),
        "heardback_s": round(heardback_s, 2),
        "baseline_per_s": round(n / baseline_s, 1),
        "heardback_per_s": round(n / heardback_s, 1),
        "throughput_ratio": round(baseline_s / heardback_s, 2),
        "rounds": rounds,
        "baseline_worker_cpu_ms_per_lifecycle": spent["baseline"].ms(0, n),
        "heardback_worker_cpu_ms_per_lifecycle": spent["heardback"].ms(0, n),
        # The dev server's CPU and the driver's (clients + the SMTP sink) over the same phases.
        "baseline_server_cpu_ms_per_lifecycle": spent["baseline"].ms(1, n),
        "heardback_server_cpu_ms_per_lifecycle": spent["heardback"].ms(1, n),
        "baseline_driver_cpu_ms_per_lifecycle": spent["baseline"].ms(2, n),
        "heardback_driver_cpu_ms_per_lifecycle": spent["heardback"].ms(2, n),
        "encryption": args.encryption,
        "warmup_per_side": warm,
        # Total CPU (worker + dev server + driver) per lifecycle, against the baseline's: the
        # steadier figure on a CPU-bound 2-core machine.
        "cpu_ratio": cpu_ratio(spent["baseline"], spent["heardback"]),
        **(
            {
                "plain_s": round(spent["plain"].wall, 2),
                "plain_per_s": round(n / spent["plain"].wall, 1),
                "plain_throughput_ratio": round(baseline_s / spent["plain"].wall, 2),
                "plain_cpu_ratio": cpu_ratio(spent["baseline"], spent["plain"]),
                "plain_worker_cpu_ms_per_lifecycle": spent["plain"].ms(0, n),
                "plain_server_cpu_ms_per_lifecycle": spent["plain"].ms(1, n),
                "plain_driver_cpu_ms_per_lifecycle": spent["plain"].ms(2, n),
                "plain_decision_to_delivered_p50_ms": round(
                    quantile(plain_latencies, 0.5) * 1000, 1
                ),
                "plain_decision_to_delivered_p95_ms": round(
                    quantile(plain_latencies, 0.95) * 1000, 1
                ),
            }
            if plain_worker is not None
            else {}
        ),
        # start sent -> acknowledgement at the SMTP server ("time to first response")
        "first_response_idle_p50_ms": ms_quantile(idle_first, 0.5),
        "first_response_idle_p95_ms": ms_quantile(idle_first, 0.95),
        # decision answered -> rejection at the SMTP server, every counted lifecycle (50 in flight)
        "decision_to_delivered_load_p50_ms": ms_quantile(decided_loaded["heardback"], 0.5),
        "decision_to_delivered_load_p95_ms": ms_quantile(decided_loaded["heardback"], 0.95),
        **(
            {"plain_decision_to_delivered_load_p95_ms": ms_quantile(decided_loaded["plain"], 0.95)}
            if "plain" in decided_loaded
            else {}
        ),
        "first_response_load_p50_ms": ms_quantile(loaded["heardback"], 0.5),
        "first_response_load_p95_ms": ms_quantile(loaded["heardback"], 0.95),
        **(
            {
                "plain_first_response_load_p50_ms": ms_quantile(loaded["plain"], 0.5),
                "plain_first_response_load_p95_ms": ms_quantile(loaded["plain"], 0.95),
            }
            if "plain" in loaded
            else {}
        ),
        "messages_missing": len(missing),
        "messages_twice": len(twice),
        "decision_to_delivered_p50_ms": round(quantile(latencies, 0.5) * 1000, 1),
        "decision_to_delivered_p95_ms": round(quantile(latencies, 0.95) * 1000, 1),
        "latency_samples": len(latencies),
        "heardback_history": figures,
        "baseline_history": base_figures,
        **({"plain_history": plain_figures} if plain_figures is not None else {}),
        # The dev server's own accounting per lifecycle, over each side's rounds.
        "server_requests": {side: per_lifecycle(asked[side], n) for side in sides},
        "worker_peak_rss_mb_during_lifecycles": round(peak_busy, 1),
        "open_candidacies": args.open,
        "open_start_s": round(open_s, 1),
        "worker_rss_mb_with_open": round(rss_open, 1),
        "worker_peak_rss_mb": round(peak_all, 1),
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
    }


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


TABLE_HEADER = "| date | lifecycles | rounds | raw Temporal |"


def record(path: Path, r: dict[str, Any]) -> None:
    """One row of the same-run table: the default install (encryption on) and, beside it,
    encryption off, each against raw Temporal measured in the same rounds."""
    h = r["heardback_history"]
    b = r["baseline_history"]
    plain = (
        f"{r['plain_per_s']}/s: {r['plain_throughput_ratio']} (CPU {r['plain_cpu_ratio']})"
        if "plain_per_s" in r
        else "-"
    )
    row = (
        f"| {r['date']} | {r['candidacies']} | {r['rounds']} | {r['baseline_per_s']}/s | "
        f"{r['heardback_per_s']}/s: {r['throughput_ratio']} (CPU {r['cpu_ratio']}) | {plain} | "
        f"{r['decision_to_delivered_p95_ms']} / {r['decision_to_delivered_load_p95_ms']} ms | "
        f"{r['first_response_idle_p95_ms']} / {r['first_response_load_p95_ms']} ms | "
        f"{h['history_bytes_per_lifecycle']} ({b['history_bytes_per_lifecycle']}) | "
        f"{h['events_per_lifecycle']} ({b['events_per_lifecycle']}) | "
        f"{r['worker_rss_mb_with_open']} MB @ {r['open_candidacies']} | {r['machine']} |\n"
    )
    # Into the lifecycle table (after its last row), or at the end if there is none.
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = next((i for i, line in enumerate(lines) if line.startswith(TABLE_HEADER)), None)
    if header is None:
        lines.append(row)
    else:
        end = header
        while end + 1 < len(lines) and lines[end + 1].startswith("|"):
            end += 1
        lines.insert(end + 1, row)
    path.write_text("".join(lines), encoding="utf-8")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidacies", type=int, default=1000)
    parser.add_argument("--open", type=int, default=10_000, help="open candidacies for RSS")
    parser.add_argument("--latency-samples", type=int, default=50)
    parser.add_argument(
        "--rounds",
        type=int,
        default=12,
        help="rounds, each side first in turn (more, shorter rounds: steadier)",
    )
    parser.add_argument("--warmup", type=int, default=30, help="uncounted lifecycles per side")
    parser.add_argument(
        "--encryption",
        choices=("on", "off", "both"),
        default="both",
        help="heardback as installed (on), off, or both side by side (default)",
    )
    parser.add_argument(
        "--sqlite-pragma", action="append", default=[], help="passed to the dev server"
    )
    parser.add_argument(
        "--worker-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a heardback worker setting (tuning runs), e.g. HEARDBACK_WORKFLOW_TASK_POLLERS=2",
    )
    parser.add_argument("--record", type=Path, help="append a markdown row to this file")
    args = parser.parse_args()
    result = await run_bench(args)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    if args.record:
        record(args.record, result)
    return 0 if result["messages_missing"] == 0 else 1


if __name__ == "__main__":
    run_and_exit(main)
