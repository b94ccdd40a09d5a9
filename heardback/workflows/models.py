"""Pydantic models of the public contract and of a candidacy's durable state.

Commands (start input, signals, updates) are frozen and forbid unknown fields, so a typo in a
backend's payload is refused with a clear reason instead of being ignored. Every field added after
the first release must have a default, so that histories already running still decode.

Durations are ISO-8601 (``P7D``, ``PT30S``) and times RFC 3339 with an offset, on the wire.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    WithJsonSchema,
    model_serializer,
    model_validator,
)

# --- constrained scalar types ------------------------------------------------------------------

# 96 characters: a tenant's ids (at most 64 as it sends them) carry its prefix (`acme.r1`).
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")
_EMAIL_RE = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def check_id(value: str) -> str:
    if not _ID_RE.match(value):
        raise ValueError(
            "ids are 1-96 characters of letters, digits, '.', '_' or '-' (no names, no emails)"
        )
    return value


def _check_email(value: str) -> str:
    if len(value) > 254 or not _EMAIL_RE.match(value):
        raise ValueError("not an email address")
    return value


def _check_line(value: str) -> str:
    _no_control(value.replace("\n", " ").replace("\r", " ").replace("\t", " "))
    stripped = value.strip()
    if not stripped:
        raise ValueError("feedback lines must not be blank")
    if len(stripped) > 2000:
        raise ValueError("a feedback line is at most 2000 characters")
    return stripped


def _check_single_line(value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise ValueError("must not be blank")
    if "\n" in stripped or "\r" in stripped:
        raise ValueError("must be a single line")
    _no_control(stripped)
    if len(stripped) > 200:
        raise ValueError("at most 200 characters")
    return stripped


def _check_url(value: str) -> str:
    if not re.match(r"^https?://[^\s]+$", value) or len(value) > 2000:
        raise ValueError("must be an http(s) URL")
    return value


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_LOCALE_RE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
_QUIET_RE = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])/([01][0-9]|2[0-3]):([0-5][0-9])$")


def _no_control(value: str) -> str:
    """Control characters (and bidirectional overrides) never reach a message: they can break a
    mail header, hide text, or reorder what a candidate reads. Newlines are checked where a field
    is a single line; a tab is allowed in multi-line text."""
    found = _CONTROL_RE.search(value)
    if found:
        raise ValueError(f"must not contain control characters (found U+{ord(found.group()):04X})")
    return value


def _check_time_zone(value: str) -> str:
    from zoneinfo import ZoneInfo  # noqa: PLC0415 - allowed in the workflow sandbox

    try:
        ZoneInfo(value)
    except (ValueError, KeyError, OSError):
        raise ValueError(
            f"unknown time zone {value!r}: use an IANA name such as Asia/Tokyo"
        ) from None
    return value


def _check_locale(value: str) -> str:
    if not _LOCALE_RE.match(value):
        raise ValueError("a locale is a BCP 47 language tag such as en, de or fr-CA")
    return value.replace("_", "-")


def _check_country(value: str) -> str:
    if not _COUNTRY_RE.match(value):
        raise ValueError("a holiday calendar is an ISO 3166 country code such as DE or JP")
    return value


def _check_quiet_hours(value: str) -> str:
    m = _QUIET_RE.match(value)
    if not m or m.group(1, 2) == m.group(3, 4):
        raise ValueError("quiet hours are a local-time window HH:MM/HH:MM, e.g. 21:00/08:00")
    return value


def _not_a_number(value: object) -> object:
    """The contract's durations and times are strings (ISO 8601, RFC 3339), as the schema says;
    a number or a boolean (seconds? a timestamp?) is refused rather than guessed at."""
    if not isinstance(value, str | timedelta | datetime):
        raise ValueError(  # noqa: TRY004 - pydantic reports ValueError, not TypeError
            "must be a string: ISO 8601 for durations (P7D), RFC 3339 for times"
        )
    return value


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("durations must be positive")
    return value


# The JSON schemas (for the OpenAPI document) state the same rules the validators enforce.
Id = Annotated[
    str,
    AfterValidator(check_id),
    WithJsonSchema(
        {"type": "string", "pattern": _ID_RE.pattern, "description": "an id, never a name"}
    ),
]
Email = Annotated[
    str,
    AfterValidator(_check_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 254}),
]
FeedbackLine = Annotated[
    str,
    AfterValidator(_check_line),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 2000}),
]
Text = Annotated[
    str,
    AfterValidator(_check_single_line),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"^[^\r\n]+$"}),
]
Url = Annotated[str, AfterValidator(_check_url)]


def _check_note(value: str) -> str:
    _no_control(value.replace("\n", " ").replace("\r", " ").replace("\t", " "))
    return value


Note = Annotated[str, AfterValidator(_check_note)]
TimeZone = Annotated[
    str,
    AfterValidator(_check_time_zone),
    WithJsonSchema({"type": "string", "description": "an IANA time zone, e.g. Asia/Tokyo"}),
]
Locale = Annotated[
    str,
    AfterValidator(_check_locale),
    WithJsonSchema({"type": "string", "pattern": _LOCALE_RE.pattern, "description": "BCP 47"}),
]
Country = Annotated[
    str,
    AfterValidator(_check_country),
    WithJsonSchema({"type": "string", "pattern": _COUNTRY_RE.pattern, "description": "ISO 3166"}),
]
QuietHours = Annotated[
    str,
    AfterValidator(_check_quiet_hours),
    WithJsonSchema({"type": "string", "pattern": _QUIET_RE.pattern}),
]
Duration = Annotated[timedelta, BeforeValidator(_not_a_number), AfterValidator(_positive)]
Moment = Annotated[AwareDatetime, BeforeValidator(_not_a_number)]

MessageKind = Literal[
    "acknowledgement",
    "status_update",
    "delay_explanation",
    "escalation",
    "feedback_reminder",
    "stage_result",
    "rejection",
    "offer",
    "withdrawal_confirmation",
    "role_closed",
    "feedback_update",
    "survey",
]
FINAL_KINDS: frozenset[str] = frozenset(
    {"rejection", "offer", "withdrawal_confirmation", "role_closed"}
)
Recipient = Literal["candidate", "interviewer", "contact"]
Outcome = Literal["advance", "reject", "hold", "offer"]
FinalOutcome = Literal["rejected", "offer", "withdrawn", "role_closed", "erased"]
State = Literal["active", "on_hold", "finishing", "completed", "refused"]
StageDecision = Literal["advance", "rejected", "offer", "withdrawn", "role_closed", "erased"]
DeadlineKind = Literal[
    "silence",
    "decision_due",
    "feedback_due",
    "hold_expiry",
    "feedback_wait",
    # added in 1.1
    "survey",
    "offer_details",
]
OfferEvent = Literal["details_sent", "accepted", "declined"]


class Command(BaseModel):
    """Base of every inbound payload: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- start input -------------------------------------------------------------------------------


