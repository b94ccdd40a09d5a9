"""Greenhouse, as Greenhouse documents it: every example payload from its webhook documentation
(tests/fixtures/ats/greenhouse, see SOURCES.md), signed the way Greenhouse signs, through the
real gateway, worker and dev server."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from heardback.gateway import greenhouse
from tests.pages_stack import PagesStack, pages_stack

pytestmark = pytest.mark.timeout(240)

FIXTURES = Path(__file__).parent / "fixtures" / "ats" / "greenhouse"
SECRET, OLD_SECRET = "gh-secret-key-new-0123456789abcdef", "gh-secret-key-old-0123456789abcdef"
TOKEN = "ops-token-" + "x" * 24


def documented() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))}


# --- pure ------------------------------------------------------------------------------------


def test_every_documented_action_has_a_deliberate_answer() -> None:
    examples = documented()
    assert set(examples) == set(greenhouse.ACTIONS), "a documented action without an answer"
    for name, event in examples.items():
        assert event["action"] == name
        plan = greenhouse.plan(event, reasons_as_written=False)  # never Unusable
        assert plan.reason
        assert (plan.handling == "map") == bool(plan.steps), name


def test_the_signature_is_greenhouses_over_the_raw_body_with_rotation() -> None:
    body = (FIXTURES / "reject_candidate.json").read_bytes()
    header = greenhouse.sign(OLD_SECRET, body)
    assert header.startswith("sha256 ")
    assert greenhouse.verify([SECRET, OLD_SECRET], body, header)  # rotating: both accepted
    assert not greenhouse.verify([SECRET], body, header)  # the old one removed
    assert not greenhouse.verify([OLD_SECRET], body + b" ", header)  # a changed body
    assert not greenhouse.verify([OLD_SECRET], body, None)
    assert not greenhouse.verify([OLD_SECRET], body, header.replace(" ", "="))


def test_the_personal_address_comes_first_and_the_reason_only_when_allowed() -> None:
    ev = documented()["new_candidate_application"]  # lists a work address first
    (_, add) = greenhouse.plan(ev, reasons_as_written=False).steps
    assert add[1]["email"] == "person@example.com"
    rejected = documented()["reject_candidate"]
    withheld = greenhouse.plan(rejected, reasons_as_written=False).steps[0][1]
    written = greenhouse.plan(rejected, reasons_as_written=True).steps[0][1]
    assert withheld["feedback"] == [] and written["feedback"] == ["Too Junior"]


# --- through the gateway, the worker and the dev server --------------------------------------


@pytest.fixture(scope="module")
async def stack(
    devserver: tuple[WorkflowEnvironment, int], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[PagesStack]:
    tmp = tmp_path_factory.mktemp("greenhouse")
    async with pages_stack(
        devserver,
        tmp,
        greenhouse_webhook_secrets=SecretStr(f"{SECRET},{OLD_SECRET}"),
        ats_store_path=tmp / "ats.sqlite3",
        api_tokens=SecretStr(TOKEN),
        default_company="Acme",
        default_contact_email="jobs@acme.example",
        default_policy={"quiet_hours": None},  # a test must not depend on the hour
    ) as s:
        yield s


async def deliver(
    http: httpx.AsyncClient, event: dict[str, Any], *, secret: str = SECRET, event_id: str = "e-1"
) -> httpx.Response:
    body = json.dumps(event).encode()
    return await http.post(
        "/v1/webhooks/greenhouse",
        content=body,
        headers={
            "Signature": greenhouse.sign(secret, body),
            "Greenhouse-Event-ID": event_id,
            "Content-Type": "application/json",
        },
    )


def with_ids(name: str, job: int, application: int, **app: Any) -> dict[str, Any]:
    """A documented example, for one application of ours (ids and the fields named changed)."""
    event = copy.deepcopy(documented()[name])
    a = event["payload"]["application"]
    a["id"] = application
    for j in a.get("jobs", []):
        j["id"] = job
    if isinstance(a.get("job"), dict):
        a["job"]["id"] = job
    a.update(app)
    return event


async def status(stack: PagesStack, job: int, application: int) -> Any:
    return await stack.client.status(f"gh-{job}", f"app-{application}")


async def until(check: Any, timeout: float = 30) -> None:
    for _ in range(int(timeout * 10)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("not reached")


async def test_every_documented_example_is_answered_200_and_none_is_lost(
    stack: PagesStack,
) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        for n, (name, event) in enumerate(documented().items()):
            r = await deliver(http, event, event_id=f"doc-{n}")
            assert r.status_code == 200, (name, r.text)
            assert r.json()["status"] in ("processed", "ignored", "refused"), (name, r.json())
            assert r.json()["action"] == name
        listed = await http.get("/v1/webhooks/events", headers={"Authorization": f"Bearer {TOKEN}"})
        assert listed.status_code == 200
        assert {e["action"] for e in listed.json()} >= set(greenhouse.ACTIONS)
        assert (await http.get("/v1/webhooks/events")).status_code == 401


async def test_signatures_are_checked_and_a_replayed_body_acts_once(stack: PagesStack) -> None:
    job, app = 900001, 800001
    event = with_ids("new_candidate_application", job, app)
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        body = json.dumps(event).encode()
        assert (await http.post("/v1/webhooks/greenhouse", content=body)).status_code == 401
        assert (await deliver(http, event, secret="not-ours")).status_code == 401
        r = await deliver(http, event, secret=OLD_SECRET, event_id="first")  # still accepted
        assert r.status_code == 200 and r.json()["status"] == "processed", r.text
        assert r.json()["workflow_id"] == f"candidacy-gh-{job}-app-{app}"
        # The same signed body under a new Greenhouse-Event-ID: a replay, not a new event.
        again = await deliver(http, event, event_id="second")
        assert again.json()["status"] == "duplicate"
    ack = await stack.mail(f"candidacy-gh-{job}-app-{app}", "acknowledgement")
    # The personal address, not the work one listed first; the tenant's company signs it.
    assert "person@example.com" in ack["To"] and "work.com" not in ack["To"]
    assert "Acme" in str(ack["From"]) + str(ack["Subject"])
    assert "jobs@acme.example" in str(ack["Reply-To"])  # the tenant's contact address


async def test_stage_changes_keep_their_order_and_never_go_backwards(stack: PagesStack) -> None:
    job, app = 900002, 800002
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        started = await deliver(http, with_ids("new_candidate_application", job, app))
        assert started.json()["status"] == "processed"
        await until(lambda: _has(stack, job, app))
        late = with_ids("candidate_stage_change", job, app, last_activity_at="2030-01-02T10:00:00Z")
        late["payload"]["application"]["current_stage"]["name"] = "Onsite"
        early = with_ids(
            "candidate_stage_change", job, app, last_activity_at="2030-01-01T10:00:00Z"
        )
        early["payload"]["application"]["current_stage"]["name"] = "Assessment"
        r = await deliver(http, late)
        assert r.json()["status"] == "processed", r.text
        r = await deliver(http, early)  # a late retry of an older move
        assert r.json()["status"] == "ignored" and "older" in r.json()["reason"]
        assert (await status(stack, job, app)).stage == "Onsite"
        back = with_ids("candidate_stage_change", job, app, last_activity_at="2030-01-03T10:00:00Z")
        back["payload"]["application"]["current_stage"]["name"] = "Preliminary Phone Screen"
        r = await deliver(http, back)  # moved back in Greenhouse: no "you moved on" mail
        assert r.json()["status"] == "ignored" and "earlier stage" in r.json()["reason"]
        assert (await status(stack, job, app)).stage == "Onsite"


async def _has(stack: PagesStack, job: int, app: int) -> bool:
    try:
        await status(stack, job, app)
    except Exception:
        return False
    return True


async def test_a_rejection_and_a_deletion_arrive_as_greenhouse_sends_them(
    stack: PagesStack,
) -> None:
    job, app = 900003, 800003
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        await deliver(http, with_ids("new_candidate_application", job, app))
        await until(lambda: _has(stack, job, app))
        rejected = with_ids("reject_candidate", job, app, last_activity_at="2030-02-01T00:00:00Z")
        r = await deliver(http, rejected)
        assert r.json()["status"] == "processed", r.text
        await until(lambda: _state(stack, job, app, ("finishing", "completed")))
        wf = f"candidacy-gh-{job}-app-{app}"
        await stack.mail(wf, "rejection")
        deleted = copy.deepcopy(documented()["delete_application"])
        deleted["payload"]["application"].update(id=app, job_id=job)
        r = await deliver(http, deleted)
        assert r.json()["status"] == "processed", r.text
    assert not list(stack.outbox.glob(f"{wf}.*"))  # erased: its mail copies are gone


async def _state(stack: PagesStack, job: int, app: int, states: tuple[str, ...]) -> bool:
    return (await status(stack, job, app)).state in states


async def run_cli(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The `heardback` console script as a process (off the event loop the gateway runs on)."""
    return await asyncio.to_thread(
        subprocess.run, argv, capture_output=True, text=True, env=env, timeout=90, check=False
    )


