"""Headers that keep pages safe in a browser, added to every response in one place.

Every response: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``
(the survey page carries its token in the URL; no link may leak it) and, unless the
route set its own, ``Cache-Control: no-store``. HTML pages also
get a Content-Security-Policy that allows only the service's own scripts and
styles (the pages inline their small style sheets), no framing, and
``Cache-Control: no-store`` (a survey page holds a live link, reports hold business
figures). The API documentation runs Swagger UI's inline start-up script, so its
policy also allows inline scripts.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from shared.asgi import HttpMiddleware

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
DOCS_POLICY = PAGE_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
DOCS_PATHS = ("/docs", "/redoc")


class SecurityHeaders(HttpMiddleware):
    """Pure ASGI middleware adding the headers above."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                # API answers hold customers' data and survey answers a live token.
                headers.setdefault("Cache-Control", "no-store")
                if headers.get("content-type", "").startswith("text/html"):
                    policy = DOCS_POLICY if path.startswith(DOCS_PATHS) else PAGE_POLICY
                    headers.setdefault("Content-Security-Policy", policy)
                    headers.setdefault("X-Frame-Options", "DENY")
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
