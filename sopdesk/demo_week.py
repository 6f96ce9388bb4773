"""The demo week worked, for `sopdesk demo tickets`: the demo agents sign in and accept
and resolve most of the week's tickets, customers answer some surveys with a score and a
comment, the owner teams complete some callbacks, and a few tickets stay open (they
pass their deadlines while the system runs), so the dashboard's CSAT, first-response
and resolution figures and the reviews have something to show.

Everything goes through the services' public APIs as people would use them: agents
sign in to dispatch with the demo password, customers answer the survey link their SMS
carried (read from ``sopdesk.notifications`` as a channel gateway reads it), callbacks
are completed on follow-up by a person of the owner team. No store is written directly.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx

from sopdesk.demo_tickets import PostedTicket

# What the agent does with the week's n-th ticket (1-based): most are resolved, four
# are being worked, four wait for their agent: two of them P0 faults (an account that
# cannot sign in, a device that will not start), which breach their 30-minute response
# deadline half an hour later, at any hour.
Plan = Literal["resolve", "accept", "leave"]
LEFT_WAITING = frozenset({15, 25, 30, 40})
BEING_WORKED = frozenset({5, 10, 20, 35})


# How long nothing moves before the tickets still queued are left in the queue.
QUEUE_PATIENCE_SECONDS = 15.0


def plan_for(n: int) -> Plan:
    if n in LEFT_WAITING:
        return "leave"
    if n in BEING_WORKED:
        return "accept"
    return "resolve"


# How the agent resolves each kind of ticket (by subject): a resolution code and the reply.
RESOLUTIONS: dict[str, tuple[str, str]] = {
    "快递三天还没到": ("courier_chased", "您好，已联系快递公司加急派送，预计明天送达。"),
    "物流信息一直不更新": ("courier_chased", "您好，包裹已在配送途中，物流信息今天已更新。"),
    "账号无法登录": ("password_reset", "您好，已为您重置密码，请使用短信中的临时密码登录。"),
    "设备无法启动": ("device_reset", "您好，已指导您长按电源键十秒重置，设备已恢复正常。"),
    "申请退货退款": ("refund_approved", "您好，退货退款已审核通过，款项三个工作日内原路退回。"),
    "换货请求": ("exchange_arranged", "您好，换货已安排，快递员明天上门取件并送新商品。"),
    "会员积分怎么用": ("points_explained", "您好，在“我的-积分”页面点击“兑换”即可兑换优惠券。"),
    "发票怎么开": ("invoice_issued", "您好，增值税专用发票已开具，将发送到您的邮箱。"),
    "客服态度差": ("apology_made", "您好，非常抱歉给您带来不好的体验，已对相关客服进行培训。"),
    "希望增加夜间模式": ("suggestion_logged", "您好，您的建议已提交产品团队，感谢您的反馈。"),
    "支付成功但订单显示未支付": ("payment_fixed", "您好，支付状态已同步，订单现已显示已支付。"),
}
FALLBACK_RESOLUTION = ("answered", "您好，您的问题已处理，如有疑问请随时联系我们。")

# The customers who answer their survey (two of three), with a score and what they
# wrote: mostly content, a few not (a 2 reopens the ticket, back to its agent).
SURVEY_ANSWERS: tuple[tuple[int, str | None], ...] = (
    (5, "处理很及时，谢谢！"),
    (4, "问题解决了，就是等得有点久。"),
    (5, None),
    (3, "解决了，但打了好几次电话。"),
    (5, "客服很耐心。"),
    (2, "处理太慢，希望改进。"),
    (4, None),
)


@dataclass
class WorkedWeek:
    """What the demo week's working did, to print and to check."""

    accepted: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    surveys_answered: list[str] = field(default_factory=list)
    callbacks_completed: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    left_open: list[str] = field(default_factory=list)
    # Still in the queue: every agent on shift of their team is full (the tickets left
    # waiting and whatever else the team holds); they are assigned as work is done.
    queued: list[str] = field(default_factory=list)
    by_agent: dict[str, int] = field(default_factory=dict)


class _People:
    """Demo people signed in to dispatch; an access token lasts a minute, so each is
    renewed by signing in again before it runs out."""

    def __init__(self, client: httpx.Client, dispatch_url: str, password: str) -> None:
        self.client = client
        self.dispatch_url = dispatch_url
        self.password = password
        self._tokens: dict[str, tuple[float, dict[str, str]]] = {}
        self._names: dict[str, str] = {}

    def headers(self, login: str) -> dict[str, str]:
        held = self._tokens.get(login)
        if held is not None and held[0] > time.monotonic():
            return held[1]
        response = self.client.post(
            f"{self.dispatch_url}/v1/auth/sign-in",
            json={"login": login, "password": self.password},
        )
        response.raise_for_status()
        body = response.json()
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        lasts = max(5, int(body.get("expires_in", 60)) - 15)
        self._tokens[login] = (time.monotonic() + lasts, headers)
        return headers

    def login_of(self, agent_id: str, viewer: dict[str, str]) -> str:
        if agent_id not in self._names:
            response = self.client.get(f"{self.dispatch_url}/v1/agents/{agent_id}", headers=viewer)
            response.raise_for_status()
            self._names[agent_id] = str(response.json()["name"])
        return self._names[agent_id]


