"""The five services' APIs as the workspace calls them: one pooled HTTP client, the
signed-in person's access token on every call, and refusals turned into one exception
that pages can show next to the field it names.

The workspace keeps nothing of its own: every page is composed from these calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from services.workspace.settings import WorkspaceSettings

SERVICES = ("intake", "triage", "dispatch", "followup", "analytics")


@dataclass
class ServiceProblem(Exception):
    """A service refused a call (or could not be reached: status 503, code
    ``service_unavailable``). ``fields`` maps a body field to what is wrong with it."""

    status: int
    code: str
    message: str
    service: str = ""
    details: Any = None
    fields: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.service} {self.status} {self.code}: {self.message}"


def _field_errors(details: Any) -> dict[str, str]:
    """FastAPI's validation details as body field → message (the last name in ``loc``)."""
    errors: dict[str, str] = {}
    if isinstance(details, list):
        for item in details:
            if not isinstance(item, dict):
                continue
            loc = [str(part) for part in item.get("loc", ()) if part not in ("body", "query")]
            if loc:
                errors.setdefault(loc[-1], str(item.get("msg", "")))
    return errors


def problem_of(service: str, response: httpx.Response) -> ServiceProblem:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    details = body.get("details")
    return ServiceProblem(
        status=response.status_code,
        code=str(body.get("code", "error")),
        message=str(body.get("message", response.reason_phrase)),
        service=service,
        details=details,
        fields=_field_errors(details),
    )


class ServiceClients:
    """Calls to the five services on one connection pool (made in the app's lifespan)."""

    def __init__(
        self, settings: WorkspaceSettings, transport: httpx.AsyncBaseTransport | None = None
    ):
        self.settings = settings
        self.http = httpx.AsyncClient(
            timeout=settings.service_timeout_seconds,
            transport=transport,
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """The JSON answer of ``service`` (None for 204); a refusal raises ServiceProblem."""
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        url = self.settings.service_url(service) + path
        clean = {k: v for k, v in (params or {}).items() if v is not None and v != ""}
        try:
            response = await self.http.request(
                method, url, headers=headers, json=json, params=clean or None
            )
        except httpx.HTTPError as exc:
            raise ServiceProblem(
                503,
                "service_unavailable",
                f"{service} does not answer ({type(exc).__name__})",
                service=service,
            ) from exc
        if response.status_code >= 400:
            raise problem_of(service, response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def get(self, service: str, path: str, token: str, **params: Any) -> Any:
        return await self.call(service, "GET", path, token=token, params=params)

    async def post(self, service: str, path: str, token: str | None, body: Any = None) -> Any:
        return await self.call(
            service, "POST", path, token=token, json=body if body is not None else {}
        )

    # ------------------------------------------------------------------ sign-in (dispatch)

    async def sign_in(self, login: str, password: str) -> dict[str, Any]:
        body = {"login": login, "password": password}
        answer: dict[str, Any] = await self.post("dispatch", "/v1/auth/sign-in", None, body)
        return answer

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        body = {"refresh_token": refresh_token}
        answer: dict[str, Any] = await self.post("dispatch", "/v1/auth/refresh", None, body)
        return answer

    async def sign_out(self, refresh_token: str) -> None:
        await self.post("dispatch", "/v1/auth/sign-out", None, {"refresh_token": refresh_token})

    async def ready(self, service: str) -> bool:
        try:
            response = await self.http.get(self.settings.service_url(service) + "/healthz")
        except httpx.HTTPError:
            return False
        return response.status_code == 200
