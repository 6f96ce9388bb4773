"""Who may read which ticket: pure rules over the caller and the ticket's team/assignee.

People see the tickets of the teams they work in (supervisors also those they
supervise) and the tickets assigned to them; admins see all. Integrations' keys (a
gateway answering a customer, a team system) passed the route's role check and see all.

Another team's ticket is a 403 ``not_your_ticket``, not a 404: dispatch refuses another
agent's assignment the same way (403 ``not_your_assignment``), the workspace can tell the
agent whom to ask, and a ticket number says nothing the agent's own numbers do not (they
are sequential). Search never lists such tickets, so nothing is found through it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shared.auth import Principal
from shared.errors import ApiError


@dataclass(frozen=True)
class TicketScope:
    """``teams`` None: every ticket; else these teams' tickets and ``person_id``'s own."""

    teams: frozenset[str] | None
    person_id: uuid.UUID | None = None

    def admits(self, team: str | None, assignee_id: uuid.UUID | None) -> bool:
        if self.teams is None:
            return True
        if self.person_id is not None and assignee_id == self.person_id:
            return True
        return team is not None and team in self.teams


def scope_of(principal: Principal) -> TicketScope:
    person = principal.person
    if person is None or principal.is_admin:
        return TicketScope(None)
    teams = set(person.teams)
    if "supervisor" in person.roles:
        teams |= person.supervises
    return TicketScope(frozenset(teams), person.person_id)


def check_ticket(principal: Principal, team: str | None, assignee_id: uuid.UUID | None) -> None:
    if not scope_of(principal).admits(team, assignee_id):
        raise ApiError(
            403,
            "not_your_ticket",
            "This ticket is neither assigned to you nor in one of your teams.",
        )
