"""The admin's screens for triage's configuration: rules (with a dry run on a sample text),
SLA policies, business calendars and China's official holiday schedule of a year.

Each save is one call to triage's versioned API (a new rule-set, policy or calendar
version, applied to new tickets only). Triage's PUTs take no expected version, so each
form carries the version its page was drawn from and the workspace compares it with the
version in force before saving: an admin whose page is out of date is told so, with the
current configuration, instead of overwriting a colleague's change unseen.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from services.workspace import console_words  # noqa: F401  (the screens' words)
from services.workspace.clients import ServiceProblem
from services.workspace.console import (
    NO_FEEDBACK,
    Feedback,
    Words,
    admin,
    at_most,
    back_to,
    clients_of,
    done_feedback,
    done_flash,
    join_list,
    of_form,
    parse_dates,
    parse_windows,
    problem_fields,
    read_form,
    read_form_lists,
    refused,
    required,
    show_windows,
    split_list,
    stale,
    words_of,
)
from services.workspace.pages import language_of, render
from services.workspace.session import SignedInPerson
from shared.vocabulary import CATEGORIES, CHANNELS, CUSTOMER_TYPES, PRIORITIES, SCENES, Language

router = APIRouter(prefix="/admin", include_in_schema=False)

DURATION = re.compile(r"\d{1,4}[mhd]")
RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
CALENDAR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}")
POLICY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")


def _language(request: Request) -> Language:
    return "en" if language_of(request) == "en" else "zh"


def _vocabularies(request: Request) -> dict[str, Any]:
    language = _language(request)
    return {
        "categories": list(CATEGORIES.labels(language).items()),
        "priorities": [(key, key) for key in PRIORITIES.keys],
        "scenes": list(SCENES.labels(language).items()),
        "channels": list(CHANNELS.labels(language).items()),
        "customer_types": list(CUSTOMER_TYPES.labels(language).items()),
    }


# --------------------------------------------------------------------------- rules


@router.get("/rules", response_class=HTMLResponse)
async def rules(
    request: Request, done: str | None = None, person: SignedInPerson = Depends(admin)
) -> Response:
    clients = clients_of(request)
    ruleset, versions, corrections = await asyncio.gather(
        clients.get("triage", "/v1/rules", person.token),
        clients.get("triage", "/v1/rules/versions", person.token),
        clients.get("triage", "/v1/rules/corrections", person.token),
    )
    return render(
        request,
        "admin/rules.html",
        person,
        ruleset=ruleset,
        versions=versions[:20],
        corrections={c["rule_id"]: c for c in corrections if c.get("rule_id")},
        flash=done_flash(words_of(request), done),
    )


def _rule_values(rule: dict[str, Any]) -> dict[str, Any]:
    """A rule as its form shows it (lists one per line)."""
    conditions, actions = rule.get("conditions", {}), rule.get("actions", {})
    return {
        "rule_id": rule.get("rule_id", ""),
        "description": rule.get("description", ""),
        "enabled": rule.get("enabled", True),
        "keywords": join_list(conditions.get("keywords")),
        "patterns": join_list(conditions.get("patterns")),
        "channels": conditions.get("channels", []),
        "customer_types": conditions.get("customer_types", []),
        "scenes": conditions.get("scenes", []),
        "metadata": "\n".join(
            f"{key}: {', '.join(values)}" for key, values in conditions.get("metadata", {}).items()
        ),
        "category": actions.get("category", ""),
        "priority": actions.get("priority", ""),
        "team": actions.get("team", ""),
        "scene": actions.get("scene", "after_sale"),
        "skill": actions.get("skill") or "",
        "tags": ", ".join(actions.get("tags", [])),
        "position": rule.get("position", ""),
    }


async def _rule_page(
    request: Request,
    person: SignedInPerson,
    rule_id: str,
    feedback: Feedback = NO_FEEDBACK,
    *,
    trial: dict[str, Any] | None = None,
    sample: dict[str, str] | None = None,
) -> Response:
    clients = clients_of(request)
    ruleset, teams = await asyncio.gather(
        clients.get("triage", "/v1/rules", person.token),
        clients.get("dispatch", "/v1/teams", person.token),
    )
    is_new = rule_id == "new"
    rule = next((r for r in ruleset["rules"] if r["rule_id"] == rule_id), None)
    if rule is None and not is_new:
        raise ServiceProblem(404, "rule_not_found", f"No rule {rule_id}.", "triage")
    position = next((i for i, r in enumerate(ruleset["rules"]) if r["rule_id"] == rule_id), "")
    shown = feedback.values or _rule_values({**(rule or {}), "position": position})
    return render(
        request,
        "admin/rule.html",
        person,
        current_path=f"/admin/rules/{rule_id}",
        rule_id=rule_id,
        is_new=is_new,
        version=ruleset["version"],
        v=shown,
        teams=[(team["key"], team["name"]) for team in teams],
        trial=trial,
        sample=sample or {},
        **_vocabularies(request),
        **feedback.shown(),
    )


@router.get("/rules/{rule_id}", response_class=HTMLResponse)
async def rule_page(
    request: Request, rule_id: str, done: str | None = None, person: SignedInPerson = Depends(admin)
) -> Response:
    return await _rule_page(request, person, rule_id, done_feedback(request, done))


def _rule_body(
    t: Words, form: dict[str, str], multi: dict[str, list[str]], errors: dict[str, str]
) -> dict[str, Any]:
    required(t, form, errors, "category", "priority", "team")
    at_most(t, form, errors, description=500)
    # Patterns and keywords one per line: a comma may belong to a pattern.
    patterns = [line.strip() for line in form.get("patterns", "").splitlines() if line.strip()]
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            errors["patterns"] = t("error.bad_pattern", pattern=pattern, why=str(exc))
            break
    metadata: dict[str, list[str]] = {}
    for line in form.get("metadata", "").splitlines():
        if not line.strip():
            continue
        key, sep, rest = line.partition(":")
        if not sep or not key.strip():
            errors["metadata"] = t("error.metadata_lines")
            break
        metadata[key.strip()] = split_list(rest)
    keywords = [line.strip() for line in form.get("keywords", "").splitlines() if line.strip()]
    if not keywords and not patterns and not metadata:
        errors.setdefault("keywords", t("error.rule_needs_condition"))
    position = form.get("position", "")
    if position and not position.isdigit():
        errors["position"] = t("error.number_range", low=0, high=999)
    return {
        "rule_id": form.get("rule_id"),
        "description": form.get("description", ""),
        "enabled": form.get("enabled") == "1",
        "conditions": {
            "keywords": keywords,
            "patterns": patterns,
            "channels": multi.get("channels", []),
            "customer_types": multi.get("customer_types", []),
            "scenes": multi.get("scenes", []),
            "metadata": metadata,
        },
        "actions": {
            "category": form.get("category"),
            "priority": form.get("priority"),
            "team": form.get("team"),
            "scene": form.get("scene") or "after_sale",
            "skill": form.get("skill") or None,
            "tags": split_list(form.get("tags")),
        },
        "position": int(position) if position.isdigit() else None,
    }


@router.post("/rules/{rule_id}", response_class=HTMLResponse)
async def save_rule(
    request: Request, rule_id: str, person: SignedInPerson = Depends(admin)
) -> Response:
    t = words_of(request)
    form, multi = await read_form_lists(request)
    is_new = rule_id == "new"
    if not is_new:
        form["rule_id"] = rule_id
    errors: dict[str, str] = {}
    required(t, form, errors, "rule_id")
    if form.get("rule_id") and not RULE_ID.fullmatch(form["rule_id"]):
        errors["rule_id"] = t("error.rule_id_pattern")
    body = _rule_body(t, form, multi, errors)
    values: dict[str, Any] = {**form}
    values.update({k: multi.get(k, []) for k in ("channels", "customer_types", "scenes")})
    values["enabled"] = form.get("enabled") == "1"
    clients = clients_of(request)
    if not errors:
        current = await clients.get("triage", "/v1/rules", person.token)
        if str(current["version"]) != form.get("base_version"):
            flash = t("error.rules_changed", version=current["version"])
            return await _rule_page(request, person, rule_id, stale(flash, values))
        try:
            if is_new:
                await clients.post("triage", "/v1/rules", person.token, body)
            else:
                await clients.call(
                    "triage", "PUT", f"/v1/rules/{rule_id}", token=person.token, json=body
                )
        except ServiceProblem as problem:
            if problem.status >= 500:
                raise
            errors = problem_fields(t, problem, _RULE_FIELDS)
        else:
            return back_to(f"/admin/rules/{body['rule_id']}", done="rule_saved")
    return await _rule_page(request, person, rule_id, refused(errors, values))


_RULE_FIELDS = {
    "rule_id",
    "description",
    "keywords",
    "patterns",
    "channels",
    "customer_types",
    "scenes",
    "metadata",
    "category",
    "priority",
    "team",
    "scene",
    "skill",
    "tags",
    "position",
}


@router.post("/rules/{rule_id}/delete", response_class=HTMLResponse)
async def delete_rule(
    request: Request, rule_id: str, person: SignedInPerson = Depends(admin)
) -> Response:
    await read_form(request)
    await clients_of(request).call("triage", "DELETE", f"/v1/rules/{rule_id}", token=person.token)
    return back_to("/admin/rules", done="rule_deleted")


@router.post("/rules/{rule_id}/dry-run", response_class=HTMLResponse)
async def dry_run(
    request: Request, rule_id: str, person: SignedInPerson = Depends(admin)
) -> Response:
    """How a sample text is classified by the rules in force: category, priority, team,
    the rules that fired and the deadlines (triage's POST /v1/classify)."""
    t = words_of(request)
    form = await read_form(request)
    errors: dict[str, str] = {}
    sample = {k: form.get(k, "") for k in ("subject", "description", "customer_type", "channel")}
    required(t, form, errors, "subject")
    at_most(t, form, errors, subject=200, description=5000)
    trial = None
    if not errors:
        body = {
            "subject": sample["subject"],
            "description": sample["description"],
            "customer_type": sample["customer_type"] or "new",
            "channel": sample["channel"] or None,
        }
        try:
            trial = await clients_of(request).post("triage", "/v1/classify", person.token, body)
        except ServiceProblem as problem:
            if problem.status >= 500:
                raise
            errors = of_form("sample", problem_fields(t, problem, set(body)))
    errors = {k if k.startswith("sample.") else f"sample.{k}": v for k, v in errors.items()}
    tried = Feedback(errors=errors, status_code=422 if errors else 200)
    return await _rule_page(request, person, rule_id, tried, trial=trial, sample=sample)


# --------------------------------------------------------------------------- SLA and calendars


async def _sla_page(
    request: Request, person: SignedInPerson, feedback: Feedback = NO_FEEDBACK
) -> Response:
    clients = clients_of(request)
    policies, calendars = await asyncio.gather(
        clients.get("triage", "/v1/sla-policies", person.token),
        clients.get("triage", "/v1/calendars", person.token),
    )
    return render(
        request,
        "admin/sla.html",
        person,
        current_path="/admin/sla",
        policies=policies,
        calendars=calendars,
        priorities=PRIORITIES.keys,
        show_windows=show_windows,
        join_list=join_list,
        **feedback.shown(),
    )


@router.get("/sla", response_class=HTMLResponse)
async def sla(
    request: Request, done: str | None = None, person: SignedInPerson = Depends(admin)
) -> Response:
    return await _sla_page(request, person, done_feedback(request, done))


async def _stale(
    request: Request, person: SignedInPerson, path: str, form: dict[str, str]
) -> Response | None:
    """The SLA page again, told, when the version the form came from is no longer in force."""
    current = await clients_of(request).get("triage", path, person.token)
    if str(current["version"]) == form.get("base_version"):
        return None
    flash = words_of(request)("error.config_changed", version=current["version"])
    return await _sla_page(request, person, stale(flash))


async def _save_at_triage(
    request: Request,
    person: SignedInPerson,
    *,
    path: str,
    name: str,
    key: str,
    body: dict[str, Any],
    form: dict[str, str],
    errors: dict[str, str],
    fields: set[str],
    done: str,
) -> Response:
    """Save a policy or calendar (``{path}/{name}`` on triage) unless the form has errors or
    came from a version no longer in force; triage's refusals of ``fields`` go next to the
    form they came from (``key``)."""
    if not errors:
        stale = await _stale(request, person, path, form)
        if stale is not None:
            return stale
        try:
            await clients_of(request).call(
                "triage", "PUT", f"{path}/{name}", token=person.token, json=body
            )
        except ServiceProblem as problem:
            if problem.status >= 500:
                raise
            t = words_of(request)
            errors = of_form(key, problem_fields(t, problem, fields))
        else:
            return back_to("/admin/sla", done=done)
    return await _sla_page(request, person, refused(errors, of_form(key, form)))


@router.post("/sla/policies", response_class=HTMLResponse)
async def save_policy(request: Request, person: SignedInPerson = Depends(admin)) -> Response:
    t = words_of(request)
    form = await read_form(request)
    name = form.get("name", "")
    # Errors go next to the form they came from (the new one has its own key).
    key = "new_policy" if form.get("is_new") else name
    errors: dict[str, str] = {}
    if not POLICY_NAME.fullmatch(name):
        errors[f"{key}.name"] = t("error.name_pattern")
    at_most(t, form, errors, description=200)
    targets: dict[str, dict[str, str]] = {}
    for priority in PRIORITIES.keys:
        target = {}
        for part in ("respond", "resolve", "calendar"):
            field = f"{priority}.{part}"
            value = form.get(field, "")
            if part == "calendar":
                if not value:
                    errors[f"{key}.{field}"] = t("error.required")
            elif not DURATION.fullmatch(value):
                errors[f"{key}.{field}"] = t("error.duration")
            target[part] = value
        targets[priority] = target
    if "description" in errors:
        errors[f"{key}.description"] = errors.pop("description")
    body = {"description": form.get("description", ""), "targets": targets}
    return await _save_at_triage(
        request,
        person,
        path="/v1/sla-policies",
        name=name,
        key=key,
        body=body,
        form=form,
        errors=errors,
        fields={"description"},
        done="policy_saved",
    )


@router.post("/sla/calendars", response_class=HTMLResponse)
async def save_calendar(request: Request, person: SignedInPerson = Depends(admin)) -> Response:
    t = words_of(request)
    form, multi = await read_form_lists(request)
    name = form.get("name", "")
    # Errors go next to the form they came from (the new one has its own key).
    key = "new_calendar" if form.get("is_new") else name
    local: dict[str, str] = {}
    if not CALENDAR_NAME.fullmatch(name):
        local["name"] = t("error.name_pattern")
    body: dict[str, Any] = {
        "timezone": form.get("timezone") or "Asia/Shanghai",
        "china_holidays": form.get("china_holidays") == "1",
        "always_open": form.get("always_open") == "1",
        "weekend_days": sorted(
            {int(d) for d in multi.get("weekend_days", []) if d.isdigit() and int(d) < 7}
        ),
    }
    try:
        body["windows"] = parse_windows(form.get("windows", ""))
    except ValueError:
        local["windows"] = t("error.windows")
    for field in ("extra_holidays", "extra_workdays"):
        try:
            body[field] = parse_dates(form.get(field, ""))
        except ValueError:
            local[field] = t("error.dates")
    if not body.get("windows") and not body["always_open"] and "windows" not in local:
        local["windows"] = t("error.windows_or_always")
    return await _save_at_triage(
        request,
        person,
        path="/v1/calendars",
        name=name,
        key=key,
        body=body,
        form=form,
        errors=of_form(key, local),
        fields=set(body),
        done="calendar_saved",
    )


@router.post("/sla/holidays", response_class=HTMLResponse)
async def load_holidays(request: Request, person: SignedInPerson = Depends(admin)) -> Response:
    """China's official schedule of one year (the State Council's notice): days off and
    make-up workdays, loaded into every calendar that follows China's holidays."""
    t = words_of(request)
    form = await read_form(request)
    local: dict[str, str] = {}
    year = form.get("year", "")
    if not year.isdigit() or not 2000 <= int(year) <= 2100:
        local["year"] = t("error.number_range", low=2000, high=2100)
    body: dict[str, list[str]] = {}
    for field, name in (("holidays", "holidays"), ("workdays", "workdays")):
        try:
            body[name] = parse_dates(form.get(field, ""))
        except ValueError:
            local[field] = t("error.dates")
    if not local.get("holidays") and not body.get("holidays"):
        local["holidays"] = t("error.required")
    if year.isdigit() and not local:
        outside = [d for d in body["holidays"] + body["workdays"] if not d.startswith(year)]
        if outside:
            local["holidays"] = t("error.date_outside_year", year=year, day=outside[0])
    errors = of_form("holidays", local)
    if not errors:
        try:
            await clients_of(request).call(
                "triage", "PUT", f"/v1/holiday-schedules/{year}", token=person.token, json=body
            )
        except ServiceProblem as problem:
            if problem.status >= 500:
                raise
            errors = of_form("holidays", problem_fields(t, problem, {"holidays", "workdays"}))
        else:
            return back_to("/admin/sla", done="holidays_loaded")
    return await _sla_page(request, person, refused(errors, of_form("holidays", form)))