class Role(Command):
    id: Id
    title: Text
    company: Text
    contact_email: Email
    survey_url: Url | None = None
    # Added in 1.1 (defaults keep 1.0 inputs valid):
    # whether the survey's answers are anonymous; the survey says so either way. Unset, it says
    # they are not (heardback cannot promise an anonymity it does not know of).
    survey_anonymous: bool | None = None
    locale: Locale = "en"  # the default for its candidates
    time_zone: TimeZone = "UTC"  # the hiring team's; the default for its candidates
    holiday_calendar: Country | None = None  # staff deadlines skip this country's holidays
    # what a candidate reads for each stage id (default: the id, humanised: tech_screen_2 ->
    # "tech screen 2")
    stage_names: dict[str, Text] = Field(default_factory=dict, max_length=100)


class Candidate(Command):
    id: Id
    name: Text
    email: Email
    locale: Locale | None = None  # default: the role's
    time_zone: TimeZone | None = None  # default: the role's
    # False (the ATS says they may not be emailed): every promise's bookkeeping runs, and
    # nothing is sent to the candidate (each message is recorded as `withheld`); staff mail goes.
    can_email: bool = True


class Policy(Command):
    """How long each promise may wait. The defaults are the product's promises."""

    max_silence: Duration = timedelta(days=7)
    decision_due: Duration = timedelta(days=5)
    feedback_due: Duration = timedelta(days=2)
    hold_max: Duration = timedelta(days=21)
    effort_threshold: Duration = timedelta(hours=3)
    # After the outcome went out, missing feedback is chased this long before the candidate is
    # told plainly that it could not be obtained (so a candidacy always ends).
    feedback_wait_max: Duration = timedelta(days=30)
    # Once the candidacy is over, its messages (the outbox copies) are erased after this long.
    retention: Duration = timedelta(days=180)
    # Added in 1.1 (defaults keep 1.0 inputs valid):
    # the survey waits this long after the last of the outcome and the feedback was delivered
    survey_delay: Duration = timedelta(days=2)
    # at most one survey per candidate address in this period, across roles
    survey_cooldown: Duration = timedelta(days=180)
    # a window in the candidate's local time when mail waits, unless waiting breaks a promise
    # (None: off)
    quiet_hours: QuietHours | None = "21:00/08:00"
    # feedback_due and decision_due count working days of the role's calendar when they are
    # whole days ("working"), or calendar time ("calendar"); under a day is always clock time
    staff_days: Literal["working", "calendar"] = "working"
    # after an offer, the written details follow within this long (the offer says by when)
    offer_details_due: Duration = timedelta(days=3)


