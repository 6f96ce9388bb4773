"""The admin's screens for what customers read: knowledge-base articles (triage) and the
message templates (intake), each template with its versions and a preview of a draft as
the customer would get it.

An article's form carries the ``updated_at`` it was drawn from and a template's the
number of versions it had: a page out of date is told so instead of saving over a
colleague's change.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from services.workspace import console_words  # noqa: F401  (the screens' words)
from services.workspace.clients import ServiceProblem
from services.workspace.console import (
    NO_FEEDBACK,
    Feedback,
    admin,
    at_most,
    back_to,
    changed_meanwhile,
    clients_of,
    done_feedback,
    done_flash,
    problem_fields,
    read_form,
    refused,
    required,
    settings_of,
    split_list,
    words_of,
)
from services.workspace.pages import language_of, render
from services.workspace.session import SignedInPerson
from shared.vocabulary import CATEGORIES, Language

router = APIRouter(prefix="/admin", include_in_schema=False)

TEMPLATE_LANGUAGES = ("zh", "en")
TEMPLATE_CHANNELS = ("any", "sms", "email", "chat")


# --------------------------------------------------------------------------- knowledge base


def _categories(request: Request) -> list[tuple[str, str]]:
    language: Language = "en" if language_of(request) == "en" else "zh"
    return list(CATEGORIES.labels(language).items())


async def _kb_page(
    request: Request,
    person: SignedInPerson,
    feedback: Feedback = NO_FEEDBACK,
    *,
    article_id: str | None = None,
) -> Response:
    clients = clients_of(request)
    articles: list[dict[str, Any]] = await clients.get("triage", "/v1/kb/articles", person.token)
    article = next((a for a in articles if a["id"] == article_id), None)
    if article_id not in (None, "new") and article is None:
        raise ServiceProblem(404, "article_not_found", f"No article {article_id}.", "triage")
    values = feedback.values
    shown = values if values is not None else _article_values(article, settings_of(request).zone)
    articles.sort(key=lambda a: a.get("updated_at") or "", reverse=True)
    return render(
        request,
        "admin/kb.html",
        person,
        current_path=f"/admin/kb/{article_id}" if article_id else "/admin/kb",
        articles=articles,
        article=article,
        article_id=article_id or "new",
        v=shown,
        categories=_categories(request),
        **feedback.shown(),
    )


def _article_values(article: dict[str, Any] | None, zone: Any) -> dict[str, Any]:
    if article is None:
        return {}

    def local(value: str | None) -> str:
        if not value:
            return ""
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")

    return {
        "title": article["title"],
        "answer": article["answer"],
        "tags": ", ".join(article.get("tags", [])),
        "category": article.get("category") or "",
        "valid_from": local(article.get("valid_from")),
        "valid_to": local(article.get("valid_to")),
        "updated_at": article.get("updated_at", ""),
    }


@router.get("/kb", response_class=HTMLResponse)
async def kb(
    request: Request, done: str | None = None, person: SignedInPerson = Depends(admin)
) -> Response:
    return await _kb_page(request, person, done_feedback(request, done))


@router.get("/kb/{article_id}", response_class=HTMLResponse)
async def kb_article(
    request: Request,
    article_id: str,
    done: str | None = None,
    person: SignedInPerson = Depends(admin),
) -> Response:
    return await _kb_page(request, person, done_feedback(request, done), article_id=article_id)


def _instant(value: str, zone: Any) -> str | None:
    """A datetime-local field (the display zone) as an ISO instant; ValueError if bad."""
    if not value:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=zone).isoformat()


@router.post("/kb/{article_id}", response_class=HTMLResponse)
async def save_article(
    request: Request, article_id: str, person: SignedInPerson = Depends(admin)
) -> Response:
    t = words_of(request)
    form = await read_form(request)
    errors: dict[str, str] = {}
    required(t, form, errors, "title", "answer")
    at_most(t, form, errors, title=200, answer=5000)
    zone = settings_of(request).zone
    body: dict[str, Any] = {
        "title": form.get("title"),
        "answer": form.get("answer"),
        "tags": split_list(form.get("tags")),
        "category": form.get("category") or None,
    }
    for field in ("valid_from", "valid_to"):
        try:
            body[field] = _instant(form.get(field, ""), zone)
        except ValueError:
            errors[field] = t("error.datetime")
    if body.get("valid_from") and body.get("valid_to") and body["valid_to"] <= body["valid_from"]:
        errors["valid_to"] = t("error.valid_range")
    clients = clients_of(request)
    if not errors:
        try:
            if article_id == "new":
                saved = await clients.post("triage", "/v1/kb/articles", person.token, body)
            else:
                ident = uuid.UUID(article_id)
                current = await clients.get("triage", f"/v1/kb/articles/{ident}", person.token)
                if current["updated_at"] != form.get("updated_at"):
                    stale = changed_meanwhile(request)
                    return await _kb_page(request, person, stale, article_id=article_id)
                saved = await clients.call(
                    "triage", "PUT", f"/v1/kb/articles/{ident}", token=person.token, json=body
                )
        except ServiceProblem as problem:
            if problem.status >= 500:
                raise
            errors = problem_fields(t, problem, set(body))
        except ValueError:
            raise ServiceProblem(404, "article_not_found", "No such article.", "triage") from None
        else:
            return back_to(f"/admin/kb/{saved['id']}", done="article_saved")
    return await _kb_page(request, person, refused(errors, form), article_id=article_id)


@router.post("/kb/{article_id}/delete", response_class=HTMLResponse)
async def delete_article(
    request: Request, article_id: uuid.UUID, person: SignedInPerson = Depends(admin)
) -> Response:
    await read_form(request)
    await clients_of(request).call(
        "triage", "DELETE", f"/v1/kb/articles/{article_id}", token=person.token
    )
    return back_to("/admin/kb", done="article_deleted")


# --------------------------------------------------------------------------- templates


@router.get("/templates", response_class=HTMLResponse)
async def templates(request: Request, person: SignedInPerson = Depends(admin)) -> Response:
    found = await clients_of(request).get("intake", "/v1/templates", person.token)
    return render(request, "admin/templates.html", person, templates=found)


async def _template_page(
    request: Request,
    person: SignedInPerson,
    key: str,
    feedback: Feedback = NO_FEEDBACK,
    *,
    preview: dict[str, Any] | None = None,
) -> Response:
    history: dict[str, Any] = await clients_of(request).get(
        "intake", f"/v1/templates/{key}", person.token
    )
    values = feedback.values or {}
    language = values.get("language") or "zh"
    channel = values.get("channel") or "any"
    in_force = _text_in_force(history, language, channel)
    shown = {"language": language, "channel": channel, "body": in_force, **values}
    return render(
        request,
        "admin/template.html",
        person,
        current_path=f"/admin/templates/{key}",
        tpl=history,
        versions=list(reversed(history.get("versions", []))),
        v=shown,
        preview=preview,
        languages=TEMPLATE_LANGUAGES,
        channels=TEMPLATE_CHANNELS,
        **feedback.shown(),
    )


def _text_in_force(history: dict[str, Any], language: str, channel: str) -> str:
    for text in history.get("current", []):
        if text["language"] == language and text["channel"] == channel:
            return str(text["body"])
    for text in history.get("current", []):
        if text["language"] == language and text["channel"] == "any":
            return str(text["body"])
    built_in = next((b for b in history.get("built_in", []) if b["language"] == language), None)
    return str(built_in["body"]) if built_in else ""


@router.get("/templates/{key}", response_class=HTMLResponse)
async def template_page(
    request: Request,
    key: str,
    language: str = "zh",
    channel: str = "any",
    done: str | None = None,
    person: SignedInPerson = Depends(admin),
) -> Response:
    values = {
        "language": language if language in TEMPLATE_LANGUAGES else "zh",
        "channel": channel if channel in TEMPLATE_CHANNELS else "any",
    }
    done_line = done_flash(words_of(request), done)
    return await _template_page(request, person, key, Feedback(values=values, flash=done_line))


async def _template_draft(
    request: Request,
) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """The posted draft of a template's text: the form, intake's body and what is wrong."""
    t = words_of(request)
    form = await read_form(request)
    errors: dict[str, str] = {}
    required(t, form, errors, "body")
    at_most(t, form, errors, body=2000)
    if form.get("language") not in TEMPLATE_LANGUAGES:
        errors["language"] = t("error.required")
    if form.get("channel") not in TEMPLATE_CHANNELS:
        errors["channel"] = t("error.required")
    body = {name: form.get(name) for name in ("language", "channel", "body")}
    return form, body, errors


@router.post("/templates/{key}/preview", response_class=HTMLResponse)
async def preview_template(
    request: Request, key: str, person: SignedInPerson = Depends(admin)
) -> Response:
    """The draft rendered as the customer would get it (sample values for placeholders)."""
    t = words_of(request)
    form, body, errors = await _template_draft(request)
    preview = None
    if not errors:
        try:
            preview = await clients_of(request).post(
                "intake", f"/v1/templates/{key}/preview", person.token, body
            )
        except ServiceProblem as problem:
            if problem.status >= 500:
                raise
            errors = problem_fields(t, problem, set(body), on="body")
    shown = Feedback(errors=errors, values=form, status_code=422 if errors else 200)
    return await _template_page(request, person, key, shown, preview=preview)


@router.post("/templates/{key}", response_class=HTMLResponse)
async def save_template(
    request: Request, key: str, person: SignedInPerson = Depends(admin)
) -> Response:
    """The draft as a new version of the template's text (unless one was added meanwhile)."""
    t = words_of(request)
    form, body, errors = await _template_draft(request)
    clients = clients_of(request)
    if not errors:
        history = await clients.get("intake", f"/v1/templates/{key}", person.token)
        if str(len(history.get("versions", []))) != form.get("base_versions"):
            stale = changed_meanwhile(request, values=form)
            return await _template_page(request, person, key, stale)
        try:
            await clients.post("intake", f"/v1/templates/{key}/versions", person.token, body)
        except ServiceProblem as problem:
            if problem.status >= 500:
                raise
            errors = problem_fields(t, problem, set(body), on="body")
        else:
            return back_to(
                f"/admin/templates/{key}",
                done="template_saved",
                language=str(body["language"]),
                channel=str(body["channel"]),
            )
    return await _template_page(request, person, key, refused(errors, form))
