"""Intake's pure rules (its ``domain.py``): phones, masking, numbers, customer types, status."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.intake import domain as intake


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13812345678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("138-1234-5678", "+8613812345678"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_normalise_phone(raw: str, e164: str) -> None:
    assert intake.normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "not a phone", "", "+86 000 0000 0000"])
def test_normalise_phone_rejects_invalid_numbers(raw: str) -> None:
    with pytest.raises(intake.InvalidPhone):
        intake.normalise_phone(raw)


def test_invalid_phone_is_a_value_error() -> None:
    assert issubclass(intake.InvalidPhone, ValueError)


def test_mask_phone() -> None:
    assert intake.mask_phone("+8613812345678") == "138****5678"
    masked_uk = intake.mask_phone("+442079460958")
    assert masked_uk == "442****0958"
    assert "7946" not in masked_uk
    assert intake.mask_phone("+12345") == "****"


def test_mask_email() -> None:
    assert intake.mask_email("zhangsan@example.com") == "z***@example.com"
    assert "zhangsan" not in intake.mask_email("zhangsan@example.com")


def test_masked_contact_prefers_phone_then_email() -> None:
    assert intake.masked_contact("+8613812345678", "a@b.cn") == "138****5678"
    assert intake.masked_contact(None, "alice@b.cn") == "a***@b.cn"
    assert intake.masked_contact(None, None) is None


def test_ticket_number() -> None:
    day = datetime(2026, 11, 22, 23, 59, tzinfo=UTC)
    assert intake.ticket_number(day, 1) == "T20261122-000001"
    assert intake.ticket_number(day, 123) == "T20261122-000123"


@pytest.mark.parametrize(
    ("is_vip", "previous", "expected"),
    [(False, 0, "new"), (False, 1, "returning"), (False, 7, "returning"), (True, 0, "vip")],
)
def test_customer_type(is_vip: bool, previous: int, expected: str) -> None:
    assert intake.customer_type(is_vip, previous) == expected


def test_status_only_advances() -> None:
    assert intake.advances("received", "triaged")
    assert intake.advances("triaged", "assigned")
    assert intake.advances("queued", "assigned")
    assert not intake.advances("assigned", "queued")
    assert not intake.advances("assigned", "triaged")
    assert not intake.advances("triaged", "triaged")
    assert not intake.advances("received", "customer_message")
