"""Lever, as Lever documents it: the signature inside the body (HMAC of token + triggeredAt), a
freshness window, a replay acting once, every documented event answered 2xx, and the ids Lever
sends turned into a candidacy by reading Lever's API (served from its documented responses)
in the gateway's AtsEvent workflow, through the real gateway and dev server."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from heardback.gateway import lever
from heardback.gateway.provider_api import Gone, NotAllowed, ProviderApi, TryLater
from tests.conftest import body_of
from tests.fake_providers import KEY, Fake, fake_providers
from tests.pages_stack import PagesStack, event_outcome, pages_stack

FIXTURES = Path(__file__).parent / "fixtures" / "ats" / "lever"
NEW, OLD = "lever-signing-token-new-000000000000", "lever-signing-token-old-000000000000"
TOKEN = "ops-token-" + "l" * 24


def delivery(event: str, *, secret: str = NEW, at: datetime | None = None) -> dict[str, Any]:
    """Lever's documented example delivery, for `event`, signed as Lever signs."""
    body: dict[str, Any] = json.loads((FIXTURES / "candidateStageChange.json").read_text())
    body["event"] = event
    body["token"] = uuid.uuid4().hex + uuid.uuid4().hex[:16]  # 48 random characters
    body["triggeredAt"] = int((at or datetime.now(UTC)).timestamp() * 1000)
    body["signature"] = lever.sign(secret, body["token"], body["triggeredAt"])
    return body


def test_the_documented_example_verifies_under_its_scheme() -> None:
    body = delivery("candidateStageChange", secret=OLD)
    raw = json.dumps(body).encode()
    assert (
        lever.verify([NEW, OLD], raw, max_age=timedelta(days=1))["event"] == "candidateStageChange"
    )
    with pytest.raises(lever.Refused, match="signature"):
        lever.verify([NEW], raw, max_age=timedelta(days=1))  # the old token removed
    stale = json.dumps(delivery("candidateHired", at=datetime.now(UTC) - timedelta(days=2)))
    with pytest.raises(lever.Refused, match="older"):
        lever.verify([NEW], stale.encode(), max_age=timedelta(days=1))
    # Lever's settings-page test request (empty data, an unverifiable signature): refused.
    test_request = (FIXTURES / "candidateHired.test_request.json").read_bytes()
    with pytest.raises(lever.Refused):
        lever.verify([NEW], test_request, max_age=timedelta(days=1))


@pytest.fixture(scope="module")
async def stack(
    devserver: tuple[WorkflowEnvironment, int], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[PagesStack, Fake]]:
    tmp = tmp_path_factory.mktemp("lever")
    async with (
        fake_providers() as fake,
        pages_stack(
            devserver,
            tmp,
            lever_webhook_secrets=SecretStr(f"{NEW},{OLD}"),
            lever_api_key=SecretStr(KEY),
            lever_api_url=f"{fake.url}/v1",
            ats_task_queue=f"ats-lever-{uuid.uuid4().hex[:8]}",
            ats_store_path=tmp / "ats.sqlite3",
            api_tokens=SecretStr(TOKEN),
            default_company="Example Corp",
            default_contact_email="hiring@example.com",
            default_policy={"quiet_hours": None},
        ) as s,
    ):
        yield s, fake


