"""One issue, one ticket: a pair model, trained on labelled pairs, decides on meaning.

The lexicon of problem kinds (issue_lexicon.py) knows only the words written into it;
on two blind sets it joined a quarter to a half of the same-issue pairs. Here 100
gradient-boosted trees of depth 3 over features of the two texts decide (v1 and v2
were a logistic regression over the same kind of features): how alike their
characters are (1-3-gram TF-IDF cosine, the IDF from the training texts; the rarest
characters both share), what the lexicon reads in each (the same kind, conflicting
kinds, one side unknown), orders and amounts, follow-up and question cues, who wrote
each text and in which language. Trees can weigh the cues together (how alike two
texts must be may depend on who wrote each), which a sum of weights cannot. Trained by
services/intake/pair_training.py; the service scores it in pure Python from
data/pair_model.json.gz (the trees' 1,484 nodes and the IDF table): no scikit-learn, no
jieba (its dictionary costs ~10 MB, and intake must stay under 150 MiB).
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

# The features' and the model's version: a file of another is refused, not misread (2: who
# wrote each text, its language, how-to questions; 3: boosted trees over those features,
# not a logistic regression; both 2026-12-04).
FORMAT = "sopdesk-pair-trees-3"
SHIPPED_FILE = "data/pair_model.json.gz"

# A customer coming back to the same issue: "still", "again", "the one I said".
_FOLLOW_UP = re.compile(
    r"还是|还没|怎么还|又|上次|之前|刚才|那个事|那件事|那单|进度|催|追问|到底|怎么样了|说的|"
    r"再次|第二次|依然|仍然|一直没|still|again|follow|update|already|any news|"
    r"^(re|fw|fwd|回复|答复|转发) ?:"
)
_QUESTION = re.compile(r"[??]|吗|能不能|可不可以|可以.{0,8}吗|如何|怎么办|how |can i|could")
_NEGATION = re.compile(r"不|没|无|未|n't|not |no ")
# An agent's note of a call or a chat, in the third person (客户来电称…, customer reports):
# its words are the agent's, not the customer's, so it shares fewer of them.
_REPORTED = re.compile(
    r"^(客户|用户|患者|家属|车主|学员|乘客|顾客|业主|家长|会员|买家|商家|商户|租客|住户|旅客|"
    r"投保人|持卡人|来电|致电)|客户(来电|致电|称|反映|反馈|表示|投诉|咨询|询问|要求|申请)|"
    r"(来电|致电)(称|反映|表示)|^(customer|caller|user|client) (reports|says|called|states)|"
    r"^follow-up call"
)
# Asking how to do something or what it takes (怎么开发票, 要哪些材料, can I …): a request
# for information, not a fault or a chase, even of the same thing.
_ASKS_HOW = re.compile(
    r"怎么(办理|办|开|申请|操作|用|弄|买|设置|改|领|查|预约|退|换|交)|如何|流程|手续|"
    r"(需要|要|准备)(哪些|什么)|所需|咨询|想了解|想问|想知道|培训|教程|说明书|建议|能否|"
    r"能不能(帮|给|开|安排|加|出)|可以.{0,6}吗|how (do|to|can|much|long)|can i|could i|"
    r"is it possible|what do i need|suggest"
)


def reported(text: str) -> bool:
    return bool(_REPORTED.search(text))


def asks_how(text: str) -> bool:
    return bool(_ASKS_HOW.search(text))


def english(text: str) -> bool:
    """Mostly Latin letters: another language than the Chinese of most tickets."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) > 0.6 * len(letters)


def follow_up(text: str) -> bool:
    return bool(_FOLLOW_UP.search(text))


def question(text: str) -> bool:
    return bool(_QUESTION.search(text))


def negated(text: str) -> bool:
    return bool(_NEGATION.search(text))


def char_grams(text: str) -> dict[str, int]:
    """Character 1-3-grams of each run of letters, Chinese characters or digits; an
    English word counts as one gram (its letters say little one by one)."""
    found: dict[str, int] = {}
    for part in re.findall(r"[a-z]+|\d+|[^\W\d_a-z]+", text):
        if part.isascii():
            found[part] = found.get(part, 0) + 1
            continue
        for n in (1, 2, 3):
            for i in range(len(part) - n + 1):
                gram = part[i : i + n]
                found[gram] = found.get(gram, 0) + 1
    return found


