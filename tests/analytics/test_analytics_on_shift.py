"""Analytics keeps dispatch's word on who is on shift (``team.on_shift_changed``, issue
17): the newest announcement per team wins, a repeat or an older one changes nothing, and
the dashboard's snapshot shows, per team with shifts and by the team's display name, who
is on shift now and who is on leave today; the page carries the 当班 panel."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from analytics_support import T0, VIEWER, AnalyticsStore, apply, on_shift_changed, running_app

from services.analytics.models import OnShiftCopy


async def test_the_newest_word_per_team_is_kept_and_shown(
    store: AnalyticsStore, database_url: str, broker: str, topic_prefix: str
) -> None:
    morning = on_shift_changed("tech_support", T0, [("张伟", "早班")], ["李娜"])
    evening = on_shift_changed("tech_support", T0 + timedelta(hours=8), [("王芳", "晚班")])
    logistics = on_shift_changed(
        "logistics", T0, [("赵强", "白班"), ("钱丽", "白班")], day_kind="holiday"
    )
    unrostered = on_shift_changed("finance", T0, has_roster=False)
    await apply(store, [morning, logistics, unrostered])
    await apply(store, [evening])
    # A repeat of the morning and the morning again in a later batch: the evening stands.
    await apply(store, [morning, morning], batch=False)
    async with store.sessions() as session:
        rows = {r.team_key: r for r in (await session.scalars(sa.select(OnShiftCopy))).all()}
    assert set(rows) == {"tech_support", "logistics", "finance"}
    assert [a["name"] for a in rows["tech_support"].on_shift] == ["王芳"]
    assert rows["tech_support"].on_leave == []
    assert rows["tech_support"].as_of == T0 + timedelta(hours=8)

    async with running_app(database_url, broker, topic_prefix) as client:
        snapshot = (await client.get("/v1/stream", headers=VIEWER)).json()
        shifts = {t["team"]: t for t in snapshot["on_shift"]}
        assert set(shifts) == {"logistics", "tech_support"}, "finance has no roster"
        tech = shifts["tech_support"]
        assert (tech["name"], tech["name_en"]) == ("技术", "technical support")
        assert [(a["name"], a["shift"]) for a in tech["on_shift"]] == [("王芳", "晚班")]
        assert tech["on_leave"] == []
        log = shifts["logistics"]
        assert (log["name"], log["day_kind"]) == ("物流", "holiday")
        assert [a["name"] for a in log["on_shift"]] == ["赵强", "钱丽"]

        # Leave announced later in the evening reaches the snapshot.
        later = on_shift_changed(
            "tech_support", T0 + timedelta(hours=9), [("王芳", "晚班")], ["张伟"]
        )
        await apply(store, [later])
        snapshot = (await client.get("/v1/stream", headers=VIEWER)).json()
        tech = next(t for t in snapshot["on_shift"] if t["team"] == "tech_support")
        assert [a["name"] for a in tech["on_leave"]] == ["张伟"]

        page = await client.get("/")
        assert page.status_code == 200
        assert 'data-i18n="on_shift_title">当班</h2>' in page.text
        script = await client.get("/static/dashboard.js")
        assert "On shift" in script.text and "今日请假" in script.text
