"""A compliance report: the engine's flags per agency, with counts, points and a rating.

`build_report` evaluates the rule set over every record it is given (so that a frequency
window or a case's history reaching back before the period is seen whole), then keeps the
records and flags in scope: of the agency asked for, and whose local date (the debtor's
local time, `localtime.py`) lies in the period. Everything here is pure; the JSON form is
`ComplianceReport.as_json` and the format is in docs/COMPLIANCE.md ("Report format").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from evanchor.anchor.compliance.engine import (
    Anchoring,
    Flag,
    LocalClock,
    LoggedRecord,
    Undecided,
    evaluate,
)
from evanchor.anchor.compliance.localtime import TZ_DATABASE
from evanchor.anchor.compliance.rules import Lang, QuietHoursRule, RuleSet
from evanchor.anchor.compliance.texts import flag_reason

REPORT_FORMAT = "evanchor/compliance-report"
REPORT_VERSION = 1
DEFAULT_CONTACT_EVENTS = ("call", "sms", "visit")
"""Events the heat map counts when the rule set has no quiet-hours rule to name them."""


class RatingColour(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class SourceKind(StrEnum):
    LOG = "log"
    BUNDLES = "bundles"


@dataclass(frozen=True)
class Period:
    """Local dates from `start` to `end`, both included; None: unbounded on that side."""

    start: date | None = None
    end: date | None = None

    def contains(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def as_json(self) -> dict[str, str | None]:
        return {
            "from": None if self.start is None else self.start.isoformat(),
            "to": None if self.end is None else self.end.isoformat(),
        }


@dataclass(frozen=True)
class NotCounted:
    """Something read that is not counted, and why (a bundle that does not verify, a
    shredded record)."""

    what: str
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"what": self.what, "reason": self.reason}


@dataclass(frozen=True)
class Source:
    """Where the records came from: the node's log (`where` its folder) or bundle files."""

    kind: SourceKind
    where: str
    log: str | None = None
    """The log's identity (chain id, contract, writer) when known; None for a log-only node."""
    files: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "where": self.where, "log": self.log, "files": self.files}


@dataclass(frozen=True)
class AgencySummary:
    agency: str
    records: int
    records_by_kind: Mapping[str, int]
    flags_per_rule: Mapping[str, int]
    """Every rule of the set, 0 for those not broken."""
    points: int
    rating: RatingColour

    @property
    def flag_count(self) -> int:
        return sum(self.flags_per_rule.values())


def rate(points: int, rules: RuleSet) -> RatingColour:
    """Green below `yellow_points`, yellow from it, red from `red_points`."""
    if points >= rules.rating.red_points:
        return RatingColour.RED
    if points >= rules.rating.yellow_points:
        return RatingColour.YELLOW
    return RatingColour.GREEN


