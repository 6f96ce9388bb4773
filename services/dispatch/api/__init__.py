"""Dispatch's HTTP routes.

Who is acting:
- an agent key (role ``agent``) names the agent with the ``X-Agent-Id`` header
  (the agent's id from ``GET /v1/agents``); only the assignment's holder may act on it;
- a supervisor key (role ``supervisor``) names the supervisor with the
  ``X-Supervisor`` header, matched against ``team.supervisor``: a supervisor
  manages and approves for their own team only; an ``admin`` key may act on any team.
"""

from __future__ import annotations

# Importing a route module puts its routes on the one router, in this order (OpenAPI's).
# isort: off
from services.dispatch.api import roster  # noqa: F401
from services.dispatch.api import assignments  # noqa: F401
from services.dispatch.api import compensation  # noqa: F401

# isort: on
from services.dispatch.api.common import router

__all__ = ["router"]
