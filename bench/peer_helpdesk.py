"""The peer of issue 14, measured here: django-helpdesk creating tickets on this machine.

Issue 14's target is sopdesk intake at ten times django-helpdesk's rate on the same
machine. This script measures that rate the way ``bench/pipeline.py`` measures sopdesk,
so that both figures can be taken the same day:

1. a virtualenv of its own, ``.bench/peer-helpdesk/venv`` (gitignored, reused while
   its pins are unchanged), with django-helpdesk, Django, Django REST framework,
   gunicorn and psycopg pinned below; nothing goes into the project's ``.venv``;
2. a minimal Django project beside it (``.bench/peer-helpdesk/project``): DEBUG off,
   persistent database connections (``CONN_MAX_AGE``, what a team tuning for
   throughput sets, and what lets the PostgreSQL backends' CPU be read), DRF token
   authentication, e-mails composed but kept in memory (Django's locmem backend),
   teams mode off (it needs pinax-teams);
3. a fresh PostgreSQL database ``bench_peer_helpdesk`` on 127.0.0.1:5432 (dropped and
   recreated), migrated, with one queue and one staff API user with a token;
4. gunicorn with ``--workers`` sync workers (2) on a loopback ``--port``; 50 warm-up
   tickets, then ``--tickets`` (2000) with ``--concurrency`` (32) in flight POSTed to
   django-helpdesk's REST API ``/api/tickets/`` (its own creation path: the serializer
   hands the ticket to ``TicketForm.save``, which writes the ticket and its first
   follow-up and composes the submitter's e-mail), with the subjects and texts of
   sopdesk's bench (``pipeline.Workload``) and the same load client (``loadgen.Poster``);
5. tickets/s, HTTP p50/p99, answers other than 201, the rows in the database, and CPU
   milliseconds per ticket of the gunicorn processes (master and workers) and of the
   PostgreSQL backends serving the database, from ``/proc`` (``procstat``).

Everything it starts (gunicorn) is stopped at the end, on Ctrl-C or on an error; the
database is dropped unless ``--keep-database``. CPU per ticket is the kernel's account
per process and holds on a shared machine; tickets/s and latencies do not.

    .venv/bin/python bench/peer_helpdesk.py --tickets 2000 --concurrency 32 --workers 2 [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import Poster
from pipeline import Workload, cpu_report, post_many
from procstat import CpuMeter, SystemProcesses, children

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / ".bench" / "peer-helpdesk"
DATABASE = "bench_peer_helpdesk"
# The peer the issue names, and what pip resolved for it on Python 3.11 (2026-12-08):
# pinned so that a figure names the code that made it.
REQUIREMENTS = (
    "django-helpdesk==2.6.1",
    "Django==5.2.20",
    "djangorestframework==3.18.3",
    "gunicorn==27.0.1",
    "psycopg[binary]==3.3.9",
)
STAMP = "bench-requirements.txt"
WARM_UP_TICKETS = 50


def settings_text(database: str, media_root: Path) -> str:
    """The Django settings of the peer's project (a module of its own, ``peer_settings``)."""
    return f'''"""The peer benchmark's Django settings (written by bench/peer_helpdesk.py)."""

SECRET_KEY = "bench-only-this-project-serves-loopback-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "peer_urls"
TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {{
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        }},
    }},
]
DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.postgresql",
        "NAME": {database!r},
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": 5432,
        # One connection per worker for the whole run (Django's default opens one a request).
        "CONN_MAX_AGE": 600,
    }}
}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SITE_ID = 1
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
LANGUAGE_CODE = "zh-hans"
STATIC_URL = "/static/"
MEDIA_ROOT = {str(media_root)!r}
LOGIN_URL = "/login/"
# Each new ticket's e-mails are rendered and built, then kept in the worker's memory.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.com"
# A token is one indexed lookup a request; Basic auth would hash the password each time.
REST_FRAMEWORK = {{
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
    ],
}}
HELPDESK_API_ENABLED = True
HELPDESK_ACTIVATE_API_ENDPOINT = True  # the same switch's name in older releases
HELPDESK_TEAMS_MODE_ENABLED = False  # teams need pinax-teams
'''


