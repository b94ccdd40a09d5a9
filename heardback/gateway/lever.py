"""Lever's webhooks, as Lever documents them (hire.lever.co/developer/documentation#webhooks; the
documented example is under tests/fixtures/ats/lever/).

- **Signature inside the body**: ``signature`` is the hex HMAC-SHA256, under the webhook's
  signature token, of ``token + triggeredAt``; several tokens are accepted at once
  (`HEARDBACK_LEVER_WEBHOOK_SECRETS`) for rotation. Lever signs only those two fields, so the
  event is identified by them (a replay of the same token acts once) and ``triggeredAt`` must be
  recent (`HEARDBACK_LEVER_MAX_AGE`, covering Lever's retries).
- **Ids only**: Lever's payloads carry ids (opportunity, contact, stages), not names, addresses
  or stage titles. The webhook answers at once and hands the event to a workflow
  (heardback.gateway.ats_worker) whose activity reads what is missing from Lever's API
  (:func:`resolve`) and then acts; a provider outage delays the event, never loses it.
- **Ids**: a role per Lever posting (`lv-<posting id>`), a candidacy per opportunity
  (`opp-<opportunity id>`): Lever puts every application on its own opportunity, so a
  re-application is a new candidacy.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from heardback.gateway import ats_plan
from heardback.gateway.ats_plan import Plan, Unusable, as_dict
from heardback.gateway.provider_api import ProviderApi

PROVIDER = "lever"

# event -> what heardback does with it: "fetch" (read what is missing from Lever's API, in an
# activity, then act) or "ignore" (answered 200 and recorded, with the reason).
EVENTS: dict[str, tuple[str, str]] = {
    "applicationCreated": ("fetch", "starts the candidacy (and opens the role if new)"),
    "candidateStageChange": ("fetch", "tells the candidate they moved on"),
    "candidateArchiveChange": (
        "fetch",
        "archived as not hired: the rejection; archived as hired: the accepted offer",
    ),
    "candidateHired": ("fetch", "records the accepted offer"),
    "candidateDeleted": ("fetch", "erases the candidate's candidacies"),
    "interviewCreated": (
        "fetch",
        "reads the opportunity's interviews and feedback from Lever's API (the Beta event's own "
        "fields are not documented): an interview that took place becomes a round",
    ),
    "interviewUpdated": (
        "fetch",
        "reads the opportunity's interviews and feedback from Lever's API (the Beta event's own "
        "fields are not documented): an interview that took place becomes a round, with the "
        "candidate-facing lines of its completed feedback",
    ),
    "interviewDeleted": (
        "ignore",
        "an interview removed in Lever: a round heardback recorded stays (the candidate sat it)",
    ),
    "contactCreated": ("ignore", "contact records are not candidacies"),
    "contactUpdated": ("ignore", "contact changes are not taken over"),
}


class Refused(ValueError):
    """Not a delivery Lever signed (or too old): answered 401, nothing kept."""


def sign(secret: str, token: str, triggered_at: int) -> str:
    return hmac.new(secret.encode(), f"{token}{triggered_at}".encode(), hashlib.sha256).hexdigest()


def verify(
    secrets: list[str], body: bytes, *, now: datetime | None = None, max_age: timedelta
) -> dict[str, Any]:
    """The event, if one of the tokens signed it and it is recent; else Refused."""
    try:
        event = json.loads(body)
    except ValueError as err:
        raise Refused("the body is not JSON") from err
    if not isinstance(event, dict):
        raise Refused("not a Lever event")
    token, at, given = event.get("token"), event.get("triggeredAt"), event.get("signature")
    if not isinstance(token, str) or not isinstance(at, int) or not isinstance(given, str):
        raise Refused("token, triggeredAt and signature are required (set a signature token)")
    ok = False
    for secret in secrets:
        ok |= hmac.compare_digest(sign(secret, token, at).encode(), given.lower().encode())
    if not ok:
        raise Refused("the signature does not match")
    sent = datetime.fromtimestamp(at / 1000, UTC)
    if abs((now or datetime.now(UTC)) - sent) > max_age:
        raise Refused(f"triggeredAt is older than {max_age}: a stale or replayed delivery")
    return event


def event_key(event: dict[str, Any]) -> str:
    """What Lever signed identifies the event."""
    signed = f"{event['token']}{event['triggeredAt']}".encode()
    return f"{PROVIDER}-{hashlib.sha256(signed).hexdigest()}"


def answer(event: dict[str, Any]) -> tuple[str, str]:
    """("fetch" | "ignore", why) for a documented event; unknown ones are ignored."""
    return EVENTS.get(str(event.get("event")), ("ignore", "not an event Lever documents"))


# --- acting on an event, with what Lever's API says (called from an activity) -----------------


def role_id(posting: object) -> str:
    return f"lv-{posting}"


def candidate_id(opportunity: object) -> str:
    return f"opp-{opportunity}"


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def opportunity_of(event: dict[str, Any]) -> str:
    data = as_dict(event.get("data"))
    # `candidateId` is the opportunity's id in Lever's older model (the docs keep both).
    found = _str(data.get("opportunityId")) or _str(data.get("candidateId"))
    if found is None:
        raise Unusable("data.opportunityId is missing")
    return found


async def _posting(api: ProviderApi, opp: dict[str, Any]) -> str:
    apps = opp.get("applications") or []
    if not apps:
        raise Unusable("the opportunity has no application (no posting to open a role for)")
    first = apps[0]
    if isinstance(first, dict):  # expand=applications
        posting = first.get("posting")
    else:
        application = await api.get(f"opportunities/{opp['id']}/applications/{first}")
        posting = (application.get("data") or {}).get("posting")
    if isinstance(posting, dict):
        posting = posting.get("id")
    if not _str(posting):
        raise Unusable("the application has no posting")
    return str(posting)


async def _candidacy(
    api: ProviderApi, opp_id: str, linked: list[tuple[str, str]]
) -> tuple[str, str, dict[str, Any] | None]:
    """The candidacy an opportunity is (from the link kept at application, else from Lever)."""
    if linked:
        return linked[0][0], linked[0][1], None
    opp = (await api.get(f"opportunities/{opp_id}", expand="applications")).get("data") or {}
    return role_id(await _posting(api, opp)), candidate_id(opp_id), opp


async def _application_created(p: Plan, api: ProviderApi, opp_id: str) -> None:
    got = await api.get(f"opportunities/{opp_id}", expand="applications")
    opp = got.get("data") or {}
    role = role_id(await _posting(api, opp))
    cand = candidate_id(opp_id)
    p.application = f"{role}/{cand}"
    posting_id = role.removeprefix("lv-")
    posting = (await api.get(f"postings/{posting_id}")).get("data") or {}
    emails = [e for e in opp.get("emails") or [] if _str(e)]
    contact_ok = ((opp.get("dataProtection") or {}).get("contact") or {}).get("allowed")
    stage = None
    if _str(opp.get("stage")):
        stage = ((await api.get(f"stages/{opp['stage']}")).get("data") or {}).get("text")
    p.steps.append(("open_role", {"role_id": role, "title": _str(posting.get("text")) or "a role"}))
    p.steps.append(
        (
            "add_candidate",
            {
                "role_id": role,
                "candidate_id": cand,
                "name": _str(opp.get("name")) or "",
                # Lever's emails carry no type: the first is the only ordering it gives.
                "email": str(emails[0]).strip() if emails else None,
                # dataProtection.contact.allowed false: the candidate may not be contacted.
                "can_email": contact_ok is not False and not opp.get("isAnonymized"),
                "external_candidate": _str(opp.get("contact")) or "",
                "application": p.application,
                "stage": stage,
            },
        )
    )


PAGES = 20  # pages of one Lever list read at most (100 records each)


async def _all(api: ProviderApi, path: str) -> list[dict[str, Any]]:
    """A Lever list, every page (`hasNext`, `next` as the following request's `offset`)."""
    out: list[dict[str, Any]] = []
    offset: str | None = None
    for _ in range(PAGES):
        got = await api.get(path, limit="100", **({"offset": offset} if offset else {}))
        out += [d for d in got.get("data") or [] if isinstance(d, dict)]
        offset = _str(got.get("next")) if got.get("hasNext") else None
        if offset is None:
            break
    return out


def feedback_of(form: dict[str, Any], fields: set[str]) -> tuple[list[str], str | None]:
    """(candidate-facing lines, internal notes) of a completed Lever feedback form: the answers
    to the fields the tenant names (by their text), one line per line; every other answer (the
    rating, the notes) stays internal."""
    answers = [
        (_str(f.get("text")) or "Field", f.get("value"))
        for f in (as_dict(x) for x in form.get("fields") or [])
    ]
    return ats_plan.split_answers(answers, fields)


async def held_rounds(
    api: ProviderApi, opp_id: str, fields: set[str], now: datetime
) -> list[dict[str, Any]]:
    """The opportunity's interviews that took place (not cancelled, ended by `now`), each with
    its first interviewer with an address and, where they completed their feedback form for it,
    its candidate-facing lines (else another panel member's completed form)."""
    interviews = await _all(api, f"opportunities/{opp_id}/interviews")
    forms = [
        f
        for f in await _all(api, f"opportunities/{opp_id}/feedback")
        if f.get("completedAt") and not f.get("deletedAt") and _str(f.get("interview"))
    ]
    rounds: list[dict[str, Any]] = []
    for iv in interviews:
        start, minutes = iv.get("date"), iv.get("duration")
        if iv.get("canceledAt") or not isinstance(start, int) or not isinstance(minutes, int):
            continue
        if (
            minutes <= 0
            or start + minutes * 60_000 > now.timestamp() * 1000
            or not _str(iv.get("id"))
        ):
            continue
        who = next(
            (as_dict(i) for i in iv.get("interviewers") or [] if _str(as_dict(i).get("email"))),
            None,
        )
        if who is None:
            continue
        mine = [f for f in forms if f.get("interview") == iv["id"]]
        mine.sort(key=lambda f: (f.get("user") != who.get("id"), str(f.get("id"))))
        r: dict[str, Any] = {
            "interview_id": f"lv-iv-{iv['id']}",
            "interviewer_email": str(who["email"]).strip(),
            "seconds": minutes * 60,
        }
        if mine:
            lines, notes = feedback_of(mine[0], fields)
            key = f"{mine[0].get('id')}-{mine[0].get('updatedAt') or mine[0].get('completedAt')}"
            r.update(feedback=lines, internal_notes=notes, feedback_key=key)
        rounds.append(r)
    return rounds


async def resolve(
    event: dict[str, Any],
    api: ProviderApi,
    *,
    linked: list[tuple[str, str]],
    reasons_as_written: bool,
    feedback_fields: set[str] | None = None,
) -> Plan:
    """The plan for a verified Lever event, reading from Lever's API what the body leaves out.
    `linked`: the candidacies heardback already holds for the event's opportunity."""
    name = str(event.get("event"))
    handling, reason = answer(event)
    p = Plan(action=name, handling="map" if handling == "fetch" else "ignore", reason=reason)
    if handling != "fetch":
        return p
    at = event.get("triggeredAt")
    p.occurred_at = datetime.fromtimestamp(at / 1000, UTC) if isinstance(at, int) else None
    opp_id = opportunity_of(event)
    data: dict[str, Any] = event["data"] if isinstance(event.get("data"), dict) else {}
    if name == "candidateDeleted":
        # Nothing left to read in Lever: erase what heardback holds for the ids it was given.
        p.steps.append(("erase_application", {"candidate_id": candidate_id(opp_id)}))
        if contact := _str(data.get("contactId")):
            p.steps.append(("erase_candidate", {"external_candidate": contact}))
        return p
    if name == "applicationCreated":
        await _application_created(p, api, opp_id)
        return p
    role, cand, opp = await _candidacy(api, opp_id, linked)
    p.application = f"{role}/{cand}"
    # The rounds that took place so far, recorded before the decision that follows them (so a
    # stage result or a rejection carries their feedback); for an interview event, the event.
    rounds = await held_rounds(api, opp_id, feedback_fields or set(), datetime.now(UTC))
    if name in ("interviewCreated", "interviewUpdated"):
        if not rounds:
            p.handling = "ignore"
            p.reason = "no interview of this opportunity has taken place yet"
            return p
        p.steps.append(("interviews", {"role_id": role, "candidate_id": cand, "rounds": rounds}))
        return p
    if rounds:
        p.steps.append(
            ("interviews",
             {"role_id": role, "candidate_id": cand, "rounds": rounds, "quiet": True})
        )  # fmt: skip
    if name == "candidateStageChange":
        to = _str(data.get("toStageId"))
        if to is None:
            raise Unusable("data.toStageId is missing")
        stage = _str(((await api.get(f"stages/{to}")).get("data") or {}).get("text"))
        if stage is None:
            raise Unusable("the stage has no name in Lever")
        p.steps.append(
            ("advance", {"role_id": role, "candidate_id": cand, "stage": stage,
                         "application": p.application})
        )  # fmt: skip
        return p
    if name == "candidateHired":
        p.steps.append(("hired", {"role_id": role, "candidate_id": cand}))
        return p
    # candidateArchiveChange: what the opportunity is archived as now, and why.
    if opp is None:
        opp = (await api.get(f"opportunities/{opp_id}")).get("data") or {}
    archived = as_dict(opp.get("archived"))
    # The attribute table nests {archivedAt, reason}; the retrieve example has top-level
    # archivedAt/archiveReason: both are read.
    why = _str(archived.get("reason")) or _str(opp.get("archiveReason"))
    if why is None:
        p.handling = "ignore"
        p.reason = "unarchived in Lever: a rejection already sent is not taken back"
        return p
    reason_obj = (await api.get(f"archive_reasons/{why}")).get("data") or {}
    if reason_obj.get("type") == "hired":
        p.steps.append(("hired", {"role_id": role, "candidate_id": cand}))
        return p
    text = _str(reason_obj.get("text"))
    lines = [text] if reasons_as_written and text else []
    p.steps.append(("reject", {"role_id": role, "candidate_id": cand, "feedback": lines}))
    return p
