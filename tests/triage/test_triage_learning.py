"""The classifier in triage's store, on SQLite and PostgreSQL: decisions name the model
version, unsure ones wait for a supervisor's review, a decision replays with the
versions that made it, and a supervisor's correction trains a new version."""

from __future__ import annotations

from array import array
from datetime import UTC, datetime

import pytest
from test_triage_api import (  # the same harness: routes and store, no broker
    AGENT,
    FINANCE_SUPERVISOR,
    SUPERVISOR,
    Harness,
    harness,
)

from services.triage import learning, repository
from services.triage.classifier.evaluation import Report
from services.triage.classifier.model import Head, LinearModel, to_bytes
from services.triage.models import ModelVersion
from services.triage.rules.defaults import DEFAULT_RULESET

__all__ = ["harness"]
ROUTES = ("fault/tech_support", "inquiry/frontline", "complaint/complaints", "suggestion/product")


def _undecided_model(version: int) -> LinearModel:
    """A model with no opinion: four routes, equally likely (confidence 0.25)."""
    return LinearModel(
        version=version,
        index={"嗯": 0},
        heads={
            "route": Head(ROUTES, (0.0,) * 4, array("f", [0.0] * 4)),
            "scene": Head(("after_sale", "pre_sale"), (0.0, 0.0), array("f", [0.0, 0.0])),
            "priority": Head(("P1", "P2"), (0.0, 1.0), array("f", [0.0, 0.0])),
        },
        metrics={},
    )


async def _store_model(harness: Harness, model: LinearModel) -> None:
    async with harness.runtime.sessions() as session:
        repository.add(
            session,
            ModelVersion(
                version=model.version,
                body=to_bytes(model),
                metrics={"category": 0.5},
                examples=1,
                corrections=0,
                active=True,
                note="test",
                changed_by="test",
                created_at=datetime.now(UTC),
            ),
        )
        await session.commit()


async def test_a_model_decision_names_its_version_and_replays(harness: Harness) -> None:
    decision = await harness.triage("网银系统故障", "")
    assert (decision.decided_by, decision.model_version) == (None, 6)  # migration 0015's
    assert decision.category == "fault" and decision.priority == "P0"
    assert decision.confidence is not None and decision.confidence > 0.5
    assert decision.needs_review is False and decision.text == "网银系统故障\n"
    (event,) = await harness.events()
    assert (event.data.model_version, event.data.needs_review) == (6, False)
    assert any(line.startswith("model v6:") for line in event.data.explanation)

    path = f"/v1/decisions/{decision.ticket_id}/replay"
    assert (await harness.client.get(path, headers=AGENT)).status_code == 403
    replay = await harness.client.get(path, headers=SUPERVISOR)
    assert replay.status_code == 200, replay.text
    body = replay.json()
    assert (body["same"], body["model_version"], body["rule_version"]) == (True, 6, 6)
    assert body["stored"] == {"category": "fault", "priority": "P0", "team": "tech_support"}

    by_rule = await harness.triage("账号无法登录")
    replayed = await harness.client.get(
        f"/v1/decisions/{by_rule.ticket_id}/replay", headers=SUPERVISOR
    )
    assert (replayed.json()["same"], replayed.json()["model_version"]) == (True, None)


async def test_version_0_replays_as_it_decided(harness: Harness) -> None:
    """Version 0 decided with its route confidence as is and no P0 gate: 发票开错了 was P0
    at 0.74. A decision it made replays so; versions 1 to 6 (calibrated, gated) say P1."""
    decision = await harness.triage("发票开错了", "")
    assert (decision.model_version, decision.priority) == (6, "P1")
    path = f"/v1/decisions/{decision.ticket_id}/replay"
    assert (await harness.client.get(path, headers=SUPERVISOR)).json()["same"] is True
    async with harness.runtime.sessions() as session:
        stored = await repository.get_decision(session, decision.ticket_id)
        assert stored is not None
        # As version 0 decided it (version 6 reads an invoice as after-sales for finance).
        stored.model_version, stored.priority = 0, "P0"
        stored.category, stored.team = "fault", "tech_support"
        await session.commit()
    replay = (await harness.client.get(path, headers=SUPERVISOR)).json()
    assert (replay["same"], replay["model_version"]) == (True, 0), replay
    assert replay["replayed"]["priority"] == "P0"
    assert any(line.startswith("model v0:") for line in replay["explanation"])


