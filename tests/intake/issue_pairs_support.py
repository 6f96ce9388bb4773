"""The shape checks the blind pair sets share (tests/intake/data/issue_pairs_blind_*.json):
loading a set, its normalised descriptions, its order numbers, and the bench's pair count.
Each blind set's test module holds its own counts; nothing here prints a set's text."""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from rapidfuzz import fuzz

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "intake" / "data"

# A set: customers, each with issues, each with wordings [subject, description, order_no].
Customers = list[list[list[list[Any]]]]


def bench() -> ModuleType:
    """bench/issue_match_eval.py, loaded by its path (bench/ is not a package)."""
    path = ROOT / "bench" / "issue_match_eval.py"
    spec = importlib.util.spec_from_file_location("issue_match_eval", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def customers(path: Path) -> Customers:
    found: Customers = json.loads(path.read_text(encoding="utf-8"))
    return found


def normal(text: str) -> str:
    """A text folded for comparison: NFKC, case-folded, without punctuation or spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", "", folded)


def descriptions(path: Path) -> list[str]:
    """Every wording's description in a set, normalised, in order."""
    return [normal(w[1]) for issues in customers(path) for ws in issues for w in ws]


def other_pair_sets(path: Path) -> Iterator[Path]:
    """Every pair set in the data folder but ``path``, in name order."""
    return (p for p in sorted(DATA.glob("issue_pairs*.json")) if p != path)


def assert_wordings_well_formed(wordings: list[list[Any]]) -> None:
    """Each wording is a subject, a non-blank description and an order number or None."""
    for subject, description, order_no in wordings:
        assert isinstance(subject, str)
        assert isinstance(description, str) and description.strip()
        assert order_no is None or (isinstance(order_no, str) and order_no)


def order_numbers(issues: list[list[list[Any]]]) -> list[set[str]]:
    """Each issue's order numbers, asserting an issue's wordings name one at the most."""
    numbers = [{w[2] for w in wordings if w[2] is not None} for wordings in issues]
    assert all(len(found) <= 1 for found in numbers)
    return numbers


def assert_bench_pairs(name: str, pairs: int, same: int) -> None:
    """The bench pairs the blind set ``name`` into ``pairs`` pairs, ``same`` of them the
    same issue (between 40 % and 60 %), and the regression guard never scores it."""
    module = bench()
    assert name not in module.SETS  # the regression guard must never score it
    found = module.pairs(module.BLIND_SETS[name])
    counted_same = sum(1 for _, _, is_same in found if is_same)
    assert len(found) == pairs
    assert counted_same == same
    assert 0.4 <= counted_same / len(found) <= 0.6


def closest_within_an_issue(path: Path) -> float:
    """The highest rapidfuzz ratio between two wordings of one issue, over the set: below
    70, every same-issue pair is a paraphrase, not a near-verbatim repeat."""
    return max(
        fuzz.ratio(a, b)
        for issues in customers(path)
        for wordings in issues
        for a, b in itertools.combinations([normal(w[1]) for w in wordings], 2)
    )


def close_to_other_sets(path: Path, at_least: float) -> dict[str, int]:
    """Per other pair set, how many of this set's descriptions come within ``at_least`` of
    one of its descriptions: counted, never shown, so the other sets stay unread."""
    texts = descriptions(path)
    counts: dict[str, int] = {}
    for other in other_pair_sets(path):
        seen = descriptions(other)
        counts[other.name] = sum(
            1 for ours in texts if any(fuzz.ratio(ours, theirs) >= at_least for theirs in seen)
        )
    return counts
