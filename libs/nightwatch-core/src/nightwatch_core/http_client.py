"""The client services use to call each other: pooled, with timeouts and bounded retries.

Only idempotent calls are retried (GET/PUT/DELETE/HEAD, or any call made with an idempotency key),
so a retry can never create a second incident or send a second page.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from nightwatch_core.backoff import Backoff
from nightwatch_core.request_context import REQUEST_ID_HEADER, current_request_id
from nightwatch_core.secrets import StackSecret
from nightwatch_core.service_auth import SERVICE_TOKEN_HEADER
from nightwatch_core.settings import ServiceSettings

log = logging.getLogger("nightwatch.http")

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_RETRY_STATUSES = frozenset({502, 503, 504})
IDEMPOTENCY_HEADER = "Idempotency-Key"


class ServiceClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 5.0,
        connect_timeout: float = 2.0,
        retries: int = 2,
        backoff_seconds: float = 0.1,
        max_connections: int = 100,
        transport: httpx.AsyncBaseTransport | None = None,
        credential: StackSecret | None = None,
    ) -> None:
        """``credential``: the stack's service credential (``app.state.service_credential``),
        sent on every call; the called service refuses calls without it."""
        self.retries = retries
        self.backoff = Backoff(backoff_seconds)
        self._credential = credential
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=20),
            transport=transport,
        )

    @classmethod
    def from_settings(
        cls, base_url: str, settings: ServiceSettings, *, credential: StackSecret | None
    ) -> ServiceClient:
        return cls(
            base_url,
            timeout=settings.http_timeout_seconds,
            connect_timeout=settings.http_connect_timeout_seconds,
            retries=settings.http_retries,
            credential=credential,
        )

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        """``content``: a body already serialised as JSON (large batches skip re-encoding)."""
        method = method.upper()
        out_headers = dict(headers or {})
        if content is not None:
            out_headers.setdefault("content-type", "application/json")
        request_id = current_request_id()
        if request_id and REQUEST_ID_HEADER not in out_headers:
            out_headers[REQUEST_ID_HEADER] = request_id
        if idempotency_key:
            out_headers[IDEMPOTENCY_HEADER] = idempotency_key
        if self._credential is not None and self._credential.value is not None:
            out_headers[SERVICE_TOKEN_HEADER] = self._credential.value
        retryable = method in _IDEMPOTENT_METHODS or idempotency_key is not None
        attempts = 1 + (self.retries if retryable else 0)
        for attempt in range(1, attempts + 1):
            try:
                response = await self._client.request(
                    method, path, json=json, content=content, params=params, headers=out_headers
                )
            except httpx.TransportError as exc:
                if attempt == attempts:
                    raise
                log.info("retrying %s %s after %s", method, path, type(exc).__name__)
            else:
                if response.status_code not in _RETRY_STATUSES or attempt == attempts:
                    return response
                log.info("retrying %s %s after HTTP %s", method, path, response.status_code)
            await asyncio.sleep(self.backoff.seconds(attempt))
        raise AssertionError("unreachable")

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def aclose(self) -> None:
        await self._client.aclose()