# One node of a regression tree: the feature it splits on ("" at a leaf), the split
# (a value at most this goes left), the two children's indexes, and the node's value
# (at a leaf its output; above, the mean output of the pairs that reached it in
# training, so that each split's step can be laid to its feature).
Node = tuple[str, float, int, int, float]


@dataclass(frozen=True)
class PairModel:
    weights: Mapping[str, float]
    intercept: float
    # Joined when the probability is at least this (chosen by grouped cross-validation
    # for precision >= 0.95).
    threshold: float
    idf: Mapping[str, float]
    # The IDF of a gram no training text had.
    unseen_idf: float
    metrics: Mapping[str, Any]
    # Gradient-boosted trees over the features; their outputs add to the intercept (log
    # odds). Without trees, the weights are a logistic regression's.
    trees: tuple[tuple[Node, ...], ...] = ()

    def idf_of(self, gram: str) -> float:
        return self.idf.get(gram, self.unseen_idf)

    @cached_property
    def _split_on(self) -> tuple[str, ...]:
        """The features the trees split on, in the order of _indexed's numbers."""
        return tuple(sorted({node[0] for tree in self.trees for node in tree if node[0]}))

    @cached_property
    def _indexed(self) -> tuple[tuple[tuple[int, float, int, int, float], ...], ...]:
        """The trees with each feature's name as its place in _split_on (-1 at a leaf): a
        pair's features are read once into a list, not looked up at every split."""
        place = {name: i for i, name in enumerate(self._split_on)}
        return tuple(
            tuple((place.get(f, -1), t, a, b, v) for f, t, a, b, v in tree) for tree in self.trees
        )

    def probability(self, features: Mapping[str, float]) -> float:
        z = self.intercept + sum(self.weights.get(k, 0.0) * v for k, v in features.items())
        if self.trees:
            x = [features.get(name, 0.0) for name in self._split_on]
            for tree in self._indexed:
                node = tree[0]
                while node[0] >= 0:
                    node = tree[node[2] if x[node[0]] <= node[1] else node[3]]
                z += node[4]
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))

    def contributions(self, features: Mapping[str, float]) -> list[tuple[float, str]]:
        """What pushed the decision, strongest towards "the same issue" first: a weight
        times its feature, or in trees each split's step along the path laid to the
        feature it splits on (they add up to the output less the trees' mean)."""
        pushes = {k: self.weights.get(k, 0.0) * v for k, v in features.items()}
        for tree in self.trees:
            node = tree[0]
            while node[0]:
                child = tree[node[2] if features.get(node[0], 0.0) <= node[1] else node[3]]
                pushes[node[0]] = pushes.get(node[0], 0.0) + child[4] - node[4]
                node = child
        # Only what the pair has can be said as a reason (a split on a flag it lacks can
        # push too: "not another order").
        return sorted(
            ((p, k) for k, p in pushes.items() if p > 0 and features.get(k)), reverse=True
        )


def to_body(model: PairModel) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "intercept": model.intercept,
        "threshold": model.threshold,
        "weights": dict(sorted(model.weights.items())),
        "unseen_idf": model.unseen_idf,
        "idf": {g: round(v, 4) for g, v in sorted(model.idf.items())},
        "metrics": dict(model.metrics),
        "trees": [[list(node) for node in tree] for tree in model.trees],
    }


def from_body(body: Mapping[str, Any]) -> PairModel:
    if body.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} model")
    return PairModel(
        weights={str(k): float(v) for k, v in body["weights"].items()},
        intercept=float(body["intercept"]),
        threshold=float(body["threshold"]),
        idf={str(k): float(v) for k, v in body["idf"].items()},
        unseen_idf=float(body["unseen_idf"]),
        metrics=body.get("metrics") or {},
        trees=tuple(
            tuple((str(f), float(t), int(a), int(b), float(v)) for f, t, a, b, v in tree)
            for tree in body.get("trees", ())
        ),
    )


def to_bytes(model: PairModel) -> bytes:
    text = json.dumps(to_body(model), ensure_ascii=False, sort_keys=True, indent=0)
    return gzip.compress(text.encode(), mtime=0)


@lru_cache(maxsize=1)
def shipped_model() -> PairModel:
    data = resources.files("services.intake").joinpath(SHIPPED_FILE).read_bytes()
    return from_body(json.loads(gzip.decompress(data)))
