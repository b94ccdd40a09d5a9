"""Make sure the namespace knows heardback's search attributes before any workflow upserts them.

A workflow that upserts an attribute the namespace does not know fails its workflow task until
someone registers it, so the worker checks (and, where allowed, registers) them at start-up and
refuses to start with a clear message otherwise.
"""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType
from temporalio.service import RPCError, RPCStatusCode

from heardback.workflows import search
from heardback.workflows.errors import SearchAttributesMissing

# name -> the type's name as `temporal operator search-attribute create --type` spells it
REQUIRED: dict[str, str] = {
    key.name: {
        SearchAttributeIndexedValueType.KEYWORD: "Keyword",
        SearchAttributeIndexedValueType.DATETIME: "Datetime",
        SearchAttributeIndexedValueType.DOUBLE: "Double",
    }[key.indexed_value_type]
    for key in search.ALL
}


def registration_command(namespace: str, names: list[str]) -> str:
    flags = " ".join(f"--name {n} --type {REQUIRED[n]}" for n in names)
    return f"temporal operator search-attribute create --namespace {namespace} {flags}"


async def ensure_search_attributes(client: Client, *, register: bool = True) -> list[str]:
    """Register whichever of heardback's attributes the namespace lacks; returns those added."""
    namespace = client.namespace
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        known = set(listed.custom_attributes) | set(listed.system_attributes)
    except RPCError as err:
        if err.status != RPCStatusCode.UNIMPLEMENTED:  # the time-skipping test server
            raise
        known = set()
    missing = [name for name in REQUIRED if name not in known]
    if not missing:
        return []
    if not register:
        raise SearchAttributesMissing(
            f"namespace {namespace!r} lacks search attributes {missing}; register them with: "
            + registration_command(namespace, missing)
        )
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=namespace,
                search_attributes={
                    name: IndexedValueType.Value(f"INDEXED_VALUE_TYPE_{REQUIRED[name].upper()}")
                    for name in missing
                },
            )
        )
    except RPCError as err:
        if err.status == RPCStatusCode.ALREADY_EXISTS:
            return []
        raise SearchAttributesMissing(
            f"namespace {namespace!r} lacks search attributes {missing} and registering them "
            f"failed ({err.status.name}: {err.message}). Register them with: "
            + registration_command(namespace, missing)
            + " (on Temporal Cloud: tcld namespace search-attributes add)"
        ) from err
    return missing