async def post(http: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await http.post("/v1/webhooks/lever", content=json.dumps(body).encode())


def for_opportunity(event: str, opp: str, **data: Any) -> dict[str, Any]:
    body = delivery(event)
    body["data"].update(opportunityId=opp, **data)
    body["signature"] = lever.sign(NEW, body["token"], body["triggeredAt"])
    return body


async def outcome(http: httpx.AsyncClient, key: str) -> dict[str, Any]:
    return await event_outcome(http, key, TOKEN)


async def test_every_documented_event_is_answered_and_none_is_lost(
    stack: tuple[PagesStack, Fake],
) -> None:
    s, _ = stack
    async with httpx.AsyncClient(base_url=s.url, timeout=30) as http:
        for name, (handling, _why) in lever.EVENTS.items():
            r = await post(http, delivery(name))
            assert r.status_code == 200, (name, r.text)
            assert r.json()["status"] == ("accepted" if handling == "fetch" else "ignored")
            done = await outcome(http, r.json()["event"])
            # Each is answered deliberately: acted on, refused with a reason, or not relevant.
            assert done["status"] in ("processed", "ignored", "refused"), done
            assert done["reason"] or done["status"] == "processed"


def contactable_opportunity(fake: Fake) -> str:
    """A new opportunity Lever's API answers for: contact allowed, at the stage New applicant
    (and Lever's stage Onsite known)."""
    opp = f"opp{uuid.uuid4().hex[:10]}"
    fake.opportunities[opp] = {
        "dataProtection": {"contact": {"allowed": True, "expiresAt": None}},
        "stage": "stage-new",
        "archived": None,
    }
    fake.stages.update({"stage-new": "New applicant", "stage-onsite": "Onsite"})
    return opp


async def test_an_application_is_read_from_levers_api_and_the_candidate_hears(
    stack: tuple[PagesStack, Fake],
) -> None:
    s, fake = stack
    opp = contactable_opportunity(fake)
    fake.throttle = 2  # Lever's rate limit answers first: retried after Retry-After
    wf = "candidacy-lv-6a1e4b79-75a3-454f-9417-ea79612b9585-opp-" + opp
    async with httpx.AsyncClient(base_url=s.url, timeout=30) as http:
        r = await post(http, for_opportunity("applicationCreated", opp))
        assert r.json()["status"] == "accepted", r.text
        assert (await outcome(http, r.json()["event"]))["status"] == "processed"
        ack = await s.mail(wf, "acknowledgement", timeout=60)
        # The name and the address Lever's API gives (the webhook has neither).
        assert ack["To"].addresses[0].addr_spec == "shane@exampleq3.com"
        assert "Shane" in body_of(ack)
        assert "Infrastructure Engineer" in ack["Subject"]
        moved = for_opportunity("candidateStageChange", opp, toStageId="stage-onsite")
        assert (await outcome(http, (await post(http, moved)).json()["event"]))[
            "status"
        ] == "processed"
        st = await s.client.status("lv-6a1e4b79-75a3-454f-9417-ea79612b9585", f"opp-{opp}")
        assert st.stage == "Onsite"
        fake.opportunities[opp]["archived"] = {"archivedAt": 1, "reason": "reason-under"}
        archived = for_opportunity("candidateArchiveChange", opp)
        assert (await outcome(http, (await post(http, archived)).json()["event"]))[
            "status"
        ] == "processed"
        rejection = await s.mail(wf, "rejection", timeout=60)
        # The tenant withholds reason codes by default: "Underqualified" never reaches them.
        assert "Underqualified" not in body_of(rejection)
    assert any(c.startswith("GET /v1/stages/") for c in fake.calls)


async def test_a_candidate_lever_may_not_contact_gets_no_mail_and_it_is_recorded(
    stack: tuple[PagesStack, Fake],
) -> None:
    s, _fake = stack  # the documented opportunity: dataProtection.contact.allowed false
    opp = f"opp{uuid.uuid4().hex[:10]}"
    async with httpx.AsyncClient(base_url=s.url, timeout=30) as http:
        r = await post(http, for_opportunity("applicationCreated", opp))
        done = await outcome(http, r.json()["event"])
    assert done["status"] == "processed"
    assert "may not be emailed" in done["reason"]
    # The candidacy runs (its bookkeeping, its staff mail) and sends the candidate nothing.
    role = "lv-6a1e4b79-75a3-454f-9417-ea79612b9585"
    st = await s.client.status(role, f"opp-{opp}")
    assert st.candidate_mail == "off"
    assert [(m.kind, m.status) for m in st.messages] == [("acknowledgement", "withheld")]
    assert s.mails(st.workflow_id) == []
    # The operator sees the same from the CLI, on the gateway's host (ids and reasons only).
    proc = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "heardback"),
        "webhooks",
        "events",
        "--status",
        "processed",
        "--json",
        stdout=asyncio.subprocess.PIPE,
        env={
            "HEARDBACK_ATS_STORE_PATH": str(s.settings.ats_store_path),
            "HEARDBACK_ENCRYPTION": "off",
        },
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0
    listed = {e["event_key"]: e for e in json.loads(out)}
    assert listed[done["event"]]["reason"] == done["reason"]
    assert "shane" not in out.decode().lower()  # no personal data in the list


