"""Shared fixtures: one time-skipping Temporal test server per session, a fresh task queue,
outbox and ledger per test (the interpreter-exit guard is the plugin tests/exit_guard.py)."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from bench.postgres import throwaway_postgres
from heardback.runtime.converter import DATA_CONVERTER
from heardback.runtime.settings import Settings
from heardback.starter.client import HeardbackClient
from heardback.worker.search_attributes import ensure_search_attributes
from heardback.worker.wiring import build_worker
from heardback.workflows import contract, search
from heardback.workflows.models import CandidacyInput, Status

BIN = Path(sys.executable).parent
TEST_SERVER = BIN / "temporal-test-server"
DEV_SERVER = BIN / "temporal"


# --- Temporal -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEST_SERVER),
        data_converter=DATA_CONVERTER,
    )
    await ensure_search_attributes(environment.client)
    try:
        yield environment
    finally:
        await environment.shutdown()


def read_outbox(outbox: Path) -> list[EmailMessage]:
    """Every delivered message, oldest first (by the sequence in its message id).

    The mail's own headers say nothing of the kind or the candidacy (its Message-ID is opaque);
    the outbox file is named by the internal id (`{workflow_id}.NNN.{kind}.eml`), so the reader
    adds both as X-Heardback-Kind / X-Heardback-Candidacy for the tests (never sent)."""
    found = []
    for path in sorted(outbox.glob("*.eml"), key=lambda p: p.name):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        workflow_id, _seq, kind = path.name.removesuffix(".eml").rsplit(".", 2)
        msg["X-Heardback-Kind"] = kind
        msg["X-Heardback-Candidacy"] = workflow_id
        found.append(msg)
    return found


def body_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


@dataclass
class Harness:
    env: WorkflowEnvironment
    client: Client
    settings: Settings
    started: list[WorkflowHandle[Any, Any]] = field(default_factory=list)

    def track(self, handle: WorkflowHandle[Any, Any]) -> WorkflowHandle[Any, Any]:
        """Remember a workflow so teardown can end it: on the shared time-skipping server a
        workflow left running on a queue nobody polls would hold time still for later tests."""
        self.started.append(handle)
        return handle

    @property
    def outbox(self) -> Path:
        return self.settings.outbox_dir

    def messages(self, kind: str | None = None, to: str | None = None) -> list[EmailMessage]:
        out = read_outbox(self.outbox)
        if kind is not None:
            out = [m for m in out if m["X-Heardback-Kind"] == kind]
        if to is not None:
            out = [m for m in out if m["To"] == to]
        return out

    def kinds(self) -> list[str]:
        return [str(m["X-Heardback-Kind"]) for m in self.messages()]

    @property
    def hb(self) -> HeardbackClient:
        """heardback's own client, on this test's task queue."""
        return HeardbackClient(self.client, task_queue=self.settings.task_queue)

    async def start(self, **overrides: Any) -> WorkflowHandle[Any, Any]:
        """Start a candidacy as a raw Temporal client would (no search attributes at start)."""
        inp = candidacy_input(**overrides)
        handle = await self.client.start_workflow(
            contract.CANDIDACY_WORKFLOW,
            inp,
            id=contract.candidacy_workflow_id(inp.role.id, inp.candidate.id),
            task_queue=self.settings.task_queue,
        )
        return self.track(handle)

    async def start_with_client(self, inp: CandidacyInput) -> WorkflowHandle[Any, Any]:
        """Start a candidacy through `HeardbackClient.start_candidacy`; its handle."""
        workflow_id = await self.hb.start_candidacy(inp)
        return self.track(self.client.get_workflow_handle(workflow_id))

    async def status(self, handle: WorkflowHandle[Any, Any]) -> Status:
        st: Status = await handle.query(contract.QUERY_STATUS, result_type=Status)
        return st

    async def result(self, handle: WorkflowHandle[Any, Any]) -> Status:
        """The workflow's final status (time skips while we wait)."""
        return Status.model_validate(await handle.result())

    async def until(
        self,
        handle: WorkflowHandle[Any, Any],
        check: Callable[[Status], bool],
        *,
        timeout: float = 15.0,
    ) -> Status:
        """Poll `status` in real time until `check` holds (deliveries run in real time)."""
        deadline = asyncio.get_running_loop().time() + timeout
        st: Status | None = None
        while True:
            with contextlib.suppress(RPCError):  # a query can time out while the run turns over
                st = await self.status(handle)
                if check(st):
                    return st
            if asyncio.get_running_loop().time() > deadline:
                shown = st.model_dump_json() if st else "no answer"
                raise AssertionError(f"condition not reached; status: {shown}")
            await asyncio.sleep(0.05)

    async def delivered(self, handle: WorkflowHandle[Any, Any], count: int) -> Status:
        """Wait until at least `count` messages are delivered and none is pending."""
        return await self.until(
            handle,
            lambda st: (
                sum(m.status == "delivered" for m in st.messages) >= count
                and all(m.status != "pending" for m in st.messages)
            ),
        )

    async def idle(self, handle: WorkflowHandle[Any, Any], timeout: float = 15.0) -> Status:
        """Wait until nothing is pending delivery."""
        return await self.until(
            handle, lambda st: all(m.status != "pending" for m in st.messages), timeout=timeout
        )

    async def sleep(self, duration: timedelta, handle: WorkflowHandle[Any, Any]) -> Status:
        """Skip server time, then let the deliveries that came due finish.

        Skips a day at a time: one long skip that fires many timers can outlast the test
        server's RPC timeout on a busy machine."""
        remaining = duration
        while remaining > timedelta(0):
            step = min(remaining, timedelta(days=1))
            await self.env.sleep(step)
            remaining -= step
        return await self.idle(handle)


