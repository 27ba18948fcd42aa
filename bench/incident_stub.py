"""A stand-in for incident-management in benchmarks: answers at once, so numbers are the caller's.

`POST /api/v1/incidents` creates an incident (one per Idempotency-Key, as the real service does);
every other request (attaching alerts) answers 200. Raw asyncio, HTTP/1.1 keep-alive, loopback only.

    python bench/incident_stub.py PORT
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid


async def _stub_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    incidents: dict[bytes, bytes] = {}
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            key = b""
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
                elif name.lower() == b"idempotency-key":
                    key = value.strip()
            if length:
                await reader.readexactly(length)
            if head.startswith(b"POST /api/v1/incidents "):
                incident = incidents.setdefault(key, str(uuid.uuid4()).encode())
                body = b'{"id": "' + incident + b'", "status": "open"}'
                status = b"201 Created"
            else:
                body, status = b'{"attached": 1}', b"200 OK"
            writer.write(
                b"HTTP/1.1 "
                + status
                + b"\r\ncontent-type: application/json\r\ncontent-length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )
            await writer.drain()


async def run_stub(port: int) -> None:
    server = await asyncio.start_server(_stub_connection, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    import uvloop

    uvloop.run(run_stub(int(sys.argv[1])))
