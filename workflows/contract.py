"""Wire names of the public contract: change none of these without a migration.

Any Temporal client, in any language, drives heardback through these names, so they live once,
here, and everything else imports them.
"""

from __future__ import annotations

TASK_QUEUE = "heardback"

CANDIDACY_WORKFLOW = "Candidacy"

SIGNAL_INTERVIEW_COMPLETED = "interview_completed"
UPDATE_SUBMIT_FEEDBACK = "submit_feedback"
UPDATE_DECIDE = "decide"
UPDATE_WITHDRAW = "withdraw"
QUERY_STATUS = "status"
# Sent by the Role to each of its candidacies (any client may send them too).
UPDATE_ROLE_CLOSED = "role_closed"
UPDATE_ROLE_PAUSED = "role_paused"
UPDATE_ROLE_RESUMED = "role_resumed"

ROLE_WORKFLOW = "Role"
UPDATE_ADD_CANDIDATE = "add_candidate"
UPDATE_ADVANCE_COHORT = "advance_cohort"
UPDATE_PAUSE = "pause"
UPDATE_RESUME = "resume"
UPDATE_CLOSE = "close"
QUERY_SUMMARY = "summary"
# Sent by each Candidacy to its Role when its state or stage changes.
SIGNAL_CANDIDACY_CHANGED = "candidacy_changed"

ACTIVITY_START_CANDIDACY = "start_candidacy"
ACTIVITY_SEND_TO_CANDIDACIES = "send_to_candidacies"

# The release whose code path heardback's own starters ask for (`CandidacyInput.release`). A
# candidacy started with release >= 4 takes every change below without asking
# `workflow.patched`: each patch call costs two history events (a version marker and an upsert
# of `TemporalChangeVersion`) in every new candidacy. Starts without it (earlier releases'
# histories, raw clients) keep asking, so their histories replay exactly as before.
RELEASE = 4
# Fixed for good: the patches below are implied for release >= 4. A later patch needs its own
# threshold (the release that introduces it), or running release-4 candidacies would replay
# differently.
PATCHES_IMPLIED_SINCE = 4
# From release 4 a candidacy upserts its search attributes when it settles (nothing left to
# deliver), not in every workflow task, and starts from those its starter set.
PUBLISH_WHEN_SETTLED_SINCE = 4
# From release 4 no Erasure workflow per candidacy: each delivery's ledger row carries when it
# may be erased, and the `heardback-retention` schedule's sweep erases finished candidacies.
RETENTION_BY_SWEEP_SINCE = 4
# From release 4 a candidacy with a message on its way sets no deadline timer: the delivery
# wakes it (see Candidacy._courier_wakes_us).
DEADLINES_WAIT_FOR_COURIER_SINCE = 4

# Patch ids (workflow.patched) of changes made after histories were recorded.
PATCH_NOTIFY_ROLE = "notify-role"
# Release 3's changes share one patch id (one version marker per history, not three): search
# attributes, retention (the erasure), and no more signals to a Role that did not exist.
PATCH_RELEASE_3 = "release-3"
PATCH_SEARCH_ATTRIBUTES = PATCH_RELEASE_3
PATCH_ROLE_MISSING = PATCH_RELEASE_3

ACTIVITY_DELIVER = "deliver_message"
ACTIVITY_ERASE = "erase_personal_data"
ACTIVITY_SCHEDULE_ERASURE = "schedule_erasure"

# Retention: each finished candidacy starts one of these, which erases its personal data later.
ERASURE_WORKFLOW = "Erasure"
PATCH_RETENTION = PATCH_RELEASE_3


RETENTION_SWEEP_WORKFLOW = "RetentionSweep"
RETENTION_SCHEDULE_ID = "heardback-retention"
ACTIVITY_SWEEP_RETENTION = "sweep_retention"


def erasure_workflow_id(candidacy_workflow_id: str) -> str:
    return f"erase-{candidacy_workflow_id}"


# ApplicationError types that cross the boundary (activity -> workflow).
ERR_UNDELIVERABLE = "UndeliverableAddress"
# ApplicationError types an update is refused with (workflow -> client).
ERR_INVALID_PAYLOAD = "InvalidPayload"  # the command does not match the contract's shape
ERR_REFUSED = "CommandRefused"  # well-formed, but not allowed now (reason in the message)


def candidacy_workflow_id(role_id: str, candidate_id: str) -> str:
    """The one workflow id of a candidacy: ids only, never names or emails."""
    return f"candidacy-{role_id}-{candidate_id}"


def role_workflow_id(role_id: str) -> str:
    return f"role-{role_id}"
