"""HTTP bodies of analytics."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.events import Category, Priority
from shared.vocabulary import TicketStatus

State = TicketStatus


class LedgerRow(BaseModel):
    """One ticket as the ledger (台账) records it; contacts are masked."""

    model_config = ConfigDict(from_attributes=True)

    ticket_id: uuid.UUID
    ticket_no: str | None = Field(examples=["T20261122-000123"])
    channel: str | None = Field(examples=["phone"])
    customer_type: str | None = Field(examples=["returning"])
    masked_contact: str | None = Field(examples=["138****5678"])
    subject: str | None = Field(examples=["快递三天还没到"])
    description: str | None = Field(
        default=None,
        description="What the customer wrote (contacts in it masked)",
        examples=["订单 2026112200123 下单三天了还没发货,电话 138****5678"],
    )
    category: str | None = Field(examples=["complaint"])
    scene: str | None = Field(default=None, examples=["after_sale"])
    priority: str | None = Field(examples=["P1"])
    team: str | None = Field(examples=["logistics"])
    agent_name: str | None = Field(examples=["王芳"])
    state: str = Field(examples=["resolved"])
    received_at: datetime | None
    assigned_at: datetime | None
    respond_by: datetime | None
    resolve_by: datetime | None
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    resolution_code: str | None = Field(default=None, examples=["delivered"])
    first_response_seconds: float | None = Field(default=None, examples=[1200.0])
    resolution_seconds: float | None = Field(default=None, examples=[10800.0])
    first_response_business_seconds: float | None = Field(default=None, examples=[600.0])
    resolution_business_seconds: float | None = Field(default=None, examples=[7200.0])
    response_met: bool | None = Field(default=None, description="null while not answered yet")
    resolution_met: bool | None = Field(default=None, description="null while unresolved")
    breached: bool = Field(default=False, description="any deadline missed or breach raised")
    transfers: int = 0
    escalations: int = 0
    reopens: int = 0
    compensation_total: float = Field(default=0.0, examples=[20.0])
    csat: int | None = Field(default=None, examples=[5])
    fcr: bool | None = Field(default=None, description="first-contact resolution")
    resolution_text: str | None = Field(
        default=None, description="The agent's reply to the customer", examples=["已为您补发"]
    )
    survey_comment: str | None = Field(default=None, examples=["处理很及时"])
    call_started_at: datetime | None = Field(default=None, description="通话开始 (phone)")
    call_ended_at: datetime | None = Field(default=None, description="通话结束 (phone)")
    call_handler: str | None = Field(default=None, description="处理人员 (phone)")
    verification_steps: str | None = Field(
        default=None, description="问题核实过程 (phone)", examples=["核对订单系统信息"]
    )
    call_resolution: str | None = Field(default=None, description="解决方案/处理结果 (phone)")
    callback_outcome: str | None = Field(default=None, examples=["客户确认已收到"])
    callback_by: str | None = Field(default=None, description="who made the callback")
    callback_score: int | None = Field(default=None, description="CSAT given on the callback")


LEDGER_COLUMNS: tuple[str, ...] = tuple(LedgerRow.model_fields)


class LedgerPage(BaseModel):
    items: list[LedgerRow]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last."
    )


class LedgerFilters(BaseModel):
    """The filters of the ledger (and of its exports)."""

    since: datetime | None = None
    until: datetime | None = None
    channel: str | None = None  # open: tickets from a channel added later are filtered too
    category: Category | None = None
    priority: Priority | None = None
    team: str | None = None
    agent: str | None = None
    state: State | None = None
    breached: bool | None = None
    ticket_no: str | None = None
    q: str | None = None  # words in the ticket number, subject or description


class Duration(BaseModel):
    """A time from receipt (calendar time), estimated from the rollups' histograms."""

    count: int = Field(examples=[120])
    mean_seconds: float | None = Field(examples=[1500.0])
    median_seconds: float | None = Field(examples=[1200.0])
    p90_seconds: float | None = Field(examples=[5400.0])


