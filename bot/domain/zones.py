"""Time zones as people pick them: by city ("london" -> Europe/London), at most what one Slack
menu shows, and the zone the workspace's settings start at."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones


@lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def starting_zone(stored: str | None, own: str | None) -> str:
    """The zone the settings' picker starts at: the workspace's; for a workspace with none, the
    admin's own zone if Slack told us a real one; else UTC."""
    if stored and stored in time_zones():
        return stored
    return own if own and own in time_zones() else "UTC"


MAX_ZONE_CHOICES = 100  # Slack shows at most 100 options in an external select


def zone_city(zone: str) -> str:
    """What people call a zone: its last part in plain words ("America/New_York" -> "New York")."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


@lru_cache(maxsize=1)
def _zones_by_city() -> tuple[str, ...]:
    return tuple(sorted(time_zones(), key=lambda zone: (zone_city(zone).casefold(), zone)))


def matching_zones(query: str) -> list[str]:
    """The zones for what the user typed, by city or by any part of the name: cities that start
    with it first, then the rest that contain it; at most MAX_ZONE_CHOICES. Slack refuses an
    empty list, so when nothing matches it is the list for nothing typed."""
    wanted = " ".join(query.replace("_", " ").split()).casefold()
    if not wanted:
        return list(_zones_by_city()[:MAX_ZONE_CHOICES])
    first, then = [], []
    for zone in _zones_by_city():
        city = zone_city(zone).casefold()
        if city.startswith(wanted):
            first.append(zone)
        elif wanted in city or wanted in zone.replace("_", " ").casefold():
            then.append(zone)
    return (first + then)[:MAX_ZONE_CHOICES] or matching_zones("")
