"""The simulated hiring month's script: who applies when, and how every person behaves.

Pure and seeded: the same `Params` give the same script, byte for byte (`Script.digest`). The
script is what people do in the ATS, the same in both runs of `bench.simulate` (the plain ATS
and heardback): applications, interviews, decisions, holds, offers, withdrawals, roles filled or
cancelled. What depends on heardback's own mail is drawn here too, as each person's habit, and
played out only where that mail exists: an interviewer who writes feedback "after a reminder"
writes it `reaction` working hours after the reminder arrives (through the link, a reply or
the hiring tool: `channel`); one who writes "after an escalation" does so after the hiring
contact is escalated to; one who "never" writes does not.

Every proportion below is a parameter, documented in docs/SIMULATION.md with where it comes from
(a published figure) or that it is assumed.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import random
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import holidays

STAGES = ("application", "screen", "technical", "onsite")
STAGE_NAMES = {
    "screen": "phone screen",
    "technical": "technical interview",
    "onsite": "final round",
}
# Interview length per stage (the onsite is a half day): a candidate who sat all three has
# invested 5 hours, past heardback's default effort threshold of 3 hours.
DURATION = {"screen": timedelta(minutes=30), "technical": timedelta(hours=1, minutes=30)}
DURATION["onsite"] = timedelta(hours=3)
# Probability that a decision at a stage moves the candidate forward (assumed).
ADVANCE = {"application": 0.40, "screen": 0.55, "technical": 0.50, "onsite": 0.55}

ROLE_TZ = "Europe/Berlin"
ROLE_CALENDAR = "DE"
WORK_START, WORK_END = time(9, 0), time(17, 30)

Interviewer = Literal["at_once", "after_reminder", "after_escalation", "never"]
Contact = Literal["on_time", "late", "never"]
Channel = Literal["page", "reply", "api"]

TITLES = (
    "Backend Engineer",
    "Product Designer",
    "Data Analyst",
    "Site Reliability Engineer",
    "Engineering Manager",
    "Frontend Engineer",
    "Account Executive",
    "Technical Writer",
)
FIRST: tuple[str, ...] = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances")
FIRST += ("Ken", "Radia", "Tim", "Margaret", "Dennis", "Hedy", "Linus", "Sophie", "Shafi")
LAST: tuple[str, ...] = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen")
LAST += ("Thompson", "Perlman", "Lee", "Hamilton", "Ritchie", "Lamarr", "Wilson", "Lamport")
# Where candidates live: language and zone (heardback writes in their language, at their hours).
PLACES = (
    ("en", "Europe/London"),
    ("de", "Europe/Berlin"),
    ("de", "Europe/Vienna"),
    ("fr", "Europe/Paris"),
    ("es", "Europe/Madrid"),
    ("en", "America/New_York"),
    ("en", "Asia/Singapore"),
)

# Lines interviewers write for the candidate, per stage (each candidate sits a stage once).
FEEDBACK = {
    "screen": (
        "You described your recent project clearly and explained why each choice was made.",
        "Your questions about how the team plans its work showed you had prepared well.",
    ),
    "technical": (
        "Your solution to the scheduling exercise was correct and you tested the edge cases.",
        "Explaining the trade-offs of your design earlier would have made it stronger.",
    ),
    "onsite": (
        "In the design session you broke the problem down well and checked your assumptions.",
        "In the team conversation your examples of handling disagreement were concrete.",
    ),
}
# What a hiring contact writes with a rejection after the final round (12+ words, specific).
REASONS = (
    "We chose a finalist whose experience running large production systems matched this role "
    "more closely; your design answers were thoughtful but stayed at a high level.",
)
HOLD_REASONS = (
    "You were one of our two finalists and we made the offer to the other; if it is not "
    "accepted, we would like to make it to you, so we are holding your application.",
)


@dataclass(frozen=True)
class Params:
    """The month's parameters (docs/SIMULATION.md says where each value comes from)."""

    seed: int = 20270301
    roles: int = 8
    applicants: int = 400
    weeks: int = 4  # applications arrive over this many weeks
    tail_days: int = 21  # the month is measured this long after applications stop
    start: str = "2027-03-01"  # a Monday, role time (Europe/Berlin)
    # how interviewers write their candidate-facing feedback (assumed, see the notes)
    interviewers: tuple[tuple[Interviewer, float], ...] = (
        ("at_once", 0.45),
        ("after_reminder", 0.30),
        ("after_escalation", 0.15),
        ("never", 0.10),
    )
    # how hiring contacts decide (assumed)
    contacts: tuple[tuple[Contact, float], ...] = (
        ("on_time", 0.60),
        ("late", 0.30),
        ("never", 0.10),
    )
    # how an interviewer who writes after heardback's mail answers it (assumed)
    channels: tuple[tuple[Channel, float], ...] = (("page", 0.5), ("reply", 0.3), ("api", 0.2))
    interviewers_per_role: int = 4
    withdraw_rate: float = 0.08
    terse_rate: float = 0.3  # contacts who first reject a finalist without written reasons
    offer_accept_rate: float = 0.75
    cancelled_roles: int = 1  # cancelled mid-month; the others fill, or close at the end

    @property
    def t0(self) -> datetime:
        return datetime.fromisoformat(self.start).replace(tzinfo=ZoneInfo(ROLE_TZ))

    @property
    def horizon(self) -> datetime:
        return self.t0 + timedelta(weeks=self.weeks, days=self.tail_days)


