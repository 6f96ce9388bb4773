"""The workspace's own rules without the services: sign-in form errors next to the fields,
CSRF refusal, security headers, the vendored htmx, time shown in local time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from services.workspace.app import create_app
from services.workspace.i18n import CATALOGUE
from services.workspace.pages import HTMX_FILE, STATIC, TEMPLATES, local_time, time_left
from services.workspace.settings import WorkspaceSettings
from shared.tokens import generate_keypair

_, PUBLIC = generate_keypair()


def _client() -> TestClient:
    settings = WorkspaceSettings(
        token_public_key=PUBLIC,
        live_updates=False,
        cookie_secure=False,
        dispatch_url="http://127.0.0.1:9",  # nobody answers: sign-in says so
    )
    return TestClient(create_app(settings))


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_pages_need_a_signed_in_person() -> None:
    with _client() as client:
        answer = client.get("/", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/sign-in?next=/"
        htmx = client.get("/", headers={"HX-Request": "true"}, follow_redirects=False)
        assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/sign-in")
        assert client.get("/live", follow_redirects=False).status_code == 401


def test_sign_in_form_shows_errors_next_to_the_fields_and_refuses_a_forged_form() -> None:
    with _client() as client:
        page = client.get("/sign-in")
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        assert 'lang="zh-CN"' in page.text and "登录" in page.text
        cookie = page.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        token = _csrf(page.text)

        empty = client.post("/sign-in", data={"csrf_token": token, "login": "", "password": ""})
        assert empty.status_code == 422
        assert re.search(r'id="login-error">必填。', empty.text)
        assert re.search(r'id="password-error">必填。', empty.text)
        assert 'aria-invalid="true"' in empty.text

        forged = client.post(
            "/sign-in", data={"csrf_token": "x" * 32, "login": "a", "password": "b"}
        )
        assert forged.status_code == 403 and "页面已过期" in forged.text

        down = client.post("/sign-in", data={"csrf_token": token, "login": "a", "password": "b"})
        assert down.status_code == 503 and "服务暂时不可用（dispatch）" in down.text


def test_english_by_the_switch() -> None:
    with _client() as client:
        switched = client.get("/language/en?next=/sign-in", follow_redirects=False)
        assert switched.status_code == 303 and switched.headers["location"] == "/sign-in"
        page = client.get("/sign-in")
        assert 'lang="en"' in page.text and "Password" in page.text
        # Only this site's paths: no open redirect.
        away = client.get("/language/zh-CN?next=//evil.example/", follow_redirects=False)
        assert away.headers["location"] == "/"


def test_htmx_is_vendored_with_its_licence() -> None:
    assert (STATIC / HTMX_FILE).stat().st_size > 40_000
    assert "Zero-Clause BSD" in (STATIC / "htmx-LICENSE.txt").read_text()
    with _client() as client:
        answer = client.get(f"/static/{HTMX_FILE}")
        assert answer.status_code == 200 and "htmx" in answer.text[:200]


def test_every_word_a_template_uses_is_in_the_catalogue() -> None:
    used: set[str] = set()
    for template in TEMPLATES.rglob("*.html"):
        used.update(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""", template.read_text()))
    missing = sorted(key for key in used if key not in CATALOGUE)
    assert not missing, missing
    assert all("zh-CN" in texts for texts in CATALOGUE.values())


def test_times_are_local_and_clocks_say_what_is_left() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    assert local_time("2026-01-05T02:30:00Z", zone).endswith("01-05 10:30")  # UTC+8
    soon = time_left((datetime.now(UTC) + timedelta(minutes=42, seconds=30)).isoformat(), "zh-CN")
    assert soon["level"] == "soon" and soon["text"] == "42分钟"
    late = time_left(
        (datetime.now(UTC) - timedelta(hours=2, minutes=5, seconds=10)).isoformat(), "en"
    )
    assert late["level"] == "late" and late["text"] == "overdue 2h 05m"
    assert time_left(None, "zh-CN")["level"] == "none"
