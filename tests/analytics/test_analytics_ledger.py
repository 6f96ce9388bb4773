"""The ledger over HTTP: every filter, cursor pages, CSV and XLSX exports, masking,
and bad input answered with a stable 4xx code."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from typing import Any

from analytics_support import (
    T0,
    VIEWER,
    AnalyticsStore,
    Scenario,
    apply,
    lifecycle,
    running_app,
)
from openpyxl import load_workbook

from services.analytics.rollups import REPORT_ZONE

RAW_PHONE = "13812345678"


def _scenarios() -> list[Scenario]:
    a = (uuid.uuid4(), "王芳")
    b = (uuid.uuid4(), "李雷")
    return [
        Scenario(ticket_no="T1", received_at=T0, channel="phone", agent=a),
        Scenario(
            ticket_no="T2",
            received_at=T0 + timedelta(hours=1),
            channel="web_chat",
            category="fault",
            priority="P0",
            team="tech_support",
            agent=b,
            subject=f"账号无法登录 {RAW_PHONE}",
            description=f"提示密码错误,请回电 {RAW_PHONE}",
            accept_after=timedelta(hours=1),  # late for a P0
        ),
        Scenario(
            ticket_no="T3",
            received_at=T0 + timedelta(days=1),
            channel="email",
            category="inquiry",
            priority="P2",
            team="frontline",
            agent=a,
            accept_after=None,
        ),
        Scenario(
            ticket_no="T4", received_at=T0 + timedelta(days=2), channel="app", agent=b, close=False
        ),
    ]


async def _load(store: AnalyticsStore) -> None:
    events: list[Any] = []
    for s in _scenarios():
        events += lifecycle(s)
    await apply(store, events)


async def _nos(client: Any, **params: Any) -> list[str]:
    response = await client.get("/v1/ledger", params=params, headers=VIEWER)
    assert response.status_code == 200, response.text
    return [row["ticket_no"] for row in response.json()["items"]]


async def test_ledger_filters_pages_and_exports(
    store: AnalyticsStore, database_url: str, broker: str, topic_prefix: str
) -> None:
    await _load(store)
    async with running_app(database_url, broker, topic_prefix) as client:
        assert await _nos(client) == ["T4", "T3", "T2", "T1"]
        assert await _nos(client, channel="web_chat") == ["T2"]
        assert await _nos(client, category="complaint") == ["T4", "T1"]
        assert await _nos(client, priority="P0") == ["T2"]
        assert await _nos(client, team="frontline") == ["T3"]
        assert await _nos(client, agent="李雷") == ["T4", "T2"]
        assert await _nos(client, state="assigned") == ["T3"]
        assert await _nos(client, state="resolved") == ["T4"]
        assert await _nos(client, breached="true") == ["T2"]
        assert await _nos(client, breached="false") == ["T4", "T3", "T1"]
        since = (T0 + timedelta(minutes=30)).isoformat()
        until = (T0 + timedelta(days=1, hours=1)).isoformat()
        assert await _nos(client, since=since, until=until) == ["T3", "T2"]
        assert await _nos(client, since="2026-11-17T01:00:00") == ["T4", "T3"]  # naive = UTC
        assert await _nos(client, agent="李雷", breached="false") == ["T4"]
        assert await _nos(client, ticket_no="T3") == ["T3"]
        assert await _nos(client, ticket_no="T9") == []
        assert await _nos(client, q="无法登录") == ["T2"]
        assert await _nos(client, q="T4") == ["T4"]
        assert await _nos(client, q="100%") == []  # a wildcard is a plain character
        assert await _nos(client, q="物流", channel="app") == ["T4"]

        # Cursor pages walk the same rows.
        seen, cursor = [], None
        while True:
            params: dict[str, Any] = {"limit": 3}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get("/v1/ledger", params=params, headers=VIEWER)).json()
            seen += [r["ticket_no"] for r in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == ["T4", "T3", "T2", "T1"]

        row = (
            await client.get("/v1/ledger", params={"channel": "web_chat"}, headers=VIEWER)
        ).json()["items"][0]
        assert row["masked_contact"] == "138****5678"
        assert RAW_PHONE not in row["subject"]
        assert row["description"] == "提示密码错误,请回电 138****5678"
        assert row["response_met"] is False
        assert row["fcr"] is True
        assert row["csat"] == 5
        assert (row["resolution_text"], row["resolution_code"]) == ("已为您处理", "delivered")

        # CSV: every matching row, masked, with a BOM for spreadsheet programs.
        response = await client.get(
            "/v1/ledger", params={"format": "csv", "category": "complaint"}, headers=VIEWER
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        text = response.content.decode("utf-8-sig")
        assert RAW_PHONE not in text
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [r["ticket_no"] for r in rows] == ["T4", "T1"]
        assert rows[0]["masked_contact"] == "138****5678"
        assert rows[1]["state"] == "closed"
        assert rows[1]["response_met"] == "yes"

        # XLSX: the same rows in a workbook.
        response = await client.get("/v1/ledger", params={"format": "xlsx"}, headers=VIEWER)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(response.content)).active
        values = list(sheet.values)
        header = [str(h).split(" ")[-1] for h in values[0]]
        assert header[:3] == ["ticket_id", "ticket_no", "channel"]
        # Times in the team's zone, said in the heading (Excel keeps no zone).
        received = header.index("received_at")
        assert str(values[0][received]).startswith("受理时间(UTC+8)")
        assert values[-1][received] == T0.astimezone(REPORT_ZONE).replace(tzinfo=None)
        assert [v[1] for v in values[1:]] == ["T4", "T3", "T2", "T1"]
        assert all(RAW_PHONE not in str(cell) for v in values for cell in v)

        client.app.state.settings.export_max_rows = 2
        too_big = await client.get("/v1/ledger", params={"format": "xlsx"}, headers=VIEWER)
        assert too_big.status_code == 413
        assert too_big.json()["code"] == "export_too_large"


async def test_ledger_bad_input_is_a_4xx(
    store: AnalyticsStore, database_url: str, broker: str, topic_prefix: str
) -> None:
    async with running_app(database_url, broker, topic_prefix) as client:
        cases = [
            # Channels are open (a newer gateway's channel is filtered too), keys short.
            ({"channel": "x" * 17}, 422, "validation_error"),
            ({"state": "lost"}, 422, "validation_error"),
            ({"breached": "maybe"}, 422, "validation_error"),
            ({"since": "yesterday"}, 422, "validation_error"),
            ({"format": "pdf"}, 422, "validation_error"),
            ({"limit": 0}, 422, "validation_error"),
            ({"cursor": "bm90IGEgY3Vyc29y"}, 400, "invalid_cursor"),
            ({"cursor": "MjAyNi0xMS0xNlQwMTowMDowMHx4"}, 400, "invalid_cursor"),
            ({"since": T0.isoformat(), "until": T0.isoformat()}, 400, "invalid_range"),
            # A misspelt filter is refused, not ignored (it would return every ticket).
            ({"ticketno": "T1"}, 422, "unknown_filter"),
            ({"search": "物流"}, 422, "unknown_filter"),
            ({"q": ""}, 422, "validation_error"),
        ]
        for params, status, code in cases:
            response = await client.get("/v1/ledger", params=params, headers=VIEWER)
            assert response.status_code == status, (params, response.text)
            assert response.json()["code"] == code, params
        naive = "MjAyNi0xMS0xNlQwMTowMDowMHw2YjY4ZjNmMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDA="
        response = await client.get("/v1/ledger", params={"cursor": naive}, headers=VIEWER)
        assert response.status_code == 400
        anonymous = await client.get("/v1/ledger", params={"format": "csv"})
        assert anonymous.status_code == 401


async def test_ledger_keeps_the_phone_record_survey_comment_and_callback(
    store: AnalyticsStore, database_url: str, broker: str, topic_prefix: str
) -> None:
    from shared.events import CallbackCompleted, CallbackData, PhoneCallData, TicketReceived

    scenario = Scenario(ticket_no="T7", comment=f"处理及时,回电 {RAW_PHONE}")
    events = lifecycle(scenario)
    received = next(e for e in events if isinstance(e, TicketReceived))
    received.data.phone_call = PhoneCallData(
        call_started_at=T0,
        call_ended_at=T0 + timedelta(minutes=6),
        handler="王芳",
        verification_steps=["核对订单系统信息", f"短信验证 {RAW_PHONE}"],
        resolution="联系物流加急",
    )
    events.append(
        CallbackCompleted(
            ticket_id=scenario.ticket_id,
            occurred_at=T0 + timedelta(days=1),
            data=CallbackData(
                callback_id=uuid.uuid4(),
                kind="satisfaction_callback",
                due_at=T0 + timedelta(days=1),
                outcome="客户确认已收到",
                score=4,
                completed_by="person:1",
                completed_by_name="李雷",
            ),
        )
    )
    await apply(store, events)
    async with running_app(database_url, broker, topic_prefix) as client:
        (row,) = (
            await client.get("/v1/ledger", params={"ticket_no": "T7"}, headers=VIEWER)
        ).json()["items"]
        csv_text = (
            await client.get(
                "/v1/ledger", params={"ticket_no": "T7", "format": "csv"}, headers=VIEWER
            )
        ).content.decode("utf-8-sig")
    assert row["call_started_at"].startswith("2026-11-16T01:00:00")
    assert row["call_ended_at"].startswith("2026-11-16T01:06:00")
    assert row["call_handler"] == "王芳"
    assert row["verification_steps"] == "核对订单系统信息；短信验证 138****5678"
    assert row["call_resolution"] == "联系物流加急"
    assert row["resolution_text"] == "已为您处理"
    assert row["survey_comment"] == "处理及时,回电 138****5678"
    assert (row["callback_outcome"], row["callback_by"], row["callback_score"]) == (
        "客户确认已收到",
        "李雷",
        4,
    )
    assert RAW_PHONE not in csv_text and "问题核实过程" not in csv_text.splitlines()[0]
    assert "verification_steps" in csv_text.splitlines()[0]
