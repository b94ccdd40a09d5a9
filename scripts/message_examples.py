"""Every message kind, rendered from real scenarios, as a reviewer reads them.

`python -m scripts.message_examples` writes docs/messages/<lang>/<name>.eml (the whole message, as
a mail server receives it) and .txt (its plain text) for English and German. The scenarios run
the real policy (the rules the workflow follows), so each message carries what the policy puts
in it, not hand-made content; tests/test_message_lint.py checks every one of them, in every
shipped language, against the rubric of a good message.
"""

from __future__ import annotations

import argparse
import email.policy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from heardback.workflows import policy
from heardback.workflows.models import (
    CandidacyInput,
    CandidacyState,
    CloseRole,
    Decide,
    DeliveryRequest,
    InterviewCompleted,
    OfferUpdate,
    OutgoingMessage,
    PauseRole,
    SubmitFeedback,
    Withdraw,
)

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # Monday 7 December 2026, 10:00 in Tokyo
SECRET = "INTERNAL: hesitant on the coding part, ask the team"
REASON = (
    "We needed someone who has run PostgreSQL at scale in production; your answers showed "
    "less of that than this team needs right now."
)
LINES = {
    "i-1": "You explained the trade-offs of your cache design clearly and calmly.",
    "i-2": "Your tests named what they checked; we would have liked more edge cases.",
    "i-3": "The architecture sketch was easy to follow and well reasoned.",
}
# A considerate team writes to a German-speaking candidate in German.
LINES_DE = {
    "i-1": "Sie haben die Vor- und Nachteile Ihres Cache-Designs klar und ruhig erklärt.",
    "i-2": "Ihre Tests sagten genau, was sie prüfen; mehr Randfälle hätten uns gefreut.",
    "i-3": "Die Architekturskizze war leicht nachzuvollziehen und gut begründet.",
}
REASON_DE = (
    "Wir brauchten jemanden, der PostgreSQL in großem Maßstab im Betrieb geführt hat; Ihre "
    "Antworten zeigten davon weniger, als dieses Team gerade braucht."
)
DOCS = Path(__file__).resolve().parent.parent / "docs" / "messages"


@dataclass
class Run:
    """The policy driven as the workflow drives it, every message delivered at once."""

    s: CandidacyState
    now: datetime = T0
    sent: list[OutgoingMessage] = field(default_factory=list)

    @property
    def lines(self) -> dict[str, str]:
        return LINES_DE if self.s.candidate.locale == "de" else LINES

    @property
    def reason(self) -> str:
        return REASON_DE if self.s.candidate.locale == "de" else REASON

    def deliver(self) -> None:
        while self.s.outbox:
            msg = self.s.outbox[0]
            self.sent.append(msg)
            policy.on_delivered(self.s, msg.message_id, self.now)

    def wait(self, duration: timedelta) -> None:
        until = self.now + duration
        while True:
            self.deliver()
            d = policy.next_deadline(self.s)
            if d is None or d.due_at > until:
                break
            self.now = max(self.now, d.due_at)
            policy.tick(self.s, self.now)
        self.now = until
        policy.tick(self.s, self.now)
        self.deliver()

    def interview(self, iid: str, stage: str, hours: float, *, feedback: bool = True) -> None:
        policy.record_interview(
            self.s,
            InterviewCompleted(
                interview_id=iid,
                stage=stage,
                interviewer_email="bob@acme.example",
                duration=timedelta(hours=hours),
                feedback=[self.lines[iid]] if feedback else [],
                internal_notes=SECRET,
            ),
            self.now,
        )
        self.deliver()

    def decide(self, cmd: Decide) -> None:
        problem = policy.validate_decision(self.s, cmd, self.now)
        assert problem is None, problem
        policy.decide(self.s, cmd, self.now)
        self.deliver()

    def last(self, kind: str) -> OutgoingMessage:
        return [m for m in self.sent if m.kind == kind][-1]


