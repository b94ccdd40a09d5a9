"""Ashby, as Ashby documents it: ``Ashby-Signature: sha256=<hex>`` over the raw body with
rotation, each signed webhookActionId acting once, every documented action answered 200, and
the application events acted on (the personal address read from Ashby's API when the webhook
names a work one), through the real gateway, its AtsEvent workflow and the dev server. The
payloads are built from Ashby's OpenAPI schema (tests/fixtures/ats/SOURCES.md)."""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from heardback.gateway import ashby, ats_plan, webhooks
from tests.conftest import body_of
from tests.event_receiver import SECRET, Receiver, receiving, signed_by
from tests.fake_providers import KEY, Fake, fake_providers
from tests.pages_stack import PagesStack, event_outcome, extra_gateway, pages_stack

FIXTURES = Path(__file__).parent / "fixtures" / "ats" / "ashby"
NEW, OLD = "ashby-secret-new-0000000000000000", "ashby-secret-old-0000000000000000"
TOKEN = "ops-token-" + "a" * 24


def documented() -> dict[str, dict[str, Any]]:
    return {
        p.stem: json.loads(p.read_text())
        for p in sorted(FIXTURES.glob("*.json"))
        if "." not in p.stem
    }


def test_every_documented_action_has_a_deliberate_answer() -> None:
    names = set(documented())
    assert names == set(ashby.ACTIONS), names ^ set(ashby.ACTIONS)
    body = json.dumps(documented()["ping"]).encode()
    assert ashby.verify([NEW, OLD], body, ashby.sign(OLD, body))  # rotation
    assert not ashby.verify([NEW], body, ashby.sign(OLD, body))
    assert not ashby.verify([NEW], body + b" ", ashby.sign(NEW, body))
    assert not ashby.verify([NEW], body, None)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    """The tenant's own system, receiving heardback's events for the whole module."""
    with receiving(Receiver()) as r:
        yield r


@pytest.fixture(scope="module")
async def stack(
    devserver: tuple[WorkflowEnvironment, int],
    tmp_path_factory: pytest.TempPathFactory,
    receiver: Receiver,
) -> AsyncIterator[tuple[PagesStack, Fake]]:
    tmp = tmp_path_factory.mktemp("ashby")
    async with (
        fake_providers() as fake,
        pages_stack(
            devserver,
            tmp,
            ashby_webhook_secrets=SecretStr(f"{NEW},{OLD}"),
            ashby_api_key=SecretStr(KEY),
            ashby_api_url=fake.url,
            ats_task_queue=f"ats-ashby-{uuid.uuid4().hex[:8]}",
            ats_store_path=tmp / "ats.sqlite3",
            api_tokens=SecretStr(TOKEN),
            default_company="Example Corp",
            default_contact_email="hiring@example.com",
            default_policy={"quiet_hours": None},
            ats_rejection_reasons="as_written",
            events_url=receiver.url,
            events_secrets=SecretStr(SECRET),
            events_task_queue=f"events-ashby-{uuid.uuid4().hex[:8]}",
        ) as s,
    ):
        yield s, fake


def event(name: str, *, application: str | None = None, **fields: Any) -> dict[str, Any]:
    """A documented action, as a new event (its own webhookActionId) for our application."""
    body = copy.deepcopy(
        documented()[name.split(".", maxsplit=1)[0]]
        if "." not in name
        else json.loads((FIXTURES / f"{name}.json").read_text())
    )
    body["webhookActionId"] = str(uuid.uuid4())
    app = body.get("data", {}).get("application")
    if isinstance(app, dict):
        if application:
            app["id"] = application
        app.update(fields)
    return body


async def until_posted(receiver: Receiver, kind: str, workflow_id: str) -> None:
    for _ in range(300):
        if any(e["data"].get("workflow_id") == workflow_id for e in receiver.of_type(kind)):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {kind} for {workflow_id}")


async def post(http: httpx.AsyncClient, body: dict[str, Any], secret: str = NEW) -> httpx.Response:
    raw = json.dumps(body).encode()
    return await http.post(
        "/v1/webhooks/ashby", content=raw, headers={"Ashby-Signature": ashby.sign(secret, raw)}
    )


async def outcome(http: httpx.AsyncClient, key: str) -> dict[str, Any]:
    return await event_outcome(http, key, TOKEN)


