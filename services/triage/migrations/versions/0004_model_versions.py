"""Model versions; decisions name the model version, confidence, review flag and text

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 23:20:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shared.database import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The default policy since the classifier (services/triage/rules): the precise rules,
# the classifier for everything else. Written as a new rule-set version only where the
# rules in force are still 0002's seed; an admin's own rules stay in force.
RULES_V2 = {
    "rules": [
        {
            "rule_id": "fault.safety",
            "description": "Personal safety: fire, smoke, electricity or gas.",
            "enabled": True,
            "conditions": {
                "keywords": [
                    "冒烟",
                    "漏电",
                    "起火",
                    "着火",
                    "爆炸",
                    "焦味",
                    "焦糊味",
                    "烧焦",
                    "火花",
                    "燃气泄漏",
                    "煤气泄漏",
                    "煤气味",
                    "燃气味",
                    "漏气",
                    "安全隐患",
                    "很危险",
                    "被电了",
                    "电了一下",
                    "smoking",
                    "caught fire",
                    "on fire",
                    "safety hazard",
                    "electric shock",
                    "smell gas",
                    "gas leak",
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
                "tags": ["safety"],
            },
        },
        {
            "rule_id": "fault.fraud",
            "description": "Fraud or account security: money at risk.",
            "enabled": True,
            "conditions": {
                "keywords": [
                    "盗刷",
                    "被盗",
                    "不是本人操作",
                    "不是我本人操作",
                    "不是我操作的",
                    "诈骗",
                    "被骗",
                    "冒充客服",
                    "陌生设备登录",
                    "可疑交易",
                    "莫名其妙少了",
                    "fraud",
                    "unauthorized",
                    "scam",
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
                "skill": "security",
                "tags": ["security"],
            },
        },
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
                    "密码错误",
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
            "description": "Core use blocked: payment fails, or money was taken without an order.",
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
                    "转账失败",
                    "交易失败",
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
                    "(钱|款).{0,10}扣了.{0,16}(未支付|待支付|没生成|没有生成)",
                    "扣款成功.{0,10}订单",
                    "charged but .{0,30}(unpaid|not paid|no order)",
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
            "description": "Core use blocked: a system, service or device is down.",
            "enabled": True,
            "conditions": {
                "keywords": [
                    "系统崩溃",
                    "系统崩了",
                    "宕机",
                    "无法启动",
                    "开不了机",
                    "无法开机",
                    "启动不了",
                    "system down",
                    "won't start",
                    "will not start",
                    "won't turn on",
                    "does not power on",
                    "doesn't power on",
                    "outage",
                    "platform is down",
                    "seems to be down",
                ],
                "patterns": [
                    "(监护仪|呼吸机|透析机|设备|机器|产线|生产线|流水线|机床|系统|服务器|平台|网站|后台).{0,6}(停机|停转|宕机|瘫痪|崩了|崩溃|挂了)",
                    "(报|显示|返回|出现|提示|returns?|shows?).{0,4}(?<!\\d)50[023](?!\\d)",
                    "(?<!\\d)50[023](?!\\d).{0,3}(错误|error|服务不可用|bad gateway|unavailable)",
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
                "skill": "device",
                "tags": ["down"],
            },
        },
        {
            "rule_id": "fault.defect",
            "description": "Non-core defect.",
            "enabled": True,
            "conditions": {
                "keywords": ["功能缺陷", "缺陷", "闪退", "bug"],
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
            "rule_id": "inquiry.policy",
            "description": "Questions about policies and conditions.",
            "enabled": True,
            "conditions": {
                "keywords": [],
                "patterns": [
                    "(条件|政策|规则|流程|标准)(是什么|有哪些|是怎样)",
                    "什么(条件|政策|规则)",
                    "(了解|咨询|问问|请问).{0,12}(政策|规则|条件)",
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
                    "还没发货",
                    "没收到货",
                    "未收到货",
                    "迟迟不到",
                    "没送到",
                    "还没派送",
                    "未派送",
                    "订单延迟",
                    "发货延迟",
                    "配送延迟",
                    "延迟发货",
                    "delivery late",
                    "late delivery",
                    "not delivered",
                    "hasn't arrived",
                    "has not arrived",
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
            "description": "Money taken twice or a refund not received: finance.",
            "enabled": True,
            "conditions": {
                "keywords": [
                    "多扣",
                    "重复扣",
                    "扣了两次",
                    "扣了两回",
                    "收了两次",
                    "退款还没到",
                    "退款没到账",
                    "没收到退款",
                    "charged twice",
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
            "rule_id": "complaint.service",
            "description": "Complaint about the service.",
            "enabled": True,
            "conditions": {
                "keywords": ["投诉", "差评", "complaint", "complain", "terrible service"],
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
                    "功能建议",
                    "提个建议",
                    "提个意见",
                    "希望增加",
                    "feature request",
                    "suggest",
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
            "所有人",
            "所有同事",
            "全部门店",
            "所有门店",
            "整个部门",
            "整条产线",
            "整条线",
            "全厂",
            "全班",
            "全网",
            "整个营业部",
            "营业部都",
            "各营业部",
            "all users",
            "all our users",
            "none of our users",
            "everyone",
        ],
        "wide_impact_metadata_key": "affected_users",
        "wide_impact_threshold": 50,
        "money_taken_keywords": [
            "扣了钱",
            "扣了我",
            "钱扣了",
            "已扣款",
            "已经扣款",
            "扣款成功",
            "付了钱",
            "钱付了",
            "already charged",
            "was charged",
        ],
    },
}


def upgrade() -> None:
    op.create_table(
        "triage_model_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("corrections", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("changed_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    with op.batch_alter_table("triage_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("model_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("confidence", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("needs_review", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("text", sa.Text(), nullable=True))
    _seed_rules_v2()


def _seed_rules_v2() -> None:
    versions = sa.table(
        "triage_config_versions",
        sa.column("kind", sa.String),
        sa.column("version", sa.Integer),
        sa.column("body", sa.JSON),
        sa.column("note", sa.String),
        sa.column("changed_by", sa.String),
        sa.column("created_at", UtcDateTime),
    )
    bind = op.get_bind()
    latest = bind.execute(
        sa.select(versions.c.version, versions.c.changed_by)
        .where(versions.c.kind == "rules")
        .order_by(versions.c.version.desc())
        .limit(1)
    ).first()
    if latest is not None and (latest.version != 1 or latest.changed_by != "migration"):
        return  # an admin has changed the rules: theirs stay in force
    op.bulk_insert(
        versions,
        [
            {
                "kind": "rules",
                "version": (latest.version if latest else 0) + 1,
                "body": RULES_V2,
                "note": "precise policy rules; the classifier decides the rest",
                "changed_by": "migration",
                "created_at": datetime.now(UTC),
            }
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("triage_decisions", schema=None) as batch_op:
        batch_op.drop_column("text")
        batch_op.drop_column("needs_review")
        batch_op.drop_column("confidence")
        batch_op.drop_column("model_version")
    op.drop_table("triage_model_versions")
    op.execute(
        "DELETE FROM triage_config_versions WHERE kind = 'rules' AND changed_by = 'migration'"
        " AND version > 1"
    )