class CandidacyInput(Command):
    role: Role
    candidate: Candidate
    policy: Policy = Field(default_factory=Policy)
    # Set only by the workflow itself when it continues as new; never by clients.
    carried_state: CandidacyState | None = None


# --- signals and updates -----------------------------------------------------------------------


class ScreeningOverride(Command):
    """A deliberate decision to send candidate-facing lines that screening refused, recorded in
    the workflow's history with the reason."""

    reason: Note = Field(min_length=3, max_length=500)


class Via(Command):
    """Who acted and through which channel, without personal data: recorded in the history with
    the command. `link` is the digest of the signed link used (never the link itself)."""

    channel: Literal["api", "cli", "webhook", "page", "reply"] = "api"
    actor: Literal["interviewer", "contact", "candidate", "backend"] | None = None
    link: str | None = Field(default=None, pattern=r"^[0-9a-f]{16,64}$")


class InterviewCompleted(Command):
    interview_id: Id
    stage: Text
    interviewer_email: Email
    duration: Duration
    feedback: list[FeedbackLine] = Field(default_factory=list, max_length=50)
    # Kept out of every message: interviewers write candidly here. From 1.2 they are kept
    # (encrypted, like all state) for the hiring contact's decision page, labelled internal.
    internal_notes: str | None = Field(default=None, max_length=20000)
    override: ScreeningOverride | None = None  # 1.2: send `feedback` as written (see screening)
    via: Via | None = None

    @model_validator(mode="after")
    def _plausible_duration(self) -> InterviewCompleted:
        if self.duration > timedelta(days=2):
            raise ValueError("an interview or assignment lasts at most P2D")
        return self


class SubmitFeedback(Command):
    interview_id: Id
    feedback: list[FeedbackLine] = Field(min_length=1, max_length=50)
    # Never reach the candidate; shown to the hiring contact on the decision page (1.2).
    internal_notes: str | None = Field(default=None, max_length=20000)
    override: ScreeningOverride | None = None
    via: Via | None = None


