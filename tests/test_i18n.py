"""Messages in the recipient's language: catalogs complete, dates in their zone, the wording
rules true in every shipped language, and the fallback for a locale we do not ship."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import structlog
from babel.dates import format_date, get_timezone_name
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from heardback.activities.render import SHIPPED_LOCALES, Renderer, catalog_path, resolve_locale
from heardback.workflows.models import (
    DeliveryRequest,
    FeedbackSection,
    MessageContent,
    MessageKind,
    OutgoingMessage,
    Recipient,
)

ROOT = Path(__file__).resolve().parent.parent
WF = "candidacy-r-7-c-42"
# Every date is midnight UTC: 09:00 in Tokyo, whatever the day.
T0 = datetime(2026, 12, 14, tzinfo=UTC)
TOKYO = "Asia/Tokyo"
LANGS = ("en", "de", "fr", "es")
TRANSLATED = ("de", "fr", "es")
KINDS: list[tuple[MessageKind, Recipient]] = [
    ("acknowledgement", "candidate"),
    ("status_update", "candidate"),
    ("delay_explanation", "candidate"),
    ("stage_result", "candidate"),
    ("rejection", "candidate"),
    ("offer", "candidate"),
    ("withdrawal_confirmation", "candidate"),
    ("role_closed", "candidate"),
    ("feedback_update", "candidate"),
    ("survey", "candidate"),
    ("feedback_reminder", "interviewer"),
    ("escalation", "contact"),
]
FEEDBACK_LINE = "Clear trade-offs, explained calmly."
REASON_LINE = "We chose someone with more on-call experience for this team."
ZONE_NAMES = {
    "en": "Japan Standard Time",
    "de": "Japanische Normalzeit",
    "fr": "heure normale du Japon",
    "es": "hora estándar de Japón",
}
# English words that betray an untranslated sentence (none is a word in German, French or
# Spanish: "in", "an", "on", "or", "so", "will", "a" are left out on purpose).
ENGLISH_WORDS = re.compile(
    r"\b(the|and|you|your|we|our|with|for|from|have|has been|this|that|is|are|to|of|be|"
    r"by|at|it|been|thank|hiring|interview|feedback from|would|were)\b",
    re.IGNORECASE,
)
LEFTOVER = re.compile(r"\{\{|\}\}|\{%|%\}|%\(|\)s\b|\bNone\b|\bsoon\b")


def content(kind: MessageKind, locale: str, *, full: bool, **overrides: Any) -> MessageContent:
    """What the policy sets for a kind: every optional field (full) or none of them."""
    base: dict[str, Any] = {
        "candidate_name": "Ada Lovelace",
        "role_title": "Backend Engineer",
        "company": "Acme",
        "stage": "Technical interview",
        "candidacy_id": WF,
        "locale": locale,
        "time_zone": TOKYO,
    }
    if full:
        base.update(
            next_stage="Onsite",
            feedback=[FeedbackSection(stage="Technical interview", lines=[FEEDBACK_LINE])],
            decision_lines=[REASON_LINE],
            pending_feedback_stages=["Onsite"],
            hours_invested=6.0,
            interview_count=4,
            thank_for_time=kind in ("rejection", "offer", "withdrawal_confirmation", "role_closed"),
            next_contact_by=T0 + timedelta(days=7),
            feedback_expected_by=T0 + timedelta(days=30),
            offer_details_by=T0 + timedelta(days=3),
            overdue_since=T0,
            survey_url="https://acme.example/survey",
            survey_anonymous=True,
            interview_id="i-1",
        )
        if kind == "delay_explanation":
            base["hold_until"] = T0 + timedelta(days=10)
        if kind == "escalation":
            base["reason"] = "feedback_overdue"
        if kind == "status_update":
            base["waiting_on"] = "decision"
    else:
        base["next_stage"] = "Onsite" if kind == "stage_result" else None
        if kind == "feedback_update":
            base["unavailable_feedback_stages"] = ["Onsite"]
    base.update(overrides)
    return MessageContent(**base)


def request(
    kind: MessageKind,
    recipient: Recipient = "candidate",
    locale: str = "en",
    *,
    full: bool = True,
    **overrides: Any,
) -> DeliveryRequest:
    return DeliveryRequest(
        message=OutgoingMessage(
            message_id=f"{WF}.003.{kind}",
            kind=kind,
            recipient=recipient,
            to_email="ada@example.org" if recipient == "candidate" else "bob@acme.example",
            content=content(kind, locale, full=full, **overrides),
            queued_at=T0,
        ),
        workflow_id=WF,
        thread_root_id=f"{WF}.000.acknowledgement",
        reply_to="hiring@acme.example",
    )


RENDERER = Renderer(mail_from="hiring@heardback.localhost", message_id_domain="heardback.test")


def render(kind: MessageKind, lang: str = "en", **overrides: Any) -> str:
    recipient = dict(KINDS)[kind]
    _, body = RENDERER.render_text(request(kind, recipient, lang, **overrides))
    return body


def flat(text: str) -> str:
    return " ".join(text.split())


def without_inputs(text: str, c: MessageContent) -> str:
    """The text with everything we passed in taken out (names, lines, stage names, the URL)."""
    values = [c.candidate_name, c.role_title, c.company, c.stage, c.next_stage or ""]
    values += [line for s in c.feedback for line in s.lines] + [s.stage for s in c.feedback]
    values += c.decision_lines + c.pending_feedback_stages + c.unavailable_feedback_stages
    values += [c.survey_url or ""]
    out = flat(text)
    for value in sorted(filter(None, values), key=len, reverse=True):
        out = out.replace(flat(value), " ")
    return out


# --- the catalogs --------------------------------------------------------------------------------


def extracted() -> Catalog:
    """Every message the templates (and the renderer) use, extracted as babel.cfg says."""
    with (ROOT / "babel.cfg").open() as fp:
        method_map, options_map = parse_mapping_cfg(fp)  # type: ignore[no-untyped-call]
    template = Catalog(domain="messages")
    for filename, lineno, message, comments, context in extract_from_dir(
        ROOT, method_map, options_map
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def shipped(lang: str) -> Catalog:
    with catalog_path(lang).open("rb") as fp:
        return read_po(fp, locale=lang)


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)s", text))


def ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, tuple | list) else (message.id,)


def strings(message: Message) -> tuple[str, ...]:
    if isinstance(message.string, tuple | list):
        return tuple(form or "" for form in message.string)
    return (message.string or "",)


def test_every_template_message_is_extracted_and_the_languages_are_the_shipped_ones() -> None:
    template = extracted()
    assert len([m for m in template if m.id]) > 50  # the extractor found the templates
    assert set(SHIPPED_LOCALES) == set(LANGS)
    assert "Your application for %(role)s at %(company)s" in template
    assert ("%(date)s at %(time)s (%(zone)s)") in template  # the renderer's own, too


@pytest.mark.parametrize("lang", LANGS)
def test_the_catalog_is_complete_translated_and_keeps_every_placeholder(lang: str) -> None:
    template = extracted()
    catalog = shipped(lang)
    wanted = {(m.id, m.context) for m in template if m.id}
    have = {(m.id, m.context) for m in catalog if m.id}
    assert not wanted - have, f"{lang}: missing {wanted - have}"
    assert not have - wanted, f"{lang}: stale entries {have - wanted}"
    assert not catalog.obsolete
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, (lang, message.id)
        forms = strings(message)
        assert all(forms), (lang, message.id, "untranslated")
        if isinstance(message.id, tuple):
            assert len(forms) == catalog.num_plurals, (lang, message.id)
        singular, plural = ids(message)[0], ids(message)[-1]
        for i, form in enumerate(forms):
            expected = placeholders(singular if i == 0 else plural)
            assert placeholders(form) == expected, (lang, message.id, form)
    assert not [problem for problem in catalog.check() if problem[1]], lang


def test_the_catalogs_ship_in_the_wheel() -> None:
    """pyproject's package data covers every catalog (pip install and -e . alike read the .po)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = config["package-data"]["heardback.activities"]
    package = ROOT / "heardback" / "activities"
    for lang in LANGS:
        po = (package / "locale" / lang / "LC_MESSAGES" / "messages.po").relative_to(package)
        assert any(fnmatch.fnmatch(str(po), p) for p in patterns), po
        assert catalog_path(lang).is_file()


