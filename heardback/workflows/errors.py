"""Every error heardback raises or sends over the wire, in one place.

Wire error types: the ``type`` of the ``ApplicationError`` a workflow or activity fails with.
They cross the process boundary (any Temporal client, in any language, sees them), so they are
part of the public contract::

    InvalidPayload        an update's payload does not match the contract (the field is named)
    CommandRefused        well-formed, but not allowed now (the reason is the message)
    NotStarted            a query reached a candidacy before its start input was read
    UndeliverableAddress  activity -> workflow: the message can never be delivered as addressed
    MessageRefused        activity -> workflow: the mail system permanently refused this message
                          (not its address): it is skipped, later messages still go out
    DeliveryBusy          activity -> workflow: another attempt holds the message (retried)
    EventRejected         activity -> EventOut: the receiver refused the event for good (a 4xx)
    EventsOff             activity -> EventOut: no events URL or secret is configured any more
    EventNotTaken         EventOut's failure: the receiver did not take it before give_up_after

Python exceptions, all below :class:`HeardbackError` (``reason`` is the text to show a person)::

    HeardbackError
    ├── InvalidInput            the command does not match the contract  (HTTP 422, CLI exit 2)
    ├── Refused                 well-formed, but not allowed now          (HTTP 409, CLI exit 2)
    ├── Conflict                it exists in a state that forbids this    (HTTP 409, CLI exit 2)
    ├── NotFound                no such role or candidacy                 (HTTP 404, CLI exit 2)
    ├── Unavailable             Temporal unreachable or busy: retry as is (HTTP 503, CLI exit 1)
    ├── ConfigurationError      settings that cannot work (keys, search attributes)
    │   ├── EncryptionKeyError  keys that cannot be used, or a payload whose key is unknown
    │   └── SearchAttributesMissing  the namespace lacks attributes and we may not add them
    └── DeliveryError           a transport could not hand a message to the mail system
        ├── TransientDeliveryError   not now; retried by the delivery activity
        ├── UndeliverableError       never as addressed (-> UndeliverableAddress)
        │   └── MessageRefusedError  this message never; the address may work (-> MessageRefused)
        └── LedgerBusy               another attempt is delivering this message right now

Over HTTP, :mod:`heardback.gateway.errors` maps these to statuses from one table (and adds its
own `ApiError` for what only HTTP can get wrong: a missing token, a bad signature).
"""

from __future__ import annotations

# --- wire error types (ApplicationError.type) ---------------------------------------------------

ERR_INVALID_PAYLOAD = "InvalidPayload"
ERR_REFUSED = "CommandRefused"
ERR_NOT_STARTED = "NotStarted"
ERR_UNDELIVERABLE = "UndeliverableAddress"
ERR_DELIVERY_BUSY = "DeliveryBusy"
ERR_MESSAGE_REFUSED = "MessageRefused"
ERR_EVENT_REJECTED = "EventRejected"
ERR_EVENTS_OFF = "EventsOff"
ERR_EVENT_NOT_TAKEN = "EventNotTaken"


# --- Python exceptions --------------------------------------------------------------------------


class HeardbackError(Exception):
    """Base of every error heardback raises; `reason` is the message to show a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidInput(HeardbackError):
    """The command does not match the contract (a missing field, a bad id, a blank line)."""


class Refused(HeardbackError):
    """Well-formed, but not allowed now (e.g. a rejection without reasons past the threshold)."""


class NotFound(HeardbackError):
    """No such role or candidacy."""


class Conflict(HeardbackError):
    """It exists in a state that forbids this, e.g. starting a candidacy that already finished."""


class Unavailable(HeardbackError):
    """Temporal could not be reached or was too busy; the call may be retried as it is."""


class ConfigurationError(HeardbackError):
    """Settings that cannot work; the process refuses to start and says why."""


class EncryptionKeyError(ConfigurationError, ValueError):
    """Keys that cannot be used, or a payload whose key is not configured."""


class SearchAttributesMissing(ConfigurationError):
    """The namespace lacks attributes the workflows upsert, and we may not register them."""


class DeliveryError(HeardbackError):
    """Base of transport errors."""


class TransientDeliveryError(DeliveryError):
    """The mail system could not take the message now; retry later."""


class UndeliverableError(DeliveryError):
    """The message can never be delivered as addressed (a permanent refusal)."""


class MessageRefusedError(UndeliverableError):
    """A permanent (5xx) refusal of this message, not of its recipient: never retried, and the
    candidacy's later messages still go out."""


class LedgerBusy(DeliveryError):
    """Another attempt (perhaps on another worker) is delivering this message right now."""

    def __init__(self, reason: str = "another attempt is delivering this message") -> None:
        super().__init__(reason)
