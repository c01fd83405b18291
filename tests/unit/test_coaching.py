import pytest

from bot.domain.coaching import has_deadline, kra_coaching, looks_like_task

GOOD = {"active_kra_count": 4, "kpi_count": 2, "title": "Customer satisfaction"}


def coach(**changes):
    return kra_coaching(**{**GOOD, **changes})


def test_a_good_kra_gets_no_notes():
    assert coach() == []


@pytest.mark.parametrize("count", [3, 4, 5])
def test_three_to_five_kras_is_fine(count):
    assert coach(active_kra_count=count) == []


def test_more_than_five_kras():
    notes = coach(active_kra_count=6)
    assert len(notes) == 1
    assert "6 active KRAs" in notes[0]
    assert "3–5" in notes[0]


@pytest.mark.parametrize(("count", "words"), [(1, "1 active KRA."), (2, "2 active KRAs.")])
def test_fewer_than_three_kras(count, words):
    notes = coach(active_kra_count=count)
    assert len(notes) == 1
    assert words in notes[0]
    assert "3–5" in notes[0]


@pytest.mark.parametrize("count", [1, 2, 3])
def test_one_to_three_kpis_is_fine(count):
    assert coach(kpi_count=count) == []


def test_more_than_three_kpis():
    notes = coach(kpi_count=4)
    assert len(notes) == 1
    assert "4 KPIs" in notes[0]
    assert "1–3" in notes[0]


def test_no_kpis():
    assert coach(kpi_count=0) == ["Add 1–3 KPIs so you can tell how it's going."]


def test_task_title_note_text():
    assert coach(title="Run QA audits") == [
        "“Run QA audits” reads like a task. KRAs work best as outcomes you own, e.g. “Product quality”."
    ]


def test_deadline_note():
    notes = coach(title="Customer onboarding by Friday")
    assert len(notes) == 1
    assert "deadline" in notes[0]
    assert "“Customer onboarding by Friday”" in notes[0]


def test_every_rule_at_once():
    notes = kra_coaching(active_kra_count=7, kpi_count=5, title="Ship the app by 2026-12-01")
    assert len(notes) == 4
    assert "reads like a task" in notes[0]
    assert "deadline" in notes[1]
    assert "5 KPIs" in notes[2]
    assert "7 active KRAs" in notes[3]


def test_long_titles_are_shortened_in_notes():
    notes = coach(title="Run " + "very " * 40 + "long audits")
    assert len(notes[0]) < 200
    assert "…”" in notes[0]


def test_empty_title_says_nothing_about_the_title():
    assert coach(title="") == []
    assert coach(title="   ") == []


@pytest.mark.parametrize(
    "title",
    [
        "Run QA audits",
        "run weekly QA audits",
        "Do the quarterly report",
        "Fix bugs",
        "Write blog posts",
        "Complete onboarding",
        "Finish the migration",
        "Create dashboards",
        "Build the new pricing page",
        "Send the newsletter",
        "Call customers",
        "Conduct interviews",
        "Prepare the budget",
        "Organize the offsite",
        "Organise the offsite",
        "Implement SSO",
        "Update the docs",
        "Launch v2",
        "Ship the mobile app",
        "Hold weekly 1:1s",
        "Schedule demos",
        "Attend conferences",
        "Review pull requests",
        "Set up CI",
        "set-up monitoring",
        "Make slides",
        "Clean the backlog",
        "Migrate to Postgres",
        "Deploy the new API",
        "Test the checkout",
        "Plan the roadmap",
        "  “Run QA audits”",
        "Run: QA audits",
    ],
)
def test_task_verbs(title):
    assert looks_like_task(title)
    assert any("reads like a task" in note for note in coach(title=title))


@pytest.mark.parametrize(
    "title",
    [
        "Customer onboarding by Friday",
        "Hiring by 2026-12-01",
        "Docs due by the end of the quarter",
        "Security review before March",
        "Pricing page by EOD",
        "Growth by Q4",
        "Migration by the 15th",
        "Partnerships until next month",
        "Renewals by 12/31",
        "Integration deadline",
        "Roadmap 2026-10-01",
        "Payments by 2027",
        "Docs by end of sprint",
    ],
)
def test_deadlines(title):
    assert has_deadline(title)
    assert looks_like_task(title)


@pytest.mark.parametrize(
    "title",
    [
        "Customer satisfaction",
        "Product quality",
        "Team development",
        "Revenue growth",
        "Revenue by region",  # "by" without a date
        "Churn reduced by 3.5%",
        "Growth driven by this team",
        "Marketing",  # starts with "mar" but is not March
        "Monthly recurring revenue",
        "Test coverage",  # "test" here is a noun
        "Call quality",
        "Build reliability",
        "Release readiness",
        "Schedule adherence",
        "Review process",
        "Hiring",
        "Planning and forecasting",
        "Runway",  # starts with "run" but is another word
        "Updates to stakeholders",
        "",
    ],
)
def test_outcome_titles_are_not_tasks(title):
    assert not looks_like_task(title)


# What a team types in its first weeks: duties and recurring deliverables read as tasks too, while
# the areas they serve do not. A gentle note either way, never a refusal.
@pytest.mark.parametrize(
    ("title", "task"),
    [
        ("Manage the budget", True),
        ("Ensure uptime", True),
        ("Weekly reports", True),
        ("Maintain the wiki", True),
        ("Handle support tickets", True),
        ("Coordinate releases", True),
        ("Monitor alerts", True),
        ("Monthly board update", True),
        ("Daily stand-ups", True),
        ("Quarterly business reviews", True),
        ("Respond to customer emails", True),
        ("Follow up with leads", True),
        ("Budget management", False),
        ("Uptime", False),
        ("Reporting accuracy", False),
        ("Monthly recurring revenue", False),
        ("Weekly active teams", False),
        ("Customer support", False),
        ("Maintainability", False),
        ("Handover quality", False),
        ("Release readiness", False),
    ],
)
def test_first_weeks_titles(title, task):
    assert looks_like_task(title) is task
    notes = coach(title=title)
    assert any("reads like a task" in note for note in notes) is task
    assert all("must" not in note and "can't" not in note for note in notes)  # gentle, never a refusal