async def test_every_documented_action_is_answered_200(stack: tuple[PagesStack, Fake]) -> None:
    s, _ = stack
    async with httpx.AsyncClient(base_url=s.url, timeout=30) as http:
        for name in ashby.ACTIONS:
            r = await post(http, event(name, application=f"a-{uuid.uuid4().hex[:8]}"))
            assert r.status_code == 200, (name, r.text)
            assert r.json()["status"] in ("accepted", "ignored"), r.json()
            done = await outcome(http, r.json()["event"])
            assert done["status"] in ("processed", "ignored", "refused"), (name, done)


async def test_an_application_is_acted_on_in_order_and_a_replay_acts_once(
    stack: tuple[PagesStack, Fake], receiver: Receiver
) -> None:
    s, _ = stack
    app = f"a-{uuid.uuid4().hex[:10]}"
    job = documented()["applicationSubmit"]["data"]["application"]["job"]["id"]
    wf = f"candidacy-ab-{job}-app-{app}"
    async with httpx.AsyncClient(base_url=s.url, timeout=30) as http:
        submitted = event("applicationSubmit", application=app)
        r = await post(http, submitted, secret=OLD)
        assert (await outcome(http, r.json()["event"]))["status"] == "processed"
        assert (await post(http, submitted)).json()["status"] == "duplicate"
        ack = await s.mail(wf, "acknowledgement", timeout=60)
        assert ack["To"].addresses[0].addr_spec == "james@example.com"
        moved = event("candidateStageChange", application=app)
        r = await post(http, moved)
        assert (await outcome(http, r.json()["event"]))["status"] == "processed"
        assert (await s.client.status(f"ab-{job}", f"app-{app}")).stage == "Offer"
        # A late retry of an older stage change is not applied.
        older = event("candidateStageChange", application=app, updatedAt="2022-08-13T00:00:00Z")
        older["data"]["application"]["currentInterviewStage"]["title"] = "Screen"
        done = await outcome(http, (await post(http, older)).json()["event"])
        assert done["status"] == "ignored" and "older" in done["reason"]
        # Ashby's reason label alone is too short to help: the effort rule refuses it, and the
        # refusal is recorded for the operator (not a silent 200); nothing reaches the candidate.
        archived = event("applicationUpdate", application=app)
        refused_key = (await post(http, archived)).json()["event"]
        done = await outcome(http, refused_key)
        assert done["status"] == "refused", done
        assert done["reason"], done
        assert not s.mails(wf, "rejection")
        # ...and the tenant's own system hears of it, signed, once (Ashby only heard 200).
        await until_posted(receiver, "command.refused", wf)
        [told] = [e for e in receiver.of_type("command.refused") if e["data"]["workflow_id"] == wf]
        assert told["data"]["source"] == "ashby" and told["data"]["command"] == "reject"
        assert told["data"]["provider_event"] == refused_key
        assert told["data"]["reason"] == done["reason"]
        assert all(signed_by(r, SECRET) for r in receiver.received)
        useful = "We needed deeper experience running production databases at scale."
        archived = event("applicationUpdate", application=app)
        archived["data"]["application"]["archiveReason"]["text"] = useful
        done = await outcome(http, (await post(http, archived)).json()["event"])
        assert done["status"] == "processed", done
        rejection = await s.mail(wf, "rejection", timeout=60)
        assert "deeper experience running production databases" in body_of(rejection)
        forged = json.dumps(event("candidateDelete")).encode()
        r = await http.post(
            "/v1/webhooks/ashby", content=forged, headers={"Ashby-Signature": "sha256=" + "0" * 64}
        )
        assert r.status_code == 401


async def test_a_work_address_gives_way_to_the_personal_one_from_ashbys_api(
    stack: tuple[PagesStack, Fake],
) -> None:
    s, fake = stack
    app = f"a-{uuid.uuid4().hex[:10]}"
    body = event("applicationSubmit.work_email", application=app)
    job = body["data"]["application"]["job"]["id"]
    async with httpx.AsyncClient(base_url=s.url, timeout=30) as http:
        done = await outcome(http, (await post(http, body)).json()["event"])
    assert done["status"] == "processed", done
    ack = await s.mail(f"candidacy-ab-{job}-app-{app}", "acknowledgement", timeout=60)
    assert ack["To"].addresses[0].addr_spec == "adam.hart@example.com"
    assert "POST /candidate.info" in fake.calls