URLS_TEXT = '''"""The peer benchmark's URLs (written by bench/peer_helpdesk.py)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("helpdesk.urls", namespace="helpdesk")),
]
'''

WSGI_TEXT = '''"""The peer benchmark's WSGI entry (written by bench/peer_helpdesk.py)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
'''

# Runs with the peer's interpreter: the project's .venv has no Django.
SETUP_TEXT = '''"""Database chores of the peer benchmark (written by bench/peer_helpdesk.py)."""

import json
import secrets
import sys
from importlib.metadata import version

SERVER = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def recreate(name, create):
    import psycopg

    with psycopg.connect(SERVER, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            db.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \\'UTF8\\'')


def prepare():
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.urls import resolve
    from helpdesk.models import Queue
    from rest_framework.authtoken.models import Token

    call_command("migrate", verbosity=0, interactive=False)
    resolve("/api/tickets/")  # raises Resolver404 if this release has no ticket API
    queue = Queue.objects.create(title="客户服务", slug="bench", allow_public_submission=True)
    user = get_user_model().objects.create_user(
        "bench-api", email="bench-api@example.com", password=secrets.token_hex(16), is_staff=True
    )
    token = Token.objects.create(user=user)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    packages = ["django-helpdesk", "Django", "djangorestframework", "gunicorn", "psycopg"]
    print(json.dumps({
        "queue": queue.id,
        "token": token.key,
        "versions": {name: version(name) for name in packages},
        "python": sys.version.split()[0],
        "postgresql": server,
    }))


def count():
    import django

    django.setup()
    from helpdesk.models import FollowUp, Ticket

    print(json.dumps({"tickets": Ticket.objects.count(), "followups": FollowUp.objects.count()}))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "recreate":
        recreate(sys.argv[2], create=True)
    elif command == "drop":
        recreate(sys.argv[2], create=False)
    elif command == "prepare":
        prepare()
    elif command == "count":
        count()
'''


class HelpdeskWorkload(Workload):
    """sopdesk's bench texts, as the body django-helpdesk's ticket API takes."""

    def __init__(self, queue: int) -> None:
        super().__init__()
        self.queue = queue

    def body(self) -> dict[str, Any]:
        ticket = super().body()
        return {
            "queue": self.queue,
            "title": ticket["subject"],
            "description": ticket["description"],
            # The peer knows customers by e-mail; one address a ticket, as sopdesk's phones.
            "submitter_email": f"{ticket['customer']['name']}@example.com",
            "priority": 3,
        }


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def requirements_current(venv: Path) -> bool:
    """Whether the virtualenv holds exactly the pinned requirements (its stamp says so)."""
    stamp = venv / STAMP
    return stamp.is_file() and stamp.read_text().split() == list(REQUIREMENTS)


def peer_python(venv: Path) -> Path:
    """The peer's interpreter: the virtualenv is made (or brought to the pins) first."""
    python = venv / "bin" / "python"
    if python.exists() and requirements_current(venv):
        log(f"reusing the peer's virtualenv {venv}")
        return python
    if not python.exists():
        log(f"creating the peer's virtualenv {venv} …")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    log("installing " + ", ".join(REQUIREMENTS) + " into it …")
    subprocess.run(
        [
            str(python),
            *("-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
            *REQUIREMENTS,
        ],
        check=True,
    )
    (venv / STAMP).write_text("\n".join(REQUIREMENTS) + "\n")
    return python


def write_project(project: Path, database: str) -> None:
    project.mkdir(parents=True, exist_ok=True)
    (project / "media").mkdir(exist_ok=True)
    (project / "peer_settings.py").write_text(settings_text(database, project / "media"))
    (project / "peer_urls.py").write_text(URLS_TEXT)
    (project / "peer_wsgi.py").write_text(WSGI_TEXT)
    (project / "peer_setup.py").write_text(SETUP_TEXT)


def peer_environment(project: Path) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        # HELPDESK_*_WEBHOOK_URLS would make every new ticket POST to another server.
        if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
        and not key.startswith("HELPDESK_")
    }
    environment.update(DJANGO_SETTINGS_MODULE="peer_settings", PYTHONPATH=str(project))
    return environment


