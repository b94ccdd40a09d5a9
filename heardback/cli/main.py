"""`heardback`: the command line for recruiters' tooling, operators and scripts.

Every verb talks to Temporal through :class:`starter.client.HeardbackClient`, with the settings
of the worker (``HEARDBACK_TEMPORAL_ADDRESS``, ``HEARDBACK_NAMESPACE``, ...) or the flags below.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import sys
import textwrap
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import structlog
from pydantic import BaseModel, TypeAdapter, ValidationError
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from heardback.gateway.ats_store import AtsStore
from heardback.runtime.converter import codec_from, data_converter
from heardback.runtime.settings import Settings, get_settings, tokens
from heardback.runtime.temporal import connect_options, run_and_exit
from heardback.starter.client import CandidacyListing, HeardbackClient
from heardback.starter.report import build_report, render_html, summary_rows
from heardback.workflows.decoding import describe_errors
from heardback.workflows.errors import HeardbackError, InvalidInput, NotFound, Refused
from heardback.workflows.models import (
    AdvanceCohort,
    Candidate,
    CloseRole,
    Decide,
    InterviewCompleted,
    OfferUpdate,
    PauseRole,
    Role,
    RoleInput,
    ScreeningOverride,
    Status,
    SubmitFeedback,
    Via,
    Withdraw,
)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_REFUSED = 2

_DURATION = TypeAdapter(timedelta)
_DATETIME = TypeAdapter(datetime)

DESCRIPTION = """\
heardback: every candidate hears back.

Drive roles and candidacies from the command line. Each candidate of a role is a durable
workflow that keeps the promises: an acknowledgement, news at least every 7 days, feedback for
every round, and one final outcome.

Connection: the same settings as the worker (HEARDBACK_TEMPORAL_ADDRESS, default localhost:7233,
and HEARDBACK_NAMESPACE, default "default"), or --address and --namespace.
"""

EPILOG = """\
examples:
  heardback role open r-42 --title "Backend Engineer" --company Acme \\
      --contact hiring@acme.example --stages application,screen,onsite
  heardback candidate add r-42 c-7 --name "Ada Lovelace" --email ada@example.org
  heardback interview r-42 c-7 --interview i-1 --stage screen \\
      --interviewer bob@acme.example --duration PT45M --feedback "Clear about trade-offs."
  heardback decide r-42 c-7 advance --next-stage onsite
  heardback status r-42 c-7
  heardback overdue --within P1D
  heardback report --role r-42 --html report.html
  heardback role close r-42 filled --wait

exit codes:
  0  done
  2  refused: the input is invalid, not allowed now, or names no such role or candidacy
     (the reason is printed)
  1  anything else (Temporal unreachable, an unexpected error)

Durations are ISO 8601 (PT45M, P2D); times are RFC 3339 with an offset
(2026-12-01T09:00:00+00:00). Add --json to any command for machine-readable output.
"""


class Out:
    """Prints results as JSON (--json) or for people (rich)."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.console = Console()
        self.err = Console(stderr=True)

    def data(self, value: Any) -> None:
        if isinstance(value, BaseModel):
            text = value.model_dump_json(indent=2)
        else:
            text = json.dumps(TypeAdapter(type(value)).dump_python(value, mode="json"), indent=2)
        sys.stdout.write(text + "\n")

    def done(self, message: str, value: Any = None) -> None:
        if self.as_json:
            self.data(value if value is not None else {"ok": True, "message": message})
        else:
            self.console.print(message)


# --- argument types ------------------------------------------------------------------------------


def duration(text: str) -> timedelta:
    try:
        return _DURATION.validate_python(text)
    except ValidationError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 duration (e.g. PT45M, P2D)"
        ) from None


def moment(text: str) -> datetime:
    try:
        value = _DATETIME.validate_python(text)
    except ValidationError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an RFC 3339 time (e.g. 2026-12-01T09:00:00+00:00)"
        ) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset (e.g. +00:00)")
    return value


def csv_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


