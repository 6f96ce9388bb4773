"""The question guard of the default rules (version 4), on texts alone: a question or
precaution that names something alarming fires no P0 rule; a text that also says the
alarming thing happened stays P0; the explanation says which way and why."""

from __future__ import annotations

import pytest

from services.triage.classifier.model import from_bytes, shipped_model, shipped_model_bytes
from services.triage.industries import INDUSTRIES, apply_industry
from services.triage.rules.codec import modifiers_from_dict, ruleset_from_body
from services.triage.rules.default_data import default_rule_set_body
from services.triage.rules.defaults import DEFAULT_RULESET
from services.triage.rules.engine import classify, question_guard
from services.triage.rules.model import InvalidRule, PriorityModifiers
from services.triage.rules.validation import validate_modifiers

# Asked or taken care of before anything happened, each with a word a P0 rule reads.
QUESTIONS: list[tuple[str, str]] = [
    ("以防万一,我想问下热水器漏电怎么办", "以防万一"),
    ("买之前问一下,这个充电宝会不会冒烟", "会不会"),
    ("我同事说这款电暖器会起火,是真的吗", "会起火"),
    ("这台空调有没有漏电自动断电的功能", "有没有漏电自动断电的功能"),
    ("请问信用卡被盗刷一般是什么原因,想提前防范", "一般是什么原因"),
    ("电梯万一着火了有没有自动断电的功能", "万一"),
    ("燃气灶有防漏气保护吗,家里有老人想先问清楚", "有防漏气保护吗"),
    ("假如手机银行登录不了,可以去柜台办吗", "假如"),
    ("What if the heater starts smoking while I am out?", "what if"),
]

# Real events said with a question or a precaution's words: the P0 rule still decides.
REAL_EVENTS: list[tuple[str, str]] = [
    ("以防万一问一下,刚才插座冒烟了还能用吗", "刚才"),
    ("热水器漏电,刚刚被电到了,会不会有事", "刚刚"),
    ("电动车电池鼓包了,会不会爆炸", "鼓包了"),
    ("厨房闻到煤气味,会不会爆炸", "闻到煤气味"),
    ("插线板着火了,一般是什么原因", "着火了"),
    ("我的账户被冻结了,一般是什么原因", "冻结了"),
    ("支付失败一般是什么原因", "失败"),
    ("电饭煲现在还在冒烟,万一着火怎么办", "现在"),
    ("配电箱跳闸了,会不会起火", "跳闸了"),
    ("充电时电池发烫鼓起来了,担心会着火", "发烫"),
    ("My account is locked and I cannot log in, what if I miss the payment?", "cannot"),
]


@pytest.mark.parametrize(("text", "cue"), QUESTIONS)
def test_a_question_or_precaution_fires_no_p0_rule(text: str, cue: str) -> None:
    unguarded = classify("", text, ruleset=ruleset_from_body(default_rule_set_body(3), 3))
    assert unguarded.priority == "P0", "the case must be one a P0 rule reads"
    result = classify("", text)
    assert result.priority in ("P1", "P2"), result.explanation
    assert result.decided_by not in {
        r.rule_id for r in DEFAULT_RULESET.rules if r.actions.priority == "P0"
    }
    assert result.explanation[0].startswith(f"question guard: '{cue}' asks or takes care")
    assert "no real event is said: P0 rule" in result.explanation[0]
    assert unguarded.decided_by is not None and unguarded.decided_by in result.explanation[0]


@pytest.mark.parametrize(("text", "event"), REAL_EVENTS)
def test_a_real_event_in_the_same_text_keeps_the_p0_rule(text: str, event: str) -> None:
    result = classify("", text)
    assert (result.category, result.priority) == ("fault", "P0"), result.explanation
    assert f"but '{event}' says it happened: the P0 rules apply" in result.explanation[0]


def test_a_question_cue_in_the_events_clause_makes_it_asked_about() -> None:
    mods = DEFAULT_RULESET.modifiers
    # 着火了 after 万一, 登录不了 after 会不会: part of the question, not events.
    assert question_guard(mods, "电梯万一着火了怎么办") == question_guard(
        mods, "电梯万一着火怎么办"
    )
    asked = question_guard(mods, "手机银行会不会登录不了")
    assert asked is not None and asked.holds
    # In a clause of its own, the event counts.
    said = question_guard(mods, "会不会是线路问题,插座着火了")
    assert said is not None and (said.holds, said.real_event) == (False, "着火了")


def test_plain_texts_are_not_guarded() -> None:
    assert question_guard(DEFAULT_RULESET.modifiers, "热水器冒烟了") is None
    result = classify("", "账号无法登录")
    assert (result.decided_by, result.priority) == ("fault.login", "P0")
    assert not any(line.startswith("question guard") for line in result.explanation)


@pytest.mark.parametrize("industry", sorted(INDUSTRIES))
def test_every_industry_presets_p0_rules_are_guarded_too(industry: str) -> None:
    ruleset = apply_industry(DEFAULT_RULESET, industry)
    for text, _ in QUESTIONS:
        assert classify("", text, ruleset=ruleset).priority != "P0", (industry, text)
    for text, _ in REAL_EVENTS:
        assert classify("", text, ruleset=ruleset).priority == "P0", (industry, text)


def test_rule_sets_stored_before_the_guard_replay_without_it() -> None:
    before = modifiers_from_dict(default_rule_set_body(3)["modifiers"])
    assert (before.question_cues, before.real_event_cues) == ((), ())
    assert question_guard(before, "电梯万一着火了有没有自动断电的功能") is None
    old = ruleset_from_body(default_rule_set_body(3), 3)
    assert classify("", "电梯万一着火了有没有自动断电的功能", ruleset=old).priority == "P0"


@pytest.mark.parametrize(
    ("mods", "message"),
    [
        (PriorityModifiers(question_cues=("万一(",)), "question_cues: invalid pattern"),
        (PriorityModifiers(real_event_cues=(" ",)), "real_event_cues: an empty pattern"),
        (PriorityModifiers(wide_impact_threshold=0), "at least 1"),
    ],
)
def test_broken_guard_patterns_are_refused(mods: PriorityModifiers, message: str) -> None:
    with pytest.raises(InvalidRule, match=message):
        validate_modifiers(mods)
    validate_modifiers(DEFAULT_RULESET.modifiers)


def test_the_classifiers_p0_on_a_guarded_question_becomes_p1() -> None:
    # Version 5 reads the question as a fault at P0, so the guard is what makes it P1;
    # version 6 (trained with the spent blind sets) reads it as an inquiry in the first place.
    newest = classify("", "假如输液泵不走了怎么办", model=shipped_model())
    assert (newest.category, newest.priority) == ("inquiry", "P1"), newest.explanation
    model = from_bytes(shipped_model_bytes(5), 5)
    asked = classify("", "假如输液泵不走了怎么办", model=model)
    assert (asked.decided_by, asked.priority) == (None, "P1"), asked.explanation
    assert asked.explanation[-1] == (
        "question guard: '假如' asks or takes care before anything happened and no real "
        "event is said: the model's P0 → P1"
    )
    for reader in (model, shipped_model()):
        happened = classify("", "输液泵突然不走了,万一耽误治疗怎么办", model=reader)
        assert (happened.decided_by, happened.priority) == (None, "P0"), happened.explanation
