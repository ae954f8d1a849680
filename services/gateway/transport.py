"""The upstream leg of the proxy (G1): HTTP/1.1 keep-alive over asyncio streams, parsed by
httptools (the C parser uvicorn uses), behind httpx's client interface.

httpx's default transport (httpcore, h11 and anyio, all pure Python) costs several times
the CPU per request; the gateway pays it on every call. Upstreams are plain-HTTP services on
the internal network; any other scheme goes to httpx's own transport. Errors are httpx's
(ConnectError, ConnectTimeout, ReadTimeout, ...), so callers map them as before.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field

import httptools
import httpx

# Idle connections older than this are dropped, well before uvicorn closes them (5 s).
MAX_IDLE_S = 2.0
READ_SIZE = 65536


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0

    def usable(self, now: float) -> bool:
        return (
            not self.reader.at_eof()
            and not self.writer.is_closing()
            and now - self.idle_since < MAX_IDLE_S
        )

    def close(self) -> None:
        self.writer.close()


@dataclass
class _Parsed:
    """httptools callbacks: the status line, the headers, then body chunks."""

    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    headers_done: bool = False
    done: bool = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.done = True


class _Exchange:
    """One request/response on a connection; gives the connection back when fully read."""

    def __init__(self, pool: FastTransport, key: tuple[str, int], conn: _Connection) -> None:
        self.pool, self.key, self.conn = pool, key, conn
        self.parsed = _Parsed()
        self.parser = httptools.HttpResponseParser(self.parsed)
        self.received = 0
        self.finished = False

    async def read_more(self, timeout: float | None) -> None:
        try:
            async with asyncio.timeout(timeout):
                data = await self.conn.reader.read(READ_SIZE)
        except TimeoutError:
            raise httpx.ReadTimeout("upstream read timed out") from None
        except OSError as exc:
            raise httpx.ReadError(str(exc)) from exc
        if not data:
            raise httpx.RemoteProtocolError("upstream closed the connection mid-response")
        self.received += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            raise httpx.RemoteProtocolError(f"bad upstream response: {exc}") from exc

    async def body(self, timeout: float | None) -> AsyncGenerator[bytes, None]:
        try:
            while True:
                while self.parsed.chunks:
                    yield self.parsed.chunks.pop(0)
                if self.parsed.done:
                    break
                await self.read_more(timeout)
        finally:
            self.release()

    def keep_alive(self) -> bool:
        """HTTP/1.1 without `Connection: close` (httptools forgets it once the message ends)."""
        if self.parser.get_http_version() != "1.1":
            return False
        return not any(
            name.lower() == b"connection" and b"close" in value.lower()
            for name, value in self.parsed.headers
        )

    def release(self) -> None:
        """Back to the pool when the response was read whole and may be reused; else closed."""
        if self.finished:
            return
        self.finished = True
        if self.parsed.done and self.keep_alive():
            self.pool.give_back(self.key, self.conn)
        else:
            self.conn.close()
        self.pool.slots.release()


class _Body(httpx.AsyncByteStream):
    def __init__(self, exchange: _Exchange, timeout: float | None) -> None:
        self.exchange = exchange
        self.iterator = exchange.body(timeout)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.iterator:
            yield chunk

    async def aclose(self) -> None:
        await self.iterator.aclose()
        self.exchange.release()


class FastTransport(httpx.AsyncBaseTransport):
    """Pooled HTTP/1.1 keep-alive connections per upstream, at most `max_connections` busy."""

    def __init__(self, *, max_connections: int) -> None:
        self.slots = asyncio.Semaphore(max_connections)
        self.idle: dict[tuple[str, int], list[_Connection]] = {}
        self.fallback = httpx.AsyncHTTPTransport()

    def give_back(self, key: tuple[str, int], conn: _Connection) -> None:
        conn.idle_since = time.monotonic()
        self.idle.setdefault(key, []).append(conn)

    def _pooled(self, key: tuple[str, int]) -> _Connection | None:
        now = time.monotonic()
        stack = self.idle.get(key)
        while stack:
            conn = stack.pop()
            if conn.usable(now):
                return conn
            conn.close()
        return None

    async def _connect(self, key: tuple[str, int], timeout: float | None) -> _Connection:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(*key)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"connecting to {key[0]}:{key[1]} timed out") from None
        except OSError as exc:
            raise httpx.ConnectError(str(exc)) from exc
        return _Connection(reader, writer)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request on a pooled (or new) connection; the body streams back."""
        if request.url.scheme != "http":
            return await self.fallback.handle_async_request(request)
        timeouts = request.extensions.get("timeout", {})
        key = (request.url.host, request.url.port or 80)
        try:
            async with asyncio.timeout(timeouts.get("pool")):
                await self.slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no free upstream connection") from None
        try:
            return await self._exchange(request, key, timeouts)
        except BaseException:
            self.slots.release()
            raise

    async def _exchange(
        self, request: httpx.Request, key: tuple[str, int], timeouts: dict[str, float | None]
    ) -> httpx.Response:
        conn = self._pooled(key)
        reused = conn is not None
        if conn is None:
            conn = await self._connect(key, timeouts.get("connect"))
        exchange = _Exchange(self, key, conn)
        try:
            await _send(conn, request, timeouts.get("write"))
            while not exchange.parsed.headers_done:
                await exchange.read_more(timeouts.get("read"))
        except httpx.TransportError:
            conn.close()
            # A kept-alive connection the upstream had just closed: nothing was sent back, so
            # a request without a body is safe to send again on a new connection.
            if reused and exchange.received == 0 and _bodiless(request):
                conn = await self._connect(key, timeouts.get("connect"))
                exchange = _Exchange(self, key, conn)
                await _send(conn, request, timeouts.get("write"))
                while not exchange.parsed.headers_done:
                    await exchange.read_more(timeouts.get("read"))
            else:
                raise
        status = exchange.parser.get_status_code()
        return httpx.Response(
            status,
            headers=exchange.parsed.headers,
            stream=_Body(exchange, timeouts.get("read")),
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def aclose(self) -> None:
        for stack in self.idle.values():
            for conn in stack:
                conn.close()
        self.idle.clear()
        await self.fallback.aclose()


def _bodiless(request: httpx.Request) -> bool:
    return "content-length" not in request.headers and "transfer-encoding" not in request.headers


async def _send(conn: _Connection, request: httpx.Request, timeout: float | None) -> None:
    head = [f"{request.method} ".encode(), request.url.raw_path, b" HTTP/1.1\r\n"]
    for name, value in request.headers.raw:
        head += [name, b": ", value, b"\r\n"]
    head.append(b"\r\n")
    writer = conn.writer
    try:
        async with asyncio.timeout(timeout):
            writer.write(b"".join(head))
            if not _bodiless(request):
                await _send_body(writer, request)
            await writer.drain()
    except TimeoutError:
        raise httpx.WriteTimeout("upstream write timed out") from None
    except OSError as exc:
        raise httpx.WriteError(str(exc)) from exc


async def _send_body(writer: asyncio.StreamWriter, request: httpx.Request) -> None:
    stream = request.stream
    if not isinstance(stream, httpx.AsyncByteStream):
        raise httpx.UnsupportedProtocol("the gateway streams request bodies asynchronously")
    chunked = request.headers.get("transfer-encoding", "").lower() == "chunked"
    async for chunk in stream:
        if chunk:
            writer.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
            await writer.drain()
    if chunked:
        writer.write(b"0\r\n\r\n")
