"""Ledger exports never hand a spreadsheet a live formula (CSV injection, OWASP)."""

from __future__ import annotations

import io
from typing import Any, cast

import pytest
from openpyxl import load_workbook

from services.analytics.exports import _cell, xlsx_bytes
from services.analytics.schemas import LEDGER_COLUMNS, LedgerRow

ATTACKS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


@pytest.mark.parametrize("text", ATTACKS)
def test_csv_cells_starting_a_formula_get_an_apostrophe(text: str) -> None:
    assert _cell(text) == f"'{text}"


def test_csv_numbers_and_ordinary_text_are_unchanged() -> None:
    assert _cell(-5) == -5
    assert _cell("账号无法登录") == "账号无法登录"
    assert _cell("a=b") == "a=b"


def test_xlsx_cells_starting_a_formula_are_text() -> None:
    rows = [
        LedgerRow.model_construct(
            **cast(dict[str, Any], {**dict.fromkeys(LEDGER_COLUMNS), "subject": text})
        )
        for text in ATTACKS
    ]
    sheet = load_workbook(io.BytesIO(xlsx_bytes(rows))).active
    assert sheet is not None
    column = LEDGER_COLUMNS.index("subject") + 1
    cells = [sheet.cell(row=i + 2, column=column) for i in range(len(ATTACKS))]
    # XML reads a carriage return back as a line feed.
    assert [c.value for c in cells] == [t.replace("\r", "\n") for t in ATTACKS]
    assert {c.data_type for c in cells} == {"s"}
