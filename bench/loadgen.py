"""A lean HTTP/1.1 keep-alive client for the benchmark's load.

On a two-core machine the load generator competes with the system it measures;
httpx spends about a millisecond of CPU per request, as much as the target for
intake itself. This client writes each request with one ``write`` and reads the
status line, the headers and a ``Content-Length`` body, nothing more, so the
figures measure the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import urlsplit


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def request(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        reused = self._writer is not None
        try:
            return await self._exchange(head, body)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            self.close()
            if not reused:
                raise
        # The server closed an idle keep-alive connection: once more on a new one.
        return await self._exchange(head, body)

    async def _exchange(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        reader, writer = await self._open()
        writer.write(head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        status_line = await reader.readline()
        if not status_line:
            self.close()
            raise ConnectionError("the server closed the connection")
        parts = status_line.split()
        if len(parts) < 2 or not parts[1].isdigit():
            self.close()
            raise ConnectionError(f"not an HTTP status line: {status_line[:80]!r}")
        status = int(parts[1])
        length = 0
        keep_alive = True
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            lowered = name.strip().lower()
            if lowered == b"content-length":
                length = int(value)
            elif lowered == b"connection" and value.strip().lower() == b"close":
                keep_alive = False
        payload = await reader.readexactly(length) if length else b""
        if not keep_alive:
            self.close()
        return status, payload

    def close(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
        self._reader = self._writer = None


class Poster:
    """POSTs JSON to one URL over a pool of keep-alive connections."""

    def __init__(self, url: str, headers: dict[str, str], connections: int) -> None:
        parts = urlsplit(url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        lines = [f"POST {parts.path} HTTP/1.1", f"Host: {self._host}:{self._port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines += ["Content-Type: application/json"]
        self._head = ("\r\n".join(lines) + "\r\n").encode()
        self._idle: asyncio.Queue[Connection] = asyncio.Queue()
        for _ in range(connections):
            self._idle.put_nowait(Connection(self._host, self._port))

    async def post(self, body: dict[str, Any]) -> tuple[int, bytes]:
        connection = await self._idle.get()
        try:
            return await connection.request(self._head, json.dumps(body).encode())
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            connection.close()
            return 599, b""
        finally:
            self._idle.put_nowait(connection)

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait().close()