# --- every kind in every language ----------------------------------------------------------------


def cases() -> Iterator[tuple[str, MessageKind, Recipient, bool]]:
    for lang in LANGS:
        for kind, recipient in KINDS:
            for full in (True, False):
                yield lang, kind, recipient, full


def english_fragments() -> list[str]:
    """The English catalog's sentences, cut at placeholders: pieces of at least three words."""
    out: list[str] = []
    for message in shipped("en"):
        for text in strings(message) if message.id else ():
            for piece in re.split(r"%\(\w+\)s", text):
                if len(piece.split()) >= 3:
                    out.append(flat(piece))
    return out


ENGLISH_FRAGMENTS = english_fragments()


@pytest.mark.parametrize(("lang", "kind", "recipient", "full"), list(cases()))
def test_every_kind_renders_in_every_language(
    lang: str, kind: MessageKind, recipient: Recipient, full: bool
) -> None:
    req = request(kind, recipient, lang, full=full)
    c = req.message.content
    subject, body = RENDERER.render_text(req)
    text = subject + "\n" + body
    assert not LEFTOVER.search(text), LEFTOVER.search(text)
    assert c.candidate_name in body
    assert c.role_title in flat(text)
    if kind in ("stage_result", "rejection", "offer", "role_closed", "withdrawal_confirmation"):
        for line in [ln for s in c.feedback for ln in s.lines]:
            assert f"  - {line}" in body, line  # verbatim
    if kind in ("stage_result", "rejection", "offer", "role_closed"):
        for line in c.decision_lines:
            assert f"  - {line}" in body, line
    for internal in (WF, "i-1", "submit_feedback", "candidacy", "stage id"):
        assert internal not in text, internal
    if lang != "en":
        own = without_inputs(text, c)
        for fragment in ENGLISH_FRAGMENTS:
            assert fragment not in own, (lang, kind, fragment)
        found = ENGLISH_WORDS.search(own)
        assert found is None, (lang, kind, found.group() if found else "", own)
    # Every time shown is the recipient's (09:00 in Tokyo), and the zone is named.
    times = re.findall(r"\b\d{1,2}[:h ]+\d\d\b", body)
    for shown in times:
        assert shown.lstrip("0").startswith("9"), (shown, body)
    if times:
        assert ZONE_NAMES[lang] in body, body
    assert "UTC" not in body
    assert "Coordinated Universal Time" not in body


