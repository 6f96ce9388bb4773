"""The blind pairs set b (tests/intake/data/issue_pairs_blind_b.json) is well formed.

Only its shape is checked here, never the matcher on it: the set was written without
reading the matcher, its lexicon or the other pair sets' contents, and is scored once by
``python bench/issue_match_eval.py --set blind_b``.
"""

from __future__ import annotations

import itertools

from issue_pairs_support import (
    DATA,
    assert_bench_pairs,
    assert_wordings_well_formed,
    customers,
    descriptions,
    order_numbers,
    other_pair_sets,
)

BLIND_B = DATA / "issue_pairs_blind_b.json"


def test_every_wording_is_subject_description_and_order_number() -> None:
    found = customers(BLIND_B)
    assert len(found) == 26
    for issues in found:
        assert len(issues) >= 2
        for wordings in issues:
            assert len(wordings) >= 2
            assert_wordings_well_formed(wordings)


def test_an_issues_order_numbers_agree_and_two_issues_never_share_one() -> None:
    for issues in customers(BLIND_B):
        for first, second in itertools.combinations(order_numbers(issues), 2):
            assert not first & second


def test_pairs_counted_by_the_bench_are_as_stated() -> None:
    assert_bench_pairs("blind_b", pairs=462, same=230)


def test_no_wording_repeated_here_or_taken_from_another_pair_set() -> None:
    texts = descriptions(BLIND_B)
    assert len(set(texts)) == len(texts)
    for path in other_pair_sets(BLIND_B):
        assert not set(descriptions(path)) & set(texts), path.name
