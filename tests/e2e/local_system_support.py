"""Helpers of the end-to-end test of the system as `sopdesk up` runs it: the running system,
what channel gateways read from sopdesk.notifications, dead letters, the demo week's words."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer


@dataclass
class RunningSystem:
    process: subprocess.Popen[str]
    urls: dict[str, str]
    keys: dict[str, str]  # role → key
    data_dir: Path
    broker: str

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def sign_in(self, login: str) -> dict[str, str]:
        """A demo person signs in over HTTP with the password `sopdesk up` printed."""
        password = json.loads((self.data_dir / "secrets.json").read_text())["demo_password"]
        response = httpx.post(
            f"{self.urls['dispatch']}/v1/auth/sign-in",
            json={"login": login, "password": password},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


def notification_events(broker: str) -> list[dict[str, Any]]:
    """Every event on sopdesk.notifications, read with a plain Kafka client as a channel
    gateway would."""

    async def read() -> list[dict[str, Any]]:
        consumer = AIOKafkaConsumer(
            "sopdesk.notifications", bootstrap_servers=broker, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            batch = await consumer.getmany(timeout_ms=1500)
        finally:
            await consumer.stop()
        return [json.loads(r.value) for records in batch.values() for r in records]

    return asyncio.run(read())


def survey_links(broker: str, ticket_id: str) -> list[str]:
    """Survey links sent to the customer of this ticket."""
    return [
        link
        for e in notification_events(broker)
        if e["data"]["template"] == "survey" and e["ticket_id"] == ticket_id
        for link in re.findall(r"https?://\S+/v1/surveys/[\w.\-]+", e["data"]["body"])
    ]


def notices(broker: str, ticket_id: str, template: str) -> list[str]:
    """Bodies of the notices of this template sent for this ticket."""
    return [
        e["data"]["body"]
        for e in notification_events(broker)
        if e["data"]["template"] == template and e["ticket_id"] == ticket_id
    ]


def dead_letters(system: RunningSystem) -> dict[str, float]:
    """Dead-lettered events per service, from each service's /metrics."""
    found: dict[str, float] = {}
    for name, url in system.urls.items():
        text = httpx.get(f"{url}/metrics", timeout=5).text
        for line in text.splitlines():
            if (
                line.startswith("sopdesk_events_consumed_total{")
                and 'outcome="dead_lettered"' in line
            ):
                found[name] = found.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
    return found


# Words the weekly report must never name as an issue or a keyword: order-number pieces,
# filler and question words customers write (issue 17 found these in the report).
# What a team lead expects the demo week to be about.
EXPECTED_ISSUES = {
    "物流延迟",
    "账号登录",
    "无法启动",
    "退款问题",
    "会员积分",
    "换货",
    "发票问题",
    "服务态度",
    "夜间模式",
    "支付异常",
}
EXPECTED_KEYWORDS = {
    "投诉": {"物流延迟", "客服态度差", "服务态度", "配送延迟"},
    "故障报修": {"无法登录", "无法启动", "重置密码"},
    "咨询": {"会员积分", "兑换优惠券", "开票"},
    "建议": {"夜间模式"},
    "售后服务": {"退货退款", "换货"},
}
NOISE = {"DD202", "天无", "我要", "如何", "请问", "您好", "一下", "怎么", "已经", "还是"} | {
    "订单",
    "请求",
    "办理",
    "合适",
    "一号",
    "三次",
    "里面",
    "太久",
    "希望增加",
    "早上开始",
    # Generic words of the survey comments the worked demo week adds.
    "处理",
    "解决",
    "及时",
}
