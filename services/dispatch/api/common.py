"""What every dispatch route needs: who may call, the acting agent's and supervisor's headers."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Header, Request

from services.dispatch.settings import DispatchSettings
from shared.auth import Principal, require_roles
from shared.errors import ApiError, error_responses, not_found

# One router for every dispatch route; api/__init__.py imports the route modules onto it.
router = APIRouter(prefix="/v1")

READERS = Depends(require_roles("agent", "supervisor", "viewer"))
AGENTS = require_roles("agent")
SUPERVISORS = require_roles("supervisor")
ADMINS = require_roles()

AGENT_ID_HEADER = Header(
    alias="X-Agent-Id",
    description="The acting agent's id (from GET /v1/agents); required with an agent key.",
    examples=["6f1c1a4e-8a43-4e59-9d1e-6b9c1f0b2d11"],
)
SUPERVISOR_HEADER = Header(
    default=None,
    alias="X-Supervisor",
    description="The acting supervisor, as in team.supervisor; required with a supervisor key.",
    examples=["tech-supervisor"],
)
OPTIONAL_AGENT_ID_HEADER = Header(
    default=None,
    alias="X-Agent-Id",
    description="With an agent key: the agent changing their own status.",
)


def settings_of(request: Request) -> DispatchSettings:
    settings: DispatchSettings = request.app.state.settings
    return settings


def acting_supervisor(principal: Principal, name: str | None) -> str | None:
    """The acting supervisor's name; None for an admin, who may act on any team."""
    if principal.role == "admin":
        return None
    if not name:
        raise ApiError(
            400,
            "supervisor_required",
            "Name yourself with the X-Supervisor header (the team's supervisor value).",
        )
    return name


def uuid_or_404(what: str, raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise not_found(what, raw) from None


ACTION_ERRORS = error_responses(401, 403, 404, 409, 422)
ACTION_DOC = (
    " Send the acting agent's id in X-Agent-Id. Refusals: 404 assignment_not_found,"
    " 403 unknown_agent / not_your_assignment, 409 invalid_state (the message names the"
    " current state)."
)
