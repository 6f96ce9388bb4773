"""Chinese word segmentation for the services that read ticket text (triage, analytics): one
small dictionary, and jieba's TF-IDF weights for its words only.

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
from dataclasses import dataclass
from pathlib import Path

import jieba

jieba.setLogLevel(logging.WARNING)

DICTIONARY = Path(__file__).parent / "data" / "jieba-small.txt"
SERVICE_WORDS = Path(__file__).parent / "data" / "jieba-service-words.txt"
# jieba.analyse's IDF table, read here without importing jieba.analyse.
_IDF_TABLE = Path(jieba.__file__).parent / "analyse" / "idf.txt"
# jieba.analyse's default stop words: its TF-IDF skips them, and so does this one.
_TFIDF_STOP_WORDS = frozenset(
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


@dataclass(frozen=True)
class InverseFrequencies:
    """jieba's IDF weights of a dictionary's words, and the weight of any other word."""

    weights: dict[str, float]
    median: float


def inverse_frequencies(words: jieba.Tokenizer) -> InverseFrequencies:
    """jieba's IDF table for the words that ``words``' dictionary holds; every other word
    weighs the median of the whole table, as jieba.analyse weighs a word it does not know."""
    words.check_initialized()
    every = array("d")
    kept: dict[str, float] = {}
    with _IDF_TABLE.open(encoding="utf-8") as table:
        for line in table:
            word, _, value = line.strip().partition(" ")
            if not value:
                continue
            weight = float(value)
            every.append(weight)
            if words.FREQ.get(word):
                kept[word] = weight
    return InverseFrequencies(kept, sorted(every)[len(every) // 2])


def keyword_weights(
    words: jieba.Tokenizer, text: str, top: int, idf: InverseFrequencies
) -> list[tuple[str, float]]:
    """The ``top`` words of ``text`` by TF-IDF, heaviest first: what
    ``jieba.analyse.extract_tags(text, topK=top, withWeight=True)`` computes, over
    ``words`` and ``idf`` instead of jieba's global dictionary and table."""
    counts = Counter(
        w for w in words.cut(text) if len(w.strip()) >= 2 and w.lower() not in _TFIDF_STOP_WORDS
    )
    total = sum(counts.values())
    # n * (idf / total), in jieba's order, so the weights equal its to the last bit.
    weighted = {w: n * (idf.weights.get(w, idf.median) / total) for w, n in counts.items()}
    return sorted(weighted.items(), key=lambda item: item[1], reverse=True)[:top]
