"""Triage's use cases on tickets: the decision, re-triage and replay; the caller commits."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage import learning, repository
from services.triage.configuration import (
    KINDS,
    Engine,
    calendars_from,
    load_engine,
    policies_from,
)
from services.triage.industries import apply_industry, industry_calendars, industry_policy
from services.triage.kb_articles import suggest
from services.triage.models import ConfigVersion, Correction, TriageDecision
from services.triage.rules.codec import ruleset_from_body, ruleset_to_body
from services.triage.rules.defaults import DEFAULT_RULESET
from services.triage.rules.engine import Classification, TicketText, evaluate
from services.triage.settings import TriageSettings
from services.triage.sla import Deadlines as SlaDeadlines
from services.triage.sla import SlaPolicy, UnknownSlaPolicy, compute_deadlines, policy_named
from shared.calendar import BusinessCalendar
from shared.errors import ApiError, not_found
from shared.events import (
    Deadlines,
    KbSuggestion,
    TicketReceived,
    TicketRetriaged,
    TicketTriaged,
    TicketTriagedData,
    utcnow,
)
from shared.outbox import UnitOfWork


@dataclass(frozen=True)
class ArticleCopy:
    """A knowledge-base article as suggestions read it, kept across batches (an ORM row
    would be expired by a rolled-back batch)."""

    id: uuid.UUID
    title: str
    answer: str
    tags: tuple[str, ...]
    valid_from: datetime | None
    valid_to: datetime | None


class InForce:
    """The engine and the articles in force, kept by a consumer across its batches and
    built again only when what they are made of changes: each batch reads the versions in
    force in its own transaction (one query), so an admin's change applies from the next
    batch on, in every replica. Building them was a fixed cost of every batch."""

    def __init__(self) -> None:
        self._engine: tuple[tuple[Any, ...], Engine] | None = None
        self._articles: tuple[tuple[Any, ...], list[ArticleCopy]] | None = None
        self._versions: tuple[Any, ...] = ()

    async def engine(self, session: AsyncSession, settings: TriageSettings) -> Engine:
        self._versions = await repository.versions_in_force(session, KINDS)
        key = (self._versions[:-2], settings.industry, settings.effective_sla_policy)
        if self._engine is None or self._engine[0] != key:
            # Read after the versions: a change committed meanwhile is built early, and
            # the next batch's versions build it again; never the other way round.
            self._engine = (key, await load_engine(session, settings))
        return self._engine[1]

    async def articles(self, session: AsyncSession) -> list[ArticleCopy]:
        """The articles (after ``engine``, whose versions name them)."""
        key = self._versions[-2:]
        if self._articles is None or self._articles[0] != key:
            rows = await repository.list_articles(session)
            copies = [
                ArticleCopy(a.id, a.title, a.answer, tuple(a.tags), a.valid_from, a.valid_to)
                for a in rows
            ]
            self._articles = (key, copies)
        return self._articles[1]


async def triage_tickets(
    uow: UnitOfWork,
    events: Sequence[TicketReceived],
    settings: TriageSettings,
    in_force: InForce | None = None,
) -> list[TriageDecision]:
    """Classify new tickets and set their deadlines; tickets already decided are skipped.

    Re-triage is an explicit supervisor action, never a side effect of a redelivery.
    ``in_force``: the consumer's engine and articles, kept across batches.
    """
    rows = await decide_tickets(uow, events, settings, in_force)
    return [TriageDecision(**row) for row in rows]


async def decide_tickets(
    uow: UnitOfWork,
    events: Sequence[TicketReceived],
    settings: TriageSettings,
    in_force: InForce | None = None,
) -> list[dict[str, Any]]:
    """``triage_tickets`` for the consumer: the decisions as the rows written, since
    nothing reads them back as objects (building one costs more than its row)."""
    decided = await repository.decided_ticket_ids(
        uow.session, [e.ticket_id for e in events if e.ticket_id]
    )
    fresh: list[TicketReceived] = []
    for event in events:
        if event.ticket_id is None or event.ticket_id in decided:
            continue
        decided.add(event.ticket_id)
        fresh.append(event)
    if not fresh:
        return []
    in_force = in_force or InForce()
    engine = await in_force.engine(uow.session, settings)
    articles: list[ArticleCopy] | None = None
    rows: list[dict[str, Any]] = []
    for event in fresh:
        row = _decide(event, engine)
        if wants_suggestions(row["category"], settings):
            if articles is None:
                articles = await in_force.articles(uow.session)
            row["kb_suggestions"] = suggest(
                articles,
                f"{event.data.subject} {event.data.description}",
                event.data.received_at,
                settings.kb_suggestions,
            )
        rows.append(row)
        uow.emit(TicketTriaged(ticket_id=row["ticket_id"], data=_event_data(row)), cause=event)
    # Rows only written: one Core INSERT, not the ORM's unit of work (identity map, flush).
    await repository.insert_decisions(uow.session, rows)
    return rows


async def triage_ticket(
    uow: UnitOfWork, event: TicketReceived, settings: TriageSettings
) -> TriageDecision | None:
    decisions = await triage_tickets(uow, [event], settings)
    return decisions[0] if decisions else None


# What a classification says and how it was reached, under the same names in the stored
# decision and in POST /v1/classify's answer.
_CLASSIFICATION_FIELDS = (
    *("category", "scene", "priority", "team", "skill", "tags", "keywords"),
    *("fired_rules", "decided_by", "model_version", "confidence", "needs_review"),
)


@dataclass(frozen=True)
class Verdict:
    """What the engine decides for a text: the classification, its deadlines, and the
    explanation of both."""

    result: Classification
    deadlines: SlaDeadlines
    explanation: list[str]

    def decided(self, engine: Engine) -> dict[str, Any]:
        """The classification, how it was reached and the versions in force, as the stored
        decision and ``POST /v1/classify`` both name them."""
        return {
            **{name: getattr(self.result, name) for name in _CLASSIFICATION_FIELDS},
            "explanation": self.explanation,
            "rule_version": engine.ruleset.version,
            "industry": engine.industry,
        }


def decide(engine: Engine, ticket: TicketText, received_at: datetime) -> Verdict:
    """The one decision: the consumer stores it, ``POST /v1/classify`` shows it."""
    result = evaluate(engine.ruleset, ticket, engine.model)
    due = compute_deadlines(engine.policy, engine.calendars, result.priority, received_at)
    explanation = [
        *result.explanation,
        f"SLA policy {due.policy} v{engine.policy_version}, {result.priority} on calendar "
        f"{due.calendar}",
    ]
    return Verdict(result, due, explanation)


def wants_suggestions(category: str, settings: TriageSettings) -> bool:
    """Inquiries carry knowledge-base suggestions, when any are asked for."""
    return category == "inquiry" and settings.kb_suggestions > 0


def _decide(event: TicketReceived, engine: Engine) -> dict[str, Any]:
    """The decision's row, column by column."""
    assert event.ticket_id is not None
    received = event.data
    ticket = TicketText(
        received.subject,
        received.description,
        received.channel,
        received.customer_type,
        dict(received.metadata),
    )
    verdict = decide(engine, ticket, received.received_at)
    due = verdict.deadlines
    return dict(
        ticket_id=event.ticket_id,
        ticket_no=received.ticket_no,
        **verdict.decided(engine),
        policy_version=engine.policy_version,
        calendar_version=engine.calendar_version,
        sla_policy=due.policy,
        calendar=due.calendar,
        calendar_spec=due.calendar_spec.to_dict(),
        received_at=received.received_at,
        respond_by=due.respond_by,
        resolve_by=due.resolve_by,
        channel=received.channel,
        customer_type=received.customer_type,
        subject=received.subject[:200],
        masked_contact=(received.masked_contact or "")[:64] or None,
        kb_suggestions=[],
        text=ticket.text[:4000],
        created_at=utcnow(),
        retriaged_at=None,
    )


