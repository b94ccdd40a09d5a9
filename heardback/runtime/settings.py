"""Settings: one `Settings` object, read from `HEARDBACK_*` environment variables (or `.env`).

Built by :func:`get_settings` when an entry point starts, never at import time; tests construct
`Settings(...)` explicitly.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from heardback.workflows.contract import EVENTS_TASK_QUEUE, TASK_QUEUE

_ATS_SENDS = r"^\s*((rejection|offer)\s*(,\s*(rejection|offer)\s*)*)?$"


class Settings(BaseSettings):
    # Empty values (as in .env.example) count as unset.
    model_config = SettingsConfigDict(
        env_prefix="HEARDBACK_", env_file=".env", extra="ignore", env_ignore_empty=True
    )

    # Temporal
    temporal_address: str = "localhost:7233"
    namespace: str = "default"
    task_queue: str = TASK_QUEUE
    # Temporal Cloud or any TLS cluster: mTLS (client certificate and key), or an API key.
    temporal_tls: bool = False  # implied by a client certificate or an API key
    temporal_tls_cert_path: Path | None = None
    temporal_tls_key_path: Path | None = None
    temporal_tls_ca_path: Path | None = None  # only for a private CA
    temporal_api_key: SecretStr | None = None
    # Register heardback's search attributes on the namespace at start-up when missing (needs
    # operator rights; turn off where they are registered by an administrator).
    register_search_attributes: bool = True

    # Mail
    mail_transport: Literal["file", "smtp"] = "file"
    outbox_dir: Path = Path("var/outbox")
    mail_from: str = Field(
        default="hiring@heardback.localhost",
        description="Envelope and From address; replies go to the role's contact via Reply-To.",
    )
    message_id_domain: str = "heardback.localhost"
    smtp_host: str = "localhost"
    smtp_port: int = 1025
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = 20.0

    # Delivery ledger (exactly-once bookkeeping). "sqlite" is per host (the embedded default);
    # several worker replicas must share "postgres".
    ledger: Literal["sqlite", "postgres"] = "sqlite"
    ledger_path: Path = Path("var/ledger.sqlite3")
    ledger_dsn: SecretStr | None = None  # postgresql://user:pass@host:5432/db
    ledger_lease_seconds: float = 30.0

    # Payload encryption (AES-256-GCM). "auto" and "on": encrypt with the configured keys, or
    # those in encryption_keys_file (`make run` generates one there), and refuse to start
    # without any; "off": plaintext payloads, on purpose (tests of other things, or a cluster
    # that encrypts at rest), logged as a warning at every start.
    encryption: Literal["auto", "on", "off"] = "auto"
    encryption_keys: SecretStr | None = None  # "id:base64,id:base64"; the first is active
    encryption_key_id: str | None = None  # the active key, if not the first
    encryption_keys_file: Path = Path("var/encryption-keys")
    # Wrapped data keys, one per data subject (with the PostgreSQL ledger: in its database).
    # Unset: data-keys.sqlite3 beside the ledger file.
    data_keys_path: Path | None = None

    # Codec server (`python -m heardback.gateway.codec`, also started by `make run`)
    codec_host: str = "127.0.0.1"
    codec_port: int = 8081
    codec_tokens: SecretStr | None = None  # bearer tokens; unset: HEARDBACK_API_TOKENS
    codec_cors_origins: str = (
        "http://localhost:8233"  # the Temporal UI's origin(s), comma-separated
    )
    # Let the UI origin decode without a token (the local dev UI cannot send one). `make run`
    # turns this on for its loopback-only stack; leave it off anywhere else.
    codec_trust_ui_origin: bool = False

    # HTTP gateway (`python -m heardback.gateway`, also started by `make run`)
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080
    # Bearer tokens accepted by the gateway, comma-separated. None set: every call but health
    # is refused (`make run` generates one into var/gateway-token when this is empty).
    api_tokens: SecretStr | None = None
    # Read-only bearer tokens (comma-separated): GET only (a role's summary, a candidacy's
    # status, the overdue list, the provider events); anything else is 403.
    api_read_tokens: SecretStr | None = None
    # Shared secret of the ATS webhook (HMAC-SHA256 of the raw body); None: webhooks refused.
    webhook_secret: SecretStr | None = None
    webhook_dedupe_path: Path = Path("var/webhooks.sqlite3")
    webhook_dedupe_days: int = 14
    # Greenhouse's webhooks (POST /v1/webhooks/greenhouse): its secret keys, comma-separated
    # (several while one is rotated); None: that endpoint refuses.
    greenhouse_webhook_secrets: SecretStr | None = None
    # Lever's webhooks (POST /v1/webhooks/lever): its signature tokens, comma-separated, and
    # how old a delivery's triggeredAt may be (Lever retries five times, waiting longer each).
    lever_webhook_secrets: SecretStr | None = None
    lever_max_age: timedelta = timedelta(days=1)
    # Lever's API (names, addresses, stage titles are fetched from it; Lever's webhooks carry
    # ids only): an API key (HTTP Basic, the key as user name), the base URL, and the rate kept
    # to (Lever allows 10 requests a second per key, bursts of 20).
    lever_api_key: SecretStr | None = None
    lever_api_url: str = "https://api.lever.co/v1"
    lever_api_rate: float = 8.0
    # Ashby's webhooks (POST /v1/webhooks/ashby, header Ashby-Signature: sha256=<hex>) and API
    # (POST <url>/<category>.<method>, HTTP Basic with the key as user name).
    ashby_webhook_secrets: SecretStr | None = None
    ashby_api_key: SecretStr | None = None
    ashby_api_url: str = "https://api.ashbyhq.com"
    ashby_api_rate: float = 5.0
    # The fields of Ashby's feedback forms (titles or paths, comma-separated, case-insensitive)
    # whose answers the candidate reads; every other answer stays internal.
    ashby_feedback_fields: str = "Candidate-facing feedback"
    # The same for Lever's feedback forms (the fields' text).
    lever_feedback_fields: str = "Candidate-facing feedback"
    # The task queue on which the gateway runs the provider events that need the provider's API
    # (Lever, Ashby): a workflow per event, its API calls in activities, retried with backoff.
    ats_task_queue: str = "heardback-ats"
    # Greenhouse's Harvest API v3 (interviews and scorecards have no webhook): a "Harvest V3
    # (OAuth)" credential of the tenant's Greenhouse (client id and secret; optionally the user
    # id it acts as, `sub`), with the list scopes of interviews, interviewers, scorecards, their
    # answers, questions and candidate attributes, and applications; polled on a Temporal
    # schedule every greenhouse_poll_interval. Only the answers to the scorecard questions named
    # in greenhouse_feedback_questions (comma-separated, case-insensitive) reach the candidate.
    greenhouse_client_id: str | None = None
    greenhouse_client_secret: SecretStr | None = None
    greenhouse_user_id: str | None = Field(default=None, pattern=r"^\s*\d*\s*$")
    greenhouse_token_url: str = "https://auth.greenhouse.io/token"  # noqa: S105 (a URL)
    greenhouse_api_url: str = "https://harvest.greenhouse.io/v3"
    # A note on the candidate's Greenhouse activity feed for each message delivered to them
    # (needs the credential above with the notes:create scope).
    greenhouse_activity_notes: bool = False
    greenhouse_api_rate: float = 2.0  # under the 75 requests per 30 s Harvest v3 reports
    greenhouse_poll_interval: timedelta = timedelta(minutes=10)
    greenhouse_feedback_questions: str = "Candidate-facing feedback"
    # What the provider webhooks keep (events, dead letters, order, candidate links).
    ats_store_path: Path = Path("var/ats.sqlite3")
    # The tenant's defaults for a role an ATS opens (a new job's first application).
    default_company: str | None = None
    default_contact_email: str | None = None
    default_locale: str = "en"
    default_time_zone: str = "UTC"
    # The policy of such a role, as JSON ({"quiet_hours": null, "decision_due": "P3D"}); {}:
    # heardback's defaults.
    default_policy: dict[str, Any] = {}
    # A rejection's reason from the ATS: "as_written" sends its text to the candidate as the
    # written reason; "withheld" (default) never does (internal reason codes rarely help).
    ats_rejection_reasons: Literal["withheld", "as_written"] = "withheld"
    # The outcomes whose message the ATS sends the candidate itself (comma-separated:
    # "rejection", "offer"): heardback's then carries only the feedback and written reasons, and
    # is not sent when there are none, so nobody gets two rejections.
    ats_sends: str = Field(default="", pattern=_ATS_SENDS)

    # Several companies on one heardback: a TOML file of [tenants.<id>] tables, each with its
    # own API tokens, provider secrets and keys, defaults and events URL (README, "Tenants").
    # Unset: one tenant, configured by these settings.
    tenants_file: Path | None = None

    # Events out: heardback posts message.delivered, message.failed, deadline.missed,
    # candidacy.finished and command.refused to this URL, signed with events_secrets
    # (comma-separated; every one signs, so a receiver rotating keys accepts either). Unset URL
    # or secrets: no events. Each event is a workflow on events_task_queue whose activity posts
    # it (events_timeout_seconds per attempt), retried with backoff for events_give_up_after.
    events_url: str | None = None
    events_secrets: SecretStr | None = None
    events_task_queue: str = EVENTS_TASK_QUEUE
    events_timeout_seconds: float = 10.0
    events_give_up_after: timedelta = timedelta(days=1)

    # One-step links and pages (served by the gateway). Every link in a mail starts with
    # public_url. Links are signed with link_keys (comma-separated, each >= 32 characters; the
    # first signs, all verify, so a key is rotated by putting a new one first), read from
    # link_keys_file when unset (`make run` generates one). Without keys, mail carries no links.
    public_url: str = "http://localhost:8080"
    link_keys: SecretStr | None = None
    link_keys_file: Path = Path("var/link-keys")
    decision_link_ttl: timedelta = timedelta(days=7)  # a decision is owed soon
    feedback_link_ttl: timedelta = timedelta(days=30)  # as long as heardback waits for lines
    # Digests of links revoked one by one (the `link` of a command's `via`), comma-separated.
    revoked_links: str = ""
    # Requests per client address per window on every public page (the `limits` syntax).
    page_rate_limit: str = "30/minute;300/hour"
    # Reply by email: the gateway listens for replies over SMTP on this port when set
    # (production puts it behind the company's MX or a provider's inbound route); reminders
    # then say Reply-To: <local>+<token>@<domain> of reply_address.
    inbound_smtp_host: str = "127.0.0.1"
    inbound_smtp_port: int | None = None
    reply_address: str = "reply@heardback.localhost"
    # The receiving MX's authserv-id: its "Authentication-Results: <id>; dmarc=pass" lets a
    # reply whose envelope sender differs from From (a forwarding service) count as the
    # interviewer's. Unset: the envelope sender must be the From address.
    inbound_authserv_id: str | None = None
    inbound_max_bytes: int = 1_000_000

    # Worker Versioning. The worker is version <name>.<build id> of the Worker Deployment
    # `worker_deployment_name` (the image sets the build id from the git revision), and Temporal
    # routes each workflow task to the deployment's current version: a rollout is `temporal
    # worker deployment set-current-version` (README, "Changing workflow code"). None (code and
    # tests only): an unversioned worker, for the time-skipping test server, which has no
    # Worker Deployments.
    worker_deployment_name: str = Field(default="heardback", pattern=r"^[A-Za-z0-9_-]{1,255}$")
    worker_build_id: str | None = Field(default="dev", pattern=r"^[A-Za-z0-9._-]{1,255}$")
    # At start, make this worker's version the deployment's current one: a new build takes
    # over as it starts (one-build deployments, compose, the dev stack). false: rollouts are
    # made with the CLI (ramping included), and a new build takes no work until then.
    worker_set_current: bool = True

    # Retention: the worker keeps the `heardback-retention` schedule, which sweeps
    # finished candidacies past `policy.retention` this often. false: leave the schedule alone
    # (an administrator manages it, or another deployment's workers do).
    retention_schedule: bool = True
    retention_sweep_every: timedelta = timedelta(hours=1)

    # Worker tuning. Cached workflows cost memory (about 0.3 MB each, measured) and save a
    # replay when they wake; candidacies sleep for days, so a modest cache loses little.
    max_cached_workflows: int = 300
    max_concurrent_activities: int = 100
    max_concurrent_workflow_tasks: int | None = None  # None: the SDK's default
    # Pollers per task queue (None: the SDK's default of 5 each); see docs/PERFORMANCE.md.
    # (at least 2 workflow pollers: one for the sticky queue, one for the normal queue).
    workflow_task_pollers: int | None = Field(default=None, ge=2)
    activity_task_pollers: int | None = Field(default=None, ge=1)

    # Observability: Prometheus metrics (SDK + heardback's own) and the worker's health listener.
    metrics_address: str | None = None  # e.g. 0.0.0.0:9464; unset: no metrics endpoint
    metrics_refresh_seconds: float = 30.0  # how often the open/overdue gauges are recounted
    health_host: str = "127.0.0.1"
    health_port: int | None = None  # e.g. 8090; unset: no health listener

    # Logging
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"

    # Embedded dev stack (`make run`)
    dev_db_path: Path = Path("var/temporal.db")
    dev_ui_port: int = 8233
    # SQLite pragmas for the dev server: WAL with synchronous=normal more than doubled
    # throughput in the benchmark (docs/PERFORMANCE.md); crash-safe, not power-cut-safe.
    dev_sqlite_pragmas: str = "journal_mode=wal,synchronous=normal"


def tokens(settings: Settings) -> list[str]:
    """The gateway's accepted bearer tokens."""
    return _split(settings.api_tokens)


