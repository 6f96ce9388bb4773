"""The features of a ticket's text: character n-grams of Chinese, words of English.

Character n-grams need no segmentation dictionary (jieba's costs ~60 MB resident) and
carry typos and unseen compounds well: 登陆 and 登录 share 登.
"""

from __future__ import annotations

import re
import unicodedata

# Runs of CJK characters, and runs of Latin letters or digits.
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[a-z][a-z']*|\d+")
_EN_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "to",
        "of",
        "for",
        "and",
        "or",
        "in",
        "on",
        "at",
        "it",
        "my",
        "i",
        "me",
        "we",
        "our",
        "you",
        "your",
        "this",
        "that",
        "with",
        "has",
        "have",
        "had",
        "but",
        "so",
        "do",
        "does",
        "did",
    ]
)


def normalise(text: str) -> str:
    """Full-width forms folded (ＡＢＣ, ！), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def features(text: str) -> list[str]:
    """Distinct features of a text, in a stable order."""
    text = normalise(text)
    found: dict[str, None] = {}
    for run in _CJK_RUN.findall(text):
        padded = f"^{run}$"
        for n in (1, 2, 3):
            for i in range(len(padded) - n + 1):
                gram = padded[i : i + n]
                if gram not in ("^", "$"):
                    found[gram] = None
    words = [w for w in _WORD.findall(text) if w not in _EN_STOP]
    for i, word in enumerate(words):
        found["w:" + (word[:6] if not word.isdigit() else "#")] = None
        if i:
            found["w:" + words[i - 1][:6] + "_" + word[:6]] = None
    return list(found)
