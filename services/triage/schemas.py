"""HTTP bodies of triage."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.triage.rules.model import PriorityModifiers
from shared.events import Category, Channel, CustomerType, KbSuggestion, Priority, Scene
from shared.inputs import Instant


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"subject": "账号无法登录", "description": "提示密码错误", "customer_type": "vip"},
                {
                    "subject": "订单还没发货",
                    "description": "下单一周了",
                    "channel": "app",
                    "metadata": {"order_status": "paid", "affected_users": 1},
                },
            ]
        }
    )

    subject: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    customer_type: CustomerType = "new"
    channel: Channel | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    received_at: Instant | None = Field(
        default=None, description="When the ticket arrived, for the deadline preview (now)."
    )


class DeadlinesView(BaseModel):
    policy: str = Field(examples=["cross-industry"])
    policy_version: int | None = Field(default=None, examples=[1])
    calendar: str = Field(examples=["24x7"])
    respond_by: datetime
    resolve_by: datetime


class ClassifyResult(BaseModel):
    category: Category
    scene: Scene
    priority: Priority
    team: str = Field(examples=["tech_support"])
    skill: str | None = Field(default=None, examples=["account"])
    tags: list[str] = Field(default_factory=list, examples=[["login"]])
    keywords: list[str] = Field(examples=[["无法登录"]])
    explanation: list[str] = Field(examples=[["rule fault.login matched '无法登录'"]])
    fired_rules: list[str] = Field(default_factory=list, examples=[["fault.login"]])
    decided_by: str | None = Field(default=None, examples=["fault.login"])
    rule_version: int | None = Field(default=None, examples=[1])
    industry: str | None = Field(default=None, examples=["generic"])
    deadlines: DeadlinesView | None = None
    kb_suggestions: list[KbSuggestion] = Field(default_factory=list)
    model_version: int | None = Field(
        default=None, description="The model version that decided when no rule did", examples=[0]
    )
    confidence: float | None = Field(default=None, examples=[0.87])
    needs_review: bool = Field(
        default=False,
        description="The model was unsure: the ticket went to front line for a supervisor",
    )


class DecisionView(BaseModel):
    ticket_id: uuid.UUID
    ticket_no: str
    category: Category
    scene: Scene
    priority: Priority
    team: str = Field(examples=["tech_support"])
    skill: str | None = None
    tags: list[str] | None = None
    keywords: list[str] = Field(examples=[["无法登录"]])
    explanation: list[str]
    fired_rules: list[str] | None = None
    decided_by: str | None = None
    rule_version: int | None = None
    policy_version: int | None = None
    calendar_version: int | None = None
    industry: str | None = None
    sla_policy: str = Field(examples=["cross-industry"])
    calendar: str = Field(examples=["24x7"])
    received_at: datetime
    respond_by: datetime
    resolve_by: datetime
    kb_suggestions: list[KbSuggestion] | None = None
    retriaged_at: datetime | None = None
    model_version: int | None = None
    confidence: float | None = None
    needs_review: bool | None = None


# --------------------------------------------------------------------------- rules


class RuleConditionsBody(BaseModel):
    keywords: list[str] = Field(default_factory=list, examples=[["无法登录", "cannot log in"]])
    patterns: list[str] = Field(default_factory=list, examples=[["登[录陆].{0,4}失败"]])
    channels: list[str] = Field(default_factory=list, examples=[["app"]])
    customer_types: list[str] = Field(default_factory=list, examples=[["vip"]])
    scenes: list[str] = Field(default_factory=list, examples=[["in_sale"]])
    metadata: dict[str, list[str]] = Field(
        default_factory=dict, examples=[{"order_status": ["shipped"]}]
    )


class RuleActionsBody(BaseModel):
    category: str = Field(examples=["fault"])
    priority: str = Field(examples=["P0"])
    team: str = Field(examples=["tech_support"])
    scene: str = Field(default="after_sale", examples=["after_sale"])
    skill: str | None = Field(default=None, examples=["account"])
    tags: list[str] = Field(default_factory=list, examples=[["login"]])


class RuleBody(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rule_id": "logistics.lost",
                    "description": "Lost parcels are urgent for logistics.",
                    "conditions": {"keywords": ["快递丢了", "包裹丢失", "lost parcel"]},
                    "actions": {
                        "category": "complaint",
                        "priority": "P1",
                        "team": "logistics",
                        "scene": "in_sale",
                        "tags": ["lost"],
                    },
                    "position": 0,
                }
            ]
        }
    )

    rule_id: str = Field(min_length=1, max_length=64)
    description: str = Field(default="", max_length=500)
    enabled: bool = True
    conditions: RuleConditionsBody
    actions: RuleActionsBody
    position: int | None = Field(
        default=None, ge=0, description="Where in the order (0 = first); default: last/unchanged"
    )


class RuleView(BaseModel):
    rule_id: str
    description: str
    enabled: bool
    conditions: RuleConditionsBody
    actions: RuleActionsBody


class RuleSetView(BaseModel):
    version: int = Field(examples=[2], description="The rule-set version in force")
    rules: list[RuleView]
    modifiers: dict[str, Any] = Field(
        examples=[{"vip_raises": True, "wide_impact_keywords": ["批量", "所有用户"]}]
    )


class ModifiersBody(BaseModel):
    vip_raises: bool = Field(default=True, description="VIP customers raise priority one level")
    wide_impact_keywords: list[str] = Field(
        default_factory=list, max_length=100, examples=[["批量", "所有用户", "大面积"]]
    )
    wide_impact_metadata_key: str = Field(
        default="affected_users", max_length=64, description="A ticket metadata count ..."
    )
    wide_impact_threshold: int = Field(
        default=50, ge=1, description="... at or above which the impact is wide"
    )
    question_cues: list[str] = Field(
        default_factory=lambda: list(PriorityModifiers().question_cues),
        max_length=50,
        examples=[["以防万一|万一|假如", "(买|购买)(之前|前)", "是真的吗|听说"]],
        description="Regex patterns of a question or precaution: a text with one fires no "
        "P0 rule unless it also says a real event; default: the default rules' guard",
    )
    real_event_cues: list[str] = Field(
        default_factory=lambda: list(PriorityModifiers().real_event_cues),
        max_length=50,
        examples=[["已经|刚才|现在", "(冒烟|鼓包|着火)了", "闻到.{0,4}煤气味"]],
        description="Regex patterns of a real event, which lets the P0 rules decide a "
        "question (one with a question cue before it in its clause is asked about)",
    )
    wide_impact_patterns: list[str] = Field(
        default_factory=lambda: list(PriorityModifiers().wide_impact_patterns),
        max_length=50,
        examples=[["全(院|校|公司|厂)", "整(栋|层)"]],
        description="Regex patterns of wide impact, raising one level as the keywords do; "
        "default: the default rules' patterns",
    )
    emergency_cues: list[str] = Field(
        default_factory=lambda: list(PriorityModifiers().emergency_cues),
        max_length=50,
        examples=[["流血|缝了.{0,3}针", "呼吸困难|喘不过气"]],
        description="Regex patterns of an emergency said in any category (a body harmed, a "
        "person threatened or trapped, money taken by someone else): P0 unless asked about "
        "or the question guard holds; default: the default rules' cues",
    )


class RuleCorrectionsView(BaseModel):
    rule_id: str | None = Field(examples=["logistics.delay"], description="null: no rule fired")
    decisions: int = Field(examples=[120])
    corrections: int = Field(examples=[6])
    correction_rate: float = Field(examples=[0.05])


class ConfigVersionView(BaseModel):
    version: int
    note: str
    changed_by: str
    created_at: datetime


# --------------------------------------------------------------------------- SLA and calendars


class SlaTargetBody(BaseModel):
    respond: str = Field(
        examples=["30m"], description="'30m', '4h' working time, '1d' working days"
    )
    resolve: str = Field(examples=["4h"])
    calendar: str = Field(examples=["24x7"])


class SlaPolicyBody(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "description": "faster P1 answers",
                    "targets": {
                        "P0": {"respond": "30m", "resolve": "4h", "calendar": "24x7"},
                        "P1": {"respond": "1h", "resolve": "1d", "calendar": "default"},
                        "P2": {"respond": "1d", "resolve": "3d", "calendar": "default"},
                    },
                }
            ]
        }
    )

    description: str = Field(default="", max_length=200)
    targets: dict[str, SlaTargetBody]


class SlaPolicyView(SlaPolicyBody):
    name: str


class SlaPoliciesView(BaseModel):
    version: int
    active: str = Field(examples=["cross-industry"], description="The policy new tickets get")
    policies: list[SlaPolicyView]


class CalendarBody(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "timezone": "Asia/Shanghai",
                    "windows": [["09:00", "12:00"], ["13:30", "18:00"]],
                    "china_holidays": True,
                    "extra_holidays": ["2026-12-31"],
                    "extra_workdays": [],
                }
            ]
        }
    )

    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    windows: list[tuple[str, str]] = Field(default_factory=list, max_length=12)
    china_holidays: bool = True
    weekend_days: list[int] = Field(default=[5, 6], description="0 = Monday … 6 = Sunday")
    extra_holidays: list[date] = Field(default_factory=list, max_length=400)
    extra_workdays: list[date] = Field(default_factory=list, max_length=400)
    always_open: bool = False


class CalendarView(CalendarBody):
    name: str
    official_years: list[int] = Field(
        default_factory=list,
        examples=[[2027]],
        description="Years whose State Council schedule was loaded (PUT /v1/holiday-schedules)",
    )


class CalendarsView(BaseModel):
    version: int
    calendars: list[CalendarView]
    china_holiday_years: tuple[int, int] = Field(
        examples=[(2004, 2026)],
        description="Years whose official holidays and make-up workdays chinese-calendar "
        "ships; other years use a loaded schedule (official_years), else the public holidays "
        "of the holidays package on Monday–Friday, without make-up workdays.",
    )


# --------------------------------------------------------------------------- re-triage


class RetriageRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"reason": "退款问题应由财务处理", "category": "after_sales", "team": "finance"}
            ]
        }
    )

    reason: str = Field(min_length=1, max_length=500)
    category: Category | None = None
    priority: Priority | None = None
    team: str | None = Field(default=None, examples=["finance"])
    scene: Scene | None = None


# --------------------------------------------------------------------------- knowledge base


class ArticleBody(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "七天无理由退换货政策",
                    "answer": "商品支持签收后7天无理由退换货,需保持商品及包装完好。",
                    "tags": ["退货", "七天无理由"],
                    "category": "inquiry",
                }
            ]
        }
    )

    title: str = Field(min_length=1, max_length=200)
    answer: str = Field(min_length=1, max_length=5000)
    tags: list[str] = Field(default_factory=list, max_length=30)
    category: Category | None = None
    valid_from: Instant | None = None
    valid_to: Instant | None = None


class ArticleView(ArticleBody):
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class SearchHit(BaseModel):
    score: float = Field(examples=[2.5])
    article: ArticleView