# --- commands ------------------------------------------------------------------------------------

Handler = Callable[[HeardbackClient, argparse.Namespace, Out], Awaitable[int]]


def _quiet(value: str) -> str | None:
    return None if value.strip().lower() in ("off", "none") else value.strip()


async def cmd_role_open(c: HeardbackClient, a: argparse.Namespace, out: Out) -> int:
    inp = RoleInput(
        role=Role(
            id=a.role_id,
            title=a.title,
            company=a.company,
            contact_email=a.contact,
            survey_url=a.survey_url,
        ),
        **({"stages": a.stages} if a.stages else {}),
        **({"policy": {"quiet_hours": _quiet(a.quiet_hours)}} if a.quiet_hours else {}),
    )
    workflow_id = await c.open_role(inp)
    out.done(f"role {a.role_id} is open ({workflow_id})", {"workflow_id": workflow_id})
    return EXIT_OK


async def cmd_role_summary(c: HeardbackClient, a: argparse.Namespace, out: Out) -> int:
    s = await c.summary(a.role_id)
    if out.as_json:
        out.data(s)
        return EXIT_OK
    t = Table(title=f"role {s.role_id}: {s.status}", show_header=False)
    t.add_row("paused until", str(s.paused_until or "-"))
    for label, counts in (
        ("by state", s.by_state),
        ("by stage", s.by_stage),
        ("finished", s.finished_by_outcome),
    ):
        t.add_row(label, ", ".join(f"{k}: {v}" for k, v in counts.items()) or "-")
    t.add_row("messages owed", str(s.messages_owed))
    t.add_row("role-wide commands still to deliver", str(s.fan_out_remaining))
    out.console.print(t)
    return EXIT_OK


async def cmd_role_pause(c: HeardbackClient, a: argparse.Namespace, out: Out) -> int:
    until = a.until or (datetime.now(UTC) + a.for_)
    r = await c.pause_role(a.role_id, PauseRole(until=until, reason=a.reason))
    out.done(f"role {a.role_id} paused until {until.isoformat()}; {r.affected} told", r)
    return EXIT_OK


async def cmd_role_resume(c: HeardbackClient, a: argparse.Namespace, out: Out) -> int:
    r = await c.resume_role(a.role_id)
    out.done(f"role {a.role_id} resumed", r)
    return EXIT_OK


async def cmd_role_close(c: HeardbackClient, a: argparse.Namespace, out: Out) -> int:
    r = await c.close_role(a.role_id, CloseRole(reason=a.reason, note=a.note))
    if a.wait and r.affected:
        await _wait_for_fan_out(c, a.role_id, r.affected, out)
    out.done(f"role {a.role_id} closed ({a.reason}); {r.affected} candidates told", r)
    return EXIT_OK


async def _wait_for_fan_out(c: HeardbackClient, role_id: str, total: int, out: Out) -> None:
    with Progress(console=out.err, transient=True, disable=out.as_json) as progress:
        task = progress.add_task("telling candidates", total=total)
        while True:
            remaining = (await c.summary(role_id)).fan_out_remaining
            progress.update(task, completed=total - remaining)
            if remaining == 0:
                return
            await asyncio.sleep(0.5)


async def cmd_role_advance(c: HeardbackClient, a: argparse.Namespace, out: Out) -> int:
    r = await c.advance_cohort(
        a.role_id,
        AdvanceCohort(stage=a.stage, advanced=a.advanced, others=a.others, feedback=a.feedback),
    )
    if out.as_json:
        out.data(r)
    else:
        out.console.print(
            f"advanced {len(r.advanced)}, rejected {len(r.rejected)}, held {len(r.held)}"
        )
        for refused in r.refused:
            out.console.print(f"  {refused.candidate_id}: refused: {refused.refused}")
    return EXIT_OK