async def test_a_schedule_whose_interviews_took_place_records_its_rounds_once(
    stack: tuple[PagesStack, Fake],
) -> None:
    s, _ = stack
    app = f"a-{uuid.uuid4().hex[:10]}"
    job = documented()["applicationSubmit"]["data"]["application"]["job"]["id"]
    person = documented()["applicationSubmit"]["data"]["application"]["candidate"]["id"]
    wf = f"candidacy-ab-{job}-app-{app}"
    async with httpx.AsyncClient(base_url=s.url, timeout=30) as http:
        r = await post(http, event("applicationSubmit", application=app))
        assert (await outcome(http, r.json()["event"]))["status"] == "processed"

        def schedule(status: str) -> dict[str, Any]:
            body = event("interviewScheduleUpdate")
            sched = body["data"]["interviewSchedule"]
            sched.update(status=status, applicationId=app, candidateId=person)
            return body

        planned = await outcome(http, (await post(http, schedule("Scheduled"))).json()["event"])
        assert planned["status"] == "ignored" and "Scheduled" in planned["reason"]
        assert (await s.client.status(f"ab-{job}", f"app-{app}")).interviews == []
        held = await outcome(
            http, (await post(http, schedule("WaitingOnFeedback"))).json()["event"]
        )
        assert held["status"] == "processed", held
        st = await s.client.status(f"ab-{job}", f"app-{app}")
        (iv,) = st.interviews
        ev = documented()["interviewScheduleUpdate"]["data"]["interviewSchedule"]
        assert iv.interview_id == f"ab-ie-{ev['interviewEvents'][0]['id']}"
        assert st.hours_invested == pytest.approx(1.0)  # 15:00 to 16:00
        # Ashby's feedback forms are internal: heardback asks the interviewer for lines.
        reminder = await s.mail(wf, "feedback_reminder", timeout=60)
        assert reminder["To"].addresses[0].addr_spec == "test@ashbyhq.com"
        done = await outcome(http, (await post(http, schedule("Complete"))).json()["event"])
        assert done["status"] == "ignored" and "already recorded" in done["reason"]
        assert len((await s.client.status(f"ab-{job}", f"app-{app}")).interviews) == 1


LINES = [
    "You reasoned about the failure modes of the queue before you wrote any code.",
    "Sketching the data model first would have saved you time in the second half.",
]


def submitted_feedback(event_id: str, by: str, lines: list[str]) -> dict[str, Any]:
    """Ashby's documented applicationFeedback.list result, for one interview event, with the
    tenant's candidate-facing field added to the form beside the documented ones."""
    doc = json.loads((FIXTURES / "api" / "applicationFeedback.list.json").read_text())
    form = copy.deepcopy(doc["results"][0])
    form.update(id=str(uuid.uuid4()), interviewEventId=event_id)
    form["submittedByUser"]["email"] = by
    form["formDefinition"]["sections"][0]["fields"].append(
        {
            "isRequired": False,
            "field": {
                "id": str(uuid.uuid4()),
                "type": "RichText",
                "path": "candidate_feedback",
                "title": "Candidate-facing feedback",
                "humanReadablePath": "Candidate-facing feedback",
                "isNullable": True,
            },
        }
    )
    form["submittedValues"]["candidate_feedback"] = "\n".join(lines)
    return dict(form)


def test_only_the_named_feedback_field_reaches_the_candidate() -> None:
    form = submitted_feedback("e-1", "a@example.com", LINES)
    lines, notes = ashby.feedback_of(form, ats_plan.fields_of("Candidate-facing feedback"))
    assert lines == LINES
    assert notes is not None
    assert "Overall Recommendation: hire" in notes and "Technical Skills: 4" in notes
    assert "problem-solving" in notes  # the documented Detailed Feedback: internal
    assert all("problem-solving" not in line for line in lines)
    # Named by its path instead of its title: the same.
    assert ashby.feedback_of(form, {"candidate_feedback"})[0] == LINES
    assert ashby.feedback_of(form, {"nothing named"})[0] == []


