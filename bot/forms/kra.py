"""The New/Edit KRA modal and the quarterly review modal, parsed and validated."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, field_validator

from bot.domain.limits import DESCRIPTION_MAX, MAX_KPIS, NOTE_MAX, ROLE_MAX, TITLE_MAX, UNIT_MAX
from bot.domain.numbers import parse_number
from bot.errors import Invalid
from bot.forms.state import field_errors, flatten, text, typed, validate
from bot.ids import Block
from storage.models import Direction, ReviewDecision

Title = Annotated[str, StringConstraints(strip_whitespace=True, max_length=TITLE_MAX)]


def _required_title(value: str, what: str) -> str:
    if not value:
        raise ValueError(f"Give the {what} a title.")
    if len(value) > TITLE_MAX:
        raise ValueError(f"Keep the title under {TITLE_MAX} characters (it has {len(value)}).")
    return value


class KpiForm(BaseModel):
    name: str
    unit: str = Field(default="", max_length=UNIT_MAX)
    target: float
    direction: Direction = Direction.HIGHER

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if len(value) > TITLE_MAX:
            raise ValueError(f"Keep the KPI name under {TITLE_MAX} characters.")
        return value

    @field_validator("target", mode="before")
    @classmethod
    def _target(cls, value: Any) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return parse_number(str(value))
        if not text(value):
            raise ValueError("Give the KPI a target, e.g. 50 or 95%.")
        return parse_number(value)

    @field_validator("unit", mode="before")
    @classmethod
    def _unit(cls, value: Any) -> str:
        unit = text(value)
        if len(unit) > 30:
            raise ValueError("Keep the unit under 30 characters, e.g. %, h or $.")
        return unit


class KraForm(BaseModel):
    title: str
    description: str = Field(default="", max_length=DESCRIPTION_MAX)
    owner_id: str = Field(pattern=r"^[UW][A-Z0-9]{2,}$")
    role: str = Field(default="", max_length=ROLE_MAX)
    channel_id: str | None = Field(default=None, pattern=r"^[CG][A-Z0-9]{2,}$")
    kpis: list[KpiForm] = Field(default_factory=list)

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> str:
        return _required_title(text(value), "KRA")


_KPI_BLOCK = re.compile(r"^kpi_(\d+)_(name|unit|target|direction)$")

_KRA_FIELDS = {
    "title": Block.KRA_TITLE,
    "description": Block.KRA_DESCRIPTION,
    "owner_id": Block.KRA_OWNER,
    "role": Block.KRA_ROLE,
    "channel_id": Block.KRA_CHANNEL,
}


def parse_kra(view: dict) -> KraForm:
    """The whole form or an Invalid naming every field at fault; nothing half-parsed."""
    values = flatten(view)
    errors: dict[str, str] = {}
    kpis: list[KpiForm] = []
    rows = sorted({int(m.group(1)) for key in values if (m := _KPI_BLOCK.match(key))})
    for n in rows:
        name = text(values.get(Block.KPI_NAME.of(n=n)))
        target = values.get(Block.KPI_TARGET.of(n=n))
        unit = values.get(Block.KPI_UNIT.of(n=n))
        if not name and not text(target) and not text(unit):
            continue  # an empty row is simply not a KPI
        if n > MAX_KPIS:
            errors[Block.KPI_NAME.of(n=n)] = (
                f"A KRA has at most {MAX_KPIS} KPIs; focus on the ones that matter."
            )
            continue
        if not name:
            errors[Block.KPI_NAME.of(n=n)] = "Name this KPI, or clear its row."
            continue
        row = {
            "name": name,
            "unit": unit,
            "target": target,
            "direction": values.get(Block.KPI_DIRECTION.of(n=n)),
        }
        row = {key: value for key, value in row.items() if value is not None or key == "target"}
        try:
            kpis.append(validate(KpiForm, row, lambda field, n=n: _kpi_block(field, n)))
        except Invalid as invalid:
            errors.update(invalid.fields)
    data = {
        "title": values.get(Block.KRA_TITLE),
        "description": text(values.get(Block.KRA_DESCRIPTION)),
        "owner_id": values.get(Block.KRA_OWNER),
        "role": text(values.get(Block.KRA_ROLE)),
        "channel_id": values.get(Block.KRA_CHANNEL) or None,
        "kpis": [],
    }
    try:
        form = KraForm.model_validate(data)
    except Exception as error:  # pydantic ValidationError
        errors.update(field_errors(error, lambda field: _KRA_FIELDS.get(field, Block.KRA_TITLE)))
        form = None
    if errors or form is None:
        raise Invalid("Some fields need another look.", fields=errors)
    form.kpis = kpis
    return form


def typed_kra(view: dict) -> dict[str, str]:
    """What was typed in the New KRA form (block_id → value), to show again when it grows."""
    kpi_blocks = (Block.KPI_NAME, Block.KPI_TARGET, Block.KPI_UNIT, Block.KPI_DIRECTION)
    blocks = [*_KRA_FIELDS.values()] + [b.of(n=n) for n in range(1, MAX_KPIS + 1) for b in kpi_blocks]
    return typed(view, blocks)


def _kpi_block(field: str, n: int) -> str:
    block = {"name": Block.KPI_NAME, "unit": Block.KPI_UNIT, "target": Block.KPI_TARGET}.get(
        field, Block.KPI_DIRECTION
    )
    return block.of(n=n)


class ReviewItem(BaseModel):
    kra_id: int
    decision: ReviewDecision
    note: str = Field(default="", max_length=NOTE_MAX)


_REVIEW_BLOCK = re.compile(r"^review_(\d+)_decision$")


def parse_review(view: dict) -> list[ReviewItem]:
    values = flatten(view)
    items: list[ReviewItem] = []
    errors: dict[str, str] = {}
    for key, decision in values.items():
        match = _REVIEW_BLOCK.match(key)
        if not match:
            continue
        kra_id = int(match.group(1))
        note = text(values.get(Block.REVIEW_NOTE.of(id=kra_id)))
        if decision not in {d.value for d in ReviewDecision}:
            errors[key] = "Choose keep, change or retire."
        elif len(note) > 3000:
            errors[Block.REVIEW_NOTE.of(id=kra_id)] = "Keep the note under 3,000 characters."
        elif decision == ReviewDecision.CHANGE and not note:
            errors[Block.REVIEW_NOTE.of(id=kra_id)] = "Say what should change."
        else:
            items.append(ReviewItem(kra_id=kra_id, decision=decision, note=note))
    if errors:
        raise Invalid("Some fields need another look.", fields=errors)
    return items


class KpiEntry(BaseModel):
    """The Log a value form: which KPI (its number), the value and a note."""

    number: int
    value: float
    note: str = ""


def parse_kpi_log(view: dict) -> KpiEntry:
    values = flatten(view)
    fields: dict[str, str] = {}
    picked = text(values.get(Block.KPI_LOG_KPI))
    if not picked.isdigit():
        fields[Block.KPI_LOG_KPI] = "Pick a KPI."
    # The value's block id names the KPI picked (kpi_log_value_7), so a new pick shows its own value.
    value_block = next((b for b in values if b.startswith(Block.KPI_LOG_VALUE)), Block.KPI_LOG_VALUE)
    raw = text(values.get(value_block))
    number = 0.0
    if not raw:
        fields[value_block] = "Give a value, like 42 or 12.5%."
    else:
        try:
            number = parse_number(raw)
        except ValueError as error:
            fields[value_block] = f"{str(error)[:1].upper()}{str(error)[1:]}."
    note = text(values.get(Block.KPI_LOG_NOTE))
    if len(note) > NOTE_MAX:
        fields[Block.KPI_LOG_NOTE] = f"Keep the note under {NOTE_MAX:,} characters (it has {len(note):,})."
    if fields:
        raise Invalid("Some fields need another look.", fields=fields)
    return KpiEntry(number=int(picked), value=number, note=note)
