"""OpenTelemetry tracing, on when ``SOPDESK_TRACING_ENDPOINT`` names an OTLP/HTTP endpoint.

The trace context travels with each event from the transaction that wrote it to
the consumers that read it: the unit of work stores the W3C ``traceparent`` of
the emitting span in the outbox row's headers, the relay publishes those headers
with the message, and the consumer opens a span for each event as a child of
it. Events a handler emits name their cause, so they continue the cause's trace:
one trace follows a ticket through all five services, although the relay
publishes later and outside the request. Without an endpoint nothing is
exported and the API calls are no-ops.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from fastapi import FastAPI
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

TRACE_HEADERS = ("traceparent", "tracestate")

tracer = trace.get_tracer("sopdesk")


def configure_tracing(
    service: str, app: FastAPI, endpoint: str, processor: SpanProcessor | None = None
) -> None:
    """Export this process's spans (to ``endpoint``, or to ``processor`` in tests)."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider(resource=Resource.create({"service.name": f"sopdesk-{service}"}))
        trace.set_tracer_provider(provider)
    if processor is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint))
    provider.add_span_processor(processor)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")


def spans_recorded() -> bool:
    """Whether this process records spans (``configure_tracing`` set an SDK provider);
    without one every span is a no-op."""
    return isinstance(trace.get_tracer_provider(), TracerProvider)


def current_carrier() -> dict[str, str]:
    """The current span's context as W3C headers (empty when no span is recording)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def carrier_from_headers(headers: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    return {k: v.decode() for k, v in headers or () if k in TRACE_HEADERS}


def _context(carrier: Mapping[str, str]) -> Context:
    return propagate.extract(dict(carrier))


@contextmanager
def consuming(
    event_type: str, consumer: str, carrier: Mapping[str, str]
) -> Iterator[dict[str, str]]:
    """A span for one consumed event, child of the span that emitted it; yields its carrier."""
    with tracer.start_as_current_span(
        f"consume {event_type}",
        context=_context(carrier),
        kind=trace.SpanKind.CONSUMER,
        attributes={"messaging.system": "kafka", "messaging.consumer.group.name": consumer},
    ):
        yield current_carrier()