@pytest.mark.parametrize("lang", LANGS)
def test_a_date_is_shown_in_the_recipients_zone_with_the_zone_named(lang: str) -> None:
    body = flat(render("acknowledgement", lang, next_contact_by=T0))
    local = T0.astimezone(ZoneInfo(TOKYO))
    assert format_date(local, "full", locale=lang) in body  # Monday, not Sunday (UTC)
    assert get_timezone_name(local, "long", locale=lang) in body
    assert ZONE_NAMES[lang] in body
    assert re.search(r"\b0?9:00\b", body), body
    expected = {
        "en": "Monday, December 14, 2026 at 9:00 AM (Japan Standard Time)",
        "de": "Montag, 14. Dezember 2026 um 09:00 Uhr (Japanische Normalzeit)",
        "fr": "lundi 14 décembre 2026 à 09:00 (heure normale du Japon)",
        "es": "lunes, 14 de diciembre de 2026 a las 9:00 (hora estándar de Japón)",
    }[lang]
    assert flat(expected) in body


def test_spanish_says_a_la_una() -> None:
    one_pm = datetime(2026, 12, 14, 4, tzinfo=UTC)  # 13:00 in Tokyo
    one_am = datetime(2026, 12, 13, 16, tzinfo=UTC)  # 01:00 in Tokyo
    assert "a las 13:00" in flat(render("acknowledgement", "es", next_contact_by=one_pm))
    assert "a la 1:00" in flat(render("acknowledgement", "es", next_contact_by=one_am))


@pytest.mark.parametrize("lang", LANGS)
def test_a_sentence_that_needs_a_missing_date_is_left_out(lang: str) -> None:
    for kind in ("acknowledgement", "status_update", "stage_result", "offer"):
        body = render(
            kind, lang, next_contact_by=None, offer_details_by=None, feedback_expected_by=None
        )
        assert not re.search(r"\d:\d\d", body), (kind, body)
        assert not re.search(r"\b(soon|bald|bientôt|pronto)\b", body), (kind, body)


