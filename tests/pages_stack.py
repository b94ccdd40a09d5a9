"""A real stack for the one-step pages: the worker on the Temporal dev server (mail to a file
outbox, links signed with a test key) and the gateway served by uvicorn on loopback, in this
process. Shared by the HTTP tests of the pages and the browser tests."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from heardback.gateway.app import create_app
from heardback.gateway.serve import uvicorn_server
from heardback.runtime.settings import Settings
from heardback.starter.client import HeardbackClient
from heardback.worker.wiring import build_worker, running
from heardback.workflows.models import CandidacyInput, InterviewCompleted
from tests.conftest import body_of, candidacy_input, free_port, make_settings, read_outbox

LINK_KEY = "page-tests-link-key-" + "k" * 24
LINK = re.compile(r"http://127\.0\.0\.1:\d+/([fds])/[A-Za-z0-9._-]+")


@dataclass
class PagesStack:
    url: str
    settings: Settings
    client: HeardbackClient

    @property
    def outbox(self) -> Path:
        return self.settings.outbox_dir

    def mails(self, workflow_id: str, kind: str | None = None) -> list[EmailMessage]:
        return [
            m
            for m in read_outbox(self.outbox)
            if m["X-Heardback-Candidacy"] == workflow_id
            and (kind is None or m["X-Heardback-Kind"] == kind)
        ]

    async def mail(self, workflow_id: str, kind: str, timeout: float = 30) -> EmailMessage:
        """The newest mail of a kind to a candidacy, waiting for it to be delivered."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            found = self.mails(workflow_id, kind)
            if found:
                return found[-1]
            await asyncio.sleep(0.2)
        raise AssertionError(f"no {kind} mail for {workflow_id}")

    @staticmethod
    def link(mail: EmailMessage, kind: str) -> str:
        """The one-step link of a kind ("f", "d", "s") in a mail."""
        for match in LINK.finditer(body_of(mail)):
            if match.group(1) == kind:
                return match.group(0)
        raise AssertionError(f"no /{kind}/ link in:\n{body_of(mail)}")

    async def candidacy(
        self, *, interview: bool = True, hours: float = 1.0, **overrides: Any
    ) -> tuple[CandidacyInput, str]:
        """A started candidacy (compressed policy: the decision is due in seconds), with one
        interview without feedback unless `interview` is False."""
        policy = {
            "decision_due": "PT3S",
            "feedback_due": "PT1H",
            "staff_days": "calendar",
            **overrides.pop("policy", {}),
        }
        role = {"id": f"r-{uuid.uuid4().hex[:8]}", **overrides.pop("role", {})}
        inp = candidacy_input(policy=policy, role=role, **overrides)
        wf = await self.client.start_candidacy(inp)
        if interview:
            await self.client.record_interview(
                inp.role.id,
                inp.candidate.id,
                InterviewCompleted(
                    interview_id="i-1",
                    stage="technical",
                    interviewer_email="alan@acme.example",
                    duration=timedelta(hours=hours),
                ),
            )
        return inp, wf


@asynccontextmanager
async def pages_stack(
    devserver: tuple[WorkflowEnvironment, int], tmp: Path, **overrides: Any
) -> AsyncIterator[PagesStack]:
    env, _ = devserver
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = make_settings(
        tmp,
        worker_build_id="test",
        link_keys=SecretStr(LINK_KEY),
        public_url=url,
        page_rate_limit="1000/minute",
        **overrides,
    )
    client = HeardbackClient(env.client, task_queue=settings.task_queue)
    server = uvicorn_server(create_app(settings, client=client), "127.0.0.1", port)
    serving = asyncio.create_task(server.serve())
    try:
        async with running(build_worker(env.client, settings), env.client, settings):
            await _started(server)
            yield PagesStack(url=url, settings=settings, client=client)
    finally:
        server.should_exit = True
        await serving


@asynccontextmanager
async def extra_gateway(stack: PagesStack, **overrides: Any) -> AsyncIterator[str]:
    """A second gateway over the same client and keys, with other settings; yields its URL."""
    port = free_port()
    settings = stack.settings.model_copy(update=overrides)
    server = uvicorn_server(create_app(settings, client=stack.client), "127.0.0.1", port)
    serving = asyncio.create_task(server.serve())
    try:
        await _started(server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


async def _started(server: Any) -> None:
    for _ in range(200):
        if server.started:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the gateway did not start")


async def event_outcome(http: Any, key: str, token: str, timeout: float = 60) -> dict[str, Any]:
    """What became of a provider event once it is done (queued ones are waited for)."""
    auth = {"Authorization": f"Bearer {token}"}
    for _ in range(int(timeout * 5)):
        for e in (await http.get("/v1/webhooks/events?limit=1000", headers=auth)).json():
            if e["event"] == key and e["status"] not in ("queued", "in_progress"):
                return dict(e)
        await asyncio.sleep(0.2)
    raise AssertionError(f"event {key} not done")
