"""The routes of an app as a flat list, for plumbing that must know a request's route
before FastAPI picks it (the input guard) or every route of a path (a 405's ``Allow``).

FastAPI keeps included routers as branches; their routes are read from each branch's
effective contexts, which carry the full path."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, compile_path
from starlette.types import Scope


@dataclass(frozen=True)
class Endpoint:
    path: str
    regex: re.Pattern[str]
    methods: frozenset[str]
    route: APIRoute


def _flatten(routes: list[BaseRoute]) -> list[tuple[str, APIRoute]]:
    found: list[tuple[str, APIRoute]] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append((route.path, route))
        elif hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                if isinstance(context.original_route, APIRoute):
                    found.append((context.path, context.original_route))
    return found


def endpoints(app: Any) -> list[Endpoint]:
    """Every API route of ``app`` (computed once per app)."""
    cached: list[Endpoint] | None = getattr(app.state, "sopdesk_endpoints", None)
    if cached is None:
        cached = [
            Endpoint(path, compile_path(path)[0], frozenset(route.methods or ()), route)
            for path, route in _flatten(app.router.routes)
        ]
        app.state.sopdesk_endpoints = cached
    return cached


def on_path(scope: Scope) -> list[Endpoint]:
    """The endpoints whose path matches the request's, whatever their method."""
    app = scope.get("app")
    if app is None:
        return []
    path = scope.get("path", "")
    return [e for e in endpoints(app) if e.regex.match(path)]


def matched_route(scope: Scope) -> APIRoute | None:
    """The route FastAPI will call for this request, if any."""
    method = scope.get("method", "GET")
    for endpoint in on_path(scope):
        if method in endpoint.methods or (method == "HEAD" and "GET" in endpoint.methods):
            return endpoint.route
    return None