async def test_a_replayed_or_forged_delivery_does_not_act(stack: tuple[PagesStack, Fake]) -> None:
    s, _ = stack
    async with httpx.AsyncClient(base_url=s.url, timeout=30) as http:
        body = delivery("contactCreated", secret=OLD)  # rotation: the old token still works
        assert (await post(http, body)).json()["status"] == "ignored"
        assert (await post(http, body)).json()["status"] == "duplicate"
        # The unsigned part changed, the signed part replayed: the same event, acting once.
        body["data"]["opportunityId"] = "forged"
        assert (await post(http, body)).json()["status"] == "duplicate"
        forged = {**delivery("applicationCreated"), "signature": "0" * 64}
        assert (await post(http, forged)).status_code == 401
        stale = delivery("applicationCreated", at=datetime.now(UTC) - timedelta(days=3))
        assert (await post(http, stale)).status_code == 401


async def test_levers_api_answers_become_clear_reasons() -> None:
    """A wrong key is an operator's to fix (not retried); a missing record is gone; the rate
    limit says when to come back; none of the reasons names an id."""
    async with fake_providers() as fake:
        wrong = ProviderApi("Lever", f"{fake.url}/v1", "not-the-key", rate=50)
        with pytest.raises(NotAllowed, match="check the Lever API key"):
            await wrong.get("opportunities/opp-1")
        await wrong.close()
        api = ProviderApi("Lever", f"{fake.url}/v1", KEY, rate=50)
        fake.throttle = 1
        with pytest.raises(TryLater) as later:
            await api.get("opportunities/opp-1")
        assert later.value.after == 1.0
        with pytest.raises(Gone) as gone:
            await api.get("nothing-here/opp-secret-id")
        assert "opp-secret-id" not in gone.value.reason
        assert (await api.get("stages/s-1"))["data"]["text"] == "New applicant"
        await api.close()


LINES = [
    "You explained the trade-offs of your schema design clearly and early.",
    "Asking about the expected load first would have sharpened your estimates.",
]


def interview_doc(iv_id: str, *, ended_ago: timedelta | None, minutes: int = 45) -> dict[str, Any]:
    """Lever's documented interview (ids changed): ended `ended_ago`, or tomorrow if None."""
    doc = json.loads((FIXTURES / "api" / "GET_v1_opportunities_id_interviews.json").read_text())
    iv: dict[str, Any] = doc["data"][0]
    end = datetime.now(UTC) - ended_ago if ended_ago else datetime.now(UTC) + timedelta(days=1)
    iv.update(
        id=iv_id,
        date=int((end - timedelta(minutes=minutes)).timestamp() * 1000),
        duration=minutes,
    )
    return iv


def feedback_doc(iv_id: str, user: str, lines: list[str], **fields: Any) -> dict[str, Any]:
    """Lever's documented feedback form for the interview, the tenant's candidate-facing field
    added beside the documented Rating and Notes / Comments."""
    doc = json.loads((FIXTURES / "api" / "GET_v1_opportunities_id_feedback.json").read_text())
    form: dict[str, Any] = doc["data"][0]
    form.update({"id": str(uuid.uuid4()), "interview": iv_id, "user": user, "deletedAt": None})
    form.update(fields)
    form["fields"].append(
        {"id": str(uuid.uuid4()), "type": "textarea", "text": "Candidate-facing feedback",
         "description": "", "required": False, "value": "\n".join(lines)}
    )  # fmt: skip
    return form


