"""The pure parts of bench/peer_helpdesk.py (the run itself needs PyPI and is not tested here):
the peer's Django settings, the ticket bodies it posts, its virtualenv's stamp, and the
/proc lookup that finds gunicorn's workers."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_settings_name_the_database_and_keep_mail_and_connections_in_the_run(
    tmp_path: Path,
) -> None:
    peer = _load("peer_helpdesk")
    namespace: dict[str, object] = {}
    exec(
        compile(peer.settings_text("bench_peer_x", tmp_path), "peer_settings.py", "exec"), namespace
    )
    database = namespace["DATABASES"]["default"]  # type: ignore[index]
    assert database["NAME"] == "bench_peer_x"
    assert database["HOST"] == "127.0.0.1"
    assert database["CONN_MAX_AGE"] > 0  # backends live through the run: their CPU is read
    assert namespace["EMAIL_BACKEND"] == "django.core.mail.backends.locmem.EmailBackend"
    assert namespace["DEBUG"] is False
    assert namespace["REST_FRAMEWORK"]["DEFAULT_AUTHENTICATION_CLASSES"] == [  # type: ignore[index]
        "rest_framework.authentication.TokenAuthentication"
    ]
    assert namespace["HELPDESK_TEAMS_MODE_ENABLED"] is False
    assert namespace["MEDIA_ROOT"] == str(tmp_path)


def test_ticket_bodies_carry_the_sopdesk_bench_texts_with_one_submitter_each() -> None:
    peer = _load("peer_helpdesk")
    pipeline = _load("pipeline")
    workload = peer.HelpdeskWorkload(queue=7)
    bodies = [workload.body() for _ in range(20)]
    subjects = {subject for subject, _ in pipeline.SAMPLES}
    assert {b["title"] for b in bodies} == subjects
    assert all(b["queue"] == 7 and b["priority"] == 3 for b in bodies)
    assert len({b["submitter_email"] for b in bodies}) == 20
    assert len({b["description"] for b in bodies}) == 20  # each text its own, as sopdesk's


def test_the_virtualenv_is_reused_only_while_its_stamp_names_the_pins(tmp_path: Path) -> None:
    peer = _load("peer_helpdesk")
    assert not peer.requirements_current(tmp_path)
    (tmp_path / peer.STAMP).write_text("\n".join(peer.REQUIREMENTS) + "\n")
    assert peer.requirements_current(tmp_path)
    (tmp_path / peer.STAMP).write_text("django-helpdesk==2.6.0\n")
    assert not peer.requirements_current(tmp_path)


def test_children_finds_a_process_started_here() -> None:
    procstat = _load("procstat")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in procstat.children(os.getpid())
    finally:
        child.kill()
        child.wait()
    assert child.pid not in procstat.children(os.getpid())
