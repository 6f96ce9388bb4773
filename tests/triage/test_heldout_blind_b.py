"""The blind held-out set b (services/triage/data/heldout_blind_b.jsonl) is well formed,
and since the corpus's fourth pass it is training data.

Only its shape is checked here, never the classifier on it: the set was written without
reading the classifier, its rules or its corpus, and was scored once, on 2026-12-02
(``python bench/classifier_eval.py --set blind_b``, model v3). Spent since, it is in the
corpus's training split (``"source": "heldout_blind_b"``, pass 4) and no clean figure.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from services.triage.industries import INDUSTRIES
from shared.team_copies import SPEC_TEAMS
from shared.vocabulary import CATEGORIES, CUSTOMER_TYPES, PRIORITIES, SCENES

DATA = Path(__file__).resolve().parents[2] / "services" / "triage" / "data"
BLIND_B = DATA / "heldout_blind_b.jsonl"


def _rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _normal(text: str) -> str:
    """A text without case, width, spaces or punctuation: what counts as the same text."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", "", folded)


def test_every_row_has_the_fresh_sets_fields_and_known_values() -> None:
    rows = _rows(BLIND_B)
    fields = set(_rows(DATA / "heldout_2026-12-02.jsonl")[0])
    teams = {key for key, _, _ in SPEC_TEAMS}
    for row in rows:
        assert set(row) == fields, row["id"]
        assert row["split"] == "test"
        assert row["category"] in CATEGORIES.keys, row["id"]
        assert row["scene"] in SCENES.keys, row["id"]
        assert row["team"] in teams, row["id"]
        assert row["priority"] in PRIORITIES.keys, row["id"]
        assert row["industry"] in INDUSTRIES, row["id"]
        assert row["customer_type"] in CUSTOMER_TYPES.keys, row["id"]
        assert row["description"].strip(), row["id"]


def test_counts_are_as_stated() -> None:
    rows = _rows(BLIND_B)
    assert len(rows) == 260
    priorities = Counter(row["priority"] for row in rows)
    assert priorities == {"P0": 45, "P1": 125, "P2": 90}
    assert {row["category"] for row in rows} == set(CATEGORIES.keys)
    assert {row["scene"] for row in rows} == set(SCENES.keys)
    assert {row["team"] for row in rows} == {key for key, _, _ in SPEC_TEAMS}
    assert {row["industry"] for row in rows} == set(INDUSTRIES)
    english = [row for row in rows if row["description"].isascii()]
    assert 20 <= len(english) <= 35  # about one in ten


def test_no_duplicates_and_no_text_shared_with_the_corpus_or_the_fresh_set() -> None:
    rows = _rows(BLIND_B)
    assert len({row["id"] for row in rows}) == len(rows)
    assert len({row["group"] for row in rows}) == len(rows)
    texts = [_normal(row["description"]) for row in rows]
    assert len(set(texts)) == len(texts)
    corpus = [row for row in _rows(DATA / "corpus.jsonl") if row.get("source") != BLIND_B.stem]
    for other, others in (("corpus", corpus), ("fresh", _rows(DATA / "heldout_2026-12-02.jsonl"))):
        seen = {_normal(row["description"]) for row in others}
        shared = [row["id"] for row, text in zip(rows, texts, strict=True) if text in seen]
        assert shared == [], other


def test_the_spent_set_is_in_the_corpus_training_split_as_it_was_written() -> None:
    """Each ticket once, with its labels and text unchanged, a training row of the fourth
    pass and a topic of its own (its group has no -N suffix)."""
    copies = {
        row["id"]: row for row in _rows(DATA / "corpus.jsonl") if row.get("source") == BLIND_B.stem
    }
    rows = _rows(BLIND_B)
    assert sorted(copies) == sorted(row["id"] for row in rows)
    for row in rows:
        copy = copies[row["id"]]
        assert (copy["split"], copy["pass"]) == ("train", 4)
        assert copy["group"] == row["id"].replace("-", "_")
        assert {k: v for k, v in copy.items() if k not in ("split", "pass", "source", "group")} == {
            k: v for k, v in row.items() if k not in ("split", "group")
        }
