"""What the workspace's browser tests share: the running system's addresses and keys, a
signed-in page in Debian's Chromium (testkit.CHROMIUM) and where screenshots go."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, expect
from testkit import CHROMIUM as CHROMIUM  # the browser tests import it from here too
from testkit import CHROMIUM_ARGS as CHROMIUM_ARGS
from testkit import up_process

SERVICES = ("intake", "triage", "dispatch", "followup", "analytics", "workspace")
# Pictures of each page, for a person to look at (not compared); never in the repository.
SHOTS = Path(os.environ.get("SOPDESK_WORKSPACE_SHOTS", "/tmp/sopdesk-workspace-shots"))


@dataclass
class WorkspaceSystem:
    process: subprocess.Popen[str]
    urls: dict[str, str]  # service name → base URL, "workspace" included
    keys: dict[str, str]  # role → API key
    data_dir: Path
    broker: str
    demo_password: str

    @property
    def workspace(self) -> str:
        return self.urls["workspace"]

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def person_headers(self, login: str) -> dict[str, str]:
        """A demo person's access token, signed in over HTTP at dispatch."""
        response = httpx.post(
            f"{self.urls['dispatch']}/v1/auth/sign-in",
            json={"login": login, "password": self.demo_password},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def resident_mb(self, service: str) -> float:
        """Resident memory of one of this system's processes (`sopdesk serve <service>`)."""
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(
                    line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
                )
                args = [a for a in (status.parent / "cmdline").read_bytes().split(b"\0") if a]
            except OSError:
                continue
            serves = args[-2:] == [b"serve", service.encode()]
            if serves and int(fields["PPid"]) == self.process.pid:
                return int(fields["VmRSS"].split()[0]) / 1024
        raise AssertionError(f"no process serves {service}")

    def agent_id(self, login: str) -> str:
        """A demo agent's id (its person id), as dispatch lists agents."""
        answer = httpx.get(
            f"{self.urls['dispatch']}/v1/agents", headers=self.headers("admin"), timeout=10
        )
        assert answer.status_code == 200, answer.text
        return next(str(a["id"]) for a in answer.json() if a["name"] == login)

    def post_ticket(self, body: dict[str, Any]) -> dict[str, Any]:
        """A ticket as a gateway sends it (intake, with the gateway key)."""
        response = httpx.post(
            f"{self.urls['intake']}/v1/tickets",
            json=body,
            headers=self.headers("gateway"),
            timeout=10,
        )
        assert response.status_code in (200, 201, 202), response.text
        answer: dict[str, Any] = response.json()
        return answer


def signed_in(
    browser: Browser,
    system: WorkspaceSystem,
    login: str,
    path: str,
    width: int = 1280,
    timeout: float = 15_000,
) -> Page:
    """A page of ``path`` in a fresh context, signed in as ``login`` with the demo password
    (a narrow ``width`` is a tablet's, taller); ``timeout``: how long sign-in may take."""
    height = 800 if width >= 1280 else 1180
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.goto(system.workspace + path)
    page.fill("#login", login)
    page.fill("#password", system.demo_password)
    page.click("button[type=submit]")
    expect(page).to_have_url(system.workspace + path, timeout=timeout)
    return page


def shot_path(name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"


@contextmanager
def sopdesk_up(data_dir: Path, database_url: str | None = None) -> Iterator[WorkspaceSystem]:
    """`sopdesk up` on free ports (SQLite stores in ``data_dir``, or PostgreSQL by a URL
    with {service} in it), until every service and the workspace are ready; stopped after."""
    options = ["--database-url", database_url] if database_url else []
    with up_process(data_dir, SERVICES, *options) as up:
        password = json.loads((data_dir / "secrets.json").read_text())["demo_password"]
        yield WorkspaceSystem(up.process, up.urls, up.keys, data_dir, up.broker, password)
