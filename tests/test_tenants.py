"""Tenants: one heardback serving two companies (HEARDBACK_TENANTS_FILE), through the real
gateway, worker and dev server. Each company's token reaches its own roles only, by its own ids;
each company's Greenhouse is verified with its own secret and opens roles with its own
defaults; each company's events go to its own receiver, signed with its own secret."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from heardback.gateway import greenhouse
from heardback.runtime import tenants
from heardback.runtime.settings import Settings
from tests.event_receiver import Receiver, receiving, signed_by
from tests.pages_stack import PagesStack, pages_stack
from tests.test_greenhouse import with_ids

pytestmark = pytest.mark.timeout(240)

OPERATOR = "operator-token-" + "o" * 24
ACME, ACME_READ, GLOBEX = "acme-token-" + "a" * 24, "acme-read-" + "r" * 24, "globex-" + "g" * 24
ACME_GH, GLOBEX_GH = "acme-greenhouse-secret-0123456789", "globex-greenhouse-secret-987654"
ACME_EV, GLOBEX_EV = "acme-events-secret-0123456789ab", "globex-events-secret-0123456789"


def tenants_file(path: Path, acme_events: str = "", globex_events: str = "") -> Path:
    path.write_text(
        f"""
[tenants.acme]
api_tokens = ["{ACME}"]
api_read_tokens = ["{ACME_READ}"]
company = "Acme"
contact_email = "jobs@acme.example"
policy = {{ quiet_hours = "off" }}
greenhouse_webhook_secrets = ["{ACME_GH}"]
events_url = "{acme_events}"
events_secrets = ["{ACME_EV}"]