async def test_feedback_submitted_in_ashby_reaches_its_round_once(
    stack: tuple[PagesStack, Fake],
) -> None:
    """A round recorded while Ashby waits on feedback gets the interviewer's candidate-facing
    lines when the schedule completes (read through applicationFeedback.list, every page), once;
    another panel member's form for the same interview is not taken for the interviewer's."""
    s, fake = stack
    app = f"a-{uuid.uuid4().hex[:10]}"
    job = documented()["applicationSubmit"]["data"]["application"]["job"]["id"]
    person = documented()["applicationSubmit"]["data"]["application"]["candidate"]["id"]
    ev = documented()["interviewScheduleUpdate"]["data"]["interviewSchedule"]
    event_id = ev["interviewEvents"][0]["id"]
    interviewer = ev["interviewEvents"][0]["interviewers"][0]["email"]
    async with httpx.AsyncClient(base_url=s.url, timeout=30) as http:
        r = await post(http, event("applicationSubmit", application=app))
        assert (await outcome(http, r.json()["event"]))["status"] == "processed"

        def schedule(status: str) -> dict[str, Any]:
            body = event("interviewScheduleUpdate")
            body["data"]["interviewSchedule"].update(
                status=status, applicationId=app, candidateId=person
            )
            return body

        held = await outcome(
            http, (await post(http, schedule("WaitingOnFeedback"))).json()["event"]
        )
        assert held["status"] == "processed", held
        (iv,) = (await s.client.status(f"ab-{job}", f"app-{app}")).interviews
        assert iv.feedback_lines == 0
        fake.ashby_feedback[app] = [
            submitted_feedback(event_id, "someone.else@example.com", ["Not the interviewer's."]),
            submitted_feedback(event_id, interviewer, LINES),
        ]
        done = await outcome(http, (await post(http, schedule("Complete"))).json()["event"])
        assert done["status"] == "processed", done
        view = await s.client.page_view(f"candidacy-ab-{job}-app-{app}")
        (round_,) = view.interviews
        assert round_.feedback == LINES
        assert any("Overall Recommendation: hire" in n for n in round_.internal_notes)
        again = await outcome(http, (await post(http, schedule("Complete"))).json()["event"])
        assert again["status"] == "ignored" and "already recorded" in again["reason"]
        assert (await s.client.page_view(f"candidacy-ab-{job}-app-{app}")).interviews[
            0
        ].feedback == LINES


async def test_a_generic_ats_refusal_reaches_the_tenants_system_too(
    stack: tuple[PagesStack, Fake], receiver: Receiver
) -> None:
    """The generic endpoint answers a refusal in its response, and tells the tenant's own
    system the same as for the providers: `command.refused`, source `ats`, once however often
    the ATS redelivers the event."""
    s, _ = stack
    generic = "generic-ats-secret-0123456789"
    event_id = f"evt-{uuid.uuid4().hex[:12]}"
    body = json.dumps(
        {
            "action": "new_candidate_application",
            "payload": {
                "application": {
                    "id": 1,
                    "candidate": {"id": "c-1", "first_name": "Grace", "email_addresses": []},
                    "jobs": [{"id": "r-generic", "name": "Backend Engineer"}],
                }
            },
        }
    ).encode()
    headers = {"Signature": webhooks.sign(generic, body), "X-Event-Id": event_id}
    async with (
        extra_gateway(
            s, webhook_secret=SecretStr(generic), webhook_dedupe_path=s.settings.outbox_dir / "d"
        ) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        for _ in range(2):  # delivered, then redelivered
            r = await http.post("/v1/webhooks/ats", content=body, headers=headers)
            assert r.status_code == 200, r.text
        assert r.json()["status"] == "duplicate"
    for _ in range(300):
        told = [e for e in receiver.of_type("command.refused") if e["data"]["source"] == "ats"]
        if any(e["data"]["provider_event"] == event_id for e in told):
            break
        await asyncio.sleep(0.1)
    mine = [e for e in told if e["data"]["provider_event"] == event_id]
    assert len(mine) == 1, told
    assert "no email address" in mine[0]["data"]["reason"]
    assert mine[0]["data"]["command"] == "new_candidate_application"


def test_a_long_answer_is_kept_within_what_a_round_takes() -> None:
    many = [f"Line {i}: you walked through the design step by step." for i in range(70)]
    long_line = "x" * 2500
    form = submitted_feedback("e-1", "a@example.com", [long_line, *many])
    lines, _ = ashby.feedback_of(form, ats_plan.fields_of("Candidate-facing feedback"))
    assert len(lines) == 50 and len(lines[0]) == 2000 and lines[1] == many[0]
