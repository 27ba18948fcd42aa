"""A real webhook receiver on loopback for `make chaos` (issue #12): it checks each page's
signature, records the notification ids it accepted, and can be stopped (connections refused,
open ones closed) and started again on the same port, like a receiver that goes down and back.

Deliberately small: HTTP/1.1 with keep-alive and `Content-Length` bodies, which is what the
notification service's webhook channel (httpx) sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
from collections.abc import AsyncIterator

SIGNATURE_HEADER = "x-nightwatch-signature"
MAX_BODY = 1 << 20


class WebhookReceiver:
    def __init__(self, secret: str, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.secret = secret.encode()
        self.host, self.port = host, port
        self.received: dict[str, int] = {}  # notification id -> deliveries (at-least-once)
        self.bad_signatures = 0
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.StreamWriter, asyncio.Task[None]] = {}

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/page"

    @property
    def running(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]  # the same port on a restart

    async def stop(self) -> None:
        """Refuse new connections and drop the open ones (a receiver that died)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        handlers = list(self._connections.values())
        for writer in list(self._connections):
            writer.close()
        # Each handler sees its connection end and returns (none is left to be cancelled).
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()

    def signed(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[writer] = task
        try:
            while self._server is not None:
                status = await self._one_request(reader)
                if status is None:
                    return
                writer.write(
                    f"HTTP/1.1 {status} {'OK' if status == 200 else 'Refused'}\r\n"
                    "Content-Length: 0\r\n\r\n".encode()
                )
                await writer.drain()
        except (
            ConnectionError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
        ):
            return
        finally:
            self._connections.pop(writer, None)
            writer.close()

    async def _one_request(self, reader: asyncio.StreamReader) -> int | None:
        """200 for a correctly signed page (recorded), 401 for a bad signature, None at EOF."""
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.strip():
            return None
        headers = {}
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        if length > MAX_BODY:
            raise ValueError("body too large")
        body = await reader.readexactly(length)
        if not hmac.compare_digest(self.signed(body), headers.get(SIGNATURE_HEADER, "")):
            self.bad_signatures += 1
            return 401
        notification_id = str(json.loads(body)["id"])
        self.received[notification_id] = self.received.get(notification_id, 0) + 1
        return 200


@contextlib.asynccontextmanager
async def running_receiver(secret: str) -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver(secret)
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()
