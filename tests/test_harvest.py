"""Greenhouse interviews and scorecards, read from the Harvest API v3 on a Temporal schedule.

Greenhouse sends no webhook for an interview or a scorecard. The gateway's worker runs the
`HarvestPoll` schedule; its activity takes an OAuth token (client credentials) and reads Harvest
v3 (a local server answering with Greenhouse's documented examples, ids changed, in cursor
pages), and records the rounds on the candidacies a Greenhouse application webhook opened. Only
the answer to the question the tenant maps reaches the candidate; the rest of a scorecard stays
internal."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import ScheduleActionExecutionStartWorkflow
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from heardback.gateway import ats_plan, harvest
from heardback.gateway.provider_api import ClientCredentials, NotAllowed, ProviderApi
from heardback.workflows import greenhouse_note
from heardback.workflows.harvest_poll import SCHEDULE_ID
from tests.fake_providers import (
    HARVEST_CLIENT_ID,
    HARVEST_CLIENT_SECRET,
    Fake,
    fake_providers,
    harvest_docs,
)
from tests.pages_stack import PagesStack, pages_stack
from tests.test_greenhouse import SECRET, TOKEN, deliver, until, with_ids

QUESTION = "Feedback for the candidate"
OTHER = "What are your thoughts on this candidate?"
LINES = [
    "You broke the scheduling problem into clear steps and tested each one.",
    "Naming the trade-offs of your cache design earlier would have made it stronger.",
]
PRIVATE = "Not sure about the salary expectations; check with the recruiter."
THOUGHTS = "Strong hire for the platform team, I would like a second systems round."
INTERVIEWER = "kate.austen@example.com"


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def interview(iv_id: int, app: int, job: int, *, status: str = "complete") -> dict[str, Any]:
    """Greenhouse's documented v3 interview, for one application of ours, just held."""
    iv = copy.deepcopy(harvest_docs("GET_v3_interviews.json")[0])
    now = datetime.now(UTC)
    iv.update(id=iv_id, application_id=app, job_id=job, status=status, updated_at=_stamp(now))
    iv.update(
        starts_at=_stamp(now - timedelta(hours=2)),
        ends_at=_stamp(now - timedelta(hours=1, minutes=15)),
    )
    return iv


def panel(
    row: int, iv_id: int, card: int | None, email: str | None = INTERVIEWER
) -> dict[str, Any]:
    """Greenhouse's documented interviewer row: who sat on the panel, and their scorecard."""
    member = copy.deepcopy(harvest_docs("GET_v3_interviewers.json")[0])
    member.update(id=row, interview_id=iv_id, scorecard_id=card, email=email)
    return member


def questions(kit: int) -> list[dict[str, Any]]:
    """The interview kit's questions: the tenant's candidate-facing one (written with HTML, as
    Harvest allows) and the documented free-text one."""
    doc = harvest_docs("GET_v3_scorecard_questions.json")[0]
    mapped = {**doc, "id": kit * 10 + 1, "interview_kit_id": kit, "question": f"<b>{QUESTION}</b>"}
    other = {**doc, "id": kit * 10 + 2, "interview_kit_id": kit, "question": OTHER, "sort_order": 2}
    return [mapped, other]


def scorecard(
    card_id: int, app: int, kit: int, lines: list[str] = LINES
) -> dict[str, list[dict[str, Any]]]:
    """A completed scorecard (the documented one, ids changed) and its answers."""
    card = copy.deepcopy(harvest_docs("GET_v3_scorecards.json")[0])
    card.update(
        id=card_id,
        application_id=app,
        interview_kit_id=kit,
        private_notes=PRIVATE,
        updated_at=_stamp(datetime.now(UTC)),
    )
    doc = harvest_docs("GET_v3_scorecard_question_answers.json")[0]
    answers = [
        {
            **doc,
            "id": card_id * 10 + 1,
            "scorecard_id": card_id,
            "scorecard_question_id": kit * 10 + 1,
            "answer": "\n".join(lines),
        },
        {
            **doc,
            "id": card_id * 10 + 2,
            "scorecard_id": card_id,
            "scorecard_question_id": kit * 10 + 2,
            "answer": THOUGHTS,
        },
    ]
    return {"scorecards": [card], "scorecard_question_answers": answers}


def application(app: int, job: int) -> dict[str, Any]:
    doc = copy.deepcopy(harvest_docs("GET_v3_applications.json")[0])
    doc.update(id=app, job_id=job)
    return doc


def publish(fake: Fake, **lists: list[dict[str, Any]]) -> None:
    for name, rows in lists.items():
        fake.harvest[name] += rows


