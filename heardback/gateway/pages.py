"""The one-step pages every email links to, served by the gateway without a bearer token: the
signed link in the URL is the credential.

- ``/f/{token}``: the interviewer's page (or the contact's, from an escalation about missing
  feedback): the round, boxes for candidate-facing lines and for internal notes.
- ``/d/{token}``: the contact's decision page: what is overdue, the round's feedback so far, and
  the decisions allowed now, with the effort rule said before anyone types.
- ``/s/{token}``: the candidate's status page: where they stand, what happens next and by when,
  the feedback they have had, and a way to withdraw.

Server-rendered (Jinja2, autoescaped), no JavaScript, localised with the mail's catalogs, dates
in the reader's zone. Every POST carries a CSRF token bound to a cookie and to the link; every
response has a strict Content-Security-Policy and ``Referrer-Policy: no-referrer`` (the token is
in the URL); each client address is rate-limited. A link that is tampered with, expired, revoked
or whose candidacy was erased gets a plain page saying so, never a stack trace. Commands record
`via` (channel "page", the link's digest) in the workflow's history; a decision link decides
once (its update id is derived from the link, and a used link shows what it decided).
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from pydantic import ValidationError

from heardback.gateway.i18n import Reader
from heardback.runtime.links import Link, LinkRefused, LinkSigner, Purpose, link_digest
from heardback.runtime.settings import Settings, link_keys
from heardback.starter.client import HeardbackClient
from heardback.workflows import contract, screening
from heardback.workflows.decoding import describe_errors
from heardback.workflows.errors import HeardbackError, NotFound, Refused, Unavailable
from heardback.workflows.models import (
    Decide,
    PageView,
    ScreeningOverride,
    SubmitFeedback,
    Via,
    Withdraw,
)

log = structlog.get_logger("heardback.pages")

router = APIRouter(include_in_schema=False, tags=["pages"])

CSRF_COOKIE = "hb_csrf"
CSRF_MAX_AGE = 2 * 3600  # a form left open longer is simply shown again
MAX_FORM_BYTES = 200_000
HOLD_DECIDED_AT = time(17, 0)  # a hold "until 12 March" lasts until 17:00 that day, their zone

_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",  # the link is the credential: never leak it onwards
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}


class Pages:
    """What the page routes share, kept on ``app.state.pages`` by ``create_app``."""

    def __init__(self, settings: Settings) -> None:
        keys = link_keys(settings)
        self.signer = LinkSigner(keys) if keys else None
        self.csrf = URLSafeTimedSerializer(keys or ["unused" * 8], salt="heardback-csrf")
        self.revoked = {d.strip().lower() for d in settings.revoked_links.split(",") if d.strip()}
        self.limits = parse_many(settings.page_rate_limit)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.public = urlsplit(settings.public_url)
        self.secure_cookie = self.public.scheme == "https"
        self.default_locale = "en"
        self.stylesheet = (resources.files("heardback.gateway") / "static" / "pages.css").read_text(
            "utf-8"
        )

    def verify(self, token: str, purpose: Purpose) -> Link:
        if self.signer is None:
            raise LinkRefused("links are not configured on this server")
        link = self.signer.verify(token, purpose)
        if link_digest(token) in self.revoked:
            raise LinkRefused("this link has been revoked")
        return link

    def allowed(self, request: Request) -> bool:
        who = request.client.host if request.client else "unknown"
        return all(self.limiter.hit(limit, "pages", who) for limit in self.limits)


def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


# --- responses ---------------------------------------------------------------------------------


def _page(reader: Reader, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = reader.render(template, **context)
    return HTMLResponse(html, status_code=status, headers=_SECURITY_HEADERS)


def _plain(reader: Reader, status: int, title: str, detail: str) -> HTMLResponse:
    return _page(reader, "notice.html.j2", status, title=title, detail=detail)


def _refused_link(reader: Reader, err: LinkRefused) -> HTMLResponse:
    reason = str(err)
    if "expired" in reason:
        detail = reader.gettext(
            "This link has expired. The most recent email about this application has a link "
            "that works."
        )
    elif "revoked" in reason:
        detail = reader.gettext("This link has been withdrawn and no longer works.")
    else:
        detail = reader.gettext(
            "This link is not valid: it may have been changed or cut short when it was copied. "
            "Open it again from the email, in full."
        )
    return _plain(reader, 403, reader.gettext("This link does not work"), detail)


def _gone(reader: Reader) -> HTMLResponse:
    return _plain(
        reader,
        410,
        reader.gettext("This link does not work any more"),
        reader.gettext("The application it was about is no longer kept."),
    )


def _busy(reader: Reader) -> HTMLResponse:
    return _plain(
        reader,
        503,
        reader.gettext("Please try again in a minute"),
        reader.gettext("We cannot reach our records right now. Nothing you sent was lost."),
    )


@dataclass
class _Form:
    fields: dict[str, list[str]]

    def one(self, name: str) -> str:
        values = self.fields.get(name) or [""]
        return values[0].strip()

    def lines(self, name: str) -> list[str]:
        text = self.one(name).replace("\r\n", "\n").replace("\r", "\n")
        return [line.strip(" \t-*•") for line in text.split("\n") if line.strip(" \t-*•")]


async def _read_form(request: Request) -> _Form | None:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        return _Form(parse_qs(text, keep_blank_values=True, max_num_fields=50))
    except ValueError:  # more fields than any of our forms has: not one of ours
        return None


# --- CSRF ----------------------------------------------------------------------------------------


def _csrf_cookie(request: Request) -> tuple[str, bool]:
    """The browser's CSRF cookie value, and whether it is new (to be set on the response)."""
    value = request.cookies.get(CSRF_COOKIE, "")
    if len(value) >= 20:
        return value, False
    return secrets.token_urlsafe(24), True