async def cmd_candidate_add(c: HeardbackClient, a: argparse.Namespace, out: Out) -> int:
    workflow_id = await c.add_candidate(
        a.role_id, Candidate(id=a.candidate_id, name=a.name, email=a.email)
    )
    out.done(f"candidate {a.candidate_id} added ({workflow_id})", {"workflow_id": workflow_id})
    return EXIT_OK


async def cmd_interview(c: HeardbackClient, a: argparse.Namespace, out: Out) -> int:
    await c.record_interview(
        a.role_id,
        a.candidate_id,
        InterviewCompleted(
            interview_id=a.interview,
            stage=a.stage,
            interviewer_email=a.interviewer,
            duration=a.duration,
            feedback=a.feedback,
        ),
    )
    # A signal is accepted before it is checked: confirm the candidacy did not reject it.
    await asyncio.sleep(0.3)
    st = await c.status(a.role_id, a.candidate_id)
    if any(iv.interview_id == a.interview for iv in st.interviews):
        out.done(f"interview {a.interview} recorded", {"recorded": True})
        return EXIT_OK
    rejected = [r for r in st.rejected_inputs if r.source.endswith("interview_completed")]
    if rejected:
        raise Refused(rejected[-1].reason)
    out.done(f"interview {a.interview} sent; not yet visible in the status", {"recorded": None})
    return EXIT_OK


OVERRIDE_HELP = (
    "send lines that screening refused as written (e.g. a word it misread); the reason is "
    "recorded in the workflow's history"
)


async def cmd_feedback(c: HeardbackClient, a: argparse.Namespace, out: Out) -> int:
    cmd = SubmitFeedback(
        interview_id=a.interview,
        feedback=a.line,
        internal_notes=a.notes,
        override=_override(a),
        via=Via(channel="cli"),
    )
    r = await c.submit_feedback(a.role_id, a.candidate_id, cmd)
    out.done(f"feedback recorded; {len(r.message_ids)} message(s) queued", r)
    return EXIT_OK


async def cmd_decide(c: HeardbackClient, a: argparse.Namespace, out: Out) -> int:
    r = await c.decide(
        a.role_id,
        a.candidate_id,
        Decide(
            outcome=a.outcome,
            next_stage=a.next_stage,
            hold_until=a.hold_until,
            feedback=a.feedback,
            override=_override(a),
            via=Via(channel="cli", actor="contact"),
        ),
    )
    out.done(f"decided: {a.outcome}; now {r.state} at {r.stage}", r)
    return EXIT_OK


def _override(a: argparse.Namespace) -> ScreeningOverride | None:
    """`--send-as-written REASON`: lines screening refused are sent anyway, the reason kept in
    the workflow's history."""
    return ScreeningOverride(reason=a.send_as_written) if a.send_as_written else None


async def cmd_withdraw(c: HeardbackClient, a: argparse.Namespace, out: Out) -> int:
    r = await c.withdraw(a.role_id, a.candidate_id, Withdraw(reason=a.reason))
    out.done("withdrawal recorded; the candidate will get a confirmation", r)
    return EXIT_OK


async def cmd_erase(c: HeardbackClient, a: argparse.Namespace, out: Out) -> int:
    role_id, candidate_id = a.role or a.role_id, a.candidate or a.candidate_id
    if not role_id or not candidate_id:
        raise InvalidInput("name the candidacy: erase ROLE CANDIDATE (or --role R --candidate C)")
    r = await c.erase(role_id, candidate_id)
    out.done(
        f"erased: {r.data_keys} data keys destroyed (its payloads are unreadable), "
        f"{r.files} message copies, {r.ledger_rows} ledger rows; "
        f"history {'deleted' if r.history_deleted else 'already gone'}",
        r,
    )
    return EXIT_OK


async def _offline(c: HeardbackClient, a: argparse.Namespace, out: Out) -> int:
    raise AssertionError("an offline command runs before connecting (see run)")