def publish_card(fake: Fake, card: dict[str, list[dict[str, Any]]]) -> None:
    publish(fake, **card)


def publish_round(
    fake: Fake, iv: int, app: int, job: int, kit: int, *, card: int | None, status: str = "complete"
) -> None:
    """An interview of the application held, its panel row (with the scorecard's id) and its
    kit's questions, as Harvest lists them."""
    publish(
        fake,
        interviews=[interview(iv, app, job, status=status)],
        interviewers=[panel(iv - 300000, iv, card)],
        scorecard_questions=questions(kit),
    )


def test_only_the_mapped_question_reaches_the_candidate() -> None:
    read = scorecard(1, 2, 3)
    card, answers = read["scorecards"][0], read["scorecard_question_answers"]
    asked = {q["id"]: q for q in questions(3)}
    lines, notes = harvest.feedback_of(
        card, answers, asked, [], ats_plan.fields_of(f"{QUESTION}, Other")
    )
    assert lines == LINES
    assert notes is not None
    assert PRIVATE in notes and THOUGHTS in notes and "strong_yes" in notes
    assert all(PRIVATE not in line and THOUGHTS not in line for line in lines)
    # Nothing mapped: nothing for the candidate (the interviewer is then asked for lines).
    assert harvest.feedback_of(card, answers, asked, [], {"unused question"})[0] == []


def test_a_round_is_an_interview_that_took_place_on_an_application_we_know() -> None:
    card = scorecard(11, 7, 5)
    read = harvest.HarvestRead(
        interviews={
            1: interview(1, 7, 70),
            2: interview(2, 7, 70, status="scheduled"),
            3: interview(3, 8, 80),  # an application Harvest no longer has
        },
        interviewers={
            1: [panel(1, 1, None, email=None), panel(2, 1, 11)],
            2: [panel(3, 2, 12)],
            3: [panel(4, 3, 13)],
        },
        scorecards={11: card["scorecards"][0]},
        answers={11: card["scorecard_question_answers"]},
        questions={q["id"]: q for q in questions(5)},
        applications={7: application(7, 70)},
    )
    found = harvest.rounds(read, {QUESTION.casefold()})
    assert [(r.role_id, r.candidate_id, r.interview_id) for r in found] == [
        ("gh-70", "app-7", "gh-si-1")
    ]
    assert found[0].duration == timedelta(minutes=45)
    assert found[0].interviewer_email == INTERVIEWER  # the first panel member with an address
    assert found[0].stage == "Application Review"  # the application's current stage
    assert found[0].lines == LINES


@pytest.fixture(scope="module")
async def stack(
    devserver: tuple[WorkflowEnvironment, int], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[PagesStack, Fake]]:
    tmp = tmp_path_factory.mktemp("harvest")
    async with (
        fake_providers() as fake,
        pages_stack(
            devserver,
            tmp,
            greenhouse_webhook_secrets=SecretStr(SECRET),
            greenhouse_client_id=HARVEST_CLIENT_ID,
            greenhouse_client_secret=SecretStr(HARVEST_CLIENT_SECRET),
            greenhouse_token_url=f"{fake.url}/token",
            greenhouse_api_url=f"{fake.url}/v3",
            greenhouse_poll_interval=timedelta(hours=6),  # runs when the test triggers it
            greenhouse_feedback_questions=QUESTION,
            greenhouse_activity_notes=True,
            ats_task_queue=f"ats-harvest-{uuid.uuid4().hex[:8]}",
            ats_store_path=tmp / "ats.sqlite3",
            api_tokens=SecretStr(TOKEN),
            default_company="Acme",
            default_contact_email="jobs@acme.example",
            default_policy={"quiet_hours": None},
        ) as s,
    ):
        fake.harvest_page = 1  # one record a page: every list is read through its cursors
        schedule = s.client.temporal.get_schedule_handle(SCHEDULE_ID)
        await until(lambda: _exists(schedule), timeout=60)
        try:
            yield s, fake
        finally:
            await schedule.delete()


async def _exists(schedule: Any) -> bool:
    try:
        await schedule.describe()
    except Exception:
        return False
    return True


