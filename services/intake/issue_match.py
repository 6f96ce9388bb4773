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

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from services.intake.issue_lexicon import CONTEXT, PART_OF, PROBLEMS, REQUESTS, THINGS, WEAK
from services.intake.pair_model import (
    PairModel,
    asks_how,
    char_grams,
    english,
    follow_up,
    negated,
    question,
    reported,
    shipped_model,
)

NEAR_VERBATIM = 85.0
# Bigram overlap (Dice, 0-1) of two texts less their things, when a kind is unknown.
SIMILAR = 0.33
# The same order number and texts at least this alike are one issue (two unrelated
# questions about one order stay two tickets).
SIMILAR_SAME_ORDER = 0.2
GENERIC = "故障"
# The pair model reads the first this many characters of a subject and of a description
# (the labelled texts are below 200): the problem is said first, and a long letter's
# grams would cost memory and time for nothing.
READ_AT_MOST = 300
# A ticket message stores at most this much of why it was joined (match_reason).
REASON_LENGTH = 200

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


_COURTESY = re.compile(
    r"(请|麻烦|希望|务必)?(你们|您)?(尽快|赶紧|抓紧)(帮我|帮忙|给我)?(处理|解决|回复|答复|跟进|核实)?|"
    r"(非常|十分)?(谢谢|感谢|多谢)(你们|您)?|麻烦了|辛苦了|急急急|在线等|"
    r"please (help|advise|reply|fix|check)|as soon as possible|asap|thanks|thank you|regards"
)
# Stripped from the ends of a shared run shown in a reason.
_EDGES = " ,.;:!?，。；：！？、"


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
    # Character 1-3-grams (English words whole) of the text less its order number.
    ngrams: Mapping[str, int] = field(default_factory=dict)
    # The same of the subject and of the description alone: a subject is often no more
    # than a channel's label or a cue (电话, 还是不行), the description says the problem.
    subject_ngrams: Mapping[str, int] = field(default_factory=dict)
    description_ngrams: Mapping[str, int] = field(default_factory=dict)
    # What a model made of them (_weighted): not part of what the text says.
    weighted: dict[str, tuple[PairModel, dict[str, float], float]] = field(
        default_factory=dict, compare=False, repr=False
    )
    follow_up: bool = False  # 还是不行, 怎么还没, still
    question: bool = False
    negated: bool = False
    reported: bool = False  # an agent's note (客户来电称…)
    asks_how: bool = False  # 怎么开发票, 要哪些材料
    english: bool = False


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


def _words_of(part: str) -> str:
    """A subject or description as the pair model reads it: folded, to its first
    characters, without its order number or the courtesies any request may close with
    (请尽快处理, 谢谢): the labelled texts seldom have them, so their grams would read as
    the rarest two texts share."""
    return _COURTESY.sub(" ", _ORDER_IN_TEXT.sub(" ", _fold(part[:READ_AT_MOST])))


def _grams(text: str) -> frozenset[str]:
    rest = _FILLER.sub(" ", _THINGS.sub(" ", text))
    return frozenset(part[i : i + 2] for part in rest.split() for i in range(max(len(part) - 1, 1)))


