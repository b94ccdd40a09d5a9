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
UPDATE_OFFER = "offer_update"  # added in 1.1
UPDATE_ERASE = "erase"  # added in 1.2: ends the candidacy on request, no further mail
QUERY_STATUS = "status"
QUERY_PAGE_VIEW = "page_view"  # added in 1.2: what the one-step pages show (carries PII)
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
# The Role's memo key for its summary snapshot (1.7): {"as_of": ISO time, "summary": RoleSummary}
MEMO_SUMMARY = "summary"
# The role, its policy and status: what a client needs to start candidacies under it directly.
QUERY_DEFINITION = "definition"
# Sent by each Candidacy to its Role when its state or stage changes.
SIGNAL_CANDIDACY_CHANGED = "candidacy_changed"

ACTIVITY_START_CANDIDACY = "start_candidacy"
ACTIVITY_SEND_TO_CANDIDACIES = "send_to_candidacies"

ACTIVITY_DELIVER = "deliver_message"

RETENTION_SWEEP_WORKFLOW = "RetentionSweep"
RETENTION_SCHEDULE_ID = "heardback-retention"
ACTIVITY_SWEEP_RETENTION = "sweep_retention"
ERASE_WORKFLOW = "EraseCandidacy"
ACTIVITY_ERASE_CANDIDACY = "erase_candidacy"


# Events out (1.5): each event is a short workflow on its own task queue, whose activity posts it
# to the tenant's URL with retries (a slow receiver never holds a delivery slot).
EVENT_WORKFLOW = "EventOut"
EVENTS_TASK_QUEUE = "heardback-events"
ACTIVITY_POST_EVENT = "post_event"
ACTIVITY_ANNOUNCE_EVENT = "announce_event"  # local: the candidacy's own events
EVENT_WORKFLOW_PREFIX = "event:"


# What a payload decodes to once its data key was destroyed (the candidate was erased).
ERASED_MARKER = "heardback_erased"


def candidacy_workflow_id(role_id: str, candidate_id: str) -> str:
    """The one workflow id of a candidacy: ids only, never names or emails."""
    return f"candidacy-{role_id}-{candidate_id}"


def role_workflow_id(role_id: str) -> str:
    return f"role-{role_id}"


def event_workflow_id(event_id: str) -> str:
    """The workflow that posts one event: its id is the event's, so an event is posted once."""
    return f"{EVENT_WORKFLOW_PREFIX}{event_id}"
