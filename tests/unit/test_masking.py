"""Contact masking: no raw phone number or e-mail address in logs or ledgers."""

from __future__ import annotations

import pytest

from shared import observability
from shared.observability import mask_contact


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("+8613812345678", "+86138****5678"),
        ("+86 138 1234 5678", "+86 138****5678"),
        ("手机号+86-138-1234-5678。", "手机号+86-138****5678。"),
        ("客户电话13812345678，请回电", "客户电话138****5678，请回电"),
        ("call 13812345678 or 19987654321", "call 138****5678 or 199****4321"),
        ("zhang.san@example.com", "z***@example.com"),
        ("邮箱 A.b+x@mail.example.com.cn 已验证", "邮箱 A***@mail.example.com.cn 已验证"),
        ("x@y.io", "x***@y.io"),
        ("138.1234.5678", "138****5678"),
        ("手机 138.1234.5678。", "手机 138****5678。"),
        ("座机 010-12345678 转 8", "座机 010-****5678 转 8"),
        ("0755-1234567", "0755-****4567"),
        ("电话(021)87654321", "电话(021)****4321"),
        ("0755 8765 4321", "0755 ****4321"),
        ("身份证 11010519491231002X", "身份证 110**************X"),
        ("ID 440301199001011234.", "ID 440**************4."),
        # Ids keep their digits; a phone beside one is still masked.
        (
            "ticket 12345678-1234-4234-8234-123456789012 13812345678",
            "ticket 12345678-1234-4234-8234-123456789012 138****5678",
        ),
    ],
)
def test_contacts_are_masked(raw: str, masked: str) -> None:
    assert mask_contact(raw) == masked


@pytest.mark.parametrize(
    "text",
    [
        "订单号 202611220001234567 已发货",
        "order 2026112200012345",
        "ticket T20261122-0001",
        "amount 99.50, 3 items",
        "version 1.2.3, 12.5 kg, 2026-11-22 09:15",
        "pay 1380.12345 then 138.5",
        "no contact here",
    ],
)
def test_order_numbers_and_ordinary_text_are_left_alone(text: str) -> None:
    assert mask_contact(text) == text


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "+86 138 1234 5678",
        "zhang.san@example.com",
        "订单 202611220001234567",
        "010-12345678",
        "138.1234.5678",
        "11010519491231002X",
    ],
)
def test_masking_is_idempotent(raw: str) -> None:
    once = mask_contact(raw)
    assert mask_contact(once) == once


def test_the_middle_digits_never_survive() -> None:
    out = mask_contact("客户 13812345678 / +86 139 8765 4321 / li@example.com")
    assert "1234" not in out
    assert "8765" not in out
    assert "li@" not in out
    out = mask_contact("座机 010-66554433 身份证 110105194912310021 手机 139.8765.4321")
    assert "6655" not in out
    assert "19491231" not in out
    assert "8765" not in out


@pytest.mark.parametrize(
    "text",
    [
        "request",
        "/v1/tickets/{ticket_id}/messages",
        "客户说：请尽快处理",
        "电话 ١٣٨١٢٣٤٥٦٧٨",  # Arabic-Indic digits: \d in the patterns matches them too
        "13812345678",
        "zhang.san@example.com",
        "key:gateway:ab12",
        "",
    ],
)
def test_the_shortcut_for_text_without_digits_or_at_masks_as_the_patterns_do(text: str) -> None:
    parts = observability._UUID.split(text)
    full = "".join(p if i % 2 else observability._mask_part(p) for i, p in enumerate(parts))
    assert mask_contact(text) == full
