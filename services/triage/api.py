"""Triage's HTTP routes."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage import configuration, kb_articles, repository, service
from services.triage.models import KbArticle, TriageDecision
from services.triage.rules.codec import (
    modifiers_from_dict,
    modifiers_to_dict,
    rule_from_dict,
    rule_to_dict,
)
from services.triage.rules.engine import TicketText
from services.triage.rules.model import Rule
from services.triage.schemas import (
    ArticleBody,
    ArticleView,
    CalendarBody,
    CalendarsView,
    CalendarView,
    ClassifyRequest,
    ClassifyResult,
    ConfigVersionView,
    DeadlinesView,
    DecisionView,
    ModifiersBody,
    RetriageRequest,
    RuleBody,
    RuleCorrectionsView,
    RuleSetView,
    RuleView,
    SearchHit,
    SlaPoliciesView,
    SlaPolicyBody,
    SlaPolicyView,
)
from services.triage.settings import TriageSettings
from services.triage.sla import SlaPolicy, policy_from_dict, policy_to_dict
from shared.auth import Principal, require_person, require_roles
from shared.calendar import BusinessCalendar, china_holiday_years
from shared.errors import ApiError, error_responses, not_found
from shared.events import Category, KbSuggestion, utcnow
from shared.http import read_session, unit_of_work
from shared.outbox import UnitOfWork

router = APIRouter(prefix="/v1", tags=["triage"])

READERS = ("agent", "supervisor", "viewer")
# require_roles admits admin everywhere; with no roles, only admin.
ADMIN = require_roles()


def settings_of(request: Request) -> TriageSettings:
    settings: TriageSettings = request.app.state.settings
    return settings


def _who(principal: Principal) -> str:
    """Who acted, for the correction log and rule history: the person's display name,
    or the key's name."""
    return principal.actor_name


def _supervised(principal: Principal) -> frozenset[str] | None:
    """The teams the caller may re-triage; None: any (an admin)."""
    if principal.is_admin:
        return None
    return require_person(principal).supervises


# --------------------------------------------------------------------------- classify


@router.post(
    "/classify",
    response_model=ClassifyResult,
    summary="Dry run: how would this text be classified, with which deadlines and why?",
    responses=error_responses(401, 403, 422),
    dependencies=[Depends(require_roles("gateway", *READERS))],
)
async def classify(
    payload: ClassifyRequest,
    session: AsyncSession = Depends(read_session),
    settings: TriageSettings = Depends(settings_of),
) -> ClassifyResult:
    engine = await configuration.load_engine(session, settings)
    ticket = TicketText(
        payload.subject,
        payload.description,
        payload.channel,
        payload.customer_type,
        payload.metadata,
    )
    received = payload.received_at or utcnow()
    verdict = service.decide(engine, ticket, received)
    result, due = verdict.result, verdict.deadlines
    suggestions: list[dict[str, Any]] = []
    if service.wants_suggestions(result.category, settings):
        suggestions = kb_articles.suggest(
            await repository.list_articles(session),
            f"{payload.subject} {payload.description}",
            received,
            settings.kb_suggestions,
        )
    return ClassifyResult(
        **verdict.decided(engine),
        deadlines=DeadlinesView(
            policy=due.policy,
            policy_version=engine.policy_version,
            calendar=due.calendar,
            respond_by=due.respond_by,
            resolve_by=due.resolve_by,
        ),
        kb_suggestions=[KbSuggestion.model_validate(s) for s in suggestions],
    )


@router.get(
    "/decisions/{ticket_id}",
    response_model=DecisionView,
    summary="What triage decided about a ticket, and why",
    responses=error_responses(401, 403, 404),
    dependencies=[Depends(require_roles(*READERS))],
)
async def get_decision(
    ticket_id: uuid.UUID, session: AsyncSession = Depends(read_session)
) -> DecisionView:
    decision = await repository.get_decision(session, ticket_id)
    if decision is None:
        raise not_found("decision", ticket_id)
    return _decision_view(decision)


def _decision_view(decision: TriageDecision) -> DecisionView:
    return DecisionView.model_validate(decision, from_attributes=True)


