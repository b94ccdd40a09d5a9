"""Tenants: one heardback serving several companies (``HEARDBACK_TENANTS_FILE``).

Without a tenants file there is one tenant, configured by the ``HEARDBACK_*`` settings as
always. With one, each ``[tenants.<id>]`` table of the TOML file is a company with its own API
tokens, provider secrets and API keys, defaults for the roles its ATS opens, and events URL:

    [tenants.acme]
    api_tokens = ["..."]                  # full access to acme's roles and candidacies
    api_read_tokens = ["..."]             # GET only
    company = "Acme"                      # defaults of a role its ATS opens
    contact_email = "jobs@acme.example"
    locale = "de"
    time_zone = "Europe/Berlin"
    policy = { quiet_hours = "off", decision_due = "P3D" }
    greenhouse_webhook_secrets = ["..."]  # POST /v1/webhooks/greenhouse/acme
    events_url = "https://acme.example/heardback"
    events_secrets = ["..."]

Isolation is by id: a tenant's role ``r1`` is role ``acme.r1`` inside heardback (its workflow
``role-acme.r1``), so two tenants' ids never meet, a tenant's token reaches only ids under its
own prefix, and everything keyed by a role (events out, provider state) knows its tenant from
the id alone. The ``HEARDBACK_API_TOKENS`` stay the operator's: every tenant, by the full ids.

A tenant's secrets, keys, URLs and contact are its own (never the global ones: a tenant left
without an events URL posts no events); its locale, time zone, policy, rejection-reason rule,
ATS-sends rule, feedback questions and provider API URLs fall back to the global settings.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from heardback.runtime.settings import Settings

TENANT_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")
SEPARATOR = "."
_ATS_SENDS = r"^\s*((rejection|offer)\s*(,\s*(rejection|offer)\s*)*)?$"


class TenantSpec(BaseModel):
    """One tenant's table in the tenants file (unknown keys are refused: a typo is an error)."""

    model_config = ConfigDict(extra="forbid")

    api_tokens: list[SecretStr] = Field(default_factory=list)
    api_read_tokens: list[SecretStr] = Field(default_factory=list)
    company: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=254)
    locale: str | None = None
    time_zone: str | None = None
    policy: dict[str, Any] | None = None
    ats_rejection_reasons: Literal["withheld", "as_written"] | None = None
    ats_sends: str | None = Field(default=None, pattern=_ATS_SENDS)
    greenhouse_webhook_secrets: list[SecretStr] = Field(default_factory=list)
    greenhouse_client_id: str | None = None
    greenhouse_client_secret: SecretStr | None = None
    greenhouse_user_id: str | None = Field(default=None, pattern=r"^\d+$")
    greenhouse_feedback_questions: str | None = None
    greenhouse_activity_notes: bool | None = None
    ashby_feedback_fields: str | None = None
    lever_feedback_fields: str | None = None
    lever_webhook_secrets: list[SecretStr] = Field(default_factory=list)
    lever_api_key: SecretStr | None = None
    ashby_webhook_secrets: list[SecretStr] = Field(default_factory=list)
    ashby_api_key: SecretStr | None = None
    events_url: str | None = None
    events_secrets: list[SecretStr] = Field(default_factory=list)


class TenantsFileError(ValueError):
    """The tenants file cannot be used (the message says where and why; no secret is quoted)."""


@dataclass(frozen=True)
class Tenants:
    """The configured tenants (empty: the single tenant of the settings)."""

    specs: dict[str, TenantSpec] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.specs)

    def token_scopes(self) -> list[tuple[bytes, str, bool]]:
        """(token, tenant, read_only) for every tenant's tokens."""
        out: list[tuple[bytes, str, bool]] = []
        for tid, spec in self.specs.items():
            out += [(t.get_secret_value().encode(), tid, False) for t in spec.api_tokens]
            out += [(t.get_secret_value().encode(), tid, True) for t in spec.api_read_tokens]
        return out


def load(settings: Settings) -> Tenants:
    """The tenants of `settings.tenants_file` (re-read when the file changes); TenantsFileError
    when it is missing or wrong."""
    path = settings.tenants_file
    if path is None:
        return Tenants()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as err:
        raise TenantsFileError(f"HEARDBACK_TENANTS_FILE {path}: {err.strerror}") from None
    return _load(path, stamp)


