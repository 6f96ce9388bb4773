"""rule engine, SLA policies, calendars, corrections, knowledge base

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:10:00

Seeds version 1 of the rule set (its entry in services/triage/data/default_rules.json,
which no later change rewrites), the SLA policies and the calendars (written out here,
so later code changes do not rewrite history; a test checks they equal the code's
defaults) and the knowledge-base articles of the seeds' standard answers.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from services.triage.rules.default_data import default_rule_set_body
from shared.database import UtcDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEEDED_AT = datetime(2026, 11, 23, tzinfo=UTC)

# Version 1 of the rule set, as services/triage/data/default_rules.json keeps it.
RULES = default_rule_set_body(1)

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