@pytest.mark.parametrize("lang", LANGS)
def test_one_subject_for_every_candidate_message_and_one_for_staff(lang: str) -> None:
    candidate: set[str] = set()
    staff: set[str] = set()
    for kind, recipient in KINDS:
        for full in (True, False):
            subject, _ = RENDERER.render_text(request(kind, recipient, lang, full=full))
            (candidate if recipient == "candidate" else staff).add(subject)
    assert len(candidate) == 1, candidate
    assert len(staff) == 1, staff
    assert "Backend Engineer" in candidate.pop()
    assert "Ada Lovelace" in staff.pop()


# --- locale fallback ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "catalog", "greeting"),
    [
        ("fr-CA", "fr", "Bonjour Ada Lovelace,"),
        ("es-MX", "es", "Hola, Ada Lovelace:"),
        ("de-AT", "de", "Guten Tag Ada Lovelace,"),
        ("pt-BR", "en", "Hi Ada Lovelace,"),
        ("zz", "en", "Hi Ada Lovelace,"),
    ],
)
def test_an_unshipped_locale_falls_back_to_the_nearest_and_says_so_in_the_log(
    tag: str, catalog: str, greeting: str
) -> None:
    assert resolve_locale(tag).catalog == catalog
    with structlog.testing.capture_logs() as logs:
        body = render("acknowledgement", tag)
    assert body.startswith(greeting), body
    [record] = [r for r in logs if r["event"] == "message_locale_fallback"]
    assert record["requested"] == tag
    assert record["used"] == catalog
    assert "Ada" not in str(record) and "ada@" not in str(record)  # no personal data
    assert "fallback" not in body.lower() and tag not in body


def test_a_shipped_locale_is_not_a_fallback_and_regional_dates_follow_the_region() -> None:
    with structlog.testing.capture_logs() as logs:
        render("acknowledgement", "de")
    assert not [r for r in logs if r["event"] == "message_locale_fallback"]
    # Austrian German names January "Jänner": the words are German, the dates Austrian.
    january = datetime(2027, 1, 4, tzinfo=UTC)
    assert "Jänner" in render("acknowledgement", "de-AT", next_contact_by=january)
    assert "Januar" in render("acknowledgement", "de", next_contact_by=january)


# --- the wording rules, in English and German (and where cheap, all four) -----------------------


def test_rule_2_the_automatic_rejection_after_a_hold_is_honest() -> None:
    hold_end = T0 + timedelta(days=1)
    en = flat(render("rejection", "en", automatic=True, hold_until=hold_end, decision_lines=[]))
    assert "We have decided" not in en
    assert "not able to reach a final decision" not in en
    assert en.startswith("Hi Ada Lovelace, We are closing your application")
    assert "We promised you an answer by Tuesday, December 15, 2026" in en
    assert "The team has not chosen to offer you the role" in en
    assert "rather than keep you waiting" in en
    assert "reasons" not in en.lower()
    de = flat(render("rejection", "de", automatic=True, hold_until=hold_end, decision_lines=[]))
    assert "entschieden, Ihre Bewerbung" not in de
    assert "wir beenden Ihr Bewerbungsverfahren" in de
    assert "Antwort bis spätestens Dienstag, 15. Dezember 2026" in de
    assert "Gründe" not in de
    with_reasons = flat(render("rejection", "en", automatic=True))
    assert f"The reasons, as the team wrote them for you: - {REASON_LINE}" in with_reasons
    de_reasons = flat(render("rejection", "de", automatic=True))
    assert f"Die Gründe, so wie das Team sie für Sie aufgeschrieben hat: - {REASON_LINE}" in (
        de_reasons
    )


def test_rule_3_a_rejection_explains_why_only_when_it_can() -> None:
    en = flat(render("rejection", "en", decision_lines=[]))
    assert not re.search(r"\bwhy\b|explain why", en, re.IGNORECASE)
    assert en.startswith(
        "Hi Ada Lovelace, We have decided not to move forward with your application"
    )
    de = flat(render("rejection", "de", decision_lines=[]))
    assert "warum" not in de and "erklären" not in de
    assert "wir haben uns entschieden, Ihre Bewerbung" in de
    assert f"say why. In the team's words: - {REASON_LINE}" in flat(render("rejection", "en"))
    assert f"erklären, warum \u2013 in den Worten des Teams: - {REASON_LINE}" in flat(
        render("rejection", "de")
    )


