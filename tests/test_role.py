"""The Role workflow: closing, pausing and advancing cohorts tells everyone still waiting."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from heardback.starter.client import HeardbackClient
from heardback.workflows import contract, errors, role_policy
from heardback.workflows.errors import Refused
from heardback.workflows.models import (
    FINAL_KINDS,
    AdvanceCohort,
    CandidacyChanged,
    Candidate,
    CloseRole,
    PendingFanOut,
    Policy,
    Role,
    RoleInput,
    RoleState,
    RoleSummary,
)
from tests.conftest import Harness, body_of, candidacy_input

ROLE = {
    "id": "r-9",
    "title": "Platform Engineer",
    "company": "Initech",
    "contact_email": "jobs@initech.example",
}


async def start_role(harness: Harness, role_id: str, **policy: str) -> WorkflowHandle[Any, Any]:
    handle = await harness.client.start_workflow(
        contract.ROLE_WORKFLOW,
        {
            "role": {**ROLE, "id": role_id},
            "stages": ["application", "screen", "onsite"],
            # Erasures far beyond anything the shared test clock skips (see conftest).
            # Quiet hours off: a test must not depend on the hour it runs at.
            "policy": {"retention": "P3650D", "quiet_hours": None, **policy},
        },
        id=contract.role_workflow_id(role_id),
        task_queue=harness.settings.task_queue,
    )
    return harness.track(handle)


async def add(
    harness: Harness, role: WorkflowHandle[Any, Any], cid: str
) -> WorkflowHandle[Any, Any]:
    wf_id = await role.execute_update(
        contract.UPDATE_ADD_CANDIDATE,
        {"candidate": {"id": cid, "name": f"Person {cid}", "email": f"{cid}@example.org"}},
        result_type=str,
    )
    return harness.track(harness.client.get_workflow_handle(wf_id))


async def summary(role: WorkflowHandle[Any, Any]) -> RoleSummary:
    result: RoleSummary = await role.query(contract.QUERY_SUMMARY, result_type=RoleSummary)
    return result


async def until_summary(
    role: WorkflowHandle[Any, Any], check: Any, timeout: float = 20
) -> RoleSummary:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        s = await summary(role)
        if check(s):
            return s
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"role summary never matched: {s.model_dump_json()}")
        await asyncio.sleep(0.05)


async def final_kinds(harness: Harness, h: WorkflowHandle[Any, Any]) -> list[str]:
    st = await harness.until(h, lambda s: s.state == "completed")
    return [m.kind for m in st.messages if m.recipient == "candidate" and m.kind in FINAL_KINDS]


async def refused(role: WorkflowHandle[Any, Any], name: str, payload: Any) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await role.execute_update(name, payload)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def test_adding_a_candidate_starts_one_candidacy_however_often_it_is_added(
    harness: Harness,
) -> None:
    role = await start_role(harness, "r-add")
    first = await add(harness, role, "c-1")
    second = await add(harness, role, "c-1")
    assert first.id == second.id == "candidacy-r-add-c-1"
    await harness.delivered(first, 1)
    assert harness.kinds() == ["acknowledgement"]
    s = await until_summary(role, lambda s: s.by_state == {"active": 1})
    assert s.by_stage == {"application": 1}
    assert s.messages_owed == 1


async def test_a_candidacy_started_directly_is_known_to_its_role(harness: Harness) -> None:
    role = await start_role(harness, "r-direct")
    inp = candidacy_input(role={**ROLE, "id": "r-direct"}, candidate={"id": "c-7"})
    h = await harness.start_with_client(inp)
    await until_summary(role, lambda s: s.by_state == {"active": 1})
    await role.execute_update(contract.UPDATE_CLOSE, {"reason": "cancelled"})
    assert await final_kinds(harness, h) == ["role_closed"]


async def test_a_candidacy_learns_from_temporal_whether_its_role_has_a_workflow(
    harness: Harness,
) -> None:
    """Nobody tells a candidacy whether its role has a workflow: it reports to `role-{id}`, and
    where none runs the signal fails once and the candidacy stops reporting."""
    client = HeardbackClient(harness.client, task_queue=harness.settings.task_queue)
    role = await start_role(harness, "r-client")
    with_role = candidacy_input(role={**ROLE, "id": "r-client"}, candidate={"id": "c-1"})
    alone = candidacy_input(role={**ROLE, "id": "r-no-workflow"}, candidate={"id": "c-2"})
    h1 = harness.track(harness.client.get_workflow_handle(await client.start_candidacy(with_role)))
    h2 = harness.track(harness.client.get_workflow_handle(await client.start_candidacy(alone)))
    await until_summary(role, lambda s: s.by_state == {"active": 1})
    for h in (h1, h2):
        await h.execute_update(contract.UPDATE_DECIDE, {"outcome": "offer"})
        await h.execute_update(contract.UPDATE_OFFER, {"event": "accepted"})
        await harness.until(h, lambda s: s.state == "completed")
    await until_summary(role, lambda s: s.finished_by_outcome == {"offer": 1})

    def signals_out(history: Any) -> int:
        return sum(
            e.event_type == EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED
            for e in history.events
        )

    # The role hears of each change; where there is no Role workflow one attempt, then none.
    assert signals_out(await h1.fetch_history()) >= 2
    assert signals_out(await h2.fetch_history()) == 1


async def test_a_role_opened_later_hears_of_candidacies_started_after_it(
    harness: Harness,
) -> None:
    """A candidacy started before its role had a workflow found none and stopped reporting;
    one started after the role opened reports at once."""
    client = HeardbackClient(harness.client, task_queue=harness.settings.task_queue)
    before = candidacy_input(role={**ROLE, "id": "r-later"}, candidate={"id": "c-1"})
    after = candidacy_input(role={**ROLE, "id": "r-later"}, candidate={"id": "c-2"})
    early = harness.track(harness.client.get_workflow_handle(await client.start_candidacy(before)))

    async def found_no_role() -> bool:
        history = await early.fetch_history()
        failed = EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED
        return any(e.event_type == failed for e in history.events)

    for _ in range(200):  # its first report has found no Role workflow
        if await found_no_role():
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the first candidacy never tried to report to its role")
    role_id = await client.open_role(
        RoleInput.model_validate(
            {
                "role": {**ROLE, "id": "r-later"},
                "policy": {"retention": "P3650D", "quiet_hours": None},
            }
        )
    )
    role = harness.track(harness.client.get_workflow_handle(role_id))
    harness.track(harness.client.get_workflow_handle(await client.start_candidacy(after)))
    s = await until_summary(role, lambda s: sum(s.by_state.values()) >= 1)
    assert s.by_state == {"active": 1}  # c-2 reports; c-1 started before the role existed


async def test_filling_the_role_tells_everyone_waiting_except_the_offer_holder(
    harness: Harness,
) -> None:
    role = await start_role(harness, "r-fill")
    people = [await add(harness, role, f"c-{i}") for i in range(4)]
    await people[0].signal(
        contract.SIGNAL_INTERVIEW_COMPLETED,
        {
            "interview_id": "i-1",
            "stage": "screen",
            "interviewer_email": "x@initech.example",
            "duration": "PT45M",
            "feedback": ["You asked sharp questions about our on-call."],
        },
    )
    await harness.until(people[0], lambda s: len(s.interviews) == 1)
    await people[3].execute_update(contract.UPDATE_DECIDE, {"outcome": "offer"})
    await people[3].execute_update(contract.UPDATE_OFFER, {"event": "accepted"})
    await until_summary(role, lambda s: s.by_state.get("active") == 3)

    result = await role.execute_update(
        contract.UPDATE_CLOSE, {"reason": "filled", "note": "We hired internally."}
    )
    assert result["affected"] == 3
    for h in people[:3]:
        assert await final_kinds(harness, h) == ["role_closed"]
    assert await final_kinds(harness, people[3]) == ["offer"]
    closed = [m for m in harness.messages("role_closed") if m["To"] == "c-0@example.org"]
    body = body_of(closed[0])
    assert "has been filled" in body
    assert "You asked sharp questions about our on-call." in body
    assert "We hired internally." in body

    s = await until_summary(role, lambda s: s.messages_owed == 0)
    assert s.status == "closed"
    assert s.finished_by_outcome == {"offer": 1, "role_closed": 3}
    err = await refused(
        role,
        contract.UPDATE_ADD_CANDIDATE,
        {"candidate": {"id": "c-9", "name": "Late Larry", "email": "l@example.org"}},
    )
    assert "closed (filled)" in err.message
    again = await role.execute_update(contract.UPDATE_CLOSE, {"reason": "filled"})
    assert again["affected"] == 0  # closing twice is harmless


async def test_advancing_a_cohort_moves_the_named_and_rejects_the_rest_with_feedback(
    harness: Harness,
) -> None:
    role = await start_role(harness, "r-cohort")
    people = {cid: await add(harness, role, cid) for cid in ("c-1", "c-2", "c-3", "c-4")}
    await until_summary(role, lambda s: s.by_stage == {"application": 4})
    result = await role.execute_update(
        contract.UPDATE_ADVANCE_COHORT,
        {
            "stage": "application",
            "advanced": ["c-1", "c-2"],
            "others": "reject",
            "feedback": ["We had many strong applications this round."],
        },
    )
    assert sorted(result["advanced"]) == ["c-1", "c-2"]
    assert sorted(result["rejected"]) == ["c-3", "c-4"]
    assert result["refused"] == []
    for cid in ("c-1", "c-2"):
        st = await harness.until(people[cid], lambda s: s.stage == "screen")
        assert st.state == "active"
    for cid in ("c-3", "c-4"):
        assert await final_kinds(harness, people[cid]) == ["rejection"]
    rejection = harness.messages("rejection")[0]
    assert "We had many strong applications this round." in body_of(rejection)
    s = await until_summary(role, lambda s: s.by_stage == {"screen": 2})
    assert s.finished_by_outcome == {"rejected": 2}


async def test_a_cohort_can_hold_the_others_with_an_explained_date(harness: Harness) -> None:
    role = await start_role(harness, "r-hold")
    a = await add(harness, role, "c-1")
    b = await add(harness, role, "c-2")
    await until_summary(role, lambda s: s.by_state == {"active": 2})
    result = await role.execute_update(
        contract.UPDATE_ADVANCE_COHORT,
        {"stage": "application", "advanced": ["c-1"], "others": "hold"},
    )
    assert result["held"] == ["c-2"]
    st = await harness.until(
        b, lambda s: s.state == "on_hold" and all(m.status == "delivered" for m in s.messages)
    )
    assert st.hold_until is not None
    assert [m.kind for m in st.messages] == ["acknowledgement", "delay_explanation"]
    assert (await harness.status(a)).stage == "screen"


async def test_an_unknown_stage_or_candidate_is_refused_before_anything_happens(
    harness: Harness,
) -> None:
    role = await start_role(harness, "r-bad")
    await add(harness, role, "c-1")
    await until_summary(role, lambda s: s.by_state == {"active": 1})
    err = await refused(
        role, contract.UPDATE_ADVANCE_COHORT, {"stage": "final", "advanced": [], "others": "reject"}
    )
    assert "unknown stage 'final'" in err.message
    err = await refused(
        role,
        contract.UPDATE_ADVANCE_COHORT,
        {"stage": "application", "advanced": ["c-404"], "others": "reject"},
    )
    assert "c-404" in err.message
    err = await refused(
        role,
        contract.UPDATE_ADVANCE_COHORT,
        {"stage": "onsite", "advanced": [], "others": "reject"},
    )
    assert "last stage" in err.message
    err = await refused(
        role, contract.UPDATE_ADVANCE_COHORT, {"stage": "application", "others": "maybe"}
    )
    assert err.type == errors.ERR_INVALID_PAYLOAD


async def test_pausing_explains_the_wait_with_a_date_and_stops_the_decision_clock(
    harness: Harness,
) -> None:
    role = await start_role(
        harness, "r-pause", decision_due="P3D", max_silence="P30D", staff_days="calendar"
    )
    h = await add(harness, role, "c-1")
    st = await harness.delivered(h, 1)
    until = st.messages[0].queued_at + timedelta(days=10)
    result = await role.execute_update(
        contract.UPDATE_PAUSE, {"until": until.isoformat(), "reason": "budget review"}
    )
    assert result == {"status": "paused", "affected": 1}
    st = await harness.delivered(h, 2)
    [pause_msg] = harness.messages("delay_explanation")
    assert "paused hiring" in body_of(pause_msg)
    assert f"{until:%B} {until.day}, {until.year}" in body_of(pause_msg)
    await harness.sleep(timedelta(days=5), h)
    assert harness.messages("escalation") == []  # no decision was due during the pause
    await role.execute_update(contract.UPDATE_RESUME, {})
    s = await until_summary(role, lambda s: s.status == "open" and s.fan_out_remaining == 0)
    assert s.paused_until is None
    await harness.sleep(timedelta(days=3, hours=1), h)
    assert len(harness.messages("escalation")) == 1  # the clock restarted at the resume


async def test_decisions_and_withdrawals_racing_a_close_still_give_one_final_message_each(
    harness: Harness,
) -> None:
    role = await start_role(harness, "r-race")
    people = [await add(harness, role, f"c-{i:02d}") for i in range(12)]
    await until_summary(role, lambda s: s.by_state.get("active") == 12)

    async def decide(h: WorkflowHandle[Any, Any], payload: dict[str, Any]) -> None:
        # Refused when the close got there first: that is the point.
        with contextlib.suppress(WorkflowUpdateFailedError):
            await h.execute_update(contract.UPDATE_DECIDE, payload)

    async def withdraw(h: WorkflowHandle[Any, Any]) -> None:
        with contextlib.suppress(WorkflowUpdateFailedError):
            await h.execute_update(contract.UPDATE_WITHDRAW, {})

    await asyncio.gather(
        role.execute_update(contract.UPDATE_CLOSE, {"reason": "cancelled"}),
        *(
            decide(
                h,
                {
                    "outcome": "reject",
                    "feedback": ["We will not move forward with your application this time."],
                },
            )
            for h in people[:4]
        ),
        *(decide(h, {"outcome": "offer"}) for h in people[4:6]),
        *(withdraw(h) for h in people[6:8]),
    )
    for h in people[4:6]:  # an offer that got there first is settled (no-op if it did not)
        with contextlib.suppress(WorkflowUpdateFailedError):
            await h.execute_update(contract.UPDATE_OFFER, {"event": "accepted"})
    for h in people:
        kinds = await final_kinds(harness, h)
        assert len(kinds) == 1, (h.id, kinds)
    delivered = [
        m["X-Heardback-Candidacy"]
        for m in harness.messages()
        if m["X-Heardback-Kind"] in FINAL_KINDS
    ]
    assert sorted(delivered) == sorted(h.id for h in people)


async def test_an_offer_made_during_a_cohort_advance_is_not_overridden(harness: Harness) -> None:
    role = await start_role(harness, "r-offer")
    people = {cid: await add(harness, role, cid) for cid in ("c-1", "c-2", "c-3")}
    await until_summary(role, lambda s: s.by_state.get("active") == 3)
    await people["c-3"].execute_update(contract.UPDATE_DECIDE, {"outcome": "offer"})
    await people["c-3"].execute_update(contract.UPDATE_OFFER, {"event": "accepted"})
    result = await role.execute_update(
        contract.UPDATE_ADVANCE_COHORT,
        {
            "stage": "application",
            "advanced": ["c-1"],
            "others": "reject",
            "feedback": ["We had many strong applications for this role."],
        },
    )
    assert result["advanced"] == ["c-1"]
    assert result["rejected"] == ["c-2"]
    assert await final_kinds(harness, people["c-3"]) == ["offer"]
    assert await final_kinds(harness, people["c-2"]) == ["rejection"]


# --- cohort rules, property-tested --------------------------------------------------------------

STATES = ["active", "on_hold", "finishing"]
STAGES = ["application", "screen", "onsite"]


@settings(max_examples=200, deadline=None)
@given(
    registry=st.dictionaries(
        st.sampled_from([f"c-{i}" for i in range(12)]),
        st.tuples(st.sampled_from(STATES), st.sampled_from(STAGES)),
        max_size=12,
    ),
    named=st.lists(st.sampled_from([f"c-{i}" for i in range(12)]), max_size=6),
    stage=st.sampled_from(STAGES[:2]),
)
def test_cohort_rules_partition_exactly_the_candidates_waiting_at_the_stage(
    registry: dict[str, tuple[str, str]], named: list[str], stage: str
) -> None:
    rs = RoleState(role=Role(**ROLE), stages=STAGES, policy=Policy())
    counts = role_policy.Counts(rs)
    for cid, (state, stg) in registry.items():
        role_policy.record_change(
            rs,
            CandidacyChanged.model_validate({"candidate_id": cid, "state": state, "stage": stg}),
            counts,
        )
    cmd = AdvanceCohort(stage=stage, advanced=named, others="reject")
    advance, others, not_here = role_policy.cohort_plan(rs, cmd)
    waiting = {c for c, (s, g) in registry.items() if s in ("active", "on_hold") and g == stage}
    # Everyone waiting at the stage gets exactly one command; nobody else gets any.
    assert set(advance) | set(others) == waiting
    assert not set(advance) & set(others)
    assert len(advance) == len(set(advance))
    # Only named candidates advance; named ones not waiting there are reported, not touched.
    assert set(advance) <= set(named)
    assert set(not_here) == set(named) - waiting
    # Decided candidates (an offer or rejection on its way) are never part of a cohort command.
    assert all(registry[c][0] != "finishing" for c in advance + others)


def test_finished_candidacies_leave_the_registry_and_are_counted() -> None:
    rs = RoleState(role=Role(**ROLE), stages=STAGES, policy=Policy())
    counts = role_policy.Counts(rs)
    role_policy.record_change(
        rs, CandidacyChanged(candidate_id="c-1", state="active", stage="application"), counts
    )
    role_policy.record_change(
        rs,
        CandidacyChanged(
            candidate_id="c-1", state="completed", stage="application", outcome="offer"
        ),
        counts,
    )
    assert rs.candidacies == {}
    assert rs.finished == {"offer": 1}
    assert role_policy.summary(rs, counts).by_state == {}


@settings(max_examples=200, deadline=None)
@given(
    changes=st.lists(
        st.tuples(
            st.sampled_from([f"c-{i}" for i in range(8)]),
            st.sampled_from([*STATES, "completed", "refused"]),
            st.sampled_from(STAGES),
        ),
        max_size=40,
    ),
    batches=st.lists(st.integers(min_value=0, max_value=5), max_size=6),
)
def test_the_roles_running_counts_always_equal_a_recount(
    changes: list[tuple[str, str, str]], batches: list[int]
) -> None:
    """The Role keeps its counts per event (so a large role stays responsive); whatever the
    order of reports and fan-out batches, its summary equals one counted from scratch."""
    rs = RoleState(role=Role(**ROLE), stages=STAGES, policy=Policy())
    counts = role_policy.Counts(rs)
    for n, (cid, state, stage) in enumerate(changes):
        role_policy.record_change(
            rs,
            CandidacyChanged.model_validate(
                {"candidate_id": cid, "state": state, "stage": stage,
                 "outcome": "rejected" if state == "completed" else None}
            ),
            counts,
        )  # fmt: skip
        if n % 7 == 3:  # a role-wide command queued for whoever is open now
            ids = role_policy.open_ids(rs)
            rs.jobs.append(
                PendingFanOut(
                    job_id=str(n), update="role_closed",
                    command=CloseRole(reason="filled"), remaining=ids,
                )
            )  # fmt: skip
            counts.queued(ids)
        for size in batches[n % max(len(batches), 1) :][:1]:  # a batch of the oldest job sent
            if rs.jobs:
                sent = rs.jobs[0].remaining[:size]
                del rs.jobs[0].remaining[:size]
                counts.sent(sent)
                if not rs.jobs[0].remaining:
                    rs.jobs.pop(0)
    assert role_policy.summary(rs, counts) == role_policy.summary(rs, role_policy.Counts(rs))
    assert counts.open == sum(1 for e in rs.candidacies.values() if e.state in role_policy.OPEN)


def test_pause_until_must_be_timezone_aware() -> None:
    from heardback.workflows.models import PauseRole

    with pytest.raises(ValueError, match="timezone"):
        PauseRole(until=datetime(2026, 12, 1))
    assert PauseRole(until=datetime(2026, 12, 1, tzinfo=UTC)).until.tzinfo is not None


async def test_many_candidates_are_added_at_once_each_heard_once_and_known_to_the_role(
    harness: Harness,
) -> None:
    """The batch path (an ATS backfill): one answer per candidate, a candidacy each, one
    acknowledgement each however often the batch is sent, and the Role counting every one."""
    client = HeardbackClient(harness.client, task_queue=harness.settings.task_queue)
    role = await start_role(harness, "r-batch")
    people = [
        Candidate(id=f"c-{n}", name=f"Person {n}", email=f"p{n}@example.org") for n in range(25)
    ]
    first = await client.add_candidates("r-batch", people, concurrency=8)
    again = await client.add_candidates("r-batch", people[:10])
    assert [a.candidate_id for a in first] == [p.id for p in people]
    assert all(a.workflow_id and not a.refused for a in first + again)
    assert [a.workflow_id for a in again] == [a.workflow_id for a in first[:10]]
    handles = [harness.track(harness.client.get_workflow_handle(str(a.workflow_id))) for a in first]
    for h in handles:
        await harness.delivered(h, 1)
    assert harness.kinds().count("acknowledgement") == 25
    await until_summary(role, lambda s: s.by_state == {"active": 25})
    # Closed: the batch is refused as a whole, and nobody new is started.
    await role.execute_update(contract.UPDATE_CLOSE, {"reason": "cancelled"})
    with pytest.raises(Refused, match="closed"):
        await client.add_candidates("r-batch", [Candidate(id="c-late", name="L", email="l@x.org")])
    for h in handles:
        assert await final_kinds(harness, h) == ["role_closed"]
