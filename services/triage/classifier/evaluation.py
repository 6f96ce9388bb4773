"""Figures of a classifier on labelled tickets: accuracy per field, P0 recall, P2 texts
raised to P0, confusion matrices. Pure: the caller says how a ticket is classified."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

FIELDS = ("category", "scene", "team", "priority")


@dataclass
class Report:
    n: int = 0
    hits: Counter[str] = field(default_factory=Counter)
    p0_total: int = 0
    p0_found: int = 0
    p2_raised_to_p0: int = 0
    needs_review: int = 0
    confusion: dict[str, Counter[tuple[str, str]]] = field(
        default_factory=lambda: {f: Counter() for f in FIELDS}
    )
    misses: list[str] = field(default_factory=list)

    def accuracy(self, name: str) -> float:
        return self.hits[name] / self.n if self.n else 0.0

    @property
    def p0_recall(self) -> float:
        return self.p0_found / self.p0_total if self.p0_total else 1.0

    def summary(self) -> dict[str, Any]:
        return {
            "tickets": self.n,
            **{name: round(self.accuracy(name), 4) for name in FIELDS},
            "p0_recall": round(self.p0_recall, 4),
            "p0_found": self.p0_found,
            "p0_total": self.p0_total,
            "p2_raised_to_p0": self.p2_raised_to_p0,
            "needs_review": self.needs_review,
        }

    def not_worse_than(self, other: Mapping[str, Any]) -> bool:
        """Whether these figures are at least ``other``'s on every field that gates."""
        mine = self.summary()
        return (
            all(mine[k] >= float(other.get(k, 0.0)) for k in ("category", "team", "priority"))
            and mine["p0_recall"] >= float(other.get("p0_recall", 0.0))
            and mine["p2_raised_to_p0"] <= int(other.get("p2_raised_to_p0", 1 << 30))
        )


def evaluate(
    rows: Iterable[Mapping[str, Any]],
    classify: Callable[[Mapping[str, Any]], Mapping[str, Any]],
) -> Report:
    """``classify`` maps a labelled row to a dict with the four fields (and optionally
    ``needs_review``)."""
    report = Report()
    for row in rows:
        got = classify(row)
        report.n += 1
        report.needs_review += bool(got.get("needs_review"))
        for name in FIELDS:
            report.hits[name] += got[name] == row[name]
            report.confusion[name][(row[name], got[name])] += 1
        if row["priority"] == "P0":
            report.p0_total += 1
            report.p0_found += got["priority"] == "P0"
        if row["priority"] == "P2" and got["priority"] == "P0":
            report.p2_raised_to_p0 += 1
        wrong = [n for n in ("category", "team", "priority") if got[n] != row[n]]
        if wrong:
            said = ", ".join(f"{n} {row[n]}→{got[n]}" for n in wrong)
            report.misses.append(f"{row['subject']} | {row['description']}: {said}")
    return report


def confusion_table(report: Report, name: str) -> str:
    """Rows are the labels, columns what was decided."""
    matrix = report.confusion[name]
    labels = sorted({a for a, _ in matrix} | {b for _, b in matrix})
    width = max(len(label) for label in labels) + 1
    lines = [" " * width + "".join(f"{label[:11]:>12}" for label in labels)]
    for actual in labels:
        cells = "".join(f"{matrix[(actual, got)]:>12}" for got in labels)
        lines.append(f"{actual:<{width}}{cells}")
    return "\n".join(lines)