def _event_data(decision: Mapping[str, Any], reason: str | None = None) -> TicketTriagedData:
    """The event's data from a decision's columns (a new row, or a stored decision's
    ``_columns``)."""
    return TicketTriagedData(
        ticket_no=decision["ticket_no"],
        # Decisions made before 0002 did not store channel and customer type.
        channel=decision["channel"] or "web_chat",
        customer_type=decision["customer_type"] or "new",
        subject=decision["subject"] or "",
        category=decision["category"],
        scene=decision["scene"],
        priority=decision["priority"],
        team=decision["team"],
        skill=decision["skill"],
        keywords=decision["keywords"],
        tags=decision["tags"] or [],
        explanation=decision["explanation"],
        fired_rules=decision["fired_rules"] or [],
        decided_by=decision["decided_by"],
        rule_version=decision["rule_version"],
        industry=decision["industry"],
        kb_suggestions=[KbSuggestion.model_validate(s) for s in decision["kb_suggestions"] or []],
        retriage_reason=reason,
        masked_contact=decision["masked_contact"],
        model_version=decision["model_version"],
        confidence=decision["confidence"],
        needs_review=bool(decision["needs_review"]) and decision["retriaged_at"] is None,
        deadlines=Deadlines(
            policy=decision["sla_policy"],
            calendar=decision["calendar"],
            respond_by=decision["respond_by"],
            resolve_by=decision["resolve_by"],
            policy_version=decision["policy_version"],
            calendar_spec=decision["calendar_spec"],
        ),
    )


