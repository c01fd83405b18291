"""The Viva Goals planner (bot/importers/viva/plan.py): rows and owners in, a plan out, no database."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.forms.okr_file import ImportRejected, Problem
from bot.importers.viva.plan import PlannedCheckIn, Unmapped, check, plan
from bot.importers.viva.read import Row, Sheets

OWNERS = {"alice@example.com": "U0ALICE", "bob@example.com": "U0BOB"}


def okr(
    number: int, reference: str, kind: str, parent: str = "", owner: str = "alice@example.com", **more
) -> Row:
    values = {"reference": reference, "title": f"Title of {reference}", "kind": kind, "parent": parent,
              "owner": owner, "period": "Q1 2025", **more}  # fmt: skip
    return Row(number, values)


def test_objectives_key_results_and_parents_become_the_importers_document():
    sheets = Sheets(
        [
            okr(2, "O-1", "Objective", description="Why"),
            okr(3, "KR-1", "Key Result", "O-1", start="40000", target="60000", unit="$"),
            okr(4, "O-2", "Objective", "O-1", owner="bob@example.com; alice@example.com"),
            okr(5, "KR-2", "Key Result", "O-2", owner="bob@example.com"),  # no target: 0 → 100 %
            okr(6, "P-1", "Project", "O-2"),
        ],
        [],
    )
    result = plan(sheets, OWNERS)
    assert result.document.data == {
        "objectives": [
            {"key": "viva:O-1", "title": "Title of O-1", "description": "Why", "owner": "U0ALICE",
             "cycle": "2025-Q1",
             "key_results": [{"title": "Title of KR-1", "start": "40000", "target": "60000",
                              "owner": "U0ALICE", "unit": "$"}]},
            {"key": "viva:O-2", "title": "Title of O-2", "owner": "U0BOB", "cycle": "2025-Q1",
             "parent": "viva:O-1",
             "key_results": [{"title": "Title of KR-2", "start": "0", "target": "100", "owner": "U0BOB",
                              "unit": "%"}]},
        ]
    }  # fmt: skip
    assert result.document.lines == {
        (): 1,
        ("objectives",): 1,
        ("objectives", 0): 2,
        ("objectives", 0, "key_results", 0): 3,
        ("objectives", 1): 4,
        ("objectives", 1, "key_results", 0): 5,
    }
    assert result.unmapped == []
    assert result.ignored == [Unmapped(6, "P-1 is a project; Northline imports objectives and key results")]
    assert result.checkins == []


def test_a_blank_type_is_a_key_result_when_it_has_a_target_under_an_objective():
    sheets = Sheets(
        [okr(2, "O-1", ""), okr(3, "K", "", "O-1", target="5"), okr(4, "O-2", "", "O-1")],
        [],
    )
    data = plan(sheets, OWNERS).document.data
    assert [(o["key"], o.get("parent"), len(o["key_results"])) for o in data["objectives"]] == [
        ("viva:O-1", None, 1),
        ("viva:O-2", "viva:O-1", 0),  # no target: an objective under O-1
    ]


def test_an_objective_aligned_under_a_key_result_goes_under_that_key_results_objective():
    sheets = Sheets(
        [okr(2, "O-1", "Objective"), okr(3, "KR-1", "Key Result", "O-1", target="9"), okr(4, "O-2", "Objective", "KR-1")],
        [],
    )  # fmt: skip
    assert plan(sheets, OWNERS).document.data["objectives"][1]["parent"] == "viva:O-1"


def test_an_unknown_owner_leaves_out_the_objective_with_its_key_results_and_children():
    sheets = Sheets(
        [
            okr(2, "O-1", "Objective"),
            okr(3, "KR-1", "Key Result", "O-1", target="9"),
            okr(4, "KR-2", "Key Result", "O-1", target="9", owner="carol@example.com"),
            okr(5, "O-2", "Objective", "O-1"),
            okr(6, "O-3", "Objective", owner="nobody"),
        ],
        [],
    )
    result = plan(sheets, OWNERS)
    assert result.document.data == {"objectives": []}
    assert result.unmapped == [
        Unmapped(2, "left out with its key results: the key result on row 4 could not be mapped"),
        Unmapped(3, "left out with its objective"),
        Unmapped(4, "no Slack user found for carol@example.com: add it to the owners file (--owners)"),
        Unmapped(5, "its parent objective could not be imported"),
        Unmapped(6, "the owner “nobody” is not an email"),
    ]


def test_rows_that_cannot_be_mapped_say_why_by_row():
    sheets = Sheets(
        [
            okr(2, "A", "Objective", period="Jan 2025"),
            okr(3, "B", "Key Result", "A", target="5"),
            okr(4, "", "Objective"),
            okr(5, "C", "Objective"),
            okr(6, "c", "Objective"),  # references are compared without case
            okr(7, "D", "Initiative-ish"),
            okr(8, "E", "Key Result", target="5"),
            okr(9, "F", "Objective", "Z"),
            okr(10, "G", "Objective", period=""),
        ],
        [],
    )
    assert plan(sheets, OWNERS).unmapped == [
        Unmapped(2, "Time Period “Jan 2025” is not a quarter such as Q1 2025"),
        Unmapped(3, "the key result belongs to A, which could not be imported"),
        Unmapped(4, "no OKR Reference"),
        Unmapped(6, "OKR Reference c is also on row 5"),
        Unmapped(7, "OKR Type “Initiative-ish” is not Objective, Key Result or Project"),
        Unmapped(8, "the key result has no Parent OKR"),
        Unmapped(9, "its Parent OKR Z is not an objective that could be imported"),
        Unmapped(10, "no Time Period"),
    ]


def test_check_ins_come_from_the_history_else_from_the_current_value():
    sheets = Sheets(
        [
            okr(2, "O-1", "Objective"),
            okr(3, "KR-1", "Key Result", "O-1", target="9", current="7"),
            okr(4, "KR-2", "Key Result", "O-1", target="9", current="4"),
            okr(5, "KR-3", "Key Result", "O-1", target="9"),
        ],
        [
            Row(2, {"reference": "kr-1", "date": "2025-01-15T10:00:00+01:00", "value": "5", "note": "Half",
                    "author": "Bob@Example.com"}),
            Row(3, {"reference": "KR-9", "date": "2025-01-15", "value": "5"}),
            Row(4, {"reference": "KR-3", "date": "soon", "value": "5"}),
        ],
    )  # fmt: skip
    result = plan(sheets, OWNERS)
    assert result.checkins == [
        PlannedCheckIn(2, "viva:O-1", 0, 5.0, datetime(2025, 1, 15, 9, 0), "Half", "bob@example.com",
                       "viva:kr-1:2025-01-15T09:00:00"),
        PlannedCheckIn(4, "viva:O-1", 1, 4.0, None, "", None, "viva:kr-2:current:4.0"),
    ]  # fmt: skip
    assert result.unmapped == [
        Unmapped(3, "a check-in of KR-9, which is not an imported key result", "Check-ins"),
        Unmapped(4, "“soon” is not a date such as 2025-03-14", "Check-ins"),
    ]
    assert [str(u) for u in result.unmapped] == [
        "Check-ins row 3: a check-in of KR-9, which is not an imported key result",
        "Check-ins row 4: “soon” is not a date such as 2025-03-14",
    ]


def test_the_fiscal_year_decides_the_cycle():
    sheets = Sheets([okr(2, "O-1", "Objective", period="FY2026-Q1")], [])
    assert plan(sheets, OWNERS, fiscal_year_start_month=7).document.data["objectives"][0]["cycle"] == (
        "FY2026-Q1"
    )


def test_check_refuses_unmapped_rows_unless_told_to_skip_them():
    sheets = Sheets(
        [
            okr(2, "O-1", "Objective"),
            okr(3, "KR-1", "Key Result", "O-1", target="9"),
            okr(4, "O-2", "Objective", owner="nobody"),
        ],
        [],
    )
    planned = plan(sheets, OWNERS)
    with pytest.raises(ImportRejected) as refused:
        check(planned, skip_unmapped=False)
    assert refused.value.problems == [Problem(4, "the owner “nobody” is not an email")]
    parsed = check(planned, skip_unmapped=True)
    assert [(o.key, o.title, o.owner) for o in parsed.spec.objectives] == [
        ("viva:O-1", "Title of O-1", "U0ALICE")
    ]


def test_check_speaks_of_the_spreadsheets_columns():
    sheets = Sheets(
        [
            okr(2, "O-1", "Objective"),
            okr(3, "KR-1", "Key Result", "O-1", start="5", target="lots"),
            okr(4, "KR-2", "Key Result", "O-1", start="3", target="3"),
        ],
        [],
    )
    with pytest.raises(ImportRejected) as refused:
        check(plan(sheets, OWNERS), skip_unmapped=False)
    assert refused.value.problems == [
        Problem(3, "Target Value: 'lots' is not a number, e.g. 42 or 3.5"),
        Problem(
            4,
            "Target Value: the target must differ from the start (both are 3); a key result measures a change",
        ),
    ]


def test_an_export_with_nothing_to_import_is_refused_even_when_skipping():
    planned = plan(Sheets([okr(2, "P-1", "Project")], []), OWNERS)
    with pytest.raises(ImportRejected) as refused:
        check(planned, skip_unmapped=True)
    assert refused.value.problems == [Problem(None, "no objective in the export could be imported")]
