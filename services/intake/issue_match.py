"""One issue, one ticket on meaning: is a new request the same issue as an open ticket?

Two requests of one customer are the same issue when they name the same kind of
problem (charging, delivery delay, refund, login …, services/intake/issue_lexicon.py)
about the same thing (earphones, the order, the account …), or when they are
near-verbatim repeats. Kinds are found by their everyday wordings, so 耳机充不进电 and
蓝牙耳机插上充电线一点反应都没有 are both "charging" of "earphones"; a fault said without
its kind (没反应, 坏了) joins a named fault of the same thing. Texts whose kind is not
known on one side are compared by their character bigrams less the things they name.
Two different order numbers (SO20261122001, PO-8812) are two issues; the same order
number is one, unless each text names another problem; so is the same amount or
reference (1280) when no other problem is named. Every decision says why, in the words
an agent reads on the timeline ("同一订单,相同问题:未发货").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from services.intake.issue_lexicon import CONTEXT, PART_OF, PROBLEMS, REQUESTS, THINGS, WEAK

NEAR_VERBATIM = 85.0
# Bigram overlap (Dice, 0-1) of two texts less their things, when a kind is unknown.
SIMILAR = 0.33
# The same order number and texts at least this alike are one issue (two unrelated
# questions about one order stay two tickets).
SIMILAR_SAME_ORDER = 0.2
GENERIC = "故障"

# An order, purchase-order or case number: 8+ digits, or letters, an optional dash and
# 4+ digits (PO-8812, SO20261122001); read in upper case without its dash.
_ORDER_IN_TEXT = re.compile(
    r"(?<![a-z0-9-])([a-z]{0,4}\d{8,20}|[a-z]{1,4}-?\d{4,20})(?![0-9])", re.IGNORECASE
)
_KINDS = {name: re.compile("|".join(forms)) for name, forms in PROBLEMS.items()}
_THING_OF = {form: name for name, forms in THINGS.items() for form in forms}
_THINGS = re.compile("|".join(re.escape(f) for f in sorted(_THING_OF, key=len, reverse=True)))
# Words that say nothing of the problem, left out of the bigrams.
_FILLER = re.compile(
    r"[\s\W\d_]+|请问|麻烦|帮我|我的|我们|你们|一下|一直|怎么|什么|时候|能不能|可以|是不是|还是|"
    r"[我你的了吗呢吧啊呀在是有就都也还想要把给这那个一]"
)


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
    # Character bigrams of the text less its things and filler words.
    grams: frozenset[str] = frozenset()
    # The numbers it names (a model, an amount, a date).
    numbers: frozenset[str] = frozenset()


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def _problems(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The kinds named, and those every wording of which is followed by 时 or 的时候."""
    found: set[str] = set()
    moments: set[str] = set()
    for name, pattern in _KINDS.items():
        hits = list(pattern.finditer(text))
        if not hits:
            continue
        found.add(name)
        if all(re.match(r"的?时", text[hit.end() :]) for hit in hits):
            moments.add(name)
    return frozenset(found), frozenset(moments)


def _grams(text: str) -> frozenset[str]:
    rest = _FILLER.sub(" ", _THINGS.sub(" ", text))
    return frozenset(part[i : i + 2] for part in rest.split() for i in range(max(len(part) - 1, 1)))


@lru_cache(maxsize=4096)
def read_issue(subject: str, description: str, order_no: str | None) -> IssueText:
    text = _fold(f"{subject} {description}")
    number = order_no or next(iter(_ORDER_IN_TEXT.findall(text)), None)
    # Kinds are read without the things' names: 热水器 says nothing of hot water.
    problems, moments = _problems(_THINGS.sub(" ", text))
    things = {_THING_OF[m] for m in _THINGS.findall(text)}
    things -= {PART_OF[t] for t in things if t in PART_OF}
    return IssueText(
        text=text,
        order_no=number.upper().replace("-", "") if number else None,
        problems=problems,
        things=frozenset(things),
        moments=moments,
        grams=_grams(text),
        numbers=frozenset(re.findall(r"\d+", text)),
    )


def _main(issue: IssueText) -> frozenset[str]:
    """What an issue is about: its problems less those that only set the scene."""
    problems = issue.problems
    return (
        (problems - CONTEXT - issue.moments)
        or (problems - CONTEXT)
        or (problems - WEAK)
        or problems
    )


def _similarity(new: IssueText, old: IssueText) -> float:
    if not new.grams or not old.grams:
        return 0.0
    return 2 * len(new.grams & old.grams) / (len(new.grams) + len(old.grams))


def _joined(problem: str, same_order: bool, things: frozenset[str], score: float) -> IssueMatch:
    if same_order:
        return IssueMatch(score + 10, f"同一订单,相同问题:{problem}")
    if things:
        return IssueMatch(score, f"同一物品({'、'.join(sorted(things))}),相同问题:{problem}")
    return IssueMatch(score - 10, f"相同问题:{problem}")


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
    if new.things and old.things and not new.things & old.things:
        return None  # the same problem with something else
    things = new.things & old.things
    same_order = bool(new.order_no and new.order_no == old.order_no)
    new_main, old_main = _main(new), _main(old)
    shared = new_main & old_main
    if shared:
        # Another problem named on each side (未发货 vs 发票) is another issue; one side
        # naming a part of the other's problems is the same one told more briefly.
        if not (new_main <= old_main or old_main <= new_main):
            return None
        return _joined("、".join(sorted(shared)), same_order, things, 80.0)
    if new_main and old_main:
        # A fault said without its kind (坏了, 没反应) is the named fault of the same thing.
        for generic, named in ((new_main, old_main), (old_main, new_main)):
            if generic == {GENERIC} and things and not named & REQUESTS:
                return _joined("、".join(sorted(named)), same_order, things, 70.0)
        return None  # different problems: another issue
    if new.numbers and old.numbers and not new.numbers & old.numbers:
        return None  # alike in words but about other numbers (a model, an amount)
    figures = {n for n in new.numbers & old.numbers if len(n) >= 3}
    if figures:
        # The same amount or reference (1280, 356) with no other problem named.
        return IssueMatch(70.0, f"同一数额或编号({'、'.join(sorted(figures))}),未提到其他问题")
    similarity = _similarity(new, old)
    if similarity >= SIMILAR or (same_order and similarity >= SIMILAR_SAME_ORDER):
        where = "同一订单," if same_order else ""
        return IssueMatch(60.0 + 20 * similarity, f"{where}描述相近(相似度 {similarity:.2f})")
    return None