def _columns(decision: TriageDecision) -> dict[str, Any]:
    return {c.key: getattr(decision, c.key) for c in TriageDecision.__table__.columns}


# --------------------------------------------------------------------------- re-triage


@dataclass(frozen=True)
class RetriageRequest:
    reason: str
    category: str | None = None
    priority: str | None = None
    team: str | None = None
    scene: str | None = None


async def retriage(
    uow: UnitOfWork,
    ticket_id: uuid.UUID,
    request: RetriageRequest,
    settings: TriageSettings,
    by: str,
    *,
    supervises: frozenset[str] | None = None,
) -> TriageDecision:
    """A supervisor corrects a decision: the correction is logged, deadlines recomputed
    with the SLA policy version the ticket was decided under, and ticket.retriaged sent.
    ``supervises``: the teams the supervisor may re-triage for (None: any, an admin)."""
    if request.team is not None and request.team not in await repository.routable_teams(
        uow.session
    ):
        raise ApiError(422, "unknown_team", f"Unknown team {request.team!r}.")
    if request.category is None and request.priority is None and request.team is None:
        raise ApiError(422, "nothing_to_change", "Give a category, priority or team.")
    session = uow.session
    decision = await repository.lock_decision(session, ticket_id)
    if decision is None:
        raise not_found("decision", ticket_id)
    if supervises is not None and decision.team not in supervises:
        raise ApiError(
            403,
            "not_team_supervisor",
            f"The ticket is with team {decision.team}, which you do not supervise.",
        )
    before = (decision.category, decision.priority, decision.team)
    category = request.category or decision.category
    priority = request.priority or decision.priority
    team = request.team or decision.team
    repository.add(
        session,
        Correction(
            id=uuid.uuid4(),
            ticket_id=ticket_id,
            reason=request.reason[:500],
            decided_by=decision.decided_by,
            fired_rules=decision.fired_rules or [],
            rule_version=decision.rule_version,
            from_category=before[0],
            from_priority=before[1],
            from_team=before[2],
            to_category=category,
            to_priority=priority,
            to_team=team,
            corrected_by=by[:32],
            created_at=utcnow(),
        ),
    )
    policy, calendars = await _policy_of(session, decision, settings)
    due = compute_deadlines(policy, calendars, priority, decision.received_at)
    decision.category, decision.priority, decision.team = category, priority, team
    if request.scene is not None:
        decision.scene = request.scene
    decision.sla_policy, decision.calendar = due.policy, due.calendar
    decision.calendar_spec = due.calendar_spec.to_dict()
    decision.respond_by, decision.resolve_by = due.respond_by, due.resolve_by
    decision.explanation = [
        *decision.explanation,
        f"re-triaged by {by}: {before[0]} {before[1]} → {before[2]} became "
        f"{category} {priority} → {team} ({request.reason})",
    ]
    decision.retriaged_at = utcnow()
    uow.emit(
        TicketRetriaged(ticket_id=ticket_id, data=_event_data(_columns(decision), request.reason))
    )
    return decision