@pytest.mark.parametrize(
    ("lang", "never_again", "survey"),
    [
        (
            "en",
            "We won't contact you again about this application.",
            "One short survey about how the process felt will follow; nothing else will.",
        ),
        (
            "de",
            "Zu dieser Bewerbung melden wir uns nicht mehr bei Ihnen.",
            "Es folgt nur noch eine kurze Umfrage",
        ),
        (
            "fr",
            "Nous ne vous recontacterons plus au sujet de cette candidature.",
            "Seul un court questionnaire",
        ),
        (
            "es",
            "No volveremos a escribirle sobre esta candidatura.",
            "Solo le llegará una breve encuesta",
        ),
    ],
)
def test_rule_4_a_withdrawal_says_what_still_follows(
    lang: str, never_again: str, survey: str
) -> None:
    quiet: dict[str, Any] = {"pending_feedback_stages": [], "feedback": []}
    no_survey = flat(render("withdrawal_confirmation", lang, survey_follows=False, **quiet))
    assert never_again in no_survey
    assert survey not in no_survey
    with_survey = flat(render("withdrawal_confirmation", lang, survey_follows=True, **quiet))
    assert survey in with_survey
    assert never_again.rstrip(".") not in with_survey
    owed = flat(render("withdrawal_confirmation", lang, survey_follows=False))
    assert never_again.rstrip(".") in owed  # ... except for the feedback still owed
    assert never_again not in owed


def test_rule_5_thanks_once_in_proportion_with_plural_forms() -> None:
    long_en = flat(render("rejection", "en"))
    assert long_en.count("Thank you for the") == 1
    assert (
        "Thank you for the 6 hours you put into 4 interviews and assignments with us. "
        "We know that time came out of your own week" in long_en
    )
    long_de = flat(render("rejection", "de"))
    assert "Danke, dass Sie 6 Stunden in 4 Gespräche und Aufgaben bei uns investiert haben." in (
        long_de
    )
    assert long_de.count("Danke, dass Sie") == 1
    screen = dict(hours_invested=0.5, interview_count=1)
    short_en = flat(render("rejection", "en", **screen))
    assert "Thank you for the half hour you spent talking with us." in short_en
    assert "own week" not in short_en and "interviews and assignments" not in short_en
    short_de = flat(render("rejection", "de", **screen))
    assert "Danke für die halbe Stunde, die Sie sich für das Gespräch mit uns genommen" in short_de
    one = dict(hours_invested=1.5, interview_count=1)
    assert "Thank you for the 1 hour and 30 minutes you spent with us." in flat(
        render("rejection", "en", **one)
    )
    assert "Danke, dass Sie sich 1 Stunde und 30 Minuten Zeit für uns genommen haben." in flat(
        render("rejection", "de", **one)
    )
    two = dict(hours_invested=1.25, interview_count=2)
    assert "the 1 hour and 15 minutes you put into 2 interviews" in flat(
        render("rejection", "en", **two)
    )
    for lang in LANGS:  # only the message that has thank_for_time thanks
        for kind in ("stage_result", "delay_explanation", "status_update", "rejection"):
            body = render(kind, lang, thank_for_time=False)
            assert not re.search(
                r"Thank you for the|Danke, dass Sie \d|Merci d'avoir|Gracias por haber",
                body,
            )


def test_rule_6_one_heading_per_stage() -> None:
    sections = [
        FeedbackSection(stage="Technical interview", lines=["One.", "Two."]),
        FeedbackSection(stage="Onsite", lines=["Three."]),
    ]
    for lang, heading in (("en", "Feedback from your"), ("de", "Feedback aus Ihrer Runde")):
        body = render("rejection", lang, feedback=sections, pending_feedback_stages=[])
        assert body.count(heading) == 2, body
        for line in ("One.", "Two.", "Three."):
            assert f"  - {line}" in body


