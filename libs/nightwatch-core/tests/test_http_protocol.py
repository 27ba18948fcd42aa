"""The turn-buffered httptools protocol: one write per loop turn, nothing lost or reordered."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from nightwatch_core.http_protocol import HttpToolsProtocol, TurnBufferedTransport
from nightwatch_core.testing.served import served


class RecordingTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> str:
        return f"extra:{name}"


async def test_writes_of_one_loop_turn_leave_as_one_write_after_it() -> None:
    raw = RecordingTransport()
    transport = TurnBufferedTransport(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(b"")
    transport.write(b"body")
    assert raw.writes == []  # not before the turn ends
    await asyncio.sleep(0)
    assert raw.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
    transport.write(b"next")
    await asyncio.sleep(0)
    assert raw.writes[-1] == b"next" and len(raw.writes) == 2


async def test_close_sends_what_is_pending_first_and_other_calls_pass_through() -> None:
    raw = RecordingTransport()
    transport = TurnBufferedTransport(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.writelines([b"a", b"b"])
    transport.close()
    assert raw.writes == [b"ab"] and raw.closed
    transport.write(b"late")
    await asyncio.sleep(0)
    assert raw.writes == [b"ab"]  # never written to a closing transport
    assert transport.get_extra_info("peername") == "extra:peername"


def _sample_app() -> FastAPI:
    app = FastAPI()

    @app.post("/echo")
    async def echo(body: dict[str, Any]) -> dict[str, Any]:
        return body

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for i in range(5):
                await asyncio.sleep(0.01)
                yield f"chunk-{i};".encode()

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/large")
    async def large() -> dict[str, str]:
        return {"data": "x" * 1_000_000}

    return app


@contextlib.asynccontextmanager
async def _serve() -> AsyncIterator[int]:
    async with served(_sample_app(), http=HttpToolsProtocol) as server:
        yield server.port


async def test_a_small_response_arrives_in_one_piece_over_a_real_socket() -> None:
    async with _serve() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        body = b'{"a": 1}'
        for _ in range(3):  # keep-alive: the same connection, one answer after another
            writer.write(
                b"POST /echo HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\n"
                b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            first = await reader.read(65536)
            assert first.startswith(b"HTTP/1.1 200 OK")
            assert first.endswith(b'\r\n\r\n{"a":1}')  # status line, headers and body together
        writer.close()


async def test_streamed_large_and_keep_alive_responses_are_complete_and_in_order() -> None:
    async with _serve() as port, httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        streamed = await client.get("/stream")
        large = await client.get("/large")
        echoed = await asyncio.gather(*(client.post("/echo", json={"n": i}) for i in range(20)))
    assert streamed.text == "".join(f"chunk-{i};" for i in range(5))
    assert len(large.json()["data"]) == 1_000_000
    assert [r.json() for r in echoed] == [{"n": i} for i in range(20)]


def test_it_works_on_uvloop_which_the_services_run_on() -> None:
    import uvloop

    async def roundtrip() -> list[dict[str, Any]]:
        async with (
            _serve() as port,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client,
        ):
            responses = [await client.post("/echo", json={"n": i}) for i in range(3)]
        return [r.json() for r in responses]

    assert uvloop.run(roundtrip()) == [{"n": 0}, {"n": 1}, {"n": 2}]