def start(locale: str, *, survey: bool = False) -> Run:
    inp = CandidacyInput.model_validate(
        {
            "role": {
                "id": "r-7",
                "title": "Backend Engineer",
                "company": "Acme",
                "contact_email": "hiring@acme.example",
                "survey_url": "https://acme.example/survey" if survey else None,
                "time_zone": "Europe/Berlin",
                "locale": locale,
                "holiday_calendar": "DE",
                "stage_names": {"tech_screen_2": "second technical call"},
            },
            "candidate": {
                "id": "c-42",
                "name": "Ada Lovelace",
                "email": "ada@example.org",
                "locale": locale,
                "time_zone": "Asia/Tokyo",
            },
            "policy": {"quiet_hours": None},
        }
    )
    run = Run(policy.new_state(inp, "candidacy-r-7-c-42", T0))
    policy.start(run.s, T0)
    run.deliver()
    return run


def _lifecycle(locale: str) -> dict[str, OutgoingMessage]:
    """Screen, technical round without feedback (reminder, escalation), a delay, a rejection
    with reasons, late feedback, the survey."""
    run = start(locale, survey=True)
    out = {"acknowledgement": run.last("acknowledgement")}
    run.interview("i-1", "screen", 0.5)
    run.decide(Decide(outcome="advance", next_stage="tech_screen_2"))
    out["stage_result"] = run.last("stage_result")
    run.interview("i-2", "tech_screen_2", 3.5, feedback=False)
    out["feedback_reminder"] = run.last("feedback_reminder")
    run.wait(timedelta(days=3))
    out["escalation"] = run.last("escalation")
    run.wait(timedelta(days=5))  # decision_due: five working days after the interview
    out["delay_explanation"] = run.last("delay_explanation")
    run.decide(Decide(outcome="reject", feedback=[run.reason]))
    out["rejection"] = run.last("rejection")
    run.wait(timedelta(hours=5))
    policy.submit_feedback(
        run.s, SubmitFeedback(interview_id="i-2", feedback=[run.lines["i-2"]]), run.now
    )
    run.deliver()
    out["feedback_update"] = run.last("feedback_update")
    run.wait(timedelta(days=3))
    out["survey"] = run.last("survey")
    return out


def _silence(locale: str) -> dict[str, OutgoingMessage]:
    run = start(locale)
    run.s.policy = run.s.policy.model_copy(update={"decision_due": timedelta(days=30)})
    run.wait(timedelta(days=7, hours=1))
    return {"status_update": run.last("status_update")}


def _hold_expired(locale: str) -> dict[str, OutgoingMessage]:
    run = start(locale)
    run.interview("i-1", "screen", 0.5)
    run.interview("i-3", "onsite", 3.0)
    run.decide(Decide(outcome="hold", feedback=[run.reason]))
    out = {"delay_explanation-hold": run.last("delay_explanation")}
    run.wait(timedelta(days=22))
    out["rejection-after-hold"] = run.last("rejection")
    return out


def _hold_without_reasons(locale: str) -> dict[str, OutgoingMessage]:
    """A hold at half an hour; a 3-hour round during it carries the candidate past the effort
    threshold; nobody writes the reasons: the contact is asked, then the hold runs out."""
    run = start(locale)
    run.interview("i-1", "screen", 0.5)
    run.decide(Decide(outcome="hold"))
    run.interview("i-3", "onsite", 3.0)
    asked = [m for m in run.sent if m.content.reason == "hold_needs_reasons"]
    run.wait(timedelta(days=22))
    ran_out = [m for m in run.sent if m.content.reason == "hold_needs_reasons"]
    return {"escalation-hold-needs-reasons": asked[-1], "escalation-hold-ran-out": ran_out[-1]}


def _short(locale: str) -> dict[str, OutgoingMessage]:
    run = start(locale)
    run.interview("i-1", "screen", 0.5)
    run.decide(Decide(outcome="reject"))
    return {"rejection-without-reasons": run.last("rejection")}


