"""Reading what a provider's webhook leaves out (Lever's names and addresses, an Ashby
candidate's personal address) from the provider's own API, with httpx.

Called only from activities (heardback.gateway.ats_worker), never from a webhook request: a
slow or failing provider then delays an event, it does not fail the delivery. Each call:

- authenticates as each provider documents it: Lever and Ashby with HTTP Basic (the API key as
  the user name, an empty password), Greenhouse Harvest v3 with an OAuth 2.0 bearer token from
  the client credentials grant (:class:`ClientCredentials`);
- keeps to the provider's rate (a token bucket per key: Lever allows 10 requests a second with
  bursts of 20; Ashby documents no figure, so a lower default) and, when the provider still
  answers 429 or 5xx, raises :class:`TryLater` carrying the provider's ``Retry-After`` so the
  activity's retry waits at least that long;
- answers 404 with :class:`Gone` (the record was deleted in the ATS meanwhile) and 401/403 with
  :class:`NotAllowed` (a wrong key or a missing permission: an operator must fix it, retrying
  would not).

No response body, URL parameter or key is logged: they carry personal data or secrets.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import httpx


class ProviderError(Exception):
    """The provider could not answer; `reason` says why, without personal data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TryLater(ProviderError):
    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


class Gone(ProviderError):
    pass


class NotAllowed(ProviderError):
    pass


@dataclass
class RateLimit:
    """A token bucket: `rate` requests a second on average, `burst` at once."""

    rate: float
    burst: float
    _tokens: float = field(default=0.0, init=False)
    _at: float = field(default_factory=time.monotonic, init=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    def __post_init__(self) -> None:
        self._tokens = self.burst

    async def take(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
                self._at = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)


TOKEN_TIMEOUT = 20.0  # seconds for the token endpoint to answer


class ClientCredentials(httpx.Auth):
    """OAuth 2.0's client credentials grant (RFC 6749, section 4.4), as Harvest v3 documents
    it for a custom integration: `POST <token url>` with HTTP Basic `client_id:client_secret`
    and the form `grant_type=client_credentials` (and `sub=<user id>` to act as that user), then
    `Authorization: Bearer <access_token>` on every call. The token is kept until a minute
    before its `expires_in`; a call answered 401 fetches a fresh one and is sent once more (a
    token revoked or expired early). httpx's own extension point for an authentication flow
    that makes requests of its own."""

    requires_response_body = True
    LEEWAY = 60.0
    DEFAULT_LIFETIME = 3600.0  # when the answer gives no expires_in

    def __init__(
        self, name: str, token_url: str, client_id: str, client_secret: str, subject: str | None
    ) -> None:
        self._name = name
        self._url = token_url
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self._basic = f"Basic {basic}"
        self._form = {"grant_type": "client_credentials"} | ({"sub": subject} if subject else {})
        self._token: str | None = None
        self._until = 0.0

    def _token_request(self) -> httpx.Request:
        return httpx.Request(
            "POST",
            self._url,
            data=self._form,
            headers={"Authorization": self._basic, "Accept": "application/json"},
            # A request an auth flow makes carries no client timeout of its own.
            extensions={"timeout": httpx.Timeout(TOKEN_TIMEOUT).as_dict()},
        )

    def _take(self, r: httpx.Response) -> None:
        what = f"{self._name} token"
        if r.status_code == 429 or r.status_code >= 500:
            raise TryLater(f"{what}: HTTP {r.status_code}", _retry_after(r))
        if r.status_code >= 400:
            raise NotAllowed(
                f"{what}: HTTP {r.status_code}, check the client id, the client secret and the"
                " user id of the Harvest v3 (OAuth) credential"
            )
        try:
            data = r.json()
            token = data["access_token"]
        except (ValueError, KeyError, TypeError):
            raise TryLater(f"{what}: the answer carries no access_token") from None
        if not isinstance(token, str) or not token:
            raise TryLater(f"{what}: the answer carries no access_token")
        lifetime = data.get("expires_in")
        if not isinstance(lifetime, int | float) or lifetime <= 0:
            lifetime = self.DEFAULT_LIFETIME
        self._token = token
        self._until = time.monotonic() + max(0.0, float(lifetime) - self.LEEWAY)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._token is None or time.monotonic() >= self._until:
            self._take((yield self._token_request()))
        request.headers["Authorization"] = f"Bearer {self._token}"
        sent_with = self._token
        response = yield request
        if response.status_code == 401:
            if self._token == sent_with:  # not already renewed by a concurrent call
                self._take((yield self._token_request()))
            request.headers["Authorization"] = f"Bearer {self._token}"
            yield request


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class ProviderApi:
    """One provider's API under one key."""

    def __init__(
        self,
        name: str,
        base_url: str,
        api_key: str | None,
        *,
        rate: float,
        auth: httpx.Auth | None = None,
        timeout: float = 20.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self._limit = RateLimit(rate=rate, burst=max(1.0, rate * 2))
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            auth=auth if auth is not None else httpx.BasicAuth(api_key or "", ""),
            timeout=timeout,
            headers={"Accept": "application/json; version=1", "User-Agent": "heardback"},
            transport=transport,
        )

    async def get(self, path: str, **params: str) -> dict[str, Any]:
        return await self._call("GET", path, params=params or None)

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._call("POST", path, json=body)

    async def get_list(self, path: str, **params: str) -> list[dict[str, Any]]:
        """A list endpoint (Greenhouse Harvest answers lists as JSON arrays), following its
        `Link: <...>; rel="next"` pages."""
        out: list[dict[str, Any]] = []
        url: str | None = path
        query: dict[str, str] | None = params or None
        while url is not None:
            data, r = await self._answer("GET", url, params=query)
            if not isinstance(data, list):
                raise TryLater(f"{self.name} GET {path.split('/', maxsplit=1)[0]}: not a list")
            out += [d for d in data if isinstance(d, dict)]
            nxt = r.links.get("next", {}).get("url")
            url, query = (str(nxt) if nxt else None), None
        return out

    async def _call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        data, _ = await self._answer(method, path, **kw)
        if not isinstance(data, dict):
            raise TryLater(
                f"{self.name} {method} {path.split('/', maxsplit=1)[0]}: an unexpected answer"
            )
        return data

    async def _answer(self, method: str, path: str, **kw: Any) -> tuple[Any, httpx.Response]:
        await self._limit.take()
        resource = path.lstrip("/").split("/", maxsplit=1)[0]  # reasons name no ids
        what = f"{self.name} {method} {resource}"
        try:
            target = path if path.startswith("http") else path.lstrip("/")
            r = await self._http.request(method, target, **kw)
        except httpx.HTTPError as err:
            raise TryLater(f"{what}: {type(err).__name__}") from None
        if r.status_code == 429 or r.status_code >= 500:
            raise TryLater(f"{what}: HTTP {r.status_code}", _retry_after(r))
        if r.status_code == 404:
            raise Gone(f"{what}: not found in {self.name} (deleted meanwhile?)")
        if r.status_code in (401, 403):
            raise NotAllowed(
                f"{what}: HTTP {r.status_code}, check the {self.name} API key and its permissions"
            )
        if r.status_code >= 400:
            raise NotAllowed(f"{what}: HTTP {r.status_code}")
        try:
            data = r.json()
        except ValueError:
            raise TryLater(f"{what}: the answer is not JSON") from None
        return data, r

    async def close(self) -> None:
        await self._http.aclose()