async def test_an_event_we_cannot_use_is_kept_for_an_operator_and_retried(
    stack: PagesStack, tmp_path: Path
) -> None:
    """Without the tenant's defaults a new job cannot open a role: answered 200 (Greenhouse
    would retry for 15 hours), kept as a dead letter, retried once the defaults are set."""
    from tests.pages_stack import extra_gateway

    job, app = 900004, 800004
    event = with_ids("new_candidate_application", job, app)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with (
        extra_gateway(stack, default_company=None) as bare,
        httpx.AsyncClient(base_url=bare, timeout=60) as http,
    ):
        r = await deliver(http, event)
        assert r.status_code == 200 and r.json()["status"] == "failed", r.text
        assert "HEARDBACK_DEFAULT_COMPANY" in r.json()["reason"]
        dead = (await http.get("/v1/webhooks/events?status=failed", headers=auth)).json()
        assert [d["event"] for d in dead if d["event"] == r.json()["event"]]
        assert all(d["retryable"] for d in dead)
        assert "Jane" not in json.dumps(dead)  # ids and reasons only
    # The operator retries it from the CLI, which asks the gateway that kept it.
    cli = [str(Path(sys.executable).parent / "heardback"), "webhooks", "retry", r.json()["event"]]
    env = {**os.environ, "HEARDBACK_API_TOKENS": TOKEN, "HEARDBACK_ENCRYPTION": "off"}
    first = await run_cli(*cli, "--gateway", stack.url, "--json", env=env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["status"] == "processed"
    again = await run_cli(*cli, "--gateway", stack.url, env=env)  # gone from the list: retried
    assert again.returncode == 2 and "no dead letter" in again.stderr
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        assert (await deliver(http, event)).json()["status"] == "duplicate"
    await until(lambda: _has(stack, job, app))


async def test_a_rejection_greenhouse_sent_itself_is_not_sent_twice(stack: PagesStack) -> None:
    """HEARDBACK_ATS_SENDS=rejection: Greenhouse emailed the rejection, so heardback records the
    outcome and sends nothing more when it has no feedback or reasons to add."""
    from tests.pages_stack import extra_gateway

    job, app = 900031, 800031
    wf = f"candidacy-gh-{job}-app-{app}"
    async with (
        extra_gateway(stack, ats_sends="rejection") as url,
        httpx.AsyncClient(base_url=url, timeout=60) as http,
    ):
        await deliver(http, with_ids("new_candidate_application", job, app))
        await stack.mail(wf, "acknowledgement")
        rejected = with_ids("reject_candidate", job, app, last_activity_at="2030-02-01T00:00:00Z")
        r = await deliver(http, rejected)
        assert r.json()["status"] == "processed", r.text
        await until(lambda: _state(stack, job, app, ("finishing", "completed")))
    st = await status(stack, job, app)
    assert st.outcome == "rejected"
    [record] = [m for m in st.messages if m.kind == "rejection"]
    assert record.status == "withheld" and "told by the ATS" in (record.error or "")
    assert not stack.mails(wf, "rejection")  # one rejection: Greenhouse's