def candidacy_input(**overrides: Any) -> CandidacyInput:
    data: dict[str, Any] = {
        "role": {
            "id": "r-7",
            "title": "Backend Engineer",
            "company": "Acme",
            "contact_email": "hiring@acme.example",
            "survey_url": None,
        },
        "candidate": {
            "id": f"c-{uuid.uuid4().hex[:10]}",
            "name": "Ada Lovelace",
            "email": "ada@example.org",
        },
        # The shared time-skipping clock only moves forward: keep each finished candidacy's
        # erasure far beyond anything the session skips (test_privacy tests retention itself).
        # Quiet hours off: a test must not depend on the hour it runs at (the tests of quiet
        # hours set them, with a clock of their own).
        "policy": {"retention": "P3650D", "quiet_hours": None},
    }
    for key, value in overrides.items():
        if key in ("role", "candidate", "policy"):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return CandidacyInput.model_validate(data)


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    queue = f"heardback-test-{uuid.uuid4().hex}"
    base: dict[str, Any] = {
        "task_queue": queue,
        # The time-skipping server has no Worker Deployments: unversioned there. Tests on the
        # dev server pass a build id, and get a deployment of their own.
        "worker_build_id": None,
        "worker_deployment_name": queue,
        "outbox_dir": tmp_path / "outbox",
        "ledger_path": tmp_path / "ledger.sqlite3",
        "mail_transport": "file",
        "encryption": "off",
    }
    return Settings(**{**base, **overrides})


async def _role_idle(handle: WorkflowHandle[Any, Any], timeout: float = 5.0) -> None:
    """Wait until a Role has no fan-out in flight."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        summary = await handle.query(contract.QUERY_SUMMARY)
        if summary["fan_out_remaining"] == 0:
            return
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running_harness(env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[Harness]:
    """A worker on its own task queue; every workflow the test started is ended afterwards."""
    worker = build_worker(env.client, settings)
    async with worker:
        harness = Harness(env=env, client=env.client, settings=settings)
        try:
            yield harness
        finally:
            for handle in harness.started:
                # Let in-flight deliveries finish first: the time-skipping server keeps time
                # locked for an activity whose workflow was terminated under it.
                with contextlib.suppress(Exception):  # a Role has no status query; fine
                    await harness.idle(handle, timeout=5)
                with contextlib.suppress(Exception):  # a Candidacy has no summary query; fine
                    await _role_idle(handle)
                with contextlib.suppress(RPCError):
                    await handle.terminate(reason="test finished")


@pytest.fixture
async def harness(env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_harness(env, make_settings(tmp_path)) as h:
        yield h


# --- the real Temporal dev server and worker processes --------------------------------------------


@pytest.fixture(scope="session")
async def devserver() -> AsyncIterator[tuple[WorkflowEnvironment, int]]:
    port = free_port()
    env = await WorkflowEnvironment.start_local(
        search_attributes=search.ALL,
        dev_server_existing_path=str(DEV_SERVER),
        port=port,
        ui=False,
        data_converter=DATA_CONVERTER,
    )
    try:
        yield env, port
    finally:
        await env.shutdown()


async def start_devserver_on_file(db: Path, port: int) -> WorkflowEnvironment:
    """A dev server of its own whose SQLite database is `db` (to search it afterwards: it is
    flushed by the environment's shutdown)."""
    return await WorkflowEnvironment.start_local(
        search_attributes=search.ALL,
        dev_server_existing_path=str(DEV_SERVER),
        port=port,
        ui=False,
        dev_server_extra_args=["--db-filename", str(db)],
    )


class WorkerProcess:
    """`python -m heardback.worker`, exactly as an operator runs it."""

    def __init__(
        self,
        port: int,
        tmp: Path,
        smtp: SmtpSink,
        *,
        task_queue: str | None = None,
        transport: str = "smtp",
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.task_queue = task_queue or f"heardback-e2e-{uuid.uuid4().hex[:8]}"
        self.log = tmp / f"worker-{uuid.uuid4().hex[:6]}.log"
        env = {
            **os.environ,
            "HEARDBACK_TEMPORAL_ADDRESS": f"127.0.0.1:{port}",
            "HEARDBACK_TASK_QUEUE": self.task_queue,
            # A Worker Deployment per task queue: builds of different tests never mix.
            "HEARDBACK_WORKER_DEPLOYMENT_NAME": self.task_queue,
            "HEARDBACK_MAIL_TRANSPORT": transport,
            "HEARDBACK_OUTBOX_DIR": str(tmp / "outbox"),
            "HEARDBACK_SMTP_HOST": smtp.host,
            "HEARDBACK_SMTP_PORT": str(smtp.port),
            "HEARDBACK_LEDGER_PATH": str(tmp / "ledger.sqlite3"),
            "HEARDBACK_LOG_FORMAT": "json",
            "HEARDBACK_ENCRYPTION": "off",
            # One schedule per namespace, shared by this session's workers: off unless a test
            # is about it.
            "HEARDBACK_RETENTION_SCHEDULE": "false",
            **(extra_env or {}),
        }
        self._log_file = self.log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "heardback.worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._log_file,
        )

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=30)
        finally:
            self._log_file.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._log_file.close()


