"""The blind pairs set c (tests/intake/data/issue_pairs_blind_c.json) is well formed.

Only its shape is checked here, never the matcher on it: the set was written without
reading the matcher, its lexicon or the other pair sets' contents, and is scored once by
``python bench/issue_match_eval.py --set blind_c``. Closeness to the other sets is
checked by code that reports no text, so this test cannot leak them either.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import unicodedata
from pathlib import Path
from types import ModuleType
from typing import Any

from rapidfuzz import fuzz

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "intake" / "data"
BLIND_C = DATA / "issue_pairs_blind_c.json"
# Same wordings must be paraphrases, not near-verbatim repeats (those join on
# characters alone); and no wording may lean on a text of a set already read.
WITHIN_AN_ISSUE_BELOW = 70.0
AGAINST_OTHER_SETS_BELOW = 70.0


def _bench() -> ModuleType:
    path = ROOT / "bench" / "issue_match_eval.py"
    spec = importlib.util.spec_from_file_location("issue_match_eval", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _customers(path: Path) -> list[list[list[list[Any]]]]:
    found: list[list[list[list[Any]]]] = json.loads(path.read_text(encoding="utf-8"))
    return found


def _normal(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", "", folded)


def _descriptions(path: Path) -> list[str]:
    return [_normal(w[1]) for issues in _customers(path) for ws in issues for w in ws]


def test_thirty_customers_with_two_issues_of_two_to_five_wordings() -> None:
    customers = _customers(BLIND_C)
    assert len(customers) == 30
    for issues in customers:
        assert len(issues) == 2
        longer, shorter = sorted((len(wordings) for wordings in issues), reverse=True)
        assert 4 <= longer <= 5
        assert 2 <= shorter <= 3
        for wordings in issues:
            for subject, description, order_no in wordings:
                assert isinstance(subject, str)
                assert isinstance(description, str) and description.strip()
                assert order_no is None or (isinstance(order_no, str) and order_no)


def test_about_one_customer_in_ten_writes_english() -> None:
    english = [
        issues
        for issues in _customers(BLIND_C)
        if all(w[1].isascii() for wordings in issues for w in wordings)
    ]
    assert len(english) == 3


def test_an_issues_order_numbers_agree_and_neither_issue_names_the_others() -> None:
    for issues in _customers(BLIND_C):
        numbers = [{w[2] for w in wordings if w[2] is not None} for wordings in issues]
        assert all(len(found) <= 1 for found in numbers)
        for (wordings, own), (_, others) in itertools.permutations(
            zip(issues, numbers, strict=True), 2
        ):
            assert not own & others
            for number in others:
                assert all(number not in w[1] for w in wordings)


def test_pairs_counted_by_the_bench_are_as_stated() -> None:
    bench = _bench()
    assert "blind_c" not in bench.SETS  # the regression guard must never score it
    found = bench.pairs(bench.BLIND_SETS["blind_c"])
    same = sum(1 for _, _, is_same in found if is_same)
    assert len(found) == 688
    assert same == 312
    assert 0.4 <= same / len(found) <= 0.6


def test_an_issues_wordings_are_paraphrases_not_repeats() -> None:
    for issues in _customers(BLIND_C):
        for wordings in issues:
            texts = [_normal(w[1]) for w in wordings]
            closest = max(fuzz.ratio(a, b) for a, b in itertools.combinations(texts, 2))
            assert closest < WITHIN_AN_ISSUE_BELOW


def test_no_wording_repeated_here_or_close_to_another_pair_set() -> None:
    texts = _descriptions(BLIND_C)
    assert len(set(texts)) == len(texts)
    for path in sorted(DATA.glob("issue_pairs*.json")):
        if path == BLIND_C:
            continue
        seen = _descriptions(path)
        # Counted, never shown: the other sets' texts stay unread.
        close = sum(
            1
            for ours in texts
            if any(fuzz.ratio(ours, theirs) >= AGAINST_OTHER_SETS_BELOW for theirs in seen)
        )
        assert close == 0, path.name