def read_tokens(settings: Settings) -> list[str]:
    """The gateway's read-only bearer tokens."""
    return _split(settings.api_read_tokens)


def codec_tokens(settings: Settings) -> list[str]:
    """The codec server's accepted bearer tokens (the gateway's unless set apart)."""
    return _split(settings.codec_tokens) or tokens(settings)


def _split(secret: SecretStr | None) -> list[str]:
    if secret is None:
        return []
    return [t.strip() for t in secret.get_secret_value().split(",") if t.strip()]


NO_KEYS = (
    "no encryption keys: payloads would reach Temporal's database in plaintext. Set "
    'HEARDBACK_ENCRYPTION_KEYS, or create {file} (`make run` does; or `python -c "from '
    "heardback.runtime.codec import new_key_spec; print(new_key_spec('k1'))\" > {file}`), "
    "or set HEARDBACK_ENCRYPTION=off to store them unencrypted on purpose"
)


def has_encryption_keys(settings: Settings) -> bool:
    """Whether keys are configured, in the environment or the key file."""
    return settings.encryption_keys is not None or settings.encryption_keys_file.exists()


def encryption_keys(settings: Settings) -> str | None:
    """The configured key spec, from the environment or the key file; None only when encryption
    is explicitly off. Without keys, "auto" and "on" refuse (ValueError): no process writes
    personal data to Temporal in plaintext by accident."""
    if settings.encryption == "off":
        return None
    if settings.encryption_keys is not None:
        return settings.encryption_keys.get_secret_value()
    if settings.encryption_keys_file.exists():
        return settings.encryption_keys_file.read_text(encoding="utf-8").strip()
    raise ValueError(NO_KEYS.format(file=settings.encryption_keys_file))


def data_keys_path(settings: Settings) -> Path:
    """Where the embedded data-key table lives (every process of one host shares it)."""
    return settings.data_keys_path or settings.ledger_path.parent / "data-keys.sqlite3"


def link_keys(settings: Settings) -> list[str]:
    """The link signing keys (first signs), from the environment or the key file; [] when none
    are configured (then mail carries no one-step links and the pages refuse every link)."""
    if settings.link_keys is not None:
        return _split(settings.link_keys)
    if settings.link_keys_file.exists():
        text = settings.link_keys_file.read_text(encoding="utf-8")
        return [k.strip() for k in text.replace("\n", ",").split(",") if k.strip()]
    return []


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()