def test_rule_7_late_feedback_says_by_when_or_that_it_could_not_be_obtained() -> None:
    due = T0 + timedelta(days=30)  # Wednesday 13 January 2027
    en = flat(render("rejection", "en", feedback_expected_by=due))
    assert (
        "Feedback from your Onsite round is still being written. You will have it by Wednesday, "
        "January 13, 2027 at 9:00 AM (Japan Standard Time), or hear from us then that it "
        "could not be obtained." in en
    )
    de = flat(render("rejection", "de", feedback_expected_by=due))
    assert "Das Feedback aus Ihrer Runde „Onsite“ wird noch geschrieben." in de
    assert "spätestens am Mittwoch, 13. Januar 2027 um 09:00 Uhr" in de
    assert "nicht bekommen konnten" in de
    two = ["Onsite", "System design"]
    assert "Feedback from your Onsite and System design rounds is still being written" in flat(
        render("rejection", "en", pending_feedback_stages=two)
    )
    assert "aus Ihren Runden „Onsite“ und „System design“ wird noch geschrieben" in flat(
        render("rejection", "de", pending_feedback_stages=two)
    )
    gone = dict(unavailable_feedback_stages=["Onsite"], feedback=[], pending_feedback_stages=[])
    en_gone = flat(render("feedback_update", "en", **gone))
    assert en_gone.startswith(
        "Hi Ada Lovelace, We could not obtain the feedback we promised you from your Onsite round."
    )
    de_gone = flat(render("feedback_update", "de", **gone))
    assert "wir konnten das Feedback aus Ihrer Runde „Onsite“" in de_gone
    assert "leider nicht bekommen" in de_gone


def test_rule_8_the_offer_says_by_when_the_written_details_follow() -> None:
    by = T0 + timedelta(days=3)  # Thursday 17 December
    en = flat(render("offer", "en", offer_details_by=by))
    assert en.startswith("Hi Ada Lovelace, We are delighted to offer you the Backend Engineer")
    assert (
        "The written details of the offer will follow by Thursday, December 17, 2026 at "
        "9:00 AM (Japan Standard Time)." in en
    )
    de = flat(render("offer", "de", offer_details_by=by))
    assert (
        "Die schriftlichen Details zum Angebot erhalten Sie spätestens am Donnerstag, "
        "17. Dezember 2026 um 09:00 Uhr (Japanische Normalzeit)." in de
    )


@pytest.mark.parametrize(
    ("lang", "anonymous", "named"),
    [
        ("en", "Your answers are anonymous", "Your answers are not anonymous"),
        ("de", "Ihre Antworten sind anonym", "Ihre Antworten sind nicht anonym"),
        ("fr", "Vos réponses sont anonymes", "Vos réponses ne sont pas anonymes"),
        ("es", "Sus respuestas son anónimas", "Sus respuestas no son anónimas"),
    ],
)
def test_rule_9_the_survey_says_whether_answers_are_anonymous(
    lang: str, anonymous: str, named: str
) -> None:
    yes = flat(render("survey", lang, survey_anonymous=True))
    no = flat(render("survey", lang, survey_anonymous=False))
    assert anonymous in yes and named not in yes
    assert named in no
    assert "https://acme.example/survey" in yes
    assert len(yes.split()) < 110  # short


def test_rule_10_every_english_message_fits_a_phone() -> None:
    for kind, recipient in KINDS:
        for full in (True, False):
            req = request(kind, recipient, "en", full=full)
            c = req.message.content
            _, body = RENDERER.render_text(req)
            owed = sum(len(ln.split()) for s in c.feedback for ln in s.lines)
            owed += sum(len(ln.split()) for ln in c.decision_lines)
            words = len(body.split()) - owed
            assert words <= 180, (kind, full, words)
            assert not re.search(r"\b(pipeline|req|disposition|stage id)\b", body, re.I)


def test_staff_mail_says_what_to_do_in_plain_words_without_ids() -> None:
    reminder = flat(render("feedback_reminder", "en"))
    assert "Add one or two lines the candidate can read in your hiring tool" in reminder
    for reason in (
        "decision_overdue",
        "feedback_overdue",
        "hold_expiring",
        "candidate_unreachable",
        "interviewer_unreachable",
        "message_refused",
        "offer_details_overdue",
    ):
        for lang in ("en", "de"):
            text = flat(render("escalation", lang, reason=reason))
            assert "Ada Lovelace" in text
            assert WF not in text and "i-1" not in text and "submit_feedback" not in text
    refused = render("escalation", "en", reason="message_refused")
    assert f"  - {FEEDBACK_LINE}" in refused and f"  - {REASON_LINE}" in refused
    assert "Feedback from the Technical interview round:" in refused
