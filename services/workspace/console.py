"""What the supervisor console and the admin screens share: who may open them, calling the
services as the signed-in person, reading form fields and turning refusals into messages
next to the field they concern.

The screens own nothing: each change is one call to the service's versioned API, made with
the person's own token, so the service decides (and records) who did what. A form whose
page is out of date is told so (the service's 409, or for configuration without an
expected version, the version the page was drawn from against the one in force now).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from services.workspace.clients import ServiceClients, ServiceProblem
from services.workspace.i18n import translator
from services.workspace.pages import language_of
from services.workspace.session import SignedInPerson, sessions_of, signed_in
from services.workspace.settings import WorkspaceSettings

# Separators people type between list items: commas (both widths), 、, semicolons, lines.
_LIST_SEPARATORS = re.compile(r"[,，、;；\n\r]+")


def clients_of(request: Request) -> ServiceClients:
    clients: ServiceClients = request.app.state.clients
    return clients


def settings_of(request: Request) -> WorkspaceSettings:
    settings: WorkspaceSettings = request.app.state.settings
    return settings


def forbidden() -> ServiceProblem:
    return ServiceProblem(403, "forbidden", "This screen is not for your role.", "workspace")


async def supervisor(person: SignedInPerson = Depends(signed_in)) -> SignedInPerson:
    """Dependency: a signed-in supervisor (or an admin, who may act for every team)."""
    if not person.has_role("supervisor"):
        raise forbidden()
    return person


async def admin(person: SignedInPerson = Depends(signed_in)) -> SignedInPerson:
    """Dependency: a signed-in admin."""
    if "admin" not in person.roles:
        raise forbidden()
    return person


async def read_form(request: Request) -> dict[str, str]:
    """The posted form after its CSRF check, every value stripped of outer spaces."""
    form = await sessions_of(request).form(request)
    return {key: value.strip() for key, value in form.items()}


async def read_form_lists(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Like ``read_form``, plus every value of repeated fields (checkbox groups)."""
    body = await request.body()
    fields = await read_form(request)
    multi = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=False)
    multi.pop("csrf_token", None)
    return fields, {key: [v.strip() for v in values] for key, values in multi.items()}


def back_to(path: str, **params: str) -> RedirectResponse:
    """After a change: the page again (post/redirect/get), with what was done."""
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


Words = Callable[..., str]


def words_of(request: Request) -> Words:
    """The page's translator (the language the person chose)."""
    return translator(language_of(request))


def done_flash(t: Words, done: str | None) -> str | None:
    """The confirmation a redirect asked for (``?done=key``), if it is one of ours."""
    if not done or not re.fullmatch(r"[a-z_]{1,40}", done):
        return None
    key = f"done.{done}"
    text = t(key)
    return None if text == key else text


@dataclass(frozen=True)
class Feedback:
    """What a console page shows about the form last sent: messages next to their fields,
    what was typed, a line at the top (``stale`` when the page was out of date) and the
    status code it answers with."""

    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] | None = None
    flash: str | None = None
    flash_level: str = "ok"
    status_code: int = 200

    def shown(self) -> dict[str, Any]:
        """The page's context for it (base.html and console/macros.html read these)."""
        return {
            "status_code": self.status_code,
            "errors": self.errors,
            "values": self.values or {},
            "flash": self.flash,
            "flash_level": self.flash_level,
        }


NO_FEEDBACK = Feedback()


def done_feedback(request: Request, done: str | None) -> Feedback:
    """A page after a redirect: the confirmation it asked for (``?done=key``), if any."""
    return Feedback(flash=done_flash(words_of(request), done))


def refused(errors: dict[str, str], values: dict[str, Any] | None) -> Feedback:
    """The form again, not applied: its messages and what was typed (422)."""
    return Feedback(errors=errors, values=values, status_code=422)


def stale(flash: str, values: dict[str, Any] | None = None, status_code: int = 409) -> Feedback:
    """The page as it is now, told (``flash``) why the form sent from an older one was not
    applied."""
    return Feedback(values=values, flash=flash, flash_level="stale", status_code=status_code)


def changed_meanwhile(request: Request, values: dict[str, Any] | None = None) -> Feedback:
    """The page as it is now, told that what the form came from changed meanwhile (409)."""
    return stale(words_of(request)("error.changed_meanwhile"), values)


def problem_text(t: Words, problem: ServiceProblem) -> str:
    """A refusal in the person's words when the catalogue knows its code, else the
    service's own message (English)."""
    key = f"error.{problem.code}"
    text = t(key, service=problem.service)
    return problem.message if text == key else text


def problem_fields(
    t: Words, problem: ServiceProblem, known: set[str], on: str = "form"
) -> dict[str, str]:
    """A refusal as field → message: the service's validation details on the form's own
    fields, else the whole refusal on ``on`` (the field a form's refusals are about, or
    the form itself)."""
    errors = {name: message for name, message in problem.fields.items() if name in known}
    if not errors:
        errors[on] = problem_text(t, problem)
    return errors


