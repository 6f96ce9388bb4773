"""Rendering pages: one Jinja2 environment (autoescaped), the navigation every page shows,
and the filters templates use (local time, time left on a clock).

Screens add their navigation entries with ``add_nav``: an entry names the roles that see
it, so the supervisor and admin entries appear only for those people (``slot`` is
``"main"`` for the left of the bar; base.html shows every slot in order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.workspace.i18n import CATALOGUE, LANGUAGE_COOKIE, choose_language, translator
from services.workspace.session import SignedInPerson, sessions_of
from services.workspace.settings import WorkspaceSettings

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
HTMX_FILE = "htmx-2.0.11.min.js"  # vendored from the npm registry, pinned (static/)


@dataclass(frozen=True)
class NavEntry:
    label_key: str  # an i18n key
    path: str
    roles: tuple[str, ...]  # who sees it; admin sees every entry
    shortcut: str | None = None  # the "g <key>" shortcut, if any
    slot: str = "main"


NAV: list[NavEntry] = [
    NavEntry("nav.my_work", "/", ("agent", "supervisor"), shortcut="w"),
    NavEntry("nav.search", "/search", ("agent", "supervisor", "viewer")),
]


def add_nav(entry: NavEntry) -> None:
    """Another screen's entry in the navigation bar (once per path)."""
    if all(existing.path != entry.path for existing in NAV):
        NAV.append(entry)


def nav_for(person: SignedInPerson | None) -> list[NavEntry]:
    if person is None:
        return []
    return [entry for entry in NAV if person.has_role(*entry.roles)]


def _parse(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_time(value: Any, zone: ZoneInfo, *, with_date: bool = True) -> str:
    moment = _parse(value)
    if moment is None:
        return ""
    local = moment.astimezone(zone)
    today = datetime.now(zone).date()
    if not with_date or local.date() == today:
        return local.strftime("%H:%M")
    if local.year == today.year:
        return local.strftime("%m-%d %H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def time_left(value: Any, language: str) -> dict[str, Any]:
    """What is left on a clock: text (e.g. "2小时05分" / "-15 min"), seconds, and a level
    (ok, soon under an hour, late past due) for its colour."""
    moment = _parse(value)
    if moment is None:
        return {"text": "", "seconds": None, "level": "none"}
    seconds = int((moment - datetime.now(UTC)).total_seconds())
    minutes = abs(seconds) // 60
    hours, mins = divmod(minutes, 60)
    days, hours_in_day = divmod(hours, 24)
    if language == "en":
        if days:
            text = f"{days}d {hours_in_day}h"
        elif hours:
            text = f"{hours}h {mins:02d}m"
        else:
            text = f"{mins} min"
    elif days:
        text = f"{days}天{hours_in_day}小时"
    elif hours:
        text = f"{hours}小时{mins:02d}分"
    else:
        text = f"{mins}分钟"
    if seconds < 0:
        text = ("overdue " if language == "en" else "已超时 ") + text
    level = "late" if seconds < 0 else "soon" if seconds < 3600 else "ok"
    return {"text": text, "seconds": seconds, "level": level, "at": moment.isoformat()}


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


ENVIRONMENT = make_environment()


def language_of(request: Request) -> str:
    settings: WorkspaceSettings = request.app.state.settings
    return choose_language(request.cookies.get(LANGUAGE_COOKIE), settings.default_language)


def page_context(request: Request, person: SignedInPerson | None) -> dict[str, Any]:
    settings: WorkspaceSettings = request.app.state.settings
    language = language_of(request)
    zone = settings.zone
    return {
        "request": request,
        "person": person,
        "nav": nav_for(person),
        "lang": language,
        "t": translator(language),
        "words": CATALOGUE,  # templates check a key exists before using it
        "csrf_token": sessions_of(request).csrf_token(request),
        "htmx_file": HTMX_FILE,
        "local_time": lambda value, with_date=True: local_time(value, zone, with_date=with_date),
        "time_left": lambda value: time_left(value, language),
        "zone_name": settings.display_timezone,
        "current_path": request.url.path,
    }


def render(
    request: Request,
    template: str,
    person: SignedInPerson | None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page (or an htmx fragment) from ``template`` with the shared context."""
    values = page_context(request, person)
    values.update(context)
    html = ENVIRONMENT.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=headers)