@dataclass
class Applicant:
    key: str  # the candidate id (the role id is in `role`)
    role: str
    name: str
    email: str
    locale: str
    time_zone: str
    applied_at: datetime
    withdraws_at: datetime | None


@dataclass
class Interview:
    interview_id: str
    role: str
    candidate: str
    stage: str
    interviewer: str  # an address
    habit: Interviewer
    at: datetime  # when it ended
    duration: timedelta
    lines: list[str]
    reaction: timedelta  # working time from the mail that moves the interviewer, to writing
    channel: Channel


@dataclass
class Action:
    at: datetime
    kind: Literal["open_role", "apply", "interview", "decide", "withdraw", "offer", "close_role"]
    role: str
    candidate: str = ""
    # decide: advance | reject | hold | offer; offer: details_sent | accepted | declined;
    # close_role: filled | cancelled
    outcome: str = ""
    next_stage: str | None = None
    reasons: list[str] = field(default_factory=list)
    terse: bool = False  # first tries without the reasons the effort rule asks for
    hold_until: datetime | None = None
    interview: str = ""  # interview: its id


@dataclass
class Script:
    params: Params
    roles: dict[str, str]  # id -> title
    contacts: dict[str, str]  # role id -> contact address
    applicants: dict[str, Applicant]  # candidate id -> applicant
    interviews: dict[str, Interview]  # interview id -> interview
    actions: list[Action]

    def digest(self) -> str:
        """A digest of the whole script: equal seeds and parameters give equal digests."""
        blob = json.dumps(
            [asdict(a) for a in self.actions]
            + [asdict(i) for i in self.interviews.values()]
            + [asdict(a) for a in self.applicants.values()],
            default=str,
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def pick(rng: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in mix], weights=[w for _, w in mix])[0]


class Calendar:
    """Working hours of the hiring team (Monday to Friday, 09:00-17:30 in Berlin, German
    public holidays off): people in the ATS act within them."""

    def __init__(self) -> None:
        self.tz = ZoneInfo(ROLE_TZ)
        self.off = holidays.country_holidays(ROLE_CALENDAR)

    def working_day(self, day: datetime) -> bool:
        return day.weekday() < 5 and day.date() not in self.off

    def next_open(self, at: datetime) -> datetime:
        """`at`, or the start of the next working window after it."""
        local = at.astimezone(self.tz)
        while True:
            if self.working_day(local):
                start = local.replace(hour=WORK_START.hour, minute=WORK_START.minute, second=0)
                end = local.replace(hour=WORK_END.hour, minute=WORK_END.minute, second=0)
                if local < start:
                    return start
                if local < end:
                    return local
            local = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0)

    def add_working(self, at: datetime, span: timedelta) -> datetime:
        """`span` of working time after `at` (a reaction "within four working hours")."""
        local = self.next_open(at)
        left = span
        while True:
            end = local.replace(hour=WORK_END.hour, minute=WORK_END.minute, second=0)
            if local + left <= end:
                return local + left
            left -= end - local
            local = self.next_open(end + timedelta(minutes=1))

    def working_days_later(self, at: datetime, days: float, rng: random.Random) -> datetime:
        """Some time on the working day `days` working days after `at`."""
        whole = int(days)
        local = self.next_open(at)
        for _ in range(whole):
            local = self.next_open(
                (local + timedelta(days=1)).replace(hour=WORK_START.hour, minute=0)
            )
        return self.add_working(local, timedelta(minutes=rng.randint(10, 8 * 60)))


def build(params: Params) -> Script:
    """The month, played forward in time so that what happens to one candidate can depend on
    the role (an offer out makes the next finalist a backup; a filled role ends everyone)."""
    return _Month(params).play()


