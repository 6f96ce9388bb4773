"""The blind held-out sets b, d, e, f and g (services/triage/data/heldout_blind_*.jsonl) are
well formed; b, since the corpus's fourth pass, and d, e and f, since its fifth (model v6),
are training data, g is not.

Only their shape is checked here, never the classifier on them: each set was written
without reading the classifier, its rules or its corpus, and scored once (``python
bench/classifier_eval.py --set blind_b``, 2026-12-02, model v3; ``--set blind_d``,
2026-12-03, model v4 and rules v5; ``--set blind_e``, 2026-12-04, the same; ``--set
blind_f``, written in the evening of 2026-12-04, its writer's "general" industry stored as
``generic``, the preset of that name, and its "VIP" as ``vip``; ``--set blind_g``, written
on 2026-12-05 the same way). b, d, e and f are spent
since: they are in the corpus's training split (``"source": "heldout_blind_b"``, pass 4;
``heldout_blind_d``/``_e``/``_f``, pass 5) and no clean figure.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from services.triage.industries import INDUSTRIES
from shared.team_copies import SPEC_TEAMS
from shared.vocabulary import CATEGORIES, CUSTOMER_TYPES, PRIORITIES, SCENES

DATA = Path(__file__).resolve().parents[2] / "services" / "triage" / "data"
# Each blind set's priorities, as written.
BLIND_SETS = {
    "blind_b": {"P0": 45, "P1": 125, "P2": 90},
    "blind_d": {"P0": 47, "P1": 125, "P2": 88},
    "blind_e": {"P0": 64, "P1": 133, "P2": 103},
    "blind_f": {"P0": 60, "P1": 130, "P2": 110},
    "blind_g": {"P0": 61, "P1": 130, "P2": 109},
}
blind_sets = pytest.mark.parametrize("name", sorted(BLIND_SETS))


def _blind(name: str) -> Path:
    return DATA / f"heldout_{name}.jsonl"


def _rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _normal(text: str) -> str:
    """A text without case, width, spaces or punctuation: what counts as the same text."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", "", folded)


@blind_sets
def test_every_row_has_the_fresh_sets_fields_and_known_values(name: str) -> None:
    rows = _rows(_blind(name))
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


@blind_sets
def test_counts_are_as_stated(name: str) -> None:
    rows = _rows(_blind(name))
    priorities = Counter(row["priority"] for row in rows)
    assert priorities == BLIND_SETS[name]
    assert {row["category"] for row in rows} == set(CATEGORIES.keys)
    assert {row["scene"] for row in rows} == set(SCENES.keys)
    assert {row["team"] for row in rows} == {key for key, _, _ in SPEC_TEAMS}
    assert {row["industry"] for row in rows} == set(INDUSTRIES)
    english = [row for row in rows if row["description"].isascii()]
    assert 0.05 <= len(english) / len(rows) <= 0.14  # one in twenty (g) to one in seven


@blind_sets
def test_no_duplicates_and_no_text_shared_with_the_corpus_or_another_set(name: str) -> None:
    rows = _rows(_blind(name))
    assert len({row["id"] for row in rows}) == len(rows)
    assert len({row["group"] for row in rows}) == len(rows)
    texts = [_normal(row["description"]) for row in rows]
    assert len(set(texts)) == len(texts)
    corpus = [row for row in _rows(DATA / "corpus.jsonl") if row.get("source") != f"heldout_{name}"]
    sets = [("corpus", corpus), ("fresh", _rows(DATA / "heldout_2026-12-02.jsonl"))]
    sets += [(other, _rows(_blind(other))) for other in BLIND_SETS if other != name]
    for other, others in sets:
        seen = {_normal(row["description"]) for row in others}
        shared = [row["id"] for row, text in zip(rows, texts, strict=True) if text in seen]
        assert shared == [], other


@pytest.mark.parametrize(
    ("name", "corpus_pass"), [("blind_b", 4), ("blind_d", 5), ("blind_e", 5), ("blind_f", 5)]
)
def test_a_spent_set_is_in_the_corpus_training_split_as_it_was_written(
    name: str, corpus_pass: int
) -> None:
    """Each ticket once, with its labels and text unchanged, a training row of its pass
    and a topic of its own (its group has no -N suffix)."""
    path = _blind(name)
    copies = {
        row["id"]: row for row in _rows(DATA / "corpus.jsonl") if row.get("source") == path.stem
    }
    rows = _rows(path)
    assert sorted(copies) == sorted(row["id"] for row in rows)
    for row in rows:
        copy = copies[row["id"]]
        assert (copy["split"], copy["pass"]) == ("train", corpus_pass)
        assert copy["group"] == row["id"].replace("-", "_")
        assert {k: v for k, v in copy.items() if k not in ("split", "pass", "source", "group")} == {
            k: v for k, v in row.items() if k not in ("split", "group")
        }


def test_blind_g_is_not_training_data() -> None:
    """g is the one blind set never trained on: the measure kept for what nobody read."""
    assert not [r for r in _rows(DATA / "corpus.jsonl") if r.get("source") == "heldout_blind_g"]