def survey_links(broker: str) -> dict[str, str]:
    """Each ticket's latest survey link, from the SMS texts on sopdesk.notifications (what
    the customer's phone received)."""
    from aiokafka import AIOKafkaConsumer

    async def read() -> dict[str, str]:
        consumer = AIOKafkaConsumer(
            "sopdesk.notifications", bootstrap_servers=broker, auto_offset_reset="earliest"
        )
        await consumer.start()
        links: dict[str, str] = {}
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=800, max_records=5000)
                if not batch:
                    return links
                for records in batch.values():
                    for record in records:
                        event = json.loads(record.value)
                        data = event.get("data") or {}
                        if data.get("template") != "survey" or not event.get("ticket_id"):
                            continue
                        found = re.findall(r"https?://\S+/v1/surveys/[\w.\-]+", data["body"])
                        if found:
                            links[str(event["ticket_id"])] = found[-1]
        finally:
            await consumer.stop()

    return asyncio.run(read())


def _team_member(owner: str) -> str:
    """A demo agent of the callback's owner team (logins as dispatch seeds them)."""
    return f"{owner}-agent-1"


def work_the_week(
    tickets: Sequence[PostedTicket],
    *,
    urls: dict[str, str],
    keys: dict[str, str],
    password: str,
    broker: str,
    timeout: float = 240.0,
) -> WorkedWeek:
    """Work the demo tickets as the week's agents and customers would; returns what was
    done. Idempotent: what is already done (accepted, resolved, answered, completed) is
    left as it is, so a second run of the same batch adds nothing."""
    viewer = {"Authorization": f"Bearer {keys['viewer']}"}
    supervisor = {"Authorization": f"Bearer {keys['supervisor']}"}
    worked = WorkedWeek()
    by_id = {t.ticket_id: t for t in tickets}
    answered: set[str] = set()
    completed: set[str] = set()
    deadline = time.monotonic() + timeout
    last_progress = time.monotonic()
    with httpx.Client(timeout=15) as client:
        people = _People(client, urls["dispatch"], password)
        while True:
            states = _assignment_states(client, urls["dispatch"], supervisor, tickets)
            progress = _act_on_assignments(client, urls, people, viewer, by_id, states, worked)
            resolved_ids = {
                t.ticket_id
                for t in tickets
                if (states.get(t.ticket_id) or {}).get("state") == "resolved"
            }
            waiting_survey = [
                t for t in tickets if t.ticket_id in resolved_ids and answers_survey(t.n)
            ]
            if any(t.ticket_id not in answered for t in waiting_survey):
                progress |= _answer_surveys(client, broker, waiting_survey, answered, worked)
            progress |= _complete_callbacks(client, urls, people, viewer, by_id, completed, worked)
            if progress:
                last_progress = time.monotonic()
            stuck = time.monotonic() - last_progress > QUEUE_PATIENCE_SECONDS
            if _finished(tickets, states, waiting_survey, answered, queued_ok=stuck):
                break
            if time.monotonic() > deadline:
                raise TimeoutError("the demo week was not worked in time: " + _pending(states))
            if not progress:
                time.sleep(0.5)  # the services are still passing the week's events on
        # Callbacks come with the resolutions; one more look for the last ones.
        _complete_callbacks(client, urls, people, viewer, by_id, completed, worked)
    worked.left_open = [t.ticket_no for t in tickets if plan_for(t.n) == "leave"]
    worked.queued = [
        t.ticket_no
        for t in tickets
        if plan_for(t.n) != "leave" and (states.get(t.ticket_id) or {}).get("state") == "queued"
    ]
    return worked


def answers_survey(n: int) -> bool:
    """Two customers of three answer their survey."""
    return n % 3 != 0


def _assignment_states(
    client: httpx.Client,
    dispatch_url: str,
    supervisor: dict[str, str],
    tickets: Sequence[PostedTicket],
) -> dict[str, dict[str, Any]]:
    response = client.get(
        f"{dispatch_url}/v1/assignments", headers=supervisor, params={"limit": 1000}
    )
    response.raise_for_status()
    wanted = {t.ticket_id for t in tickets}
    return {str(a["ticket_id"]): a for a in response.json() if str(a["ticket_id"]) in wanted}