def of_form(key: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Fields of one of a page's several forms (a team's, an agent's), named ``key.field``."""
    return {f"{key}.{name}": value for name, value in fields.items()}


def required(t: Words, fields: dict[str, str], errors: dict[str, str], *names: str) -> None:
    for name in names:
        if not fields.get(name):
            errors.setdefault(name, t("error.required"))


def at_most(t: Words, fields: dict[str, str], errors: dict[str, str], **limits: int) -> None:
    for name, limit in limits.items():
        if len(fields.get(name, "")) > limit:
            errors.setdefault(name, t("error.too_long", limit=limit))


def split_list(text: str | None) -> list[str]:
    """ "a, b；c" or one per line → ["a", "b", "c"] (empty items dropped)."""
    if not text:
        return []
    return [part.strip() for part in _LIST_SEPARATORS.split(text) if part.strip()]


def join_list(items: Any) -> str:
    return "\n".join(str(item) for item in items or [])


def parse_levels(text: str) -> dict[str, int]:
    """ "fault:3, account:2" (a bare skill is level 1) → {"fault": 3, "account": 2}."""
    levels: dict[str, int] = {}
    for part in split_list(text):
        match = re.fullmatch(r"([^:：=\s]+)\s*(?:[:：=]\s*(\d+))?", part)
        if match is None:
            raise ValueError(part)
        levels[match.group(1)] = int(match.group(2) or 1)
    return levels


def show_levels(levels: dict[str, int] | None) -> str:
    return ", ".join(f"{name}:{level}" for name, level in sorted((levels or {}).items()))


def parse_dates(text: str) -> list[str]:
    """Dates one per item; "2027-02-06~2027-02-12" (or ..) is every day of the range."""
    days: list[str] = []
    for part in split_list(text):
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\s*(?:~|\.\.|至|到)\s*(\d{4}-\d{2}-\d{2})", part):
            first, last = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
            if last < first or (last - first).days > 366:
                raise ValueError(part)
            days.extend(
                date.fromordinal(n).isoformat()
                for n in range(first.toordinal(), last.toordinal() + 1)
            )
        else:
            days.append(date.fromisoformat(part).isoformat())
    return days


def parse_windows(text: str) -> list[list[str]]:
    """ "09:00-12:00, 13:30-18:00" → [["09:00", "12:00"], ["13:30", "18:00"]]."""
    windows: list[list[str]] = []
    for part in split_list(text):
        m = re.fullmatch(r"(\d{1,2}:\d{2})\s*[-~–至到]\s*(\d{1,2}:\d{2})", part)
        if m is None:
            raise ValueError(part)
        windows.append([m.group(1).zfill(5), m.group(2).zfill(5)])
    return windows


def show_windows(windows: Any) -> str:
    return ", ".join(f"{w[0]}-{w[1]}" for w in windows or [])


def today_local(settings: WorkspaceSettings) -> str:
    return datetime.now(settings.zone).date().isoformat()


def word_inbox_item(item: dict[str, Any], t: Words, when: Callable[[Any], str]) -> str:
    """One inbox item in the reader's language, from the facts dispatch stores with it
    (the agent by display name, the person's words, kind-specific data). An item without
    them (written before dispatch kept them) shows dispatch's English summary."""
    kind = str(item.get("kind") or "")
    data: dict[str, Any] = item.get("data") or {}
    agent = item.get("agent_name") or t("super.line.someone")
    words = item.get("text") or ""

    if kind == "report" and item.get("agent_name") and data.get("cause"):
        cause_key = f"super.cause.{data['cause']}"
        cause = t(cause_key)
        return t(
            "super.line.report",
            priority=item.get("priority") or "",
            agent=agent,
            cause=str(data["cause"]) if cause == cause_key else cause,
        )
    if kind == "escalation" and item.get("agent_name"):
        return t("super.line.escalation", agent=agent, reason=words)
    if kind in ("sla_warning", "sla_breached") and data.get("clock") and data.get("due_at"):
        clock_key = f"super.clock.{data['clock']}"
        clock_word = t(clock_key)
        line = t(
            f"super.line.{kind}",
            clock=str(data["clock"]) if clock_word == clock_key else clock_word,
            at=when(data["due_at"]),
        )
        if item.get("agent_name"):
            line += t("super.line.with_agent", agent=agent)
        return line
    if kind == "reopened" and (item.get("agent_name") or words or data):
        line = t("super.line.reopened", reason=words) if words else t("super.line.reopened_bare")
        if data.get("score") is not None:
            line += t("super.line.score", score=data["score"])
        if item.get("agent_name"):
            line += t("super.line.was_with", agent=agent)
        return line
    if kind == "unsatisfied_survey" and data.get("score") is not None:
        verdict = "super.line.resolved" if data.get("resolved") else "super.line.not_resolved"
        return t("super.line.unsatisfied_survey", agent=agent, score=data["score"]) + t(verdict)
    if kind == "extension_request" and data.get("extra_minutes") is not None:
        return t(
            "super.line.extension_request",
            agent=agent,
            minutes=data["extra_minutes"],
            due=when(data.get("due_at")),
            reason=words,
        )
    return str(item.get("summary") or "")
