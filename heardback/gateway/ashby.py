"""Ashby's webhooks, as Ashby documents them (developers.ashbyhq.com: authenticating webhooks,
common payload data, retries, related webhooks; the webhook reference generated from Ashby's
OpenAPI schema; examples built from that schema under tests/fixtures/ats/ashby/).

- **Signature**: ``Ashby-Signature: sha256=<hex>``, HMAC-SHA256 of the raw body with the
  webhook's secret token; several secrets at once (`HEARDBACK_ASHBY_WEBHOOK_SECRETS`) for
  rotation.
- **Once**: an event is its signed ``webhookActionId`` and ``action`` (Ashby keeps the id across
  retries, and shares it between the related webhooks one action fires, e.g. a stage change and
  the application update beside it): a replay acts once, and related webhooks carry the same
  request ids, so the one decision they describe is made once.
- **Answers**: Ashby retries anything but a 2xx (and gives up at once on 401, 403, 404, 405 and
  410), so every documented action is answered 200: mapped, or recorded as not relevant.
- **Ids**: a role per Ashby job (`ab-<job id>`), a candidacy per application (`app-<id>`): a
  re-application is a new application, so a new candidacy.
- **Order**: the application's ``updatedAt`` orders events for it; an older one is not applied.
- **The address**: the webhook names only the candidate's primary address. When Ashby marks it
  Work (or Other) and an API key is set, the candidate's addresses are read from Ashby
  (``candidate.info``, in an activity) and a Personal one is preferred.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import structlog

from heardback.gateway import ats_plan
from heardback.gateway.ats_plan import Plan, Unusable, as_dict, iso_time, signed_by_any
from heardback.gateway.provider_api import NotAllowed, ProviderApi

log = structlog.get_logger("heardback.gateway")

PROVIDER = "ashby"
SIGNATURE_HEADER = "Ashby-Signature"

# action -> ("map" | "ignore", what heardback does with it, or why not).
ACTIONS: dict[str, tuple[str, str]] = {
    "applicationSubmit": ("map", "starts the candidacy (and opens the role if new)"),
    "candidateStageChange": (
        "map",
        "tells the candidate they moved on; archived: the rejection, with the reason where the "
        "tenant allows",
    ),
    "applicationUpdate": (
        "map",
        "archived: the rejection (the same one as the stage change beside it); otherwise "
        "nothing to act on",
    ),
    "candidateHire": ("map", "records the accepted offer"),
    "candidateDelete": ("map", "erases the candidate's candidacies"),
    "candidateMerge": (
        "map",
        "the applications carry on under the kept candidate (their candidacies continue)",
    ),
    "jobUpdate": ("map", "a job closed or archived closes its role: everyone waiting is told"),
    "interviewPlanTransition": ("ignore", "an interview plan change moves no candidate by itself"),
    "interviewScheduleCreate": (
        "ignore",
        "Ashby sends interviewScheduleUpdate with it, and that one records the interviews",
    ),
    "interviewScheduleUpdate": (
        "map",
        "a schedule whose interviews took place (WaitingOnFeedback, Complete) records them as "
        "rounds of the candidacy, with the candidate-facing lines of the feedback submitted in "
        "Ashby (applicationFeedback.list, the fields the tenant names); an interviewer without "
        "such lines is asked by heardback's reminder",
    ),
    "jobCreate": ("ignore", "a role is opened with its first application"),
    "jobPostingUpdate": ("ignore", "job postings are not candidacies"),
    "jobPostingPublish": ("ignore", "job postings are not candidacies"),
    "jobPostingUnpublish": ("ignore", "job postings are not candidacies"),
    "offerCreate": ("ignore", "an offer drafted in Ashby is internal; the candidate hears at hire"),
    "offerUpdate": ("ignore", "offer records are internal; the candidate hears at hire"),
    "offerDelete": ("ignore", "an internal offer record was removed"),
    "openingCreate": ("ignore", "openings are headcount, not candidacies"),
    "pushToHRIS": ("ignore", "a hire sent on to the HRIS: already recorded at candidateHire"),
    "ping": ("ignore", "Ashby's test delivery: the webhook is reachable"),
    "signatureRequestUpdate": ("ignore", "e-signature requests are internal"),
    "surveySubmit": ("ignore", "surveys answered in Ashby are Ashby's"),
}
CLOSED_JOB = ("Closed", "Archived")
# interviewSchedule.status values (Ashby's webhook schema) meaning its interviews took place.
HELD = ("WaitingOnFeedback", "Complete")


def sign(secret: str, body: bytes) -> str:
    """The ``Ashby-Signature`` header Ashby sends for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secrets: list[str], body: bytes, header: str | None) -> bool:
    if not header:
        return False
    scheme, _, digest = header.strip().partition("=")
    if scheme.strip().lower() != "sha256" or not digest:
        return False
    return signed_by_any(secrets, body, digest)


