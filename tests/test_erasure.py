"""Erasure on request: the candidacy ends with no further mail, its role learns it, and its
outbox copies, ledger rows and workflow history are deleted (the real worker on the dev server)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from tests.pages_stack import PagesStack, extra_gateway, pages_stack

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
async def stack(
    devserver: tuple[WorkflowEnvironment, int], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[PagesStack]:
    async with pages_stack(devserver, tmp_path_factory.mktemp("erasure")) as s:
        yield s


async def gone(stack: PagesStack, workflow_id: str) -> bool:
    """Whether Temporal has deleted the execution (deletion completes asynchronously)."""
    for _ in range(180):  # the dev server completes a deletion within about 35 s (measured)
        try:
            await stack.client.temporal.get_workflow_handle(workflow_id).describe()
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return True
            raise
        await asyncio.sleep(0.5)
    return False


async def test_an_erased_candidate_gets_no_more_mail_and_nothing_of_them_is_kept(
    stack: PagesStack,
) -> None:
    inp, wf = await stack.candidacy()  # its decision falls due in seconds
    await stack.mail(wf, "feedback_reminder")
    assert stack.mails(wf)
    result = await stack.client.erase(inp.role.id, inp.candidate.id)
    assert result.workflow_id == wf
    assert result.files >= 2 and result.ledger_rows >= 2 and result.history_deleted
    assert not list(stack.outbox.glob(f"{wf}.*"))
    assert await gone(stack, wf)  # Temporal deletes the execution asynchronously
    # Long past the decision's due time (seconds): nothing more was sent.
    assert not list(stack.outbox.glob(f"{wf}.*"))
    again = await stack.client.erase(inp.role.id, inp.candidate.id)  # harmless
    assert (again.files, again.ledger_rows, again.history_deleted) == (0, 0, False)


async def test_erasure_over_http_needs_the_token_and_answers_what_was_removed(
    stack: PagesStack,
) -> None:
    inp, wf = await stack.candidacy(interview=False)
    await stack.mail(wf, "acknowledgement")
    token = "erase-test-token-" + "t" * 20
    async with (
        extra_gateway(stack, api_tokens=SecretStr(token)) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as http,
    ):
        path = f"/v1/roles/{inp.role.id}/candidates/{inp.candidate.id}"
        assert (await http.delete(path)).status_code == 401
        done = await http.delete(path, headers={"Authorization": f"Bearer {token}"})
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["workflow_id"] == wf and body["history_deleted"] is True
    assert inp.candidate.name not in done.text and inp.candidate.email not in done.text
