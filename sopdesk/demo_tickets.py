"""A week of demo tickets for `sopdesk demo tickets`: the kinds of request the seeds
describe (system faults, how-to questions, returns, late deliveries, complaints about
service, suggestions), in the mix and wording customers use, order numbers and filler
words included, posted through intake's gateway API like any channel would."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class DemoTicket:
    """``{order}`` in the description is the ticket's own order number (one customer's
    tickets about one order would join into one ticket)."""

    channel: str
    subject: str
    description: str
    has_order: bool = False


# (how many of a week's tickets, the ticket): about 40 a week, a small shop's front line.
WEEK: tuple[tuple[int, DemoTicket], ...] = (
    (
        6,
        DemoTicket(
            "phone",
            "快递三天还没到",
            "我要查一下订单{order}的物流,快递三天无更新,物流延迟太久了。",
            True,
        ),
    ),
    (
        4,
        DemoTicket(
            "app",
            "物流信息一直不更新",
            "订单{order}显示已发货,配送延迟五天了,物流信息一直不更新。",
            True,
        ),
    ),
    (
        5,
        DemoTicket(
            "web_chat",
            "账号无法登录",
            "今天早上开始账号无法登录,提示密码错误,重置密码也收不到验证码。",
        ),
    ),
    (
        4,
        DemoTicket(
            "phone",
            "设备无法启动",
            "新买的扫地机器人无法启动,充电一晚上还是开不了机,指示灯不亮。",
            True,
        ),
    ),
    (
        4,
        DemoTicket(
            "mini_program",
            "申请退货退款",
            "收到的商品外包装破损,里面的杯子碎了,申请退货退款。",
            True,
        ),
    ),
    (
        3,
        DemoTicket(
            "app",
            "换货请求",
            "衣服尺码不合适,想换大一号的,请问如何办理换货?",
            True,
        ),
    ),
    (
        4,
        DemoTicket(
            "web_chat",
            "会员积分怎么用",
            "请问会员积分如何兑换优惠券?积分页面找不到兑换入口。",
        ),
    ),
    (
        3,
        DemoTicket(
            "phone",
            "发票怎么开",
            "您好,我要开增值税专用发票,请问如何在订单里申请开票?",
            True,
        ),
    ),
    (
        3,
        DemoTicket(
            "phone",
            "客服态度差",
            "打了三次电话,客服态度差,没说完就挂断电话,投诉服务态度。",
        ),
    ),
    (
        2,
        DemoTicket(
            "app",
            "希望增加夜间模式",
            "建议应用增加夜间模式,晚上看着太刺眼。",
        ),
    ),
    (
        2,
        DemoTicket(
            "mini_program",
            "支付成功但订单显示未支付",
            "付款已经扣钱了,订单{order}还是显示未支付,请尽快处理。",
            True,
        ),
    ),
)


def week_of_tickets() -> list[DemoTicket]:
    """The week's tickets, interleaved (a day's mix, not one kind after another)."""
    rounds = max(count for count, _ in WEEK)
    return [ticket for n in range(rounds) for count, ticket in WEEK if n < count]


def _body(ticket: DemoTicket, n: int) -> dict[str, object]:
    order = f"DD20261201{n:04d}"
    body: dict[str, object] = {
        "channel": ticket.channel,
        # A different customer each: one customer's second ticket on the same issue
        # within 24 h would join the first (intake's deduplication).
        "customer": {"name": f"演示客户{n:02d}", "phone": f"139{n:08d}"},
        "subject": ticket.subject,
        "description": ticket.description.format(order=order),
    }
    if ticket.has_order:
        body["order_no"] = order
    return body


@dataclass(frozen=True)
class PostedTicket:
    """A demo ticket as intake took it: its place in the week (1-based) and its names."""

    n: int
    ticket_id: str
    ticket_no: str
    subject: str


async def post_tickets(
    intake_url: str, gateway_key: str, tickets: Sequence[DemoTicket], *, run: str
) -> list[PostedTicket]:
    """Post the tickets through intake's gateway API. ``run`` goes into each
    Idempotency-Key, so posting the same run again makes no new tickets."""
    posted = []
    headers = {"Authorization": f"Bearer {gateway_key}"}
    async with httpx.AsyncClient(base_url=intake_url, headers=headers, timeout=10) as client:
        for n, ticket in enumerate(tickets, start=1):
            response = await client.post(
                "/v1/tickets",
                json=_body(ticket, n),
                headers={"Idempotency-Key": f"demo-{run}-{n}"},
            )
            response.raise_for_status()
            body = response.json()
            posted.append(
                PostedTicket(n, str(body["ticket_id"]), str(body["ticket_no"]), ticket.subject)
            )
    return posted


def post_week_tickets(intake_url: str, gateway_key: str, run: str) -> list[PostedTicket]:
    return asyncio.run(post_tickets(intake_url, gateway_key, week_of_tickets(), run=run))


def post_week(intake_url: str, gateway_key: str, run: str) -> list[str]:
    """The week's tickets posted; their ticket numbers."""
    return [t.ticket_no for t in post_week_tickets(intake_url, gateway_key, run)]
