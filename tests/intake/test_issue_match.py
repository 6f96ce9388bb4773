"""One issue, one ticket on meaning: the pair model and its features on pairs of one
customer's requests (pure logic; tests/intake/test_intake_identity.py takes the decision
through intake on SQLite and PostgreSQL)."""

from __future__ import annotations

import importlib.util
import math
from importlib import resources
from pathlib import Path
from types import ModuleType

import pytest

from services.intake import pair_training
from services.intake.issue_match import (
    READ_AT_MOST,
    lexicon_match,
    match_issue,
    pair_features,
    read_issue,
)
from services.intake.pair_model import (
    SHIPPED_FILE,
    PairModel,
    char_grams,
    from_body,
    shipped_model,
    to_body,
    to_bytes,
)

JOINED = "同一问题(把握 "


def _bench() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "issue_match_eval.py"
    spec = importlib.util.spec_from_file_location("issue_match_eval", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_figures_on_every_labelled_set() -> None:
    """A regression guard, not a measure: the shipped pair model was trained on every set
    here, so these are training figures. Each set is held a little below what the model
    reached on it when shipped (v3, 2026-12-04, threshold 0.841 from leave-one-set-out CV;
    held-out 1.000 / 0.817, the four spent blind sets 0.985 / 0.587, 0.955 / 0.343,
    0.995 / 0.704, 0.990 / 0.573). The cross-validated figures are
    test_the_shipped_model_records_set_out_cross_validation's."""
    bench = _bench()
    floors = {
        "tuning": (0.95, 0.85),
        "held-out": (0.95, 0.80),
        "fresh": (0.95, 0.85),
        "own": (0.95, 0.85),
        "own, other domains": (0.95, 0.85),
        "blind_b": (0.95, 0.55),
        "blind_c": (0.93, 0.30),
        "blind_d": (0.95, 0.60),
        "blind_e": (0.95, 0.50),
    }
    for name, path in (bench.SETS | bench.BLIND_SETS).items():
        if name not in floors:
            continue  # a new blind set is scored once by hand, never by a test
        precision, recall = floors[name]
        found = bench.figures(path)
        assert found["precision"] >= precision, (name, found)
        assert found["recall"] >= recall, (name, found)


def test_the_same_order_and_the_same_problem_kind_is_one_issue_and_says_so() -> None:
    late = read_issue("", "下单三天了怎么还不发货", "SO1")
    again = read_issue("催发货", "一直显示待发货", "SO1")
    found = match_issue(late, again)
    assert found is not None and found.reason.startswith(JOINED)
    assert "同一订单,相同问题:未发货" in found.reason
    # Another order number is another issue, whatever the words.
    assert match_issue(late, read_issue("催发货", "一直显示待发货", "SO2")) is None


def test_a_fault_said_without_its_kind_joins_the_named_fault_of_the_same_thing() -> None:
    dead = read_issue("", "电动牙刷放在充电座上一晚上都充不进电", None)
    broken = read_issue("牙刷坏了", "牙刷按了没反应", None)
    found = match_issue(broken, dead)
    assert found is not None and "同一物品(牙刷),相同问题:充电" in found.reason
    # The lexicon reads the same, and says it the same way.
    reading = lexicon_match(broken, dead)
    assert reading is not None and "同一物品(牙刷),相同问题:充电" in reading.reason
    # Not a request about the same thing: a broken toothbrush is no question about brush heads.
    assert match_issue(broken, read_issue("", "替换刷头在哪里买", None)) is None
    # Nor a fault of another thing: the remote, not the television.
    remote = read_issue("", "电视的遥控器不好用了", None)
    assert match_issue(remote, read_issue("", "电视显示无信号", None)) is None


def test_a_things_name_says_nothing_of_the_problem() -> None:
    """热水器 holds 热水; a water heater's invoice is no water heater without hot water."""
    invoice = read_issue("", "热水器的发票怎么开", None)
    assert "加热" not in invoice.problems
    assert match_issue(invoice, read_issue("", "热水器不出热水", None)) is None


def test_kinds_the_lexicon_does_not_know_are_compared_by_their_words() -> None:
    one = read_issue("", "抽奖中的奖品一直显示处理中", None)
    two = read_issue("抽奖", "抽中的奖品还在处理中", None)
    found = match_issue(one, two)
    assert found is not None and "描述相近" in found.reason
    assert match_issue(one, read_issue("", "会员生日礼包在哪里领", None)) is None


def test_a_problem_named_as_the_moment_of_another_sets_the_scene() -> None:
    coupon = read_issue("", "结账的时候满减没有算进去", None)
    paying = read_issue("付款失败", "下单付款的时候一直提示失败", None)
    assert coupon.moments == {"支付"}
    assert match_issue(coupon, paying) is None
    # Named only as a moment but nothing else named: still what the text is about.
    assert match_issue(paying, read_issue("支付问题", "支付一直不成功", None)) is not None


def test_hot_while_charging_is_not_a_phone_that_does_not_charge() -> None:
    hot = read_issue("手机发烫", "充电时机身很烫手", None)
    dead = read_issue("手机充不进电", "", None)
    assert match_issue(hot, dead) is None
    assert match_issue(hot, read_issue("", "充电的时候手机烫得厉害", None)) is not None


def test_a_purchase_order_with_a_dash_is_an_order_number() -> None:
    waiting = read_issue("备件没到", "采购单PO-8812的备件说好上周到", None)
    assert waiting.order_no == "PO8812"
    # Another purchase order is another issue; the same one, asked again, is a follow-up.
    assert match_issue(waiting, read_issue("", "PO-8813 收到的密封圈型号不对", None)) is None
    found = match_issue(waiting, read_issue("", "PO8812的备件说好上周到,怎么还没到", None))
    assert found is not None and "同一订单," in found.reason


def test_the_same_order_with_another_problem_on_each_side_is_another_issue() -> None:
    late = read_issue("", "下单三天了怎么还不发货", "SO1")
    assert match_issue(late, read_issue("", "发票抬头开错了", "SO1")) is None


def test_the_same_amount_with_no_other_problem_named_is_one_issue() -> None:
    charge = read_issue("不认识的消费", "账单上有一笔1280元的消费,我完全不记得", None)
    again = read_issue("", "上次说的那笔1280的陌生扣款查得怎么样了", None)
    found = match_issue(again, charge)
    assert found is not None and "同一数额或编号(1280)" in found.reason
    # Two digits are a day or a count, not a reference.
    assert (
        match_issue(
            read_issue("", "12号那笔扣款不对", None), read_issue("", "想问12号开门吗", None)
        )
        is None
    )


# --------------------------------------------------------------------------- the pair model


def _model(**weights: float) -> PairModel:
    """A hand-made model: the given weights, threshold 0.5, every gram's IDF 1."""
    return PairModel(weights, -1.0, 0.5, {}, 1.0, {})


def test_char_grams_are_one_to_three_characters_and_english_words_whole() -> None:
    found = char_grams("充不进 battery 2024")
    assert found["充"] == 1 and found["充不"] == 1 and found["充不进"] == 1
    assert found["battery"] == 1 and found["2024"] == 1
    assert "bat" not in found and "不进 " not in found


def test_features_read_orders_numbers_kinds_and_cues() -> None:
    model = shipped_model()
    late = read_issue("", "下单三天了怎么还不发货", "SO1")
    again = read_issue("催发货", "怎么还没发货,还是一直显示待发货", "SO1")
    found = pair_features(late, again, model)
    assert found["same_order"] == 1.0 and found["same_kind"] == 1.0
    assert found["kinds:未发货|未发货"] == 1.0 and "other_kinds" not in found
    assert found["follow_up_both"] == 1.0
    assert 0.0 < found["tfidf_cosine"] < 1.0
    invoice = read_issue("", "发票抬头开错了", None)
    other = pair_features(late, invoice, model)
    assert other["other_kinds"] == 1.0 and other["one_order_only"] == 1.0
    assert "same_order" not in other and "same_kind" not in other
    # One text with itself: every similarity is whole.
    itself = pair_features(invoice, invoice, model)
    assert abs(itself["tfidf_cosine"] - 1.0) < 1e-9 and itself["covered_least"] == 1.0
    amounts = pair_features(
        read_issue("", "扣了我1280", None), read_issue("", "扣了我399", None), model
    )
    assert amounts["other_numbers"] == 1.0 and "same_figure" not in amounts


def test_features_read_who_wrote_each_text_its_language_and_how_to_questions() -> None:
    """An agent's note of a call beside the customer's own words, English beside Chinese,
    a how-to question beside a fault: each a flag, the first two also weighing how alike
    the texts are."""
    model = shipped_model()
    note = read_issue("", "客户来电反映新买的蓝牙耳机右耳没有声音", None)
    own = read_issue("耳机右边不响", "右耳那只还是哑的,放歌都听不见", None)
    assert note.reported and not own.reported
    found = pair_features(note, own, model)
    assert found["reported_one"] == 1.0 and "reported_both" not in found
    assert found["reported_one*cosine"] == found["tfidf_cosine"]
    english = read_issue("roaming charges", "I bought the Japan data pack, still charged", None)
    assert english.english and not own.english
    assert pair_features(english, own, model)["english_one"] == 1.0
    assert "english_one" not in found and "english_one*cosine" not in found
    how = read_issue("", "住院理赔需要准备哪些材料", None)
    chase = read_issue("理赔进度", "车险报案十几天了,理赔一直没消息", None)
    assert how.asks_how and not chase.asks_how
    assert pair_features(how, chase, model)["asks_how_one"] == 1.0


def test_a_model_of_other_features_is_refused() -> None:
    """The format names the features' and the model's version: a file of version 1 or 2
    (logistic regressions over other features) would be misread."""
    for old in ("sopdesk-pair-logistic-1", "sopdesk-pair-logistic-2"):
        with pytest.raises(ValueError):
            from_body(to_body(shipped_model()) | {"format": old})
    again = from_body(to_body(shipped_model()))
    assert again.trees == shipped_model().trees and len(again.trees) == pair_training.TREES


def test_a_courtesy_both_close_with_is_nothing_they_share() -> None:
    """请尽快处理 is in few labelled texts, so its grams would read as the rarest two
    requests share: two problems of one order closing with it stay two tickets."""
    login = read_issue("账号无法登录", "账号无法登录,请尽快处理。", "SO1")
    invoice = read_issue("发票抬头开错了", "发票抬头开错了,请尽快处理。", "SO1")
    assert "尽快" not in login.ngrams and "谢谢" not in read_issue("", "谢谢", None).ngrams
    assert match_issue(invoice, login) is None
    # What it is asked to be done about still counts: 尽快发货 keeps 发货.
    assert "发货" in read_issue("", "请尽快发货", None).ngrams


def test_trees_add_their_leaves_and_say_what_the_pair_has() -> None:
    """A pair's output is the intercept plus each tree's leaf; a reason is the splits'
    steps along its path, laid to the features the pair has (not to a flag it lacks)."""
    # Splits on same_order, then on tfidf_cosine; the mean of the leaves is 0.
    tree = (
        ("same_order", 0.5, 1, 2, 0.0),
        ("tfidf_cosine", 0.3, 3, 4, -1.0),
        ("", 0.0, 0, 0, 1.0),
        ("", 0.0, 0, 0, -2.0),
        ("", 0.0, 0, 0, 0.0),
    )
    model = PairModel({}, 0.0, 0.5, {}, 1.0, {}, (tree, tree))
    same_order = {"same_order": 1.0, "tfidf_cosine": 0.1}
    assert abs(model.probability(same_order) - 1 / (1 + math.exp(-2.0))) < 1e-9
    assert model.contributions(same_order) == [(2.0, "same_order")]
    alike = {"tfidf_cosine": 0.9}  # another order's path, then alike: not same_order's doing
    assert model.probability(alike) == 0.5
    assert model.contributions(alike) == [(2.0, "tfidf_cosine")]


def test_the_rarest_word_both_texts_share_is_read_by_its_idf() -> None:
    model = PairModel({}, 0.0, 0.5, {"涂层": 1.5, "锅": 1.0}, 3.0, {})
    one = read_issue("", "锅的涂层掉了", None)
    two = read_issue("", "涂层起皮,锅不能用", None)
    assert pair_features(one, two, model)["rarest_shared"] == 0.5  # 涂层: 1.5 of 3.0


def test_the_model_joins_at_its_threshold_and_says_why() -> None:
    one = read_issue("", "抽奖中的奖品一直显示处理中", None)
    two = read_issue("抽奖", "抽中的奖品还在处理中", None)
    found = match_issue(one, two, model=_model(tfidf_cosine=4.0))
    assert found is not None and found.reason.startswith(JOINED) and "描述相近" in found.reason
    assert 50 < found.score <= 100
    # Too little alike for this model's weight: apart.
    assert match_issue(one, two, model=_model(tfidf_cosine=0.5)) is None


def test_a_shared_word_is_shown_as_the_run_both_texts_share() -> None:
    """The reason names what a person sees both say (设备昨天起无法开机), not the rarest
    three characters inside it (起无法)."""
    model = PairModel({"rarest_shared": 4.0}, -1.0, 0.5, {"起无法": 3.0}, 3.0, {})
    one = read_issue("无法开机", "设备昨天起无法开机。", None)
    two = read_issue("Refund", "设备昨天起无法开机。", None)
    found = match_issue(two, one, model=model)
    assert found is not None and "都说到「设备昨天起无法开机」" in found.reason


def test_policy_comes_before_the_model() -> None:
    """Another order number is another issue and a near-verbatim repeat the same one,
    whatever the model says; off by meaning, only the repeat joins."""
    eager = _model(same_kind=50.0, wording=50.0)
    late = read_issue("", "下单三天了怎么还不发货", "SO1")
    assert match_issue(late, read_issue("", "下单三天了怎么还不发货", "SO2"), model=eager) is None
    repeat = read_issue("", "下单三天了怎么还不发货啊", "SO1")
    never = _model(wording=-50.0)
    found = match_issue(late, repeat, model=never)
    assert found is not None and found.reason.startswith("几乎相同的描述")
    again = read_issue("催发货", "一直显示待发货", "SO1")
    assert match_issue(late, again, model=eager) is not None
    assert match_issue(late, again, by_meaning=False, model=eager) is None
    assert match_issue(late, repeat, by_meaning=False, model=never) is not None


def test_the_shipped_model_records_set_out_cross_validation() -> None:
    """The threshold is the lowest at which precision over every pair, each scored by a
    model that never saw its set (its writer), reaches 0.95; the file keeps those figures."""
    model = shipped_model()
    cv = model.metrics["set_out_cv"]
    assert cv["all"]["precision"] >= 0.95
    assert cv["all"]["pairs"] >= 3000
    assert {"blind_b", "blind_c", "blind_d", "blind_e", "tuning"} <= cv.keys()
    assert 0.5 < model.threshold < 1.0


def test_the_shipped_model_is_what_training_makes() -> None:
    """Rebuilt from the labelled sets it is byte for byte the shipped file: a change to
    the features or the sets needs ``python -m services.intake.pair_training --write``."""
    shipped = resources.files("services.intake").joinpath(SHIPPED_FILE).read_bytes()
    assert to_bytes(pair_training.build()) == shipped


def test_a_long_letter_is_read_to_its_first_characters() -> None:
    """Grams of the first READ_AT_MOST characters only: a 5,000-character description
    costs no more memory than a 300-character one, and is still compared."""
    opening = "炸篮的涂层一块块往下掉"
    letter = read_issue("", opening + "详" * 5000, None)
    assert "详" * 3 in letter.ngrams and letter.description_ngrams["详"] == READ_AT_MOST - len(
        opening
    )
    found = match_issue(read_issue("", "炸篮涂层往下掉", None), letter)
    assert found is not None and "描述相近" in found.reason
