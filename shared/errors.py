"""JSON errors with a stable ``code``: bad input is a 4xx, never a 500."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.observability import get_logger

log = get_logger(__name__)


class ErrorBody(BaseModel):
    code: str = Field(examples=["ticket_not_found"])
    message: str = Field(examples=["No ticket with that id."])
    details: Any | None = None


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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        body = ErrorBody(code=exc.code, message=exc.message, details=exc.details)
        headers = None
        retry_after = (
            exc.details.get("retry_after_seconds") if isinstance(exc.details, dict) else None
        )
        if exc.status in (429, 503) and retry_after is not None:
            headers = {"Retry-After": str(retry_after)}  # what HTTP clients read
        return JSONResponse(
            body.model_dump(exclude_none=True), status_code=exc.status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": list(err.get("loc", ())), "msg": err.get("msg"), "type": err.get("type")}
            for err in exc.errors()
        ]
        body = ErrorBody(
            code="validation_error", message="The request is not valid.", details=details
        )
        return JSONResponse(body.model_dump(exclude_none=True), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        body = ErrorBody(code=code, message=str(exc.detail))
        return JSONResponse(
            body.model_dump(exclude_none=True),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", error=type(exc).__name__)
        body = ErrorBody(code="internal_error", message="Something went wrong on our side.")
        return JSONResponse(body.model_dump(exclude_none=True), status_code=500)
