"""Settings: one `Settings` object, read from `HEARDBACK_*` environment variables (or `.env`).

Built by :func:`get_settings` when an entry point starts, never at import time; tests construct
`Settings(...)` explicitly.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from workflows.contract import TASK_QUEUE


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HEARDBACK_", env_file=".env", extra="ignore")

    # Temporal
    temporal_address: str = "localhost:7233"
    namespace: str = "default"
    task_queue: str = TASK_QUEUE
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

    # Delivery ledger (exactly-once bookkeeping)
    ledger_path: Path = Path("var/ledger.sqlite3")

    # HTTP gateway (`python -m gateway`, also started by `make run`)
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080
    # Bearer tokens accepted by the gateway, comma-separated. None set: every call but health
    # is refused (`make run` generates one into var/gateway-token when this is empty).
    api_tokens: SecretStr | None = None
    # Shared secret of the ATS webhook (HMAC-SHA256 of the raw body); None: webhooks refused.
    webhook_secret: SecretStr | None = None
    webhook_dedupe_path: Path = Path("var/webhooks.sqlite3")
    webhook_dedupe_days: int = 14

    # Logging
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"

    # Embedded dev stack (`make run`)
    dev_db_path: Path = Path("var/temporal.db")
    dev_ui_port: int = 8233


def tokens(settings: Settings) -> list[str]:
    """The gateway's accepted bearer tokens."""
    if settings.api_tokens is None:
        return []
    return [t.strip() for t in settings.api_tokens.get_secret_value().split(",") if t.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()
