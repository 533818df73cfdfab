"""The debtor's local time of a record: what the quiet-hours and frequency rules measure.

The local time of a record is its `occurred_at` instant seen in one zone, chosen in this
order (docs/COMPLIANCE.md, "Local time"):

1. the record's own `debtor_time_zone` (an IANA name), if the time zone database knows it;
2. the rule set's `local_time.undeclared_time_zone`, if it names one;
3. the UTC offset written in `occurred_at` itself.

Zones are read from the pinned `tzdata` package, never from the machine, so that two
machines compute the same local times from the same records (`TZ_DATABASE` names the
release, and every report states it).
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.resources
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from evanchor.anchor.protocol.records import (
    AuctionRecord,
    CollectionCheckpoint,
    occurred_at_datetime,
)

TZ_DATABASE = f"tzdata {importlib.metadata.version('tzdata')}"
"""The time zone database every local time is computed with (the pinned package)."""

_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}")


class ZoneSource(StrEnum):
    """Where a record's local time zone came from."""

    DEBTOR_TIME_ZONE = "debtor_time_zone"
    RULE_SET = "rule_set"
    OCCURRED_AT_OFFSET = "occurred_at_offset"


@functools.lru_cache(maxsize=512)
def time_zone(name: str) -> ZoneInfo | None:
    """The zone `name` of the pinned database, or None if it has no such zone."""
    if not _ZONE_NAME.fullmatch(name):
        return None
    resource = importlib.resources.files("tzdata").joinpath("zoneinfo", *name.split("/"))
    if not resource.is_file():
        return None
    with resource.open("rb") as data:
        return ZoneInfo.from_file(data, key=name)


@dataclass(frozen=True)
class LocalMoment:
    """A record's `occurred_at` in the debtor's local time, and how that zone was chosen."""

    local: datetime
    """Aware: its `utcoffset()` is the local offset at that instant."""
    source: ZoneSource
    zone: str
    """The zone's IANA name, or the offset as written (`+08:00`, `Z`)."""
    ignored_zone: str | None = None
    """A `debtor_time_zone` the database does not know, passed over for the next source."""

    @property
    def offset(self) -> str:
        """The local UTC offset as `+HH:MM`."""
        delta = self.local.utcoffset()
        assert delta is not None
        minutes = int(delta.total_seconds()) // 60
        sign = "-" if minutes < 0 else "+"
        return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"

    @property
    def iso_week(self) -> str:
        """`YYYY-Www`, the ISO 8601 week of the local date."""
        year, week, _ = self.local.isocalendar()
        return f"{year}-W{week:02d}"


def local_moment(
    record: CollectionCheckpoint | AuctionRecord, undeclared_time_zone: str | None
) -> LocalMoment:
    """The local time of `record` (see the module's order). Requires `undeclared_time_zone`
    to be None or a zone the database knows (the rule set checks it when it is loaded)."""
    instant = occurred_at_datetime(record.occurred_at)
    ignored = None
    declared = record.debtor_time_zone if isinstance(record, CollectionCheckpoint) else None
    if declared is not None:
        zone = time_zone(declared)
        if zone is not None:
            return LocalMoment(instant.astimezone(zone), ZoneSource.DEBTOR_TIME_ZONE, declared)
        ignored = declared
    if undeclared_time_zone is not None:
        zone = time_zone(undeclared_time_zone)
        assert zone is not None, "the rule set's zone was checked when it was loaded"
        return LocalMoment(
            instant.astimezone(zone), ZoneSource.RULE_SET, undeclared_time_zone, ignored
        )
    written = record.occurred_at[19:].lstrip(".0123456789")
    return LocalMoment(instant, ZoneSource.OCCURRED_AT_OFFSET, written, ignored)
