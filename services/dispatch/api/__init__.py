"""Dispatch's HTTP routes.

Who is acting:
- an agent key (role ``agent``) names the agent with the ``X-Agent-Id`` header
  (the agent's id from ``GET /v1/agents``); only the assignment's holder may act on it;
- a supervisor key (role ``supervisor``) names the supervisor with the
  ``X-Supervisor`` header, matched against ``team.supervisor``: a supervisor
  manages and approves for their own team only; an ``admin`` key may act on any team.
"""

from __future__ import annotations

from fastapi import APIRouter

from services.dispatch.api import assignments, compensation, roster

router = APIRouter(prefix="/v1")
router.include_router(roster.router)
router.include_router(assignments.router)
router.include_router(compensation.router)
