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

ACTIVITY_DELIVER = "deliver_message"

# ApplicationError types that cross the boundary (activity -> workflow).
ERR_UNDELIVERABLE = "UndeliverableAddress"
# ApplicationError types an update is refused with (workflow -> client).
ERR_INVALID_PAYLOAD = "InvalidPayload"  # the command does not match the contract's shape
ERR_REFUSED = "CommandRefused"  # well-formed, but not allowed now (reason in the message)


def candidacy_workflow_id(role_id: str, candidate_id: str) -> str:
    """The one workflow id of a candidacy: ids only, never names or emails."""
    return f"candidacy-{role_id}-{candidate_id}"
