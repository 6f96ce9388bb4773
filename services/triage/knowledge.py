"""Knowledge-base ranking: which articles answer a question, best first."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from services.triage.rules.engine import segment

# --------------------------------------------------------------------------- knowledge base


# Words too common in questions to say what an article is about.
_STOPWORDS = frozenset(
    [
        "请问",
        "什么",
        "怎么",
        "怎么样",
        "可以",
        "需要",
        "一下",
        "多少",
        "我们",
        "你们",
        "是否",
        "如何",
        "这个",
        "那个",
        "没有",
        "还是",
        "已经",
        "时候",
        "现在",
        "能够",
        "为什么",
        "还有",
        "问题",
        "谢谢",
        "您好",
        "你好",
        "the",
        "a",
        "an",
        "is",
        "are",
        "do",
        "does",
        "how",
        "what",
        "my",
        "i",
        "to",
        "of",
        "for",
        "and",
        "or",
        "can",
    ]
)


# An article's words, kept: every ticket's suggestions read every article, and segment()'s
# own cache holds only the last few tickets' texts.
@lru_cache(maxsize=4096)
def _words_of(text: str) -> frozenset[str]:
    return frozenset(segment(text))


def rank_articles(
    query: str, articles: Sequence[tuple[Any, str, str, Sequence[str]]], limit: int = 3
) -> list[tuple[Any, float]]:
    """Rank (id, title, answer, tags) by shared jieba words; title and tags weigh more,
    and an article must share a word with its title or tags to be suggested at all."""
    words = {
        w
        for w in segment(query.lower())
        if (len(w) > 1 or (w.isascii() and w.isalnum())) and w not in _STOPWORDS
    }
    if not words:
        return []
    scored: list[tuple[Any, float]] = []
    for ident, title, answer, tags in articles:
        title_words = _words_of(title.lower())
        tag_words = {t.lower() for t in tags} | {w for t in tags for w in _words_of(t.lower())}
        answer_words = _words_of(answer.lower())
        score = 0.0
        on_topic = False  # an answer-only match is too weak to suggest the article
        for word in words:
            if word in tag_words:
                score += 3
                on_topic = True
            elif any(len(t) > 1 and (t in word or word in t) for t in tag_words):
                score += 2  # 保修期 ~ 保修
                on_topic = True
            if word in title_words:
                score += 2
                on_topic = True
            elif word in title.lower():
                score += 1
                on_topic = True
            if word in answer_words:
                score += 1
        if on_topic:
            scored.append((ident, score / len(words)))
    scored.sort(key=lambda s: -s[1])
    return scored[:limit]
