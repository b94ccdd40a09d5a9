"""Turn an `OutgoingMessage` into an email: Jinja2 plain-text templates, one per message kind, in
the recipient's language.

Each template's first line is `Subject: ...`; the rest is the body. Every sentence is a gettext
message (`jinja2.ext.i18n`, trimmed, new-style placeholders) whose words live in the catalogs
under `locale/<lang>/LC_MESSAGES/messages.po`; the catalogs are read once per process, from the
.po files themselves (no compile step: an editable install and the wheel behave alike). Dates,
durations and lists are formatted by Babel (CLDR) for the recipient's locale, every date in the
recipient's time zone with the zone named.

A locale that is not shipped falls back to the nearest shipped one (fr-CA reads French, with
Canadian French dates), then to English; the fallback is logged, never mentioned in the mail.

The mail itself is mime.compose's (plain text and the same as HTML); its Message-IDs are
opaque, and a candidate's headers never name the kind, the outcome or an internal id.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.utils import format_datetime, formataddr
from functools import cache, lru_cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
import structlog
from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.dates import format_date, format_time, get_timezone_name
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from babel.units import format_unit

from heardback.activities.mail_links import LinkMaker, MailLinks
from heardback.activities.mime import compose, opaque_message_id
from heardback.workflows.models import DeliveryRequest, MessageContent

CANDIDATE_KINDS_NOT_THREADED = frozenset({"acknowledgement"})

# The languages a message can be written in (a catalog each); the first is the last resort.
SHIPPED_LOCALES: tuple[str, ...] = ("en", "de", "fr", "es")
DEFAULT_LOCALE = "en"
CATALOG_DOMAIN = "messages"
_LOCALE_PACKAGE = "heardback.activities"
_QUOTED = re.compile(r"'[^']*'")


def catalog_path(lang: str) -> resources.abc.Traversable:
    """Where a shipped language's catalog lives, installed or in a checkout."""
    return (
        resources.files(_LOCALE_PACKAGE) / "locale" / lang / "LC_MESSAGES" / f"{CATALOG_DOMAIN}.po"
    )


@cache
def load_translations(lang: str) -> Translations:
    """A shipped language's catalog, read from its .po file (fuzzy entries left out)."""
    with catalog_path(lang).open("rb") as fp:
        catalog = read_po(fp, locale=lang, domain=CATALOG_DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=CATALOG_DOMAIN)


@cache
def _environment(lang: str) -> jinja2.Environment:
    """One environment per shipped language, its catalog installed (templates compile once)."""
    # Plain text only: there is no HTML to escape into (S701 is about HTML autoescaping).
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("heardback.activities", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - plain-text mail, nothing to escape into
        extensions=["jinja2.ext.i18n"],
    )
    env.policies["ext.i18n.trimmed"] = True  # as babel.cfg extracts them
    env.install_gettext_translations(  # type: ignore[attr-defined]  # added by ext.i18n
        load_translations(lang), newstyle=True
    )
    return env


@dataclass(frozen=True)
class ResolvedLocale:
    requested: str
    catalog: str  # the shipped language the words come from
    formats: Locale  # dates, lists and units: the requested locale when it is that language

    @property
    def fallback(self) -> bool:
        return self.requested.lower() != self.catalog