async def poll(s: PagesStack, schedule_id: str = SCHEDULE_ID) -> dict[str, Any]:
    """Run the schedule's action now, and wait for that run to finish."""
    schedule = s.client.temporal.get_schedule_handle(schedule_id)
    before = len((await schedule.describe()).info.recent_actions)
    await schedule.trigger()

    async def ran() -> bool:
        actions = (await schedule.describe()).info.recent_actions
        if len(actions) <= before:
            return False
        run = actions[-1].action
        assert isinstance(run, ScheduleActionExecutionStartWorkflow)
        handle = s.client.temporal.get_workflow_handle(
            run.workflow_id, run_id=run.first_execution_run_id
        )
        results.append(await handle.result())
        return True

    results: list[Any] = []
    await until(ran, timeout=60)
    return dict(results[-1].model_dump() if hasattr(results[-1], "model_dump") else results[-1])


async def interviews_of(s: PagesStack, job: int, app: int) -> dict[str, Any]:
    view = await s.client.page_view(f"candidacy-gh-{job}-app-{app}")
    return {iv.interview_id: iv for iv in view.interviews}


async def opened(s: PagesStack, fake: Fake, job: int, app: int) -> None:
    publish(fake, applications=[application(app, job)])
    async with httpx.AsyncClient(base_url=s.url, timeout=60) as http:
        r = await deliver(http, with_ids("new_candidate_application", job, app))
        assert r.json()["status"] == "processed", r.text
    await s.mail(f"candidacy-gh-{job}-app-{app}", "acknowledgement", timeout=60)


async def test_a_scored_interview_reaches_the_candidacy_with_only_the_mapped_lines(
    stack: tuple[PagesStack, Fake],
) -> None:
    s, fake = stack
    job, app, kit = 910001, 810001, 510001
    await opened(s, fake, job, app)
    publish_round(fake, 710001, app, job, kit, card=610001)
    publish_card(fake, scorecard(610001, app, kit))
    tokens_before = fake.token_requests
    await poll(s)
    rounds = await interviews_of(s, job, app)
    assert rounds["gh-si-710001"].feedback == LINES
    notes = "\n".join(rounds["gh-si-710001"].internal_notes)
    assert PRIVATE in notes and THOUGHTS in notes
    st = await s.client.status(f"gh-{job}", f"app-{app}")
    assert st.hours_invested == pytest.approx(0.75)
    # The scorecard was there: the interviewer is not asked for lines.
    assert s.mails(f"candidacy-gh-{job}-app-{app}", "feedback_reminder") == []
    await poll(s)  # read again: applied once
    again = await interviews_of(s, job, app)
    assert list(again) == ["gh-si-710001"] and again["gh-si-710001"].feedback == LINES
    # Harvest was read with a bearer token, taken once and kept for the second run.
    assert fake.token_requests - tokens_before <= 1
    assert "GET /v3/scorecard_question_answers" in fake.calls


async def test_each_message_delivered_to_the_candidate_is_noted_once_in_greenhouse(
    stack: tuple[PagesStack, Fake],
) -> None:
    """With activity notes on, the hiring team sees in Greenhouse what the candidate heard: one
    note per delivered message, on the candidate's feed (the application's candidate), naming
    the message and nothing of its content; an interviewer's reminder makes none."""
    s, fake = stack
    job, app, kit = 910005, 810005, 510005
    fake.harvest["applications"] = [a for a in fake.harvest["applications"] if a["id"] != app]
    publish(fake, applications=[{**application(app, job), "candidate_id": 3205}])
    async with httpx.AsyncClient(base_url=s.url, timeout=60) as http:
        r = await deliver(http, with_ids("new_candidate_application", job, app))
        assert r.json()["status"] == "processed", r.text
    wid = f"candidacy-gh-{job}-app-{app}"
    await s.mail(wid, "acknowledgement", timeout=60)

    def notes() -> list[dict[str, Any]]:
        return [n for n in fake.harvest["notes"] if n["application_id"] == app]

    await until(lambda: _true(len(notes()) == 1), timeout=60)
    note = notes()[0]
    assert note["candidate_id"] == 3205 and note["type"] == "NOTE"
    assert note["visibility"] == "publicly_visible"
    st = await s.client.status(f"gh-{job}", f"app-{app}")
    (sent,) = [m for m in st.messages if m.kind == "acknowledgement"]
    assert note["body"].startswith("heardback sent the candidate the acknowledgement message on")
    assert sent.message_id in note["body"] and "@" not in note["body"]  # ids, not addresses
    # A round without lines: the interviewer's reminder is delivered, and noted nowhere.
    publish_round(fake, 710005, app, job, kit, card=None, status="awaiting_feedback")
    await poll(s)
    await s.mail(wid, "feedback_reminder", timeout=60)

    async def reminder_recorded() -> bool:
        st = await s.client.status(f"gh-{job}", f"app-{app}")
        return any(m.kind == "feedback_reminder" and m.delivered_at for m in st.messages)

    await until(reminder_recorded, timeout=60)  # its delivery activity has finished
    st = await s.client.status(f"gh-{job}", f"app-{app}")
    (reminder,) = [m for m in st.messages if m.kind == "feedback_reminder"]
    with pytest.raises(RPCError, match="not found"):
        await s.client.temporal.get_workflow_handle(
            greenhouse_note.workflow_id(reminder.message_id)
        ).describe()
    assert len(notes()) == 1


