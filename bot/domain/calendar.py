"""The workspace's calendar and guard-rail settings as one value: time zone, work week, holidays,
fiscal year, the check-in slot and the default digest slot, and the three switches."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from bot.domain.cycles import MONTHS
from bot.domain.schedule_time import CHECKIN_DEFAULT, DIGEST_DEFAULT, WEEKDAYS
from bot.domain.switches import AI_ANSWERS, OWNER_SOURCES, UNATTENDED_STEPS

__all__ = [
    "CHECKIN_DEFAULT",
    "DIGEST_DEFAULT",
    "CalendarSettings",
    "holiday_country_names",
    "holiday_place",
    "holiday_region_names",
    "matching_countries",
    "matching_regions",
]


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
        holidays = holiday_place(self.holiday_country, self.holiday_subdivision)
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


# --- holiday calendars by name: what the settings' pickers offer -------------------------------

MAX_PLACE_CHOICES = 99  # Slack shows at most 100 options; one is kept for "none"

# Where the country's name in the holiday calendar is not what people call it.
_COUNTRY_NAMES = {
    "CD": "DR Congo",
    "CI": "Côte d'Ivoire",
    "CW": "Curaçao",
    "GW": "Guinea-Bissau",
    "HK": "Hong Kong",
    "RE": "Réunion",
    "SY": "Syria",
    "TL": "Timor-Leste",
    "BL": "Saint Barthélemy",
}
_SMALL_WORDS = {"and", "the", "da", "of"}


def _titled(key: str) -> str:
    words = key.split("_")
    return " ".join(w if i and w in _SMALL_WORDS else w.capitalize() for i, w in enumerate(words))


@lru_cache(maxsize=1)
def holiday_country_names() -> dict[str, str]:
    """Every two-letter country code the holiday calendar knows → its name in English."""
    import holidays
    from holidays import registry

    supported = holidays.list_supported_countries()
    names = {entry[1]: _titled(key) for key, entry in registry.COUNTRIES.items() if len(entry) > 1}
    names.update(_COUNTRY_NAMES)
    # The calendar also knows some countries by a second code ("UK"): each is offered once.
    return {code: names[code] for code in supported if code in names}


@lru_cache(maxsize=64)
def holiday_region_names(country: str) -> dict[str, str]:
    """A country's regions with their own public holidays: code → name ("ENG" → "England"); a
    region the calendar gives no name is called by its code. Empty for an unknown country."""
    import holidays

    codes = holidays.list_supported_countries().get(country) or []
    if not codes:
        return {}
    aliases = getattr(holidays.country_holidays(country), "subdivisions_aliases", {}) or {}
    names: dict[str, str] = {}
    for alias, code in aliases.items():
        if code not in names and not (alias.isupper() and len(alias) <= 3):
            names[code] = alias
    return {code: names.get(code, code) for code in codes}


def holiday_place(country: str | None, region: str | None = None) -> str:
    """A holiday calendar as people read it: "England, United Kingdom"; "none" without a country."""
    if not country:
        return "none"
    name = holiday_country_names().get(country, country)
    if not region:
        return name
    return f"{holiday_region_names(country).get(region, region)}, {name}"


def _fold(text: str) -> str:
    """What was typed and a name, compared without case, accents or dashes ("thuringen" finds
    Thüringen, "cote d" Côte d'Ivoire)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(plain.replace("_", " ").replace("-", " ").split()).casefold()


def _ranked(query: str, items: list[tuple[str, str]]) -> list[str]:
    """The keys of (key, name) pairs for what was typed: the exact code first, then names that
    start with it, then names or codes that contain it; all of them for nothing typed."""
    wanted = _fold(query)
    if not wanted:
        return [key for key, _ in items]
    exact, first, then = [], [], []
    for key, name in items:
        code = key.rsplit("-", 1)[-1].casefold()
        if code == wanted:
            exact.append(key)
        elif _fold(name).startswith(wanted):
            first.append(key)
        elif wanted in _fold(name):
            then.append(key)
    return exact + first + then


def matching_countries(query: str) -> list[str]:
    """Country codes for what was typed (a name or a code), by name, at most MAX_PLACE_CHOICES."""
    names = holiday_country_names()
    items = sorted(names.items(), key=lambda item: _fold(item[1]))
    return _ranked(query, items)[:MAX_PLACE_CHOICES]


def matching_regions(query: str, country: str | None) -> list[tuple[str, str]]:
    """(country, region) pairs for what was typed: the regions of `country` (the one the form
    shows) first, then those of every other country that match; at most MAX_PLACE_CHOICES."""
    own = sorted(
        ((f"{country}-{code}", name) for code, name in holiday_region_names(country or "").items()),
        key=lambda item: _fold(item[1]),
    )
    found = _ranked(query, own)
    if _fold(query) and len(found) < MAX_PLACE_CHOICES:
        others = []
        for other in sorted(holiday_country_names(), key=lambda c: _fold(holiday_country_names()[c])):
            if other != country:
                others.extend((f"{other}-{code}", name) for code, name in holiday_region_names(other).items())
        found += _ranked(query, others)
    return [tuple(key.split("-", 1)) for key in found[:MAX_PLACE_CHOICES]]
