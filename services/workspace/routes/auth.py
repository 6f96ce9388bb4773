"""Sign-in, sign-out and the language switch."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.workspace.clients import ServiceProblem
from services.workspace.i18n import LANGUAGE_COOKIE, LANGUAGES
from services.workspace.pages import render
from services.workspace.session import sessions_of

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path on this site (never another host: an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request, next: str = "/", notice: str = "") -> Response:
    person = await sessions_of(request).person(request)
    if person is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(
        request, "sign_in.html", None, next=safe_next(next), notice=notice, errors={}, login=""
    )


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    sessions = sessions_of(request)
    form = await sessions.form(request)
    login, password = form.get("login", "").strip(), form.get("password", "")
    target = safe_next(form.get("next"))
    errors: dict[str, str] = {}
    if not login:
        errors["login"] = "error.required"
    if not password:
        errors["password"] = "error.required"
    if len(login) > 64:
        errors["login"] = "error.too_long"
    if not errors:
        try:
            tokens = await request.app.state.clients.sign_in(login, password)
        except ServiceProblem as problem:
            errors["form"] = f"error.{problem.code}"
            if problem.code == "service_unavailable":
                errors["form"] = "error.service_unavailable"
            status = problem.status if problem.status in (401, 403, 429, 503) else 422
            return render(
                request,
                "sign_in.html",
                None,
                status_code=status,
                next=target,
                notice="",
                errors=errors,
                login=login,
                service=problem.service,
            )
        sessions.start(request, tokens)
        return RedirectResponse(target, status_code=303)
    return render(
        request,
        "sign_in.html",
        None,
        status_code=422,
        next=target,
        notice="",
        errors=errors,
        login=login,
    )


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    sessions = sessions_of(request)
    await sessions.form(request)
    refresh = sessions.end(request)
    if refresh:
        # The cookie is gone; a refresh token dispatch did not hear about ends on its own.
        with contextlib.suppress(ServiceProblem):
            await request.app.state.clients.sign_out(refresh)
    return RedirectResponse("/sign-in?notice=signed_out", status_code=303)


@router.get("/language/{language}")
async def switch_language(language: str, next: str = "/") -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 86400, httponly=True, samesite="lax"
        )
    return response
