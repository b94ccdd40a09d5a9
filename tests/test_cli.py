"""The `heardback` console script, run as a user runs it, against the real dev server."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from heardback.worker.wiring import build_worker, running
from tests.conftest import free_port, make_settings

pytestmark = pytest.mark.devserver

HEARDBACK = Path(sys.executable).parent / "heardback"


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class Cli:
    address: str
    task_queue: str

    async def __call__(self, *args: str, address: str | None = None) -> Ran:
        proc = await asyncio.create_subprocess_exec(
            str(HEARDBACK),
            *args,
            "--address",
            address or self.address,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={
                "HEARDBACK_TASK_QUEUE": self.task_queue,
                "HEARDBACK_ENCRYPTION": "off",
                "COLUMNS": "200",
                "PATH": str(HEARDBACK.parent),
            },
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode is not None
        return Ran(proc.returncode, out.decode(), err.decode())


@pytest.fixture(scope="module")
async def cli(
    devserver: tuple[WorkflowEnvironment, int], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Cli]:
    env, port = devserver
    settings = make_settings(tmp_path_factory.mktemp("cli"), worker_build_id="test")
    async with running(build_worker(env.client, settings), env.client, settings):
        yield Cli(address=f"127.0.0.1:{port}", task_queue=settings.task_queue)


async def test_help_reads_like_a_manual(cli: Cli) -> None:
    r = await cli("--help")
    assert r.code == 0
    for text in ("exit codes:", "examples:", "overdue", "report", "HEARDBACK_TEMPORAL_ADDRESS"):
        assert text in r.out
    r = await cli("decide", "--help")
    assert r.code == 0 and "--next-stage" in r.out


async def test_exit_codes_mean_something(cli: Cli, tmp_path: Path) -> None:
    role, cand = f"r-{uuid.uuid4().hex[:6]}", f"c-{uuid.uuid4().hex[:6]}"
    ok = await cli(
        "role", "open", role, "--title", "Data Engineer", "--company", "Globex",
        "--contact", "talent@globex.example", "--stages", "application,screen,onsite",
        "--quiet-hours", "off",  # the test must not depend on the hour it runs at
    )  # fmt: skip
    assert ok.code == 0, ok.err
    r = await cli("candidate", "add", role, cand, "--name", "Grace Hopper", "--email", "g@ex.org")
    assert r.code == 0 and f"candidacy-{role}-{cand}" in r.out
    r = await cli(
        "interview", role, cand, "--interview", "i-1", "--stage", "screen",
        "--interviewer", "bob@globex.example", "--duration", "PT4H",
    )  # fmt: skip
    assert r.code == 0 and "recorded" in r.out

    # 2: refused, with the workflow's reason on stderr.
    r = await cli("decide", role, cand, "reject")
    assert r.code == 2
    assert "written reasons" in r.err
    r = await cli("decide", role, "nobody", "offer")
    assert r.code == 2 and "no candidacy" in r.err
    r = await cli("candidate", "add", role, "c 2", "--name", "X", "--email", "not-an-email")
    assert r.code == 2 and "ids are" in r.err and "not an email address" in r.err
    r = await cli("decide", role, cand, "maybe")  # a usage error is a refusal too
    assert r.code == 2 and "invalid choice" in r.err
    r = await cli("--json", "decide", role, cand, "advance")
    assert r.code == 2 and r.json()["error"] == "refused" and "next_stage" in r.json()["reason"]

    # --json everywhere, in either position.
    st = (await cli("status", role, cand, "--json")).json()
    assert st["state"] == "active" and st["hours_invested"] == 4.0
    assert (await cli("--json", "status", role, cand)).json()["workflow_id"] == st["workflow_id"]

    # The operator's list: due within a week (feedback is due in 2 days).
    listed: list[dict[str, Any]] = []
    for _ in range(30):  # visibility is eventually consistent
        r = await cli("--json", "overdue", "--within", "P7D", "--role", role)
        assert r.code == 0
        listed = r.json()
        if listed:
            break
        await asyncio.sleep(0.2)
    assert [item["workflow_id"] for item in listed] == [f"candidacy-{role}-{cand}"]
    assert (await cli("--json", "overdue", "--role", role)).json() == []  # nothing late yet

    r = await cli(
        "feedback",
        role,
        cand,
        "--interview",
        "i-1",
        "--line",
        "Your SQL was clear and well indexed.",
    )
    assert r.code == 0
    r = await cli(
        "decide",
        role,
        cand,
        "reject",
        "--feedback",
        "We chose someone with deeper Spark work in production, which this team needs now.",
    )
    assert r.code == 0, r.err

    page = tmp_path / "report.html"
    r = await cli("--json", "report", "--role", role, "--html", str(page))
    assert r.code == 0, r.err
    report = r.json()
    assert report["candidacies"] == 1
    assert report["written_reasons_at_3h"] == {"numerator": 1, "denominator": 1}
    html = page.read_text()
    assert "<svg" in html and "<script" not in html and "Grace" not in html

    r = await cli("role", "close", role, "filled", "--wait")
    assert r.code == 0 and "closed (filled)" in r.out

    # 1: anything else, e.g. Temporal unreachable (and never the SDK's abort at exit).
    r = await cli("status", role, cand, address=f"127.0.0.1:{free_port()}")
    assert r.code == 1 and "cannot connect" in r.err