async def _true(value: bool) -> bool:
    return value


async def test_a_scorecard_submitted_later_is_added_to_its_round_once(
    stack: tuple[PagesStack, Fake],
) -> None:
    s, fake = stack
    job, app, kit = 910002, 810002, 510002
    await opened(s, fake, job, app)
    publish_round(fake, 710002, app, job, kit, card=610002, status="awaiting_feedback")
    await poll(s)
    assert (await interviews_of(s, job, app))["gh-si-710002"].feedback == []
    # No scorecard yet: heardback asks the interviewer, as for any round without lines.
    await s.mail(f"candidacy-gh-{job}-app-{app}", "feedback_reminder", timeout=60)
    # Submitted now; the interview itself does not change (it is read through its panel row).
    fake.harvest["interviews"][-1]["updated_at"] = _stamp(datetime.now(UTC) - timedelta(days=2))
    publish_card(fake, scorecard(610002, app, kit))
    await poll(s)
    assert (await interviews_of(s, job, app))["gh-si-710002"].feedback == LINES
    await poll(s)
    assert (await interviews_of(s, job, app))["gh-si-710002"].feedback == LINES


async def test_a_round_heardback_refuses_is_counted_and_holds_up_no_other(
    stack: tuple[PagesStack, Fake],
) -> None:
    s, fake = stack
    job, first, second, kit = 910003, 810003, 810004, 510003
    await opened(s, fake, job, first)
    await opened(s, fake, job, second)
    publish_round(fake, 710003, first, job, kit, card=610003, status="awaiting_feedback")
    await poll(s)
    publish_card(fake, scorecard(610003, first, kit, lines=["Good."]))  # screening refuses it
    publish_round(fake, 710004, second, job, kit, card=610004)
    publish_card(fake, scorecard(610004, second, kit))
    done = await poll(s)
    assert done["refused"] == 1 and done["interviews_recorded"] == 1, done
    assert (await interviews_of(s, job, first))["gh-si-710003"].feedback == []
    assert (await interviews_of(s, job, second))["gh-si-710004"].feedback == LINES


def harvest_api(
    fake: Fake, *, secret: str = HARVEST_CLIENT_SECRET, user: str | None = None
) -> ProviderApi:
    auth = ClientCredentials(
        "Greenhouse Harvest", f"{fake.url}/token", HARVEST_CLIENT_ID, secret, user
    )
    return ProviderApi("Greenhouse Harvest", f"{fake.url}/v3", None, rate=1000, auth=auth)


async def test_harvest_v3_token_pages_and_refusals() -> None:
    """Against the local Harvest v3: a list read through its cursor pages (a cursor sent
    alone), the token fetched once and again after it is revoked, more than 50 ids split into
    calls of 50, and a wrong client secret a clear NotAllowed that names the credential."""
    async with fake_providers() as fake:
        fake.harvest_page = 2
        fake.harvest["scorecards"] = [
            {**harvest_docs("GET_v3_scorecards.json")[0], "id": i} for i in range(1, 121)
        ]
        good = harvest_api(fake, user="42")
        try:
            got = await good.get_list("scorecards", status="complete", per_page="500")
            assert [c["id"] for c in got] == list(range(1, 121))
            assert fake.token_requests == 1
            fake.tokens.clear()  # revoked: the next call is answered 401, a new token is taken
            by_ids = await harvest._by_ids(good, "scorecards", "ids", list(range(1, 121)))
            assert sorted(c["id"] for c in by_ids) == list(range(1, 121))
            assert fake.token_requests == 2
        finally:
            await good.close()
        bad = harvest_api(fake, secret="not-the-secret")
        try:
            with pytest.raises(NotAllowed, match="client id, the client secret"):
                await bad.get_list("scorecards")
        finally:
            await bad.close()


