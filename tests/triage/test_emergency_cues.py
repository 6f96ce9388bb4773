"""Rules version 6 on texts alone: an emergency said in any category (a body harmed, a
person threatened or trapped, money taken by someone else) is P0 unless it is asked
about; breadth of impact said in general forms raises one level; suggestions, hearsay, an
alarm said not to have happened and a safety device named fire no P0 rule. Rule sets
stored before version 6 replay without any of it."""

from __future__ import annotations

import pytest

from services.triage.classifier.model import shipped_model
from services.triage.rules.codec import modifiers_from_dict, ruleset_from_body
from services.triage.rules.default_data import default_rule_set_body
from services.triage.rules.engine import classify
from services.triage.rules.model import InvalidRule, PriorityModifiers
from services.triage.rules.validation import validate_modifiers

RULES_V5 = ruleset_from_body(default_rule_set_body(5), 5)

# Emergencies whose words no P0 rule lists, in categories the model reads as P1.
EMERGENCIES: list[tuple[str, str]] = [
    ("孩子在你们医院输液,护士拿错了药袋,现在孩子身上起了一片疹子", "疹子"),
    ("接孩子发现额头缝了三针,说是在托管班摔的,老师一个电话都没打", "缝了三针"),
    ("外卖里的肉是馊的,吃完肚子疼得直不起腰", "肚子疼"),
    ("送餐的骑手在门口骂我还威胁说知道我住哪", "威胁"),
    (
        "Two payments left my savings account last night that I never made, please freeze it",
        "never made",
    ),
]

# The same words asked about, or said not to have happened: no P0.
NOT_EMERGENCIES: list[str] = [
    "万一孩子吃了过敏起疹子,一般怎么处理",
    "听说最近诈骗很多,银行账户有什么防盗刷的设置吗",
    "建议你们的插线板都加个漏电保护开关",
    "听同行说你们这款锅炉在别的厂出过爆炸事故,真的假的?",
    "家里的烟雾报警器半夜响了两次,起来检查没有任何烟也没着火",
    "网上有人说这款电动牙刷充电会起火,是真的吗?我刚买了一个,现在用着没问题",
]


@pytest.mark.parametrize(("text", "cue"), EMERGENCIES)
def test_an_emergency_said_in_any_category_is_p0(text: str, cue: str) -> None:
    before = classify("", text, ruleset=RULES_V5, model=shipped_model())
    assert before.priority != "P0", "the case must be one version 5 missed"
    result = classify("", text, model=shipped_model())
    assert result.priority == "P0", result.explanation
    assert any(line.startswith(f"emergency said '{cue}'") for line in result.explanation)


@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_an_emergency_asked_about_or_not_happened_is_not_p0(text: str) -> None:
    result = classify("", text, model=shipped_model())
    assert result.priority != "P0", result.explanation


def test_breadth_said_in_a_general_form_raises_one_level() -> None:
    text = "全院的自助机打印报告都特别慢,一张要等两三分钟"
    before = classify("", text, ruleset=RULES_V5, model=shipped_model())
    result = classify("", text, model=shipped_model())
    assert result.priority == "P0", result.explanation
    assert before.priority == "P1", before.explanation
    assert any(line.startswith("wide impact '全院'") for line in result.explanation)


def test_an_app_gone_as_soon_as_it_opens_is_down() -> None:
    result = classify("", "APP一打开就白屏闪退,卸载重装也没用")
    assert (result.decided_by, result.priority) == ("fault.down", "P0")
    assert classify("", "APP偶尔闪退一下").decided_by == "fault.defect"


def test_a_rule_set_stored_before_version_6_has_no_cues() -> None:
    stored = modifiers_from_dict(default_rule_set_body(5)["modifiers"])
    assert (stored.emergency_cues, stored.wide_impact_patterns) == ((), ())
    assert PriorityModifiers().emergency_cues


@pytest.mark.parametrize("name", ["emergency_cues", "wide_impact_patterns"])
def test_a_broken_or_empty_pattern_is_refused(name: str) -> None:
    for bad, said in (("(流血", "invalid pattern"), (" ", "an empty pattern")):
        with pytest.raises(InvalidRule, match=f"{name}: {said}"):
            validate_modifiers(modifiers_from_dict({name: [bad]}))
