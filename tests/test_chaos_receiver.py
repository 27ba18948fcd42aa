"""`make chaos`'s webhook receiver (bench/webhook_receiver.py): it records only correctly signed
pages, and a stop really takes it down (new connections refused, a kept-alive one dropped) until
it starts again on the same port."""

from __future__ import annotations

import json

import httpx
import pytest

from bench.webhook_receiver import running_receiver

SECRET = "chaos-webhook-secret"


def _page(signature: str) -> dict[str, str]:
    return {"content-type": "application/json", "X-Nightwatch-Signature": signature}


async def test_only_signed_pages_are_recorded() -> None:
    async with running_receiver(SECRET) as receiver, httpx.AsyncClient() as client:
        body = json.dumps({"id": "n-1", "subject": "page"}).encode()
        good = await client.post(receiver.url, content=body, headers=_page(receiver.signed(body)))
        forged = await client.post(receiver.url, content=body, headers=_page("sha256=00"))
        again = await client.post(receiver.url, content=body, headers=_page(receiver.signed(body)))
    assert (good.status_code, forged.status_code, again.status_code) == (200, 401, 200)
    assert receiver.received == {"n-1": 2}
    assert receiver.bad_signatures == 1


async def test_a_stopped_receiver_refuses_until_it_is_back_on_the_same_port() -> None:
    async with running_receiver(SECRET) as receiver, httpx.AsyncClient() as client:
        url = receiver.url
        first = json.dumps({"id": "before"}).encode()
        assert (
            await client.post(url, content=first, headers=_page(receiver.signed(first)))
        ).status_code == 200
        await receiver.stop()  # the client still holds the kept-alive connection
        down = json.dumps({"id": "while-down"}).encode()
        with pytest.raises(httpx.TransportError):
            await client.post(url, content=down, headers=_page(receiver.signed(down)))
        await receiver.start()
        assert receiver.url == url
        back = await client.post(url, content=down, headers=_page(receiver.signed(down)))
        assert back.status_code == 200
    assert receiver.received == {"before": 1, "while-down": 1}