@pytest.fixture
def worker_factory(
    devserver: tuple[WorkflowEnvironment, int], tmp_path: Path, smtp: SmtpSink
) -> Iterator[Any]:
    started: list[WorkerProcess] = []

    def make(**kwargs: Any) -> WorkerProcess:
        w = WorkerProcess(devserver[1], tmp_path, smtp, **kwargs)
        started.append(w)
        return w

    yield make
    for w in started:
        w.kill()


# --- a real PostgreSQL server on loopback ------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on loopback (or HEARDBACK_TEST_POSTGRES_DSN)."""
    given = os.environ.get("HEARDBACK_TEST_POSTGRES_DSN")
    if given:
        yield given
        return
    with throwaway_postgres() as dsn:
        yield dsn


# --- a real SMTP server on loopback --------------------------------------------------------------


class SinkHandler:
    """aiosmtpd handler: keeps what it accepts; can refuse recipients or defer everything."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.connections: set[object] = set()  # the client ends that sent a message
        self.refuse: set[str] = set()
        self.defer_remaining = 0  # answer 451 to this many DATA commands first
        # a test's own verdict on a message's content: an SMTP answer to refuse it with, or None
        self.refuse_data: Callable[[bytes], str | None] | None = None
        self.known: dict[str, tuple[str, str]] = {}  # opaque Message-ID -> (workflow id, kind)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.defer_remaining > 0:
            self.defer_remaining -= 1
            return "451 4.3.0 Try again later"
        if self.refuse_data is not None:
            answer = self.refuse_data(envelope.content)
            if answer is not None:
                return answer
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.received.append(msg)
        self.connections.add(session.peer)
        return "250 Message accepted for delivery"

    def ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.received]

    def learn(self, *statuses: Status, domain: str = "heardback.localhost") -> None:
        """Map the opaque Message-IDs of these candidacies' messages to their kinds (the mail
        itself says nothing of its kind or candidacy)."""
        from heardback.activities.mime import opaque_message_id

        for st in statuses:
            for rec in st.messages:
                self.known[opaque_message_id(rec.message_id, domain)] = (st.workflow_id, rec.kind)

    def kind_of(self, msg: EmailMessage) -> str | None:
        known = self.known.get(str(msg["Message-ID"]))
        return known[1] if known else None

    def of_kind(self, kind: str) -> list[EmailMessage]:
        """Received messages of a kind, among the candidacies `learn` was given."""
        return [m for m in self.received if self.kind_of(m) == kind]


class SmtpSink:
    """aiosmtpd on loopback; `stop()` and `start()` simulate an outage on the same port."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.handler = SinkHandler()
        self._controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self.handler, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def dev_server_on(port: int, db: Path) -> WorkflowEnvironment:
    """A dev server of its own on `port` with its SQLite file at `db`: started again on the same
    two, it is the same server after a restart."""
    return await WorkflowEnvironment.start_local(
        search_attributes=search.ALL,
        dev_server_existing_path=str(DEV_SERVER),
        port=port,
        ui=False,
        data_converter=DATA_CONVERTER,
        dev_server_extra_args=["--db-filename", str(db)],
    )


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()
