"""Greenhouse's webhooks, as Greenhouse documents them (developers.greenhouse.io/webhooks.html;
every documented example is under tests/fixtures/ats/greenhouse/).

- **Signature**: ``Signature: sha256 <hex>``, HMAC-SHA256 of the raw body with the webhook's
  secret key. Several secrets are accepted at once (`HEARDBACK_GREENHOUSE_WEBHOOK_SECRETS`,
  comma-separated) so a secret can be rotated without losing deliveries.
- **Once**: an event is identified by the SHA-256 of its signed body, never by a header alone (a
  captured body replayed under a new ``Greenhouse-Event-ID`` still acts once); the header is
  kept beside it for operators.
- **Every documented action gets a deliberate answer** (`ACTIONS`): mapped to a heardback
  command, or acknowledged with 200 and recorded as not relevant, with the reason. Greenhouse
  counts only a 200 as delivered and retries anything else for about 15 hours, so a payload we
  cannot process is kept for an operator (the dead-letter list) and answered 200 too.
- **Ids**: a role per Greenhouse job (`gh-<job id>`), a candidacy per application
  (`app-<application id>`): a re-application is a new application, so a new candidacy.
- **Order**: Greenhouse's body carries no event time; `application.last_activity_at` is the
  closest it documents. An event older than one already applied for the same application is
  recorded and not applied, so a late retry never moves a candidate backwards; a move to a stage
  the candidacy has already been through is not announced as progress.

Pure: parsing and planning only; the route applies the plan (see routes_webhooks).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from heardback.gateway.ats_plan import Handling, Plan, Unusable, as_dict, iso_time, signed_by_any

PROVIDER = "greenhouse"
SIGNATURE_HEADER = "Signature"
EVENT_ID_HEADER = "Greenhouse-Event-ID"

# action -> what heardback does with it (the answer recorded for the others says why not).
ACTIONS: dict[str, tuple[Handling, str]] = {
    "new_candidate_application": ("map", "starts the candidacy (and opens the role if new)"),
    "candidate_stage_change": ("map", "tells the candidate they moved on"),
    "reject_candidate": ("map", "sends the rejection, with the reason where the tenant allows"),
    "hire_candidate": ("map", "records the accepted offer"),
    "offer_updated": ("map", "an accepted or declined offer settles the candidacy's offer"),
    "delete_application": ("map", "erases the candidacy"),
    "delete_candidate": ("map", "erases the candidate's candidacies"),
    "candidate_anonymized": ("map", "erases the candidate's candidacies"),
    "job_deleted": ("map", "closes the role (cancelled): everyone still waiting is told"),
    "new_prospect_application": (
        "ignore",
        "a prospect has not applied; heardback starts with an application",
    ),
    "application_updated": ("ignore", "no change heardback acts on (stage moves come separately)"),
    "unreject_candidate": (
        "ignore",
        "a rejection already sent cannot be taken back; a new decision starts from here",
    ),
    "unhire_candidate": ("ignore", "an accepted offer already recorded is not withdrawn"),
    "update_candidate": (
        "ignore",
        "contact changes are not taken over (the address at application is kept)",
    ),
    "merge_candidate": (
        "ignore",
        "a merge keeps every application and its id: the candidacies carry on, nothing is erased",
    ),
    "offer_created": ("ignore", "an offer drafted in Greenhouse is internal until extended"),
    "offer_approved": ("ignore", "an approval is an internal step; the candidate hears at hire"),
    "offer_deleted": ("ignore", "an internal offer record was removed"),
    "interview_deleted": ("ignore", "interviews are read from the Harvest API, not webhooks"),
    "scorecard_deleted": ("ignore", "scorecards are read from the Harvest API, not webhooks"),
    "job_created": ("ignore", "a role is opened with its first application"),
    "job_updated": ("ignore", "job details are taken at the first application"),
    "job_approved": ("ignore", "an approval is internal"),
    "job_post_created": ("ignore", "job posts are not candidacies"),
    "job_post_updated": ("ignore", "job posts are not candidacies"),
    "job_post_deleted": ("ignore", "job posts are not candidacies"),
    "job_interview_stage_deleted": (
        "ignore",
        "a stage removed from a job's plan changes no candidacy",
    ),
    "department_deleted": ("ignore", "departments are not tracked"),
    "office_deleted": ("ignore", "offices are not tracked"),
}


def sign(secret: str, body: bytes) -> str:
    """The ``Signature`` header Greenhouse sends for `body`."""
    return "sha256 " + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secrets: list[str], body: bytes, header: str | None) -> bool:
    """Whether any configured secret signed this exact body."""
    if not header:
        return False
    scheme, _, digest = header.strip().partition(" ")
    if scheme != "sha256" or not digest:
        return False
    return signed_by_any(secrets, body, digest)


def event_key(body: bytes) -> str:
    """What an event is deduplicated on: the signed body itself."""
    return f"{PROVIDER}-{hashlib.sha256(body).hexdigest()}"


def role_id(job_id: object) -> str:
    return f"gh-{job_id}"


def candidate_id(application_id: object) -> str:
    return f"app-{application_id}"


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def personal_email(candidate: dict[str, Any]) -> str | None:
    """The address Greenhouse marks personal, else its first; never a work address first."""
    addresses = [a for a in candidate.get("email_addresses") or [] if isinstance(a, dict)]
    for kind in ("personal", "other", "work"):
        for a in addresses:
            if a.get("type") == kind and isinstance(a.get("value"), str) and a["value"].strip():
                return str(a["value"]).strip()
    return None


def parse(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError as err:
        raise Unusable("the body is not JSON") from err
    if not isinstance(data, dict) or not isinstance(data.get("action"), str):
        raise Unusable("not a Greenhouse event: no 'action'")
    return data


def _app_ids(app: dict[str, Any]) -> tuple[str, str]:
    jobs = app.get("jobs") or ([app["job"]] if isinstance(app.get("job"), dict) else [])
    job = jobs[0].get("id") if jobs and isinstance(jobs[0], dict) else app.get("job_id")
    if job is None or app.get("id") is None:
        raise Unusable("payload.application needs its id and a job")
    return role_id(job), candidate_id(app["id"])


def _application(p: Plan, app: dict[str, Any]) -> tuple[str, str]:
    """The candidacy an application-shaped event is about; its order key and time."""
    role, cand = _app_ids(app)
    p.application = f"{role}/{cand}"
    p.occurred_at = iso_time(app.get("last_activity_at")) or iso_time(app.get("rejected_at"))
    return role, cand


def _new_application(p: Plan, payload: dict[str, Any], _: bool) -> None:
    app = as_dict(payload.get("application"))
    role, cand = _application(p, app)
    if app.get("prospect"):
        p.handling, p.reason = "ignore", ACTIONS["new_prospect_application"][1]
        return
    candidate = app.get("candidate")
    if not isinstance(candidate, dict):
        raise Unusable("payload.application.candidate is missing")
    name = " ".join(str(x) for x in (candidate.get("first_name"), candidate.get("last_name")) if x)
    jobs = app.get("jobs") or []
    title = (jobs[0].get("name") if jobs and isinstance(jobs[0], dict) else None) or "a role"
    p.steps.append(("open_role", {"role_id": role, "title": str(title)}))
    p.steps.append(
        (
            "add_candidate",
            {
                "role_id": role,
                "candidate_id": cand,
                "name": name,
                "email": personal_email(candidate),
                "can_email": candidate.get("can_email") is not False,
                "external_candidate": str(candidate.get("id", "")),
                "application": p.application,
                "stage": _get(app, "current_stage", "name"),
            },
        )
    )


def _stage_change(p: Plan, payload: dict[str, Any], _: bool) -> None:
    app = as_dict(payload.get("application"))
    role, cand = _application(p, app)
    stage = _get(app, "current_stage", "name")
    if not isinstance(stage, str) or not stage.strip():
        raise Unusable("payload.application.current_stage.name is missing")
    p.steps.append(
        (
            "advance",
            {"role_id": role, "candidate_id": cand, "stage": stage, "application": p.application},
        )
    )


def _reject(p: Plan, payload: dict[str, Any], as_written: bool) -> None:
    app = as_dict(payload.get("application"))
    role, cand = _application(p, app)
    why = _get(app, "rejection_reason", "name")
    lines = [str(why)] if as_written and isinstance(why, str) and why.strip() else []
    p.steps.append(("reject", {"role_id": role, "candidate_id": cand, "feedback": lines}))


def _hire(p: Plan, payload: dict[str, Any], _: bool) -> None:
    role, cand = _application(p, as_dict(payload.get("application")))
    p.steps.append(("hired", {"role_id": role, "candidate_id": cand}))


def _offer_updated(p: Plan, payload: dict[str, Any], _: bool) -> None:
    status = str(payload.get("offer_status") or "").lower()
    if payload.get("application_id") is None or payload.get("job_id") is None:
        raise Unusable("payload.application_id and payload.job_id are needed")
    if status not in ("accepted", "rejected"):
        p.handling = "ignore"
        p.reason = f"offer status {status or 'unknown'!r} settles nothing"
        return
    role, cand = role_id(payload["job_id"]), candidate_id(payload["application_id"])
    event = "accepted" if status == "accepted" else "declined"
    p.steps.append(("offer", {"role_id": role, "candidate_id": cand, "event": event}))


def _delete_application(p: Plan, payload: dict[str, Any], _: bool) -> None:
    app = as_dict(payload.get("application"))
    if app.get("id") is None or app.get("job_id") is None:
        raise Unusable("payload.application needs its id and job_id")
    role, cand = role_id(app["job_id"]), candidate_id(app["id"])
    p.steps.append(("erase", {"role_id": role, "candidate_id": cand}))


def _delete_candidate(p: Plan, payload: dict[str, Any], _: bool) -> None:
    person = as_dict(payload.get("person"))
    if person.get("id") is None:
        raise Unusable("payload.person.id is missing")
    for application in person.get("deleted_application_ids") or []:
        p.steps.append(("erase_application", {"candidate_id": candidate_id(application)}))
    p.steps.append(("erase_candidate", {"external_candidate": str(person["id"])}))


def _anonymized(p: Plan, payload: dict[str, Any], _: bool) -> None:
    if payload.get("candidate_id") is None:
        raise Unusable("payload.candidate_id is missing")
    p.steps.append(("erase_candidate", {"external_candidate": str(payload["candidate_id"])}))


def _job_deleted(p: Plan, payload: dict[str, Any], _: bool) -> None:
    job = _get(payload, "job", "id")
    if job is None:
        raise Unusable("payload.job.id is missing")
    p.steps.append(("close_role", {"role_id": role_id(job)}))


MAPPERS = {
    "new_candidate_application": _new_application,
    "candidate_stage_change": _stage_change,
    "reject_candidate": _reject,
    "hire_candidate": _hire,
    "offer_updated": _offer_updated,
    "delete_application": _delete_application,
    "delete_candidate": _delete_candidate,
    "candidate_anonymized": _anonymized,
    "job_deleted": _job_deleted,
}


def plan(event: dict[str, Any], *, reasons_as_written: bool) -> Plan:
    """The plan for one parsed event (Unusable when a mapped action lacks what it needs)."""
    action = str(event["action"])
    handling, reason = ACTIONS.get(action, ("ignore", "not an action Greenhouse documents"))
    p = Plan(action=action, handling=handling, reason=reason)
    if handling == "map":
        MAPPERS[action](p, as_dict(event.get("payload")), reasons_as_written)
    return p
