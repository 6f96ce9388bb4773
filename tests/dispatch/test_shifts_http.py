"""The shift roster over HTTP, on SQLite and PostgreSQL: its supervisor or an admin sets it
(versioned, each version with its actor), another team's supervisor may not, bad input is a
4xx with a stable code, and GET /v1/teams/{key}/on-shift says who is on shift."""

from __future__ import annotations

from typing import Any

from people_support import ADMIN_KEY, running_dispatch, team_cast

VIEWER_KEY = {"Authorization": "Bearer vw"}


async def test_a_supervisor_sets_the_roster_and_sees_who_is_on_shift(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async with running_dispatch(database_url, broker, topic_prefix) as client:
        (early, early_h), (late, _), (stranger, _), (_, lead), (_, other_lead) = await team_cast(
            client, "tech_support", "tech-lead", "技术主管"
        )
        await client.patch(f"/v1/agents/{early['id']}", json={"status": "online"}, headers=early_h)
        assert (await client.get("/v1/teams/tech_support/shifts", headers=VIEWER_KEY)).json()[
            "code"
        ] == "shift_roster_not_found"
        body: dict[str, Any] = {
            "timezone": "Asia/Shanghai",
            "handover": "reassign",
            "shifts": [
                {"name": "早班", "start": "08:00", "end": "16:00", "agent_ids": [early["id"]]},
                {"name": "晚班", "start": "16:00", "end": "24:00", "agent_ids": [late["id"]]},
            ],
        }
        url = "/v1/teams/tech_support/shifts"
        refused = await client.put(url, json=body, headers=other_lead)
        assert (refused.status_code, refused.json()["code"]) == (403, "not_team_supervisor")
        put = await client.put(url, json=body, headers=lead)
        assert put.status_code == 200, put.text
        assert (put.json()["version"], put.json()["updated_by_name"]) == (1, "技术主管")

        bad = {**body, "shifts": [{**body["shifts"][0], "agent_ids": [stranger["id"]]}]}
        stray = await client.put(url, json=bad, headers=lead)
        assert (stray.status_code, stray.json()["code"]) == (422, "agent_not_in_team")
        zone = await client.put(url, json={**body, "timezone": "Mars/Olympus"}, headers=lead)
        assert zone.status_code == 422
        clock = {**body, "shifts": [{**body["shifts"][0], "start": "25:00"}]}
        assert (await client.put(url, json=clock, headers=lead)).status_code == 422
        stale = await client.put(url, json={**body, "expected_version": 0}, headers=ADMIN_KEY)
        assert (stale.status_code, stale.json()["code"]) == (409, "roster_version_conflict")
        keep = await client.put(
            url, json={**body, "handover": "keep", "expected_version": 1}, headers=ADMIN_KEY
        )
        assert (keep.status_code, keep.json()["version"]) == (200, 2)

        history = (await client.get(f"{url}/history", headers=VIEWER_KEY)).json()
        assert [(h["version"], h["roster"]["handover"], h["actor_name"]) for h in history] == [
            (2, "keep", "admin:ad"),
            (1, "reassign", "技术主管"),
        ]
        assert history[1]["actor"].startswith("person:")

        # 09:30 in Shanghai (01:30 UTC): the early shift, until 16:00 Shanghai time.
        now = await client.get(
            "/v1/teams/tech_support/on-shift",
            params={"at": "2026-12-02T01:30:00Z"},
            headers=VIEWER_KEY,
        )
        assert now.status_code == 200, now.text
        seen = now.json()
        assert (seen["at"], seen["shifts_now"], seen["handover"]) == (
            "2026-12-02T09:30:00+08:00",
            ["早班"],
            "keep",
        )
        assert [(a["display_name"], a["shift"], a["until"]) for a in seen["agents"]] == [
            ("张伟", "早班", "2026-12-02T16:00:00+08:00")
        ]
        assert seen["takes_work"] == [early["id"]]
        assert (seen["next_shift"]["name"], seen["next_shift"]["starts_at"]) == (
            "晚班",
            "2026-12-02T16:00:00+08:00",
        )
        night = await client.get(
            "/v1/teams/tech_support/on-shift",
            params={"at": "2026-12-02T17:00:00Z"},  # 01:00 Shanghai: nobody
            headers=VIEWER_KEY,
        )
        assert (night.json()["agents"], night.json()["takes_work"]) == ([], [])
        naive = await client.get(
            "/v1/teams/tech_support/on-shift", params={"at": "2026-12-02T01:30"}, headers=VIEWER_KEY
        )
        assert naive.status_code == 422
        unknown = await client.get("/v1/teams/nope/on-shift", headers=VIEWER_KEY)
        assert (unknown.status_code, unknown.json()["code"]) == (404, "team_not_found")

        # The agents list, by who is on shift now: with a full-day shift for 张伟 only.
        whole_day = {
            **body,
            "shifts": [
                {"name": "全天", "start": "00:00", "end": "00:00", "agent_ids": [early["id"]]}
            ],
        }
        assert (await client.put(url, json=whole_day, headers=lead)).status_code == 200
        listed = await client.get(
            "/v1/agents", params={"team": "tech_support", "on_shift": "true"}, headers=VIEWER_KEY
        )
        assert [a["id"] for a in listed.json()] == [early["id"]]
        off = await client.get(
            "/v1/agents", params={"team": "tech_support", "on_shift": "false"}, headers=VIEWER_KEY
        )
        assert [a["id"] for a in off.json()] == [late["id"]]
        finance = await client.get(
            "/v1/agents", params={"team": "finance", "on_shift": "true"}, headers=VIEWER_KEY
        )
        assert [a["id"] for a in finance.json()] == [stranger["id"]]  # no roster: on shift

        removed = await client.delete(url, headers=lead)
        assert removed.status_code == 204
        free = (await client.get("/v1/teams/tech_support/on-shift", headers=VIEWER_KEY)).json()
        assert (free["has_roster"], free["takes_work"]) == (False, [early["id"]])
        history = (await client.get(f"{url}/history", headers=VIEWER_KEY)).json()
        assert (history[0]["version"], history[0]["roster"]) == (4, None)