def _csrf_field(pages: Pages, cookie: str, token: str) -> str:
    bound = {"c": hashlib.sha256(cookie.encode()).hexdigest()[:32], "l": link_digest(token)}
    return str(pages.csrf.dumps(bound))


def _same_site(pages: Pages, request: Request) -> bool:
    """The POST came from our own page (its Origin, its fetch metadata), not another site."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        got = urlsplit(origin)
        if (got.scheme, got.netloc) != (pages.public.scheme, pages.public.netloc):
            host = request.headers.get("host", "")
            if got.netloc != host:  # neither the public URL nor the host it was served as
                return False
    return request.headers.get("sec-fetch-site") != "cross-site"


def _csrf_ok(pages: Pages, request: Request, form: _Form, token: str) -> bool:
    if not _same_site(pages, request):
        return False
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie:
        return False
    try:
        bound = pages.csrf.loads(form.one("csrf"), max_age=CSRF_MAX_AGE)
    except BadSignature:
        return False
    return isinstance(bound, dict) and bound == {
        "c": hashlib.sha256(cookie.encode()).hexdigest()[:32],
        "l": link_digest(token),
    }


def _finish(pages: Pages, response: HTMLResponse, cookie: str, new: bool) -> HTMLResponse:
    if new:
        response.set_cookie(
            CSRF_COOKIE,
            cookie,
            httponly=True,
            # Lax: sent when the page is opened from a webmail link (so the form it renders
            # matches), never with a POST from another site.
            samesite="lax",
            secure=pages.secure_cookie,
            max_age=CSRF_MAX_AGE,
        )
    return response


# --- shared flow --------------------------------------------------------------------------------


async def _client(request: Request) -> HeardbackClient:
    client: HeardbackClient = await request.app.state.holder.get()
    return client


async def _open(
    request: Request, token: str, purpose: Purpose
) -> tuple[Link, PageView] | HTMLResponse:
    """The link and the candidacy's view, or the plain page saying why not."""
    pages = pages_of(request)
    fallback = Reader(pages.default_locale, "UTC")
    if not pages.allowed(request):
        response = _plain(
            fallback,
            429,
            fallback.gettext("Too many requests"),
            fallback.gettext("Please wait a minute, then open the link again."),
        )
        response.headers["Retry-After"] = "60"
        return response
    try:
        link = pages.verify(token, purpose)
    except LinkRefused as err:
        log.info("page_link_refused", purpose=purpose, reason=str(err))
        return _refused_link(fallback, err)
    try:
        view = await (await _client(request)).page_view(link.workflow_id)
    except NotFound:
        return _gone(fallback)
    except (Unavailable, HeardbackError):
        return _busy(fallback)
    except Exception:  # Temporal down at connect time, say
        log.exception("page_view_failed", purpose=purpose)
        return _busy(fallback)
    return link, view