def _offer(locale: str) -> dict[str, OutgoingMessage]:
    run = start(locale, survey=True)
    run.interview("i-1", "screen", 0.5)
    run.interview("i-3", "onsite", 4.0)
    welcome = (
        "Wir würden uns sehr freuen, Sie im Team zu haben."
        if locale == "de"
        else "We would love you to join the team."
    )
    run.decide(Decide(outcome="offer", feedback=[welcome]))
    out = {"offer": run.last("offer")}
    run.wait(timedelta(days=4))
    out["delay_explanation-offer-details"] = run.last("delay_explanation")
    policy.offer_update(run.s, OfferUpdate(event="details_sent"), run.now)
    return out


def _withdrawal(locale: str) -> dict[str, OutgoingMessage]:
    run = start(locale, survey=True)
    run.interview("i-1", "screen", 0.5)
    policy.withdraw(run.s, Withdraw(reason="I accepted another offer."), run.now)
    run.deliver()
    return {"withdrawal_confirmation": run.last("withdrawal_confirmation")}


def _role(locale: str) -> dict[str, OutgoingMessage]:
    run = start(locale)
    policy.role_paused(run.s, PauseRole(until=T0 + timedelta(days=10)), run.now)
    run.deliver()
    out = {"delay_explanation-role-paused": run.last("delay_explanation")}
    policy.role_closed(run.s, CloseRole(reason="filled"), run.now)
    run.deliver()
    out["role_closed"] = run.last("role_closed")
    return out


SCENARIOS: tuple[Callable[[str], dict[str, OutgoingMessage]], ...] = (
    _lifecycle,
    _silence,
    _hold_expired,
    _hold_without_reasons,
    _short,
    _offer,
    _withdrawal,
    _role,
)


def examples(locale: str) -> dict[str, DeliveryRequest]:
    """name -> the delivery request the workflow would send, for every kind (and variants)."""
    out: dict[str, DeliveryRequest] = {}
    for scenario in SCENARIOS:
        run_messages = scenario(locale)
        for name, msg in run_messages.items():
            out[name] = DeliveryRequest(
                message=msg,
                workflow_id="candidacy-r-7-c-42",
                thread_root_id="candidacy-r-7-c-42.000.acknowledgement",
                reply_to="hiring@acme.example",
                references=["candidacy-r-7-c-42.000.acknowledgement"]
                if msg.kind != "acknowledgement" and msg.recipient == "candidate"
                else [],
            )
    return out


def main() -> None:
    # Only when writing docs:
    from heardback.activities.mail_links import LinkMaker  # noqa: PLC0415
    from heardback.activities.render import Renderer  # noqa: PLC0415
    from heardback.runtime.links import LinkSigner  # noqa: PLC0415

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--langs", nargs="*", default=["en", "de"])
    args = parser.parse_args()
    # The one-step links as an installation with link keys sends them (a fixed example key, so
    # the committed examples do not change from run to run).
    links = LinkMaker(
        signer=LinkSigner(["example-link-key-not-for-production-use"]),
        public_url="https://hiring.acme.example",
        decision_ttl=timedelta(days=7),
        feedback_ttl=timedelta(days=30),
        reply_address="reply@hiring.acme.example",
    )
    renderer = Renderer(
        mail_from="hiring@heardback.example", message_id_domain="acme.example", links=links
    )
    for lang in args.langs:
        folder = DOCS / lang
        folder.mkdir(parents=True, exist_ok=True)
        for name, req in sorted(examples(lang).items()):
            msg = renderer.render(req)
            del msg["Date"]
            msg["Date"] = "Mon, 07 Dec 2026 01:00:00 +0000"  # stable files
            msg.set_boundary("heardback-example-boundary")
            (folder / f"{name}.eml").write_bytes(msg.as_bytes(policy=email.policy.SMTP))
            subject, text = renderer.render_text(req)
            (folder / f"{name}.txt").write_text(f"Subject: {subject}\n\n{text}")
        print(f"wrote {folder}")


if __name__ == "__main__":
    main()
