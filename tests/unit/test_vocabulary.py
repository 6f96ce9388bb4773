"""The one copy of the closed vocabularies (shared/vocabulary.py)."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from shared import vocabulary
from shared.vocabulary import (
    CATEGORIES,
    CHANNELS,
    CHAT_CHANNELS,
    CUSTOMER_TYPES,
    PRIORITIES,
    SCENES,
    TICKET_STATUSES,
    Vocabulary,
)


@pytest.mark.parametrize(
    ("literal", "words"),
    [
        (vocabulary.Channel, CHANNELS),
        (vocabulary.Category, CATEGORIES),
        (vocabulary.Scene, SCENES),
        (vocabulary.Priority, PRIORITIES),
        (vocabulary.CustomerType, CUSTOMER_TYPES),
        (vocabulary.TicketStatus, TICKET_STATUSES),
    ],
)
def test_each_literal_names_the_keys_of_its_vocabulary_in_order(
    literal: Any, words: Vocabulary
) -> None:
    assert get_args(literal) == words.keys


def test_spec_keys_are_all_there() -> None:
    """SPEC §1: the six categories, three scenes and three priorities; seven channels."""
    assert set(CATEGORIES.keys) == {
        "inquiry",
        "complaint",
        "fault",
        "suggestion",
        "after_sales",
        "customization",
    }
    assert SCENES.keys == ("pre_sale", "in_sale", "after_sale")
    assert PRIORITIES.keys == ("P0", "P1", "P2")
    assert len(CHANNELS) == 7


def test_every_term_has_both_labels_and_keys_are_unique() -> None:
    for words in vocabulary.VOCABULARIES:
        assert len(set(words.keys)) == len(words), words.name
        for term in words:
            assert term.zh and term.en, (words.name, term.key)


def test_labels_in_both_languages_and_an_unknown_key_shown_as_it_is() -> None:
    assert CATEGORIES.label("fault") == "故障报修"
    assert CATEGORIES.label("fault", "en") == "fault"
    assert CHANNELS.label("social", "zh") == "社交媒体"
    assert CHANNELS.label("fax") == "fax"
    assert CHANNELS.label(None) == ""
    assert "fax" not in CHANNELS and "phone" in CHANNELS
    assert vocabulary.labels("en")["priority"]["P0"] == "P0 urgent"


def test_status_order_is_the_lifecycle() -> None:
    rank = TICKET_STATUSES.rank
    assert rank("received") < rank("triaged") < rank("queued") < rank("assigned")
    assert rank("assigned") < rank("in_progress") < rank("reopened") < rank("resolved")
    assert rank("resolved") < rank("closed")
    assert rank("escalated_to_mars") == -1 and rank(None) == -1
    assert set(vocabulary.OPEN_STATUSES) | vocabulary.DONE_STATUSES == set(TICKET_STATUSES.keys)
    assert PRIORITIES.rank("P0") < PRIORITIES.rank("P1") < PRIORITIES.rank("P2")


def test_chat_channels_are_channels_and_include_social_messages() -> None:
    assert set(CHAT_CHANNELS) <= set(CHANNELS.keys)
    assert "social" in CHAT_CHANNELS and "phone" not in CHAT_CHANNELS


def test_describe_lists_keys_with_chinese_labels() -> None:
    assert CHANNELS.describe().startswith("`phone` (电话), `web_chat` (网页在线)")
