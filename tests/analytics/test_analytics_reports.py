"""Weekly and monthly reviews over a generated week and month of realistic tickets:
shares, complaint reasons, jieba keywords, SLA and trend, per team and per department;
JSON and printable HTML."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from analytics_support import (
    T0,
    VIEWER,
    AnalyticsStore,
    apply,
    by_type,
    lifecycle,
    realistic,
    running_app,
)

from services.analytics import phrases


async def _load(store: AnalyticsStore) -> None:
    events: list[Any] = []
    # 2026-W46 (lighter) and 2026-W47, all in November.
    for s in realistic(T0 - timedelta(days=7), days=7, per_day=10, seed=1):
        events += lifecycle(s)
    for s in realistic(T0, days=7, per_day=30, seed=2):
        events += lifecycle(s)
    await apply(store, by_type(events))


async def test_weekly_and_monthly_reviews(
    store: AnalyticsStore, database_url: str, broker: str, topic_prefix: str
) -> None:
    await _load(store)
    facts = await store.facts()
    week = [f for f in facts if f.received_at and f.received_at >= T0 - timedelta(hours=1)]
    assert len(week) == 210
    async with running_app(database_url, broker, topic_prefix) as client:
        response = await client.get(
            "/v1/reports/weekly", params={"week": "2026-W47"}, headers=VIEWER
        )
        assert response.status_code == 200, response.text
        report = response.json()
        assert (report["since"], report["until"]) == ("2026-11-16", "2026-11-22")
        assert report["figures"]["tickets"] == 210
        assert report["previous"]["figures"]["tickets"] == 70
        assert report["trend"]["tickets"] == 140
        assert report["trend"]["tickets_change"] == 2.0
        issues = Counter((f.keywords or [""])[0] for f in week)
        top = report["top_issues"][0]
        assert top["issue"] == issues.most_common(1)[0][0] == "物流延迟"
        assert top["count"] == issues["物流延迟"]
        assert top["share"] == round(issues["物流延迟"] / 210, 4)
        assert top["previous_count"] > 0
        complaints = [f for f in week if f.category == "complaint"]
        reasons = {r["issue"]: r for r in report["complaint_reasons"]}
        logistics = len([f for f in complaints if (f.keywords or [""])[0] == "物流延迟"])
        assert reasons["物流延迟"]["share"] == round(logistics / len(complaints), 4)
        assert set(reasons) == {"物流延迟", "服务态度"}
        assert (
            report["headlines"][0] == f"物流延迟投诉占比{round(logistics / len(complaints) * 100)}%"
        )
        keywords = {k["category"]: [w["word"] for w in k["keywords"]] for k in report["keywords"]}
        # Over the generated week, only terms that name a problem (issue 17: no 如何, 我要,
        # DD202…, 天无).
        every = [w for words in keywords.values() for w in words]
        assert "物流延迟" in keywords["complaint"] and "无法登录" in keywords["fault"]
        assert not [w for w in every if not phrases.meaningful(w)], every
        assert [t["issue"] for t in report["top_issues"]] == [
            "物流延迟",
            "退款问题",
            "账号登录",
            "会员积分",
            "夜间模式",
            "服务态度",
        ]
        assert {"complaint", "fault", "inquiry"} <= set(keywords)
        assert "物流延迟" in keywords["complaint"] or "快递" in keywords["complaint"]
        assert any(w in keywords["fault"] for w in ("无法登录", "验证码", "密码"))
        assert "会员积分" in keywords["inquiry"] or "积分" in keywords["inquiry"]
        assert 0 < report["figures"]["sla_compliance"] <= 1

        page = await client.get(
            "/v1/reports/weekly",
            params={"week": "2026-W47"},
            headers={**VIEWER, "Accept": "text/html"},
        )
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "物流延迟投诉占比" in page.text
        assert "@media print" in page.text
        assert "http://" not in page.text and "https://" not in page.text  # no CDN

        response = await client.get(
            "/v1/reports/monthly", params={"month": "2026-11"}, headers=VIEWER
        )
        assert response.status_code == 200, response.text
        monthly = response.json()
        assert monthly["figures"]["tickets"] == 280
        teams = {g["key"]: g["figures"]["tickets"] for g in monthly["teams"]}
        assert teams == dict(Counter(f.team for f in facts))
        departments = {d["department"]: d for d in monthly["departments"]}
        assert departments["logistics"]["issues"][0]["issue"] == "物流延迟"
        assert departments["product"]["issues"][0]["issue"] in ("夜间模式", "账号登录")
        assert monthly["previous"]["figures"]["tickets"] == 0
        html = await client.get(
            "/v1/reports/monthly", params={"month": "2026-11", "format": "html"}, headers=VIEWER
        )
        assert html.status_code == 200
        assert "物流部" in html.text and "各团队服务质量" in html.text
        # A department's counts are its teams' counts in the table above, teams by name.
        by_key = {g["key"]: g for g in monthly["teams"]}
        for department in monthly["departments"]:
            members = [g for g in monthly["teams"] if g["name"] in department["teams"]]
            assert members, department
            assert department["tickets"] == sum(g["figures"]["tickets"] for g in members)
            assert department["breached"] == sum(g["figures"]["breached"] for g in members)
        assert departments["logistics"]["teams"] == [by_key["logistics"]["name"]]
        assert sum(d["tickets"] for d in monthly["departments"]) == 280
        assert "logistics" not in html.text.split("需同步各部门的问题")[1]

        for path, params, code in [
            ("/v1/reports/weekly", {"week": "2026-47"}, "invalid_week"),
            ("/v1/reports/weekly", {"week": "2026-W60"}, "invalid_week"),
            ("/v1/reports/monthly", {"month": "2026-13"}, "invalid_month"),
            ("/v1/reports/monthly", {"month": "Nov"}, "invalid_month"),
        ]:
            bad = await client.get(path, params=params, headers=VIEWER)
            assert bad.status_code == 400, (params, bad.text)
            assert bad.json()["code"] == code
        current = await client.get("/v1/reports/weekly", headers=VIEWER)
        assert current.status_code == 200


def test_an_issue_is_named_by_its_reason_or_first_telling_keyword() -> None:
    from types import SimpleNamespace

    from services.analytics.reports import issue_of

    table = phrases.synonym_index(phrases.DEFAULT_SYNONYMS)

    def row(keywords: list[str], subject: str | None, description: str = "") -> Any:
        return SimpleNamespace(keywords=keywords, subject=subject, description=description)

    assert issue_of(row(["请问", "退货政策"], "请问退货"), table) == "退货政策"
    assert issue_of(row(["如何", "我要"], "请问七天无理由退货怎么办理"), table) == (
        "请问七天无理由退货怎么办理"
    )
    # 快递 / 物流 / 配送延迟 are one reason.
    for words in ("快递没到", "物流三天没更新", "配送延迟了两天"):
        assert issue_of(row(["物流延迟"], words), table) == "物流延迟"
    assert issue_of(row([], None), table) == "未填写"
    # No telling keyword: the subject's first phrase, never filler glued together.
    assert issue_of(row(["怎么用"], "会员积分怎么用"), table) == "会员积分"
    assert issue_of(row(["希望增加"], "希望增加夜间模式"), table) == "夜间模式"
    assert issue_of(row([], "支付成功但订单显示未支付"), table) == "支付异常"
    assert issue_of(row(["请求"], "换货请求"), table) == "换货"
    for filler in ("希望增加", "三次", "五天", "一晚上", "早上开始"):
        assert not phrases.meaningful(filler), filler
    assert phrases.meaningful("夜间模式") and phrases.meaningful("会员积分")


def test_phrases_keep_what_names_a_problem() -> None:
    texts = [
        "订单DD2026112200123物流延迟三天无人处理",
        "物流延迟，我要投诉",
        "设备无法启动，如何处理",
        "洗衣机无法启动了",
        "如何开发票",
        "七天无理由退货怎么办理",
    ]
    phrases.add_words(["物流延迟"])
    terms = [w for w, _ in phrases.extract(texts, 10, {"DD202": 0.9, "如何": 0.8, "天无": 0.7})]
    assert terms[:2] == ["物流延迟", "无法启动"]
    assert not {"DD202", "如何", "我要", "天无", "理由退货"} & set(terms)


async def test_the_synonym_table_is_editable(
    store: AnalyticsStore, database_url: str, broker: str, topic_prefix: str
) -> None:
    await _load(store)
    admin = {"Authorization": "Bearer ad"}
    async with running_app(database_url, broker, topic_prefix) as client:
        built_in = (await client.get("/v1/reports/synonyms", headers=VIEWER)).json()
        assert "快递" in built_in["reasons"]["物流延迟"]
        refused = await client.put("/v1/reports/synonyms", json=built_in, headers=VIEWER)
        assert refused.status_code == 403
        twice = {"reasons": {"物流延迟": ["快递"], "快递问题": ["快递"]}}
        bad = await client.put("/v1/reports/synonyms", json=twice, headers=admin)
        assert (bad.status_code, bad.json()["code"]) == (422, "duplicate_term")
        mine = {"reasons": {"发货问题": ["快递", "物流", "配送延迟", "物流延迟"]}}
        saved = await client.put("/v1/reports/synonyms", json=mine, headers=admin)
        assert saved.status_code == 200, saved.text
        assert sorted(saved.json()["reasons"]["发货问题"]) == sorted(
            ["发货问题", *mine["reasons"]["发货问题"]]
        )
        report = (
            await client.get("/v1/reports/weekly", params={"week": "2026-W47"}, headers=VIEWER)
        ).json()
        assert report["complaint_reasons"][0]["issue"] == "发货问题"