# One event of the month being played forward: (time, sequence, what, role, candidate)
_Event = tuple[datetime, int, str, str, str]


class _Month:
    def __init__(self, params: Params) -> None:
        self.p = params
        # A seeded simulation, not security: the same seed must give the same month.
        self.rng = random.Random(params.seed)  # noqa: S311
        self.cal = Calendar()
        self.roles = {f"r{n + 1}": TITLES[n % len(TITLES)] for n in range(params.roles)}
        self.contacts = {r: f"hiring.{r}@company.example" for r in self.roles}
        self.staff = {
            r: [
                (f"interviewer.{r}.{k + 1}@company.example", pick(self.rng, params.interviewers))
                for k in range(params.interviewers_per_role)
            ]
            for r in self.roles
        }
        self.actions: list[Action] = [
            Action(at=params.t0, kind="open_role", role=r) for r in self.roles
        ]
        self.applicants: dict[str, Applicant] = {}
        self.interviews: dict[str, Interview] = {}
        self.queue: list[_Event] = []
        self.seq = 0
        self.closed: set[str] = set()
        self.done: set[str] = set()  # candidates with a final outcome (or withdrawn)
        self.stage_of: dict[str, str] = {}
        self.offered: dict[str, str | None] = dict.fromkeys(self.roles)  # role -> open offer
        self.backups: dict[str, list[str]] = {r: [] for r in self.roles}

    def push(self, at: datetime, what: str, role: str, cand: str = "") -> None:
        self.seq += 1
        heapq.heappush(self.queue, (at, self.seq, what, role, cand))

    def play(self) -> Script:
        rng, cal, t0 = self.rng, self.cal, self.p.t0
        cancelled = set(
            rng.sample(sorted(self.roles), min(self.p.cancelled_roles, len(self.roles)))
        )
        for r in sorted(cancelled):
            self.push(
                cal.working_days_later(t0 + timedelta(days=rng.uniform(12, 19)), 0, rng), "close", r
            )
        end_of_hiring = cal.next_open(self.p.horizon - timedelta(days=7))
        for r in self.roles:
            self.push(end_of_hiring, "close", r)
        for n in range(self.p.applicants):
            self.arrive(n)
        handlers = {
            "close": self.on_close,
            "apply": self.on_apply,
            "withdraw": self.on_withdraw,
            "offer_details": self.on_offer_details,
            "offer_settle": self.on_offer_settle,
            "interview": self.on_interview,
            "decide": self.on_decide,
        }
        while self.queue:
            at, _, what, role, cand = heapq.heappop(self.queue)
            if what not in ("close", "apply") and not self.live(what, role, cand):
                continue
            handlers[what](at, role, cand)
        self.actions.sort(key=lambda a: a.at)
        return Script(
            params=self.p,
            roles=self.roles,
            contacts=self.contacts,
            applicants=self.applicants,
            interviews=self.interviews,
            actions=self.actions,
        )

    def live(self, what: str, role: str, cand: str) -> bool:
        """Whether a candidate's event still happens (an offer outlives the role's close)."""
        if what in ("offer_details", "offer_settle") and self.offered.get(role) == cand:
            return True
        return role not in self.closed and cand not in self.done and cand in self.applicants

    def arrive(self, n: int) -> None:
        rng, window = self.rng, timedelta(weeks=self.p.weeks)
        # A posting draws most of its applications in its first weeks (assumed shape).
        at = self.p.t0 + timedelta(seconds=window.total_seconds() * rng.random() ** 1.6)
        if at.weekday() >= 5 and rng.random() < 0.5:
            at -= timedelta(days=2)  # more applications on weekdays
        at = max(at, self.p.t0 + timedelta(minutes=5))
        key = f"c{n + 1:04d}"
        role = f"r{rng.randrange(self.p.roles) + 1}"
        locale, tz = rng.choice(PLACES)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        withdraws = (
            at + timedelta(days=rng.uniform(3, 20)) if rng.random() < self.p.withdraw_rate else None
        )
        self.applicants[key] = Applicant(
            key=key,
            role=role,
            name=f"{first} {last}",
            email=f"{first.lower()}.{last.lower()}.{key}@candidates.example",
            locale=locale,
            time_zone=tz,
            applied_at=at,
            withdraws_at=withdraws,
        )
        self.push(at, "apply", role, key)
        if withdraws is not None:
            self.push(withdraws, "withdraw", role, key)

    def schedule_decision(self, at: datetime, role: str, cand: str) -> None:
        habit = pick(self.rng, self.p.contacts)
        if habit == "never":
            return
        wait = self.rng.uniform(1, 3) if habit == "on_time" else self.rng.uniform(5, 10)
        self.push(self.cal.working_days_later(at, wait, self.rng), "decide", role, cand)

    def decided(self, at: datetime, role: str, cand: str, outcome: str, **kw: Any) -> None:
        self.actions.append(
            Action(at=at, kind="decide", role=role, candidate=cand, outcome=outcome, **kw)
        )

    def make_offer(self, at: datetime, role: str, cand: str) -> None:
        self.offered[role] = cand
        self.decided(at, role, cand, "offer")
        self.done.add(cand)
        self.push(self.cal.working_days_later(at, 1, self.rng), "offer_details", role, cand)
        settle = self.cal.working_days_later(at, self.rng.uniform(3, 6), self.rng)
        self.push(settle, "offer_settle", role, cand)

    def on_close(self, at: datetime, role: str, _cand: str) -> None:
        if role not in self.closed:
            self.closed.add(role)
            self.actions.append(Action(at=at, kind="close_role", role=role, outcome="cancelled"))

    def on_apply(self, at: datetime, role: str, cand: str) -> None:
        if role in self.closed:
            del self.applicants[cand]  # the posting is down: nobody applies to it
            return
        self.actions.append(Action(at=at, kind="apply", role=role, candidate=cand))
        self.stage_of[cand] = "application"
        self.schedule_decision(at, role, cand)

    def on_withdraw(self, at: datetime, role: str, cand: str) -> None:
        if self.offered.get(role) == cand:
            return  # someone holding an offer settles it instead
        self.actions.append(Action(at=at, kind="withdraw", role=role, candidate=cand))
        self.done.add(cand)
        if cand in self.backups[role]:
            self.backups[role].remove(cand)

    def on_offer_details(self, at: datetime, role: str, cand: str) -> None:
        self.actions.append(
            Action(at=at, kind="offer", role=role, candidate=cand, outcome="details_sent")
        )

    def on_offer_settle(self, at: datetime, role: str, cand: str) -> None:
        accepted = self.rng.random() < self.p.offer_accept_rate
        outcome = "accepted" if accepted else "declined"
        self.actions.append(Action(at=at, kind="offer", role=role, candidate=cand, outcome=outcome))
        self.offered[role] = None
        if role in self.closed:
            return
        if accepted:
            self.closed.add(role)
            filled = self.cal.add_working(at, timedelta(hours=1))
            self.actions.append(Action(at=filled, kind="close_role", role=role, outcome="filled"))
        elif self.backups[role]:
            self.make_offer(
                self.cal.add_working(at, timedelta(hours=2)), role, self.backups[role].pop(0)
            )

    def on_interview(self, at: datetime, role: str, cand: str) -> None:
        rng, stage = self.rng, self.stage_of[cand]
        address, habit = rng.choice(self.staff[role])
        iid = f"{cand}-{stage}"
        self.interviews[iid] = Interview(
            interview_id=iid,
            role=role,
            candidate=cand,
            stage=stage,
            interviewer=address,
            habit=habit,  # type: ignore[arg-type]
            at=at,
            duration=DURATION[stage],
            lines=list(FEEDBACK[stage])[: rng.randint(1, 2)],
            reaction=timedelta(minutes=rng.randint(120, 16 * 60)),
            channel=pick(rng, self.p.channels),  # type: ignore[arg-type]
        )
        self.actions.append(
            Action(at=at, kind="interview", role=role, candidate=cand, interview=iid)
        )
        self.schedule_decision(at, role, cand)

    def on_decide(self, at: datetime, role: str, cand: str) -> None:
        stage = self.stage_of[cand]
        forward = self.rng.random() < ADVANCE[stage]
        if stage == "onsite" and forward and self.offered[role] is None:
            self.make_offer(at, role, cand)
        elif stage == "onsite" and forward:
            until = at + timedelta(days=14)
            self.decided(at, role, cand, "hold", reasons=list(HOLD_REASONS), hold_until=until)
            self.backups[role].append(cand)
        elif stage == "onsite":
            terse = self.rng.random() < self.p.terse_rate
            self.decided(at, role, cand, "reject", reasons=list(REASONS), terse=terse)
            self.done.add(cand)
        elif not forward:
            self.decided(at, role, cand, "reject")
            self.done.add(cand)
        else:
            nxt = STAGES[STAGES.index(stage) + 1]
            self.decided(at, role, cand, "advance", next_stage=nxt)
            self.stage_of[cand] = nxt
            later = self.cal.working_days_later(at, self.rng.uniform(1, 4), self.rng)
            self.push(later, "interview", role, cand)
