"""The live-update stream a signed-in page opens (server-sent events)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from services.workspace.live import LiveHub
from services.workspace.session import SignedInPerson, signed_in
from services.workspace.settings import WorkspaceSettings

router = APIRouter(include_in_schema=False)

# A stream ends after this long and the browser reconnects: its session is checked
# (and renewed) again, so a signed-out or disabled person stops getting signals.
STREAM_SECONDS = 300.0


@router.get("/live")
async def live(
    request: Request,
    ticket: uuid.UUID | None = None,
    person: SignedInPerson = Depends(signed_in),
) -> StreamingResponse:
    """The page's signals; ``ticket`` names the ticket the page shows."""
    hub: LiveHub = request.app.state.live
    settings: WorkspaceSettings = request.app.state.settings
    listener = hub.open(person, str(ticket) if ticket else None)

    async def frames() -> AsyncIterator[str]:
        try:
            async for frame in hub.frames(
                listener, keepalive=settings.live_keepalive_seconds, lasting=STREAM_SECONDS
            ):
                yield frame
        finally:
            hub.close(listener)

    return StreamingResponse(
        frames(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
