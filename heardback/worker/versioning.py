"""Worker Versioning: the worker's deployment version, and making it current.

With `HEARDBACK_WORKER_BUILD_ID` set, the worker polls as version `<deployment>.<build id>` of the
Worker Deployment `HEARDBACK_WORKER_DEPLOYMENT_NAME`. Temporal then sends each workflow task to
the deployment's *current* version (or its ramping one): starting a new build changes nothing
until it is made current, and a rollback is making the previous build current again. Candidacy
and Role are AUTO_UPGRADE (they move to the current build at their next task and change through
`workflow.patched`); RetentionSweep is PINNED (a sweep finishes on the build that started it).
"""

from __future__ import annotations

import asyncio

import structlog
from temporalio.api.workflowservice.v1 import SetWorkerDeploymentCurrentVersionRequest
from temporalio.client import Client
from temporalio.common import WorkerDeploymentVersion
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import WorkerDeploymentConfig

from heardback.runtime.settings import Settings

log = structlog.get_logger("heardback.versioning")


def deployment_version(settings: Settings) -> WorkerDeploymentVersion | None:
    if settings.worker_build_id is None:
        return None
    return WorkerDeploymentVersion(
        deployment_name=settings.worker_deployment_name, build_id=settings.worker_build_id
    )


def deployment_config(settings: Settings) -> WorkerDeploymentConfig | None:
    """The Worker's deployment config; None (unversioned) without a build id."""
    version = deployment_version(settings)
    if version is None:
        return None
    return WorkerDeploymentConfig(version=version, use_worker_versioning=True)


# What retrying cannot cure: a request the server will refuse however long we wait. Anything
# else (not found yet, the server unreachable, restarting, or slow to answer) is retried.
PERMANENT = (
    RPCStatusCode.INVALID_ARGUMENT,
    RPCStatusCode.PERMISSION_DENIED,
    RPCStatusCode.UNAUTHENTICATED,
    RPCStatusCode.UNIMPLEMENTED,
    RPCStatusCode.FAILED_PRECONDITION,
)


async def make_current(
    client: Client, version: WorkerDeploymentVersion, *, within: float = 60.0
) -> None:
    """Make `version` the deployment's current version, as `temporal worker deployment
    set-current-version` does. The server knows a version only once its worker has polled, so
    "not found" is retried (about a second after the worker starts, measured on the dev server),
    and so is a server that is briefly gone (restarting: unavailable, or the connection lost
    mid-call), within `within` seconds: a worker started beside a restarting server waits for
    it instead of exiting."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        try:
            await client.workflow_service.set_worker_deployment_current_version(
                SetWorkerDeploymentCurrentVersionRequest(
                    namespace=client.namespace,
                    deployment_name=version.deployment_name,
                    build_id=version.build_id,
                    identity=f"heardback-worker {version.to_canonical_string()}",
                )
            )
        except RPCError as err:
            if err.status in PERMANENT or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.25)
        else:
            log.info("worker_version_current", version=version.to_canonical_string())
            return