def cmd_keys_rewrap(settings: Settings, out: Out, _: argparse.Namespace) -> int:
    """Re-wrap every data key under the active master key (offline: no Temporal needed)."""
    codec = codec_from(settings)
    if codec is None:
        _fail(out, "refused", "encryption is off: there are no data keys to re-wrap")
        return EXIT_REFUSED
    n = codec.keys.rewrap()
    out.done(
        f"{n} data keys re-wrapped under master key {codec.keys.wrapper.active_id!r}; histories "
        "are unchanged. Remove an older master key once no history sealed by it before 1.3 "
        "is kept.",
        {"rewrapped": n, "master_key": codec.keys.wrapper.active_id},
    )
    return EXIT_OK


def cmd_webhook_events(settings: Settings, out: Out, a: argparse.Namespace) -> int:
    """What became of provider events (offline: reads the gateway's provider store)."""
    if not settings.ats_store_path.exists():
        _fail(out, "not_found", f"no provider store at {settings.ats_store_path} (no events yet)")
        return EXIT_REFUSED
    store = AtsStore(settings.ats_store_path)
    try:
        rows = store.events(a.status, a.limit)
    finally:
        store.close()
    if out.as_json:
        out.data([dataclasses.asdict(r) for r in rows])
        return EXIT_OK
    t = Table(title=f"provider events ({a.status or 'all'}), newest first")
    for col in ("event", "provider", "action", "received", "status", "reason"):
        t.add_column(col, overflow="fold")
    for r in rows:
        received = datetime.fromtimestamp(r.received_at, UTC).strftime("%Y-%m-%d %H:%M:%S")
        t.add_row(r.event_key, r.provider, r.action, received, r.status, r.reason or "")
    out.console.print(t)
    if any(r.status == "failed" and r.has_body for r in rows):
        out.console.print(
            "Retry a dead letter once its cause is fixed: heardback webhooks retry <event>"
        )
    return EXIT_OK


def cmd_webhook_retry(settings: Settings, out: Out, a: argparse.Namespace) -> int:
    """Process a dead letter again, through the gateway that kept it (its
    `POST /v1/webhooks/events/{event}/retry`): the gateway holds the sealed body and the
    provider's credentials, so the retry runs there, exactly as a new delivery would."""
    base = a.gateway or _local_gateway(settings)
    token = a.token or next(iter(tokens(settings)), None)
    if token is None:
        _fail(out, "refused", "no token: set HEARDBACK_API_TOKENS (or pass --token)")
        return EXIT_REFUSED
    try:
        r = httpx.post(
            f"{base.rstrip('/')}/v1/webhooks/events/{a.event}/retry",
            headers={"Authorization": f"Bearer {token}"},
            timeout=a.timeout,
        )
    except httpx.HTTPError as err:
        _fail(out, "unavailable", f"the gateway at {base} did not answer: {type(err).__name__}")
        return EXIT_ERROR
    try:
        body = r.json()
    except ValueError:
        body = {}
    if r.status_code != 200:
        reason = body.get("detail") or body.get("reason") or body.get("message") or r.text[:200]
        _fail(
            out, "refused" if r.status_code < 500 else "unavailable", f"{r.status_code}: {reason}"
        )
        return EXIT_REFUSED if r.status_code < 500 else EXIT_ERROR
    status = body.get("status", "?")
    said = f"{a.event}: {status}" + (f" ({body['reason']})" if body.get("reason") else "")
    out.done(said, body)
    return EXIT_OK if status in ("processed", "accepted", "ignored", "duplicate") else EXIT_REFUSED


def _local_gateway(settings: Settings) -> str:
    host = settings.gateway_host
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - a listening address, not a bind
        host = "127.0.0.1"
    return f"http://{host}:{settings.gateway_port}"


async def cmd_offer(c: HeardbackClient, a: argparse.Namespace, out: Out) -> int:
    r = await c.offer_update(a.role_id, a.candidate_id, OfferUpdate(event=a.event))
    out.done(f"offer: {a.event.replace('_', ' ')} recorded", r)
    return EXIT_OK