def parse(body: bytes) -> dict[str, Any]:
    try:
        event = json.loads(body)
    except ValueError as err:
        raise Unusable("the body is not JSON") from err
    if not isinstance(event, dict) or not isinstance(event.get("action"), str):
        raise Unusable("not an Ashby event: no 'action'")
    return event


def event_key(event: dict[str, Any], body: bytes) -> str:
    """The signed webhookActionId and action identify an event (else the signed body)."""
    action_id = event.get("webhookActionId")
    signed = f"{event.get('action')}:{action_id}".encode() if isinstance(action_id, str) else body
    return f"{PROVIDER}-{hashlib.sha256(signed).hexdigest()}"


def request_id(event: dict[str, Any], key: str) -> str:
    """Shared by the related webhooks of one Ashby action, so their one decision is made once."""
    action_id = event.get("webhookActionId")
    if isinstance(action_id, str) and action_id:
        return "ab-" + hashlib.sha256(action_id.encode()).hexdigest()[:32]
    return key[-40:]


def answer(event: dict[str, Any]) -> tuple[str, str]:
    return ACTIONS.get(str(event.get("action")), ("ignore", "not an action Ashby documents"))


def role_id(job: object) -> str:
    return f"ab-{job}"


def candidate_id(application: object) -> str:
    return f"app-{application}"


