"""The blind pairs set c (tests/intake/data/issue_pairs_blind_c.json) is well formed.

Only its shape is checked here, never the matcher on it: the set was written without
reading the matcher, its lexicon or the other pair sets' contents, and is scored once by
``python bench/issue_match_eval.py --set blind_c``. Closeness to the other sets is
checked by code that reports no text, so this test cannot leak them either.
"""

from __future__ import annotations

import itertools

from issue_pairs_support import (
    DATA,
    assert_bench_pairs,
    assert_wordings_well_formed,
    customers,
    descriptions,
    normal,
    order_numbers,
    other_pair_sets,
)
from rapidfuzz import fuzz

BLIND_C = DATA / "issue_pairs_blind_c.json"
# Same wordings must be paraphrases, not near-verbatim repeats (those join on
# characters alone); and no wording may lean on a text of a set already read.
WITHIN_AN_ISSUE_BELOW = 70.0
AGAINST_OTHER_SETS_BELOW = 70.0


def test_thirty_customers_with_two_issues_of_two_to_five_wordings() -> None:
    found = customers(BLIND_C)
    assert len(found) == 30
    for issues in found:
        assert len(issues) == 2
        longer, shorter = sorted((len(wordings) for wordings in issues), reverse=True)
        assert 4 <= longer <= 5
        assert 2 <= shorter <= 3
        for wordings in issues:
            assert_wordings_well_formed(wordings)


def test_about_one_customer_in_ten_writes_english() -> None:
    english = [
        issues
        for issues in customers(BLIND_C)
        if all(w[1].isascii() for wordings in issues for w in wordings)
    ]
    assert len(english) == 3


def test_an_issues_order_numbers_agree_and_neither_issue_names_the_others() -> None:
    for issues in customers(BLIND_C):
        for (wordings, own), (_, others) in itertools.permutations(
            zip(issues, order_numbers(issues), strict=True), 2
        ):
            assert not own & others
            for number in others:
                assert all(number not in w[1] for w in wordings)


def test_pairs_counted_by_the_bench_are_as_stated() -> None:
    assert_bench_pairs("blind_c", pairs=688, same=312)


def test_an_issues_wordings_are_paraphrases_not_repeats() -> None:
    for issues in customers(BLIND_C):
        for wordings in issues:
            texts = [normal(w[1]) for w in wordings]
            closest = max(fuzz.ratio(a, b) for a, b in itertools.combinations(texts, 2))
            assert closest < WITHIN_AN_ISSUE_BELOW


def test_no_wording_repeated_here_or_close_to_another_pair_set() -> None:
    texts = descriptions(BLIND_C)
    assert len(set(texts)) == len(texts)
    for path in other_pair_sets(BLIND_C):
        seen = descriptions(path)
        # Counted, never shown: the other sets' texts stay unread.
        close = sum(
            1
            for ours in texts
            if any(fuzz.ratio(ours, theirs) >= AGAINST_OTHER_SETS_BELOW for theirs in seen)
        )
        assert close == 0, path.name