class Decide(Command):
    outcome: Outcome
    feedback: list[FeedbackLine] = Field(default_factory=list, max_length=50)
    next_stage: Text | None = None
    hold_until: Moment | None = None
    override: ScreeningOverride | None = None
    via: Via | None = None
    # Added in 1.5: the candidate was already told this outcome by the ATS (a rejection or an
    # offer sent from it): heardback's message then carries only what that one could not, the
    # feedback and written reasons, and is recorded "withheld" when there are none.
    told_by: Literal["ats"] | None = None

    @model_validator(mode="after")
    def _fields_match_outcome(self) -> Decide:
        if self.told_by is not None and self.outcome not in ("reject", "offer"):
            raise ValueError("told_by is only for 'reject' and 'offer'")
        if self.outcome == "advance" and self.next_stage is None:
            raise ValueError("'advance' needs next_stage: the stage the candidate moves to")
        if self.outcome != "advance" and self.next_stage is not None:
            raise ValueError("next_stage is only for 'advance'")
        if self.outcome != "hold" and self.hold_until is not None:
            raise ValueError("hold_until is only for 'hold'")
        return self


class Withdraw(Command):
    reason: Note | None = Field(default=None, max_length=2000)
    via: Via | None = None


class OfferUpdate(Command):
    """What happened to an offer after heardback announced it (the `offer_update` update).

    `details_sent`: the written offer reached the candidate (heardback's promise "the details
    follow by ..." is kept); `accepted` / `declined`: the offer is settled. Until it is settled
    the candidate gets no survey."""

    event: OfferEvent


class UpdateResult(BaseModel):
    """What an accepted update did: the messages it queued and the state it left."""

    state: State
    stage: str
    message_ids: list[str] = Field(default_factory=list)
    # False when a role-wide command found nothing to do here (e.g. the outcome was out already).
    applied: bool = True


# --- role-wide commands: a client sends them to the Role, the Role to each candidacy ------------


class CloseRole(Command):
    """The role was filled or cancelled (`close` on the Role, `role_closed` on a candidacy)."""

    reason: Literal["filled", "cancelled"]
    note: Note | None = Field(default=None, max_length=2000)


class PauseRole(Command):
    """Hiring is paused until a date (`pause` on the Role, `role_paused` on a candidacy)."""

    until: Moment
    reason: Note | None = Field(default=None, max_length=2000)


class ResumeRole(Command):
    """Hiring goes on (`resume` on the Role, `role_resumed` on a candidacy)."""


class CandidacyChanged(BaseModel):
    """Signal a candidacy sends its Role whenever its state or stage changes."""

    candidate_id: str
    state: State
    stage: str
    outcome: FinalOutcome | None = None


# --- messages ----------------------------------------------------------------------------------


class FeedbackSection(BaseModel):
    stage: str  # the stage's display name
    lines: list[str]