class Csat(BaseModel):
    responses: int = Field(examples=[80])
    average: float | None = Field(examples=[4.3])
    satisfied_rate: float | None = Field(description="share of 4 and 5", examples=[0.82])
    distribution: dict[str, int] = Field(examples=[{"1": 2, "2": 3, "3": 9, "4": 30, "5": 36}])


class Figures(BaseModel):
    """The service figures of a set of tickets (rates are 0..1, null when undefined)."""

    tickets: int = Field(examples=[240])
    open: int = Field(examples=[31])
    queue_length: int = Field(examples=[3])
    at_risk: int = Field(description="warned, unresolved, not yet breached", examples=[4])
    breached: int = Field(examples=[7])
    resolved: int = Field(examples=[209])
    sla_compliance: float | None = Field(examples=[0.95])
    response_compliance: float | None = Field(examples=[0.97])
    resolution_compliance: float | None = Field(examples=[0.94])
    first_response: Duration
    resolution: Duration
    fcr_rate: float | None = Field(description="first-contact resolution", examples=[0.71])
    reopen_rate: float | None = Field(examples=[0.04])
    csat: Csat
    complaint_share: float | None = Field(examples=[0.3])
    compensation_count: int = Field(examples=[6])
    compensation_total: float = Field(examples=[260.0])
    transfers: int = Field(examples=[12])
    escalations: int = Field(examples=[5])


class Group(BaseModel):
    key: str = Field(examples=["logistics"])
    name: str | None = Field(
        default=None,
        description="How people say the key (a team's display name; a key not known yet "
        "is shown as it is); absent for days, weeks and agents",
        examples=["物流"],
    )
    figures: Figures


class Summary(BaseModel):
    total: int = Field(examples=[42])
    queue_length: int = Field(examples=[3])
    by_state: dict[str, int] = Field(examples=[{"assigned": 39, "queued": 3}])
    by_channel: dict[str, int] = Field(examples=[{"phone": 20, "web_chat": 22}])
    by_category: dict[str, int] = Field(examples=[{"fault": 10, "inquiry": 32}])
    by_priority: dict[str, int] = Field(examples=[{"P0": 5, "P1": 12, "P2": 25}])
    by_team: dict[str, int] = Field(examples=[{"tech_support": 10}])
    since: date | None = Field(default=None, description="first day counted (UTC+8)")
    until: date | None = Field(default=None, description="last day counted (UTC+8)")
    figures: Figures
    group_by: str | None = Field(default=None, examples=["team"])
    groups: list[Group] = Field(default_factory=list)


# --------------------------------------------------------------------------- reviews


class IssueShare(BaseModel):
    issue: str = Field(examples=["物流延迟"])
    count: int = Field(examples=[42])
    share: float = Field(description="of the tickets counted (0..1)", examples=[0.3])
    previous_count: int | None = Field(default=None, description="the period before")


class Keyword(BaseModel):
    word: str = Field(examples=["快递"])
    weight: float = Field(examples=[0.82])


class CategoryKeywords(BaseModel):
    category: str = Field(examples=["complaint"])
    name: str = Field(examples=["投诉"])
    tickets: int = Field(examples=[40])
    keywords: list[Keyword]


class Trend(BaseModel):
    """This period minus the one before (rates in points of 0..1)."""

    tickets: int = Field(examples=[12])
    tickets_change: float | None = Field(examples=[0.08])
    sla_compliance: float | None = Field(examples=[-0.02])
    csat_average: float | None = Field(examples=[0.1])
    complaint_share: float | None = Field(examples=[0.03])
    fcr_rate: float | None = Field(examples=[0.01])


class PeriodFigures(BaseModel):
    since: date
    until: date
    figures: Figures


class WeeklyReport(BaseModel):
    week: str = Field(examples=["2026-W47"])
    since: date = Field(description="Monday (UTC+8)")
    until: date = Field(description="Sunday (UTC+8)")
    figures: Figures
    previous: PeriodFigures
    trend: Trend
    by_category: dict[str, int]
    by_channel: dict[str, int]
    top_issues: list[IssueShare]
    complaint_reasons: list[IssueShare] = Field(description="shares of the complaints")
    headlines: list[str] = Field(examples=[["物流延迟投诉占比30%"]])
    keywords: list[CategoryKeywords]


