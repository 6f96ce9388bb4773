"""The classifier's versions: which one decides, training a new one from the corpus and
supervisors' corrections, and replaying a decision with the versions that made it.
The caller commits."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage import repository
from services.triage.classifier import evaluation
from services.triage.classifier.model import (
    FIRST_VERSION,
    LinearModel,
    first_model,
    from_bytes,
    shipped_model,
    to_bytes,
)
from services.triage.classifier.training import (
    Example,
    corpus_examples,
    load_corpus,
    train,
)
from services.triage.models import ModelVersion
from services.triage.rules.engine import TicketText, evaluate
from services.triage.rules.model import RuleSet
from shared.errors import not_found
from shared.events import utcnow

# A supervisor's correction counts as much as this many corpus tickets: it is a real
# ticket, in this business's own words.
CORRECTION_WEIGHT = 3.0

_loaded: dict[int, LinearModel] = {}


async def model_of_version(session: AsyncSession, version: int | None) -> LinearModel:
    """A model version, decoded once per process. 0: the first shipped model as it
    decided; None (no version stored in force): the shipped file."""
    if version is None:
        return shipped_model()
    if version == FIRST_VERSION:
        return first_model()
    model = _loaded.get(version)
    if model is None:
        row = await repository.get_model_version(session, version)
        if row is None:
            raise not_found("model version", version)
        model = from_bytes(row.body, version)
        if len(_loaded) >= 2:  # the one in force and one being replayed
            _loaded.pop(next(iter(_loaded)))
        _loaded[version] = model
    return model


async def model_in_force(session: AsyncSession) -> LinearModel:
    return await model_of_version(session, await repository.active_model_version(session))


def classify_row(
    ruleset: RuleSet,
    model: LinearModel,
    row: Mapping[str, Any],
    review_below: float | None = None,
) -> dict[str, Any]:
    """How the engine decides a labelled row (its channel and customer type if given)."""
    result = evaluate(
        ruleset,
        TicketText(
            row["subject"],
            row["description"],
            row.get("channel"),
            row.get("customer_type", "new"),
            {},
        ),
        model=model,
        review_below=review_below,
    )
    return {
        "category": result.category,
        "scene": result.scene,
        "team": result.team,
        "priority": result.priority,
        "needs_review": result.needs_review,
    }


def held_out_report(ruleset: RuleSet, model: LinearModel) -> evaluation.Report:
    rows = [r for r in load_corpus() if r["split"] == "test"]
    return evaluation.evaluate(rows, lambda row: classify_row(ruleset, model, row))


@dataclass(frozen=True)
class TrainingOutcome:
    version: int
    activated: bool
    examples: int
    corrections: int
    figures: dict[str, Any]
    figures_in_force: dict[str, Any]
    version_in_force: int


def _correction_examples(rows: Sequence[Any]) -> list[Example]:
    return [
        Example(
            text=row.text,
            labels={
                "category": row.category,
                "scene": row.scene,
                "team": row.team,
                "priority": row.priority,
            },
            weight=CORRECTION_WEIGHT,
            group=f"correction-{row.ticket_id}",
        )
        for row in rows
    ]


async def train_version(
    session: AsyncSession, ruleset: RuleSet, by: str, note: str = ""
) -> TrainingOutcome:
    """Train on the corpus's training split plus every correction, score it and the
    version in force on the held-out split with the rules in force, and store it;
    active only if it is not worse on any gating figure."""
    corrections = _correction_examples(await repository.corrected_decisions(session))
    examples = [*corpus_examples(load_corpus(), "train"), *corrections]
    version = await repository.latest_model_version(session) + 1
    model = train(examples, version)
    current = await model_in_force(session)
    figures = held_out_report(ruleset, model)
    figures_in_force = held_out_report(ruleset, current).summary()
    activated = figures.not_worse_than(figures_in_force)
    repository.add(
        session,
        ModelVersion(
            version=version,
            body=to_bytes(model),
            metrics={**figures.summary(), **dict(model.metrics)},
            examples=len(examples),
            corrections=len(corrections),
            active=activated,
            note=(note or f"{len(corrections)} corrections")[:200],
            changed_by=by[:32],
            created_at=utcnow(),
        ),
    )
    await session.flush()
    return TrainingOutcome(
        version=version,
        activated=activated,
        examples=len(examples),
        corrections=len(corrections),
        figures=figures.summary(),
        figures_in_force=figures_in_force,
        version_in_force=current.version,
    )


@dataclass(frozen=True)
class Replay:
    ticket_id: uuid.UUID
    rule_version: int
    model_version: int | None
    stored: dict[str, Any]
    replayed: dict[str, Any]
    explanation: tuple[str, ...]

    @property
    def same(self) -> bool:
        return all(self.stored[k] == self.replayed[k] for k in self.replayed)