async def test_a_retried_note_is_not_written_twice() -> None:
    """The note's activity retried after Greenhouse took the note (its answer lost on the
    way) finds the note naming the message and writes no second one; an application gone from
    Greenhouse ends the note without an error."""
    from temporalio.testing import ActivityEnvironment

    from heardback.gateway.ats_worker import AtsActivities
    from heardback.workflows.greenhouse_note import GreenhouseNoteInput

    async with fake_providers() as fake:
        publish(fake, applications=[{**application(820001, 920001), "candidate_id": 77}])
        api = harvest_api(fake)
        acts = AtsActivities(lambda: None, None, None, apis={"harvest": api})  # type: ignore
        note = GreenhouseNoteInput(
            application_id=820001,
            message_id="candidacy-gh-920001-app-820001:acknowledgement",
            kind="acknowledgement",
            delivered_at=datetime.now(UTC),
        )
        try:
            first = await ActivityEnvironment().run(acts.greenhouse_note, note)
            assert first.outcome == "posted" and len(fake.harvest["notes"]) == 1
            retry_env = ActivityEnvironment()
            retry_env.info = replace(retry_env.info, attempt=2)
            again = await retry_env.run(acts.greenhouse_note, note)
            assert again.outcome == "already_there" and len(fake.harvest["notes"]) == 1
            gone = note.model_copy(update={"application_id": 820099, "message_id": "other"})
            assert (await ActivityEnvironment().run(acts.greenhouse_note, gone)).outcome == (
                "application_gone"
            )
            assert len(fake.harvest["notes"]) == 1
        finally:
            await api.close()


async def test_a_tenants_harvest_is_read_on_its_own_schedule_with_its_own_credential(
    devserver: tuple[WorkflowEnvironment, int], tmp_path: Path
) -> None:
    """With tenants, each company's Greenhouse credential has its own schedule
    (`heardback-harvest-poll-hvco`), reads with that credential, and records rounds on that
    company's candidacies (`candidacy-hvco.gh-...`); the operator's settings hold no credential,
    so only that tenant's Harvest is read. (A tenant id of its own: the dev server is shared
    with tests/test_tenants.py, whose tenant lists must not see these candidacies.)"""
    from heardback.gateway import greenhouse
    from heardback.gateway.ats_worker import harvest_tenants
    from heardback.workflows.harvest_poll import schedule_id

    secret = "hvco-greenhouse-secret-0123456789"
    async with fake_providers() as fake:
        (tmp_path / "tenants.toml").write_text(
            f"""
[tenants.hvco]
api_tokens = ["hvco-token-{"a" * 24}"]
company = "Acme"
contact_email = "jobs@acme.example"
policy = {{ quiet_hours = "off" }}
greenhouse_webhook_secrets = ["{secret}"]
greenhouse_client_id = "{HARVEST_CLIENT_ID}"
greenhouse_client_secret = "{HARVEST_CLIENT_SECRET}"
greenhouse_feedback_questions = "{QUESTION}"
""",
            encoding="utf-8",
        )
        async with pages_stack(
            devserver,
            tmp_path,
            tenants_file=tmp_path / "tenants.toml",
            greenhouse_token_url=f"{fake.url}/token",
            greenhouse_api_url=f"{fake.url}/v3",
            greenhouse_poll_interval=timedelta(hours=6),
            ats_task_queue=f"ats-harvest-{uuid.uuid4().hex[:8]}",
            ats_store_path=tmp_path / "ats.sqlite3",
            api_tokens=SecretStr("operator-token-" + "o" * 24),
        ) as s:
            tenant = s.client.temporal.get_schedule_handle(schedule_id("hvco"))
            await until(lambda: _exists(tenant), timeout=60)
            try:
                job, app, kit = 930001, 830001, 530001
                publish(fake, applications=[application(app, job)])
                body = json.dumps(with_ids("new_candidate_application", job, app)).encode()
                async with httpx.AsyncClient(base_url=s.url, timeout=60) as http:
                    r = await http.post(
                        "/v1/webhooks/greenhouse/hvco",
                        content=body,
                        headers={"Signature": greenhouse.sign(secret, body),
                                 "Content-Type": "application/json"},
                    )  # fmt: skip
                assert r.json()["workflow_id"] == f"candidacy-hvco.gh-{job}-app-{app}", r.text
                publish_round(fake, 730001, app, job, kit, card=630001)
                publish_card(fake, scorecard(630001, app, kit))
                done = await poll(s, schedule_id("hvco"))
                assert done["interviews_recorded"] == 1, done
                view = await s.client.page_view(f"candidacy-hvco.gh-{job}-app-{app}")
                assert view.interviews[0].feedback == LINES
                assert fake.token_requests >= 1  # read with the tenant's own credential
                assert harvest_tenants(s.settings) == ["hvco"]  # no global credential
            finally:
                await tenant.delete()
