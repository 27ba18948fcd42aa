"""A stand-in for incident-management in benchmarks: answers at once, so numbers are the caller's.

`POST /internal/v1/alert-batches` places every alert of a batch in one incident per (service,
severity) — the first alert of a key `new_incident`, the others `correlated` (no window, no
duplicates: the real rules are incident-management's). Raw asyncio, HTTP/1.1 keep-alive, loopback
only. For `make bench-standin`: ingestion's own cost, not what `make up` gives.

    python -m bench.incident_stub PORT
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid
from typing import Any

import orjson

_INCIDENTS: dict[tuple[str, str], str] = {}  # (service, severity) -> incident id


def _place(batch: dict[str, Any]) -> bytes:
    results = []
    for alert in batch["alerts"]:
        key = (alert["service"], alert["severity"])
        result = "correlated" if key in _INCIDENTS else "new_incident"
        incident_id = _INCIDENTS.setdefault(key, str(uuid.uuid4()))
        results.append(
            {"alert_id": alert["alert_id"], "incident_id": incident_id, "result": result}
        )
    return orjson.dumps({"batch_id": batch["batch_id"], "results": results, "replayed": False})


async def _stub_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            payload = await reader.readexactly(length) if length else b""
            if head.startswith(b"POST /internal/v1/alert-batches "):
                body, status = _place(orjson.loads(payload)), b"200 OK"
            else:
                body, status = b'{"error": {"code": "not_found"}}', b"404 Not Found"
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
