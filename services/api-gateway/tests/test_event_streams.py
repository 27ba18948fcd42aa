"""Server-sent events through the gateway (issue #15): streamed as they come, authenticated like
any read, and each stream holds one of its credential's stream places until it ends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from nightwatch_gateway.main import create_app
from nightwatch_gateway.settings import GatewaySettings

from .conftest import ADMIN, login
from .upstream import SSE_EVENTS

EVENTS = "/api/v1/incidents/events"


async def test_events_stream_through_with_their_type(gateway: httpx.AsyncClient) -> None:
    admin = await login(gateway, *ADMIN)
    response = await gateway.get(EVENTS, headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "content-length" not in response.headers
    assert response.content == b"".join(SSE_EVENTS)


async def test_events_need_a_login(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get(EVENTS)
    assert response.status_code == 401


async def test_a_credential_holds_at_most_its_stream_places(
    app_client: Callable[..., Any], gateway_settings: Callable[..., GatewaySettings]
) -> None:
    app = create_app(gateway_settings(max_event_streams_per_credential=2))
    async with app_client(app) as gateway:
        admin = await login(gateway, *ADMIN)
        # A finished stream gives its place back: many in a row are all served.
        for _ in range(5):
            assert (await gateway.get(EVENTS, headers=admin)).status_code == 200
        accounts = (await gateway.get("/api/v1/accounts", headers=admin)).json()
        [me] = [a for a in accounts["items"] if a["username"] == ADMIN[0]]
        identity = f"user:{me['id']}"
        streams = app.state.admission.streams
        assert streams.in_flight(identity) == 0
        # Two streams still open (held as the router holds them): the third is refused at once.
        async with streams.hold(identity), streams.hold(identity):
            refused = await gateway.get(EVENTS, headers=admin)
            assert refused.status_code == 429
            assert refused.json()["error"]["code"] == "too_many_in_flight"
            assert "event stream" in refused.json()["error"]["message"]
            # Other requests of the same person are not affected.
            assert (await gateway.get("/api/v1/incidents", headers=admin)).status_code == 200
        assert (await gateway.get(EVENTS, headers=admin)).status_code == 200