async def _policy_of(
    session: AsyncSession, decision: TriageDecision, settings: TriageSettings
) -> tuple[SlaPolicy, Mapping[str, BusinessCalendar]]:
    """The SLA policy and calendars at the versions the decision used (new tickets only
    get new versions), falling back to the ones in force."""
    rows: dict[str, ConfigVersion] = {}
    for kind, version in (
        ("sla", decision.policy_version),
        ("calendars", decision.calendar_version),
    ):
        row = await repository.get_config(session, kind, version) if version else None
        if row is not None:
            rows[kind] = row
    current = await repository.latest_configs(
        session, [k for k in ("sla", "calendars") if k not in rows]
    )
    rows = {**current, **rows}
    policies, _ = policies_from(rows)
    calendars, _ = calendars_from(rows)
    calendars = industry_calendars(calendars, decision.industry or settings.industry)
    try:
        policy = policy_named(decision.sla_policy, policies)
    except UnknownSlaPolicy:  # gone since: the policy new tickets get, as for them
        policy = policy_named(settings.effective_sla_policy, policies)
    return industry_policy(policy, decision.industry or settings.industry), calendars


@dataclass(frozen=True)
class RuleCorrections:
    rule_id: str | None
    decisions: int
    corrections: int


async def corrections_report(session: AsyncSession) -> list[RuleCorrections]:
    corrected = await repository.corrections_per_rule(session)
    decided = await repository.decisions_per_rule(session)
    return [RuleCorrections(rule, decided.get(rule, 0), count) for rule, count in corrected]


# --------------------------------------------------------------------------- replay


async def replay_decision(
    session: AsyncSession, ticket_id: uuid.UUID, settings: TriageSettings
) -> learning.Replay:
    """Decide a ticket again with the rule-set and model versions that decided it."""
    decision = await repository.get_decision(session, ticket_id)
    if decision is None:
        raise not_found("decision", ticket_id)
    if decision.text is None:
        raise ApiError(
            409, "not_replayable", "Decided before decisions kept their text; cannot replay."
        )
    version = decision.rule_version or 0
    row = await repository.get_config(session, "rules", version) if version else None
    body = row.body if row is not None else ruleset_to_body(DEFAULT_RULESET)
    ruleset = apply_industry(
        ruleset_from_body(body, version), decision.industry or settings.industry
    )
    model = None
    if decision.model_version is not None:
        model = await learning.model_of_version(session, decision.model_version)
    result = evaluate(
        ruleset,
        TicketText(decision.text, "", decision.channel, decision.customer_type or "new", {}),
        model,
    )
    stored = {
        "category": decision.category,
        "priority": decision.priority,
        "team": decision.team,
    }
    corrections = await repository.corrections_of(session, ticket_id)
    if corrections:  # what the engine said, before the first supervisor's correction
        first = corrections[0]
        stored = {
            "category": first.from_category,
            "priority": first.from_priority,
            "team": first.from_team,
        }
    return learning.Replay(
        ticket_id=ticket_id,
        rule_version=version,
        model_version=decision.model_version,
        stored=stored,
        replayed={
            "category": result.category,
            "priority": result.priority,
            "team": result.team,
        },
        explanation=tuple(result.explanation),
    )