# Each reading keeps its grams and, once compared, the model's vectors of them (about
# 16 KiB for a text of 25 characters, 0.3 MiB at READ_AT_MOST): 256 of the labelled texts
# hold 4 MiB (4,096 readings of the lexicon's took 12). Intake must stay under 150 MiB.
@lru_cache(maxsize=256)
def read_issue(subject: str, description: str, order_no: str | None) -> IssueText:
    text = _fold(f"{subject} {description}")
    number = order_no or next(iter(_ORDER_IN_TEXT.findall(text)), None)
    # Kinds are read without the things' names: 热水器 says nothing of hot water.
    problems, moments = _problems(_THINGS.sub(" ", text))
    things = {_THING_OF[m] for m in _THINGS.findall(text)}
    things -= {PART_OF[t] for t in things if t in PART_OF}
    heading = char_grams(_words_of(subject))
    body = char_grams(_words_of(description))
    return IssueText(
        text=text,
        order_no=number.upper().replace("-", "") if number else None,
        problems=problems,
        things=frozenset(things),
        moments=moments,
        grams=_grams(_fold(f"{subject[:READ_AT_MOST]} {description[:READ_AT_MOST]}")),
        numbers=frozenset(re.findall(r"\d+", text)),
        # The two are folded apart and joined by a space, so no gram spans both.
        ngrams={g: heading.get(g, 0) + body.get(g, 0) for g in heading.keys() | body.keys()},
        subject_ngrams=heading,
        description_ngrams=body,
        follow_up=follow_up(text),
        question=question(text),
        negated=negated(text),
        reported=reported(text),
        asks_how=asks_how(text),
        english=english(text),
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


def lexicon_match(new: IssueText, old: IssueText) -> IssueMatch | None:
    """The lexicon's reading of two texts of one customer (orders already agree): the
    same kind of problem about the same thing, a fault said without its kind, the same
    amount, or texts alike in their bigrams. The pair model weighs it with the rest."""
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


def _weighted(issue: IssueText, part: str, model: PairModel) -> tuple[dict[str, float], float]:
    """One part's (all, subject, description) TF-IDF vector, sublinear term frequency,
    and its squared norm; or ("words") the IDF of its word-like grams and their sum. Kept
    on the issue for the model: a request is compared with each open ticket, and each of
    those with every new request."""
    kept = issue.weighted.get(part)
    if kept is not None and kept[0] is model:
        return kept[1], kept[2]
    grams = {"all": issue.ngrams, "subject": issue.subject_ngrams}.get(
        part, issue.description_ngrams
    )
    if part == "words":  # the IDF of its grams of two characters or more, and their sum
        vector = {g: model.idf_of(g) for g in issue.ngrams if len(g) > 1}
        size = sum(vector.values())
    else:
        vector = {g: (1 + math.log(c)) * model.idf_of(g) for g, c in grams.items()}
        size = sum(v * v for v in vector.values())
    issue.weighted[part] = (model, vector, size)
    return vector, size


def _cosine(new: IssueText, old: IssueText, part: str, model: PairModel) -> float:
    """TF-IDF cosine of one part of two texts."""
    (a, a2), (b, b2) = _weighted(new, part, model), _weighted(old, part, model)
    dot = sum(v * b[g] for g, v in a.items() if g in b)
    norm = math.sqrt(a2 * b2)
    return dot / norm if norm else 0.0


def _rarest_shared(new: IssueText, old: IssueText, model: PairModel) -> tuple[float, str]:
    """The rarest word-like gram (two or three characters, or an English word) both
    texts name, and its IDF over the model's unseen IDF (0-1)."""
    shared = [g for g in new.ngrams.keys() & old.ngrams.keys() if len(g) > 1 and not g.isdigit()]
    if not shared:
        return 0.0, ""
    best = max(shared, key=lambda g: (model.idf_of(g), len(g), g))
    return model.idf_of(best) / model.unseen_idf, best


def _shared_run(gram: str, one: str, other: str, longest: int = 12) -> str:
    """The gram grown to the run of characters around it that both texts share, for a
    reason a person can read: 设备昨天起无法开机, not 起无法."""
    start = one.find(gram)
    if not gram or start < 0:
        return gram
    low, high = start, start + len(gram)
    while high - low < longest:
        if low > 0 and one[low - 1 : high] in other:
            low -= 1
        elif high < len(one) and one[low : high + 1] in other:
            high += 1
        else:
            break
    return one[low:high].strip(_EDGES) or gram


def _covered(one: IssueText, other: IssueText, model: PairModel) -> float:
    """The share of one text's word-like grams (by IDF) the other names too."""
    idf, total = _weighted(one, "words", model)
    return sum(v for g, v in idf.items() if g in other.ngrams) / total if total else 0.0


def pair_features(new: IssueText, old: IssueText, model: PairModel) -> dict[str, float]:
    """The pair model's features of two texts of one customer, each 0-1."""
    covered = (_covered(new, old, model), _covered(old, new, model))
    found: dict[str, float] = {
        "wording": fuzz.ratio(new.text, old.text) / 100,
        "partial_wording": fuzz.partial_ratio(new.text, old.text) / 100,
        "bigram_dice": _similarity(new, old),
        "tfidf_cosine": _cosine(new, old, "all", model),
        "description_cosine": _cosine(new, old, "description", model),
        "subject_cosine": _cosine(new, old, "subject", model),
        "rarest_shared": _rarest_shared(new, old, model)[0],
        "covered_most": max(covered),
        "covered_least": min(covered),
        "length_ratio": min(len(new.text), len(old.text)) / max(len(new.text), len(old.text), 1),
    }
    flags = {
        "same_order": bool(new.order_no and new.order_no == old.order_no),
        "one_order_only": bool(new.order_no) != bool(old.order_no),
        "same_figure": any(len(n) >= 3 for n in new.numbers & old.numbers),
        "other_numbers": bool(new.numbers and old.numbers and not new.numbers & old.numbers),
        "same_thing": bool(new.things & old.things),
        "other_thing": bool(new.things and old.things and not new.things & old.things),
        "follow_up_one": new.follow_up != old.follow_up,
        "follow_up_both": new.follow_up and old.follow_up,
        "question_both": new.question and old.question,
        "question_one": new.question != old.question,
        "negated_both": new.negated and old.negated,
        "lexicon_joined": lexicon_match(new, old) is not None,
        "subject_missing": not new.subject_ngrams or not old.subject_ngrams,
    }
    new_main, old_main = _main(new), _main(old)
    shared = new_main & old_main
    flags |= {
        "same_kind": bool(shared),
        "kind_within": bool(shared) and (new_main <= old_main or old_main <= new_main),
        "other_kinds": bool(new_main and old_main and not shared),
        "kind_unknown_one": bool(new_main) != bool(old_main),
        "kind_unknown_both": not new_main and not old_main,
    }
    # An agent's note beside the customer's own words, or English beside Chinese, shares
    # fewer characters for the same issue; a how-to question beside a fault or a chase of
    # the same thing is most often another issue.
    flags |= {
        "reported_one": new.reported != old.reported,
        "reported_both": new.reported and old.reported,
        "english_one": new.english != old.english,
        "english_both": new.english and old.english,
        "asks_how_one": new.asks_how != old.asks_how,
        "asks_how_both": new.asks_how and old.asks_how,
    }
    found |= {name: 1.0 for name, on in flags.items() if on}
    # How much alike the two must be depends on who wrote each and in which language.
    for cue in ("reported_one", "english_one"):
        if cue in found:
            found[f"{cue}*cosine"] = found["tfidf_cosine"]
            found[f"{cue}*covered"] = found["covered_most"]
    # Which kinds go together as one issue, weighed from the labelled pairs (故障 × 充电).
    for a in new_main:
        for b in old_main:
            found["kinds:" + "|".join(sorted((a, b)))] = 1.0
    return found


# What a part of a reason says, so that no two parts say one thing twice.
_TOPIC_WORDS = {
    "同一订单": "order",
    "同一物品": "thing",
    "相同问题": "kind",
    "同一数额": "figure",
    "描述相近": "similar",
}
# Texts less alike than this (TF-IDF cosine) are not called alike in a reason.
_SAID_ALIKE = 0.25
_ALIKE = (
    "tfidf_cosine",
    "description_cosine",
    "covered_most",
    "covered_least",
    "bigram_dice",
    "partial_wording",
)


def _why(
    new: IssueText, old: IssueText, model: PairModel, features: Mapping[str, float], p: float
) -> str:
    """The strongest reasons the model joined the two, in the agent's words."""
    parts: list[str] = []
    said: set[str] = set()

    def say(topic: str, text: str) -> None:
        if topic not in said:
            parts.append(text)
            said.add(topic)
            said.update(t for word, t in _TOPIC_WORDS.items() if word in text)

    for _, name in model.contributions(features):
        if len(parts) == 3:
            break
        if name == "lexicon_joined":
            reading = lexicon_match(new, old)
            if reading is not None:
                say("lexicon", reading.reason)
        elif name == "same_order":
            say("order", "同一订单")
        elif name == "same_thing":
            say("thing", f"同一物品({'、'.join(sorted(new.things & old.things))})")
        elif name in ("same_kind", "kind_within"):
            say("kind", f"相同问题:{'、'.join(sorted(_main(new) & _main(old)))}")
        elif name == "same_figure":
            figures = sorted(n for n in new.numbers & old.numbers if len(n) >= 3)
            say("figure", f"同一数额或编号({'、'.join(figures)})")
        elif name == "rarest_shared":
            word = _shared_run(_rarest_shared(new, old, model)[1], new.text, old.text)
            if not any(word in part for part in parts):
                say("word", f"都说到「{word}」")
        elif name in _ALIKE and features["tfidf_cosine"] >= _SAID_ALIKE:
            say("similar", f"描述相近(相似度 {features['tfidf_cosine']:.2f})")
        elif name == "follow_up_one":
            say("follow_up", "像是追问")
        elif name.startswith("kinds:"):
            a, b = name.removeprefix("kinds:").split("|")
            say("kind" if a == b else name, f"相关问题:{a}、{b}" if a != b else f"相同问题:{a}")
    reason = f"同一问题(把握 {p:.2f}):{';'.join(parts) or '描述相近'}"
    return reason[:REASON_LENGTH]


def match_issue(
    new: IssueText,
    old: IssueText,
    near_verbatim: float = NEAR_VERBATIM,
    by_meaning: bool = True,
    model: PairModel | None = None,
) -> IssueMatch | None:
    """Why ``new`` is the issue of the open ticket ``old``; None when it is another.

    Two rules are policy and come first: another order number is another issue, and a
    near-verbatim repeat is the same one. Then the pair model decides (``model``, the
    shipped one unless given)."""
    if new.order_no and old.order_no and new.order_no != old.order_no:
        return None
    wording = float(fuzz.ratio(new.text, old.text))
    if wording >= near_verbatim:
        return IssueMatch(wording, f"几乎相同的描述(相似度 {wording:.0f})")
    if not by_meaning:
        return None
    model = model or shipped_model()
    features = pair_features(new, old, model)
    p = model.probability(features)
    if p < model.threshold:
        return None
    return IssueMatch(100 * p, _why(new, old, model, features, p))