def run_setup(python: Path, project: Path, *args: str) -> str:
    done = subprocess.run(
        [str(python), str(project / "peer_setup.py"), *args],
        env=peer_environment(project),
        cwd=project,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        # As gunicorn binds: the last run's connections in TIME_WAIT do not hold the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Gunicorn:
    """gunicorn serving the peer's project, in a process group of its own."""

    def __init__(self, venv: Path, project: Path, workers: int, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = project.parent / "gunicorn.log"
        command = [
            str(venv / "bin" / "gunicorn"),
            "peer_wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--chdir",
            str(project),
            "--log-level",
            "warning",
        ]
        with self.log_path.open("w") as output:
            self.process = subprocess.Popen(
                command,
                env=peer_environment(project),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.workers = workers

    def worker_pids(self) -> list[int]:
        return children(self.process.pid)

    async def wait_ready(self, token: str, within: float = 60.0) -> None:
        """Until the ticket API answers and every worker is up."""
        deadline = time.monotonic() + within
        headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
        async with httpx.AsyncClient(timeout=10) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise SystemExit(f"gunicorn exited; see {self.log_path}")
                with contextlib.suppress(httpx.HTTPError):
                    answer = await client.get(f"{self.url}/api/tickets/", headers=headers)
                    if answer.status_code == 200 and len(self.worker_pids()) >= self.workers:
                        return
                await asyncio.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer within {within:.0f}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


async def report_progress(workload: Workload, start: int, total: int, every: float = 5.0) -> None:
    """Every ``every`` seconds: tickets posted so far and the rate since the last line."""
    began = last_time = time.perf_counter()
    last_done = 0
    while True:
        await asyncio.sleep(every)
        now, done = time.perf_counter(), workload.next - start
        rate = (done - last_done) / (now - last_time)
        log(f"  {done}/{total} posted, {now - began:.0f}s, {rate:.1f}/s in the last {every:.0f}s")
        last_time, last_done = now, done


async def measure(
    gunicorn: Gunicorn, token: str, queue: int, tickets: int, concurrency: int
) -> dict[str, Any]:
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    poster = Poster(f"{gunicorn.url}/api/tickets/", headers, concurrency)
    workload = HelpdeskWorkload(queue)
    try:
        log(f"warming up: {WARM_UP_TICKETS} tickets …")
        warm = await post_many(poster, workload, WARM_UP_TICKETS, min(8, concurrency))
        if warm["created"] != WARM_UP_TICKETS:
            raise SystemExit(f"warm-up tickets not created: {warm['not_created']}")
        master, workers = gunicorn.process.pid, gunicorn.worker_pids()
        services = {"gunicorn_master": master}
        services.update({f"gunicorn_worker_{pid}": pid for pid in workers})
        meter = CpuMeter(SystemProcesses(services=services, database_prefix=DATABASE))
        before = meter.mark()
        backends = sorted(before[1])
        own_before = resource.getrusage(resource.RUSAGE_SELF)
        log(f"throughput: {tickets} tickets, {concurrency} in flight …")
        progress = asyncio.create_task(report_progress(workload, workload.next, tickets))
        try:
            results = await post_many(poster, workload, tickets, concurrency)
        finally:
            progress.cancel()
        spent = meter.since(*before)
        own = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        poster.close()
    gunicorn_seconds = sum(s for role, s in spent.items() if role.startswith("gunicorn"))
    cpu = cpu_report({"gunicorn": gunicorn_seconds, "postgresql": spent["postgresql"]}, tickets)
    own_seconds = own.ru_utime + own.ru_stime - own_before.ru_utime - own_before.ru_stime
    cpu["load_generator"] = round(own_seconds * 1000 / tickets, 2)
    return {
        "throughput": results,
        "cpu_ms_per_ticket": cpu,
        "cpu_ms_per_ticket_by_process": cpu_report(spent, tickets),
        "postgresql_backends": len(backends),
        # A worker gunicorn replaced during the run took its CPU account with it.
        "workers_replaced": len(set(workers) - set(gunicorn.worker_pids())),
    }


def print_summary(results: dict[str, Any]) -> None:
    versions = results["versions"]
    t, cpu = results["throughput"], results["cpu_ms_per_ticket"]
    print(
        f"django-helpdesk {versions['django-helpdesk']} (Django {versions['Django']}, "
        f"DRF {versions['djangorestframework']}, gunicorn {versions['gunicorn']} with "
        f"{results['workers']} sync workers, psycopg {versions['psycopg']}, "
        f"Python {results['python']}, PostgreSQL {results['postgresql']}), "
        f"{results['path']}"
    )
    print(
        f"throughput: {t['tickets_per_second']:.1f} tickets/s ({t['tickets']} in "
        f"{t['seconds']:.1f}s, {t['concurrency']} in flight, http p50 {t['http_p50_ms']:.1f} ms, "
        f"p99 {t['http_p99_ms']:.1f} ms, created {t['created']}, other {t['not_created']}); "
        f"rows: {results['rows']['tickets']} tickets, {results['rows']['followups']} follow-ups "
        f"({results['warm_up_tickets']} of each from the warm-up)"
    )
    print(
        f"CPU ms per ticket: gunicorn {cpu['gunicorn']:.2f}, PostgreSQL {cpu['postgresql']:.2f}, "
        f"total {cpu['total']:.2f}; load generator {cpu['load_generator']:.2f} "
        f"({results['postgresql_backends']} backends, workers replaced: "
        f"{results['workers_replaced']})"
    )
    print(
        "load average before / after: "
        + " / ".join(" ".join(f"{x:.2f}" for x in la) for la in results["load_average"])
        + f" ({os.cpu_count()} cores); ten times this rate: "
        f"{10 * t['tickets_per_second']:.0f} tickets/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=28190, help="loopback port for gunicorn")
    parser.add_argument(
        "--keep-database", action="store_true", help=f"leave {DATABASE} for a look afterwards"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if not port_free(args.port):
        raise SystemExit(f"port {args.port} is taken: pass --port")

    # SIGTERM ends the run like Ctrl-C does, through the finally blocks below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    venv, project = HOME / "venv", HOME / "project"
    HOME.mkdir(parents=True, exist_ok=True)
    python = peer_python(venv)
    write_project(project, DATABASE)
    log(f"recreating the database {DATABASE}, migrating, adding a queue and an API user …")
    run_setup(python, project, "recreate", DATABASE)
    gunicorn: Gunicorn | None = None
    try:
        setup = json.loads(run_setup(python, project, "prepare"))
        log(f"starting gunicorn with {args.workers} workers on port {args.port} …")
        gunicorn = Gunicorn(venv, project, args.workers, args.port)
        asyncio.run(gunicorn.wait_ready(setup["token"]))
        started = datetime.now(UTC).isoformat(timespec="seconds")
        load_before = os.getloadavg()
        figures = asyncio.run(
            measure(gunicorn, setup["token"], setup["queue"], args.tickets, args.concurrency)
        )
        load_after = os.getloadavg()
        gunicorn.stop()
        rows = json.loads(run_setup(python, project, "count"))
    finally:
        if gunicorn is not None:
            gunicorn.stop()
        if not args.keep_database:
            with contextlib.suppress(subprocess.CalledProcessError):
                run_setup(python, project, "drop", DATABASE)
    results = {
        "peer": "django-helpdesk",
        "versions": setup["versions"],
        "python": setup["python"],
        "postgresql": setup["postgresql"],
        "path": "POST /api/tickets/ (DRF, token authentication)",
        "workers": args.workers,
        "started_utc": started,
        "load_average": [list(load_before), list(load_after)],
        "cores": os.cpu_count(),
        "warm_up_tickets": WARM_UP_TICKETS,
        **figures,
        "rows": rows,
    }
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    else:
        print_summary(results)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted: what the run started is stopped")
        sys.exit(130)
