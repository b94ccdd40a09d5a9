"""A simulated hiring month, played twice from one seeded script: a plain ATS, and heardback.

    python -m bench.simulate [--seed N] [--roles 8] [--applicants 400] [--weeks 4]
                             [--json FILE] [--markdown docs/SIMULATION.md] [--html FILE]
    make simulate

- **plain ATS**: only the mails a person triggers reach the candidate: an invitation when
  someone moves them to the next interview, a rejection when someone clicks reject (the ATS's
  template: no feedback, no reasons), an offer when someone makes one. Sent over SMTP to the
  same local mail server at the moment the person acts.
- **heardback**: the real worker (Candidacy and Role workflows, the delivery activity, SMTP to
  aiosmtpd on loopback), the real gateway (the one-step pages over HTTP, replies to its SMTP
  listener) on Temporal's time-skipping test server, with heardback's default policy. The
  people of the script act through heardback's client at the script's times (the month passes
  in minutes); interviewers who write after a reminder or an escalation do so when that mail
  has actually been delivered, through the link in it, a reply, or the hiring tool.

Both runs are measured the same way, from what the mail server received (bench.sim_measure).
The script itself is bench.sim_script; its parameters and their sources are in
docs/SIMULATION.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email
import email.policy
import heapq
import html
import json
import re
import smtplib
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage, Message
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from pydantic import SecretStr
from temporalio import activity
from temporalio.testing import WorkflowEnvironment

from bench.sim_measure import Delivered, measure, render_html, render_markdown, table
from bench.sim_script import STAGE_NAMES, STAGES, Action, Calendar, Params, Script, build
from heardback.activities.mime import opaque_message_id
from heardback.activities.transport import OnAccepted, Transport
from heardback.gateway.app import create_app
from heardback.gateway.serve import uvicorn_server
from heardback.runtime.converter import DATA_CONVERTER
from heardback.runtime.logs import configure_logging
from heardback.runtime.settings import Settings
from heardback.runtime.temporal import run_and_exit
from heardback.starter.client import HeardbackClient
from heardback.worker.search_attributes import ensure_search_attributes
from heardback.worker.wiring import build_activities, build_transport, build_worker, running
from heardback.workflows.errors import HeardbackError, Refused
from heardback.workflows.models import (
    Candidate,
    CloseRole,
    Decide,
    InterviewCompleted,
    OfferUpdate,
    Role,
    RoleInput,
    SubmitFeedback,
    Via,
    Withdraw,
)

COMPANY = "Northwind Labs"
SURVEY = "https://survey.company.example/hiring"
LINK_KEY = "simulation-link-key-" + "s" * 28
MESSAGE_DOMAIN = "heardback.localhost"
# The longest skip between two looks at what was delivered: no shorter than the quickest
# reaction to a mail (bench.sim_script draws them from two working hours up), so a reaction is
# always planned before its time comes.
STEP = timedelta(hours=2)
TEST_SERVER = Path(sys.executable).parent / "temporal-test-server"


# --- the local mail server --------------------------------------------------------------------


class Sink:
    """aiosmtpd on loopback, keeping every message it accepts with its envelope recipients."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.on_message: Callable[[EmailMessage], None] | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), msg))
        if self.on_message is not None:
            self.on_message(msg)
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def mail_server() -> Any:
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def text_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    content = part.get_content() if part is not None else ""
    return content if isinstance(content, str) else ""


# --- run 1: the plain ATS ---------------------------------------------------------------------


PLAIN_TEXT = {
    "invitation": "Hello {name},\n\nwe would like to invite you to the {stage} for {title}. "
    "Our recruiting team will send you the details.\n\n{company}",
    "rejection": "Hello {name},\n\nthank you for your interest in {title}. After careful "
    "consideration we have decided not to move forward with your application.\n\n{company}",
    "offer": "Hello {name},\n\nwe are delighted to offer you the position of {title}. "
    "The details will follow.\n\n{company}",
}


