"""The blind pair set f (tests/intake/data/issue_pairs_blind_f.json) is well formed.

Only its shape is checked here, never the matcher on it: it was written in the evening of
2026-12-04 from the SPEC and the seeds alone (no code, data or README of the project read)
and is scored once by ``python bench/issue_match_eval.py --set blind_f``. As in blind_e, a
customer may have three issues, and in twelve customers two different problems share one
order number (a hard case on purpose). Closeness to the other sets is counted, never shown.
"""

from __future__ import annotations

from issue_pairs_support import (
    DATA,
    assert_wordings_well_formed,
    bench,
    close_to_other_sets,
    closest_within_an_issue,
    customers,
    descriptions,
    order_numbers,
)

from services.intake.pair_training import SETS as TRAINING_SETS

PATH = DATA / "issue_pairs_blind_f.json"
PAIRS, SAME = 281, 99  # as the bench counts them
BELOW = 70.0  # a paraphrase, not a near-verbatim repeat; and no lean on a set already read


def test_thirty_customers_with_two_or_three_issues_of_two_to_four_wordings() -> None:
    found = customers(PATH)
    assert len(found) == 30
    assert sum(1 for issues in found if len(issues) == 3) == 3
    for issues in found:
        assert 2 <= len(issues) <= 3
        order_numbers(issues)  # an issue names one order number at the most
        for wordings in issues:
            assert 2 <= len(wordings) <= 4
            assert_wordings_well_formed(wordings)


def test_pairs_counted_by_the_bench_are_as_stated() -> None:
    module = bench()
    assert "blind_f" not in module.SETS  # the regression guard must never score it
    assert PATH.name not in TRAINING_SETS.values()  # nor may the pair model learn from it
    found = module.pairs(module.BLIND_SETS["blind_f"])
    assert len(found) == PAIRS
    assert sum(1 for _, _, same in found if same) == SAME


def test_an_issues_wordings_are_paraphrases_not_repeats() -> None:
    assert closest_within_an_issue(PATH) < BELOW


def test_no_wording_repeated_here_or_close_to_another_pair_set() -> None:
    texts = descriptions(PATH)
    assert len(set(texts)) == len(texts)
    for other, close in close_to_other_sets(PATH, BELOW).items():
        assert close == 0, other
