"""The ledger as CSV (streamed page by page) and XLSX (openpyxl, write-only)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.analytics import repository
from services.analytics.rollups import REPORT_ZONE
from services.analytics.schemas import LEDGER_COLUMNS, LedgerFilters, LedgerRow
from shared.observability import mask_contact

if TYPE_CHECKING:
    from openpyxl import Workbook

# Rows a CSV or XLSX page reads at once: 1,000 held 17 MiB at the peak of each page,
# which the process kept after a 100,000-row export; 200 holds about 5 and is as fast.
PAGE = 200

# Column headings of the XLSX sheet: Chinese for the people who read the ledger,
# with the field name that the CSV and the JSON use.
HEADINGS = {
    "ticket_id": "工单ID",
    "ticket_no": "工单号",
    "channel": "渠道",
    "customer_type": "客户类型",
    "masked_contact": "联系方式",
    "subject": "问题摘要",
    "description": "问题描述",
    "category": "问题类型",
    "scene": "场景",
    "priority": "优先级",
    "team": "处理团队",
    "agent_name": "处理人",
    "state": "状态",
    "received_at": "受理时间",
    "assigned_at": "派单时间",
    "respond_by": "响应时限",
    "resolve_by": "解决时限",
    "accepted_at": "首次响应时间",
    "resolved_at": "解决时间",
    "closed_at": "关闭时间",
    "resolution_code": "处理结果",
    "first_response_seconds": "首次响应用时(秒)",
    "resolution_seconds": "解决用时(秒)",
    "first_response_business_seconds": "首次响应工作时长(秒)",
    "resolution_business_seconds": "解决工作时长(秒)",
    "response_met": "响应达标",
    "resolution_met": "解决达标",
    "breached": "超时",
    "transfers": "转派次数",
    "escalations": "升级次数",
    "reopens": "重开次数",
    "compensation_total": "补偿金额",
    "csat": "满意度",
    "fcr": "首次解决",
    "resolution_text": "处理说明",
    "survey_comment": "客户评价",
    "call_started_at": "通话开始",
    "call_ended_at": "通话结束",
    "call_handler": "接听人员",
    "verification_steps": "问题核实过程",
    "call_resolution": "解决方案/处理结果",
    "callback_outcome": "回访结果",
    "callback_by": "回访人",
    "callback_score": "回访满意度",
}


def ledger_row(fact: Any) -> LedgerRow:
    # The projection stored subject and description masked already.
    row = LedgerRow.model_validate(fact)
    if row.masked_contact:
        row.masked_contact = mask_contact(row.masked_contact)
    return row


async def ledger_rows(
    sessions: async_sessionmaker[AsyncSession], filters: LedgerFilters, limit: int | None = None
) -> AsyncIterator[list[LedgerRow]]:
    """Every matching row, newest first, a page at a time (keyset pagination)."""
    after = None
    left = limit
    while left is None or left > 0:
        size = PAGE if left is None else min(PAGE, left)
        async with sessions() as session:
            facts = await repository.ledger_page(session, size, after, filters)
            page = [ledger_row(f) for f in facts]
        if not page:
            return
        yield page
        if len(page) < size:
            return
        last = page[-1]
        assert last.received_at is not None
        after = (last.received_at, last.ticket_id)
        if left is not None:
            left -= len(page)


# A text cell starting with one of these is run as a formula by spreadsheet programs
# (CSV injection, OWASP): CSV cells get a leading apostrophe, XLSX cells are typed text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    """Text a spreadsheet shows as text: OWASP's leading apostrophe before a formula."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value if isinstance(value, int | float) else neutralised(str(value))


async def csv_stream(
    sessions: async_sessionmaker[AsyncSession], filters: LedgerFilters
) -> AsyncIterator[bytes]:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(LEDGER_COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode()
    async for page in ledger_rows(sessions, filters):
        buffer.seek(0)
        buffer.truncate()
        for row in page:
            writer.writerow([_cell(getattr(row, c)) for c in LEDGER_COLUMNS])
        yield buffer.getvalue().encode()


# Times go to the sheet in the team's zone (UTC+8), and their headings say so.
_TIME_COLUMNS = frozenset(
    c for c, f in LedgerRow.model_fields.items() if f.annotation in (datetime, datetime | None)
)
_XLSX_HEADINGS = [
    f"{HEADINGS.get(c, c)}{'(UTC+8)' if c in _TIME_COLUMNS else ''} {c}" for c in LEDGER_COLUMNS
]


def _new_sheet() -> tuple[Workbook, Any]:
    # Imported on the first XLSX export: openpyxl is 17 MiB resident that a service
    # which never writes a workbook need not carry (SPEC §6: < 150 MB each).
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("台账 ledger")
    sheet.append(_XLSX_HEADINGS)
    return workbook, sheet


def _append_rows(sheet: Any, rows: Iterable[LedgerRow]) -> None:
    from openpyxl.cell import WriteOnlyCell

    for row in rows:
        values = []
        for column in LEDGER_COLUMNS:
            value = getattr(row, column)
            if isinstance(value, datetime):
                # Excel has no time zones: the team's local time, named in the heading.
                value = value.astimezone(REPORT_ZONE).replace(tzinfo=None)
            elif value is not None and not isinstance(value, int | float | bool | str):
                value = str(value)
            if isinstance(value, str) and value.startswith(_FORMULA_START):
                # openpyxl writes a string starting with '=' as a formula; type it as text.
                text = WriteOnlyCell(sheet, value=value)
                text.data_type = "s"
                value = text
            values.append(value)
        sheet.append(values)


def xlsx_bytes(rows: list[LedgerRow]) -> bytes:
    workbook, sheet = _new_sheet()
    _append_rows(sheet, rows)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def xlsx_file(
    sessions: async_sessionmaker[AsyncSession], filters: LedgerFilters, cap: int
) -> Path | None:
    """The ledger as an XLSX file on disk, written page by page: openpyxl's write-only
    sheet keeps appended rows in a temporary file, so a large export does not grow the
    service's memory. None when more than ``cap`` rows match. The caller deletes it."""
    workbook, sheet = _new_sheet()
    count = 0
    async for page in ledger_rows(sessions, filters, cap + 1):
        count += len(page)
        if count > cap:
            sheet.close()  # its temporary file, before the sheet is thrown away
            return None
        await asyncio.to_thread(_append_rows, sheet, page)
    fd, name = tempfile.mkstemp(prefix="sopdesk-ledger-", suffix=".xlsx")
    os.close(fd)
    await asyncio.to_thread(workbook.save, name)
    return Path(name)
