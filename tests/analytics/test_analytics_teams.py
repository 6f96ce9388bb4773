"""Teams are dispatch's data: analytics names a team from its announcement in the
dashboard's snapshot, the summary and the monthly review, and shows a team or channel
it has not heard of yet by its key."""

from __future__ import annotations

from datetime import timedelta

from analytics_support import T0, VIEWER, AnalyticsStore, Scenario, apply, lifecycle, running_app

from shared.events import TeamCreated, TeamData, TeamUpdated


async def test_a_team_announced_at_run_time_is_named_and_counted(
    store: AnalyticsStore, database_url: str, broker: str, topic_prefix: str
) -> None:
    vip = TeamData(key="vip_desk", name="VIP 专席", name_en="VIP desk", updated_at=T0)
    events = [
        TeamCreated(producer="dispatch", data=vip),
        *lifecycle(Scenario(ticket_no="V1", team="vip_desk")),
        *lifecycle(Scenario(ticket_no="V2", team="vip_desk", channel="douyin")),
        *lifecycle(Scenario(ticket_no="N1", team="night_desk")),
    ]
    await apply(store, events)
    async with running_app(database_url, broker, topic_prefix) as client:
        snapshot = (await client.get("/v1/stream", headers=VIEWER)).json()
        assert snapshot["labels"]["team"]["vip_desk"] == "VIP 专席"
        assert snapshot["labels"]["team"]["tech_support"] == "技术", "the SPEC's teams seeded"
        assert snapshot["labels"]["channel"]["phone"] == "电话"
        assert snapshot["summary"]["by_channel"] == {"phone": 2, "douyin": 1}
        teams = {g["key"]: g for g in snapshot["teams"]}
        assert teams["vip_desk"]["name"] == "VIP 专席"
        assert teams["vip_desk"]["figures"]["tickets"] == 2
        assert teams["night_desk"]["name"] == "night_desk", "not announced: its key"

        renamed = vip.model_copy(update={"name": "贵宾专席", "updated_at": T0 + timedelta(1)})
        await apply(store, [TeamUpdated(producer="dispatch", data=renamed)])
        summary = (
            await client.get("/v1/metrics/summary", params={"group_by": "team"}, headers=VIEWER)
        ).json()
        assert {g["key"]: g["name"] for g in summary["groups"]}["vip_desk"] == "贵宾专席"
        by_channel = (
            await client.get("/v1/metrics/summary", params={"group_by": "channel"}, headers=VIEWER)
        ).json()
        assert {g["key"]: g["name"] for g in by_channel["groups"]} == {
            "phone": "电话",
            "douyin": "douyin",
        }
        month = f"{T0:%Y-%m}"
        page = await client.get(
            "/v1/reports/monthly",
            params={"month": month},
            headers={**VIEWER, "Accept": "text/html"},
        )
        assert page.status_code == 200 and "<td>贵宾专席</td>" in page.text