async def test_an_unsure_model_flags_the_ticket_for_the_supervisor(harness: Harness) -> None:
    await _store_model(harness, _undecided_model(7))
    listed = await harness.client.get("/v1/models", headers=AGENT)
    assert listed.status_code == 200, listed.text
    assert listed.json()["in_force"] == 7
    assert [v["version"] for v in listed.json()["versions"]] == [7, 6, 5, 4, 3, 2, 1]

    unsure = await harness.triage("嗯", "")
    assert (unsure.model_version, unsure.needs_review, unsure.team) == (7, True, "frontline")
    assert any("needs review" in line for line in unsure.explanation)
    sure = await harness.triage("账号无法登录")  # a rule decides: nothing to review
    assert sure.needs_review is False

    queue = await harness.client.get("/v1/review-queue", headers=SUPERVISOR)
    assert queue.status_code == 200, queue.text
    assert [d["ticket_id"] for d in queue.json()] == [str(unsure.ticket_id)]
    assert queue.json()[0]["needs_review"] is True
    assert (await harness.client.get("/v1/review-queue", headers=AGENT)).status_code == 403
    replay = await harness.client.get(
        f"/v1/decisions/{unsure.ticket_id}/replay", headers=SUPERVISOR
    )
    assert (replay.json()["same"], replay.json()["model_version"]) == (True, 7)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # training takes a while
async def test_a_correction_trains_a_new_version_kept_only_if_not_worse(
    harness: Harness,
) -> None:
    decision = await harness.triage("退货的钱还没退回来", "")
    assert decision.team == "finance"
    corrected = await harness.client.post(
        f"/v1/tickets/{decision.ticket_id}/retriage",
        json={"reason": "售后处理", "team": "after_sales"},
        headers=FINANCE_SUPERVISOR,
    )
    assert corrected.status_code == 200, corrected.text
    async with harness.runtime.sessions() as session:
        outcome = await learning.train_version(session, DEFAULT_RULESET, "admin:test")
        await session.commit()
    train_rows = [r for r in learning.load_corpus() if r["split"] == "train"]
    assert (outcome.version, outcome.corrections) == (7, 1)
    assert outcome.examples == len(train_rows) + 1
    assert outcome.version_in_force == 6
    assert outcome.activated == _not_worse(outcome.figures, outcome.figures_in_force)
    listed = (await harness.client.get("/v1/models", headers=AGENT)).json()
    assert listed["in_force"] == (7 if outcome.activated else 6)
    assert listed["versions"][0]["corrections"] == 1
    assert listed["versions"][0]["metrics"]["tickets"] == outcome.figures["tickets"]


def _not_worse(mine: dict[str, float], theirs: dict[str, float]) -> bool:
    return (
        all(mine[k] >= theirs[k] for k in ("category", "team", "priority", "p0_recall"))
        and mine["p2_raised_to_p0"] <= theirs["p2_raised_to_p0"]
    )


def test_a_worse_model_is_not_activated() -> None:
    report = Report(n=10)
    report.hits.update({"category": 9, "team": 9, "priority": 9})
    report.p0_total, report.p0_found = 2, 2
    assert report.not_worse_than({"category": 0.9, "team": 0.9, "priority": 0.9, "p0_recall": 1})
    assert not report.not_worse_than({"category": 0.95, "team": 0.9, "priority": 0.9})
    report.p0_found = 1
    assert not report.not_worse_than({"category": 0.9, "team": 0.9, "p0_recall": 1.0})
