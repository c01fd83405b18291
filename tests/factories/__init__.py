"""What the tests build and share, one module per domain: data (straight into the database,
through the services, or through Slack as a person would), and what the app left behind (the
answer, the view, the DMs, the deliveries). Fixtures stay in conftest.py; the ids of the test
workspaces and people (TEAM, ALICE, ...) too.

Every builder is named make_*: make_<thing>(db, ...) stores one in its own transaction and returns
its id; make_<thing>_row(s)(session, ...) adds ORM rows to the caller's session and returns them;
make_<thing>_via_slack(slack, emulator, ...) goes through the command and modal a person uses, and
make_<thing>_via_service(db, ...) through the service behind it; make_<things>(db, count, ...) bulk
inserts many. Import them from here: `from tests.factories import make_objective`."""

from tests.factories.answers import (
    answer,
    answer_text,
    block_texts,
    by_block,
    opened_view,
    published,
    published_since,
    published_so_far,
    view_opened,
)
from tests.factories.api import SECRET, Api, Reply, new_token, served_api
from tests.factories.assistant import (
    MODEL_KEY,
    MODEL_NAME,
    FakeModel,
    fake_model_server,
    make_ask_northline_data,
    model_facts,
    model_settings,
)
from tests.factories.checkins import make_check_in_row, make_check_in_rows, make_check_ins
from tests.factories.cli import cli_runner, import_changed, import_yaml, single_token_env
from tests.factories.digest import make_channel_with_objectives, make_digest_data
from tests.factories.jobs import (
    channel_posts,
    clients,
    deliveries,
    dms,
    hooked_clients,
    make_schedule,
    team_clients,
)
from tests.factories.kra import (
    grow_kra_form,
    kra_values,
    make_kpi_row,
    make_kra_review_row,
    make_kra_row,
    make_kra_via_service,
    make_kra_via_slack,
    make_kras,
    make_measurement_row,
    make_measurement_rows,
)
from tests.factories.okr import (
    grow_objective_form,
    key_result_rows,
    make_key_result,
    make_key_result_row,
    make_objective,
    make_objective_row,
    make_objective_via_service,
    make_objective_via_slack,
    make_objectives,
    make_okrs,
    make_owners_with_key_results,
    objective_values,
)
from tests.factories.rows import count
from tests.factories.sprint import make_sprint, open_review, start_sprint
from tests.factories.text import BROADCASTS, free_text
from tests.factories.times import (
    API_CYCLE,
    FRIDAY_LONDON,
    MONDAY_LONDON,
    NOW,
    at,
    next_quarter,
    previous_quarter,
    quarter,
)
from tests.factories.workspaces import (
    OWNERS,
    listed,
    make_people,
    make_workspace,
    reminder_off,
    workspaces_for,
)

__all__ = [
    "API_CYCLE",
    "Api",
    "BROADCASTS",
    "FRIDAY_LONDON",
    "FakeModel",
    "MODEL_KEY",
    "MODEL_NAME",
    "MONDAY_LONDON",
    "NOW",
    "OWNERS",
    "Reply",
    "SECRET",
    "answer",
    "answer_text",
    "at",
    "block_texts",
    "by_block",
    "channel_posts",
    "cli_runner",
    "clients",
    "count",
    "deliveries",
    "dms",
    "fake_model_server",
    "free_text",
    "grow_kra_form",
    "grow_objective_form",
    "hooked_clients",
    "import_changed",
    "import_yaml",
    "key_result_rows",
    "kra_values",
    "listed",
    "make_ask_northline_data",
    "make_channel_with_objectives",
    "make_check_in_row",
    "make_check_in_rows",
    "make_check_ins",
    "make_digest_data",
    "make_key_result",
    "make_key_result_row",
    "make_kpi_row",
    "make_kra_review_row",
    "make_kra_row",
    "make_kra_via_service",
    "make_kra_via_slack",
    "make_kras",
    "make_measurement_row",
    "make_measurement_rows",
    "make_objective",
    "make_objective_row",
    "make_objective_via_service",
    "make_objective_via_slack",
    "make_objectives",
    "make_okrs",
    "make_owners_with_key_results",
    "make_people",
    "make_schedule",
    "make_sprint",
    "make_workspace",
    "model_facts",
    "model_settings",
    "new_token",
    "next_quarter",
    "objective_values",
    "open_review",
    "opened_view",
    "previous_quarter",
    "published",
    "published_since",
    "published_so_far",
    "quarter",
    "reminder_off",
    "served_api",
    "single_token_env",
    "start_sprint",
    "team_clients",
    "view_opened",
    "workspaces_for",
]