def run_plain(script: Script, port: int) -> None:
    """The plain ATS: one mail per click that sends one, at the click."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for a in script.actions:
            kind = {"advance": "invitation", "reject": "rejection", "offer": "offer"}.get(
                a.outcome if a.kind == "decide" else ""
            )
            if kind is None:
                continue
            who = script.applicants[a.candidate]
            msg = EmailMessage()
            msg["From"] = f"{COMPANY} <jobs@company.example>"
            msg["To"] = who.email
            msg["Subject"] = f"Your application for {script.roles[a.role]}"
            msg["Date"] = format_datetime(a.at)
            msg["Message-ID"] = make_msgid(domain="ats.example")
            # the simulation's own bookkeeping, read back by the measurement
            msg["X-Sim-Candidacy"] = f"{a.role}/{a.candidate}"
            msg["X-Sim-Kind"] = kind
            msg["X-Sim-At"] = a.at.astimezone(UTC).isoformat()
            stage = STAGE_NAMES.get(a.next_stage or "", "next step")
            msg.set_content(
                PLAIN_TEXT[kind].format(
                    name=who.name, stage=stage, title=script.roles[a.role], company=COMPANY
                )
            )
            smtp.send_message(msg)


def plain_deliveries(received: list[tuple[list[str], EmailMessage]]) -> list[Delivered]:
    out = []
    for rcpts, msg in received:
        role, _, cand = str(msg["X-Sim-Candidacy"]).partition("/")
        out.append(
            Delivered(
                role=role,
                candidate=cand,
                kind=str(msg["X-Sim-Kind"]),
                to=rcpts[0],
                at=datetime.fromisoformat(str(msg["X-Sim-At"])),
                text=text_of(msg),
            )
        )
    return out


# --- run 2: heardback -------------------------------------------------------------------------


class SimTransport:
    """The worker's SMTP transport, noting each accepted message's simulated time (the time the
    test server scheduled the delivery attempt: its clock is the simulated one)."""

    def __init__(self, inner: Transport, on_sent: Callable[[str, datetime], None]) -> None:
        self._inner = inner
        self._on_sent = on_sent

    async def send(
        self, message_id: str, msg: Message, on_accepted: OnAccepted | None = None
    ) -> None:
        await self._inner.send(message_id, msg, on_accepted)
        self._on_sent(message_id, activity.info().current_attempt_scheduled_time)

    async def already_sent(self, message_id: str) -> bool:
        return await self._inner.already_sent(message_id)

    async def erase(self, workflow_id: str) -> int:
        return await self._inner.erase(workflow_id)


@dataclass
class Work:
    """Something a person does at a simulated time."""

    at: datetime
    what: Callable[[], Awaitable[None]]
    label: str


@dataclass
class HeardbackRun:
    script: Script
    hb: HeardbackClient
    env: WorkflowEnvironment
    settings: Settings
    sink: Sink
    cal: Calendar = field(default_factory=Calendar)
    sent: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # opaque id -> (id, at)
    queue: list[tuple[datetime, int, Work]] = field(default_factory=list)
    seq: int = 0
    submitted: set[str] = field(default_factory=set)  # interviews whose feedback is written
    reminder_of: dict[str, EmailMessage] = field(default_factory=dict)  # interview -> reminder
    channel_used: dict[str, str] = field(default_factory=dict)  # interview -> channel
    refused: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    handled: set[str] = field(default_factory=set)  # Message-IDs already reacted to

    def push(self, at: datetime, what: Callable[[], Awaitable[None]], label: str) -> None:
        self.seq += 1
        heapq.heappush(self.queue, (at, self.seq, Work(at, what, label)))

    def noted(self, message_id: str, at: datetime) -> None:
        self.sent[opaque_message_id(message_id, MESSAGE_DOMAIN)] = (message_id, at)

    # -- what people do --

    def schedule_script(self) -> None:
        for a in self.script.actions:
            self.push(a.at, self._doer(a), f"{a.kind} {a.role}/{a.candidate}")

    def _doer(self, a: Action) -> Callable[[], Awaitable[None]]:
        async def do() -> None:
            await self.act(a)

        return do

    async def act(self, a: Action) -> None:
        s = self.script
        try:
            if a.kind == "open_role":
                await self.hb.open_role(
                    RoleInput(
                        role=Role(
                            id=a.role,
                            title=s.roles[a.role],
                            company=COMPANY,
                            contact_email=s.contacts[a.role],
                            survey_url=SURVEY,
                            survey_anonymous=True,
                            locale="en",
                            time_zone="Europe/Berlin",
                            holiday_calendar="DE",
                            stage_names=dict(STAGE_NAMES),
                        ),
                        stages=list(STAGES),
                    )
                )
            elif a.kind == "apply":
                who = s.applicants[a.candidate]
                await self.hb.add_candidate(
                    a.role,
                    Candidate(
                        id=who.key,
                        name=who.name,
                        email=who.email,
                        locale=who.locale,
                        time_zone=who.time_zone,
                    ),
                )
            elif a.kind == "interview":
                iv = s.interviews[a.interview]
                if iv.habit == "at_once":
                    self.submitted.add(iv.interview_id)
                    self.channel_used[iv.interview_id] = "api"
                await self.hb.record_interview(
                    a.role,
                    a.candidate,
                    InterviewCompleted(
                        interview_id=iv.interview_id,
                        stage=iv.stage,
                        interviewer_email=iv.interviewer,
                        duration=iv.duration,
                        feedback=list(iv.lines) if iv.habit == "at_once" else [],
                        internal_notes="Scorecard: mixed signals on depth; see rubric.",
                    ),
                )
            elif a.kind == "decide":
                await self.decide(a, with_reasons=not a.terse)
            elif a.kind == "withdraw":
                await self.hb.withdraw(a.role, a.candidate, Withdraw(reason=None))
            elif a.kind == "offer":
                await self.hb.offer_update(a.role, a.candidate, OfferUpdate(event=a.outcome))
            elif a.kind == "close_role":
                note = "The position has been filled." if a.outcome == "filled" else None
                await self.hb.close_role(a.role, CloseRole(reason=a.outcome, note=note))
        except Refused as err:
            self.refused[f"{a.kind} {a.outcome}: {reason_of(str(err))}"] += 1
        except HeardbackError as err:
            self.errors.append(f"{a.kind} {a.role}/{a.candidate}: {err}")

    async def decide(self, a: Action, *, with_reasons: bool) -> None:
        cmd = Decide(
            outcome=a.outcome,
            next_stage=a.next_stage,
            feedback=list(a.reasons) if with_reasons else [],
            hold_until=a.hold_until,
        )
        try:
            await self.hb.decide(
                a.role,
                a.candidate,
                cmd,
                request_id=f"sim-{a.candidate}-{a.outcome}-{int(with_reasons)}",
            )
        except Refused as err:
            if not with_reasons and a.reasons and "written reasons" in str(err):
                # The effort rule said why; the contact writes the reasons within the hour.
                self.refused["reject without written reasons (then written)"] += 1
                retry = self.cal.add_working(await self.now(), timedelta(hours=1))
                self.push(retry, lambda: self.decide(a, with_reasons=True), "reasons")
                return
            raise

    # -- reactions to delivered mail --

    def look_at_mail(self) -> None:
        """React to what was delivered since the last look: interviewers to their reminder,
        to the escalation their hiring contact forwards. A message whose delivery time is not
        noted yet is looked at again next time (the reply listener's answers never are)."""
        for rcpts, msg in self.sink.received:
            opaque = str(msg["Message-ID"])
            known = self.sent.get(opaque)
            if known is None or opaque in self.handled:
                continue
            self.handled.add(opaque)
            message_id, at = known
            workflow_id, _seq, kind = message_id.rsplit(".", 2)
            role, cand = split_candidacy(workflow_id)
            if kind == "feedback_reminder":
                self.on_reminder(role, cand, rcpts[0], at, msg)
            elif kind == "escalation":
                self.on_escalation(role, cand, at)

    def on_reminder(self, role: str, cand: str, to: str, at: datetime, msg: EmailMessage) -> None:
        for iv in self.open_interviews(role, cand, at):
            if iv.interviewer != to or iv.interview_id in self.reminder_of:
                continue
            self.reminder_of[iv.interview_id] = msg
            if iv.habit == "after_reminder":
                self.plan_feedback(iv.interview_id, self.cal.add_working(at, iv.reaction))

    def on_escalation(self, role: str, cand: str, at: datetime) -> None:
        for iv in self.open_interviews(role, cand, at):
            if iv.habit == "after_escalation":
                self.plan_feedback(iv.interview_id, self.cal.add_working(at, iv.reaction))

    def open_interviews(self, role: str, cand: str, at: datetime) -> list[Any]:
        return [
            iv
            for iv in self.script.interviews.values()
            if iv.role == role
            and iv.candidate == cand
            and iv.at <= at
            and iv.interview_id not in self.submitted
        ]

    def plan_feedback(self, interview_id: str, at: datetime) -> None:
        self.submitted.add(interview_id)

        async def write() -> None:
            await self.write_feedback(interview_id)

        self.push(at, write, f"feedback {interview_id}")

    async def write_feedback(self, interview_id: str) -> None:
        iv = self.script.interviews[interview_id]
        reminder = self.reminder_of.get(interview_id)
        channel = iv.channel if reminder is not None else "api"
        try:
            if channel == "page" and reminder is not None and await self.by_page(iv, reminder):
                self.channel_used[interview_id] = "page"
                return
            if channel == "reply" and reminder is not None and await self.by_reply(iv, reminder):
                self.channel_used[interview_id] = "reply"
                return
            await self.hb.submit_feedback(
                iv.role,
                iv.candidate,
                SubmitFeedback(
                    interview_id=interview_id,
                    feedback=list(iv.lines),
                    via=Via(channel="api", actor="interviewer"),
                ),
            )
            self.channel_used[interview_id] = "api"
        except HeardbackError as err:
            self.errors.append(f"feedback {interview_id}: {err}")

    async def by_page(self, iv: Any, reminder: EmailMessage) -> bool:
        """The interviewer opens the link in the reminder and submits the form."""
        base = re.escape(self.settings.public_url)
        found = re.search(base + r"/f/[A-Za-z0-9._-]+", text_of(reminder))
        if found is None:
            self.errors.append(f"no feedback link in the reminder for {iv.interview_id}")
            return False
        async with httpx.AsyncClient(timeout=60) as http:
            page = await http.get(found.group(0))
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            if page.status_code != 200 or csrf is None:
                self.errors.append(f"feedback page {page.status_code} for {iv.interview_id}")
                return False
            done = await http.post(
                found.group(0),
                data={
                    "csrf": html.unescape(csrf.group(1)),
                    "lines": "\n".join(iv.lines),
                    "notes": "",
                },
            )
        if done.status_code != 200:
            self.errors.append(f"feedback form {done.status_code} for {iv.interview_id}")
            return False
        return True

    async def by_reply(self, iv: Any, reminder: EmailMessage) -> bool:
        """The interviewer answers the reminder by mail, above the quoted reminder."""
        rcpt = str(reminder["Reply-To"] or "")
        address = re.search(r"[^<>\s]+@[^<>\s]+", rcpt)
        if address is None or "+" not in address.group(0):
            self.errors.append(f"no reply address in the reminder for {iv.interview_id}")
            return False
        msg = EmailMessage()
        msg["From"] = iv.interviewer
        msg["To"] = address.group(0)
        msg["Subject"] = f"Re: {reminder['Subject']}"
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = make_msgid(domain="company.example")
        msg["In-Reply-To"] = str(reminder["Message-ID"])
        msg["References"] = str(reminder["Message-ID"])
        quoted = "\n".join(f"> {line}" if line else ">" for line in text_of(reminder).splitlines())
        name = iv.interviewer.split("@")[0].split(".")[0].title()
        msg.set_content(
            "\n".join(iv.lines)
            + f"\n\n-- \n{name}\n\nOn {reminder['Date']}, {reminder['From']} wrote:\n{quoted}\n"
        )
        port = self.settings.inbound_smtp_port
        assert port is not None

        def send() -> None:
            with smtplib.SMTP(self.settings.inbound_smtp_host, port, timeout=30) as smtp:
                # as a mail client sends it: CRLF line ends (smtplib sends bytes as they are)
                wire = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
                smtp.sendmail(iv.interviewer, [address.group(0)], wire)

        try:
            await asyncio.to_thread(send)
        except smtplib.SMTPException as err:
            self.errors.append(f"reply for {iv.interview_id} refused: {err}")
            return False
        # The listener records the lines on the event loop; let it finish before time moves.
        for _ in range(200):
            view = await self.hb.page_view(f"candidacy-{iv.role}-{iv.candidate}")
            if any(p.interview_id == iv.interview_id and p.feedback for p in view.interviews):
                return True
            await asyncio.sleep(0.05)
        self.errors.append(f"the reply for {iv.interview_id} was not recorded")
        return False

    # -- the clock --

    async def now(self) -> datetime:
        return (await self.env.get_current_time()).astimezone(UTC)

    async def settle(self) -> None:
        """Wait until the worker has delivered what came due (the test server holds its clock
        while an activity runs, so this is real time only)."""
        last, quiet_since = -1, time.monotonic()
        while time.monotonic() - quiet_since < 0.1:
            if len(self.sink.received) != last:
                last, quiet_since = len(self.sink.received), time.monotonic()
            await asyncio.sleep(0.03)

    async def play(self, horizon: datetime, progress: Callable[[str], None]) -> None:
        start = await self.now()
        t0 = self.script.params.t0
        if t0 > start:
            await self.env.sleep(t0 - start)
        self.schedule_script()
        last_report = 0.0
        while True:
            now = await self.now()
            self.look_at_mail()
            while self.queue and self.queue[0][0] <= now:
                _at, _seq, work = heapq.heappop(self.queue)
                await work.what()
            if now >= horizon:
                break
            target = min(horizon, now + STEP, self.queue[0][0] if self.queue else horizon)
            if target > now:
                await self.env.sleep(target - now)
            await self.settle()
            if time.monotonic() - last_report > 10:
                last_report = time.monotonic()
                progress(f"simulated {now:%Y-%m-%d %H:%M} UTC, {len(self.sink.received)} mails")

    def deliveries(self) -> list[Delivered]:
        out = []
        for rcpts, msg in self.sink.received:
            known = self.sent.get(str(msg["Message-ID"]))
            if known is None:
                continue
            message_id, at = known
            workflow_id, _seq, kind = message_id.rsplit(".", 2)
            role, cand = split_candidacy(workflow_id)
            out.append(
                Delivered(
                    role=role, candidate=cand, kind=kind, to=rcpts[0], at=at, text=text_of(msg)
                )
            )
        return out


def timelines(mails: list[Delivered]) -> dict[str, list[str]]:
    """Per candidacy, what was delivered when (simulated UTC) and to whom: no text."""
    out: dict[str, list[str]] = {}
    for d in sorted(mails, key=lambda m: m.at):
        who = "candidate" if d.to.endswith("@candidates.example") else d.to.split("@")[0]
        out.setdefault(f"{d.role}/{d.candidate}", []).append(
            f"{d.at.astimezone(UTC):%Y-%m-%d %H:%M} {d.kind} -> {who}"
        )
    return out


def split_candidacy(workflow_id: str) -> tuple[str, str]:
    """`candidacy-r3-c0042` -> ("r3", "c0042") (the simulation's ids carry no dashes)."""
    _, role, cand = workflow_id.split("-", 2)
    return role, cand


def reason_of(message: str) -> str:
    return message.split(":", maxsplit=1)[0][:80]


@contextlib.asynccontextmanager
async def heardback_stack(
    env: WorkflowEnvironment, tmp: Path, smtp_port: int, sink: Sink, script: Script
) -> AsyncIterator[HeardbackRun]:
    gateway_port = free_port()
    settings = Settings(
        task_queue="heardback-simulation",
        worker_build_id=None,
        outbox_dir=tmp / "outbox",
        ledger_path=tmp / "ledger.sqlite3",
        webhook_dedupe_path=tmp / "webhooks.sqlite3",
        mail_transport="smtp",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_security="none",
        encryption="off",
        link_keys=SecretStr(LINK_KEY),
        public_url=f"http://127.0.0.1:{gateway_port}",
        inbound_smtp_port=free_port(),
        page_rate_limit="100000/minute",
        message_id_domain=MESSAGE_DOMAIN,
    )
    hb = HeardbackClient(env.client, task_queue=settings.task_queue)
    run = HeardbackRun(script=script, hb=hb, env=env, settings=settings, sink=sink)
    acts = build_activities(settings, transport=SimTransport(build_transport(settings), run.noted))
    await ensure_search_attributes(env.client)
    server = uvicorn_server(create_app(settings, client=hb), "127.0.0.1", gateway_port)
    serving = asyncio.create_task(server.serve())
    try:
        # The gateway's lifespan starts its reply listener too (inbound_smtp_port is set).
        async with running(
            build_worker(env.client, settings, activities=acts), env.client, settings
        ):
            for _ in range(200):
                if server.started:
                    break
                await asyncio.sleep(0.05)
            yield run
    finally:
        server.should_exit = True
        await serving


# --- the whole thing --------------------------------------------------------------------------


async def simulate(params: Params, progress: Callable[[str], None]) -> dict[str, Any]:
    script = build(params)
    progress(
        f"script {script.digest()}: {len(script.applicants)} applicants, "
        f"{len(script.interviews)} interviews, {len(script.roles)} roles"
    )
    with tempfile.TemporaryDirectory(prefix="heardback-sim-") as tmp:
        began = time.monotonic()
        with mail_server() as (sink, port):
            await asyncio.to_thread(run_plain, script, port)
            plain = plain_deliveries(sink.received)
        progress(f"plain ATS: {len(plain)} mails")
        with mail_server() as (sink, port):
            env = await WorkflowEnvironment.start_time_skipping(
                test_server_existing_path=str(TEST_SERVER), data_converter=DATA_CONVERTER
            )
            try:
                async with heardback_stack(env, Path(tmp), port, sink, script) as run:
                    await run.play(params.horizon, progress)
                    await run.settle()
                    hb_mail = run.deliveries()
                    channels = dict(run.channel_used)
                    refused, errors = dict(run.refused), list(run.errors)
            finally:
                await env.shutdown()
        elapsed = time.monotonic() - began
    progress(f"heardback: {len(hb_mail)} mails; {elapsed:.0f} s in all")
    return {
        "seed": params.seed,
        "script": script.digest(),
        "params": {
            "roles": params.roles,
            "applicants": len(script.applicants),
            "interviews": len(script.interviews),
            "weeks": params.weeks,
            "measured_until": params.horizon.isoformat(),
        },
        "plain_ats": measure(script, plain, channels={}),
        "heardback": measure(script, hb_mail, channels=channels),
        "heardback_refused": refused,
        "heardback_errors": errors,
        "timelines": {
            "plain_ats": timelines(plain),
            "heardback": timelines(hb_mail),
        },
        "wall_seconds": round(elapsed, 1),
    }


async def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = Params()
    ap.add_argument("--seed", type=int, default=defaults.seed)
    ap.add_argument("--roles", type=int, default=defaults.roles)
    ap.add_argument("--applicants", type=int, default=defaults.applicants)
    ap.add_argument("--weeks", type=int, default=defaults.weeks)
    ap.add_argument("--tail-days", type=int, default=defaults.tail_days)
    ap.add_argument("--json", type=Path, help="write the figures as JSON here")
    ap.add_argument("--markdown", type=Path, help="rewrite the figures' table in this file")
    ap.add_argument("--html", type=Path, help="write a self-contained page with charts here")
    args = ap.parse_args(argv)
    params = Params(
        seed=args.seed,
        roles=args.roles,
        applicants=args.applicants,
        weeks=args.weeks,
        tail_days=args.tail_days,
    )

    configure_logging("WARNING")  # one line per delivery would bury the progress

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    result = await simulate(params, progress)
    print(table(result))
    shown = {k: v for k, v in result.items() if k != "timelines"}
    print(json.dumps(shown, indent=2, default=str))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str) + "\n")
    if args.markdown:
        render_markdown(args.markdown, result)
    if args.html:
        args.html.write_text(render_html(result))
    return 1 if result["heardback_errors"] else 0


if __name__ == "__main__":
    run_and_exit(main)