class DepartmentIssues(BaseModel):
    department: str = Field(examples=["logistics"])
    name: str = Field(examples=["物流部"])
    teams: list[str] = Field(
        default_factory=list, description="the teams it covers, by name", examples=[["物流"]]
    )
    tickets: int = Field(description="the sum of its teams' tickets in the team table")
    breached: int
    csat_average: float | None
    issues: list[IssueShare]
    examples: list[str] = Field(description="ticket numbers", examples=[["T20261116-000001"]])


class MonthlyReport(BaseModel):
    month: str = Field(examples=["2026-11"])
    since: date
    until: date
    figures: Figures
    previous: PeriodFigures
    trend: Trend
    teams: list[Group] = Field(description="service quality per team")
    departments: list[DepartmentIssues] = Field(
        description="problems to send to product, logistics and the other departments"
    )


class AgentOnShift(BaseModel):
    name: str = Field(description="The agent's display name", examples=["张伟"])
    shift: str = Field(examples=["早班"])
    until: datetime


class AgentOnLeave(BaseModel):
    name: str = Field(examples=["李娜"])
    first_day: date
    last_day: date


class TeamOnShift(BaseModel):
    """Who of a team with shifts is on shift now and on leave today, as dispatch last
    announced it (``team.on_shift_changed``)."""

    team: str = Field(description="The team's key", examples=["frontline"])
    name: str = Field(description="The team's display name", examples=["一线"])
    name_en: str | None = Field(default=None, examples=["Front line"])
    day: date = Field(description="Today in the roster's time zone")
    day_kind: str = Field(examples=["workday"], description="workday, holiday or weekend")
    on_shift: list[AgentOnShift]
    on_leave: list[AgentOnLeave]
    as_of: datetime = Field(description="When dispatch computed it")


class DashboardSnapshot(BaseModel):
    """What the dashboard shows: the summary, per team and per agent, who is on shift."""

    generated_at: datetime
    summary: Summary
    teams: list[Group]
    agents: list[Group]
    on_shift: list[TeamOnShift] = Field(
        default_factory=list, description="Per team with a roster: on shift now, on leave today"
    )
    labels: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Chinese labels by kind (channel, category, priority, state, team) and "
        "key; a key missing here is shown as it is",
        examples=[{"channel": {"phone": "电话"}, "team": {"vip_desk": "VIP 专席"}}],
    )
    labels_en: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="The same labels in English (the dashboard's language picker); a team "
        "without an English name keeps its Chinese one",
        examples=[{"channel": {"phone": "phone"}, "team": {"vip_desk": "VIP desk"}}],
    )


SynonymTerm = Annotated[str, Field(min_length=1, max_length=40)]


class SynonymTable(BaseModel):
    """The reviews' synonym table: each complaint reason with the words customers use for
    it; a ticket whose words hold a term counts under its reason."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reasons": {"物流延迟": ["快递", "物流", "配送延迟"]}}]}
    )

    reasons: dict[SynonymTerm, list[SynonymTerm]] = Field(max_length=200)


class AttentionItem(BaseModel):
    ticket_id: uuid.UUID
    ticket_no: str | None = Field(examples=["T20261122-000123"])
    subject: str | None = Field(examples=["快递三天还没到"])
    team: str | None = Field(description="the team's display name", examples=["物流"])
    team_key: str | None = Field(
        default=None,
        description="the team's key (labels name it in each language)",
        examples=["logistics"],
    )
    state: str = Field(examples=["assigned"])
    received_at: datetime | None
    resolve_by: datetime | None
    link: str = Field(
        description="The ticket's page in the workspace (SOPDESK_WORKSPACE_URL)",
        examples=["http://127.0.0.1:8006/tickets/T20261122-000123"],
    )


class Attention(BaseModel):
    """What a supervisor looks at first: open tickets past a deadline, the oldest open."""

    breached: list[AttentionItem]
    oldest_open: list[AttentionItem]
