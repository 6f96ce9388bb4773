"""Every example the seeds give, classified as the seeds say: rules first, the shipped
classifier where no rule decides, with the industry preset the example belongs to."""

from __future__ import annotations

from array import array

import pytest

from services.triage.classifier.model import Head, LinearModel, shipped_model
from services.triage.classifier.verdict import model_verdict
from services.triage.industries import apply_industry
from services.triage.rules.defaults import DEFAULT_RULESET
from services.triage.rules.engine import classify

# (text, industry, category, priority, team); None where the seed says nothing.
SEED_EXAMPLES: list[tuple[str, str, str | None, str, str | None]] = [
    # seed 002: P0 影响客户核心业务/人身安全(如金融系统故障、医疗设备停机)
    ("金融系统故障", "finance", "fault", "P0", "tech_support"),
    ("网银系统故障", "finance", "fault", "P0", "tech_support"),
    ("网银系统故障", "generic", "fault", "P0", "tech_support"),
    ("医疗设备停机", "healthcare", "fault", "P0", "tech_support"),
    ("手术室的监护仪突然停机了", "healthcare", "fault", "P0", "tech_support"),
    ("手术室的监护仪突然停机了", "generic", "fault", "P0", "tech_support"),
    # seed 002: P1 影响客户使用体验(如电商订单延迟、产品功能缺陷)
    ("电商订单延迟", "e-commerce", "complaint", "P1", "logistics"),
    ("产品功能缺陷", "generic", "fault", "P1", "tech_support"),
    ("导出功能点了没反应", "generic", "fault", "P1", "tech_support"),
    # seed 002: P2 咨询类建议(如产品功能优化建议)
    ("产品功能优化建议", "generic", "suggestion", "P2", "product"),
    # seed 000: 紧急 影响客户核心使用(如账号无法登录、订单支付失败)
    ("账号无法登录", "generic", "fault", "P0", "tech_support"),
    ("订单支付失败", "generic", "fault", "P0", "tech_support"),
    ("产品无法启动", "generic", "fault", "P0", "tech_support"),
    # seed 000: 重要 非核心功能异常(如物流信息延迟1天)、一般投诉
    ("物流信息延迟1天", "generic", "complaint", "P1", "logistics"),
    ("服务态度差,我要投诉", "generic", "complaint", "P1", "complaints"),
    # seed 000: 常规 信息查询、政策咨询; seed 001: 咨询类(产品功能、政策解读)
    ("想了解一下退换货政策", "generic", "inquiry", "P2", "frontline"),
    ("请问这个产品有什么功能", "generic", "inquiry", "P2", "frontline"),
    # seed 001: 售后类(退换货、维修)、建议类(功能优化、服务改进)
    ("我要退换货", "generic", "after_sales", "P1", "after_sales"),
    ("产品坏了需要维修", "generic", "after_sales", "P1", "after_sales"),
    ("希望改进一下服务", "generic", "suggestion", "P2", "product"),
    # seed 004: 技术故障 系统无法登录 高
    ("系统无法登录", "generic", "fault", "P0", "tech_support"),
    # seed 002 步骤1-3: 定制化需求匹配产品/解决方案团队
    ("想定制一批带公司标志的保温杯", "generic", "customization", "P2", "product"),
    # the everyday cases: a stuck lid is no emergency, questions no complaints
    ("保温杯的盖子打不开了", "generic", "after_sales", "P1", "after_sales"),
    ("保温杯的盖子打不开了", "e-commerce", "after_sales", "P1", "after_sales"),
    ("能改一下收货地址吗", "generic", "inquiry", "P2", "frontline"),
    ("我的快递到哪了", "e-commerce", "inquiry", "P2", "frontline"),
    # SPEC: safety, fraud and gas are P0
    ("燃气泄漏", "generic", "fault", "P0", "tech_support"),
    ("卡被盗刷了", "finance", "fault", "P0", "tech_support"),
]


@pytest.mark.parametrize(("text", "industry", "category", "priority", "team"), SEED_EXAMPLES)
def test_seed_example(
    text: str, industry: str, category: str | None, priority: str, team: str | None
) -> None:
    rules = apply_industry(DEFAULT_RULESET, industry)
    result = classify(text, "", ruleset=rules, model=shipped_model())
    got = (result.category, result.priority, result.team)
    assert got == (category or result.category, priority, team or result.team), result.explanation
    assert result.explanation, "every decision says why"


def test_a_model_decision_names_its_version_confidence_and_words() -> None:
    result = classify("网银系统故障", "", model=shipped_model())
    assert result.decided_by is None and result.model_version == 6
    assert result.confidence is not None and result.confidence > 0.5
    line = next(line for line in result.explanation if line.startswith("model v6:"))
    assert "0.9" in line and "网银" in line


def _two_class_model(weight: float) -> LinearModel:
    """A model that reads one word, 嗯, and leans ``weight`` towards a fault."""
    return LinearModel(
        version=7,
        index={"嗯": 0},
        heads={
            "route": Head(
                ("fault/tech_support", "inquiry/frontline"), (0.0, 0.0), array("f", [weight, 0.0])
            ),
            "scene": Head(("after_sale", "pre_sale"), (0.0, 0.0), array("f", [0.0, 0.0])),
            "priority": Head(("P1", "P2"), (0.0, 0.0), array("f", [0.0, 0.0])),
        },
        metrics={},
    )


def test_an_unsure_model_sends_the_ticket_to_front_line_for_review() -> None:
    unsure = model_verdict(_two_class_model(0.1), "嗯", review_below=0.6)
    assert unsure.needs_review and unsure.team == "frontline" and unsure.category == "fault"
    assert any("needs review" in line for line in unsure.explanation)
    sure = model_verdict(_two_class_model(5.0), "嗯", review_below=0.6)
    assert not sure.needs_review and sure.team == "tech_support"
    assert sure.confidence > 0.9 and sure.version == 7


def test_a_question_without_a_failure_is_never_p0() -> None:
    result = classify("忘记支付密码了怎么找回", "", model=shipped_model())
    assert result.priority != "P0"