@dataclass(frozen=True)
class ComplianceReport:
    rules: RuleSet
    source: Source
    period: Period
    agency_filter: str | None
    agencies: tuple[AgencySummary, ...]
    flags: tuple[Flag, ...]
    undecided: tuple[Undecided, ...]
    not_counted: tuple[NotCounted, ...]
    records: Mapping[int, LoggedRecord]
    """The records in scope, by leaf index."""
    heat: Mapping[str, tuple[tuple[int, ...], ...]]
    """Per agency, contacts by ISO weekday (row 0 = Monday) and local hour (column)."""
    weekly_flags: Mapping[str, Mapping[str, int]]
    """Per agency, flags by ISO week (`YYYY-Www`) of the flagged record's local date."""
    contact_events: tuple[str, ...] = field(default=DEFAULT_CONTACT_EVENTS)

    def quiet_hours(self) -> QuietHoursRule | None:
        """The first quiet-hours rule, whose window the heat map marks."""
        return next((r for r in self.rules.rules if isinstance(r, QuietHoursRule)), None)

    def flag_json(
        self, flag: Flag, lang: Lang, bundle_links: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        rule = self.rules.rule(flag.rule_id)
        logged = self.records[flag.record.leaf_index]
        return {
            **flag.as_json(),
            "rule_set_id": self.rules.id,
            "rule_set_version": self.rules.version,
            "rule_title": rule.title.text(lang),
            "points": rule.points,
            "reason": flag_reason(flag, lang),
            "evidence": evidence_json(logged, (bundle_links or {}).get(logged.record_id)),
        }

    def as_json(
        self,
        lang: Lang,
        *,
        generated_at: str | None = None,
        bundle_links: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        rules = self.rules
        return {
            "format": REPORT_FORMAT,
            "version": REPORT_VERSION,
            "lang": lang,
            "generated_at": generated_at,
            "source": self.source.as_json(),
            "period": self.period.as_json(),
            "agency_filter": self.agency_filter,
            "tz_database": TZ_DATABASE,
            "rule_set": {
                "id": rules.id,
                "version": rules.version,
                "title": rules.title.text(lang),
                "digest": rules.digest,
                "normalised": rules.normalised(),
            },
            "agencies": [
                {
                    "agency": summary.agency,
                    "records": {"total": summary.records, **summary.records_by_kind},
                    "flags": summary.flag_count,
                    "flags_per_rule": dict(summary.flags_per_rule),
                    "points": summary.points,
                    "rating": str(summary.rating),
                    "thresholds": {
                        "yellow_points": rules.rating.yellow_points,
                        "red_points": rules.rating.red_points,
                    },
                }
                for summary in self.agencies
            ],
            "flags": [self.flag_json(flag, lang, bundle_links) for flag in self.flags],
            "undecided": [check.as_json() for check in self.undecided],
            "not_counted": [item.as_json() for item in self.not_counted],
        }


def evidence_json(logged: LoggedRecord, bundle: str | None) -> dict[str, Any]:
    """What proves the flagged record: the agency's own statement of time, the node's
    acceptance time (its claim), the signer, and the anchoring (checkpoint, block)."""
    return {
        "occurred_at": logged.record.occurred_at,
        "accepted_at": logged.accepted_at,
        "signer": logged.signer,
        "anchoring": None if logged.anchoring is None else anchoring_json(logged.anchoring),
        "bundle": bundle,
    }


def anchoring_json(anchoring: Anchoring) -> dict[str, Any]:
    return {
        "checkpoint_seq": anchoring.checkpoint_seq,
        "block_number": anchoring.block_number,
        "block_timestamp": anchoring.block_timestamp,
        "proven_by": anchoring.proven_by,
    }


def build_report(
    records: Sequence[LoggedRecord],
    rules: RuleSet,
    *,
    source: Source,
    period: Period | None = None,
    agency: str | None = None,
    not_counted: Iterable[NotCounted] = (),
) -> ComplianceReport:
    """Evaluate `rules` over all of `records` and keep what is in scope (`agency`, local
    dates within `period`). Requires the records to be of one log."""
    period = period or Period()
    clock = LocalClock(rules)
    evaluation = evaluate(records, rules, clock)

    def in_scope(logged: LoggedRecord) -> bool:
        if agency is not None and logged.agency != agency:
            return False
        return period.contains(clock.of(logged).local.date())

    scoped = {logged.leaf_index: logged for logged in records if in_scope(logged)}
    flags = tuple(f for f in evaluation.flags if f.record.leaf_index in scoped)
    undecided = tuple(u for u in evaluation.undecided if u.record.leaf_index in scoped)
    quiet = next((r for r in rules.rules if isinstance(r, QuietHoursRule)), None)
    contact_events = DEFAULT_CONTACT_EVENTS if quiet is None else tuple(quiet.events)

    counts: dict[str, Counter[str]] = defaultdict(Counter)
    heat: dict[str, list[list[int]]] = {}
    for logged in sorted(scoped.values(), key=lambda r: r.leaf_index):
        counts[logged.agency][logged.record.kind] += 1
        grid = heat.setdefault(logged.agency, [[0] * 24 for _ in range(7)])
        if logged.record.kind == "collection_checkpoint" and logged.record.event in contact_events:
            local = clock.of(logged).local
            grid[local.isoweekday() - 1][local.hour] += 1
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    weekly: dict[str, Counter[str]] = defaultdict(Counter)
    points: Counter[str] = Counter()
    for flag in flags:
        per_rule[flag.agency][flag.rule_id] += 1
        points[flag.agency] += rules.rule(flag.rule_id).points
        weekly[flag.agency][clock.of(scoped[flag.record.leaf_index]).iso_week] += 1
    summaries = tuple(
        AgencySummary(
            agency=code,
            records=sum(counts[code].values()),
            records_by_kind={kind: counts[code][kind] for kind in sorted(counts[code])},
            flags_per_rule={rule.id: per_rule[code][rule.id] for rule in rules.rules},
            points=points[code],
            rating=rate(points[code], rules),
        )
        for code in sorted(counts)
    )
    return ComplianceReport(
        rules=rules,
        source=source,
        period=period,
        agency_filter=agency,
        agencies=summaries,
        flags=flags,
        undecided=undecided,
        not_counted=tuple(not_counted),
        records=scoped,
        heat={code: tuple(tuple(row) for row in grid) for code, grid in heat.items()},
        weekly_flags={code: dict(sorted(weeks.items())) for code, weeks in weekly.items()},
        contact_events=contact_events,
    )
