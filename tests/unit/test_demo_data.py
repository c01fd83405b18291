"""The demo's data file: the shipped one is valid, and a broken one fails with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.demo.data import DATA_FILE, DemoDataError, load, parse

VALID = """
workspace: Test team
team_id: TTEST
channel: {id: CTEST, name: test}
people: {UANN: Ann, UBOB: Bob}
home_of: UANN
history_weeks: 3
kras:
  - title: Quality
    owner: UANN
    kpis:
      - {name: Bugs, unit: "", target: 2, direction: lower, weekly: [9, 5]}
objectives:
  - title: Fewer bugs
    owner: UANN
    kra: Quality
    key_results:
      - {title: Halve open bugs, owner: UBOB, start: 40, target: 20, confidence: at_risk}
  - title: Faster fixes
    owner: UBOB
    kra: Quality
    parent: Fewer bugs
    key_results:
      - {title: Fix in a day, owner: UBOB, milestone: true}
sprint:
  name: Sprint 1
  started_by: UANN
  serves: [Halve open bugs]
"""


def _broken(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new)


def test_the_shipped_file_holds_the_demo_team():
    data = load()
    assert data.team_id == "TDEMO0001"
    assert list(data.people.values()) == ["Maya", "Leo", "Sam", "Ida"]
    assert data.home_of == "UDEMOMAYA"
    assert [kra.title for kra in data.kras][:2] == [
        "Customer value delivered",
        "Product strategy and roadmap",
    ]
    assert len(data.kras) == 7
    assert [len(objective.key_results) for objective in data.objectives] == [3, 3, 2, 2]
    assert data.objectives[3].parent == "Make onboarding effortless for new teams"
    assert data.sprint.serves == (
        "Raise 7-day activation from 25% to 45%",
        "Cut first response time from 24 h to 6 h",
    )


def test_the_file_ships_inside_the_package():
    assert DATA_FILE.name == "data.yaml"
    assert DATA_FILE.parent == Path(__file__).parents[2] / "bot" / "demo"
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert 'bot = ["demo/*.yaml"]' in pyproject


def test_a_valid_team_reads_with_its_defaults():
    data = parse(VALID)
    key_result = data.objectives[0].key_results[0]
    assert (key_result.start, key_result.target, key_result.step) == (40.0, 20.0, 1.0)
    assert key_result.confidence == "at_risk"
    assert key_result.this_week is True and key_result.milestone is False
    assert data.kras[0].kpis[0].weekly == (9.0, 5.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            _broken("history_weeks: 3", "history_weeks: three"),
            "history_weeks: Input should be a valid integer",
        ),
        (
            _broken("direction: lower", "direction: down"),
            "kras.0.kpis.0.direction: Input should be 'higher' or 'lower'",
        ),
        (
            _broken("confidence: at_risk", "confidence: maybe"),
            "objectives.0.key_results.0.confidence: Input should be",
        ),
        (_broken("home_of: UANN\n", ""), "home_of: Field required"),
        (_broken("history_weeks: 3", "history_weeks: 3\nextra: 1"), "extra: Extra inputs are not permitted"),
        (_broken("weekly: [9, 5]", "weekly: []"), "kras.0.kpis.0.weekly: "),
        (_broken("home_of: UANN", "home_of: UZED"), "home_of: 'UZED' is not one of the people"),
        (
            _broken("title: Halve open bugs, owner: UBOB", "title: Halve open bugs, owner: UCAT"),
            "objectives.0.key_results.0.owner: 'UCAT' is not one of the people",
        ),
        (
            _broken("    kra: Quality\n    parent", "    kra: Speed\n    parent"),
            "objectives.1.kra: no KRA is titled 'Speed'",
        ),
        (
            _broken("parent: Fewer bugs", "parent: Faster fixes"),
            "objectives.1.parent: no earlier objective is titled 'Faster fixes'",
        ),
        (
            _broken("serves: [Halve open bugs]", "serves: [Halve bugs]"),
            "sprint.serves.0: no key result is titled 'Halve bugs'",
        ),
        (
            _broken("title: Fix in a day", "title: Halve open bugs"),
            "key results: titles must differ, 'Halve open bugs'",
        ),
    ],
)
def test_a_broken_team_is_refused_with_the_field_and_the_reason(text, message):
    with pytest.raises(DemoDataError) as raised:
        parse(text, "demo.yaml")
    assert str(raised.value).startswith("demo.yaml does not hold a valid demo team:\n")
    assert message in str(raised.value)


def test_a_file_that_is_not_yaml_or_not_a_mapping_is_refused():
    with pytest.raises(DemoDataError, match=r"^demo.yaml is not valid YAML: "):
        parse("people: [UANN\n", "demo.yaml")
    with pytest.raises(
        DemoDataError, match=r"^demo.yaml should hold a mapping of the demo's team, not list$"
    ):
        parse("- a\n- b\n", "demo.yaml")


def test_a_missing_file_is_named(tmp_path):
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(DemoDataError, match=r"cannot read the demo's data file .*nowhere\.yaml"):
        load(missing)
