"""What every dispatch route needs: who may call, the acting agent and supervisor, the
shape of an agent's action route, a listing's limit, one record by id, and the commit.

Who is acting is who signed in (issue 12): an agent's account is its agent (one id), so
an agent acts on the assignments they hold and changes only their own status; a
supervisor manages and decides for the teams their account supervises; an admin for any
team. Shared keys stand in for nobody (403 person_required); a key an admin allowed to act
for a person names them with X-On-Behalf-Of (services/dispatch/people/delegation.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypedDict, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.types import DecoratedCallable
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch.people import delegation
from services.dispatch.people.delegation import ACT_FOR_SCOPE, ON_BEHALF_OF
from services.dispatch.roster import check_supervisor, existing_team
from services.dispatch.schemas import AssignmentView
from services.dispatch.settings import DispatchSettings
from shared.auth import Principal, require_person, require_roles
from shared.errors import ApiError, error_responses, not_found
from shared.events import utcnow
from shared.http import unit_of_work
from shared.observability import get_logger
from shared.outbox import UnitOfWork

log = get_logger(__name__)

T = TypeVar("T")

# One router for every dispatch route; api/__init__.py imports the route modules onto it.
router = APIRouter(prefix="/v1")

READERS = Depends(require_roles("agent", "supervisor", "viewer"))
SUPERVISORS = require_roles("supervisor")
ADMINS = require_roles()

# How many rows a listing answers: 100 unless asked, 1000 at the most. Shared by every
# ``limit: int`` (FastAPI sets the annotation on this one FieldInfo: keep it int).
PAGE_LIMIT = Query(default=100, ge=1, le=1000)


def settings_of(request: Request) -> DispatchSettings:
    settings: DispatchSettings = request.app.state.settings
    return settings


def supervised(principal: Principal) -> frozenset[str] | None:
    """The teams the signed-in supervisor supervises; None for an admin (any team). A
    shared key stands in for nobody (403 person_required)."""
    if principal.is_admin:
        return None
    return require_person(principal).supervises


async def _acting_agent(
    principal: Principal = Depends(require_roles("agent", scopes=[ACT_FOR_SCOPE])),
    on_behalf_of: uuid.UUID | None = ON_BEHALF_OF,
    # The route's own unit of work (one per request): SQLite has one connection to give.
    uow: UnitOfWork = Depends(unit_of_work),
) -> uuid.UUID:
    """The agent doing the work: the signed-in person (their id is their agent id), or
    the person a key acts for under an admin's grant (logged with the key's name)."""
    principal = await delegation.as_person(uow.session, principal, on_behalf_of)
    person = require_person(principal)
    if "agent" not in person.roles:
        raise ApiError(403, "role_not_allowed", "Only an agent works on assignments.")
    if principal.via:
        log.info("acting_for_person", key=principal.via, person_id=str(person.person_id))
    return person.person_id


ACTING_AGENT = Depends(_acting_agent)


async def found_by_id(
    session: AsyncSession,
    what: str,
    raw: str,
    load: Callable[[AsyncSession, uuid.UUID], Awaitable[T | None]],
) -> T:
    """The record with this id, or 404 ``<what>_not_found`` (also when the id is no id)."""
    try:
        ident = uuid.UUID(raw)
    except ValueError:
        raise not_found(what, raw) from None
    record = await load(session, ident)
    if record is None:
        raise not_found(what, raw)
    return record


ACTION_ERRORS = error_responses(401, 403, 404, 409, 422)
ACTION_DOC = (
    " By the signed-in agent holding the assignment (or a key an admin allowed to act for"
    " them, with X-On-Behalf-Of). Refusals: 404 assignment_not_found, 403 person_required /"
    " delegation_required / unknown_agent / not_your_assignment, 409 invalid_state (the"
    " message names the current state), 409 stale_assignment (`expected_version` given and"
    " the assignment changed since; details carry the current version)."
)


def agent_action(
    path: str, *, summary: str, description: str = "", **route: Any
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """The route of an action by the agent holding the assignment:
    POST /v1/assignments/{assignment_id}/<path>, refused as ACTION_DOC says; it answers the
    assignment unless ``route`` names another response_model (and tags)."""
    route.setdefault("response_model", AssignmentView)
    route.setdefault("tags", ["agent work"])
    return router.post(
        f"/assignments/{{assignment_id}}/{path}",
        summary=summary,
        description=description + ACTION_DOC,
        responses=ACTION_ERRORS,
        **route,
    )


async def committed(uow: UnitOfWork, work: Awaitable[T]) -> T:
    """The route's use case done and committed (the request commits, nothing below it):
    what the route answers."""
    done = await work
    await uow.commit()
    return done


class SupervisorChange(TypedDict):
    """A change to a team's arrangements (its shift roster, its exceptions) by its
    supervisor or an admin: who, when, and the skill level P0/VIP work needs when the
    change hands work on."""

    actor: str
    actor_name: str
    at: datetime
    min_level: int


async def supervisor_change(
    session: AsyncSession, team_key: str, principal: Principal, settings: DispatchSettings
) -> SupervisorChange:
    """The change's actor, once the team is found (404 team_not_found) and they supervise
    it (403 not_team_supervisor)."""
    check_supervisor(await existing_team(session, team_key), supervised(principal))
    return SupervisorChange(
        actor=principal.actor,
        actor_name=principal.actor_name,
        at=utcnow(),
        min_level=settings.min_skill_level_p0_vip,
    )
