"""`python -m heardback.starter.demo` (`make demo`): a realistic hiring scenario in a minute.

Runs against the stack from `make run`. Three candidates apply for one role, with the product's
policy compressed from days into seconds, and you watch each promise keep itself:

- Emmy lives in Tokyo and reads German: every mail to her is in German, with dates in Japan
  time. She sits two rounds; the second interviewer forgets feedback (reminder, then
  escalation); she is rejected with written reasons, the late feedback still reaches her, and
  the survey waits until a while after it.
- Grace is held as a backup; the hold runs out, gets one last extension, then ends in a rejection
  rather than silence.
- Linus hears nothing from the team: heardback explains the delay and escalates, then the offer,
  which says by when the written details follow; the team sends them, Linus accepts.
- Katherine and Dorothy are still waiting when the role is filled: both are told, by themselves.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle

from heardback.runtime.logs import configure_logging
from heardback.runtime.settings import get_settings
from heardback.runtime.temporal import connect, run_and_exit
from heardback.starter.client import HeardbackClient
from heardback.workflows.models import (
    CandidacyInput,
    Candidate,
    CloseRole,
    Decide,
    InterviewCompleted,
    OfferUpdate,
    Policy,
    Role,
    RoleInput,
    SubmitFeedback,
)

COMPRESSED = Policy(
    max_silence=timedelta(seconds=40),
    decision_due=timedelta(seconds=15),
    feedback_due=timedelta(seconds=8),
    hold_max=timedelta(seconds=30),
    effort_threshold=timedelta(hours=2),
    feedback_wait_max=timedelta(seconds=40),
    survey_delay=timedelta(seconds=10),
    offer_details_due=timedelta(seconds=20),
)

PEOPLE = {
    "c-1001": ("Emmy Noether", "emmy@example.org"),
    "c-1002": ("Grace Hopper", "grace@example.org"),
    "c-1003": ("Linus Pauling", "linus@example.org"),
    "c-1004": ("Katherine Johnson", "katherine@example.org"),
    "c-1005": ("Dorothy Vaughan", "dorothy@example.org"),
}


class Demo:
    def __init__(self, client: HeardbackClient, role_id: str) -> None:
        self.client = client
        self.role_id = role_id
        self.t0 = time.monotonic()
        self.seen: set[str] = set()
        self.handles: dict[str, WorkflowHandle[Any, Any]] = {}

    def say(self, text: str) -> None:
        print(f"[+{time.monotonic() - self.t0:5.1f}s] {text}", flush=True)

    async def watch(self) -> None:
        """Print each message as its delivery is recorded in the workflow."""
        while True:
            for cid in self.handles:
                try:
                    st = await self.client.status(self.role_id, cid)
                except Exception:  # noqa: S112 - a query during a restart; try again next round
                    continue
                for m in st.messages:
                    if m.status != "pending" and m.message_id not in self.seen:
                        self.seen.add(m.message_id)
                        who = PEOPLE[cid][0].split()[0]
                        arrow = "to" if m.recipient == "candidate" else f"about {who} to the"
                        target = who if m.recipient == "candidate" else m.recipient
                        self.say(f"    mail {m.status}: {m.kind} {arrow} {target}")
            await asyncio.sleep(0.5)


async def main() -> int:  # noqa: PLR0915 - a scripted scenario reads top to bottom
    settings = get_settings()
    configure_logging("WARNING", settings.log_format)
    try:
        client = HeardbackClient(await connect(settings), task_queue=settings.task_queue)
    except Exception as err:
        print(f"Cannot reach Temporal at {settings.temporal_address} ({err}).")
        print("Start the stack first: `make run` in another terminal.")
        return 1

    stamp = datetime.now(UTC).strftime("%H%M%S")
    role = Role(
        id=f"demo-{stamp}",
        title="Backend Engineer",
        company="Acme",
        contact_email="hiring@acme.example",
        survey_url="https://acme.example/candidate-survey",
        survey_anonymous=True,
        time_zone="Europe/Berlin",
        holiday_calendar="DE",
        stage_names={"technical": "technical interview", "onsite": "on-site day"},
    )
    demo = Demo(client, role.id)
    print(f"Role {role.id}: {role.title} at {role.company}; policy compressed to seconds.\n")
    role_workflow_id = await client.open_role(RoleInput(role=role, policy=COMPRESSED))
    for cid, (name, mail) in PEOPLE.items():
        where = {"locale": "de", "time_zone": "Asia/Tokyo"} if cid == "c-1001" else {}
        person = Candidate(id=cid, name=name, email=mail, **where)
        wf_id = await client.add_candidate(role.id, person)
        demo.handles[cid] = client.temporal.get_workflow_handle(wf_id)
        demo.say(f"{name.split()[0]} applies")
    watcher = asyncio.create_task(demo.watch())
    ada, grace, linus = "c-1001", "c-1002", "c-1003"

    await asyncio.sleep(2)
    demo.say("Emmy's technical interview (1h30) is done, with feedback")
    await client.record_interview(
        role.id,
        ada,
        InterviewCompleted(
            interview_id="i-1",
            stage="technical",
            interviewer_email="bob@acme.example",
            duration=timedelta(minutes=90),
            feedback=["Sie haben die Vor- und Nachteile Ihres Cache-Designs klar erklärt."],
            internal_notes="Strong on design, a bit slow on the coding part.",
        ),
    )
    demo.say("Grace's technical interview (1h) is done, with feedback")
    await client.record_interview(
        role.id,
        grace,
        InterviewCompleted(
            interview_id="i-2",
            stage="technical",
            interviewer_email="eve@acme.example",
            duration=timedelta(hours=1),
            feedback=["Your debugging approach was methodical and easy to follow."],
        ),
    )
    await asyncio.sleep(2)
    demo.say("Team advances Emmy to the on-site day")
    await client.decide(
        role.id,
        ada,
        Decide(
            outcome="advance",
            next_stage="onsite",
            feedback=["Das Gespräch hat uns Freude gemacht."],
        ),
    )
    demo.say("Team holds Grace as a backup for 10 seconds")
    await client.decide(
        role.id, grace, Decide(outcome="hold", hold_until=datetime.now(UTC) + timedelta(seconds=10))
    )
    await asyncio.sleep(2)
    demo.say("Emmy's on-site day (3h) is done; the interviewer writes no feedback")
    await client.record_interview(
        role.id,
        ada,
        InterviewCompleted(
            interview_id="i-3",
            stage="onsite",
            interviewer_email="carol@acme.example",
            duration=timedelta(hours=3),
            internal_notes="Not sure about team fit.",
        ),
    )
    await asyncio.sleep(10)
    demo.say("Team rejects Emmy, with written reasons (she invested 4h30)")
    await client.decide(
        role.id,
        ada,
        Decide(
            outcome="reject",
            feedback=[
                "Wir haben uns für jemanden mit mehr Praxiserfahrung im Betrieb verteilter "
                "Warteschlangen entschieden; genau das braucht das Team in den nächsten Monaten.",
            ],
        ),
    )
    await asyncio.sleep(2)
    demo.say("Linus's team finally decides: offer")
    await client.decide(
        role.id,
        linus,
        Decide(outcome="offer", feedback=["We are delighted to offer you the role."]),
    )
    await asyncio.sleep(2)
    demo.say("Emmy's on-site interviewer finally writes feedback")
    await client.submit_feedback(
        role.id,
        ada,
        SubmitFeedback(
            interview_id="i-3",
            feedback=[
                "Ihr Systementwurf war solide; erzählen Sie beim nächsten Mal mehr über Ihre "
                "Teststrategie.",
            ],
        ),
    )

    await asyncio.sleep(3)
    demo.say("The team sends Linus the written offer; he accepts")
    await client.offer_update(role.id, linus, OfferUpdate(event="details_sent"))
    await asyncio.sleep(2)
    await client.offer_update(role.id, linus, OfferUpdate(event="accepted"))

    try:
        await asyncio.wait_for(
            asyncio.gather(*(demo.handles[c].result() for c in (ada, grace, linus))), 90
        )
        demo.say("The role is filled: closing it tells everyone still waiting")
        closing = await client.close_role(role.id, CloseRole(reason="filled"))
        demo.say(f"    {closing.affected} candidates still waiting are being told")
        await asyncio.wait_for(
            asyncio.gather(*(h.result() for h in demo.handles.values())), timeout=60
        )
    except TimeoutError:
        print("\nSome candidacies are still running; see the UI.")
    await asyncio.sleep(1)
    watcher.cancel()

    print("\nEvery candidacy ended with its final message delivered.")
    if settings.mail_transport == "file":
        print(
            f"Messages are in {settings.outbox_dir}/ (one .eml each). Emmy's rejection and "
            "survey, in German with Tokyo dates:\n"
        )
        for kind in ("rejection", "survey"):
            pattern = f"candidacy-{role.id}-c-1001.*.{kind}.eml"
            for path in sorted(settings.outbox_dir.glob(pattern)):
                msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                body = msg.get_body(preferencelist=("plain",))
                print(f"Date: {msg['Date']}\nSubject: {msg['Subject']}\n")
                print(body.get_content() if body is not None else "")
    ada_id = await your_turn(client, settings, role_id=f"{role.id}-links")
    print("Histories, in the Temporal UI:")
    ids = [role_workflow_id, *(h.id for h in demo.handles.values()), *([ada_id] if ada_id else [])]
    for workflow_id in ids:
        print(
            f"  http://localhost:{settings.dev_ui_port}/namespaces/{settings.namespace}"
            f"/workflows/{workflow_id}"
        )
    return 0


LINK = re.compile(r"https?://\S+/([fds])/[A-Za-z0-9._-]+")
WAIT_FOR_YOU = 900.0  # seconds the demo waits for you at each link


def _links_in(outbox: Path, workflow_id: str, kind: str) -> dict[str, str]:
    """The one-step links (f, d, s) in the mails of one kind to one candidacy, newest last."""
    found: dict[str, str] = {}
    for path in sorted(outbox.glob(f"{workflow_id}.*.{kind}.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        for match in LINK.finditer(body.get_content() if body is not None else ""):
            found[match.group(1)] = match.group(0)
        reply_to = str(msg.get("Reply-To", ""))
        if "+" in reply_to:
            found["reply"] = reply_to
    return found


async def _wait_for(check: Any, what: str, seconds: float = WAIT_FOR_YOU) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = await check()
        if got:
            return got
        await asyncio.sleep(1)
    print(f"  (gave up waiting for {what})")
    return None


async def your_turn(client: HeardbackClient, settings: Any, role_id: str) -> str | None:
    """Ada's candidacy is driven by you, through the links in her mails only: write the
    interviewer's line, decide as the contact, read what Ada reads."""
    if settings.mail_transport != "file":
        print("\n(The one-step links are in the mails your SMTP server received.)")
        return None
    outbox = settings.outbox_dir
    role = Role(
        id=role_id,
        title="Data Engineer",
        company="Acme",
        contact_email="hiring@acme.example",
        time_zone="Europe/Berlin",
        stage_names={"onsite": "on-site day"},
    )
    ada = Candidate(id="c-1006", name="Ada Lovelace", email="ada@example.org")
    policy = COMPRESSED.model_copy(update={"quiet_hours": None, "max_silence": timedelta(hours=1)})
    wf = await client.start_candidacy(CandidacyInput(role=role, candidate=ada, policy=policy))
    await client.record_interview(
        role.id,
        ada.id,
        InterviewCompleted(
            interview_id="i-ada-1",
            stage="technical",
            interviewer_email="alan@acme.example",
            duration=timedelta(hours=2, minutes=30),
        ),
    )
    print(
        "\nYour turn. Ada Lovelace applied for Data Engineer and sat a 2h30 technical "
        "interview; the interviewer wrote no feedback. Everything from here happens through "
        "the links in the mails, with no API call."
    )

    async def reminder() -> dict[str, str]:
        return _links_in(outbox, wf, "feedback_reminder")

    async def ack() -> dict[str, str]:
        return _links_in(outbox, wf, "acknowledgement")

    first = await _wait_for(ack, "the acknowledgement", 60)
    chase = await _wait_for(reminder, "the feedback reminder", 60)
    if first:
        print(f"\n  Ada's status page (what she sees at any time):\n    {first.get('s')}")
    if chase:
        print(f"\n  1. As the interviewer, write a line for Ada:\n    {chase.get('f')}")
        if chase.get("reply"):
            print(f"     (or reply by mail to {chase['reply']})")

    async def has_feedback() -> bool:
        status = await client.status_of(wf)
        return any(iv.feedback_lines for iv in status.interviews)

    if not await _wait_for(has_feedback, "Ada's feedback"):
        return wf

    async def escalation() -> str | None:
        return _links_in(outbox, wf, "escalation").get("d")

    decision = await _wait_for(escalation, "the decision escalation", 120)
    if decision:
        print(
            "\n  2. Thanks. The decision is now overdue; as the hiring contact, decide "
            f"(say no with reasons, or make an offer):\n    {decision}"
        )

    async def decided() -> bool:
        return (await client.status_of(wf)).outcome is not None

    if await _wait_for(decided, "the decision"):
        print(
            "\n  3. Done. Open Ada's status page again to read what she now sees:\n"
            f"    {first.get('s') if first else '(see her mails)'}\n"
        )
    return wf


if __name__ == "__main__":
    run_and_exit(main)
