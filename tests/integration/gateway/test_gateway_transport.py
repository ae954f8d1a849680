"""G1's upstream leg over real sockets: the gateway's HTTP/1.1 keep-alive transport against a
real uvicorn server (bodies streamed both ways, connections reused, errors mapped)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from services.gateway.proxy import WHOLE_BODY_BYTES, forward, make_client
from tests.support.processes import free_port

seen: dict[str, Any] = {"peers": set(), "bodies": []}


async def upstream(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A small ASGI app: echoes bodies, streams chunked answers, sleeps, says 304."""
    if scope["type"] != "http":
        return
    seen["peers"].add(scope["client"])
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    seen["bodies"].append(body)
    path = scope["path"]
    if path == "/slow":
        await asyncio.sleep(2)
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for i in range(5):
            await send({"type": "http.response.body", "body": b"part%d;" % i, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    if path == "/not-modified":
        await send({"type": "http.response.start", "status": 304, "headers": [(b"etag", b'"x"')]})
        await send({"type": "http.response.body", "body": b""})
        return
    if path == "/big":
        answer = b"z" * (WHOLE_BODY_BYTES + 1)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(answer)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": answer})
        return
    answer = b"echo:" + body
    headers = [(b"content-length", str(len(answer)).encode()), (b"x-path", path.encode())]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": answer})


@pytest.fixture
async def server() -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(upstream, port=port, log_level="warning", timeout_keep_alive=1)
    instance = uvicorn.Server(config)
    task = asyncio.create_task(instance.serve())
    while not instance.started:
        await asyncio.sleep(0.01)
    seen["peers"], seen["bodies"] = set(), []
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        await task


async def test_g1_keep_alive_connections_are_reused(server: str) -> None:
    async with make_client(connect_s=2, read_s=5, max_connections=4) as client:
        for i in range(20):
            response = await client.get(f"{server}/x?i={i}")
            assert response.status_code == 201
            assert response.headers["x-path"] == "/x"
            assert response.content == b"echo:"
    assert len(seen["peers"]) == 1  # one connection for twenty sequential requests


async def test_g1_request_bodies_stream_with_length_or_chunked(server: str) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for part in (b"a" * 70_000, b"", b"b" * 3):
            yield part

    async with make_client(connect_s=2, read_s=5, max_connections=4) as client:
        sized = await client.post(f"{server}/in", content=b"x" * 100_000)
        chunked = await client.post(f"{server}/in", content=chunks())
    assert sized.content == b"echo:" + b"x" * 100_000
    assert chunked.content == b"echo:" + b"a" * 70_000 + b"bbb"


async def test_g1_responses_stream_back_and_304_has_no_body(server: str) -> None:
    async with make_client(connect_s=2, read_s=5, max_connections=4) as client:
        async with client.stream("GET", f"{server}/stream") as response:
            parts = [chunk async for chunk in response.aiter_raw()]
        not_modified = await client.get(f"{server}/not-modified")
        after = await client.get(f"{server}/x")
    assert b"".join(parts) == b"part0;part1;part2;part3;part4;"
    assert (not_modified.status_code, not_modified.content) == (304, b"")
    assert after.status_code == 201
    assert len(seen["peers"]) == 1


async def test_g1_an_idle_connection_closed_by_the_upstream_is_replaced(server: str) -> None:
    async with make_client(connect_s=2, read_s=5, max_connections=4) as client:
        assert (await client.get(f"{server}/x")).status_code == 201
        await asyncio.sleep(1.5)  # uvicorn closes idle connections after 1 s here
        for _ in range(3):
            assert (await client.get(f"{server}/x")).status_code == 201


async def test_g1_a_partly_read_response_does_not_poison_the_pool(server: str) -> None:
    async with make_client(connect_s=2, read_s=5, max_connections=1) as client:
        async with client.stream("GET", f"{server}/stream") as response:
            await response.aiter_raw().__anext__()  # read one chunk, then give up
        for _ in range(3):  # one slot only: it must have been released
            assert (await client.get(f"{server}/x")).content == b"echo:"


async def test_g1_timeouts_and_refused_connections_are_httpx_errors(server: str) -> None:
    async with make_client(connect_s=2, read_s=0.2, max_connections=4) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"{server}/slow")
        with pytest.raises(httpx.ConnectError):
            await client.get("http://127.0.0.1:1/x")
        assert (await client.get(f"{server}/x")).status_code == 201


def incoming(path: str) -> Request:
    """A client's GET as the gateway's route receives it."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"gateway")],
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    return Request(scope, receive)


async def body_of(response: Response) -> bytes:
    if isinstance(response, StreamingResponse):
        return b"".join([bytes(chunk) async for chunk in response.body_iterator])
    return bytes(response.body)


async def test_g1_small_answers_go_back_whole_and_large_or_unsized_ones_stream(
    server: str,
) -> None:
    async with make_client(connect_s=2, read_s=5, max_connections=1) as client:

        async def through(path: str) -> Response:
            return await forward(
                client,
                incoming(path),
                service="test",
                base_url=server,
                path=path,
                caller_header="signed",
            )

        small = await through("/x")
        assert not isinstance(small, StreamingResponse)
        assert (small.status_code, await body_of(small)) == (201, b"echo:")
        assert (small.headers["content-length"], small.headers["x-path"]) == ("5", "/x")
        # One slot in the pool: a streamed answer holds it until read, then releases it.
        big = await through("/big")
        assert isinstance(big, StreamingResponse)
        assert await body_of(big) == b"z" * (WHOLE_BODY_BYTES + 1)
        unsized = await through("/stream")
        assert isinstance(unsized, StreamingResponse)
        assert await body_of(unsized) == b"part0;part1;part2;part3;part4;"
        assert (await through("/x")).status_code == 201
