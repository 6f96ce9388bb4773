"""JSON errors with a stable ``code``: bad input is a 4xx, never a 500."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from shared.observability import correlation_id_var, get_logger
from shared.routing import on_path

log = get_logger(__name__)


class ErrorBody(BaseModel):
    code: str = Field(examples=["ticket_not_found"])
    message: str = Field(examples=["No ticket with that id."])
    details: Any | None = None
    correlation_id: str | None = Field(
        default=None,
        description="The request's X-Correlation-ID, also on every log line it wrote",
        examples=["7d3f2a9e-0c1b-4f57-9a61-2d8e5b4c3a10"],
    )


class ApiError(Exception):
    """Raise from a route or a service function; the handler turns it into JSON."""

    def __init__(self, status: int, code: str, message: str, details: Any | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def not_found(what: str, ident: object) -> ApiError:
    return ApiError(404, f"{what}_not_found", f"No {what.replace('_', ' ')} with id {ident}.")


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entry documenting the error body for these statuses."""
    return {
        status: {"model": ErrorBody, "description": _STATUS_CODES.get(status, "error")}
        for status in statuses
    }


def _allowed_methods(request: Request) -> list[str]:
    methods: set[str] = set()
    for endpoint in on_path(request.scope):
        methods.update(endpoint.methods)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def _answers_html(scope: Scope) -> bool:
    route = scope.get("route")
    return getattr(route, "response_class", None) is HTMLResponse


def error_response(
    scope: Scope, status: int, body: ErrorBody, headers: dict[str, str] | None = None
) -> Response:
    """The error in JSON, or as a small page on a route that answers only pages (the
    survey form a customer posts from a phone)."""
    cid = correlation_id_var.get()
    if cid is not None and body.correlation_id is None:
        body = body.model_copy(update={"correlation_id": str(cid)})
    if _answers_html(scope):
        page = (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{status}</title></head><body><main><h1>{status}</h1>"
            f"<p>{escape(body.message)}</p><p><code>{escape(body.code)}</code></p>"
            "</main></body></html>"
        )
        return HTMLResponse(page, status_code=status, headers=headers)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Handlers of expected errors; an unexpected one is logged and answered by
    ``shared.observability.RequestContextMiddleware`` with the request's correlation id."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        body = ErrorBody(code=exc.code, message=exc.message, details=exc.details)
        headers = None
        retry_after = (
            exc.details.get("retry_after_seconds") if isinstance(exc.details, dict) else None
        )
        if exc.status in (429, 503) and retry_after is not None:
            headers = {"Retry-After": str(retry_after)}  # what HTTP clients read
        return error_response(request.scope, exc.status, body, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        details = [
            {"loc": list(err.get("loc", ())), "msg": err.get("msg"), "type": err.get("type")}
            for err in exc.errors()
        ]
        body = ErrorBody(
            code="validation_error", message="The request is not valid.", details=details
        )
        return error_response(request.scope, 422, body)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _STATUS_CODES.get(exc.status_code, "error")
        body = ErrorBody(code=code, message=str(exc.detail))
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # Starlette names only the first route on the path; name every method it has.
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return error_response(request.scope, exc.status_code, body, headers or None)

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> Response:
        # Date arithmetic at the edge of the calendar (year 1 or 9999): the input is
        # out of range, not our failure. Inputs are bounded (shared.inputs); this is
        # the net under any computation that still reaches the edge.
        log.warning("out_of_range_input", error=str(exc))
        body = ErrorBody(code="out_of_range", message="A date or number is out of range.")
        return error_response(request.scope, 422, body)