async def test_interviews_and_feedback_are_read_from_levers_api(
    stack: tuple[PagesStack, Fake],
) -> None:
    """Lever's Beta interview events document no fields: heardback reads the opportunity's
    interviews and feedback (Lever's documented API, every page) on an interview event and
    before a stage change, records each interview that took place once, with only the named
    field's answer for the candidate; a deleted form and a future interview count for nothing."""
    s, fake = stack
    opp = contactable_opportunity(fake)
    role = "lv-6a1e4b79-75a3-454f-9417-ea79612b9585"
    held, later = f"iv-{uuid.uuid4().hex[:8]}", f"iv-{uuid.uuid4().hex[:8]}"
    interviewer = interview_doc(held, ended_ago=timedelta(hours=1))["interviewers"][0]["id"]
    async with httpx.AsyncClient(base_url=s.url, timeout=30) as http:
        r = await post(http, for_opportunity("applicationCreated", opp))
        assert (await outcome(http, r.json()["event"]))["status"] == "processed"
        fake.lever_interviews[opp] = [
            interview_doc(held, ended_ago=timedelta(hours=1)),
            interview_doc(later, ended_ago=None),
        ]
        fake.lever_feedback[opp] = [
            # The interviewer's earlier form, deleted (listed first): never read.
            feedback_doc(
                held, interviewer, ["An older form that was deleted."], id="a", deletedAt=1
            ),
            feedback_doc(held, "someone-else", ["Another panel member's lines, not theirs."]),
            feedback_doc(held, interviewer, LINES, id="b"),
        ]
        done = await outcome(
            http, (await post(http, for_opportunity("interviewUpdated", opp))).json()["event"]
        )
        assert done["status"] == "processed", done
        view = await s.client.page_view(f"candidacy-{role}-opp-{opp}")
        assert [iv.interview_id for iv in view.interviews] == [f"lv-iv-{held}"]
        assert view.interviews[0].feedback == LINES
        assert any("Rating: 4 - Strong Hire" in n for n in view.interviews[0].internal_notes)
        st = await s.client.status(role, f"opp-{opp}")
        assert st.hours_invested == pytest.approx(0.75)
        moved = for_opportunity("candidateStageChange", opp, toStageId="stage-onsite")
        assert (await outcome(http, (await post(http, moved)).json()["event"]))[
            "status"
        ] == "processed"
        st = await s.client.status(role, f"opp-{opp}")
        assert st.stage == "Onsite" and len(st.interviews) == 1
        again = await outcome(
            http, (await post(http, for_opportunity("interviewCreated", opp))).json()["event"]
        )
        assert again["status"] == "ignored" and "already recorded" in again["reason"]
    assert f"GET /v1/opportunities/{opp}/feedback" in fake.calls


async def test_a_round_heardback_refuses_does_not_hold_up_the_decision_after_it(
    stack: tuple[PagesStack, Fake],
) -> None:
    """The rounds read before a stage change are recorded first; feedback heardback refuses (a
    line screening holds back) is left, and the stage change still reaches the candidate."""
    s, fake = stack
    opp = contactable_opportunity(fake)
    role = "lv-6a1e4b79-75a3-454f-9417-ea79612b9585"
    held = f"iv-{uuid.uuid4().hex[:8]}"
    interviewer = interview_doc(held, ended_ago=timedelta(hours=1))["interviewers"][0]["id"]
    async with httpx.AsyncClient(base_url=s.url, timeout=30) as http:
        r = await post(http, for_opportunity("applicationCreated", opp))
        assert (await outcome(http, r.json()["event"]))["status"] == "processed"
        fake.lever_interviews[opp] = [interview_doc(held, ended_ago=timedelta(hours=1))]
        first = await outcome(
            http, (await post(http, for_opportunity("interviewUpdated", opp))).json()["event"]
        )
        assert first["status"] == "processed", first  # the round, no feedback yet
        # Then a form too terse for screening: its submission is refused.
        fake.lever_feedback[opp] = [feedback_doc(held, interviewer, ["Good."])]
        moved = for_opportunity("candidateStageChange", opp, toStageId="stage-onsite")
        done = await outcome(http, (await post(http, moved)).json()["event"])
        assert done["status"] == "processed", done
        st = await s.client.status(role, f"opp-{opp}")
        assert st.stage == "Onsite"
