"""Reading a Viva Goals export (bot/importers/viva/read.py): bytes and text in, plain rows out."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from bot.forms.okr_file import ImportRejected, Problem
from bot.importers.viva.read import Row, Sheets, read_csv, read_workbook, squash


def _workbook(sheets: dict[str, list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_headers_are_matched_without_case_spaces_or_underscores_and_others_are_ignored():
    sheets = read_csv(
        "okr_reference,TITLE,Owner Email,Colour,time period\n"  # Colour: not a column of ours
        "O-1,Grow,alice@example.com,red,Q1 2025\n"
    )
    assert sheets == Sheets(
        okrs=[
            Row(
                2,
                {
                    "reference": "O-1",
                    "title": "Grow",
                    "owner": "alice@example.com",
                    "period": "Q1 2025",
                },
            )
        ],
        checkins=[],
    )


def test_rows_keep_the_spreadsheets_numbers_and_blank_rows_are_skipped():
    sheets = read_csv("OKR Reference,Title,Owner\nA,One,a@example.com\n,,\nB,Two\n")
    assert [(row.number, row.values) for row in sheets.okrs] == [
        (2, {"reference": "A", "title": "One", "owner": "a@example.com"}),
        (4, {"reference": "B", "title": "Two", "owner": ""}),  # a short row: the rest are blank
    ]
    assert sheets.okrs[1].get("period") == ""  # a column the export lacks reads as blank


def test_the_first_of_two_columns_for_the_same_name_wins():
    sheets = read_csv("OKR Reference,Title,Name,Owner\nA,The title,The name,a@example.com\n")
    assert sheets.okrs[0].values["title"] == "The title"


def test_a_header_without_the_required_columns_is_refused_on_row_1():
    with pytest.raises(ImportRejected) as refused:
        read_csv("Title,Time Period\nGrow,Q1 2025\n")
    assert refused.value.problems == [Problem(1, "the header row has no OKR Reference, no Owner column")]


def test_an_empty_file_has_no_rows():
    assert read_csv("") == Sheets([], [])


def test_the_check_ins_csv_is_read_with_its_own_columns():
    sheets = read_csv(
        "OKR Reference,Title,Owner\nKR-1,MRR,a@example.com\n",
        "OKR Reference,Check-in Date,Value,Note,Checked in by\nKR-1,2025-01-15,45000,Invoices,a@example.com\n",
    )
    assert sheets.checkins == [
        Row(
            2,
            {
                "reference": "KR-1",
                "date": "2025-01-15",
                "value": "45000",
                "note": "Invoices",
                "author": "a@example.com",
            },
        )
    ]


def test_the_workbook_reads_its_named_sheets_and_writes_cells_as_text():
    data = _workbook(
        {
            "Notes": [["anything"]],
            "OKRs and Projects": [
                ["OKR Reference", "Title", "Owner", "Start Value", "Target Value", "Current Value"],
                ["KR-1", "  MRR  ", "a@example.com", 40000.0, 12.5, None],
                ["KR-2", "Flag", "a@example.com", True, 3, float("nan")],
            ],
            "Check-ins": [
                ["OKR Reference", "Check-in Date", "Value"],
                ["KR-1", datetime(2025, 1, 15, 9, 30), 45000],
                ["KR-2", date(2025, 2, 1), 1],
            ],
        }
    )
    sheets = read_workbook(data)
    assert [(row.number, row.values) for row in sheets.okrs] == [
        (2, {"reference": "KR-1", "title": "MRR", "owner": "a@example.com", "start": "40000",
             "target": "12.5", "current": ""}),
        (3, {"reference": "KR-2", "title": "Flag", "owner": "a@example.com", "start": "true",
             "target": "3", "current": ""}),
    ]  # fmt: skip
    assert [(row.number, row.values) for row in sheets.checkins] == [
        (2, {"reference": "KR-1", "date": "2025-01-15T09:30:00", "value": "45000"}),
        (3, {"reference": "KR-2", "date": "2025-02-01T00:00:00", "value": "1"}),
    ]


def test_a_workbook_without_the_okr_sheet_is_read_from_its_first_sheet():
    data = _workbook({"Export": [["OKR Reference", "Title", "Owner"], ["O-1", "Grow", "a@example.com"]]})
    assert read_workbook(data) == Sheets(
        [Row(2, {"reference": "O-1", "title": "Grow", "owner": "a@example.com"})], []
    )


def test_bytes_that_are_not_a_zip_are_not_a_workbook():
    with pytest.raises(ImportRejected) as refused:
        read_workbook(b"PK\x03\x04 not really a zip")
    assert refused.value.problems[0].message.startswith("not an Excel workbook (.xlsx): ")


def test_a_zip_that_inflates_far_beyond_its_size_is_refused_before_it_is_opened():
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 2_000_000)
    with pytest.raises(ImportRejected) as refused:
        read_workbook(packed.getvalue())
    [problem] = refused.value.problems
    assert problem.line is None
    assert "xl/worksheets/sheet1.xml is packed" in problem.message
    assert problem.message.endswith("times (more than 100); that is a zip bomb, not an export")


@pytest.mark.parametrize(
    ("header", "squashed"),
    [("OKR Reference", "okrreference"), ("okr_reference", "okrreference"), ("Check-in Date", "checkindate"),
     (None, ""), ("  Key Result ", "keyresult")],
)  # fmt: skip
def test_squash(header, squashed):
    assert squash(header) == squashed