@lru_cache(maxsize=512)
def resolve_locale(tag: str) -> ResolvedLocale:
    """The shipped catalog nearest a BCP 47 tag (fr-CA -> fr, pt-BR -> en, zz -> en)."""
    try:
        requested: Locale | None = Locale.parse(tag.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        requested = None
    if requested is not None:
        chosen = negotiate_locale([str(requested), requested.language], SHIPPED_LOCALES, sep="_")
        if chosen is not None:
            return ResolvedLocale(tag, chosen, requested)
    return ResolvedLocale(tag, DEFAULT_LOCALE, Locale.parse(DEFAULT_LOCALE))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        structlog.get_logger("heardback.render").warning("message_time_zone_unknown", zone=name)
        return ZoneInfo("UTC")


@dataclass
class Formatted:
    """What the templates show, formatted for one recipient (every date already in their zone)."""

    next_contact_by: str | None = None
    hold_until: str | None = None
    overdue_since: str | None = None
    feedback_expected_by: str | None = None
    offer_details_by: str | None = None
    stage: str = ""
    next_stage: str = ""
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    pending: str = ""
    pending_count: int = 0
    unavailable: str = ""
    unavailable_count: int = 0
    thanks: bool = False
    half_hour: bool = False
    duration: str = ""
    rounds: int = 1
    long_effort: bool = False
    retention: str | None = None  # "180 days"


class _Formatter:
    def __init__(self, loc: ResolvedLocale, zone: ZoneInfo, tr: Translations) -> None:
        self._loc = loc.formats
        self._zone = zone
        self._tr = tr
        pattern = _QUOTED.sub("", self._loc.time_formats["short"].pattern)
        self._twelve_hour = "h" in pattern or "K" in pattern

    def when(self, value: datetime | None) -> str | None:
        """A moment in the recipient's zone, the zone named: 'Monday, December 14, 2026 at
        9:00 AM (Japan Standard Time)', 'Montag, 14. Dezember 2026 um 09:00 Uhr (...)'."""
        if value is None:
            return None
        local = value.astimezone(self._zone)
        hour = (local.hour % 12 or 12) if self._twelve_hour else local.hour
        # The hour picks the form: Spanish says "a la 1:00" but "a las 9:00".
        # TRANSLATORS: a moment, e.g. "Monday, December 14, 2026 at 9:00 AM (Japan Standard
        # Time)"; it follows "by" ("You will hear from us by ..."). The plural form is chosen by
        # the hour shown, for languages whose article agrees with it.
        pattern = self._tr.ngettext(
            "%(date)s at %(time)s (%(zone)s)", "%(date)s at %(time)s (%(zone)s)", hour
        )
        return pattern % {
            "date": format_date(local, "full", locale=self._loc),
            "time": format_time(local, "short", tzinfo=self._zone, locale=self._loc),
            "zone": get_timezone_name(local, "long", locale=self._loc),
        }

    def stage(self, name: str) -> str:
        """A stage's display name as it stands in running text (quoted where the language
        quotes names: „Onsite“, « Onsite »)."""
        # TRANSLATORS: how a stage's name (the company's own words, e.g. Onsite) is set in a
        # sentence: as it is in English, in quotation marks where your language quotes names.
        quoted = str(self._tr.pgettext("a stage name in running text", "%(stage)s"))
        if name == "application":
            # heardback's own first stage (a role names the others): in the reader's language
            # TRANSLATORS: the first stage of every application, before any interview
            name = str(self._tr.pgettext("heardback's first stage", "application"))
        return quoted % {"stage": name}

    def stages(self, names: Sequence[str]) -> str:
        unique = list(dict.fromkeys(names))
        return format_list([self.stage(n) for n in unique], locale=self._loc) if unique else ""

    def duration(self, minutes: int) -> str:
        hours, rest = divmod(minutes, 60)
        parts = []
        if hours:
            parts.append(format_unit(hours, "duration-hour", length="long", locale=self._loc))
        if rest:
            parts.append(format_unit(rest, "duration-minute", length="long", locale=self._loc))
        return format_list(parts, locale=self._loc)

    def days(self, period: timedelta) -> str:
        """A retention period in whole days, as the reader writes it ("180 Tage")."""
        days = max(1, round(period.total_seconds() / 86400))
        return format_unit(days, "duration-day", length="long", locale=self._loc)

    def content(self, c: MessageContent) -> Formatted:
        minutes = _rounded_minutes(c.hours_invested)
        rounds = max(c.interview_count, 1)
        return Formatted(
            next_contact_by=self.when(c.next_contact_by),
            hold_until=self.when(c.hold_until),
            overdue_since=self.when(c.overdue_since),
            feedback_expected_by=self.when(c.feedback_expected_by),
            offer_details_by=self.when(c.offer_details_by),
            stage=self.stage(c.stage),
            next_stage=self.stage(c.next_stage) if c.next_stage else "",
            sections=[(self.stage(s.stage), list(s.lines)) for s in c.feedback if s.lines],
            pending=self.stages(c.pending_feedback_stages),
            pending_count=len(set(c.pending_feedback_stages)),
            unavailable=self.stages(c.unavailable_feedback_stages),
            unavailable_count=len(set(c.unavailable_feedback_stages)),
            thanks=c.thank_for_time and minutes > 0,
            half_hour=minutes == 30 and rounds == 1,
            duration=self.duration(minutes),
            rounds=rounds,
            long_effort=minutes >= 180,
            retention=self.days(c.retention) if c.retention else None,
        )


# The pages' dates read as the mail's (heardback.gateway.i18n).
Formatter = _Formatter


def _rounded_minutes(hours: float) -> int:
    """Time invested as a person would say it: to 5 minutes, to the quarter hour from 2 hours."""
    if hours <= 0:
        return 0
    minutes = hours * 60
    step = 15 if minutes >= 120 else 5
    return max(step, round(minutes / step) * step)


class Renderer:
    def __init__(
        self, *, mail_from: str, message_id_domain: str, links: LinkMaker | None = None
    ) -> None:
        self._from = mail_from
        self._domain = message_id_domain
        self._links = links  # None: no one-step links (no link keys configured)
        for lang in SHIPPED_LOCALES:  # at startup: a broken catalog stops the worker, not a mail
            _environment(lang)

    def links(self, req: DeliveryRequest) -> MailLinks:
        """The one-step links this message carries (none without link keys)."""
        return self._links.for_request(req) if self._links is not None else MailLinks()

    def render_text(self, req: DeliveryRequest, links: MailLinks | None = None) -> tuple[str, str]:
        """(subject, body) for a message, in the recipient's language."""
        links = self.links(req) if links is None else links
        msg = req.message
        c = msg.content
        loc = resolve_locale(c.locale)
        if loc.fallback:
            # No personal data: the tag, the language used and the kind.
            structlog.get_logger("heardback.render").info(
                "message_locale_fallback", requested=c.locale, used=loc.catalog, kind=msg.kind
            )
        env = _environment(loc.catalog)
        formatter = _Formatter(loc, _zone(c.time_zone), load_translations(loc.catalog))
        template = env.get_template(f"{msg.kind}.txt.j2")
        text = template.render(c=c, f=formatter.content(c), to=msg.recipient, links=links)
        head, _, body = text.partition("\n")
        if not head.startswith("Subject: "):
            raise ValueError(f"template {msg.kind} must start with 'Subject: '")
        subject = " ".join(head.removeprefix("Subject: ").split())
        return subject, _tidy(body)

    def render(self, req: DeliveryRequest) -> Message:
        """The mail, plain text and the same as HTML (mime.compose), threaded.

        Message-IDs are opaque (they say nothing of the kind, the outcome or the candidacy).
        A candidate message answers the last earlier message of the conversation (else the
        first one) and lists them all in References; the acknowledgement starts the thread.
        Staff mail threads under one root per candidacy. No header names the kind, the
        outcome or an internal id (a forwarded staff mail reaches a candidate too)."""
        msg = req.message
        links = self.links(req)
        subject, body = self.render_text(req, links)
        lang = resolve_locale(msg.content.locale).catalog
        # TRANSLATORS: the sender's name on every message (From: Acme hiring team).
        name = load_translations(lang).pgettext("the sender's name", "%(company)s hiring team")
        sender = str(name) % {"company": msg.content.company}
        headers: list[tuple[str, str]] = [
            ("From", formataddr((sender, self._from))),
            ("To", msg.to_email),
            ("Reply-To", links.reply_to or req.reply_to),
            ("Date", format_datetime(datetime.now(UTC))),
            ("Message-ID", opaque_message_id(msg.message_id, self._domain)),
        ]
        if msg.recipient == "candidate":
            thread = [opaque_message_id(ref, self._domain) for ref in req.references]
            if not thread and msg.kind not in CANDIDATE_KINDS_NOT_THREADED:
                thread = [opaque_message_id(req.thread_root_id, self._domain)]
            if thread:
                headers += [("In-Reply-To", thread[-1]), ("References", " ".join(thread))]
        else:
            staff_root = opaque_message_id(f"{req.workflow_id}.staff", self._domain)
            headers += [("In-Reply-To", staff_root), ("References", staff_root)]
        headers.append(("Auto-Submitted", "auto-generated"))
        return compose(subject=subject, text=body, lang=lang, headers=headers)


def _tidy(body: str) -> str:
    """Collapse runs of blank lines that optional template sections leave behind."""
    lines = body.strip("\n").split("\n")
    out: list[str] = []
    for raw in lines:
        line = raw.rstrip()
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"