async def _submitted(
    request: Request, token: str, purpose: Purpose
) -> tuple[Link, PageView, Reader, _Form] | HTMLResponse:
    """A POSTed form: its link and view, its reader, and the form if its CSRF token holds; or
    the plain page saying why not (nothing is recorded then)."""
    opened = await _open(request, token, purpose)
    if isinstance(opened, Response):
        return opened
    link, view = opened
    reader = _candidate_reader(view) if purpose == "status" else _staff_reader(view)
    form = await _read_form(request)
    if form is None or not _csrf_ok(pages_of(request), request, form, token):
        if (
            form is not None
            and purpose in ("feedback", "decision")
            and _same_site(pages_of(request), request)  # never refill another site's form
        ):
            # What was typed is not lost: the form again, filled in, with a fresh token.
            problem = reader.gettext(
                "Nothing was recorded yet: the form had expired. Check it and send it again."
            )
            if purpose == "feedback":
                return _feedback_form(
                    request, token, link, view, status=403, problem=problem,
                    lines_text=form.one("lines"), notes_text=form.one("notes"),
                )  # fmt: skip
            return _decision_form(
                request, token, link, view, status=403, problem=problem,
                form=form, chosen=form.one("outcome"),
            )  # fmt: skip
        return _expired_form(reader)
    return link, view, reader, form


def _staff_reader(view: PageView) -> Reader:
    return Reader(view.staff_locale, view.staff_time_zone)


def _candidate_reader(view: PageView) -> Reader:
    return Reader(view.candidate_locale, view.candidate_time_zone)


def _first_name(name: str) -> str:
    return name.split(maxsplit=1)[0] if name.split() else name


def _findings(lines: list[str], locale: str) -> list[dict[str, str]]:
    return [
        {"line": lines[f.line], "message": f.message, "suggestion": f.suggestion}
        for f in screening.screen(lines, locale)
    ]


def _override(form: _Form) -> ScreeningOverride | str | None:
    """The override the form asks for (None: none asked), or the problem with it."""
    if form.one("override") != "yes":
        return None
    try:
        return ScreeningOverride(reason=form.one("override_reason"))
    except ValidationError:
        return "reason"


# --- the interviewer's page -----------------------------------------------------------------------


@router.get("/f/{token}", response_class=HTMLResponse)
async def feedback_page(request: Request, token: str) -> Response:
    opened = await _open(request, token, "feedback")
    if isinstance(opened, Response):
        return opened
    link, view = opened
    return _feedback_form(request, token, link, view)


def _feedback_form(
    request: Request,
    token: str,
    link: Link,
    view: PageView,
    *,
    status: int = 200,
    lines_text: str = "",
    notes_text: str = "",
    findings: list[dict[str, str]] | None = None,
    problem: str | None = None,
) -> HTMLResponse:
    pages = pages_of(request)
    reader = _staff_reader(view)
    interview = next((iv for iv in view.interviews if iv.interview_id == link.interview_id), None)
    if interview is None:
        return _gone(reader)
    cookie, new = _csrf_cookie(request)
    closed = view.state in ("completed", "refused")
    response = _page(
        reader,
        "feedback.html.j2",
        status,
        view=view,
        interview=interview,
        first_name=_first_name(view.candidate_name),
        closed=closed,
        csrf=_csrf_field(pages, cookie, token),
        lines_text=lines_text,
        notes_text=notes_text,
        findings=findings or [],
        problem=problem,
    )
    return _finish(pages, response, cookie, new)


@router.post("/f/{token}", response_class=HTMLResponse)
async def feedback_submit(request: Request, token: str) -> Response:
    submitted = await _submitted(request, token, "feedback")
    if isinstance(submitted, Response):
        return submitted
    link, view, reader, form = submitted
    lines, notes = form.lines("lines"), form.one("notes")
    again: dict[str, Any] = {"lines_text": form.one("lines"), "notes_text": notes}
    if not lines:
        problem = reader.gettext("Please write at least one line the candidate can read.")
        return _feedback_form(request, token, link, view, status=422, problem=problem, **again)
    override = _override(form)
    if override == "reason":
        problem = reader.gettext("To send the lines as written, say why in a few words.")
        return _feedback_form(
            request,
            token,
            link,
            view,
            status=422,
            problem=problem,
            findings=_findings(lines, view.staff_locale),  # the override box stays to answer in
            **again,
        )
    if override is None:
        findings = _findings(lines, view.staff_locale)
        if findings:
            return _feedback_form(
                request, token, link, view, status=422, findings=findings, **again
            )
    try:
        cmd = SubmitFeedback(
            interview_id=link.interview_id or "",
            feedback=lines,
            internal_notes=notes or None,
            override=override if isinstance(override, ScreeningOverride) else None,
            via=Via(channel="page", actor=_actor(link, "interviewer"), link=link_digest(token)),
        )
    except ValidationError as err:
        problem = describe_errors(err)
        return _feedback_form(request, token, link, view, status=422, problem=problem, **again)
    key = hashlib.sha256(f"{token}\n{form.one('lines')}\n{notes}".encode()).hexdigest()[:32]
    try:
        await (await _client(request)).update_candidacy(
            link.workflow_id, contract.UPDATE_SUBMIT_FEEDBACK, cmd, request_id=f"page-fb-{key}"
        )
    except Refused as err:
        return _feedback_form(request, token, link, view, status=409, problem=str(err), **again)
    except NotFound:
        return _gone(reader)
    except HeardbackError:
        return _busy(reader)
    log.info("page_feedback_recorded", workflow_id=link.workflow_id, lines=len(lines))
    interview = next((iv for iv in view.interviews if iv.interview_id == link.interview_id), None)
    sent_already = interview is not None and not interview.this_round
    return _page(
        reader,
        "feedback_done.html.j2",
        view=view,
        lines=lines,
        first_name=_first_name(view.candidate_name),
        soon=sent_already or view.state in ("finishing",) or view.outcome is not None,
    )


