"""The event envelope, the discriminated union and the topic names (SPEC §2)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from eventkit import triaged
from pydantic import ValidationError

from shared.events import (
    EVENT_CLASSES,
    EVENT_TYPES,
    CompensationData,
    CompensationRequested,
    CustomerMerged,
    CustomerMergedData,
    Envelope,
    NotificationOutgoing,
    NotificationOutgoingData,
    OnShiftData,
    SurveyAnswered,
    SurveyAnsweredData,
    TeamCreated,
    TeamData,
    TeamDeleted,
    TeamOnShiftChanged,
    TeamUpdated,
    TicketReceived,
    TicketReceivedData,
    TicketTriaged,
    Topics,
    WorkOrderData,
    WorkOrderIssued,
    parse_event,
)

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
TICKET = uuid.UUID("00000000-0000-4000-8000-000000000001")


def received(**data: object) -> TicketReceived:
    fields: dict[str, object] = {
        "ticket_no": "T20261122-0001",
        "channel": "phone",
        "customer_id": uuid.uuid4(),
        "customer_type": "vip",
        "masked_contact": "138****5678",
        "subject": "产品无法启动",
        "description": "开机后黑屏",
        "order_no": "202611220001234567",
        "metadata": {"ivr": {"queue": 3}},
        "received_at": NOW,
    }
    fields.update(data)
    return TicketReceived(
        ticket_id=TICKET,
        correlation_id=uuid.uuid4(),
        producer="intake",
        data=TicketReceivedData.model_validate(fields),
    )


def work_order() -> WorkOrderIssued:
    return WorkOrderIssued(
        ticket_id=TICKET,
        data=WorkOrderData(
            assignment_id=uuid.uuid4(),
            ticket_no="T20261122-0001",
            team="finance",
            subject="退款",
            category="after_sales",
            priority="P0",
            customer_type="returning",
            respond_by=NOW,
            resolve_by=NOW + timedelta(hours=4),
            links={"ticket": "http://127.0.0.1:8001/v1/tickets/x"},
        ),
    )


SAMPLES = [
    received(),
    triaged(TICKET),
    work_order(),
    SurveyAnswered(ticket_id=TICKET, data=SurveyAnsweredData(score=2, resolved=False)),
    CompensationRequested(
        ticket_id=TICKET,
        data=CompensationData(compensation_id=uuid.uuid4(), kind="refund", amount=99.5),
    ),
    NotificationOutgoing(
        data=NotificationOutgoingData(
            notification_id=uuid.uuid4(),
            channel="sms",
            to="+8613812345678",
            template="ack",
            body="hi",
        )
    ),
]


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.type)
def test_envelope_round_trips_through_parse_event(event: Envelope) -> None:
    raw = event.model_dump_json()
    parsed = parse_event(raw)
    assert type(parsed) is type(event)
    assert parsed == event
    assert parsed.model_dump(mode="json") == json.loads(raw)
    # bytes, as they come off Kafka, work as well as str
    assert parse_event(raw.encode()) == event


def test_envelope_has_the_spec_fields_and_utc_timestamps() -> None:
    wire = json.loads(received().model_dump_json())
    assert set(wire) == {
        "event_id",
        "type",
        "version",
        "occurred_at",
        "producer",
        "ticket_id",
        "correlation_id",
        "data",
    }
    assert wire["type"] == "ticket.received"
    assert wire["version"] == 1
    assert parse_event(json.dumps(wire)).occurred_at.utcoffset() == timedelta(0)


def test_unknown_payload_fields_survive_and_unknown_envelope_fields_are_dropped() -> None:
    wire = json.loads(received().model_dump_json())
    wire["data"]["added_in_v2"] = {"x": 1}
    wire["shard_hint"] = 7
    parsed = parse_event(json.dumps(wire))
    assert parsed.data.model_extra == {"added_in_v2": {"x": 1}}
    assert "shard_hint" not in parsed.model_dump()


def test_discriminator_rejects_an_unknown_type() -> None:
    wire = json.loads(received().model_dump_json())
    wire["type"] = "ticket.exploded"
    with pytest.raises(ValidationError) as info:
        parse_event(json.dumps(wire))
    assert info.value.errors()[0]["type"] == "union_tag_invalid"


def test_missing_type_and_invalid_data_are_rejected() -> None:
    wire = json.loads(received().model_dump_json())
    del wire["type"]
    with pytest.raises(ValidationError):
        parse_event(json.dumps(wire))
    survey = json.loads(SAMPLES[3].model_dump_json())
    survey["data"]["score"] = 6
    with pytest.raises(ValidationError):
        parse_event(json.dumps(survey))
    with pytest.raises(ValidationError):
        parse_event(b"not json")
    # A channel key is open (a new channel is kept, see below) but never empty or long.
    for channel in ("", "x" * 17):
        with pytest.raises(ValidationError):
            received(channel=channel)


def test_an_unknown_channel_or_team_is_kept_as_it_is() -> None:
    """A gateway may bring a channel before every consumer knows it: the event parses."""
    wire = json.loads(received().model_dump_json())
    wire["data"]["channel"] = "fax"
    parsed = parse_event(json.dumps(wire))
    assert isinstance(parsed, TicketReceived) and parsed.data.channel == "fax"
    wire = json.loads(triaged(TICKET).model_dump_json())
    wire["data"].update(channel="douyin", team="vip_desk")
    again = parse_event(json.dumps(wire))
    assert isinstance(again, TicketTriaged)
    assert (again.data.channel, again.data.team) == ("douyin", "vip_desk")


def test_team_announcements_are_keyed_by_team() -> None:
    data = TeamData(key="vip_desk", name="VIP 专席", name_en="VIP desk", updated_at=NOW)
    for cls, type_name in (
        (TeamCreated, "team.created"),
        (TeamUpdated, "team.updated"),
        (TeamDeleted, "team.deleted"),
    ):
        event = parse_event(cls(producer="dispatch", data=data).model_dump_json())
        assert isinstance(event, cls) and event.type == type_name
        assert event.key() == "team:vip_desk"
        assert Topics().for_event(event) == "sopdesk.dispatch"


def test_who_is_on_shift_travels_keyed_by_team_on_the_dispatch_topic() -> None:
    data = OnShiftData.model_validate(
        {
            "team": "frontline",
            "has_roster": True,
            "timezone": "Asia/Shanghai",
            "day": "2026-10-01",
            "day_kind": "holiday",
            "on_shift": [
                {
                    "agent_id": str(uuid.UUID(int=1)),
                    "name": "张伟",
                    "shift": "早班",
                    "until": "2026-10-01T16:00:00+08:00",
                }
            ],
            "on_leave": [
                {
                    "agent_id": str(uuid.UUID(int=2)),
                    "name": "李娜",
                    "first_day": "2026-10-01",
                    "last_day": "2026-10-03",
                }
            ],
            "as_of": "2026-10-01T09:00:00+08:00",
        }
    )
    event = parse_event(TeamOnShiftChanged(producer="dispatch", data=data).model_dump_json())
    assert isinstance(event, TeamOnShiftChanged) and event.key() == "team:frontline"
    assert Topics().for_event(event) == "sopdesk.dispatch"
    assert [a.name for a in event.data.on_shift] == ["张伟"]
    assert event.data.on_leave[0].last_day.isoformat() == "2026-10-03"
    with pytest.raises(ValidationError):
        OnShiftData.model_validate({**data.model_dump(mode="json"), "day_kind": "monday"})


def test_every_event_class_is_in_the_union_once() -> None:
    assert len(EVENT_TYPES) == len(EVENT_CLASSES)
    for type_name, cls in EVENT_TYPES.items():
        assert cls.model_fields["type"].default == type_name
        assert cls.stream in (*Topics.STREAMS, "assignments"), type_name


@pytest.mark.parametrize(
    ("stream", "types"),
    [
        (
            "intake",
            {
                "ticket.received",
                "ticket.message_added",
                "customer.merged",
                "notification.delivered",
            },
        ),
        ("triage", {"ticket.triaged", "ticket.retriaged", "holiday_schedule.loaded"}),
        (
            "dispatch",
            {
                "ticket.assigned",
                "ticket.queued",
                "ticket.accepted",
                "ticket.progress_noted",
                "ticket.transferred",
                "ticket.escalated",
                "ticket.resolved",
                "ticket.deadline_extended",
                "ticket.collaboration_answered",
                "compensation.requested",
                "compensation.approved",
                "compensation.rejected",
                "team.created",
                "team.updated",
                "team.deleted",
                "team.on_shift_changed",
            },
        ),
        (
            "followup",
            {
                "sla.warning",
                "sla.breached",
                "notification.requested",
                "survey.answered",
                "ticket.confirmed",
                "ticket.reopened",
                "ticket.closed",
                "callback.scheduled",
                "callback.completed",
                "callback.cancelled",
            },
        ),
        ("notifications", {"notification.outgoing"}),
        ("assignments", {"work_order.issued"}),
    ],
)
def test_event_types_travel_on_the_spec_topics(stream: str, types: set[str]) -> None:
    assert {t for t, cls in EVENT_TYPES.items() if cls.stream == stream} == types


def test_topic_names() -> None:
    topics = Topics()
    assert topics.intake == "sopdesk.intake"
    assert topics.notifications == "sopdesk.notifications"
    assert topics.dlq("triage") == "sopdesk.dlq.triage"

    custom = Topics("acme")
    assert [custom.intake, custom.triage, custom.dispatch, custom.followup] == [
        "acme.intake",
        "acme.triage",
        "acme.dispatch",
        "acme.followup",
    ]
    assert custom.assignments("finance") == "acme.assignments.finance"
    assert custom.for_event(triaged(TICKET)) == "acme.triage"
    assert custom.for_event(work_order()) == "acme.assignments.finance"
    assert custom.for_event(SAMPLES[-1]) == "acme.notifications"


def test_message_key_is_the_ticket_id() -> None:
    assert received().key() == str(TICKET)
    merged = CustomerMerged(
        data=CustomerMergedData(surviving_customer_id=TICKET, merged_customer_id=uuid.uuid4())
    )
    assert merged.key() == str(TICKET)
    without_ticket = SAMPLES[-1]
    assert without_ticket.ticket_id is None
    assert without_ticket.key() == str(without_ticket.event_id)
