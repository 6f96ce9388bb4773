"""Triage's configuration: the rule set, SLA policies and calendars as stored versions,
and the engine built from the versions in force; the caller commits."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage import learning, repository
from services.triage.classifier.model import LinearModel
from services.triage.industries import apply_industry, industry_calendars, industry_policy
from services.triage.models import ConfigVersion
from services.triage.rules.codec import modifiers_to_dict, ruleset_from_body, ruleset_to_body
from services.triage.rules.defaults import DEFAULT_RULESET
from services.triage.rules.model import InvalidRule, PriorityModifiers, Rule, RuleSet
from services.triage.rules.validation import validate_modifiers, validate_ruleset
from services.triage.settings import TriageSettings
from services.triage.sla import (
    DEFAULT_CALENDARS,
    SLA_POLICIES,
    SlaPolicy,
    policy_from_dict,
    policy_named,
    policy_to_dict,
    validate_policy,
)
from shared.calendar import BusinessCalendar
from shared.errors import ApiError, not_found
from shared.events import utcnow

KINDS = ("rules", "sla", "calendars")


@dataclass(frozen=True)
class Engine:
    """Everything a decision needs, at the versions in force."""

    ruleset: RuleSet
    policy: SlaPolicy
    policy_version: int
    calendars: Mapping[str, BusinessCalendar]
    calendar_version: int
    industry: str
    model: LinearModel


def rules_body(rows: Mapping[str, ConfigVersion]) -> tuple[dict[str, Any], int]:
    row = rows.get("rules")
    if row is None:
        return ruleset_to_body(DEFAULT_RULESET), 0
    return row.body, row.version


def policies_from(rows: Mapping[str, ConfigVersion]) -> tuple[dict[str, SlaPolicy], int]:
    row = rows.get("sla")
    if row is None:
        return dict(SLA_POLICIES), 0
    policies = {n: policy_from_dict(p) for n, p in row.body.get("policies", {}).items()}
    return policies, row.version


def calendars_from(rows: Mapping[str, ConfigVersion]) -> tuple[dict[str, BusinessCalendar], int]:
    row = rows.get("calendars")
    if row is None:
        return dict(DEFAULT_CALENDARS), 0
    calendars = {n: BusinessCalendar.from_dict(c) for n, c in row.body.get("calendars", {}).items()}
    return calendars, row.version


def engine_from(
    rows: Mapping[str, ConfigVersion], settings: TriageSettings, model: LinearModel
) -> Engine:
    body, rule_version = rules_body(rows)
    ruleset = apply_industry(ruleset_from_body(body, rule_version), settings.industry)
    policies, policy_version = policies_from(rows)
    calendars, calendar_version = calendars_from(rows)
    calendars = industry_calendars(calendars, settings.industry)
    policy = policy_named(settings.effective_sla_policy, policies)
    return Engine(
        ruleset=ruleset,
        policy=industry_policy(policy, settings.industry),
        policy_version=policy_version,
        calendars=calendars,
        calendar_version=calendar_version,
        industry=settings.industry,
        model=model,
    )


async def load_engine(session: AsyncSession, settings: TriageSettings) -> Engine:
    model = await learning.model_in_force(session)
    return engine_from(await repository.latest_configs(session, KINDS), settings, model)


async def _new_version(
    session: AsyncSession, kind: str, current: int, body: dict[str, Any], note: str, by: str
) -> ConfigVersion:
    row = ConfigVersion(
        kind=kind,
        version=current + 1,
        body=body,
        note=note[:200],
        changed_by=by[:32],
        created_at=utcnow(),
    )
    repository.add(session, row)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise ApiError(
            409, "version_conflict", f"Another change made {kind} version {current + 1}; retry."
        ) from exc
    return row


def _invalid(exc: InvalidRule, code: str = "invalid_rule") -> ApiError:
    return ApiError(422, code, str(exc))


async def current_rules(session: AsyncSession) -> tuple[list[Rule], int, dict[str, Any]]:
    rows = await repository.latest_configs(session, ["rules"])
    body, version = rules_body(rows)
    ruleset = ruleset_from_body(body, version)
    return list(ruleset.rules), version, modifiers_to_dict(ruleset.modifiers)


async def change_rules(
    session: AsyncSession,
    change: Callable[[list[Rule]], list[Rule]],
    note: str,
    by: str,
) -> tuple[list[Rule], int]:
    """Apply ``change`` to the rules in force and store the result as a new version."""
    rows = await repository.latest_configs(session, ["rules"])
    body, version = rules_body(rows)
    ruleset = ruleset_from_body(body, version)
    rules = change(list(ruleset.rules))
    try:
        validate_ruleset(rules, await repository.routable_teams(session))
    except InvalidRule as exc:
        raise _invalid(exc) from exc
    new_body = ruleset_to_body(RuleSet(tuple(rules), ruleset.modifiers))
    row = await _new_version(session, "rules", version, new_body, note, by)
    return rules, row.version


async def create_rule(
    session: AsyncSession, rule: Rule, position: int | None, by: str
) -> tuple[list[Rule], int]:
    def change(rules: list[Rule]) -> list[Rule]:
        if any(r.rule_id == rule.rule_id for r in rules):
            raise ApiError(409, "rule_exists", f"A rule {rule.rule_id} exists; update it instead.")
        at = len(rules) if position is None else max(0, min(position, len(rules)))
        return [*rules[:at], rule, *rules[at:]]

    return await change_rules(session, change, f"create {rule.rule_id}", by)


async def update_rule(
    session: AsyncSession, rule_id: str, rule: Rule, position: int | None, by: str
) -> tuple[list[Rule], int]:
    def change(rules: list[Rule]) -> list[Rule]:
        index = next((i for i, r in enumerate(rules) if r.rule_id == rule_id), None)
        if index is None:
            raise not_found("rule", rule_id)
        rest = [r for i, r in enumerate(rules) if i != index]
        at = index if position is None else max(0, min(position, len(rest)))
        return [*rest[:at], rule, *rest[at:]]

    return await change_rules(session, change, f"update {rule_id}", by)


async def delete_rule(session: AsyncSession, rule_id: str, by: str) -> tuple[list[Rule], int]:
    def change(rules: list[Rule]) -> list[Rule]:
        if not any(r.rule_id == rule_id for r in rules):
            raise not_found("rule", rule_id)
        return [r for r in rules if r.rule_id != rule_id]

    return await change_rules(session, change, f"delete {rule_id}", by)


async def put_modifiers(
    session: AsyncSession, modifiers: PriorityModifiers, by: str
) -> tuple[list[Rule], int]:
    """Store new priority modifiers (VIP, wide impact, the question guard) as a new
    rule-set version."""
    try:
        validate_modifiers(modifiers)
    except InvalidRule as exc:
        raise _invalid(exc) from exc
    rows = await repository.latest_configs(session, ["rules"])
    body, version = rules_body(rows)
    rules = ruleset_from_body(body, version).rules
    new_body = ruleset_to_body(RuleSet(rules, modifiers))
    row = await _new_version(session, "rules", version, new_body, "put modifiers", by)
    return list(rules), row.version


async def current_policies(
    session: AsyncSession,
) -> tuple[dict[str, SlaPolicy], int]:
    return policies_from(await repository.latest_configs(session, ["sla"]))


async def put_policy(
    session: AsyncSession, policy: SlaPolicy, settings: TriageSettings, by: str
) -> tuple[dict[str, SlaPolicy], int]:
    rows = await repository.latest_configs(session, ["sla", "calendars"])
    policies, version = policies_from(rows)
    calendars, _ = calendars_from(rows)
    try:
        validate_policy(policy, industry_calendars(calendars, settings.industry))
    except InvalidRule as exc:
        raise _invalid(exc, "invalid_policy") from exc
    policies[policy.name] = policy
    body = {"policies": {n: policy_to_dict(p) for n, p in policies.items()}}
    row = await _new_version(session, "sla", version, body, f"put {policy.name}", by)
    return policies, row.version


async def current_calendars(
    session: AsyncSession,
) -> tuple[dict[str, BusinessCalendar], int]:
    return calendars_from(await repository.latest_configs(session, ["calendars"]))


async def put_calendar(
    session: AsyncSession, calendar: BusinessCalendar, by: str
) -> tuple[dict[str, BusinessCalendar], int]:
    return await put_calendars(session, {calendar.name: calendar}, by, f"put {calendar.name}")


async def put_calendars(
    session: AsyncSession, changed: dict[str, BusinessCalendar], by: str, note: str
) -> tuple[dict[str, BusinessCalendar], int]:
    """Create or replace several calendars as one new calendars version."""
    calendars, version = await current_calendars(session)
    calendars.update(changed)
    body = {"calendars": {n: c.to_dict() for n, c in calendars.items()}}
    row = await _new_version(session, "calendars", version, body, note, by)
    return calendars, row.version
