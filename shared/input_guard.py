"""Input no store can keep, refused the same way by every service, before a route parses it.

Decided once for all five services (issue 16):

- a NUL character (U+0000) anywhere in the path, the query or a body string is refused
  with 422 ``invalid_text``: PostgreSQL cannot store it in a text column and SQLite
  would keep a value PostgreSQL refuses, so refusing is the only answer both stores
  give alike (stripping would silently change what a customer wrote);
- a body that is not UTF-8 is 422 ``invalid_encoding``;
- ``NaN``, ``Infinity`` and numbers too large for a double (``1e400``) are 422
  ``invalid_number``: JSON has no such values and PostgreSQL's JSON refuses them;
- a JSON body that does not parse is 422 ``validation_error`` (as FastAPI would say).

Each refusal is answered after authentication: a caller without a valid key gets 401
whatever the body, as for any other request.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse, Response
from fastapi.security.base import SecurityBase
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from shared.asgi import HttpMiddleware
from shared.auth import authentication_failure
from shared.errors import ErrorBody, error_response
from shared.observability import scope_header
from shared.routing import matched_route

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class BadInput(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _reject_constant(name: str) -> Any:
    raise BadInput("invalid_number", f"{name} is not a JSON number.")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise BadInput("invalid_number", f"The number {text[:40]} is too large.")
    return value


def _check_strings(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise BadInput("invalid_text", "Text may not contain the NUL character (U+0000).")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


def check_json_body(body: bytes) -> None:
    """Raise :class:`BadInput` for a JSON body no store can keep."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput("invalid_encoding", "The request body is not UTF-8.") from exc
    if not text.strip():
        return  # an empty body is the route's business (a missing body is a 422 there)
    try:
        document = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise BadInput("validation_error", f"The body is not valid JSON: {exc.msg}.") from exc
    if "\\u0000" in text or "\x00" in text:
        _check_strings(document)


def check_form_body(body: bytes) -> None:
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadInput("invalid_encoding", "The form is not UTF-8.") from exc
    for key, value in pairs:
        _check_strings(key)
        _check_strings(value)


def check_target(scope: Scope) -> None:
    """The path and the query string: no NUL, and UTF-8 once percent-decoded."""
    if "\x00" in scope.get("path", ""):
        raise BadInput("invalid_text", "The path may not contain the NUL character (U+0000).")
    query: bytes = scope.get("query_string", b"")
    if not query:
        return
    raw = unquote_to_bytes(query.replace(b"+", b" "))
    if b"\x00" in raw:
        raise BadInput("invalid_text", "The query may not contain the NUL character (U+0000).")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput("invalid_encoding", "The query string is not UTF-8.") from exc


def _needs_credentials(dependant: Dependant) -> bool:
    return any(
        isinstance(sub.call, SecurityBase) or _needs_credentials(sub)
        for sub in dependant.dependencies
    )


def refusal(scope: Scope, problem: BadInput) -> Response:
    """401 when the route wants a key the caller did not present validly, else 422."""
    route = matched_route(scope)
    if route is not None:
        scope = {**scope, "route": route}  # so a page-only route answers a page
        if _needs_credentials(route.dependant):
            failure = authentication_failure(Request(scope))
            if failure is not None:
                return error_response(
                    scope, failure.status, ErrorBody(code=failure.code, message=failure.message)
                )
    return error_response(scope, 422, ErrorBody(code=problem.code, message=problem.message))


class InputGuard(HttpMiddleware):
    """Pure ASGI middleware applying the checks above; the body it read is replayed."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            check_target(scope)
        except BadInput as problem:
            await refusal(scope, problem)(scope, receive, send)
            return
        content_type = (scope_header(scope, "content-type") or "").split(";")[0].strip().lower()
        is_json = content_type == "" or content_type.endswith("json")
        is_form = content_type == "application/x-www-form-urlencoded"
        if scope["method"] not in _BODY_METHODS or not (is_json or is_form):
            await self.app(scope, receive, send)
            return
        try:
            body = await _read_body(receive)
        except StarletteHTTPException as exc:  # the size limit, read here first
            too_large = ErrorBody(code="payload_too_large", message=str(exc.detail))
            await JSONResponse(too_large.model_dump(exclude_none=True), exc.status_code)(
                scope, receive, send
            )
            return
        try:
            if body:
                check_json_body(body) if is_json else check_form_body(body)
        except BadInput as problem:
            await refusal(scope, problem)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # later: the disconnect, when it comes

    return replay