[tenants.globex]
api_tokens = ["{GLOBEX}"]
company = "Globex"
contact_email = "people@globex.example"
locale = "de"
policy = {{ quiet_hours = "off" }}
greenhouse_webhook_secrets = ["{GLOBEX_GH}"]
events_url = "{globex_events}"
events_secrets = ["{GLOBEX_EV}"]
""",
        encoding="utf-8",
    )
    return path


# --- the file ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[tenants.acme]\ncompnay = "Acme"\n', "[tenants.acme] compnay: Extra inputs"),
        ('[tenants.Acme_1]\ncompany = "A"\n', "tenant id 'Acme_1'"),
        ('[tenants.a]\napi_tokens = ["short"]\n', "a token under 16 characters"),
        (
            '[tenants.a]\napi_tokens = ["same-token-0123456789"]\n'
            '[tenants.b]\napi_read_tokens = ["same-token-0123456789"]\n',
            "also given to tenant 'a'",
        ),
        ("[tenant.a]\n", "unknown top-level keys ['tenant']"),
        ("[tenants.a\n", "HEARDBACK_TENANTS_FILE"),
    ],
)
def test_a_wrong_tenants_file_is_refused_saying_where(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "tenants.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(tenants.TenantsFileError) as err:
        tenants.load(Settings(tenants_file=path))
    assert says in str(err.value)
    assert "same-token" not in str(err.value)  # no secret is quoted


def test_a_tenant_never_inherits_another_companys_secrets_or_receiver(tmp_path: Path) -> None:
    base = Settings(
        tenants_file=tenants_file(tmp_path / "t.toml", acme_events="http://acme.example/h"),
        events_url="http://operator.example/h",
        events_secrets=SecretStr("global-secret-0123456789"),
        greenhouse_webhook_secrets=SecretStr("global-gh-secret-0123456789"),
        lever_api_key=SecretStr("global-lever-key"),
        default_company="Operator Inc",
        default_time_zone="Europe/Paris",
    )
    acme = tenants.settings_for(base, "acme")
    assert acme.events_url == "http://acme.example/h"
    assert acme.events_secrets is not None
    assert acme.events_secrets.get_secret_value() == ACME_EV
    assert acme.lever_api_key is None and acme.default_company == "Acme"
    assert acme.default_time_zone == "Europe/Paris"  # a default, not a secret: inherited
    globex = tenants.settings_for(base, "globex")
    assert not globex.events_url  # none of its own: no events, never the operator's URL
    assert globex.default_locale == "de"
    assert tenants.tenant_of(base, "acme.r1") == "acme"
    assert tenants.tenant_of(base, "initech.r1") is None  # not a tenant: the operator's id
    assert tenants.tenant_of(base, "r1") is None


# --- through the gateway -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def receivers() -> Any:
    with receiving(Receiver()) as acme, receiving(Receiver()) as globex:
        yield acme, globex


@pytest.fixture(scope="module")
async def stack(
    devserver: tuple[WorkflowEnvironment, int],
    tmp_path_factory: pytest.TempPathFactory,
    receivers: tuple[Receiver, Receiver],
) -> AsyncIterator[PagesStack]:
    tmp = tmp_path_factory.mktemp("tenants")
    acme, globex = receivers
    async with pages_stack(
        devserver,
        tmp,
        tenants_file=tenants_file(tmp / "tenants.toml", acme.url, globex.url),
        api_tokens=SecretStr(OPERATOR),
        ats_store_path=tmp / "ats.sqlite3",
        events_task_queue=f"events-{tmp.name}",
        events_timeout_seconds=2.0,
    ) as s:
        yield s


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def role_body(company: str) -> dict[str, Any]:
    return {
        "role": {
            "id": "r1",
            "title": "Backend Engineer",
            "company": company,
            "contact_email": "hiring@example.com",
        },
        "policy": {"quiet_hours": None},
    }


def candidate(email: str) -> dict[str, Any]:
    return {"candidate": {"id": "c1", "name": "Ada", "email": email}}


async def until(check: Any, timeout: float = 30) -> Any:
    for _ in range(int(timeout * 10)):
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("not reached")


async def test_each_tenant_has_its_own_r1_and_reaches_only_its_own(
    stack: PagesStack, receivers: tuple[Receiver, Receiver]
) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        for token, company, email in (
            (ACME, "Acme", "ada@acme-candidate.example"),
            (GLOBEX, "Globex", "ada@globex-candidate.example"),
        ):
            r = await http.post("/v1/roles", json=role_body(company), headers=auth(token))
            assert r.status_code == 201, r.text
            r = await http.post(
                "/v1/roles/r1/candidates", json=candidate(email), headers=auth(token)
            )
            assert r.status_code == 201, r.text
        acme_wf, globex_wf = "candidacy-acme.r1-c1", "candidacy-globex.r1-c1"
        acme_ack = await stack.mail(acme_wf, "acknowledgement")
        globex_ack = await stack.mail(globex_wf, "acknowledgement")
        assert acme_ack["To"] == "ada@acme-candidate.example"
        assert globex_ack["To"] == "ada@globex-candidate.example"

        # Each token sees its own r1, by its own id.
        for token, wf in ((ACME, acme_wf), (GLOBEX, globex_wf)):
            st = await http.get("/v1/roles/r1/candidates/c1", headers=auth(token))
            assert st.status_code == 200, st.text
            assert st.json()["role_id"] == "r1" and st.json()["workflow_id"] == wf
        summary = await http.get("/v1/roles/r1", headers=auth(ACME_READ))
        assert summary.status_code == 200 and summary.json()["role_id"] == "r1"

        # Another tenant's role is not there for it, whatever id it tries.
        for path in ("/v1/roles/globex.r1", "/v1/roles/globex.r1/candidates/c1"):
            assert (await http.get(path, headers=auth(ACME))).status_code == 404
        # The operator reaches both, by heardback's own ids.
        both = [
            (await http.get(f"/v1/roles/{t}.r1", headers=auth(OPERATOR))).json()["role_id"]
            for t in ("acme", "globex")
        ]
        assert both == ["acme.r1", "globex.r1"]

        # Read-only: reads, never acts.
        r = await http.post(
            "/v1/roles/r1/pause", json={"reason": "budget", "until": None}, headers=auth(ACME_READ)
        )
        assert r.status_code == 403
        # A tenant's overdue list holds its own candidacies only.
        listed = await until(
            lambda: _overdue(http, OPERATOR, {"candidacy-acme.r1-c1", "candidacy-globex.r1-c1"})
        )
        assert listed
        mine = (await http.get("/v1/overdue?within=P30D", headers=auth(ACME))).json()
        assert mine and {c["workflow_id"] for c in mine} == {acme_wf}
        assert {c["role_id"] for c in mine} == {"r1"}

    # Events: each company's own receiver, its own secret, its own ids.
    acme_rx, globex_rx = receivers
    acme_events = await until(lambda: _delivered(acme_rx, acme_wf))
    globex_events = await until(lambda: _delivered(globex_rx, globex_wf))
    assert acme_events["tenant"] == "acme" and acme_events["data"]["role_id"] == "r1"
    assert globex_events["tenant"] == "globex"
    assert all(e["data"]["workflow_id"].startswith("candidacy-acme.") for e in acme_rx.taken())
    assert all(e["data"]["workflow_id"].startswith("candidacy-globex.") for e in globex_rx.taken())
    assert all(signed_by(r, ACME_EV) and not signed_by(r, GLOBEX_EV) for r in acme_rx.received)
    assert all(signed_by(r, GLOBEX_EV) for r in globex_rx.received)


async def _overdue(http: httpx.AsyncClient, token: str, want: set[str]) -> bool:
    found = (await http.get("/v1/overdue?within=P30D", headers=auth(token))).json()
    return want <= {c["workflow_id"] for c in found}


async def _delivered(rx: Receiver, wf: str) -> dict[str, Any] | None:
    for e in rx.of_type("message.delivered"):
        if e["data"]["workflow_id"] == wf and e["data"]["kind"] == "acknowledgement":
            return e
    return None


async def post_greenhouse(
    http: httpx.AsyncClient, path: str, event: dict[str, Any], secret: str
) -> httpx.Response:
    body = json.dumps(event).encode()
    return await http.post(
        path,
        content=body,
        headers={"Signature": greenhouse.sign(secret, body), "Content-Type": "application/json"},
    )


async def test_each_tenants_greenhouse_is_its_own(stack: PagesStack) -> None:
    # The same Greenhouse ids at two companies: two candidacies, each with its company's name.
    event = with_ids("new_candidate_application", job=4242, application=777)
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        wrong = await post_greenhouse(http, "/v1/webhooks/greenhouse/acme", event, GLOBEX_GH)
        assert wrong.status_code == 401  # globex's secret does not sign for acme
        nobody = await post_greenhouse(http, "/v1/webhooks/greenhouse/initech", event, ACME_GH)
        assert nobody.status_code == 401  # as a wrong signature: nothing learnt of tenants
        unset = await post_greenhouse(http, "/v1/webhooks/greenhouse", event, ACME_GH)
        assert unset.status_code == 503  # the operator's own Greenhouse is not configured

        a = await post_greenhouse(http, "/v1/webhooks/greenhouse/acme", event, ACME_GH)
        g = await post_greenhouse(http, "/v1/webhooks/greenhouse/globex", event, GLOBEX_GH)
        assert a.status_code == g.status_code == 200, (a.text, g.text)
        assert a.json()["status"] == g.json()["status"] == "processed", (a.json(), g.json())
        assert a.json()["workflow_id"] == "candidacy-acme.gh-4242-app-777"
        assert g.json()["workflow_id"] == "candidacy-globex.gh-4242-app-777"
        again = await post_greenhouse(http, "/v1/webhooks/greenhouse/acme", event, ACME_GH)
        assert again.json()["status"] == "duplicate"

        acme_ack = await stack.mail("candidacy-acme.gh-4242-app-777", "acknowledgement")
        globex_ack = await stack.mail("candidacy-globex.gh-4242-app-777", "acknowledgement")
        assert "Acme" in str(acme_ack["From"]) and "Globex" not in str(acme_ack["From"])
        assert "Globex" in str(globex_ack["From"])
        assert acme_ack["Reply-To"] == "jobs@acme.example"
        assert globex_ack["Reply-To"] == "people@globex.example"
        assert globex_ack["Content-Language"] == "de"  # globex's default locale

        # Each tenant's list of provider events holds its own only.
        mine = (await http.get("/v1/webhooks/events", headers=auth(ACME))).json()
        assert mine and {e["event"].split(".", 1)[0] for e in mine} == {"acme"}
        assert {e["provider"] for e in mine} == {"greenhouse"}
        everyone = (await http.get("/v1/webhooks/events", headers=auth(OPERATOR))).json()
        assert {e["provider"] for e in everyone} >= {"acme/greenhouse", "globex/greenhouse"}
