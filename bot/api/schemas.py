"""The API's pydantic models: they validate what comes in, shape what goes out, and are the only
source of the OpenAPI document's schemas (bot/api/openapi.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bot.domain.control_chars import first_control_character
from bot.domain.limits import CYCLE_MAX, NOTE_MAX
from bot.domain.numbers import MAX_ABS
from bot.domain.progress import Confidence, PaceStatus

REF_PATTERN = r"^#?[A-Za-z]{2,3}-?[0-9]{1,10}$"


def _utc(moment: datetime) -> datetime:
    # Storage keeps naive UTC; an answer says so (RFC 3339 wants the offset).
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _one_line(text: str) -> str:
    found = first_control_character(text)
    if found:
        raise ValueError(f"contains the control character {found}; send plain text")
    return text


def _lines(text: str) -> str:
    found = first_control_character(text, multiline=True)
    if found:
        raise ValueError(
            f"contains the control character {found}; send plain text (tab and newline are fine)"
        )
    return text


Moment = Annotated[datetime, AfterValidator(_utc)]
# `strict`: a JSON number only; `true` and `"3"` are refused, not read as 1 and 3.
Value = Annotated[
    float,
    Field(strict=True, allow_inf_nan=False, ge=-MAX_ABS, le=MAX_ABS, description="A finite JSON number"),
]
# Every string a client sends is one of these: no C0/C1 control characters, DEL or bidi overrides.
# The same rule in the OpenAPI document, as a pattern (ECMA-262) clients and fuzzers can read.
_RANGES = "\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069"
Line = Annotated[
    str,
    AfterValidator(_one_line),
    Field(json_schema_extra={"pattern": f"^[^\\u0009\\u000a{_RANGES}]*$"}),
]
Lines = Annotated[str, AfterValidator(_lines), Field(json_schema_extra={"pattern": f"^[^{_RANGES}]*$"})]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StrictBody(BaseModel):
    """A JSON body: unknown fields refused, and no type is read as another (`"3"` is no number)."""

    model_config = ConfigDict(extra="forbid", strict=True)


# --- what comes in ---------------------------------------------------------------------------------


class CheckInRequest(StrictBody):
    """A check-in on a key result: a milestone takes 1 (done) or 0 (not done)."""

    value: Value
    confidence: Confidence | None = Field(default=None, description="The owner's own call; shown beside pace")
    note: Lines = Field(default="", max_length=NOTE_MAX)


class MeasurementRequest(StrictBody):
    """A KPI measurement."""

    value: Value
    note: Lines = Field(default="", max_length=NOTE_MAX)


class ObjectiveQuery(Strict):
    cycle: Line | None = Field(
        default=None, max_length=CYCLE_MAX, description="e.g. 2026-Q4; all cycles when absent"
    )
    owner: Line | None = Field(
        default=None, max_length=32, description="Slack user id of the objectives' owner"
    )
    status: Literal["active", "closed", "archived"] | None = Field(
        default=None, description="active and closed when absent, as /okr list"
    )
    limit: int = Field(default=50, ge=1, le=200)
    after: str | None = Field(default=None, pattern=REF_PATTERN, description="Page on from this reference")


class KraQuery(Strict):
    owner: Line | None = Field(default=None, max_length=32, description="Slack user id of the KRAs' owner")
    limit: int = Field(default=50, ge=1, le=200)
    after: str | None = Field(default=None, pattern=REF_PATTERN, description="Page on from this reference")


class RecentQuery(Strict):
    recent: int = Field(
        default=5, ge=0, le=50, description="How many of the latest check-ins or measurements"
    )


class NoQuery(Strict):
    pass


# --- what goes out ---------------------------------------------------------------------------------


class WorkspaceOut(BaseModel):
    team_id: str
    name: str


class PageOut(BaseModel):
    limit: int
    total: int
    next: str | None = Field(description="The next page's URL (path and query), or null on the last page")


class SourceOut(BaseModel):
    kind: Literal["sql", "http"]
    connection: str | None = Field(
        description="The operator-declared connection it reads through; null for a binding made "
        "before connections, which is not read until it is bound again"
    )
    every_minutes: int
    last_run_at: Moment | None
    last_value: float | None
    failing: bool
    last_error: str | None


class CheckInOut(BaseModel):
    value: float
    confidence: Confidence | None
    note: str
    author: str = Field(description="Slack user id; for a token, the admin who made it")
    at: Moment
    automatic: bool = Field(description="True when a bound data source recorded it")
    via: str | None = Field(
        description=(
            "`api:TOKEN-NAME`, `source:sql`, `source:http`, `source:jira`, `source:github`, "
            "`source:linear`, `source:prometheus`, `source:spreadsheet` (a bound data source; "
            "docs/integrations.md), `workflow` (a workflow step that ran with "
            "nobody present, for `author`), `import:viva`, or null for Slack"
        )
    )


class KeyResultOut(BaseModel):
    ref: str
    objective: str
    title: str
    kind: Literal["metric", "milestone"]
    start: float
    target: float
    unit: str
    owner: str
    weight: float
    status: Literal["active", "closed", "archived"]
    current: float | None
    progress: float | None = Field(
        description="(current − start) / (target − start), floored at 0; null before a check-in"
    )
    progress_percent: int | None = Field(description="As Slack shows it: rounded half up")
    pace: PaceStatus
    confidence: Confidence | None
    last_checkin_at: Moment | None
    source: SourceOut | None


class ObjectiveOut(BaseModel):
    ref: str
    title: str
    description: str
    owner: str
    cycle: str
    channel: str | None
    status: Literal["active", "closed", "archived"]
    kra: str | None
    parent: str | None
    progress: float = Field(description="Weighted mean of the key results' progress, each clamped to [0, 1]")
    progress_percent: int
    expected: float = Field(description="Share of the cycle gone")
    pace: PaceStatus
    key_results: list[KeyResultOut]


class KpiOut(BaseModel):
    ref: str
    kra: str
    name: str
    unit: str
    target: float
    direction: Literal["higher", "lower"]
    status: Literal["active", "closed", "archived"]
    latest_value: float | None
    latest_at: Moment | None
    source: SourceOut | None


class KraOut(BaseModel):
    ref: str
    title: str
    description: str
    owner: str
    role: str
    channel: str | None
    status: Literal["active", "closed", "archived"]
    kpis: list[KpiOut]


class MeasurementOut(BaseModel):
    value: float
    note: str
    author: str
    at: Moment
    automatic: bool
    via: str | None


class ObjectiveList(BaseModel):
    workspace: WorkspaceOut
    page: PageOut
    objectives: list[ObjectiveOut]


class ObjectiveOne(BaseModel):
    workspace: WorkspaceOut
    objective: ObjectiveOut


class KeyResultOne(BaseModel):
    workspace: WorkspaceOut
    key_result: KeyResultOut
    recent_checkins: list[CheckInOut]


class KraList(BaseModel):
    workspace: WorkspaceOut
    page: PageOut
    kras: list[KraOut]


class KraOne(BaseModel):
    workspace: WorkspaceOut
    kra: KraOut


class KpiOne(BaseModel):
    workspace: WorkspaceOut
    kpi: KpiOut
    recent_measurements: list[MeasurementOut]


class CheckInCreated(BaseModel):
    workspace: WorkspaceOut
    check_in: CheckInOut
    key_result: KeyResultOut


class MeasurementCreated(BaseModel):
    workspace: WorkspaceOut
    measurement: MeasurementOut
    kpi: KpiOut


class ProblemDetail(BaseModel):
    """One thing wrong with the request: where (`pointer` into the body, `parameter`, `header`)."""

    detail: str
    pointer: str | None = None
    parameter: str | None = None
    header: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details (application/problem+json)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    workspace: str | None = Field(default=None, description="team id of the workspace the answer speaks for")
    errors: list[ProblemDetail] | None = None
