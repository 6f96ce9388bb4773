"""Chinese word segmentation for the services that read ticket text (triage, analytics): one
small dictionary, and jieba's TF-IDF over it.

jieba's own dictionary (349,046 words) costs about 60 MiB resident, and ``import
jieba.analyse`` another 95 (it builds its IDF table on import). The subset here (66,675
words seen at least 30 times; ``scripts/segmentation_dictionary.py``) costs about 10 MiB
and segments tickets' words the same (rare words fall back to jieba's HMM), so a service
stays under 150 MiB with it loaded. Analytics adds the rarer words jieba finds in
tickets (客服, 退款, 换货 …) so that its report keywords name them whole.
"""

from __future__ import annotations

import logging
from array import array
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import jieba

jieba.setLogLevel(logging.WARNING)

DICTIONARY = Path(__file__).parent / "data" / "jieba-small.txt"
SERVICE_WORDS = Path(__file__).parent / "data" / "jieba-service-words.txt"
# jieba.analyse's IDF table, read here without importing jieba.analyse.
_IDF_TABLE = Path(jieba.__file__).parent / "analyse" / "idf.txt"
# jieba.analyse's default stop words: its TF-IDF skips them, and so does this one.
_STOP_WORDS = frozenset(
    (
        "the",
        "of",
        "is",
        "and",
        "to",
        "in",
        "that",
        "we",
        "for",
        "an",
        "are",
        "by",
        "be",
        "as",
        "on",
        "with",
        "can",
        "if",
        "from",
        "which",
        "you",
        "it",
        "this",
        "then",
        "at",
        "have",
        "all",
        "not",
        "one",
        "has",
        "or",
    )
)


def tokenizer(*, service_words: bool = False) -> jieba.Tokenizer:
    """A tokenizer of its own over the small dictionary (and the service words: its
    dictionary is then loaded now, about a second): words a service adds to it
    (``add_word``) change neither jieba's global tokenizer nor another module's."""
    words = jieba.Tokenizer(dictionary=str(DICTIONARY))
    if service_words:
        words.load_userdict(str(SERVICE_WORDS))
    return words


def keyword_weights(
    words: jieba.Tokenizer, texts: Sequence[str], top: int
) -> list[list[tuple[str, float]]]:
    """For each of ``texts``, its ``top`` words by TF-IDF, heaviest first: what
    ``jieba.analyse.extract_tags(text, topK=top, withWeight=True)`` computes, with ``words``
    instead of jieba's global tokenizer. jieba's IDF table is read for these texts' words
    only: held whole it would cost a service about 12 MiB for a report now and then."""
    counts = [
        Counter(w for w in words.cut(text) if len(w.strip()) >= 2 and w.lower() not in _STOP_WORDS)
        for text in texts
    ]
    idf, median = _inverse_frequencies(set().union(*counts))
    out = []
    for seen in counts:
        total = sum(seen.values())
        # n * (idf / total), in jieba's order, so the weights equal its to the last bit.
        weighted = {w: n * (idf.get(w, median) / total) for w, n in seen.items()}
        out.append(sorted(weighted.items(), key=lambda item: item[1], reverse=True)[:top])
    return out


def _inverse_frequencies(wanted: set[str]) -> tuple[dict[str, float], float]:
    """jieba's IDF weights of the ``wanted`` words it has, and the median of its whole
    table: the weight jieba.analyse gives a word it does not know."""
    every = array("d")
    kept: dict[str, float] = {}
    with _IDF_TABLE.open(encoding="utf-8") as table:
        for line in table:
            word, _, value = line.strip().partition(" ")
            if not value:
                continue
            weight = float(value)
            every.append(weight)
            if word in wanted:
                kept[word] = weight
    return kept, sorted(every)[len(every) // 2]
