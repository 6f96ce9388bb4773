"""One issue, one ticket on meaning: is a new request the same issue as an open ticket?

Two requests of one customer are the same issue when they name the same problem (a
concept: charging, delivery, refund, login …) about the same thing (earphones, the
order, the account …), or when they are near-verbatim repeats. Concepts are found by
their everyday wordings, so 耳机充不进电 and 蓝牙耳机插上充电线一点反应都没有 are both
"charging" of "earphones". Two different order numbers are two issues; the same order
number with the same problem is one. Every decision says why, in the words an agent
reads on the timeline ("同一订单,相同问题:未发货").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz

# Problem → the ways customers say it. A wording is a plain substring.
PROBLEMS: Mapping[str, tuple[str, ...]] = {
    "充电": ("充电", "充不进", "充不上", "充不了", "不充电", "充电线", "充电器", "电充", "charg"),
    "开机": (
        "开不了机",
        "开机",
        "不开机",
        "黑屏",
        "不亮",
        "启动不了",
        "无法启动",
        "turn on",
        "power",
    ),
    "登录": (
        "登录",
        "登陆",
        "登不上",
        "登不进",
        "进不去",
        "密码",
        "验证码",
        "log in",
        "sign in",
        "login",
    ),
    "支付": (
        "支付",
        "付款",
        "付不了",
        "付钱",
        "结账",
        "扣款失败",
        "收银台",
        "payment",
        "checkout",
        "pay ",
    ),
    "未发货": ("发货", "没发", "不发", "还不发", "ship"),
    "物流": (
        "快递",
        "物流",
        "没到",
        "到哪",
        "派送",
        "签收",
        "包裹",
        "运单",
        "配送",
        "送到",
        "没收到",
        "deliver",
        "parcel",
        "tracking",
    ),
    "退款": (
        "退款",
        "退钱",
        "到账",
        "钱退",
        "钱还没退",
        "没退钱",
        "退回来",
        "refund",
        "money back",
    ),
    "重复扣款": ("扣了两次", "扣两次", "重复扣", "多扣", "扣了两回", "charged twice"),
    "退换货": ("退货", "换货", "换一个", "换个", "尺码", "退掉", "exchange", "return"),
    "维修": ("维修", "修一下", "修好", "能修", "送修", "保修", "repair"),
    "发票": ("发票", "开票", "抬头", "invoice"),
    "地址": ("地址", "收货人", "address"),
    "态度": ("态度", "挂电话", "挂我电话", "不耐烦", "敷衍", "爱答不理", "rude"),
    "声音": ("声音", "杂音", "没声", "听不到", "异响", "噪音", "sound", "noise"),
    "网络": ("wifi", "断网", "连不上网", "网络", "信号", "网速"),
    "屏幕": ("屏幕", "花屏", "屏幕裂", "碎屏", "触屏", "screen"),
    "价格": ("优惠券", "降价", "差价", "满减", "价保", "coupon", "price"),
    "漏水": ("漏水", "渗水", "一滩水", "leak"),
    "制冷": ("制冷", "不凉", "不冷", "热风", "cooling"),
    "发热": ("发烫", "烫手", "很烫", "烫得", "发热", "过热", "overheat"),
    "卡顿": ("卡顿", "很卡", "太卡", "闪退", "卡死", "crash", "freez"),
}
# Things a problem is about. Longer wordings name the same thing (蓝牙耳机 → 耳机).
THINGS: Mapping[str, tuple[str, ...]] = {
    "耳机": ("耳机", "耳塞", "earphone", "headphone", "earbud"),
    "手机": ("手机", "phone"),
    "手表": ("手表", "手环", "watch"),
    "电脑": ("电脑", "笔记本", "laptop", "computer"),
    "平板": ("平板", "ipad", "tablet"),
    "路由器": ("路由器", "router"),
    "电视": ("电视", "tv"),
    "冰箱": ("冰箱", "fridge"),
    "空调": ("空调", "air condition"),
    "洗衣机": ("洗衣机", "washing machine"),
    "热水器": ("热水器", "water heater"),
    "账号": ("账号", "帐号", "账户", "帐户", "account"),
    "会员": ("会员", "membership"),
    "衣物": ("衣服", "裤子", "外套", "裙子", "鞋", "shoes", "jacket"),
    "杯子": ("保温杯", "水杯", "杯子", "mug", "cup"),
    "音箱": ("音箱", "音响", "speaker"),
}
# Problems that often only set the scene of another (退货 before 退款, 屏幕不亮 with
# 充不上电): when a text names another problem too, that one is what it is about.
CONTEXT = frozenset({"物流", "退换货", "维修", "屏幕", "开机"})
# A problem named only as the moment of another (结账时, 充电的时候) sets the scene too:
# 结账时优惠券不显示 is about the coupon, not about paying.
NEAR_VERBATIM = 85.0
# Texts with no known concept still match on characters, a little looser than verbatim.
WORDING_ONLY = 60.0

_ORDER_IN_TEXT = re.compile(r"(?<![a-z0-9])([a-z]{0,4}\d{8,20})(?![0-9])", re.IGNORECASE)


@dataclass(frozen=True)
class IssueMatch:
    score: float
    reason: str


@dataclass(frozen=True)
class IssueText:
    text: str
    order_no: str | None
    problems: frozenset[str]
    things: frozenset[str]
    # The problems named only as a moment ("X时", "X的时候").
    moments: frozenset[str] = frozenset()


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def _concepts(text: str, table: Mapping[str, tuple[str, ...]]) -> frozenset[str]:
    return frozenset(name for name, forms in table.items() if any(f in text for f in forms))


def _moments(text: str, problems: frozenset[str]) -> frozenset[str]:
    """The problems every wording of which in ``text`` is followed by 时 or 的时候."""
    found = set()
    for name in problems:
        said = [f for f in PROBLEMS[name] if f in text]
        if all(re.search(re.escape(f) + r"(?!的?时)", text) is None for f in said):
            found.add(name)
    return frozenset(found)


def read_issue(subject: str, description: str, order_no: str | None) -> IssueText:
    text = _fold(f"{subject} {description}")
    number = order_no or next(iter(_ORDER_IN_TEXT.findall(text)), None)
    problems = _concepts(text, PROBLEMS)
    return IssueText(
        text=text,
        order_no=number.upper() if number else None,
        problems=problems,
        things=_concepts(text, THINGS),
        moments=_moments(text, problems),
    )


def _main(issue: IssueText) -> frozenset[str]:
    """What an issue is about: its problems less those that only set the scene."""
    problems = issue.problems
    return (problems - CONTEXT - issue.moments) or (problems - CONTEXT) or problems


def match_issue(
    new: IssueText,
    old: IssueText,
    near_verbatim: float = NEAR_VERBATIM,
    by_meaning: bool = True,
) -> IssueMatch | None:
    """Why ``new`` is the issue of the open ticket ``old``; None when it is another."""
    if new.order_no and old.order_no and new.order_no != old.order_no:
        return None
    wording = float(fuzz.ratio(new.text, old.text))
    if wording >= near_verbatim:
        return IssueMatch(wording, f"几乎相同的描述(相似度 {wording:.0f})")
    if not by_meaning:
        return None
    new_main, old_main = _main(new), _main(old)
    shared = new_main & old_main
    same_order = bool(new.order_no and new.order_no == old.order_no)
    if shared:
        # Another problem named on each side (未发货 vs 发票) is another issue; one side
        # naming a part of the other's problems is the same one told more briefly.
        if not (new_main <= old_main or old_main <= new_main):
            return None
        problem = "、".join(sorted(shared))
        if same_order:
            return IssueMatch(90.0, f"同一订单,相同问题:{problem}")
        if new.things and old.things:
            if not new.things & old.things:
                return None  # the same problem with something else
            thing = "、".join(sorted(new.things & old.things))
            return IssueMatch(80.0, f"同一物品({thing}),相同问题:{problem}")
        return IssueMatch(70.0, f"相同问题:{problem}")
    if new.problems or old.problems:
        return None  # problems on one side or different problems: another issue
    if same_order and wording >= WORDING_ONLY:
        return IssueMatch(wording, f"同一订单,描述相近(相似度 {wording:.0f})")
    return None
