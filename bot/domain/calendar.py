"""The workspace's calendar and guard-rail settings as one value: time zone, work week, holidays,
fiscal year, the check-in slot and the default digest slot, and the three switches."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.cycles import MONTHS
from bot.domain.schedule_time import CHECKIN_DEFAULT, DIGEST_DEFAULT, WEEKDAYS
from bot.domain.switches import AI_ANSWERS, OWNER_SOURCES, UNATTENDED_STEPS

__all__ = ["CHECKIN_DEFAULT", "DIGEST_DEFAULT", "CalendarSettings"]


@dataclass(frozen=True)
class CalendarSettings:
    timezone: str
    work_days: tuple[int, ...]
    holiday_country: str | None
    holiday_subdivision: str | None
    fiscal_year_start_month: int
    checkin_weekday: int
    checkin_time: str
    checkin_enabled: bool
    digest_weekday: int
    digest_time: str
    owners_may_bind_sources: bool = False
    unattended_steps_allowed: bool = False
    ai_enabled: bool = True

    def described(self) -> list[tuple[str, str]]:
        """(label, value) pairs as a person reads them."""
        days = ", ".join(WEEKDAYS[d - 1][:3].capitalize() for d in self.work_days)
        holidays = "none"
        if self.holiday_country:
            holidays = self.holiday_country + (
                f"-{self.holiday_subdivision}" if self.holiday_subdivision else ""
            )
        month = MONTHS[self.fiscal_year_start_month - 1]
        checkin = f"{WEEKDAYS[self.checkin_weekday - 1].capitalize()}s at {self.checkin_time}, each owner's own time"
        if not self.checkin_enabled:
            checkin += " (switched off)"
        return [
            ("Time zone", self.timezone),
            ("Work week", days),
            ("Holidays", holidays),
            (
                "Fiscal year starts",
                f"{month} (Q1 = {month[:3]}–{MONTHS[(self.fiscal_year_start_month + 1) % 12][:3]})",
            ),
            ("Check-in reminder", checkin),
            (
                "Digest default",
                f"{WEEKDAYS[self.digest_weekday - 1].capitalize()}s at {self.digest_time} ({self.timezone})",
            ),
            (OWNER_SOURCES, "on" if self.owners_may_bind_sources else "off (admins only)"),
            (UNATTENDED_STEPS, "on" if self.unattended_steps_allowed else "off"),
            (AI_ANSWERS, "on" if self.ai_enabled else "off"),
        ]
