"""Structured logs with a correlation id, contact masking, and Prometheus metrics.

The correlation id lives in a context variable: HTTP requests set it from the
``X-Correlation-ID`` header (or a new one), consumers set it from each event,
and the outbox copies it into every event and Kafka header it writes.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

correlation_id_var: ContextVar[uuid.UUID | None] = ContextVar("correlation_id", default=None)

CORRELATION_HEADER = "x-correlation-id"

# Mainland mobiles, spaced, dashed, dotted or not, then any other 10-15 digit run
# (international numbers); longer runs are order numbers and stay readable.
_PHONE = re.compile(r"(?<![\d.])(\+?\d{1,3}[ .-]?)?(1[3-9]\d)([ .-]?)(\d{4})\3(\d{4})(?![\d.]?\d)")
# Landlines with an area code: 010-12345678, 0755 1234567, (021)12345678.
_LANDLINE = re.compile(r"(?<![\d*])(\(?0\d{2,3}\)?[ -]?)\d{3,4}[ -]?(\d{4})(?![\d*])")
# Resident ID cards: region, a birth date from 1900 to 2099, sequence, check digit. The
# date part keeps order numbers such as 202611220001234567 readable.
_ID_CARD = re.compile(
    r"(?<![\d*])([1-8]\d{2})\d{3}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"\d{3}([\dXx])(?![\d*])"
)
_LONG_DIGITS = re.compile(r"(?<![\d*])(\d{3})\d{3,8}(\d{4})(?![\d*])")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")


# Ids (event, ticket, customer) are left alone: their digit runs are not phone numbers.
_UUID = re.compile(r"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})")


# Every pattern above needs a digit or an "@": text with neither is returned as it is,
# without running them (most log fields: event names, routes, levels).
_MAY_HOLD_CONTACT = re.compile(r"[\d@]")


def mask_contact(text: str) -> str:
    """Mask phone numbers (``138****5678``, ``010-****5678``), e-mail addresses
    (``z***@example.com``) and ID-card numbers (``110**************X``)."""
    if _MAY_HOLD_CONTACT.search(text) is None:
        return text
    parts = _UUID.split(text)  # odd places hold the ids
    return "".join(part if i % 2 else _mask_part(part) for i, part in enumerate(parts))


def _mask_part(text: str) -> str:
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    text = _ID_CARD.sub(lambda m: f"{m.group(1)}{'*' * 14}{m.group(2)}", text)
    text = _PHONE.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}****{m.group(5)}", text)
    text = _LANDLINE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return _LONG_DIGITS.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


def _mask_processor(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = mask_contact(value)
    return event_dict


def _correlation_processor(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    cid = correlation_id_var.get()
    if cid is not None and "correlation_id" not in event_dict:
        event_dict["correlation_id"] = str(cid)
    return event_dict


def configure_logging(service: str, level: str = "INFO", json_logs: bool = True) -> None:
    """Route structlog and the standard library through one masked, structured pipeline."""
    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _correlation_processor,
        structlog.processors.format_exc_info,
        _mask_processor,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json_logs
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared_processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        foreign_pre_chain=shared_processors,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    structlog.contextvars.bind_contextvars(service=service)
    # aiokafka logs every rebalance at INFO; keep the signal, drop the chatter.
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)


class ServiceMetrics:
    """The plumbing metrics of one service, on its own registry (one per app)."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "sopdesk_http_requests_total",
            "HTTP requests by route and status",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "sopdesk_http_request_seconds",
            "HTTP request latency",
            ["service", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.events_published = Counter(
            "sopdesk_events_published_total",
            "Events published by the outbox relay",
            ["service", "topic"],
            registry=self.registry,
        )
        self.events_consumed = Counter(
            "sopdesk_events_consumed_total",
            "Events consumed, by outcome (processed, duplicate, ignored, dead_lettered)",
            ["service", "type", "outcome"],
            registry=self.registry,
        )
        self.consumer_batch_seconds = Histogram(
            "sopdesk_consumer_batch_seconds",
            "Time to process one consumed batch in one transaction",
            ["service"],
            registry=self.registry,
        )
        # Gauges below are refreshed when /metrics is scraped.
        self.consumer_lag = Gauge(
            "sopdesk_consumer_lag",
            "Messages behind the end of each assigned partition",
            ["service", "topic", "partition"],
            registry=self.registry,
        )
        self.consumer_idle_seconds = Gauge(
            "sopdesk_consumer_seconds_since_progress",
            "Seconds since the consumer last finished a batch",
            ["service"],
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "sopdesk_outbox_pending",
            "Outbox rows written but not yet published",
            ["service"],
            registry=self.registry,
        )
        self.gauge_stale = Gauge(
            "sopdesk_gauge_stale",
            "1 while a scrape-time gauge could not be refreshed (its source did not answer)",
            ["service", "gauge"],
            registry=self.registry,
        )
        self.http_server_errors = Counter(
            "sopdesk_http_server_errors_total",
            "HTTP answers with a 5xx status",
            ["service"],
            registry=self.registry,
        )
        self.service = service
        # Present at 0 from the start: increase() over a series that first appears
        # at 1 is 0, so the alert on the first error would never fire.
        self.http_server_errors.labels(service)
        self.events_consumed.labels(service, "undecodable", "dead_lettered")

    def expect_handled_types(self, event_types: Iterable[str]) -> None:
        """Start the dead-letter counter of every handled event type at 0 (see above)."""
        for event_type in event_types:
            self.events_consumed.labels(self.service, event_type, "dead_lettered")


# Probes and scrapes arrive every few seconds; their request lines are DEBUG.
_QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


class RequestContextMiddleware:
    """Pure ASGI middleware: correlation id in and out, request metrics, one log line per
    request, and the answer to an unexpected error (logged and answered with the same
    correlation id, which the framework's last-resort handler could not do: it runs
    after this middleware has left the request's context)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = scope_header(scope, CORRELATION_HEADER)
        try:
            cid = uuid.UUID(incoming) if incoming else uuid.uuid4()
        except ValueError:
            cid = uuid.uuid4()
        token = correlation_id_var.set(cid)
        status = 500
        started_response = False
        started = time.perf_counter()

        async def send_with_header(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status = message["status"]
                started_response = True
                headers = list(message.get("headers", []))
                headers.append((CORRELATION_HEADER.encode(), str(cid).encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_header)
        except Exception as exc:
            _request_log.exception("unhandled_error", error=type(exc).__name__)
            if started_response:
                raise
            status = 500
            await send_with_header(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            body = json.dumps(
                {
                    "code": "internal_error",
                    "message": "Something went wrong on our side.",
                    "correlation_id": str(cid),
                }
            )
            await send({"type": "http.response.body", "body": body.encode()})
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            elapsed = time.perf_counter() - started
            self.metrics.http_requests.labels(
                self.metrics.service, scope["method"], path, str(status)
            ).inc()
            if status >= 500:
                self.metrics.http_server_errors.labels(self.metrics.service).inc()
            self.metrics.http_latency.labels(self.metrics.service, path).observe(elapsed)
            principal = getattr(scope.get("state", {}).get("principal"), "log_name", None)
            level = logging.DEBUG if path in _QUIET_ROUTES and status < 400 else logging.INFO
            _request_log.log(
                level,
                "request",
                method=scope["method"],
                route=path,
                status=status,
                duration_ms=round(elapsed * 1000, 1),
                principal=principal,
            )
            correlation_id_var.reset(token)


_request_log = structlog.get_logger("sopdesk.http")


def scope_header(scope: Scope, name: str) -> str | None:
    """A request header from an ASGI scope (None when absent)."""
    wanted = name.encode()
    for key, value in scope.get("headers", []):
        if key.lower() == wanted:
            return str(value.decode("latin-1"))
    return None
