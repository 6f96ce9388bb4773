"""rule engine, SLA policies, calendars, corrections, knowledge base

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:10:00

Seeds version 1 of the rule set, the SLA policies and the calendars (written out
here, so later code changes do not rewrite history; a test checks they equal
the code's defaults) and the knowledge-base articles of the seeds' standard answers.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shared.database import UtcDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEEDED_AT = datetime(2026, 11, 23, tzinfo=UTC)

RULES = {
    "rules": [
        {
            "rule_id": "fault.login",
            "description": "Core use blocked: the customer cannot log in.",
            "enabled": True,
            "conditions": {
                "keywords": [
                    "无法登录",
                    "登录不了",
                    "登不上",
                    "不能登录",
                    "登录失败",
                    "登陆不上",
                    "无法登陆",
                    "登不进",
                    "账户被锁",
                    "账号被锁",
                    "cannot log in",
                    "can't log in",
                    "unable to log in",
                    "login fail",
                    "cannot sign in",
                    "can't sign in",
                    "unable to sign in",
                ],
                "patterns": [
                    "(登录|登陆).{0,12}(错误|失败|不了|不上|没有?反应|进不去|异常)",
                    "(进不去|登不进|打不开).{0,4}(账户|账号)",
                    "(账户|账号).{0,6}(进不去|被锁|锁定|冻结)",
                ],
                "channels": [],
                "customer_types": [],
                "scenes": [],
                "metadata": {},
            },
            "actions": {
                "category": "fault",
                "scene": "after_sale",
                "priority": "P0",
                "team": "tech_support",
                "skill": "account",
                "tags": ["login"],
            },
        },
        {
            "rule_id": "fault.payment",
            "description": "Core use blocked: payment fails.",
            "enabled": True,
            "conditions": {
                "keywords": [
                    "支付失败",
                    "付款失败",
                    "无法支付",
                    "扣款失败",
                    "付不了款",
                    "支付不了",
                    "无法付款",
                    "payment failed",
                    "payment fails",
                    "cannot pay",
                    "can't pay",
                    "card declined",
                    "card was declined",
                ],
                "patterns": [
                    "(付款|支付|付钱|结账).{0,8}(不成功|失败|不了|出现?问题|出错|异常)",
                    "扣(了)?(钱|款).{0,16}(未支付|没生成|没有生成|找不到|待支付)",
                    "扣款成功.{0,10}订单",
                ],
                "channels": [],
                "customer_types": [],
                "scenes": [],
                "metadata": {},
            },
            "actions": {
                "category": "fault",
                "scene": "in_sale",
                "priority": "P0",
                "team": "tech_support",
                "skill": "payment",
                "tags": ["payment"],
            },
        },
        {
            "rule_id": "fault.down",
            "description": "Core use blocked: system or device down, or a safety risk.",
            "enabled": True,
            "conditions": {
                "keywords": [
                    "系统崩溃",
                    "系统崩了",
                    "宕机",
                    "无法启动",
                    "不能开机",
                    "开不了机",
                    "启动不了",
                    "打不开",
                    "安全隐患",
                    "冒烟",
                    "漏电",
                    "起火",
                    "爆炸",
                    "无法使用",
                    "焦味",
                    "system down",
                    "won't start",
                    "will not start",
                    "does not start",
                    "doesn't start",
                    "won't turn on",
                    "does not power on",
                    "doesn't power on",
                    "outage",
                    "smoking",
                    "caught fire",
                    "safety hazard",
                    "platform is down",
                    "seems to be down",
                ],
                "patterns": [],
                "channels": [],
                "customer_types": [],
                "scenes": [],
                "metadata": {},
            },
            "actions": {
                "category": "fault",
                "scene": "after_sale",
                "priority": "P0",
                "team": "tech_support",
                "skill": "device",
                "tags": ["down"],
            },
        },
        {
            "rule_id": "fault.defect",
            "description": "Non-core defect.",
            "enabled": True,
            "conditions": {
                "keywords": [
                    "故障",
                    "报错",
                    "闪退",
                    "bug",
                    "不工作",
                    "失灵",
                    "卡顿",
                    "异常",
                    "出错",
                    "死机",
                    "不制冷",
                    "不加热",
                    "没声音",
                    "验证码",
                    "卡纸",
                    "自动退出",
                    "error",
                    "not working",
                    "glitch",
                    "keeps freezing",
                    "crash",
                    "stopped working",
                ],
                "patterns": [],
                "channels": [],
                "customer_types": [],
                "scenes": [],
                "metadata": {},
            },
            "actions": {
                "category": "fault",
                "scene": "after_sale",
                "priority": "P1",
                "team": "tech_support",
                "skill": "device",
                "tags": ["defect"],
            },
        },
        {
            "rule_id": "inquiry.question",
            "description": "Questions about policies, conditions and how to do things.",
            "enabled": True,
            "conditions": {
                "keywords": [],
                "patterns": [
                    "(条件|政策|规则|流程|标准)(是什么|有哪些|是怎样)",
                    "什么(条件|政策|规则)",
                    "(多久|多长时间|几天)(能|可以|会)",
                    "什么时候(发|能发|可以发)",
                    "(怎么|怎样|如何)(修改|更改|使用|办理|开通|设置|绑定|改)",
                    "能(改成|改到|修改)",
                    "how (do|can) i (change|update|use|set|edit)",
                    "what is your .{0,30}policy",
                ],
                "channels": [],
                "customer_types": [],
                "scenes": [],
                "metadata": {},
            },
            "actions": {
                "category": "inquiry",
                "scene": "pre_sale",
                "priority": "P2",
                "team": "frontline",
                "skill": "general",
                "tags": ["inquiry"],
            },
        },
        {
            "rule_id": "complaint.attitude",
            "description": "Complaint about a person's service.",
            "enabled": True,
            "conditions": {
                "keywords": [
                    "服务态度",
                    "态度差",
                    "态度很差",
                    "态度不好",
                    "态度恶劣",
                    "不耐烦",
                    "敷衍",
                    "挂我电话",
                    "爱答不理",
                    "说话太冲",
                    "rude",
                    "unprofessional",
                    "hung up on me",
                ],
                "patterns": [],
                "channels": [],
                "customer_types": [],
                "scenes": [],
                "metadata": {},
            },
            "actions": {
                "category": "complaint",
                "scene": "after_sale",
                "priority": "P1",
                "team": "complaints",
                "skill": "complaint",
                "tags": ["complaint"],
            },
        },
        {
            "rule_id": "logistics.delay",
            "description": "Delivery late or missing.",
            "enabled": True,
            "conditions": {
                "keywords": [
                    "物流延迟",
                    "物流延误",
                    "快递",
                    "还没发货",
                    "没收到货",
                    "未收到货",
                    "配送",
                    "物流",
                    "发货",
                    "没到货",
                    "迟迟不到",
                    "没送到",
                    "没派送",
                    "还没派送",
                    "未派送",
                    "送货",
                    "delivery late",
                    "late delivery",
                    "not delivered",
                    "not arrived",
                    "hasn't arrived",
                    "has not arrived",
                    "shipping",
                    "parcel",
                    "package",
                    "tracking",
                    "where is my order",
                    "delivery is",
                ],
                "patterns": [],
                "channels": [],
                "customer_types": [],
                "scenes": [],
                "metadata": {},
            },
            "actions": {
                "category": "complaint",
                "scene": "in_sale",
                "priority": "P1",
                "team": "logistics",
                "skill": "delivery",
                "tags": ["delivery"],
            },
        },
        {
            "rule_id": "after_sales.refund",
            "description": "Refunds go to finance.",
            "enabled": True,
            "conditions": {
                "keywords": [
                    "退款",
                    "退钱",
                    "返还",
                    "差价",
                    "多扣",
                    "重复扣",
                    "扣了两次",
                    "收了两次",
                    "refund",
                    "money back",
                ],
                "patterns": ["钱.{0,6}(退回|退给|退还)"],
                "channels": [],
                "customer_types": [],
                "scenes": [],
                "metadata": {},
            },
            "actions": {
                "category": "after_sales",
                "scene": "after_sale",
                "priority": "P1",
                "team": "finance",
                "skill": "refund",
                "tags": ["refund"],
            },
        },
        {
            "rule_id": "after_sales.return",
            "description": "Return, exchange or repair.",
            "enabled": True,
            "conditions": {
                "keywords": [
                    "退换货",
                    "退货",
                    "换货",
                    "维修",
                    "返修",
                    "修理",
                    "更换",
                    "坏了",
                    "换一",
                    "换成",
                    "换新",
                    "碎了",
                    "破损",
                    "送修",
                    "尺码不合适",
                    "退回去",
                    "return",
                    "exchange",
                    "repair",
                    "replacement",
                    "broken",
                    "send them back",
                    "send it back",
                ],
                "patterns": [],
                "channels": [],
                "customer_types": [],
                "scenes": [],
                "metadata": {},
            },
            "actions": {
                "category": "after_sales",
                "scene": "after_sale",
                "priority": "P1",
                "team": "after_sales",
                "skill": "return_repair",
                "tags": ["after_sales"],
            },
        },
        {
            "rule_id": "complaint.service",
            "description": "Complaint about the service.",
            "enabled": True,
            "conditions": {
                "keywords": [
                    "投诉",
                    "不满意",
                    "不满",
                    "差评",
                    "complaint",
                    "complain",
                    "terrible service",
                ],
                "patterns": [],
                "channels": [],
                "customer_types": [],
                "scenes": [],
                "metadata": {},
            },
            "actions": {
                "category": "complaint",
                "scene": "after_sale",
                "priority": "P1",
                "team": "complaints",
                "skill": "complaint",
                "tags": ["complaint"],
            },
        },
        {
            "rule_id": "suggestion.feature",
            "description": "Suggestions go to the product team.",
            "enabled": True,
            "conditions": {
                "keywords": [
                    "建议",
                    "希望增加",
                    "功能建议",
                    "改进",
                    "希望能",
                    "能不能增加",
                    "加个",
                    "新增",
                    "提个意见",
                    "意见",
                    "能不能支持",
                    "希望以后",
                    "suggest",
                    "feature request",
                    "would be nice",
                    "please add",
                ],
                "patterns": [],
                "channels": [],
                "customer_types": [],
                "scenes": [],
                "metadata": {},
            },
            "actions": {
                "category": "suggestion",
                "scene": "after_sale",
                "priority": "P2",
                "team": "product",
                "skill": "product_feedback",
                "tags": ["suggestion"],
            },
        },
        {
            "rule_id": "customization.request",
            "description": "Custom requests go to the product team.",
            "enabled": True,
            "conditions": {
                "keywords": [
                    "定制",
                    "定做",
                    "订做",
                    "专属方案",
                    "企业采购",
                    "批量采购",
                    "刻字",
                    "印上",
                    "customi",
                    "bespoke",
                    "bulk order",
                ],
                "patterns": [],
                "channels": [],
                "customer_types": [],
                "scenes": [],
                "metadata": {},
            },
            "actions": {
                "category": "customization",
                "scene": "pre_sale",
                "priority": "P2",
                "team": "product",
                "skill": "customization",
                "tags": ["customization"],
            },
        },
        {
            "rule_id": "inquiry.policy",
            "description": "Information, policy and usage questions.",
            "enabled": True,
            "conditions": {
                "keywords": [
                    "咨询",
                    "请问",
                    "怎么",
                    "如何",
                    "政策",
                    "价格",
                    "多少钱",
                    "是否",
                    "能否",
                    "规则",
                    "how to",
                    "how do",
                    "how can",
                    "what is",
                    "policy",
                    "price",
                ],
                "patterns": [],
                "channels": [],
                "customer_types": [],
                "scenes": [],
                "metadata": {},
            },
            "actions": {
                "category": "inquiry",
                "scene": "pre_sale",
                "priority": "P2",
                "team": "frontline",
                "skill": "general",
                "tags": ["inquiry"],
            },
        },
    ],
    "modifiers": {
        "vip_raises": True,
        "wide_impact_keywords": [
            "批量",
            "所有用户",
            "大面积",
            "很多用户",
            "全部用户",
            "大量用户",
            "all users",
            "everyone",
        ],
        "wide_impact_metadata_key": "affected_users",
        "wide_impact_threshold": 50,
    },
}

SLA = {
    "policies": {
        "cross-industry": {
            "name": "cross-industry",
            "description": "seed 002 (default)",
            "targets": {
                "P0": {"respond": "30m", "resolve": "4h", "calendar": "24x7"},
                "P1": {"respond": "2h", "resolve": "1d", "calendar": "default"},
                "P2": {"respond": "1d", "resolve": "3d", "calendar": "default"},
            },
        },
        "sop-basic": {
            "name": "sop-basic",
            "description": "seed 000",
            "targets": {
                "P0": {"respond": "2h", "resolve": "8h", "calendar": "24x7"},
                "P1": {"respond": "4h", "resolve": "1d", "calendar": "default"},
                "P2": {"respond": "1d", "resolve": "3d", "calendar": "default"},
            },
        },
        "helpdesk": {
            "name": "helpdesk",
            "description": "seed 004",
            "targets": {
                "P0": {"respond": "1h", "resolve": "8h", "calendar": "24x7"},
                "P1": {"respond": "4h", "resolve": "1d", "calendar": "default"},
                "P2": {"respond": "1d", "resolve": "3d", "calendar": "default"},
            },
        },
    }
}

CALENDARS = {
    "calendars": {
        "default": {
            "name": "default",
            "timezone": "Asia/Shanghai",
            "windows": [["09:00", "12:00"], ["13:30", "18:00"]],
            "china_holidays": True,
            "weekend_days": [5, 6],
            "extra_holidays": [],
            "extra_workdays": [],
            "always_open": False,
        },
        "24x7": {
            "name": "24x7",
            "timezone": "Asia/Shanghai",
            "windows": [["09:00", "12:00"], ["13:30", "18:00"]],
            "china_holidays": False,
            "weekend_days": [5, 6],
            "extra_holidays": [],
            "extra_workdays": [],
            "always_open": True,
        },
    }
}

KB_ARTICLES = [
    (
        "七天无理由退换货政策",
        "商品支持签收后7天无理由退换货,需保持商品及包装完好、配件齐全;请在订单详情页提交退换货申请,审核通过后按页面提示寄回。",
        ["七天无理由", "7天无理由", "退货", "换货", "退换货", "return", "exchange"],
        "inquiry",
    ),
    (
        "退款到账时间",
        "退款申请已提交,预计3-5个工作日原路返回到您的账户,请注意查收短信通知。",
        ["退款", "到账", "原路返回", "refund"],
        "after_sales",
    ),
    (
        "保修政策",
        "保修期内非人为损坏的质量问题可享受免费维修,具体保修期限以产品保修卡为准;维修进度每日同步,一般3个工作日内完成。",
        ["保修", "质保", "维修", "warranty", "repair"],
        "inquiry",
    ),
    (
        "人工客服服务时间",
        "人工客服服务时间为工作日 09:00–12:00、13:30–18:00(法定节假日除外,调休工作日照常服务);"
        "账号无法登录、支付失败等紧急故障 7×24 小时受理。",
        ["服务时间", "工作时间", "人工客服", "客服电话", "hours"],
        "inquiry",
    ),
    (
        "物流查询与延迟处理",
        "您可在订单详情页查看物流轨迹;超过承诺时效仍未送达的,我们将联系承运商加急处理并在24小时内回复您。",
        ["物流", "快递", "配送", "发货", "查询", "delivery", "shipping"],
        "inquiry",
    ),
    (
        "账号登录问题自助处理",
        "请先通过登录页的“忘记密码”重置密码并确认网络正常;如仍无法登录,请提供注册手机号,我们将按紧急故障优先处理。",
        ["登录", "密码", "账号", "login", "password"],
        "fault",
    ),
    (
        "建议反馈流程",
        "感谢您的建议!您的建议已同步至产品团队,我们会在3个工作日内告知处理情况,后续优化进展将及时反馈。",
        ["建议", "反馈", "功能", "suggestion", "feedback"],
        "suggestion",
    ),
    (
        "投诉处理与补偿",
        "非常抱歉给您带来不便。我们将核实情况并在24小时内给出处理方案,补偿(如优惠券、延长质保、免费维修)符合公司政策并经主管审批后执行。",
        ["投诉", "补偿", "赔偿", "complaint", "compensation"],
        "complaint",
    ),
]


def upgrade() -> None:
    with op.batch_alter_table("triage_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skill", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("fired_rules", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("rule_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("policy_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("calendar_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("industry", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("calendar_spec", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("kb_suggestions", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("customer_type", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("subject", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("retriaged_at", UtcDateTime(), nullable=True))
    versions = op.create_table(
        "triage_config_versions",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("changed_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "version"),
    )
    op.create_table(
        "triage_corrections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("fired_rules", sa.JSON(), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=True),
        sa.Column("from_category", sa.String(length=16), nullable=False),
        sa.Column("from_priority", sa.String(length=2), nullable=False),
        sa.Column("from_team", sa.String(length=32), nullable=False),
        sa.Column("to_category", sa.String(length=16), nullable=False),
        sa.Column("to_priority", sa.String(length=2), nullable=False),
        sa.Column("to_team", sa.String(length=32), nullable=False),
        sa.Column("corrected_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("triage_corrections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_triage_corrections_decided_by"), ["decided_by"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_triage_corrections_ticket_id"), ["ticket_id"], unique=False
        )
    articles = op.create_table(
        "kb_articles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=True),
        sa.Column("valid_from", UtcDateTime(), nullable=True),
        sa.Column("valid_to", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(
        versions,
        [
            {
                "kind": kind,
                "version": 1,
                "body": body,
                "note": "seeded defaults",
                "changed_by": "migration",
                "created_at": SEEDED_AT,
            }
            for kind, body in (("rules", RULES), ("sla", SLA), ("calendars", CALENDARS))
        ],
    )
    op.bulk_insert(
        articles,
        [
            {
                "id": uuid.uuid5(uuid.NAMESPACE_URL, f"sopdesk:kb:{title}"),
                "title": title,
                "answer": answer,
                "tags": tags,
                "category": category,
                "valid_from": None,
                "valid_to": None,
                "created_at": SEEDED_AT,
                "updated_at": SEEDED_AT,
            }
            for title, answer, tags, category in KB_ARTICLES
        ],
    )


def downgrade() -> None:
    op.drop_table("kb_articles")
    with op.batch_alter_table("triage_corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_triage_corrections_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_triage_corrections_decided_by"))
    op.drop_table("triage_corrections")
    op.drop_table("triage_config_versions")
    with op.batch_alter_table("triage_decisions", schema=None) as batch_op:
        for column in (
            "retriaged_at",
            "subject",
            "customer_type",
            "channel",
            "kb_suggestions",
            "calendar_spec",
            "industry",
            "calendar_version",
            "policy_version",
            "rule_version",
            "decided_by",
            "fired_rules",
            "tags",
            "skill",
        ):
            batch_op.drop_column(column)