async def cmd_status(c: HeardbackClient, a: argparse.Namespace, out: Out) -> int:
    st = await c.status(a.role_id, a.candidate_id)
    if out.as_json:
        out.data(st)
        return EXIT_OK
    _print_status(st, out)
    return EXIT_OK


def _print_status(st: Status, out: Out) -> None:
    head = Table(title=st.workflow_id, show_header=False)
    head.add_row("state", st.state + (f" ({st.outcome})" if st.outcome else ""))
    head.add_row("stage", st.stage)
    head.add_row("hours invested", f"{st.hours_invested:.2f}")
    if st.next_deadline:
        head.add_row("next", f"{st.next_deadline.kind} by {_when(st.next_deadline.due_at)}")
    head.add_row("last heard from us", _when(st.last_delivered_at))
    out.console.print(head)
    msgs = Table(title="messages")
    for col in ("kind", "to", "queued", "delivered", "status"):
        msgs.add_column(col)
    for m in st.messages:
        msgs.add_row(m.kind, m.recipient, _when(m.queued_at), _when(m.delivered_at), m.status)
    out.console.print(msgs)
    if st.interviews:
        ivs = Table(title="interviews")
        for col in ("interview", "stage", "duration", "feedback lines", "delivered"):
            ivs.add_column(col)
        for iv in st.interviews:
            ivs.add_row(
                iv.interview_id,
                iv.stage,
                str(iv.duration),
                str(iv.feedback_lines),
                "yes" if iv.feedback_delivered else "no",
            )
        out.console.print(ivs)
    for r in st.rejected_inputs:
        out.console.print(f"[yellow]rejected input[/] {r.source}: {r.reason}")


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


async def cmd_overdue(c: HeardbackClient, a: argparse.Namespace, out: Out) -> int:
    found = await c.overdue(within=a.within, role_id=a.role)
    if out.as_json:
        out.data(found)
        return EXIT_OK
    now = datetime.now(UTC)
    t = Table(title=f"obligations late or due within {a.within}")
    for col in ("candidacy", "state", "stage", "due", "overdue by", "last heard from us"):
        t.add_column(col)
    for item in found:
        late = item.overdue_by(now)
        t.add_row(
            item.workflow_id,
            item.state or "-",
            item.stage or "-",
            _when(item.next_deadline),
            str(late).split(".")[0] if late else "-",
            _when(item.last_delivered_at),
        )
    out.console.print(t if found else "nothing overdue or due soon")
    return EXIT_OK


async def cmd_report(c: HeardbackClient, a: argparse.Namespace, out: Out) -> int:
    listings: list[CandidacyListing] = [item async for item in c.list_candidacies(role_id=a.role)]
    statuses: list[Status] = []
    gate = asyncio.Semaphore(16)

    async def fetch(workflow_id: str) -> None:
        async with gate:
            with contextlib.suppress(NotFound):  # removed by retention since it was listed
                statuses.append(await c.status_of(workflow_id))

    with Progress(console=out.err, transient=True, disable=out.as_json) as progress:
        task = progress.add_task("reading candidacies", total=len(listings))

        async def one(workflow_id: str) -> None:
            await fetch(workflow_id)
            progress.advance(task)

        await asyncio.gather(*(one(item.workflow_id) for item in listings))
    report = build_report(statuses, datetime.now(UTC), role_id=a.role)
    if a.html:
        await asyncio.to_thread(Path(a.html).write_text, render_html(report), encoding="utf-8")
    if out.as_json:
        out.data(report)
        return EXIT_OK
    t = Table(title=f"heardback report: {'role ' + a.role if a.role else 'all roles'}")
    for col in ("figure", "value", "detail"):
        t.add_column(col)
    for row in summary_rows(report):
        t.add_row(*row)
    out.console.print(t)
    if a.html:
        out.console.print(f"written to {a.html}")
    return EXIT_OK


# --- the parser ----------------------------------------------------------------------------------


