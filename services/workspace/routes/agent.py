"""The agent's screens: my work, the ticket page and its actions, search."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from services.workspace.pages import render
from services.workspace.session import SignedInPerson, signed_in

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def my_work(request: Request, person: SignedInPerson = Depends(signed_in)) -> Response:
    return render(request, "my_work.html", person, views=[], items=[])