class MessageContent(BaseModel):
    """Everything a template may use. Interviewers' internal notes have no field here.

    Serialised without the fields that hold their default (1.8): a message uses a handful of
    its forty fields, and this content rides in every delivery's activity input and every
    queued message a candidacy carries. Reading fills the defaults back, so the model reads
    back equal; a default here must therefore never change meaning (add a field instead)."""

    @model_serializer(mode="wrap")
    def _without_defaults(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for name in _CONTENT_DEFAULTS.keys() & data.keys():
                if getattr(self, name) == _CONTENT_DEFAULTS[name]:
                    del data[name]
        return data

    candidate_name: str
    role_title: str
    company: str
    stage: str
    next_stage: str | None = None
    feedback: list[FeedbackSection] = Field(default_factory=list)
    decision_lines: list[str] = Field(default_factory=list)
    pending_feedback_stages: list[str] = Field(default_factory=list)
    unavailable_feedback_stages: list[str] = Field(default_factory=list)
    hours_invested: float = 0.0
    next_contact_by: datetime | None = None
    hold_until: datetime | None = None
    resumed_from_hold: bool = False
    final_extension: bool = False
    automatic: bool = False
    withdrawal_reason: str | None = None
    survey_url: str | None = None
    reason: str | None = None  # staff messages: why; role messages: filled/cancelled/paused
    interview_id: str | None = None
    candidacy_id: str = ""
    round: int | None = None  # 1.2: the stage round it was written in (scopes decision links)
    retention: timedelta | None = None  # 1.2, the acknowledgement: how long data is kept
    waiting_on: str = ""  # for status updates: what the next step is
    overdue_since: datetime | None = None
    # Added in 1.1:
    locale: str = "en"  # the recipient's (BCP 47); the renderer falls back to a shipped one
    time_zone: str = "UTC"  # the recipient's; every date is shown in it, with the zone named
    # late feedback: by when it arrives or is declared unobtainable
    feedback_expected_by: datetime | None = None
    offer_details_by: datetime | None = None  # an offer: by when the written details follow
    survey_anonymous: bool | None = None  # a survey: whether the answers are anonymous
    # the one message that thanks the candidate for their time (in proportion to it)
    thank_for_time: bool = False
    interview_count: int = 0  # rounds sat (interviews and assignments), for the thanks
    survey_follows: bool = False  # a withdrawal confirmation: a survey will follow
    # a plain copy of a message the mail system refused (its feedback went to the contact)
    plain_resend: bool = False
    # 1.5: the ATS told the candidate this outcome; the message is the feedback that follows
    told_elsewhere: bool = False
    refused_kind: str | None = None  # staff: the kind of the candidate message that was refused


# MessageContent's optional fields and their defaults (what its serialiser leaves out).
_CONTENT_DEFAULTS: dict[str, Any] = {
    name: field.get_default(call_default_factory=True)
    for name, field in MessageContent.model_fields.items()
    if not field.is_required()
}


class OutgoingMessage(BaseModel):
    message_id: str
    kind: MessageKind
    recipient: Recipient
    to_email: str
    content: MessageContent
    queued_at: datetime
    # interview_id -> number of that interview's feedback lines this message carries
    carries_feedback: dict[str, int] = Field(default_factory=dict)


class MessageRecord(BaseModel):
    message_id: str
    kind: MessageKind
    recipient: Recipient
    queued_at: datetime
    delivered_at: datetime | None = None
    # skipped (1.1): deliberately not sent, e.g. a survey inside the address's cooldown;
    # withheld: a candidate who may not be emailed (candidate.can_email false), never sent
    status: Literal["pending", "delivered", "failed", "skipped", "withheld"] = "pending"
    error: str | None = None


class DeliveryRequest(BaseModel):
    """Input of the deliver activity: one message, identified by its stable id."""

    message: OutgoingMessage
    workflow_id: str
    thread_root_id: str
    reply_to: str
    # Retention: the candidacy's copies may be erased after this, once it has finished
    # (workflow time when the message was queued for delivery + policy.retention).
    erase_after: datetime | None = None
    # Added in 1.1: earlier messages of the same conversation, oldest first (References)
    references: list[str] = Field(default_factory=list)
    # Added in 1.1, surveys only: send at most one per recipient address in this period,
    # across roles (checked in the delivery ledger, which every worker shares)
    once_per_address: timedelta | None = None
    # Added in 1.5: the ids the events out name (the workflow id cannot be split back)
    role_id: str = ""
    candidate_id: str = ""


class SweepRequest(BaseModel):
    """One pass of the retention sweep: erase finished candidacies whose time has come."""

    now: datetime
    limit: int = 500


class Erase(Command):
    """End a candidacy on its candidate's request, with no further mail (the `erase` update;
    `HeardbackClient.erase` then deletes everything kept of it)."""

    via: Via | None = None


class EraseRequest(BaseModel):
    workflow_id: str


class EraseResult(BaseModel):
    """What the erasure of one candidacy removed (ids and counts only)."""

    workflow_id: str
    files: int = 0  # outbox copies of its messages
    ledger_rows: int = 0
    # Its workflow execution's deletion was accepted by Temporal (which completes it shortly
    # after: within about 35 s on the dev server, measured); False: it was already gone.
    history_deleted: bool = False
    # Its data keys destroyed (1.3): every payload of it, in any history, is unreadable.
    data_keys: int = 0


class SweepResult(BaseModel):
    candidacies: int = 0  # erased
    files: int = 0
    ledger_rows: int = 0
    data_keys: int = 0
    still_running: int = 0  # due by their rows, but running: kept (their next rows move it on)
    more: bool = False  # the pass hit its limit: another follows


class DeliveryReceipt(BaseModel):
    message_id: str
    duplicate: bool = False  # True when the ledger showed an earlier delivery
    skipped: str | None = None  # 1.1: why it was deliberately not sent (e.g. "survey_cooldown")


# --- events out (1.5): what heardback tells a tenant's own system --------------------------------

EventType = Literal[
    "message.delivered",
    "message.failed",
    "deadline.missed",
    "candidacy.finished",
    "command.refused",
]


class OutboundEvent(BaseModel):
    """One event posted to the tenant's webhook URL (ids, kinds, times and heardback's own
    words only: never a name, an address or a feedback line). `id` is stable: every attempt,
    and every emission of the same fact, carries the same one."""

    id: str
    type: EventType
    occurred_at: datetime
    data: dict[str, Any] = Field(default_factory=dict)
    # How long the receiver is retried before the event is given up (the workflow fails, for
    # an operator to see); set from settings by whoever emits the event.
    give_up_after: timedelta = timedelta(days=1)
    # Added with tenants: whose URL and secrets it is posted with (None: the single tenant's).
    tenant: str | None = None


class EventPosted(BaseModel):
    """The post activity's answer: the receiver's status and on which attempt it took it."""

    status_code: int
    attempt: int


# --- state -------------------------------------------------------------------------------------


class InterviewFacts(BaseModel):
    """What is known of an interview without a name, an address or a line of feedback."""

    interview_id: str
    stage: str
    duration: timedelta
    completed_at: datetime
    # When the candidate first had every line of this interview's feedback (for reports).
    feedback_delivered_at: datetime | None = None


class InterviewState(InterviewFacts):
    """An interview in the candidacy's durable state."""

    interviewer_email: str
    round: int
    feedback: list[str] = Field(default_factory=list)
    delivered_lines: int = 0
    round_closed: bool = False
    escalations: int = 0
    abandoned: bool = False
    internal_notes: list[str] = Field(default_factory=list)  # 1.2; never in a message


class RejectedInput(BaseModel):
    source: str
    received_at: datetime
    reason: str


class Deadline(BaseModel):
    kind: DeadlineKind
    due_at: datetime


class StageRecord(BaseModel):
    """One stage the candidate went through, and how it ended (for reports)."""

    stage: str
    entered_at: datetime
    decided_at: datetime | None = None
    decision: StageDecision | None = None


class DecisionRecord(BaseModel):
    """A decision as made (1.2): what, when, its candidate-facing lines, and through which
    channel and link, so a decision page can show what its link decided and never decide twice."""

    at: datetime
    stage: str
    outcome: Outcome
    next_stage: str | None = None
    hold_until: datetime | None = None
    lines: list[str] = Field(default_factory=list)
    via: Via | None = None
    overridden: bool = False


class CandidacyState(BaseModel):
    """A candidacy's whole durable state; carried across continue-as-new."""

    workflow_id: str
    role: Role
    candidate: Candidate
    policy: Policy
    state: State = "active"
    stage: str = "application"
    round: int = 0
    started_at: datetime
    stage_started_at: datetime
    decision_anchor: datetime
    outcome: FinalOutcome | None = None
    outcome_at: datetime | None = None
    hold_started_at: datetime | None = None
    hold_until: datetime | None = None
    hold_extended: bool = False
    hold_lines: list[str] = Field(default_factory=list)
    interviews: dict[str, InterviewState] = Field(default_factory=dict)
    outbox: list[OutgoingMessage] = Field(default_factory=list)
    messages: list[MessageRecord] = Field(default_factory=list)
    last_delivered_at: datetime | None = None
    seq: int = 0
    rejected_inputs: list[RejectedInput] = Field(default_factory=list)
    candidate_unreachable: bool = False
    survey_queued: bool = False
    paused_until: datetime | None = None
    notified: tuple[str, str] | None = None  # (state, stage) last reported to the Role
    stages: list[StageRecord] = Field(default_factory=list)  # closed stages, oldest first
    role_missing: bool = False  # a candidacy_changed signal found no Role workflow
    # Added in 1.1. `patched`: the patches (workflow.patched ids) this run follows, so the pure
    # policy can follow them too. The workflow sets it at every run's start from
    # workflow.patched(); it is never taken from input.
    patched: list[str] = Field(default_factory=list)
    survey_due_at: datetime | None = None
    offer_details_due_at: datetime | None = None  # open while the details are owed
    offer_settled: bool = False
    promised_by: datetime | None = None  # the next contact date the candidate was last given
    hold_reasons_asked: bool = False  # the contact was asked for a hold's missing reasons
    decisions: list[DecisionRecord] = Field(default_factory=list)  # 1.2: every decision made
    erased: bool = False  # ended by an erasure request: nothing more is sent


class InterviewSummary(InterviewFacts):
    """An interview as the `status` query shows it: counts, never the lines themselves."""

    feedback_lines: int
    feedback_delivered: bool


class Status(BaseModel):
    """The `status` query: where a candidacy stands. Carries no names or email addresses."""

    workflow_id: str
    role_id: str
    candidate_id: str
    state: State
    stage: str
    outcome: FinalOutcome | None
    hours_invested: float
    next_deadline: Deadline | None
    last_delivered_at: datetime | None
    hold_until: datetime | None
    interviews: list[InterviewSummary]
    messages: list[MessageRecord]
    rejected_inputs: list[RejectedInput]
    # Added for reports; defaults keep older results decodable.
    started_at: datetime | None = None
    stages: list[StageRecord] = Field(default_factory=list)  # every stage, the current one last
    # "off": candidate.can_email is false: nothing is sent to the candidate (see `withheld`)
    candidate_mail: Literal["on", "off"] = "on"


class PageInterview(BaseModel):
    """One interview as the one-step pages see it (part of :class:`PageView`)."""

    interview_id: str
    stage: str  # the display name
    completed_at: datetime
    interviewer_email: str
    feedback: list[str]
    delivered_lines: int  # how many of `feedback` the candidate has received
    internal_notes: list[str]
    this_round: bool  # sat at the current stage


class PageView(BaseModel):
    """What the one-step pages show (the `page_view` query, 1.2). It carries personal data, so
    it travels only through the data converter (encrypted like every payload), is never logged,
    and each page shows its own reader only their part of it."""

    workflow_id: str
    candidate_name: str
    candidate_locale: str
    candidate_time_zone: str
    staff_locale: str
    staff_time_zone: str
    role_title: str
    company: str
    state: State
    stage: str  # the display name
    round: int
    outcome: FinalOutcome | None
    outcome_at: datetime | None
    hours_invested: float
    effort_threshold_hours: float
    reasons_required: bool  # a rejection or a hold needs written reasons now
    next_deadline: Deadline | None
    promised_by: datetime | None  # the date the candidate was last told they would hear by
    hold_until: datetime | None
    latest_hold_until: datetime | None  # the latest a hold decided now may last
    stage_options: dict[str, str] = Field(default_factory=dict)  # stage -> display name
    interviews: list[PageInterview] = Field(default_factory=list)
    received: list[FeedbackSection] = Field(default_factory=list)  # what the candidate has read
    decision_notes: list[str] = Field(default_factory=list)  # the team's notes with decisions
    decisions: list[DecisionRecord] = Field(default_factory=list)
    hold_max: timedelta = timedelta(days=21)  # how long a hold may last from its start
    retention: timedelta = timedelta(days=180)  # how long the candidacy's data is kept
    # When the decision on this stage was first due (its round's last interview + decision_due).
    decision_due_at: datetime | None = None


CandidacyInput.model_rebuild()


# --- the Role workflow -------------------------------------------------------------------------

RoleStatus = Literal["open", "paused", "closed"]
CohortOthers = Literal["reject", "hold"]


class RoleInput(Command):
    role: Role
    stages: list[Text] = Field(
        default_factory=lambda: ["application", "screen", "technical", "onsite"], min_length=1
    )
    policy: Policy = Field(default_factory=Policy)
    carried_state: RoleState | None = None  # set only by continue-as-new


class AddCandidate(Command):
    candidate: Candidate


class RoleDefinition(BaseModel):
    """What candidacies under a role start with (the `definition` query, from 1.3)."""

    role: Role
    policy: Policy
    status: RoleStatus


class Added(BaseModel):
    """One candidate of `HeardbackClient.add_candidates`: its candidacy, or why not."""

    candidate_id: str
    workflow_id: str | None = None
    refused: str | None = None


class AdvanceCohort(Command):
    stage: Text
    advanced: list[Id] = Field(default_factory=list, max_length=10_000)
    others: CohortOthers
    feedback: list[FeedbackLine] = Field(default_factory=list, max_length=50)
    override: ScreeningOverride | None = None  # passed on to every decision
    via: Via | None = None


class CandidacyEntry(BaseModel):
    """What the Role knows of one candidacy: no names, no emails."""

    state: State = "active"
    stage: str = "application"
    outcome: FinalOutcome | None = None


# What the Role sends a candidacy: one of its updates' models. The union needs no tag: each
# model's required fields tell it apart (and unknown fields are refused).
CandidacyCommand = CloseRole | PauseRole | ResumeRole | Decide


class RoleCommand(BaseModel):
    """One role-wide command for one candidacy, as the fan-out activity sends it."""

    candidate_id: str
    update: str  # the candidacy's update: role_closed, role_paused, role_resumed or decide
    command: CandidacyCommand


class FanOutRequest(BaseModel):
    role_id: str
    commands: list[RoleCommand]
    # Temporal deduplicates updates by id per run, so a retried fan-out repeats nothing.
    update_id_prefix: str


class CommandOutcome(BaseModel):
    candidate_id: str
    applied: bool
    state: State | None = None
    stage: str | None = None
    refused: str | None = None  # the candidacy's reason, when it refused


class FanOutResult(BaseModel):
    outcomes: list[CommandOutcome]


class StartCandidacyRequest(BaseModel):
    input: CandidacyInput
    task_queue: str


class CohortResult(BaseModel):
    advanced: list[str] = Field(default_factory=list)
    rejected: list[str] = Field(default_factory=list)
    held: list[str] = Field(default_factory=list)
    refused: list[CommandOutcome] = Field(default_factory=list)


class RoleCommandResult(BaseModel):
    status: RoleStatus
    affected: int  # candidacies the command is being sent to


class PendingFanOut(BaseModel):
    """A role-wide command still being delivered to candidacies (survives continue-as-new)."""

    job_id: str
    update: str
    command: CandidacyCommand
    remaining: list[str]


class RoleState(BaseModel):
    role: Role
    stages: list[str]
    policy: Policy
    status: RoleStatus = "open"
    paused_until: datetime | None = None
    close_reason: Literal["filled", "cancelled"] | None = None
    candidacies: dict[str, CandidacyEntry] = Field(default_factory=dict)
    finished: dict[str, int] = Field(default_factory=dict)  # outcome -> count, entries dropped
    jobs: list[PendingFanOut] = Field(default_factory=list)
    seq: int = 0


class RoleSummary(BaseModel):
    role_id: str
    status: RoleStatus
    paused_until: datetime | None
    by_state: dict[str, int]
    by_stage: dict[str, int]
    finished_by_outcome: dict[str, int]
    # candidacies that still owe their candidate a message: open ones their final message,
    # finishing ones the final message, late feedback or the survey
    messages_owed: int
    fan_out_remaining: int  # candidacies a role-wide command has still to reach
    # Added in 1.7: answered from the snapshot the Role keeps in its memo (the Role was busy),
    # as it stood at `as_of`; false for the query's own answer.
    snapshot: bool = False
    as_of: datetime | None = None


RoleInput.model_rebuild()
