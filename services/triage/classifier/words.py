"""Triage's jieba tokenizer, shared by the rules (keywords as words) and the classifier
(word features): one dictionary in memory, one segmentation cache."""

from __future__ import annotations

from functools import lru_cache

from shared import segmentation

# Triage's own tokenizer: words another part of the process adds to jieba's global
# dictionary (jieba.add_word) must not change how rules and articles match.
_TOKENIZER = segmentation.tokenizer()


def load_dictionary() -> None:
    """Load jieba's dictionary now (about a second) rather than on the first ticket."""
    _TOKENIZER.initialize()


# A ticket's text is segmented by its rules and by the model's features, then never again:
# a few recent texts are enough (each kept text holds its words; 4,096 of them cost triage
# megabytes it needs under 150 MiB). Keywords are segmented once by their own cache.
@lru_cache(maxsize=64)
def segment(text: str) -> tuple[str, ...]:
    """jieba's words of a text, lower-cased, without blanks and punctuation."""
    return tuple(
        w.strip().lower()
        for w in _TOKENIZER.lcut(text)
        if w.strip() and (w.strip().isalnum() or len(w.strip()) > 1)
    )
