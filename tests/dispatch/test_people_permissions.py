"""The person is the principal in dispatch, on SQLite and PostgreSQL: an agent acts only
on their own assignments and their own status, a supervisor decides only for the teams
they supervise, shared keys stand in for nobody, and the approval threshold counts the
ticket's total. Every refusal is a 403 with a stable code and changes nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from eventkit import publish, triaged
from people_support import ADMIN_KEY, running_dispatch
from testkit import new_person

from shared.events import Topics

AGENT_KEY = {"Authorization": "Bearer ag"}
SUPERVISOR_KEY = {"Authorization": "Bearer sv"}
VIEWER_KEY = {"Authorization": "Bearer vw"}


@dataclass
class Floor:
    """A dispatch with two tech agents, a finance agent and two supervisors, signed in."""

    client: httpx.AsyncClient
    broker: str
    topics: Topics
    people: dict[str, dict[str, Any]]
    headers: dict[str, dict[str, str]]

    async def ticket(self, team: str, ticket_no: str, category: str = "fault") -> dict[str, Any]:
        """A triaged ticket through Kafka, as triage sends it; its assignment once it lands."""
        event = triaged(ticket_no=ticket_no, team=team, category=category)
        await publish(self.broker, self.topics.triage, event)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            rows = (
                await self.client.get(f"/v1/assignments?team={team}", headers=VIEWER_KEY)
            ).json()
            found = [r for r in rows if r["ticket_no"] == ticket_no and r["state"] == "assigned"]
            if found:
                return found[0]
            await asyncio.sleep(0.05)
        pytest.fail(f"{ticket_no} was not assigned")

    async def act(self, who: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return await self.client.post(path, json=body, headers=self.headers[who])


@pytest.fixture
async def floor(database_url: str, broker: str, topic_prefix: str) -> AsyncIterator[Floor]:
    async with running_dispatch(
        database_url,
        broker,
        topic_prefix,
        compensation_thresholds={"refund": 200.0, "coupon": 50.0},
    ) as client:
        accounts: dict[str, dict[str, Any]] = {
            "zhang": {"roles": ["agent"], "teams": ["tech_support"], "display_name": "张伟"},
            "li": {"roles": ["agent"], "teams": ["tech_support"], "display_name": "李娜"},
            "qian": {"roles": ["agent"], "teams": ["finance"], "display_name": "钱多多"},
            "tech-sup": {"roles": ["supervisor"], "supervises": ["tech_support"]},
            "fin-sup": {
                "roles": ["supervisor"],
                "supervises": ["finance"],
                "display_name": "财务王",
            },
            "viewer": {"roles": ["viewer"]},
        }
        people, headers = {}, {}
        for login, spec in accounts.items():
            people[login], headers[login] = await new_person(client, ADMIN_KEY, login, **spec)
        for login in ("zhang", "qian"):  # li stays offline: zhang gets the tech tickets
            online = await client.patch(
                f"/v1/agents/{people[login]['id']}",
                json={"status": "online"},
                headers=headers[login],
            )
            assert online.status_code == 200, online.text
        yield Floor(client, broker, Topics(topic_prefix), people, headers)


async def _unchanged(floor: Floor, assignment: dict[str, Any]) -> None:
    now = await floor.client.get(f"/v1/assignments/{assignment['id']}", headers=VIEWER_KEY)
    assert (now.json()["state"], now.json()["agent_id"]) == (
        assignment["state"],
        assignment["agent_id"],
    )


async def test_one_persons_token_on_anothers_assignment_is_refused(floor: Floor) -> None:
    assignment = await floor.ticket("tech_support", "T-PERM-1")
    assert assignment["agent_id"] == floor.people["zhang"]["id"]
    path = f"/v1/assignments/{assignment['id']}"
    for action, body in (
        ("accept", None),
        ("progress", {"note": "我来处理", "customer_visible": True}),
        ("resolve", {"resolution_code": "fixed", "public_reply": "已修复"}),
        ("escalate", {"reason": "抢单"}),
        ("compensations", {"kind": "coupon", "amount": 10}),
    ):
        refused = await floor.act("li", f"{path}/{action}", body)
        assert (refused.status_code, refused.json()["code"]) == (403, "not_your_assignment")
    await _unchanged(floor, assignment)


async def test_a_shared_agent_key_naming_an_agent_is_refused(floor: Floor) -> None:
    assignment = await floor.ticket("tech_support", "T-PERM-2")
    zhang = floor.people["zhang"]["id"]
    impersonating = {**AGENT_KEY, "X-Agent-Id": zhang}
    path = f"/v1/assignments/{assignment['id']}/accept"
    refused = await floor.client.post(path, headers=impersonating)
    assert (refused.status_code, refused.json()["code"]) == (403, "person_required")
    offline = await floor.client.patch(
        f"/v1/agents/{zhang}", json={"status": "offline"}, headers=impersonating
    )
    assert (offline.status_code, offline.json()["code"]) == (403, "person_required")
    await _unchanged(floor, assignment)
    agent = await floor.client.get(f"/v1/agents/{zhang}", headers=VIEWER_KEY)
    assert agent.json()["status"] == "online"


async def test_an_agent_changes_only_their_own_status(floor: Floor) -> None:
    zhang = floor.people["zhang"]["id"]
    li = floor.people["li"]["id"]
    other = await floor.client.patch(
        f"/v1/agents/{zhang}", json={"status": "offline"}, headers=floor.headers["li"]
    )
    assert (other.status_code, other.json()["code"]) == (403, "not_your_account")
    more = await floor.client.patch(
        f"/v1/agents/{li}", json={"capacity": 50}, headers=floor.headers["li"]
    )
    assert (more.status_code, more.json()["code"]) == (403, "status_only")
    agents = {a["id"]: a for a in (await floor.client.get("/v1/agents", headers=VIEWER_KEY)).json()}
    assert (agents[zhang]["status"], agents[li]["capacity"]) == ("online", 5)
    own = await floor.client.patch(
        f"/v1/agents/{li}", json={"status": "away"}, headers=floor.headers["li"]
    )
    assert (own.status_code, own.json()["status"]) == (200, "away")


async def test_a_supervisor_approves_only_for_supervised_teams(floor: Floor) -> None:
    assignment = await floor.ticket("finance", "T-PERM-3", category="complaint")
    path = f"/v1/assignments/{assignment['id']}"
    assert (await floor.act("qian", f"{path}/accept")).status_code == 200
    asked = await floor.act("qian", f"{path}/compensations", {"kind": "refund", "amount": 5000})
    assert (asked.status_code, asked.json()["state"]) == (201, "pending")
    decide = f"/v1/compensations/{asked.json()['id']}/approve"
    other = await floor.act("tech-sup", decide)
    assert (other.status_code, other.json()["code"]) == (403, "not_team_supervisor")
    for headers in (SUPERVISOR_KEY, {**SUPERVISOR_KEY, "X-Supervisor": "finance-supervisor"}):
        keyed = await floor.client.post(decide, headers=headers)
        assert (keyed.status_code, keyed.json()["code"]) == (403, "person_required")
    agent = await floor.act("qian", decide)
    assert (agent.status_code, agent.json()["code"]) == (403, "role_not_allowed")
    still = await floor.client.get("/v1/compensations?team=finance", headers=VIEWER_KEY)
    assert [c["state"] for c in still.json()] == ["pending"]
    approved = await floor.act("fin-sup", decide)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["state"], approved.json()["decided_by"]) == ("approved", "财务王")


async def test_a_supervisor_edits_only_their_team_and_never_its_supervisor(floor: Floor) -> None:
    hijack = await floor.client.patch(
        "/v1/teams/finance", json={"supervisor": "mallory"}, headers=floor.headers["fin-sup"]
    )
    assert (hijack.status_code, hijack.json()["code"]) == (403, "admin_only")
    other = await floor.client.patch(
        "/v1/teams/finance", json={"name": "财务部"}, headers=floor.headers["tech-sup"]
    )
    assert (other.status_code, other.json()["code"]) == (403, "not_team_supervisor")
    keyed = await floor.client.patch(
        "/v1/teams/finance",
        json={"supervisor": "mallory"},
        headers={**SUPERVISOR_KEY, "X-Supervisor": "finance-supervisor"},
    )
    assert (keyed.status_code, keyed.json()["code"]) == (403, "person_required")
    team = (await floor.client.get("/v1/teams/finance", headers=VIEWER_KEY)).json()
    assert team["supervisor"] == "finance-supervisor"
    renamed = await floor.client.patch(
        "/v1/teams/finance", json={"name": "财务部"}, headers=floor.headers["fin-sup"]
    )
    assert (renamed.status_code, renamed.json()["name"]) == (200, "财务部")
    moved = await floor.client.patch(
        f"/v1/agents/{floor.people['zhang']['id']}",
        json={"capacity": 3},
        headers=floor.headers["fin-sup"],
    )
    assert (moved.status_code, moved.json()["code"]) == (403, "not_team_supervisor")


async def test_five_refunds_of_200_do_not_each_pass_a_200_threshold(floor: Floor) -> None:
    assignment = await floor.ticket("finance", "T-PERM-4", category="complaint")
    path = f"/v1/assignments/{assignment['id']}"
    assert (await floor.act("qian", f"{path}/accept")).status_code == 200
    states = []
    for _ in range(5):
        asked = await floor.act("qian", f"{path}/compensations", {"kind": "refund", "amount": 200})
        assert asked.status_code == 201, asked.text
        states.append(asked.json()["state"])
    # The first reaches the threshold; every later one would take the ticket past it.
    assert states == ["approved", "pending", "pending", "pending", "pending"]


async def test_a_viewer_reads_figures_but_acts_on_nothing(floor: Floor) -> None:
    assignment = await floor.ticket("tech_support", "T-PERM-5")
    listed = await floor.client.get("/v1/assignments", headers=floor.headers["viewer"])
    assert listed.status_code == 200
    refused = await floor.act("viewer", f"/v1/assignments/{assignment['id']}/accept")
    assert (refused.status_code, refused.json()["code"]) == (403, "role_not_allowed")
    inbox = await floor.client.get("/v1/supervisor/inbox", headers=floor.headers["viewer"])
    assert (inbox.status_code, inbox.json()["code"]) == (403, "role_not_allowed")
    await _unchanged(floor, assignment)


async def test_a_key_acts_for_a_person_only_under_an_admins_grant(floor: Floor) -> None:
    assignment = await floor.ticket("tech_support", "T-PERM-6")
    zhang = floor.people["zhang"]["id"]
    tool = {"Authorization": "Bearer tool-key", "X-On-Behalf-Of": zhang}
    path = f"/v1/assignments/{assignment['id']}"
    refused = await floor.client.post(f"{path}/accept", headers=tool)
    assert (refused.status_code, refused.json()["code"]) == (403, "delegation_required")
    crm = {"Authorization": "Bearer crm-key", "X-On-Behalf-Of": zhang}
    no_scope = await floor.client.post(f"{path}/accept", headers=crm)
    assert no_scope.status_code == 403
    await _unchanged(floor, assignment)
    grant = f"/v1/people/{zhang}/delegations"
    by_supervisor = await floor.client.post(
        grant, json={"key_name": "team-tool"}, headers=floor.headers["tech-sup"]
    )
    assert (by_supervisor.status_code, by_supervisor.json()["code"]) == (403, "role_not_allowed")
    unknown = await floor.client.post(grant, json={"key_name": "crm"}, headers=ADMIN_KEY)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "key_not_found")
    granted = await floor.client.post(grant, json={"key_name": "team-tool"}, headers=ADMIN_KEY)
    assert granted.status_code == 201, granted.text
    accepted = await floor.client.post(f"{path}/accept", headers=tool)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["state"] == "accepted"
    # The tool still acts only as zhang: li's assignment is not zhang's.
    as_li = {**tool, "X-On-Behalf-Of": floor.people["li"]["id"]}
    other = await floor.client.post(
        f"{path}/resolve",
        headers=as_li,
        json={"resolution_code": "fixed", "public_reply": "已修复"},
    )
    assert (other.status_code, other.json()["code"]) == (403, "delegation_required")
    revoked = await floor.client.delete(f"{grant}/team-tool", headers=ADMIN_KEY)
    assert revoked.status_code == 204
    after = await floor.client.post(
        f"{path}/progress", headers=tool, json={"note": "处理中", "customer_visible": False}
    )
    assert (after.status_code, after.json()["code"]) == (403, "delegation_required")
    changes = await floor.client.get(f"/v1/people/{zhang}/changes", headers=ADMIN_KEY)
    assert [c["action"] for c in changes.json()][:2] == ["delegation_revoked", "delegation_granted"]
