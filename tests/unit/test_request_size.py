"""Oversized request bodies are refused with 413 before they are parsed (every service
mounts the same limit through shared.http)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI, Request

from shared.errors import install_error_handlers
from shared.http import RequestSizeLimit


def _app(limit: int) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(RequestSizeLimit, max_bytes=limit)

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    return app


async def _post(app: FastAPI, content: bytes | AsyncIterator[bytes]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post("/echo", content=content)


async def test_a_body_within_the_limit_is_read() -> None:
    response = await _post(_app(100), b"x" * 100)
    assert (response.status_code, response.json()) == (200, {"bytes": 100})


async def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    response = await _post(_app(100), b"x" * 101)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert "100 bytes" in response.json()["message"]


async def test_a_streamed_body_is_refused_once_it_passes_the_limit() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"y" * 40

    response = await _post(_app(100), chunks())
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