def _s(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _application(p: Plan, app: dict[str, Any]) -> tuple[str, str]:
    job = _s(as_dict(app.get("job")).get("id")) or _s(app.get("jobId"))
    if job is None or _s(app.get("id")) is None:
        raise Unusable("data.application needs its id and its job")
    role, cand = role_id(job), candidate_id(app["id"])
    p.application = f"{role}/{cand}"
    p.occurred_at = iso_time(app.get("updatedAt")) or iso_time(app.get("archivedAt"))
    return role, cand


def _archive_reason(app: dict[str, Any]) -> str | None:
    reason = app.get("archiveReason")
    if isinstance(reason, dict):
        return _s(reason.get("text")) or _s(reason.get("title"))
    return _s(reason)


def personal_address(candidate: dict[str, Any]) -> str | None:
    """A Personal address first, then Other, then Work; the primary breaks ties."""
    found: list[dict[str, Any]] = [
        a for a in [candidate.get("primaryEmailAddress"), *(candidate.get("emailAddresses") or [])]
        if isinstance(a, dict) and _s(a.get("value"))
    ]  # fmt: skip
    for kind in ("Personal", "Other", "Work"):
        for a in found:
            if a.get("type") == kind:
                return str(a["value"]).strip()
    return str(found[0]["value"]).strip() if found else None


async def _address(candidate: dict[str, Any], api: ProviderApi | None) -> str | None:
    primary = as_dict(candidate.get("primaryEmailAddress"))
    if primary.get("type") != "Personal" and api is not None and _s(candidate.get("id")):
        got = await api.post("candidate.info", {"id": candidate["id"]})
        if got.get("success") is False:
            raise NotAllowed("Ashby candidate.info refused: check the API key's permissions")
        return personal_address(as_dict(got.get("results"))) or personal_address(candidate)
    return personal_address(candidate)


FEEDBACK_PAGES = 50  # applicationFeedback.list pages read for one application, at most


def feedback_of(form: dict[str, Any], fields: set[str]) -> tuple[list[str], str | None]:
    """(candidate-facing lines, internal notes) of one submitted feedback form: the answers to
    the fields the tenant names (by title or path), one line per line; every other answer
    (the recommendation, scores, notes) stays internal."""
    titles: dict[str, str] = {}
    for section in as_dict(form.get("formDefinition")).get("sections") or []:
        for entry in as_dict(section).get("fields") or []:
            field = as_dict(as_dict(entry).get("field"))
            if _s(field.get("path")):
                titles[str(field["path"])] = _s(field.get("title")) or str(field["path"])
    answers = [
        # A field named by its path counts as named; the others are labelled by their titles.
        (path if path.casefold() in fields else titles.get(path, path), value)
        for path, value in as_dict(form.get("submittedValues")).items()
    ]
    return ats_plan.split_answers(answers, fields)


async def _feedback(
    api: ProviderApi, application: str, fields: set[str]
) -> dict[tuple[str, str | None], dict[str, Any]]:
    """The submitted feedback of an application, by (interview event, submitter's address)."""
    out: dict[tuple[str, str | None], dict[str, Any]] = {}
    cursor: str | None = None
    for _ in range(FEEDBACK_PAGES):
        ask: dict[str, Any] = {"applicationId": application, "limit": 100}
        if cursor:
            ask["cursor"] = cursor
        got = await api.post("applicationFeedback.list", ask)
        if got.get("success") is False:
            raise NotAllowed(
                "Ashby applicationFeedback.list refused: check the API key's permissions"
                " (candidatesRead)"
            )
        for raw in got.get("results") or []:
            form = as_dict(raw)
            event_id = _s(form.get("interviewEventId"))
            if event_id is None or not _s(form.get("submittedAt")):
                continue
            lines, notes = feedback_of(form, fields)
            by = _s(as_dict(form.get("submittedByUser")).get("email"))
            out[(event_id, by.casefold() if by else None)] = {
                "feedback": lines,
                "internal_notes": notes,
                "feedback_key": f"{form.get('id')}-{form.get('submittedAt')}",
            }
        cursor = _s(got.get("nextCursor")) if got.get("moreDataAvailable") else None
        if cursor is None:
            break
    return out


def _submitted_for(
    submitted: dict[tuple[str, str | None], dict[str, Any]], event_id: str, email: str
) -> dict[str, Any]:
    """The feedback the round's interviewer submitted for the event, else anyone's for it."""
    mine = submitted.get((event_id, email.casefold()))
    if mine is not None:
        return mine
    others = sorted((who or "", v) for (e, who), v in submitted.items() if e == event_id)
    return others[0][1] if others else {}


async def _held_interviews(
    p: Plan, schedule: dict[str, Any], api: ProviderApi | None, fields: set[str]
) -> Plan:
    """The rounds of a schedule whose interviews took place: one per interview event with an
    interviewer's address and its times; with an API key, each with the candidate-facing lines
    of the feedback its interviewer submitted in Ashby (else heardback's reminder asks)."""
    status = schedule.get("status")
    if status not in HELD:
        p.handling = "ignore"
        p.reason = f"schedule status {status!r}: no interview of it has taken place yet"
        return p
    application = _s(schedule.get("applicationId"))
    if application is None:
        raise Unusable("data.interviewSchedule.applicationId is missing")
    rounds: list[dict[str, Any]] = []
    for raw in schedule.get("interviewEvents") or []:
        ev = as_dict(raw)
        start, end = iso_time(ev.get("startTime")), iso_time(ev.get("endTime"))
        who = next(
            (_s(as_dict(i).get("email")) for i in ev.get("interviewers") or []
             if _s(as_dict(i).get("email"))),
            None,
        )  # fmt: skip
        if _s(ev.get("id")) is None or who is None or start is None or end is None or end <= start:
            continue
        rounds.append(
            {
                "interview_id": f"ab-ie-{ev['id']}",
                "event_id": str(ev["id"]),
                "interviewer_email": who,
                "seconds": (end - start).total_seconds(),
            }
        )
    if not rounds:
        p.handling = "ignore"
        p.reason = "no interview event with an interviewer's address and its times"
        return p
    submitted: dict[tuple[str, str | None], dict[str, Any]] = {}
    if api is not None:
        try:
            submitted = await _feedback(api, application, fields)
        except NotAllowed as err:
            # The rounds are recorded all the same (their interviewers are then asked).
            log.warning("ashby_feedback_not_read", reason=err.reason)
    for r in rounds:
        r.update(_submitted_for(submitted, r.pop("event_id"), str(r["interviewer_email"])))
    p.steps.append(
        (
            "interviews",
            {"candidate_id": candidate_id(application), "rounds": rounds},
        )
    )  # fmt: skip
    return p


async def resolve(
    event: dict[str, Any],
    api: ProviderApi | None,
    *,
    reasons_as_written: bool,
    feedback_fields: set[str] | None = None,
) -> Plan:
    """The plan for a verified Ashby event (reads candidate.info only for a non-personal
    primary address, and only with an API key)."""
    action = str(event.get("action"))
    handling, reason = answer(event)
    p = Plan(action=action, handling="map" if handling == "map" else "ignore", reason=reason)
    if handling != "map":
        return p
    data = as_dict(event.get("data"))
    if action == "interviewScheduleUpdate":
        return await _held_interviews(
            p, as_dict(data.get("interviewSchedule")), api, feedback_fields or set()
        )
    app = as_dict(data.get("application"))
    if action == "applicationSubmit":
        role, cand = _application(p, app)
        candidate = as_dict(app.get("candidate"))
        title = _s(as_dict(app.get("job")).get("title")) or "a role"
        p.steps.append(("open_role", {"role_id": role, "title": title}))
        p.steps.append(
            (
                "add_candidate",
                {
                    "role_id": role,
                    "candidate_id": cand,
                    "name": _s(candidate.get("name")) or "",
                    "email": await _address(candidate, api),
                    # Ashby's webhook documents no opt-out field.
                    "can_email": True,
                    "external_candidate": _s(candidate.get("id")) or "",
                    "application": p.application,
                    "stage": _s(as_dict(app.get("currentInterviewStage")).get("title")),
                },
            )
        )
        return p
    if action in ("candidateStageChange", "applicationUpdate"):
        role, cand = _application(p, app)
        status = app.get("status")
        if status == "Archived":
            why = _archive_reason(app)
            lines = [why] if reasons_as_written and why else []
            p.steps.append(("reject", {"role_id": role, "candidate_id": cand, "feedback": lines}))
        elif action == "candidateStageChange" and status == "Active":
            stage = _s(as_dict(app.get("currentInterviewStage")).get("title"))
            if stage is None:
                raise Unusable("data.application.currentInterviewStage.title is missing")
            p.steps.append(
                ("advance", {"role_id": role, "candidate_id": cand, "stage": stage,
                             "application": p.application})
            )  # fmt: skip
        else:
            p.handling = "ignore"
            p.reason = (
                "a hire comes as candidateHire"
                if status == "Hired"
                else f"application status {status!r}: nothing to act on"
            )
        return p
    if action == "candidateHire":
        role, cand = _application(p, app)
        p.steps.append(("hired", {"role_id": role, "candidate_id": cand}))
        return p
    if action == "candidateDelete":
        person = _s(as_dict(data.get("candidate")).get("id"))
        if person is None:
            raise Unusable("data.candidate.id is missing")
        p.steps.append(("erase_candidate", {"external_candidate": person}))
        return p
    if action == "candidateMerge":
        gone = _s(as_dict(data.get("deletedCandidate")).get("id"))
        kept = _s(as_dict(data.get("mergedCandidate")).get("id"))
        if gone is None or kept is None:
            raise Unusable("data.deletedCandidate.id and data.mergedCandidate.id are needed")
        p.steps.append(("relink", {"from": gone, "to": kept}))
        return p
    return _job_update(p, as_dict(data.get("job")))


def _job_update(p: Plan, job: dict[str, Any]) -> Plan:
    """A job closed or archived in Ashby closes its role (everyone still waiting is told)."""
    if _s(job.get("id")) is None:
        raise Unusable("data.job.id is missing")
    if job.get("status") not in CLOSED_JOB:
        p.handling = "ignore"
        p.reason = f"job status {job.get('status')!r}: its role stays as it is"
        return p
    p.steps.append(("close_role", {"role_id": role_id(job["id"])}))
    return p
