"""The one-step pages over real HTTP: the links in real mail, the worker on the Temporal dev
server, the gateway on loopback. What a person following a link gets, and what it records."""

from __future__ import annotations

import asyncio
import html
import re
import smtplib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from heardback.runtime.links import Link, LinkSigner, link_digest
from heardback.workflows.models import Decide, SubmitFeedback
from tests.conftest import body_of, free_port
from tests.pages_stack import LINK_KEY, PagesStack, extra_gateway, pages_stack

pytestmark = pytest.mark.timeout(120)

REASONS = [
    "Your schema design handled the reporting queries well, but the migration plan skipped "
    "how existing rows would be backfilled, which the role does every week."
]


@pytest.fixture(scope="module")
async def stack(
    devserver: tuple[WorkflowEnvironment, int], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[PagesStack]:
    async with pages_stack(devserver, tmp_path_factory.mktemp("pages")) as s:
        yield s


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, page
    return html.unescape(match.group(1))


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def post_form(
    http: httpx.AsyncClient, url: str, fields: dict[str, str], *, page: str | None = None
) -> httpx.Response:
    """Submit a page's form as a browser does: its CSRF field, the cookie set with the page."""
    if page is None:
        page = (await http.get(url)).text
    return await http.post(url, data={"csrf": csrf_of(page), **fields})


async def history_json(stack: PagesStack, workflow_id: str) -> str:
    history = await stack.client.temporal.get_workflow_handle(workflow_id).fetch_history()
    return history.to_json()


async def accepted_updates(stack: PagesStack, workflow_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(update id, input) of every update the workflow's history accepted, decoded."""
    history = await stack.client.temporal.get_workflow_handle(workflow_id).fetch_history()
    converter = stack.client.temporal.data_converter
    found = []
    for event in history.events:
        if event.HasField("workflow_execution_update_accepted_event_attributes"):
            request = event.workflow_execution_update_accepted_event_attributes.accepted_request
            (arg,) = await converter.decode(list(request.input.args.payloads))
            found.append((request.meta.update_id, arg))
    return found


async def test_the_interviewer_writes_the_line_from_the_reminder(stack: PagesStack) -> None:
    inp, wf = await stack.candidacy()
    reminder = await stack.mail(wf, "feedback_reminder")
    url = stack.link(reminder, "f")
    assert inp.candidate.email not in url and inp.candidate.name.split()[0] not in url
    async with httpx.AsyncClient() as http:
        page = await http.get(url)
        assert page.status_code == 200
        shown = text_of(page.text)
        assert "Ada Lovelace" in shown and "technical" in shown
        assert inp.candidate.email not in shown  # nothing private beyond the name
        assert "Internal notes" in shown and "never sent" in shown
        assert page.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        line = "You explained the trade-offs of the two queue designs clearly and calmly."
        done = await post_form(
            http, url, {"lines": line, "notes": "Borderline on depth; ask on-site."}, page=page.text
        )
    assert done.status_code == 200, done.text
    assert "Ada will receive this with their next update" in text_of(done.text)
    view = await stack.client.page_view(wf)
    assert view.interviews[0].feedback == [line]
    assert view.interviews[0].internal_notes == ["Borderline on depth; ask on-site."]
    history = await history_json(stack, wf)
    assert "page-fb-" in history  # the update id names the channel, in plaintext, no PII
    # The notes never reach a candidate's mail.
    decided = await stack.client.decide(
        inp.role.id, inp.candidate.id, _decide("advance", next_stage="onsite")
    )
    assert decided.state == "active"
    result = await stack.mail(wf, "stage_result")
    assert line in body_of(result)
    for mail in stack.mails(wf):
        assert "Borderline" not in body_of(mail)


async def test_screening_refuses_a_hurried_line_and_a_deliberate_override_is_recorded(
    stack: PagesStack,
) -> None:
    _, wf = await stack.candidacy()
    url = stack.link(await stack.mail(wf, "feedback_reminder"), "f")
    async with httpx.AsyncClient() as http:
        refused = await post_form(http, url, {"lines": "Not a culture fit."})
        assert refused.status_code == 422
        shown = text_of(refused.text)
        assert "Please rephrase" in shown and "Not a culture fit." in shown
        assert (await stack.client.page_view(wf)).interviews[0].feedback == []
        line = "You were not a fit for the on-call rotation we described, which needs nights."
        found = await post_form(http, url, {"lines": line})
        if found.status_code == 422:  # screening flags "not a fit"; the interviewer insists
            override = await post_form(
                http,
                url,
                {"lines": line, "override": "yes", "override_reason": "on-call is the job"},
                page=found.text,
            )
            assert override.status_code == 200, override.text
            inputs = [arg for _, arg in await accepted_updates(stack, wf)]
            assert inputs[-1]["override"] == {"reason": "on-call is the job"}
            assert inputs[-1]["via"]["channel"] == "page"
    assert (await stack.client.page_view(wf)).interviews[0].feedback == [line]


async def test_the_contact_rejects_with_reasons_once_and_the_candidate_hears(
    stack: PagesStack,
) -> None:
    inp, wf = await stack.candidacy(hours=4)
    await stack.client.submit_feedback(
        inp.role.id,
        inp.candidate.id,
        _feedback("Your walkthrough of the ingestion job was well structured and easy to follow."),
    )
    escalation = await stack.mail(wf, "escalation", timeout=60)
    url = stack.link(escalation, "d")
    async with httpx.AsyncClient() as http:
        page = await http.get(url)
        shown = text_of(page.text)
        assert "overdue" in shown.lower() or "was due by" in shown
        assert "ingestion job" in shown  # the round's feedback so far
        # The effort rule, before anyone types: 4 hours is past the 3-hour threshold.
        assert "at least 12 words" in shown
        short = await post_form(
            http, url, {"outcome": "reject", "reject_lines": "Not enough depth."}, page=page.text
        )
        assert short.status_code in (409, 422)
        assert (await stack.client.page_view(wf)).outcome is None
        done = await post_form(http, url, {"outcome": "reject", "reject_lines": REASONS[0]})
        assert done.status_code == 200, done.text
        again = await http.get(url)
        assert "Decided through this link" in text_of(again.text)
        twice = await post_form(http, url, {"outcome": "offer", "offer_lines": ""}, page=page.text)
        assert twice.status_code in (403, 409)
    rejection = await stack.mail(wf, "rejection", timeout=30)
    assert "migration plan" in body_of(rejection)
    assert "ingestion job" in body_of(rejection)
    view = await stack.client.page_view(wf)
    assert [d.outcome for d in view.decisions] == ["reject"]
    assert view.decisions[0].via is not None
    assert view.decisions[0].via.channel == "page"
    assert view.decisions[0].via.link == link_digest(url.rsplit("/", 1)[1])


async def test_the_candidate_reads_where_they_stand_in_their_language_and_zone(
    stack: PagesStack,
) -> None:
    inp, wf = await stack.candidacy(
        candidate={"locale": "de", "time_zone": "Asia/Tokyo", "name": "Emmy Noether"},
        role={"stage_names": {"technical": "Technik-Gespräch"}},
    )
    ack = await stack.mail(wf, "acknowledgement")
    url = stack.link(ack, "s")
    await stack.client.submit_feedback(
        inp.role.id,
        inp.candidate.id,
        _feedback("Ihr Entwurf für die Warteschlange war klar begründet und gut getestet."),
    )
    async with httpx.AsyncClient() as http:
        before = text_of((await http.get(url)).text)
        assert "Guten Tag Emmy" in before and "Wo Sie stehen" in before  # her language
        assert "Japan" in before  # dates in her zone, the zone named ("Japanische Normalzeit")
        assert "Warteschlange" not in before  # feedback comes with the decision, not before
        await stack.client.decide(
            inp.role.id, inp.candidate.id, _decide("advance", next_stage="onsite")
        )
        await stack.mail(wf, "stage_result")
        page = await http.get(url)
        after = text_of(page.text)
        assert "Warteschlange" in after
        for internal in (wf, inp.candidate.id, inp.role.id, "i-1", "alan@acme.example"):
            assert internal not in page.text
        assert "<script" not in page.text
        assert 'name="viewport"' in page.text
        refused = await post_form(http, url, {"reason": ""}, page=page.text)
        assert refused.status_code == 422  # the confirmation box is required
        withdrawn = await post_form(http, url, {"confirm": "yes", "reason": "Took another job"})
        assert withdrawn.status_code == 200
    assert (await stack.client.page_view(wf)).outcome == "withdrawn"
    await stack.mail(wf, "withdrawal_confirmation")
    history = await history_json(stack, wf)
    assert "page-withdraw-" in history


async def test_a_form_without_its_csrf_token_or_from_another_site_records_nothing(
    stack: PagesStack,
) -> None:
    _, wf = await stack.candidacy()
    url = stack.link(await stack.mail(wf, "feedback_reminder"), "f")
    line = {"lines": "You described the retry policy precisely, with sensible limits."}
    async with httpx.AsyncClient() as http:
        page = (await http.get(url)).text
        forged = await http.post(url, data={"csrf": "forged", **line})
        assert forged.status_code == 403
        # From our own page, only the token stale (two tabs, a form left open): what was typed
        # comes back in the form with a fresh token, not lost.
        assert line["lines"] in html.unescape(forged.text)
        assert csrf_of(forged.text) != "forged"
        async with httpx.AsyncClient() as other_browser:  # the field without its cookie
            no_cookie = await other_browser.post(url, data={"csrf": csrf_of(page), **line})
        assert no_cookie.status_code == 403
        cross = await http.post(
            url, data={"csrf": csrf_of(page), **line}, headers={"Origin": "https://evil.example"}
        )
        assert cross.status_code == 403
        assert "nothing was recorded" in text_of(cross.text)
    assert (await stack.client.page_view(wf)).interviews[0].feedback == []


async def test_tampered_expired_misused_and_revoked_links_get_a_plain_page(
    stack: PagesStack,
) -> None:
    _, wf = await stack.candidacy()
    url = stack.link(await stack.mail(wf, "feedback_reminder"), "f")
    token = url.rsplit("/", 1)[1]
    signer = LinkSigner([LINK_KEY])
    past = datetime.now(UTC) - timedelta(minutes=1)
    expired = signer.sign(Link("feedback", wf, past, interview_id="i-1"))
    status_token = signer.sign(Link("status", wf, datetime.now(UTC) + timedelta(days=1)))
    cases = {
        f"{stack.url}/f/{token[:-3]}abc": "not valid",
        f"{stack.url}/f/{expired}": "expired",
        f"{stack.url}/d/{status_token}": "not valid",  # a status link never decides
        f"{stack.url}/f/": None,
    }
    async with httpx.AsyncClient() as http:
        for bad, says in cases.items():
            got = await http.get(bad)
            assert got.status_code in (403, 404), bad
            assert "Traceback" not in got.text and "Internal Server Error" not in got.text
            if says:
                assert says in text_of(got.text), got.text
    async with (
        extra_gateway(stack, revoked_links=link_digest(token)) as revoked_url,
        httpx.AsyncClient() as http,
    ):
        got = await http.get(f"{revoked_url}/f/{token}")
        assert got.status_code == 403 and "withdrawn" in text_of(got.text)


async def test_every_public_page_is_rate_limited(stack: PagesStack) -> None:
    async with (
        extra_gateway(stack, page_rate_limit="3/minute") as url,
        httpx.AsyncClient() as http,
    ):
        codes = [(await http.get(f"{url}/s/not-a-token")).status_code for _ in range(4)]
    assert codes[:3] == [403, 403, 403]
    assert codes[3] == 429


# --- helpers -------------------------------------------------------------------------------------


def _feedback(line: str) -> SubmitFeedback:
    return SubmitFeedback(interview_id="i-1", feedback=[line])


def _decide(outcome: str, **fields: Any) -> Decide:
    return Decide.model_validate({"outcome": outcome, **fields})


async def test_replying_to_the_reminder_records_the_lines_through_the_gateways_listener(
    devserver: tuple[WorkflowEnvironment, int], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """`make run`'s wiring: the worker puts a reply address in the reminder because the gateway
    listens for replies; a real reply over SMTP to that address records the lines."""
    tmp = tmp_path_factory.mktemp("replies")
    port = free_port()
    async with pages_stack(
        devserver, tmp, inbound_smtp_port=port, webhook_dedupe_path=tmp / "webhooks.sqlite3"
    ) as replies:
        _, wf = await replies.candidacy()
        reminder = await replies.mail(wf, "feedback_reminder")
        reply_to = str(reminder["Reply-To"])
        assert reply_to.startswith("reply+") and reply_to.endswith("@heardback.localhost")
        assert "reply to this email with the lines" in body_of(reminder)
        reply = EmailMessage()
        reply["From"] = "Alan <alan@acme.example>"
        reply["To"] = reply_to
        reply["Subject"] = "Re: " + str(reminder["Subject"])
        reply["Message-ID"] = "<reply-1@acme.example>"
        reply["In-Reply-To"] = str(reminder["Message-ID"])
        line = "Your reasoning about the cache invalidation was careful and clear."
        reply.set_content(f"{line}\n\n-- \nAlan\n\nOn Tue, Alan wrote:\n> {body_of(reminder)}")
        await asyncio.to_thread(_send, port, reply)
        for _ in range(100):
            if (await replies.client.page_view(wf)).interviews[0].feedback:
                break
            await asyncio.sleep(0.1)
        assert (await replies.client.page_view(wf)).interviews[0].feedback == [line]


def _send(port: int, msg: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(msg)


async def test_hostile_forms_get_a_plain_answer_and_links_stay_out_of_the_logs(
    stack: PagesStack, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: a mistyped link (trailing slash, extra segment) was logged whole (a
    bearer credential); invisible characters got past screening; too many fields and a date at
    the end of the calendar answered 500; the override box vanished when its reason was empty."""
    _, wf = await stack.candidacy()
    url = stack.link(await stack.mail(wf, "feedback_reminder"), "f")
    token = url.rsplit("/", 1)[1]
    async with httpx.AsyncClient() as http:
        capsys.readouterr()
        await http.get(url + "/")
        await http.get(url + "/x")
        logged = capsys.readouterr()
        assert token not in logged.out + logged.err
        hidden = await post_form(
            http, url, {"lines": "You are too o\u200bld for this team, sadly."}
        )
        assert hidden.status_code == 422 and "age" in text_of(hidden.text)
        page = (await http.get(url)).text
        many = {"csrf": csrf_of(page), **{f"f{i}": "x" for i in range(60)}}
        assert (await http.post(url, data=many)).status_code < 500
        no_reason = await post_form(
            http, url, {"lines": "Not a culture fit.", "override": "yes", "override_reason": ""}
        )
        assert no_reason.status_code == 422
        assert 'name="override_reason"' in no_reason.text  # the box to answer in is there
    assert (await stack.client.page_view(wf)).interviews[0].feedback == []
