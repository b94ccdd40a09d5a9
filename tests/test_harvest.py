"""Greenhouse interviews and scorecards, read from the Harvest API on a Temporal schedule.

Greenhouse sends no webhook for an interview or a scorecard. The gateway's worker runs the
`HarvestPoll` schedule; its activity reads Harvest (a local server answering with Greenhouse's
documented examples, ids changed) and records the rounds on the candidacies a Greenhouse
application webhook opened. Only the answer to the question the tenant maps reaches the
candidate; the rest of a scorecard stays internal."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import ScheduleActionExecutionStartWorkflow
from temporalio.testing import WorkflowEnvironment

from heardback.gateway import harvest
from heardback.workflows.harvest_poll import SCHEDULE_ID
from tests.fake_providers import FIXTURES, KEY, Fake, fake_providers, harvest_docs
from tests.pages_stack import PagesStack, pages_stack
from tests.test_greenhouse import SECRET, TOKEN, deliver, until, with_ids

QUESTION = "Feedback for the candidate"
LINES = [
    "You broke the scheduling problem into clear steps and tested each one.",
    "Naming the trade-offs of your cache design earlier would have made it stronger.",
]
PRIVATE = "Not sure about the salary expectations; check with the recruiter."


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def interview(si_id: int, app: int, scorecard: int, *, status: str = "complete") -> dict[str, Any]:
    """Greenhouse's documented scheduled interview, for one application of ours, just held."""
    si = copy.deepcopy(harvest_docs("GET_v1_scheduled_interviews.json")[0])
    now = datetime.now(UTC)
    si.update(id=si_id, application_id=app, status=status, updated_at=_stamp(now))
    si["start"] = {"date_time": _stamp(now - timedelta(hours=2))}
    si["end"] = {"date_time": _stamp(now - timedelta(hours=1, minutes=15))}
    si["interviewers"][0]["scorecard_id"] = scorecard
    return si


def scorecard(card_id: int, app: int) -> dict[str, Any]:
    """Greenhouse's documented scorecard, with the tenant's candidate-facing question answered."""
    card = copy.deepcopy(harvest_docs("GET_v1_scorecards.json")[0])
    card.update(id=card_id, application_id=app, updated_at=_stamp(datetime.now(UTC)))
    card["questions"] = [
        {"id": 1, "question": QUESTION, "answer": "\n".join(LINES)},
        {"id": None, "question": "Private Notes", "answer": PRIVATE},
        *card["questions"][2:],
    ]
    return card


def application(app: int, job: int) -> dict[str, Any]:
    doc = copy.deepcopy(harvest_docs_one("GET_v1_applications_id.json"))
    doc["id"] = app
    doc["jobs"] = [{"id": job, "name": "UX Designer - Boston"}]
    return doc


def harvest_docs_one(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "greenhouse" / "api" / name).read_text())
    return data


def test_only_the_mapped_question_reaches_the_candidate() -> None:
    card = scorecard(1, 2)
    lines, notes = harvest.feedback_of(card, harvest.questions_of(f"{QUESTION}, Other"))
    assert lines == LINES
    assert notes is not None and PRIVATE in notes and "Overall recommendation: yes" in notes
    assert all(PRIVATE not in line for line in lines)
    # Nothing mapped: nothing for the candidate (the interviewer is then asked for lines).
    assert harvest.feedback_of(card, harvest.questions_of("Unused question"))[0] == []


def test_a_round_is_an_interview_that_took_place_on_an_application_we_know() -> None:
    apps = {7: application(7, 70)}
    held = interview(1, 7, 11)
    planned = interview(2, 7, 12, status="scheduled")
    stranger = interview(3, 8, 13)
    found = harvest.rounds(
        [held, planned, stranger], {11: scorecard(11, 7)}, apps, {QUESTION.casefold()}
    )
    assert [(r.role_id, r.candidate_id, r.interview_id) for r in found] == [
        ("gh-70", "app-7", "gh-si-1")
    ]
    assert found[0].duration == timedelta(minutes=45)
    assert found[0].interviewer_email == "kate.austen@example.com"
    assert found[0].stage == "Application Review"  # the application's current stage


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
            greenhouse_api_key=SecretStr(KEY),
            greenhouse_api_url=f"{fake.url}/v1",
            greenhouse_poll_interval=timedelta(hours=6),  # runs when the test triggers it
            greenhouse_feedback_questions=QUESTION,
            ats_task_queue=f"ats-harvest-{uuid.uuid4().hex[:8]}",
            ats_store_path=tmp / "ats.sqlite3",
            api_tokens=SecretStr(TOKEN),
            default_company="Acme",
            default_contact_email="jobs@acme.example",
            default_policy={"quiet_hours": None},
        ) as s,
    ):
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


