"""The blind pair sets c and d (tests/intake/data/issue_pairs_blind_{c,d}.json) are well
formed: both have the same shape (30 customers, two issues each, three in English).

Only their shape is checked here, never the matcher on them: each set was written without
reading the matcher, its lexicon or the other pair sets' contents, and is scored once by
``python bench/issue_match_eval.py --set blind_c`` (or ``blind_d``). Closeness to the other sets is
checked by code that reports no text, so this test cannot leak them either.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from issue_pairs_support import (
    DATA,
    assert_bench_pairs,
    assert_wordings_well_formed,
    close_to_other_sets,
    closest_within_an_issue,
    customers,
    descriptions,
    order_numbers,
)

# name: (pairs, of them the same issue), as the bench counts them
BLIND_SETS = {"blind_c": (688, 312), "blind_d": (578, 270)}
# Same wordings must be paraphrases, not near-verbatim repeats (those join on
# characters alone); and no wording may lean on a text of a set already read.
WITHIN_AN_ISSUE_BELOW = 70.0
AGAINST_OTHER_SETS_BELOW = 70.0

# blind_d's writer read no pair set, yet three of its everyday wordings (an invoice asked
# for, a parcel signed for but not received, a fridge that no longer cools) come within 70
# of earlier sets' wordings: the same ordinary sentence written twice, counted here so
# that another would fail.
CLOSE_BY_CHANCE = {
    ("blind_d", "issue_pairs.json"): 2,
    ("blind_d", "issue_pairs_own_2026-12-02.json"): 1,
}

blind_sets = pytest.mark.parametrize("name", sorted(BLIND_SETS))


def _path(name: str) -> Path:
    return DATA / f"issue_pairs_{name}.json"


@blind_sets
def test_thirty_customers_with_two_issues_of_two_to_five_wordings(name: str) -> None:
    found = customers(_path(name))
    assert len(found) == 30
    for issues in found:
        assert len(issues) == 2
        longer, shorter = sorted((len(wordings) for wordings in issues), reverse=True)
        assert 4 <= longer <= 5
        assert 2 <= shorter <= 3
        for wordings in issues:
            assert_wordings_well_formed(wordings)


@blind_sets
def test_about_one_customer_in_ten_writes_english(name: str) -> None:
    english = [
        issues
        for issues in customers(_path(name))
        if all(w[1].isascii() for wordings in issues for w in wordings)
    ]
    assert len(english) == 3


@blind_sets
def test_an_issues_order_numbers_agree_and_neither_issue_names_the_others(name: str) -> None:
    for issues in customers(_path(name)):
        for (wordings, own), (_, others) in itertools.permutations(
            zip(issues, order_numbers(issues), strict=True), 2
        ):
            assert not own & others
            for number in others:
                assert all(number not in w[1] for w in wordings)


@blind_sets
def test_pairs_counted_by_the_bench_are_as_stated(name: str) -> None:
    pairs, same = BLIND_SETS[name]
    assert_bench_pairs(name, pairs=pairs, same=same)


@blind_sets
def test_an_issues_wordings_are_paraphrases_not_repeats(name: str) -> None:
    assert closest_within_an_issue(_path(name)) < WITHIN_AN_ISSUE_BELOW


@blind_sets
def test_no_wording_repeated_here_or_close_to_another_pair_set(name: str) -> None:
    texts = descriptions(_path(name))
    assert len(set(texts)) == len(texts)
    for other, close in close_to_other_sets(_path(name), AGAINST_OTHER_SETS_BELOW).items():
        assert close == CLOSE_BY_CHANCE.get((name, other), 0), other
