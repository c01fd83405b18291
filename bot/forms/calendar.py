"""The workspace settings modal (`/okr settings`), parsed and validated: every problem goes under
the field at fault, and nothing is stored until the whole form is valid."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from bot.domain.calendar import holiday_country_names, holiday_place, holiday_region_names
from bot.domain.cycles import MONTHS
from bot.domain.schedule_time import format_time, holiday_countries, parse_time, parse_weekday
from bot.domain.slack_text import user_text
from bot.domain.zones import time_zones
from bot.errors import Invalid
from bot.forms.state import flatten, text, validate
from bot.ids import Block, Option

if TYPE_CHECKING:
    from bot.domain.calendar import CalendarSettings

_BLOCKS = {
    "timezone": Block.SET_TIMEZONE,
    "work_days": Block.SET_WORK_DAYS,
    "holiday_country": Block.SET_HOLIDAY_COUNTRY,
    "holiday_subdivision": Block.SET_HOLIDAY_REGION,
    "fiscal_year_start_month": Block.SET_FISCAL_MONTH,
    "checkin_weekday": Block.SET_CHECKIN_DAY,
    "checkin_time": Block.SET_CHECKIN_TIME,
    "digest_weekday": Block.SET_DIGEST_DAY,
    "digest_time": Block.SET_DIGEST_TIME,
}


class CalendarForm(BaseModel):
    """A workspace's calendar: what every scheduled post is timed by."""

    timezone: str
    work_days: list[int]
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    fiscal_year_start_month: int
    checkin_weekday: int
    checkin_time: str
    digest_weekday: int
    digest_time: str
    # Guard rails (docs/commands.md, `/okr settings`): both off unless an admin switches them on.
    owners_may_bind_sources: bool = False
    unattended_steps_allowed: bool = False
    # On unless an admin switches it off; only used when the operator declared a model (docs/ai.md).
    ai_enabled: bool = True

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        value = value.strip()
        if value not in time_zones():
            raise ValueError(
                f"“{user_text(value, 40)}” is not a time zone; use a name like Europe/London or Pacific/Auckland"
                if value
                else "Choose a time zone, like Europe/London or Pacific/Auckland"
            )
        return value

    @field_validator("work_days")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        days = sorted({d for d in value if 1 <= d <= 7})
        if not days:
            raise ValueError("Pick at least one work day")
        return days

    @field_validator("holiday_country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        value = (value or "").strip().upper() or None
        if value is not None and value not in holiday_countries():
            raise ValueError(
                f"“{user_text(value, 20)}” is not a country the holiday calendar knows; "
                "pick one from the list, or “No public holidays”"
            )
        return value

    @field_validator("fiscal_year_start_month")
    @classmethod
    def _month(cls, value: int) -> int:
        if not 1 <= value <= 12:
            raise ValueError("Choose the month the fiscal year starts in")
        return value

    @field_validator("checkin_weekday", "digest_weekday")
    @classmethod
    def _weekday(cls, value: int) -> int:
        if not 1 <= value <= 7:
            raise ValueError("Choose a day")
        return value

    @field_validator("checkin_time", "digest_time")
    @classmethod
    def _time(cls, value: str) -> str:
        return format_time(parse_time(value))

    @model_validator(mode="after")
    def _region(self) -> CalendarForm:
        """The region picker sends "GB-ENG" (its country and its own code); an OKR file or an
        older form, the region's code alone. Either must belong to the country chosen."""
        raw = (self.holiday_subdivision or "").strip().upper()
        of, _, region = raw.rpartition("-")
        if not region:
            self.holiday_subdivision = None
            return self
        if self.holiday_country is None:
            _region_error(
                "A region needs its country: pick the holiday country too, or leave the region empty"
            )
        country = self.holiday_country
        regions = holiday_region_names(country)
        if of and of != country:
            _region_error(
                f"{user_text(holiday_place(of, region), 60)} is not in {holiday_place(country)}; "
                + _regions_of(country, regions)
            )
        if region not in regions:
            _region_error(
                f"{holiday_place(country)} has no region “{user_text(region, 20)}”; "
                + _regions_of(country, regions)
            )
        self.holiday_subdivision = region
        return self


def _regions_of(country: str, regions: dict[str, str]) -> str:
    if not regions:
        return "it has no regions with holidays of their own: leave this empty"
    names = sorted(regions.values(), key=str.casefold)
    known = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
    return f"pick one of its regions ({known}) or “The whole country”"


def _region_error(message: str) -> None:
    raise Invalid("Some fields need another look.", fields={Block.SET_HOLIDAY_REGION: message})


def chosen_country(view: Any) -> str | None:
    """The holiday country a settings form shows: the one picked in its state if Slack sent the
    state, else the one it opened with (private_metadata); None if neither is a known country."""
    if not isinstance(view, dict):
        return None
    picked = flatten(view).get(Block.SET_HOLIDAY_COUNTRY) if isinstance(view.get("state"), dict) else None
    for value in (picked, view.get("private_metadata")):
        code = value.strip().upper() if isinstance(value, str) else ""
        if code in holiday_country_names():
            return code
    return None


def _number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _place(value: Any) -> str | None:
    """A holiday picker's value; its "none" choice (no holidays, the whole country) is None."""
    value = text(value)
    return None if not value or value == Option.NONE else value


def parse_settings(view: dict) -> CalendarForm:
    values = flatten(view)
    data = {
        "timezone": text(values.get(Block.SET_TIMEZONE)),
        "work_days": [
            n for n in (_number(v) for v in values.get(Block.SET_WORK_DAYS) or []) if n is not None
        ],
        "holiday_country": _place(values.get(Block.SET_HOLIDAY_COUNTRY)),
        "holiday_subdivision": _place(values.get(Block.SET_HOLIDAY_REGION)),
        "fiscal_year_start_month": _number(values.get(Block.SET_FISCAL_MONTH)) or 0,
        "checkin_weekday": _number(values.get(Block.SET_CHECKIN_DAY)) or 0,
        "checkin_time": text(values.get(Block.SET_CHECKIN_TIME)),
        "digest_weekday": _number(values.get(Block.SET_DIGEST_DAY)) or 0,
        "digest_time": text(values.get(Block.SET_DIGEST_TIME)),
        "owners_may_bind_sources": Option.ON in (values.get(Block.SET_OWNER_SOURCES) or []),
        "unattended_steps_allowed": Option.ON in (values.get(Block.SET_UNATTENDED_STEPS) or []),
        "ai_enabled": Option.ON in (values.get(Block.SET_AI) or []),
    }
    return validate(CalendarForm, data, lambda name: _BLOCKS.get(name, Block.SET_TIMEZONE))


class SettingsSpec(BaseModel):
    """`settings:` in an OKRs-as-code file; every key optional (a key left out keeps its value).

    settings:
      timezone: Europe/London
      work_days: [mon, tue, wed, thu, fri]
      holidays: GB-ENG           # a country, or country-region; none for no holidays
      fiscal_year_start: april   # or 4
      checkin: mon 10:00         # each owner's own time
      digest: fri 16:00          # the workspace's time zone, for channels with no time of their own
    """

    model_config = ConfigDict(extra="forbid")

    timezone: str | None = None
    work_days: list[int] | None = None
    holidays: tuple[str | None, str | None] | None = None
    fiscal_year_start: int | None = None
    checkin: tuple[int, str] | None = None
    digest: tuple[int, str] | None = None

    @field_validator("timezone", mode="before")
    @classmethod
    def _timezone(cls, value: Any) -> str:
        return CalendarForm._zone(str(value) if value is not None else "")

    @field_validator("work_days", mode="before")
    @classmethod
    def _work_days(cls, value: Any) -> list[int]:
        items = value if isinstance(value, list) else str(value or "").replace(",", " ").split()
        days = []
        for item in items:
            days.append(item if isinstance(item, int) and 1 <= item <= 7 else parse_weekday(str(item)))
        if not days:
            raise ValueError("list at least one work day, like [mon, tue, wed, thu, fri]")
        return sorted(set(days))

    @field_validator("holidays", mode="before")
    @classmethod
    def _holidays(cls, value: Any) -> tuple[str | None, str | None]:
        text = str(value or "").strip().upper()
        if text in ("", "NONE", "FALSE"):
            return (None, None)
        country, _, region = text.partition("-")
        known = holiday_countries()
        if country not in known:
            raise ValueError(
                f"“{user_text(country, 20)}” is not a country the holiday calendar knows; use GB, NZ, US …"
            )
        if region and region not in known[country]:
            raise ValueError(
                f"{country} has no region “{user_text(region, 20)}”; its regions are {', '.join(known[country][:20])}"
            )
        return (country, region or None)

    @field_validator("fiscal_year_start", mode="before")
    @classmethod
    def _fiscal(cls, value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 12:
            return value
        name = str(value or "").strip().lower()
        for number, month in enumerate(MONTHS, start=1):
            if name in (month.lower(), month[:3].lower()):
                return number
        raise ValueError(f"“{user_text(str(value), 20)}” is not a month; use 1 to 12 or a name like april")

    @field_validator("checkin", "digest", mode="before")
    @classmethod
    def _slot(cls, value: Any) -> tuple[int, str]:
        parts = str(value or "").split()
        if len(parts) != 2:
            raise ValueError("give a day and a time, like `mon 10:00`")
        return (parse_weekday(parts[0]), format_time(parse_time(parts[1])))

    def form(self, now: CalendarSettings) -> CalendarForm:
        """The whole calendar: what the file says over what the workspace has."""
        country, region = (
            self.holidays if self.holidays is not None else (now.holiday_country, now.holiday_subdivision)
        )
        checkin = self.checkin or (now.checkin_weekday, now.checkin_time)
        digest = self.digest or (now.digest_weekday, now.digest_time)
        return CalendarForm(
            timezone=self.timezone or now.timezone,
            work_days=self.work_days or list(now.work_days),
            holiday_country=country,
            holiday_subdivision=region,
            fiscal_year_start_month=self.fiscal_year_start or now.fiscal_year_start_month,
            checkin_weekday=checkin[0],
            checkin_time=checkin[1],
            digest_weekday=digest[0],
            digest_time=digest[1],
            # An OKR file has no say over the guard rails: they stay as an admin set them.
            owners_may_bind_sources=now.owners_may_bind_sources,
            unattended_steps_allowed=now.unattended_steps_allowed,
            ai_enabled=now.ai_enabled,
        )