async def poll(s: PagesStack) -> dict[str, Any]:
    """Run the schedule's action now, and wait for that run to finish."""
    schedule = s.client.temporal.get_schedule_handle(SCHEDULE_ID)
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


async def opened(s: PagesStack, job: int, app: int) -> None:
    async with httpx.AsyncClient(base_url=s.url, timeout=60) as http:
        r = await deliver(http, with_ids("new_candidate_application", job, app))
        assert r.json()["status"] == "processed", r.text
    await s.mail(f"candidacy-gh-{job}-app-{app}", "acknowledgement", timeout=60)


async def test_a_scored_interview_reaches_the_candidacy_with_only_the_mapped_lines(
    stack: tuple[PagesStack, Fake],
) -> None:
    s, fake = stack
    job, app = 910001, 810001
    await opened(s, job, app)
    fake.applications[app] = application(app, job)
    fake.scheduled_interviews.append(interview(710001, app, 610001))
    fake.scorecards.append(scorecard(610001, app))
    await poll(s)
    rounds = await interviews_of(s, job, app)
    assert rounds["gh-si-710001"].feedback == LINES
    assert any(PRIVATE in note for note in rounds["gh-si-710001"].internal_notes)
    st = await s.client.status(f"gh-{job}", f"app-{app}")
    assert st.hours_invested == pytest.approx(0.75)
    # The scorecard was there: the interviewer is not asked for lines.
    assert s.mails(f"candidacy-gh-{job}-app-{app}", "feedback_reminder") == []
    await poll(s)  # read again: applied once
    again = await interviews_of(s, job, app)
    assert list(again) == ["gh-si-710001"] and again["gh-si-710001"].feedback == LINES


async def test_a_scorecard_submitted_later_is_added_to_its_round_once(
    stack: tuple[PagesStack, Fake],
) -> None:
    s, fake = stack
    job, app = 910002, 810002
    await opened(s, job, app)
    fake.applications[app] = application(app, job)
    fake.scheduled_interviews.append(interview(710002, app, 610002, status="awaiting_feedback"))
    await poll(s)
    assert (await interviews_of(s, job, app))["gh-si-710002"].feedback == []
    # No scorecard yet: heardback asks the interviewer, as for any round without lines.
    await s.mail(f"candidacy-gh-{job}-app-{app}", "feedback_reminder", timeout=60)
    fake.scorecards.append(scorecard(610002, app))  # submitted now
    await poll(s)
    assert (await interviews_of(s, job, app))["gh-si-710002"].feedback == LINES
    await poll(s)
    assert (await interviews_of(s, job, app))["gh-si-710002"].feedback == LINES


async def test_harvest_lists_are_read_page_by_page_through_their_link_header() -> None:
    from heardback.gateway.provider_api import ProviderApi

    pages = {
        "1": (
            [{"id": 1}, {"id": 2}],
            '<https://harvest.example/v1/scorecards?page=2&per_page=2>; rel="next"',
        ),
        "2": ([{"id": 3}], None),
    }

    def answer(request: httpx.Request) -> httpx.Response:
        body, link = pages[request.url.params.get("page", "1")]
        return httpx.Response(200, json=body, headers={"Link": link} if link else {})

    api = ProviderApi(
        "Greenhouse Harvest",
        "https://harvest.example/v1",
        KEY,
        rate=100,
        transport=httpx.MockTransport(answer),
    )
    try:
        got = await api.get_list("scorecards", per_page="2")
    finally:
        await api.close()
    assert [c["id"] for c in got] == [1, 2, 3]


async def test_a_round_heardback_refuses_is_counted_and_holds_up_no_other(
    stack: tuple[PagesStack, Fake],
) -> None:
    s, fake = stack
    job, first, second = 910003, 810003, 810004
    await opened(s, job, first)
    await opened(s, job, second)
    fake.applications[first] = application(first, job)
    fake.applications[second] = application(second, job)
    fake.scheduled_interviews.append(interview(710003, first, 610003, status="awaiting_feedback"))
    await poll(s)
    terse = scorecard(610003, first)
    terse["questions"][0]["answer"] = "Good."  # screening refuses a line this short
    fake.scorecards.append(terse)
    fake.scheduled_interviews.append(interview(710004, second, 610004))
    fake.scorecards.append(scorecard(610004, second))
    done = await poll(s)
    assert done["refused"] == 1 and done["interviews_recorded"] == 1, done
    assert (await interviews_of(s, job, first))["gh-si-710003"].feedback == []
    assert (await interviews_of(s, job, second))["gh-si-710004"].feedback == LINES
