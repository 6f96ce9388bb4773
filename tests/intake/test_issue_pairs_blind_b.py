"""The blind pairs set b (tests/intake/data/issue_pairs_blind_b.json) is well formed.

Only its shape is checked here, never the matcher on it: the set was written without
reading the matcher, its lexicon or the other pair sets' contents, and is scored once by
``python bench/issue_match_eval.py --set blind_b``.
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

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "intake" / "data"
BLIND_B = DATA / "issue_pairs_blind_b.json"


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


def test_every_wording_is_subject_description_and_order_number() -> None:
    customers = _customers(BLIND_B)
    assert len(customers) == 26
    for issues in customers:
        assert len(issues) >= 2
        for wordings in issues:
            assert len(wordings) >= 2
            for subject, description, order_no in wordings:
                assert isinstance(subject, str)
                assert isinstance(description, str) and description.strip()
                assert order_no is None or (isinstance(order_no, str) and order_no)


def test_an_issues_order_numbers_agree_and_two_issues_never_share_one() -> None:
    for issues in _customers(BLIND_B):
        numbers = [{w[2] for w in wordings if w[2] is not None} for wordings in issues]
        assert all(len(found) <= 1 for found in numbers)
        for first, second in itertools.combinations(numbers, 2):
            assert not first & second


def test_pairs_counted_by_the_bench_are_as_stated() -> None:
    bench = _bench()
    assert "blind_b" not in bench.SETS  # the regression guard must never score it
    found = bench.pairs(bench.BLIND_SETS["blind_b"])
    same = sum(1 for _, _, is_same in found if is_same)
    assert len(found) == 462
    assert same == 230
    assert 0.4 <= same / len(found) <= 0.6


def test_no_wording_repeated_here_or_taken_from_another_pair_set() -> None:
    texts = [_normal(w[1]) for issues in _customers(BLIND_B) for ws in issues for w in ws]
    assert len(set(texts)) == len(texts)
    for path in sorted(DATA.glob("issue_pairs*.json")):
        if path == BLIND_B:
            continue
        seen = {_normal(w[1]) for issues in _customers(path) for ws in issues for w in ws}
        assert not seen & set(texts), path.name
