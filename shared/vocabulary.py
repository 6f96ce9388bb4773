"""The closed vocabularies every service speaks: channels, categories, scenes, priorities,
customer types and ticket statuses, each key with its Chinese and English label.

These are contracts, like the events: one copy here, read by every service. A key
never changes meaning; a new one may appear (a new channel first), so a reader
that meets a key it does not know keeps it as it is and shows the key itself
(:meth:`Vocabulary.label`). Teams are not here: they are data that dispatch owns
and announces (``team.created`` / ``team.updated`` / ``team.deleted``).

The ``Literal`` types below are the keys for HTTP input and type checking; a unit
test keeps each in step with its vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

Language = Literal["zh", "en"]

Channel = Literal["phone", "web_chat", "app", "mini_program", "email", "social", "store"]
Category = Literal["inquiry", "complaint", "fault", "suggestion", "after_sales", "customization"]
Scene = Literal["pre_sale", "in_sale", "after_sale"]
Priority = Literal["P0", "P1", "P2"]
CustomerType = Literal["new", "returning", "vip"]
TicketStatus = Literal[
    "new",
    "received",
    "triaged",
    "queued",
    "assigned",
    "in_progress",
    "reopened",
    "resolved",
    "closed",
]


@dataclass(frozen=True)
class Term:
    """One key of a vocabulary and how people say it."""

    key: str
    zh: str
    en: str

    def label(self, language: Language = "zh") -> str:
        return self.zh if language == "zh" else self.en


class Vocabulary:
    """An ordered set of terms: membership, labels, and each key's place in the order."""

    def __init__(self, name: str, *terms: Term) -> None:
        self.name = name
        self.terms = terms
        self._by_key = {term.key: term for term in terms}
        self._rank = {term.key: index for index, term in enumerate(terms)}

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(term.key for term in self.terms)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def label(self, key: str | None, language: Language = "zh") -> str:
        """The key's label; a key this version does not know is shown as it is."""
        if key is None:
            return ""
        term = self._by_key.get(key)
        return term.label(language) if term is not None else key

    def labels(self, language: Language = "zh") -> dict[str, str]:
        return {term.key: term.label(language) for term in self.terms}

    def rank(self, key: str | None) -> int:
        """The key's place in the order (0 first); -1 for a key this version does not know."""
        return self._rank.get(key, -1) if key is not None else -1

    def describe(self) -> str:
        """For OpenAPI descriptions: ``phone (电话), web_chat (网页在线), …``."""
        return ", ".join(f"`{term.key}` ({term.zh})" for term in self.terms)


CHANNELS = Vocabulary(
    "channel",
    Term("phone", "电话", "phone"),
    Term("web_chat", "网页在线", "web chat"),
    Term("app", "App", "app"),
    Term("mini_program", "小程序", "mini-program"),
    Term("email", "邮件", "e-mail"),
    Term("social", "社交媒体", "social media"),
    Term("store", "门店", "store"),
)

# Channels where the customer holds a conversation in a chat window (web and app chat,
# mini-program, social media messages): a reply goes back into that conversation, and
# agents may have a separate capacity for them.
CHAT_CHANNELS = frozenset({"web_chat", "app", "mini_program", "social"})

CATEGORIES = Vocabulary(
    "category",
    Term("inquiry", "咨询", "inquiry"),
    Term("complaint", "投诉", "complaint"),
    Term("fault", "故障报修", "fault"),
    Term("suggestion", "建议", "suggestion"),
    Term("after_sales", "售后服务", "after-sales"),
    Term("customization", "定制需求", "customization"),
)

SCENES = Vocabulary(
    "scene",
    Term("pre_sale", "售前", "pre-sale"),
    Term("in_sale", "售中", "in-sale"),
    Term("after_sale", "售后", "after-sale"),
)

# In order of urgency: P0 first.
PRIORITIES = Vocabulary(
    "priority",
    Term("P0", "P0 紧急", "P0 urgent"),
    Term("P1", "P1 重要", "P1 important"),
    Term("P2", "P2 一般", "P2 normal"),
)

CUSTOMER_TYPES = Vocabulary(
    "customer_type",
    Term("new", "新客户", "new"),
    Term("returning", "老客户", "returning"),
    Term("vip", "VIP", "VIP"),
)

# In lifecycle order: a later status is further along. Events arrive in any order, so a
# ticket's status only moves to a later one (a reopen after a resolution is the one way
# back, and each service decides when it applies).
TICKET_STATUSES = Vocabulary(
    "ticket_status",
    Term("new", "新建", "new"),
    Term("received", "已受理", "received"),
    Term("triaged", "已分类", "triaged"),
    Term("queued", "排队中", "queued"),
    Term("assigned", "已分派", "assigned"),
    Term("in_progress", "处理中", "in progress"),
    Term("reopened", "已重开", "reopened"),
    Term("resolved", "已解决", "resolved"),
    Term("closed", "已关闭", "closed"),
)
DONE_STATUSES = frozenset({"resolved", "closed"})
OPEN_STATUSES = tuple(key for key in TICKET_STATUSES.keys if key not in DONE_STATUSES)

VOCABULARIES: tuple[Vocabulary, ...] = (
    CHANNELS,
    CATEGORIES,
    SCENES,
    PRIORITIES,
    CUSTOMER_TYPES,
    TICKET_STATUSES,
)


def labels(language: Language = "zh") -> dict[str, dict[str, str]]:
    """Every vocabulary's labels, by vocabulary name (what a page needs to show codes)."""
    return {vocabulary.name: vocabulary.labels(language) for vocabulary in VOCABULARIES}