def _actor(link: Link, default: str) -> Any:
    return link.actor if link.actor in ("interviewer", "contact", "candidate") else default


def _expired_form(reader: Reader) -> HTMLResponse:
    return _plain(
        reader,
        403,
        reader.gettext("Please send the form again"),
        reader.gettext(
            "The form was open for too long, or your browser did not send it back as we gave it. "
            "Open the link from the email again; nothing was recorded."
        ),
    )


# --- the contact's decision page ---------------------------------------------------------------


def _used(view: PageView, token: str) -> Any:
    digest = link_digest(token)
    return next((d for d in view.decisions if d.via and d.via.link == digest), None)


@router.get("/d/{token}", response_class=HTMLResponse)
async def decision_page(request: Request, token: str) -> Response:
    opened = await _open(request, token, "decision")
    if isinstance(opened, Response):
        return opened
    link, view = opened
    return _decision_form(request, token, link, view)


def _decision_form(
    request: Request,
    token: str,
    link: Link,
    view: PageView,
    *,
    status: int = 200,
    form: _Form | None = None,
    chosen: str | None = None,
    findings: list[dict[str, str]] | None = None,
    problem: str | None = None,
) -> HTMLResponse:
    pages = pages_of(request)
    reader = _staff_reader(view)
    used = _used(view, token)
    open_here = view.state in ("active", "on_hold") and (
        link.round is None or link.round == view.round
    )
    cookie, new = _csrf_cookie(request)
    now = datetime.now(UTC)
    hold_latest = view.latest_hold_until or now + view.hold_max
    response = _page(
        reader,
        "decision.html.j2",
        status,
        view=view,
        used=used,
        open_here=open_here and used is None,
        latest=view.decisions[-1] if view.decisions else None,
        this_round=[iv for iv in view.interviews if iv.this_round],
        earlier=[iv for iv in view.interviews if not iv.this_round],
        first_name=_first_name(view.candidate_name),
        csrf=_csrf_field(pages, cookie, token),
        hold_min=(now + timedelta(days=1)).astimezone(reader.zone).date().isoformat(),
        hold_max=hold_latest.astimezone(reader.zone).date().isoformat(),
        hold_latest=hold_latest,
        form=form or _Form({}),
        chosen=chosen,
        findings=findings or [],
        problem=problem,
        overdue=view.decision_due_at is not None and view.decision_due_at <= now,
    )
    return _finish(pages, response, cookie, new)