def _act_on_assignments(
    client: httpx.Client,
    urls: dict[str, str],
    people: _People,
    viewer: dict[str, str],
    by_id: dict[str, PostedTicket],
    states: dict[str, dict[str, Any]],
    worked: WorkedWeek,
) -> bool:
    progress = False
    for ticket_id, work in states.items():
        ticket = by_id[ticket_id]
        plan = plan_for(ticket.n)
        if plan == "leave" or work["agent_id"] is None:
            continue
        login = people.login_of(str(work["agent_id"]), viewer)
        path = f"{urls['dispatch']}/v1/assignments/{work['id']}"
        if work["state"] == "assigned":
            _done(client.post(f"{path}/accept", headers=people.headers(login)))
            _note(worked.accepted, ticket.ticket_no)
            progress = True
            if plan == "accept":
                continue
            work = {**work, "state": "accepted"}
        if work["state"] == "accepted" and plan == "resolve":
            code, reply = RESOLUTIONS.get(ticket.subject, FALLBACK_RESOLUTION)
            _done(
                client.post(
                    f"{path}/resolve",
                    headers=people.headers(login),
                    json={"resolution_code": code, "public_reply": reply},
                )
            )
            if ticket.ticket_no in worked.resolved:
                _note(worked.reopened, ticket.ticket_no)  # a customer said it was not good
            else:
                worked.resolved.append(ticket.ticket_no)
                worked.by_agent[login] = worked.by_agent.get(login, 0) + 1
            progress = True
    return progress


def _note(done: list[str], ticket_no: str) -> None:
    if ticket_no not in done:
        done.append(ticket_no)


def _done(response: httpx.Response) -> None:
    """An action answered 409 was done already (a second run of the same batch)."""
    if response.status_code != 409:
        response.raise_for_status()


def _answer_surveys(
    client: httpx.Client,
    broker: str,
    tickets: Sequence[PostedTicket],
    answered: set[str],
    worked: WorkedWeek,
) -> bool:
    links = survey_links(broker)
    progress = False
    for ticket in tickets:
        link = links.get(ticket.ticket_id)
        if ticket.ticket_id in answered or link is None:
            continue
        score, comment = SURVEY_ANSWERS[ticket.n % len(SURVEY_ANSWERS)]
        body: dict[str, Any] = {"resolved": True, "score": score}
        if comment:
            body["comment"] = comment
        response = client.post(link, json=body)
        # 409 answered, 410 closed: a second run of the same batch.
        if response.status_code not in (200, 409, 410):
            response.raise_for_status()
        answered.add(ticket.ticket_id)
        worked.surveys_answered.append(ticket.ticket_no)
        progress = True
    return progress


def _complete_callbacks(
    client: httpx.Client,
    urls: dict[str, str],
    people: _People,
    viewer: dict[str, str],
    by_id: dict[str, PostedTicket],
    completed: set[str],
    worked: WorkedWeek,
) -> bool:
    """Every other callback of the week is made and recorded (call times, verification,
    outcome, the customer's score); the rest stay open, as a week's would."""
    response = client.get(
        f"{urls['followup']}/v1/callbacks",
        headers=viewer,
        params={"state": "open", "limit": 500},
    )
    response.raise_for_status()
    progress = False
    for callback in response.json()["items"]:
        ticket = by_id.get(str(callback["ticket_id"]))
        if ticket is None or callback["id"] in completed or ticket.n % 2:
            continue
        ended = datetime.now(UTC)
        answer = client.post(
            f"{urls['followup']}/v1/callbacks/{callback['id']}/complete",
            headers=people.headers(_team_member(callback["owner"])),
            json={
                "outcome": "客户确认问题已解决，无其他诉求",
                "score": 5 if ticket.n % 4 else 4,
                "call_started_at": (ended - timedelta(minutes=4)).isoformat(),
                "call_ended_at": ended.isoformat(),
                "verification": "核对手机号与订单号",
            },
        )
        _done(answer)
        completed.add(callback["id"])
        worked.callbacks_completed.append(ticket.ticket_no)
        progress = True
    return progress


def _finished(
    tickets: Sequence[PostedTicket],
    states: dict[str, dict[str, Any]],
    waiting_survey: Sequence[PostedTicket],
    answered: set[str],
    *,
    queued_ok: bool,
) -> bool:
    """Done when every ticket is where its plan puts it, or (``queued_ok``: nothing has
    moved for a while) still in its team's queue."""
    for ticket in tickets:
        state = (states.get(ticket.ticket_id) or {}).get("state")
        plan = plan_for(ticket.n)
        if queued_ok and state == "queued":
            continue
        if plan == "resolve" and state != "resolved":
            return False
        if plan == "accept" and state not in ("accepted", "resolved"):
            return False
    return all(t.ticket_id in answered for t in waiting_survey)


def _pending(states: dict[str, dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for work in states.values():
        counts[work["state"]] = counts.get(work["state"], 0) + 1
    return ", ".join(f"{state} {n}" for state, n in sorted(counts.items())) or "no assignments"