@lru_cache(maxsize=8)
def _load(path: Path, stamp: int) -> Tenants:
    del stamp  # part of the cache key only
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise TenantsFileError(f"HEARDBACK_TENANTS_FILE {path}: {err}") from None
    unknown = sorted(set(doc) - {"tenants"})
    if unknown:
        raise TenantsFileError(f"{path}: unknown top-level keys {unknown}; use [tenants.<id>]")
    tables = doc.get("tenants", {})
    if not isinstance(tables, dict) or not tables:
        raise TenantsFileError(f"{path}: no [tenants.<id>] table")
    specs: dict[str, TenantSpec] = {}
    seen: dict[bytes, str] = {}
    for tid, table in tables.items():
        if not TENANT_RE.match(tid):
            raise TenantsFileError(
                f"{path}: tenant id {tid!r}: 1-31 lower-case letters, digits or '-'"
            )
        try:
            spec = TenantSpec.model_validate(table)
        except ValidationError as err:
            where = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()
            )
            raise TenantsFileError(f"{path}: [tenants.{tid}] {where}") from None
        for token in spec.api_tokens + spec.api_read_tokens:
            value = token.get_secret_value().encode()
            if len(value) < 16:
                raise TenantsFileError(f"{path}: [tenants.{tid}] a token under 16 characters")
            if value in seen:
                raise TenantsFileError(
                    f"{path}: [tenants.{tid}] a token also given to tenant {seen[value]!r}"
                )
            seen[value] = tid
        specs[tid] = spec
    return Tenants(specs)


def _joined(values: list[SecretStr]) -> SecretStr | None:
    return SecretStr(",".join(v.get_secret_value() for v in values)) if values else None


def settings_for(settings: Settings, tenant: str | None) -> Settings:
    """The settings a tenant's work runs with: the global ones with the tenant's own secrets,
    keys, URLs and defaults. None: the global settings (the single tenant, or the operator).
    KeyError for a tenant the file does not name."""
    if tenant is None:
        return settings
    spec = load(settings).specs[tenant]
    return _merged(settings, tenant, spec)


def _merged(settings: Settings, tenant: str, spec: TenantSpec) -> Settings:
    own: dict[str, Any] = {
        # Never inherited: another company's secrets, keys, addresses and receiver.
        "api_tokens": _joined(spec.api_tokens),
        "api_read_tokens": _joined(spec.api_read_tokens),
        "default_company": spec.company,
        "default_contact_email": spec.contact_email,
        "greenhouse_webhook_secrets": _joined(spec.greenhouse_webhook_secrets),
        "greenhouse_client_id": spec.greenhouse_client_id,
        "greenhouse_client_secret": spec.greenhouse_client_secret,
        "greenhouse_user_id": spec.greenhouse_user_id,
        "lever_webhook_secrets": _joined(spec.lever_webhook_secrets),
        "lever_api_key": spec.lever_api_key,
        "ashby_webhook_secrets": _joined(spec.ashby_webhook_secrets),
        "ashby_api_key": spec.ashby_api_key,
        "events_url": spec.events_url,
        "events_secrets": _joined(spec.events_secrets),
        "webhook_secret": None,
    }
    policy = spec.policy
    if policy is not None and policy.get("quiet_hours") in (False, "off"):
        policy = {**policy, "quiet_hours": None}  # TOML has no null: `quiet_hours = "off"`
    inherited = {
        "default_locale": spec.locale,
        "default_time_zone": spec.time_zone,
        "default_policy": policy,
        "ats_rejection_reasons": spec.ats_rejection_reasons,
        "ats_sends": spec.ats_sends,
        "greenhouse_feedback_questions": spec.greenhouse_feedback_questions,
        "greenhouse_activity_notes": spec.greenhouse_activity_notes,
        "ashby_feedback_fields": spec.ashby_feedback_fields,
        "lever_feedback_fields": spec.lever_feedback_fields,
    }
    own |= {k: v for k, v in inherited.items() if v is not None}
    return settings.model_copy(update=own)


def known(settings: Settings, tenant: str) -> bool:
    return tenant in load(settings).specs


# --- ids: a tenant's ids live under its prefix ------------------------------------------------


def scoped(tenant: str | None, value: str) -> str:
    """A tenant's id as heardback keeps it (`acme.r1`); unchanged for the single tenant."""
    return value if tenant is None else f"{tenant}{SEPARATOR}{value}"


def unscoped(tenant: str | None, value: str) -> str:
    """The id as the tenant knows it (the prefix taken off); unchanged for the operator."""
    prefix = f"{tenant}{SEPARATOR}"
    return value[len(prefix) :] if tenant is not None and value.startswith(prefix) else value


def owns(tenant: str | None, value: str) -> bool:
    """Whether an id (a role id, or a key built from one) belongs to the tenant."""
    return tenant is None or value.startswith(f"{tenant}{SEPARATOR}")


def tenant_of(settings: Settings, role_id: str) -> str | None:
    """The tenant a role id belongs to, from its prefix; None for the single tenant's ids (or
    when no tenants file is set)."""
    if settings.tenants_file is None or SEPARATOR not in role_id:
        return None
    head = role_id.split(SEPARATOR, maxsplit=1)[0]
    return head if head in load(settings).specs else None


def settings_for_role(settings: Settings, role_id: str) -> tuple[Settings, str | None]:
    """The settings of the tenant a role belongs to, and that tenant."""
    tenant = tenant_of(settings, role_id)
    return settings_for(settings, tenant), tenant


def provider_key(tenant: str | None, provider: str) -> str:
    """How a tenant's provider is named in the provider store (`acme/greenhouse`)."""
    return provider if tenant is None else f"{tenant}/{provider}"