def _fmt(prog: str) -> argparse.RawDescriptionHelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def _common_options(p: argparse.ArgumentParser, default: Any = None) -> argparse.ArgumentParser:
    p.add_argument(
        "--json",
        action="store_true",
        default=False if default is None else default,
        help="print machine-readable JSON",
    )
    p.add_argument("--address", default=default, help="Temporal host:port (default: settings)")
    p.add_argument("--namespace", default=default, help="Temporal namespace (default: settings)")
    return p


def build_parser() -> argparse.ArgumentParser:  # noqa: PLR0915 - one declarative parser
    common = _common_options(argparse.ArgumentParser(add_help=False))
    # Repeated on each command, without defaults, so `heardback --json status ...` and
    # `heardback status ... --json` both work (a subparser's default would override the first).
    again = _common_options(argparse.ArgumentParser(add_help=False), default=argparse.SUPPRESS)

    p = argparse.ArgumentParser(
        prog="heardback",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=_fmt,
        parents=[common],
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def cmd(
        parent: Any, name: str, handler: Handler, summary: str, detail: str = ""
    ) -> argparse.ArgumentParser:
        sp: argparse.ArgumentParser = parent.add_parser(
            name,
            help=summary,
            description=summary + ("\n\n" + textwrap.dedent(detail) if detail else ""),
            formatter_class=_fmt,
            parents=[again],
        )
        sp.set_defaults(handler=handler)
        return sp

    # role
    role = sub.add_parser(
        "role", help="open, inspect, pause, resume, close a role; advance a cohort"
    )
    role_sub = role.add_subparsers(dest="role_command", metavar="ACTION", required=True)
    sp = cmd(
        role_sub,
        "open",
        cmd_role_open,
        "Open a role (idempotent: opening it again finds the running one).",
    )
    sp.add_argument("role_id", help="your id for the role (letters, digits, . _ -)")
    sp.add_argument("--title", required=True, help="job title, as candidates see it")
    sp.add_argument("--company", required=True)
    sp.add_argument("--contact", required=True, help="recruiting contact email (Reply-To)")
    sp.add_argument("--stages", type=csv_list, help="comma-separated stage names, in order")
    sp.add_argument("--survey-url", help="process survey, sent after the outcome")
    sp.add_argument(
        "--quiet-hours",
        metavar="HH:MM/HH:MM|off",
        help="candidates' local hours when no mail goes out (default 21:00/08:00); off for none",
    )

    sp = cmd(role_sub, "summary", cmd_role_summary, "Counts by state, stage and outcome.")
    sp.add_argument("role_id")

    sp = cmd(
        role_sub,
        "pause",
        cmd_role_pause,
        "Pause hiring: every open candidate is told why and until when.",
    )
    sp.add_argument("role_id")
    when = sp.add_mutually_exclusive_group(required=True)
    when.add_argument("--until", type=moment, help="RFC 3339 time the pause ends")
    when.add_argument("--for", dest="for_", type=duration, help="how long, e.g. P14D")
    sp.add_argument("--reason", help="shown to candidates")

    sp = cmd(role_sub, "resume", cmd_role_resume, "Resume a paused role.")
    sp.add_argument("role_id")

    sp = cmd(
        role_sub,
        "close",
        cmd_role_close,
        "Close a role: everyone still waiting is told it was filled or cancelled.",
        "Candidates who already have their outcome (an offer, a rejection) are not written to\n"
        "again. --wait shows progress until every open candidacy has been told.",
    )
    sp.add_argument("role_id")
    sp.add_argument("reason", choices=["filled", "cancelled"])
    sp.add_argument("--note", help="one line for the candidates")
    sp.add_argument("--wait", action="store_true", help="wait until everyone has been told")

    sp = cmd(
        role_sub,
        "advance",
        cmd_role_advance,
        "Advance a cohort: move the named candidates on, reject or hold the rest of the stage.",
    )
    sp.add_argument("role_id")
    sp.add_argument("--stage", required=True, help="the stage they move to")
    sp.add_argument("--advanced", type=csv_list, default=[], help="comma-separated candidate ids")
    sp.add_argument("--others", required=True, choices=["reject", "hold"])
    sp.add_argument("--feedback", action="append", default=[], help="a line for the others")

    # candidate
    cand = sub.add_parser("candidate", help="add a candidate to a role")
    cand_sub = cand.add_subparsers(dest="candidate_command", metavar="ACTION", required=True)
    sp = cmd(
        cand_sub,
        "add",
        cmd_candidate_add,
        "Add a candidate to an open role; they are acknowledged at once (idempotent).",
    )
    sp.add_argument("role_id")
    sp.add_argument("candidate_id", help="your id for the candidate (never a name or email)")
    sp.add_argument("--name", required=True)
    sp.add_argument("--email", required=True)

    # candidacy verbs
    def target(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("role_id")
        sp.add_argument("candidate_id")

    sp = cmd(
        sub,
        "interview",
        cmd_interview,
        "Record a completed interview (and any feedback written so far).",
        "Missing feedback is chased from the interviewer after the policy's feedback_due.",
    )
    target(sp)
    sp.add_argument("--interview", required=True, help="interview id")
    sp.add_argument("--stage", required=True)
    sp.add_argument("--interviewer", required=True, help="interviewer email (for reminders)")
    sp.add_argument("--duration", required=True, type=duration, help="e.g. PT1H")
    sp.add_argument("--feedback", action="append", default=[], help="candidate-facing line")

    sp = cmd(sub, "feedback", cmd_feedback, "Submit candidate-facing feedback for an interview.")
    target(sp)
    sp.add_argument("--interview", required=True)
    sp.add_argument("--line", action="append", required=True, help="repeat for several lines")
    sp.add_argument("--notes", help="internal notes: for the hiring team, never the candidate")
    sp.add_argument("--send-as-written", metavar="REASON", help=OVERRIDE_HELP)

    sp = cmd(
        sub,
        "decide",
        cmd_decide,
        "Decide a stage: advance, reject, hold (as a backup) or offer.",
        "advance needs --next-stage; hold may take --hold-until (default: decision_due).",
    )
    target(sp)
    sp.add_argument("outcome", choices=["advance", "reject", "hold", "offer"])
    sp.add_argument("--next-stage")
    sp.add_argument("--hold-until", type=moment)
    sp.add_argument("--feedback", action="append", default=[], help="a reason for the candidate")
    sp.add_argument("--send-as-written", metavar="REASON", help=OVERRIDE_HELP)

    sp = cmd(sub, "withdraw", cmd_withdraw, "Record that the candidate withdrew.")
    target(sp)
    sp.add_argument("--reason")

    sp = cmd(
        sub,
        "offer",
        cmd_offer,
        "After an offer: its written details went out, or it was accepted or declined.",
    )
    target(sp)
    sp.add_argument("event", choices=["details_sent", "accepted", "declined"])

    sp = cmd(
        sub,
        "erase",
        cmd_erase,
        "Erase a candidate on their request: end the candidacy, delete what is kept of it.",
        "Ends the candidacy if open (no further mail; its role learns it), destroys its data "
        "keys (every payload of it, in any history, becomes unreadable), deletes its outbox "
        "copies, ledger rows and workflow execution.",
    )
    sp.add_argument("role_id", nargs="?")
    sp.add_argument("candidate_id", nargs="?")
    sp.add_argument("--role", help="the role id (instead of the first argument)")
    sp.add_argument("--candidate", help="the candidate id (instead of the second argument)")

    keys = sub.add_parser("keys", help="the encryption's data keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")
    sp = cmd(
        keys_sub,
        "rewrap",
        _offline,
        "Re-wrap every data key under the active master key (after a master key rotation).",
        "Put the new master key first in HEARDBACK_ENCRYPTION_KEYS (or the key file), keep the "
        "old one after it, run this, then remove the old one. Histories are not rewritten.",
    )
    sp.set_defaults(offline=cmd_keys_rewrap)

    hooks = sub.add_parser("webhooks", help="what became of the providers' webhook events")
    hooks_sub = hooks.add_subparsers(dest="webhooks_command", required=True, metavar="COMMAND")
    sp = cmd(
        hooks_sub,
        "events",
        _offline,
        "List provider events (Greenhouse, Lever, Ashby) and what became of them.",
        "Reads the gateway's provider store (HEARDBACK_ATS_STORE_PATH) on the gateway's host: ids, "
        "actions, outcomes and reasons, never bodies. --status failed lists the dead letters.",
    )
    sp.add_argument(
        "--status", choices=["processed", "queued", "ignored", "refused", "failed"], default=None
    )
    sp.add_argument("--limit", type=int, default=100)
    sp.set_defaults(offline=cmd_webhook_events)
    sp = cmd(
        hooks_sub,
        "retry",
        _offline,
        "Process a dead letter again once its cause is fixed (a tenant default, an API key).",
        "Asks the gateway that kept it (--gateway, default HEARDBACK_GATEWAY_HOST:PORT) with the "
        "first of HEARDBACK_API_TOKENS (or --token). Exit 0: processed, accepted, ignored or "
        "duplicate; 2: refused (a 4xx, another status, no token); 1: unreachable or a 5xx.",
    )
    sp.add_argument("event", help="the event's id, as `heardback webhooks events` lists it")
    sp.add_argument("--gateway", default=None, help="the gateway's base URL")
    sp.add_argument("--token", default=None, help="a bearer token of the gateway")
    sp.add_argument("--timeout", type=float, default=60.0)
    sp.set_defaults(offline=cmd_webhook_retry)

    sp = cmd(sub, "status", cmd_status, "Where a candidacy stands: state, deadline, messages.")
    target(sp)

    sp = cmd(
        sub,
        "overdue",
        cmd_overdue,
        "Candidacies whose next obligation is late, or due within --within.",
        "Read from Temporal's visibility store (the HeardbackNextDeadline search attribute).",
    )
    sp.add_argument("--within", type=duration, default=timedelta(0), help="e.g. P1D")
    sp.add_argument("--role", help="only this role")

    sp = cmd(
        sub,
        "report",
        cmd_report,
        "How well candidates hear back: response times, silences, written reasons.",
        "Figures are defined in the README. --html writes a self-contained page with charts.",
    )
    sp.add_argument("--role", help="only this role")
    sp.add_argument("--html", metavar="FILE", help="also write an HTML report")
    return p


async def run(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    out = Out(args.json)
    settings = get_settings()
    handler: Handler = args.handler
    # Warnings (such as "encryption is off") go to stderr: stdout is the command's answer.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stderr))
    try:
        offline = getattr(args, "offline", None)
        if offline is not None:
            return int(offline(settings, out, args))
        converter = data_converter(settings)
    except ValueError as err:  # no keys, and encryption not explicitly off
        _fail(out, "error", str(err))
        return EXIT_ERROR
    try:
        client = await HeardbackClient.connect(
            args.address or settings.temporal_address,
            namespace=args.namespace or settings.namespace,
            task_queue=settings.task_queue,
            data_converter=converter,
            **connect_options(settings),
        )
        return await handler(client, args, out)
    except (InvalidInput, Refused, NotFound) as err:
        _fail(out, "refused", err.reason)
        return EXIT_REFUSED
    except ValidationError as err:
        _fail(out, "refused", describe_errors(err))
        return EXIT_REFUSED
    except HeardbackError as err:
        _fail(out, "error", err.reason)
        return EXIT_ERROR


def _fail(out: Out, kind: str, reason: str) -> None:
    if out.as_json:
        sys.stdout.write(json.dumps({"ok": False, "error": kind, "reason": reason}) + "\n")
    else:
        out.err.print(f"[bold red]{kind}:[/] {reason}", highlight=False)


def main() -> None:
    """Console-script entry point; exits without the SDK's interpreter-teardown abort."""
    run_and_exit(run)


if __name__ == "__main__":
    main()