@router.post(
    "/tickets/{ticket_id}/retriage",
    response_model=DecisionView,
    summary="Supervisor: correct a ticket's category, priority or team (ticket.retriaged)",
    description="Logs the correction against the rule that decided, recomputes the deadlines "
    "with the SLA policy version the ticket was decided under, and emits ticket.retriaged."
    " A supervisor re-triages only tickets of a team they supervise (403 not_team_supervisor);"
    " a key may not (403 person_required), except an admin's.",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def retriage(
    ticket_id: uuid.UUID,
    payload: RetriageRequest,
    principal: Principal = Depends(require_roles("supervisor")),
    uow: UnitOfWork = Depends(unit_of_work),
    settings: TriageSettings = Depends(settings_of),
) -> DecisionView:
    decision = await service.retriage(
        uow,
        ticket_id,
        service.RetriageRequest(
            payload.reason, payload.category, payload.priority, payload.team, payload.scene
        ),
        settings,
        _who(principal),
        supervises=_supervised(principal),
    )
    view = _decision_view(decision)
    await uow.commit()
    return view


# --------------------------------------------------------------------------- rules


def _rule_view(rule: Rule) -> RuleView:
    return RuleView.model_validate(rule_to_dict(rule))


def _rule_from(body: RuleBody) -> Rule:
    data = body.model_dump(exclude={"position"})
    return rule_from_dict(data)


def _ruleset_view(rules: list[Rule], version: int, modifiers: dict[str, Any]) -> RuleSetView:
    return RuleSetView(version=version, rules=[_rule_view(r) for r in rules], modifiers=modifiers)


async def _committed_ruleset(uow: UnitOfWork, rules: list[Rule], version: int) -> RuleSetView:
    """The rule set a change made (with the modifiers in force), once committed."""
    _, _, modifiers = await configuration.current_rules(uow.session)
    await uow.commit()
    return _ruleset_view(rules, version, modifiers)


@router.get(
    "/rules",
    response_model=RuleSetView,
    summary="The rules in force, in the order they are tried",
    responses=error_responses(401, 403),
    dependencies=[Depends(require_roles(*READERS))],
)
async def list_rules(session: AsyncSession = Depends(read_session)) -> RuleSetView:
    rules, version, modifiers = await configuration.current_rules(session)
    return _ruleset_view(rules, version, modifiers)


@router.post(
    "/rules",
    response_model=RuleSetView,
    status_code=201,
    summary="Admin: add a rule (makes a new rule-set version; new tickets only)",
    responses=error_responses(401, 403, 409, 422),
)
async def create_rule(
    payload: RuleBody,
    principal: Principal = Depends(ADMIN),
    uow: UnitOfWork = Depends(unit_of_work),
) -> RuleSetView:
    rules, version = await configuration.create_rule(
        uow.session, _rule_from(payload), payload.position, _who(principal)
    )
    return await _committed_ruleset(uow, rules, version)


@router.get(
    "/rules/corrections",
    response_model=list[RuleCorrectionsView],
    summary="How often supervisors corrected each rule's decisions",
    responses=error_responses(401, 403),
    dependencies=[Depends(require_roles(*READERS))],
)
async def rule_corrections(
    session: AsyncSession = Depends(read_session),
) -> list[RuleCorrectionsView]:
    rows = await service.corrections_report(session)
    return [
        RuleCorrectionsView(
            rule_id=r.rule_id,
            decisions=r.decisions,
            corrections=r.corrections,
            correction_rate=round(r.corrections / r.decisions, 4) if r.decisions else 1.0,
        )
        for r in rows
    ]


@router.get(
    "/rules/versions",
    response_model=list[ConfigVersionView],
    summary="The rule-set versions, newest first",
    responses=error_responses(401, 403),
    dependencies=[Depends(require_roles(*READERS))],
)
async def rule_versions(session: AsyncSession = Depends(read_session)) -> list[ConfigVersionView]:
    rows = await repository.config_history(session, "rules")
    return [ConfigVersionView.model_validate(r, from_attributes=True) for r in rows]


@router.put(
    "/rules/modifiers",
    response_model=RuleSetView,
    summary="Admin: how VIP customers and wide impact raise priority; new rule-set version",
    responses=error_responses(401, 403, 409, 422),
)
async def put_modifiers(
    payload: ModifiersBody,
    principal: Principal = Depends(ADMIN),
    uow: UnitOfWork = Depends(unit_of_work),
) -> RuleSetView:
    modifiers = modifiers_from_dict(payload.model_dump())
    rules, version = await configuration.put_modifiers(uow.session, modifiers, _who(principal))
    await uow.commit()
    return _ruleset_view(rules, version, modifiers_to_dict(modifiers))


@router.get(
    "/rules/{rule_id}",
    response_model=RuleView,
    summary="One rule in force",
    responses=error_responses(401, 403, 404),
    dependencies=[Depends(require_roles(*READERS))],
)
async def get_rule(rule_id: str, session: AsyncSession = Depends(read_session)) -> RuleView:
    rules, _, _ = await configuration.current_rules(session)
    rule = next((r for r in rules if r.rule_id == rule_id), None)
    if rule is None:
        raise not_found("rule", rule_id)
    return _rule_view(rule)


@router.put(
    "/rules/{rule_id}",
    response_model=RuleSetView,
    summary="Admin: replace a rule (and optionally move it); makes a new rule-set version",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def update_rule(
    rule_id: str,
    payload: RuleBody,
    principal: Principal = Depends(ADMIN),
    uow: UnitOfWork = Depends(unit_of_work),
) -> RuleSetView:
    rules, version = await configuration.update_rule(
        uow.session, rule_id, _rule_from(payload), payload.position, _who(principal)
    )
    return await _committed_ruleset(uow, rules, version)


@router.delete(
    "/rules/{rule_id}",
    response_model=RuleSetView,
    summary="Admin: remove a rule; makes a new rule-set version",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def delete_rule(
    rule_id: str,
    principal: Principal = Depends(ADMIN),
    uow: UnitOfWork = Depends(unit_of_work),
) -> RuleSetView:
    rules, version = await configuration.delete_rule(uow.session, rule_id, _who(principal))
    return await _committed_ruleset(uow, rules, version)


# --------------------------------------------------------------------------- SLA policies


def _policies_view(
    policies: dict[str, SlaPolicy], version: int, settings: TriageSettings
) -> SlaPoliciesView:
    return SlaPoliciesView(
        version=version,
        active=settings.effective_sla_policy,
        policies=[SlaPolicyView.model_validate(policy_to_dict(p)) for p in policies.values()],
    )


@router.get(
    "/sla-policies",
    response_model=SlaPoliciesView,
    summary="The SLA policies in force and which one new tickets get",
    responses=error_responses(401, 403),
    dependencies=[Depends(require_roles(*READERS))],
)
async def list_policies(
    session: AsyncSession = Depends(read_session), settings: TriageSettings = Depends(settings_of)
) -> SlaPoliciesView:
    policies, version = await configuration.current_policies(session)
    return _policies_view(policies, version, settings)


@router.put(
    "/sla-policies/{name}",
    response_model=SlaPoliciesView,
    summary="Admin: create or replace an SLA policy; makes a new policy version",
    responses=error_responses(401, 403, 409, 422),
)
async def put_policy(
    name: str,
    payload: SlaPolicyBody,
    principal: Principal = Depends(ADMIN),
    uow: UnitOfWork = Depends(unit_of_work),
    settings: TriageSettings = Depends(settings_of),
) -> SlaPoliciesView:
    policy = policy_from_dict({"name": name, **payload.model_dump()})
    policies, version = await configuration.put_policy(
        uow.session, policy, settings, _who(principal)
    )
    await uow.commit()
    return _policies_view(policies, version, settings)


# --------------------------------------------------------------------------- calendars


def _calendars_view(calendars: dict[str, BusinessCalendar], version: int) -> CalendarsView:
    return CalendarsView(
        version=version,
        calendars=[CalendarView.model_validate(c.to_dict()) for c in calendars.values()],
        china_holiday_years=china_holiday_years(),
    )


@router.get(
    "/calendars",
    response_model=CalendarsView,
    summary="The business calendars SLA policies count time on",
    responses=error_responses(401, 403),
    dependencies=[Depends(require_roles(*READERS))],
)
async def list_calendars(session: AsyncSession = Depends(read_session)) -> CalendarsView:
    calendars, version = await configuration.current_calendars(session)
    return _calendars_view(calendars, version)


@router.put(
    "/calendars/{name}",
    response_model=CalendarsView,
    summary="Admin: create or replace a business calendar; makes a new calendar version",
    responses=error_responses(401, 403, 409, 422),
)
async def put_calendar(
    name: str,
    payload: CalendarBody,
    principal: Principal = Depends(ADMIN),
    uow: UnitOfWork = Depends(unit_of_work),
) -> CalendarsView:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}", name):
        raise ApiError(422, "invalid_calendar", "Calendar names: letters, digits, '-', '_', '.'.")
    try:
        calendar = BusinessCalendar.from_dict({"name": name, **payload.model_dump(mode="json")})
    except (ValueError, KeyError) as exc:
        raise ApiError(422, "invalid_calendar", f"Invalid calendar: {exc}") from exc
    calendars, version = await configuration.put_calendar(uow.session, calendar, _who(principal))
    await uow.commit()
    return _calendars_view(calendars, version)


# --------------------------------------------------------------------------- knowledge base


def _article_view(article: KbArticle) -> ArticleView:
    return ArticleView.model_validate(article, from_attributes=True)


async def _committed_article(uow: UnitOfWork, article: KbArticle) -> ArticleView:
    """The article as written (its id and times set), once committed."""
    await uow.session.flush()
    view = _article_view(article)
    await uow.commit()
    return view


def _article_input(body: ArticleBody) -> kb_articles.ArticleInput:
    return kb_articles.ArticleInput(
        body.title, body.answer, body.tags, body.category, body.valid_from, body.valid_to
    )


def _article_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise not_found("article", raw) from None


@router.get(
    "/kb/articles",
    response_model=list[ArticleView],
    summary="Knowledge-base articles (standard answers)",
    responses=error_responses(401, 403),
    dependencies=[Depends(require_roles("gateway", *READERS))],
)
async def list_articles(
    category: Category | None = None,
    valid_now: bool = Query(default=False, description="Only articles valid at this moment"),
    session: AsyncSession = Depends(read_session),
) -> list[ArticleView]:
    rows = await repository.list_articles(
        session, valid_at=utcnow() if valid_now else None, category=category
    )
    return [_article_view(a) for a in rows]


@router.get(
    "/kb/search",
    response_model=list[SearchHit],
    summary="Search the knowledge base (jieba-segmented words of title, tags and answer)",
    responses=error_responses(401, 403, 422),
    dependencies=[Depends(require_roles("gateway", *READERS))],
)
async def search_articles(
    q: str = Query(default="", max_length=500, examples=["七天无理由退货"]),
    limit: int = Query(default=5, ge=1, le=50),
    session: AsyncSession = Depends(read_session),
) -> list[SearchHit]:
    hits = await kb_articles.search_articles(session, q, limit)
    return [SearchHit(score=round(score, 3), article=_article_view(a)) for a, score in hits]


@router.post(
    "/kb/articles",
    response_model=ArticleView,
    status_code=201,
    summary="Admin: add a knowledge-base article",
    responses=error_responses(401, 403, 422),
)
async def create_article(
    payload: ArticleBody,
    principal: Principal = Depends(ADMIN),
    uow: UnitOfWork = Depends(unit_of_work),
) -> ArticleView:
    article = kb_articles.create_article(uow.session, _article_input(payload))
    return await _committed_article(uow, article)


@router.get(
    "/kb/articles/{article_id}",
    response_model=ArticleView,
    summary="One knowledge-base article",
    responses=error_responses(401, 403, 404),
    dependencies=[Depends(require_roles("gateway", *READERS))],
)
async def get_article(
    article_id: str, session: AsyncSession = Depends(read_session)
) -> ArticleView:
    article = await repository.get_article(session, _article_id(article_id))
    if article is None:
        raise not_found("article", article_id)
    return _article_view(article)


@router.put(
    "/kb/articles/{article_id}",
    response_model=ArticleView,
    summary="Admin: replace a knowledge-base article",
    responses=error_responses(401, 403, 404, 422),
)
async def update_article(
    article_id: str,
    payload: ArticleBody,
    principal: Principal = Depends(ADMIN),
    uow: UnitOfWork = Depends(unit_of_work),
) -> ArticleView:
    article = await kb_articles.update_article(
        uow.session, _article_id(article_id), _article_input(payload)
    )
    return await _committed_article(uow, article)


@router.delete(
    "/kb/articles/{article_id}",
    status_code=204,
    response_class=Response,
    summary="Admin: delete a knowledge-base article",
    responses=error_responses(401, 403, 404),
)
async def delete_article(
    article_id: str,
    principal: Principal = Depends(ADMIN),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    await kb_articles.delete_article(uow.session, _article_id(article_id))
    await uow.commit()
    return Response(status_code=204)
