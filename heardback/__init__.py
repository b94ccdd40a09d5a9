"""heardback: every candidate hears back.

A backend installs this package and drives candidacies with the client::

    from heardback import Candidate, CandidacyInput, HeardbackClient, Role

The package's folders are its layers, each importing only from those below it::

    heardback.cli, heardback.gateway   entry points for people and HTTP backends
    heardback.worker                   the worker process and the dev stack
    heardback.starter                  the Python client (HeardbackClient), reports, the demo
    heardback.activities               all I/O: rendering, delivery, the ledger, fan-out
    heardback.runtime                  settings, data converter, codec, logging, metrics
    heardback.workflows                the contract, the models, the rules and the workflows
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from heardback.starter.client import CandidacyListing, HeardbackClient
    from heardback.workflows.errors import (
        Conflict,
        HeardbackError,
        InvalidInput,
        NotFound,
        Refused,
        Unavailable,
    )
    from heardback.workflows.models import (
        AdvanceCohort,
        CandidacyInput,
        Candidate,
        CloseRole,
        CohortResult,
        Decide,
        InterviewCompleted,
        OfferUpdate,
        PauseRole,
        Policy,
        Role,
        RoleCommandResult,
        RoleInput,
        RoleSummary,
        Status,
        SubmitFeedback,
        UpdateResult,
        Withdraw,
    )

# Imported on first use: `import heardback.workflows...` (a worker, the workflow sandbox, a
# replayer) must not pull in the client and everything it needs.
_WHERE = {
    "AdvanceCohort": "heardback.workflows.models",
    "CandidacyInput": "heardback.workflows.models",
    "CandidacyListing": "heardback.starter.client",
    "Candidate": "heardback.workflows.models",
    "CloseRole": "heardback.workflows.models",
    "CohortResult": "heardback.workflows.models",
    "Conflict": "heardback.workflows.errors",
    "Decide": "heardback.workflows.models",
    "HeardbackClient": "heardback.starter.client",
    "HeardbackError": "heardback.workflows.errors",
    "InterviewCompleted": "heardback.workflows.models",
    "InvalidInput": "heardback.workflows.errors",
    "NotFound": "heardback.workflows.errors",
    "PauseRole": "heardback.workflows.models",
    "Policy": "heardback.workflows.models",
    "Refused": "heardback.workflows.errors",
    "Role": "heardback.workflows.models",
    "RoleCommandResult": "heardback.workflows.models",
    "RoleInput": "heardback.workflows.models",
    "RoleSummary": "heardback.workflows.models",
    "Status": "heardback.workflows.models",
    "SubmitFeedback": "heardback.workflows.models",
    "Unavailable": "heardback.workflows.errors",
    "UpdateResult": "heardback.workflows.models",
    "Withdraw": "heardback.workflows.models",
    "OfferUpdate": "heardback.workflows.models",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'heardback' has no attribute {name!r}")
    import importlib  # noqa: PLC0415 - only for the lazy exports

    return getattr(importlib.import_module(_WHERE[name]), name)


__all__ = [
    "AdvanceCohort",
    "CandidacyInput",
    "CandidacyListing",
    "Candidate",
    "CloseRole",
    "CohortResult",
    "Conflict",
    "Decide",
    "HeardbackClient",
    "HeardbackError",
    "InterviewCompleted",
    "InvalidInput",
    "NotFound",
    "OfferUpdate",
    "PauseRole",
    "Policy",
    "Refused",
    "Role",
    "RoleCommandResult",
    "RoleInput",
    "RoleSummary",
    "Status",
    "SubmitFeedback",
    "Unavailable",
    "UpdateResult",
    "Withdraw",
]