@router.post("/d/{token}", response_class=HTMLResponse)
async def decision_submit(request: Request, token: str) -> Response:
    submitted = await _submitted(request, token, "decision")
    if isinstance(submitted, Response):
        return submitted
    link, view, reader, form = submitted
    if _used(view, token) is not None or view.state not in ("active", "on_hold"):
        return _decision_form(request, token, link, view, status=409)
    if link.round is not None and link.round != view.round:
        return _decision_form(request, token, link, view, status=409)
    outcome = form.one("outcome")
    again: dict[str, Any] = {"form": form, "chosen": outcome}
    lines = form.lines(f"{outcome}_lines")
    override = _override(form)
    if override == "reason":
        problem = reader.gettext("To send the lines as written, say why in a few words.")
        return _decision_form(
            request,
            token,
            link,
            view,
            status=422,
            problem=problem,
            findings=_findings(lines, view.staff_locale),  # the override box stays to answer in
            **again,
        )
    if lines and override is None:
        findings = _findings(lines, view.staff_locale)
        if findings:
            return _decision_form(
                request, token, link, view, status=422, findings=findings, **again
            )
    fields: dict[str, Any] = {"outcome": outcome, "feedback": lines}
    if outcome == "advance":
        fields["next_stage"] = form.one("next_stage") or None
    if outcome == "hold":
        until = _hold_until(form.one("hold_until"), reader)
        if until is None:
            problem = reader.gettext("Please choose the date the hold lasts until.")
            return _decision_form(request, token, link, view, status=422, problem=problem, **again)
        fields["hold_until"] = until
    try:
        cmd = Decide(
            **fields,
            override=override if isinstance(override, ScreeningOverride) else None,
            via=Via(channel="page", actor="contact", link=link_digest(token)),
        )
    except ValidationError as err:
        problem = describe_errors(err)
        return _decision_form(request, token, link, view, status=422, problem=problem, **again)
    try:
        result = await (await _client(request)).update_candidacy(
            link.workflow_id,
            contract.UPDATE_DECIDE,
            cmd,
            request_id=f"page-decide-{link_digest(token)}",  # one decision per link, ever
        )
    except Refused as err:
        return _decision_form(request, token, link, view, status=409, problem=str(err), **again)
    except NotFound:
        return _gone(reader)
    except HeardbackError:
        return _busy(reader)
    # Two tabs of one link can race: the update id makes one decision win, so say what was
    # decided (as recorded), not what this form asked for.
    with contextlib.suppress(HeardbackError):
        made = _used(await (await _client(request)).page_view(link.workflow_id), token)
        if made is not None:
            outcome = made.outcome
    log.info("page_decision_recorded", workflow_id=link.workflow_id, outcome=outcome)
    return _page(
        reader,
        "decision_done.html.j2",
        view=view,
        outcome=outcome,
        state=result.state,
        first_name=_first_name(view.candidate_name),
    )


def _hold_until(value: str, reader: Reader) -> datetime | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    try:
        return datetime.combine(day, HOLD_DECIDED_AT, tzinfo=reader.zone).astimezone(UTC)
    except (OverflowError, ValueError):  # a date at the end of the calendar
        return None


# --- the candidate's status page ---------------------------------------------------------------


@router.get("/s/{token}", response_class=HTMLResponse)
async def status_page(request: Request, token: str) -> Response:
    opened = await _open(request, token, "status")
    if isinstance(opened, Response):
        return opened
    _, view = opened
    return _status(request, token, view)


def _status(
    request: Request,
    token: str,
    view: PageView,
    *,
    status: int = 200,
    problem: str | None = None,
    withdrawn_now: bool = False,
) -> HTMLResponse:
    pages = pages_of(request)
    reader = _candidate_reader(view)
    cookie, new = _csrf_cookie(request)
    response = _page(
        reader,
        "status.html.j2",
        status,
        view=view,
        first_name=_first_name(view.candidate_name),
        open=view.state in ("active", "on_hold"),
        csrf=_csrf_field(pages, cookie, token),
        problem=problem,
        withdrawn_now=withdrawn_now,
    )
    return _finish(pages, response, cookie, new)


@router.post("/s/{token}", response_class=HTMLResponse)
async def status_withdraw(request: Request, token: str) -> Response:
    submitted = await _submitted(request, token, "status")
    if isinstance(submitted, Response):
        return submitted
    link, view, reader, form = submitted
    if form.one("confirm") != "yes":
        problem = reader.gettext("Tick the box to confirm that you want to withdraw.")
        return _status(request, token, view, status=422, problem=problem)
    reason = form.one("reason") or None
    try:
        cmd = Withdraw(
            reason=reason,
            via=Via(channel="page", actor="candidate", link=link_digest(token)),
        )
    except ValidationError as err:
        return _status(request, token, view, status=422, problem=describe_errors(err))
    client = await _client(request)
    try:
        await client.update_candidacy(
            link.workflow_id,
            contract.UPDATE_WITHDRAW,
            cmd,
            request_id=f"page-withdraw-{link_digest(token)}",
        )
    except Refused:
        pass  # already decided: the page shows where they stand
    except NotFound:
        return _gone(reader)
    except HeardbackError:
        return _busy(reader)
    log.info("page_withdrawal_recorded", workflow_id=link.workflow_id)
    try:
        view = await client.page_view(link.workflow_id)
    except HeardbackError:
        return _busy(reader)
    return _status(request, token, view, withdrawn_now=view.outcome == "withdrawn")


@router.get("/static/pages.css")
async def stylesheet(request: Request) -> Response:
    return Response(
        pages_of(request).stylesheet,
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
