"""How the supervisor and admin screens read what people type (lists, skill levels, dates,
working hours), and that every word they choose by a value is in the catalogue."""

from __future__ import annotations

import re

import pytest

from services.workspace import console_words
from services.workspace.console import (
    parse_dates,
    parse_levels,
    parse_windows,
    show_levels,
    show_windows,
    split_list,
)
from services.workspace.i18n import CATALOGUE
from services.workspace.pages import TEMPLATES


def test_lists_split_on_the_separators_people_type() -> None:
    assert split_list("fault, account，refund、vip；x\ny") == [
        "fault",
        "account",
        "refund",
        "vip",
        "x",
        "y",
    ]
    assert split_list("  ,, ") == [] and split_list(None) == []


def test_skill_levels_read_back_as_they_are_shown() -> None:
    assert parse_levels("fault:3, account：2, login") == {"fault": 3, "account": 2, "login": 1}
    assert parse_levels(show_levels({"fault": 3, "account": 2})) == {"fault": 3, "account": 2}
    with pytest.raises(ValueError):
        parse_levels("fault:high")


def test_dates_and_ranges_of_a_holiday_schedule() -> None:
    assert parse_dates("2027-01-01\n2027-02-06~2027-02-08") == [
        "2027-01-01",
        "2027-02-06",
        "2027-02-07",
        "2027-02-08",
    ]
    assert parse_dates("2027-10-01 至 2027-10-02") == ["2027-10-01", "2027-10-02"]
    for bad in ("2027-02-30", "2027-02-08~2027-02-06", "明天"):
        with pytest.raises(ValueError):
            parse_dates(bad)


def test_working_hours_read_back_as_they_are_shown() -> None:
    windows = parse_windows("9:00-12:00, 13:30~18:00")
    assert windows == [["09:00", "12:00"], ["13:30", "18:00"]]
    assert parse_windows(show_windows(windows)) == windows
    with pytest.raises(ValueError):
        parse_windows("nine to five")


def test_every_word_chosen_by_a_value_has_its_catalogue_entries() -> None:
    """f.word("prefix.", value) shows the value itself when a word is missing; each prefix
    the screens use must at least have words in the catalogue (both languages)."""
    assert console_words.WORDS  # imported: the words are in the catalogue
    prefixes: set[str] = set()
    for folder in ("supervisor", "admin", "console"):
        for template in (TEMPLATES / folder).rglob("*.html"):
            prefixes.update(
                re.findall(r"""f\.word\(\s*["']([a-z_.]+\.)["']""", template.read_text())
            )
    assert prefixes, "the screens choose words by value"
    for prefix in prefixes:
        keys = [key for key in CATALOGUE if key.startswith(prefix)]
        assert keys, prefix
    for key in console_words.WORDS:
        assert {"zh-CN", "en"} <= set(CATALOGUE[key]), key
