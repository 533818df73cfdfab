"""The compliance engine: records of one log in, flags out. Pure: no storage, no network.

Input is what a log or a set of verified bundles proves about each record: the record as
committed, its leaf index, its record id, its case link (`prev`) and the node's acceptance
time (`LoggedRecord`). Output is every flag the rule set raises (`Flag`), and every
completeness check that the input cannot decide (`Undecided`).

Determinism: the flags depend only on the records, their leaf indices, record ids and case
links, and the rule set; never on the order the records are given in, on anchoring facts,
or on the clock. That is what lets a regulator recompute a node's report from bundles.

Partial input: given a subset of a log's records, the engine raises no flag that the whole
log would not raise. Per-record rules (quiet hours, forbidden values) see the same record;
a frequency cap flags the records beyond the cap in their window, and a record's place in
its window can only be later with more records; a completeness rule is decided only where
the case's chain of `prev` links back to its first record is complete in the input (or the
required earlier event is found anyway), and is otherwise reported as undecided.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from evanchor.anchor.compliance.localtime import LocalMoment, local_moment
from evanchor.anchor.compliance.rules import (
    AnyRule,
    ContactFrequencyRule,
    ForbiddenValueRule,
    QuietHoursRule,
    RequiresPrecedingRule,
    RuleSet,
)
from evanchor.anchor.protocol.records import (
    AuctionRecord,
    CollectionCheckpoint,
    record_agency,
    record_case_key,
)

FactValue = str | int | tuple[str, ...]


@dataclass(frozen=True)
class Anchoring:
    """What proves a record's existence and time, for a report's evidence column. Never an
    input to a flag (a record's flags do not depend on where it was proven)."""

    checkpoint_seq: int
    block_number: int | None = None
    block_timestamp: int | None = None
    proven_by: str = "log"
    """"log": the node's own anchoring state (the operator's copy, see `evanchor audit`);
    "bundle": a verified bundle, its chain evidence checked against its own block header;
    "rpc": a verified bundle whose anchor was checked with a chain."""


@dataclass(frozen=True)
class LoggedRecord:
    """One record of a log, as the engine reads it. Requires `record` to be the committed
    record of leaf `leaf_index`, `record_id` its id (hex) and `prev` its leaf's case link."""

    record: CollectionCheckpoint | AuctionRecord
    record_id: str
    leaf_index: int
    prev: int | None
    accepted_at: str
    signer: str | None = None
    anchoring: Anchoring | None = None

    @property
    def case(self) -> str:
        return record_case_key(self.record)

    @property
    def agency(self) -> str:
        return record_agency(self.record)

    @property
    def ref(self) -> RecordRef:
        return RecordRef(leaf_index=self.leaf_index, record_id=self.record_id)


@dataclass(frozen=True, order=True)
class RecordRef:
    """A record named the two ways a court can look it up: leaf index and record id."""

    leaf_index: int
    record_id: str

    def as_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "leaf_index": self.leaf_index}


@dataclass(frozen=True)
class Flag:
    """Rule `rule_id` (at `rule_version`) is broken by `record`; `related` are the other
    records that show it (the earlier contacts that filled a cap); `facts` say why, in
    values a reader can check against the records (local time, count, values found)."""

    rule_id: str
    rule_version: int
    kind: str
    agency: str
    case: str
    record: RecordRef
    related: tuple[RecordRef, ...]
    facts: Mapping[str, FactValue]

    def as_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "rule_version": self.rule_version,
            "kind": self.kind,
            "agency": self.agency,
            "case": self.case,
            "record": self.record.as_json(),
            "related": [ref.as_json() for ref in self.related],
            "facts": {k: list(v) if isinstance(v, tuple) else v for k, v in self.facts.items()},
        }


@dataclass(frozen=True)
class Undecided:
    """A completeness rule that the input cannot decide for `record`: leaf `missing` of the
    case (the earliest gap in its chain of links seen from `record`) is not in the input."""

    rule_id: str
    agency: str
    case: str
    record: RecordRef
    missing: int

    def as_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "agency": self.agency,
            "case": self.case,
            "record": self.record.as_json(),
            "missing_leaf_index": self.missing,
        }


@dataclass(frozen=True)
class Evaluation:
    flags: tuple[Flag, ...]
    """Ordered by the flagged record's leaf index, then rule id."""
    undecided: tuple[Undecided, ...]

    def flags_of(self, leaf_indices: Iterable[int]) -> dict[int, list[Flag]]:
        """The flags raised on each of `leaf_indices` (an empty list for a clean record)."""
        wanted: dict[int, list[Flag]] = {index: [] for index in leaf_indices}
        for flag in self.flags:
            if flag.record.leaf_index in wanted:
                wanted[flag.record.leaf_index].append(flag)
        return wanted


class LocalClock:
    """Local times of records under one rule set's policy, each computed once."""

    def __init__(self, rules: RuleSet) -> None:
        self._zone = rules.local_time.undeclared_time_zone
        self._cache: dict[int, LocalMoment] = {}

    def of(self, logged: LoggedRecord) -> LocalMoment:
        moment = self._cache.get(logged.leaf_index)
        if moment is None:
            moment = local_moment(logged.record, self._zone)
            self._cache[logged.leaf_index] = moment
        return moment


def evaluate(
    records: Iterable[LoggedRecord], rules: RuleSet, clock: LocalClock | None = None
) -> Evaluation:
    """Every flag `rules` raises over `records`, and every undecided completeness check.

    Requires the records to be of one log, each leaf index at most once. `clock`, if given,
    must be of `rules`; a report passes its own to share the local times.
    """
    by_index: dict[int, LoggedRecord] = {}
    for logged in records:
        if logged.leaf_index in by_index:
            raise ValueError(f"leaf index {logged.leaf_index} is given twice")
        by_index[logged.leaf_index] = logged
    ordered = [by_index[index] for index in sorted(by_index)]
    clock = clock or LocalClock(rules)
    flags: list[Flag] = []
    undecided: list[Undecided] = []
    for rule in rules.rules:
        if isinstance(rule, QuietHoursRule):
            flags += _quiet_hours(rule, ordered, clock)
        elif isinstance(rule, ContactFrequencyRule):
            flags += _contact_frequency(rule, ordered, clock)
        elif isinstance(rule, ForbiddenValueRule):
            flags += _forbidden_value(rule, ordered)
        else:
            found, open_checks = _requires_preceding(rule, ordered)
            flags += found
            undecided += open_checks
    flags.sort(key=lambda flag: (flag.record.leaf_index, flag.rule_id))
    undecided.sort(key=lambda check: (check.record.leaf_index, check.rule_id))
    return Evaluation(tuple(flags), tuple(undecided))


def _flag(
    rule: AnyRule,
    logged: LoggedRecord,
    facts: dict[str, FactValue],
    related: Sequence[LoggedRecord] = (),
) -> Flag:
    return Flag(
        rule_id=rule.id,
        rule_version=rule.version,
        kind=rule.kind,
        agency=logged.agency,
        case=logged.case,
        record=logged.ref,
        related=tuple(other.ref for other in related),
        facts=facts,
    )


def _is_contact(
    rule: QuietHoursRule | ContactFrequencyRule, logged: LoggedRecord
) -> CollectionCheckpoint | None:
    """The record, if it is a collection checkpoint of one of the rule's events and
    channels (no channels listed: any)."""
    record = logged.record
    if not isinstance(record, CollectionCheckpoint) or record.event not in rule.events:
        return None
    if rule.channels and record.channel not in rule.channels:
        return None
    return record


def in_quiet_hours(rule: QuietHoursRule, local: datetime) -> bool:
    """Whether local time `local` lies in [start, end), which may wrap midnight."""
    start, end = rule.minutes()
    minute = local.hour * 60 + local.minute
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def _zone_facts(moment: LocalMoment) -> dict[str, FactValue]:
    facts: dict[str, FactValue] = {
        "local_time": moment.local.strftime("%H:%M:%S"),
        "local_date": moment.local.date().isoformat(),
        "utc_offset": moment.offset,
        "time_zone": moment.zone,
        "time_zone_source": str(moment.source),
    }
    if moment.ignored_zone is not None:
        facts["unknown_debtor_time_zone"] = moment.ignored_zone
    return facts


def _quiet_hours(
    rule: QuietHoursRule, records: Sequence[LoggedRecord], clock: LocalClock
) -> list[Flag]:
    flags = []
    for logged in records:
        record = _is_contact(rule, logged)
        if record is None:
            continue
        moment = clock.of(logged)
        if in_quiet_hours(rule, moment.local):
            facts = {
                "event": record.event,
                "channel": record.channel,
                "occurred_at": record.occurred_at,
                **_zone_facts(moment),
                "quiet_hours": f"{rule.start}-{rule.end}",
            }
            flags.append(_flag(rule, logged, facts))
    return flags


def _contact_frequency(
    rule: ContactFrequencyRule, records: Sequence[LoggedRecord], clock: LocalClock
) -> list[Flag]:
    windows: dict[tuple[str, str, str], list[tuple[datetime, int, LoggedRecord]]]
    windows = defaultdict(list)
    for logged in records:
        record = _is_contact(rule, logged)
        if record is None:
            continue
        moment = clock.of(logged)
        period = moment.local.date().isoformat() if rule.window == "day" else moment.iso_week
        # Aware datetimes compare by instant, whatever their zones.
        windows[(record.agency, record.debtor_ref, period)].append(
            (moment.local, logged.leaf_index, logged)
        )
    flags = []
    for (_, debtor, period), contacts in windows.items():
        if len(contacts) <= rule.max_contacts:
            continue
        contacts.sort(key=lambda contact: (contact[0], contact[1]))
        filled = [logged for _, _, logged in contacts[: rule.max_contacts]]
        for position, (_, _, logged) in enumerate(contacts[rule.max_contacts :], start=1):
            contact = logged.record
            assert isinstance(contact, CollectionCheckpoint)
            facts: dict[str, FactValue] = {
                "event": contact.event,
                "channel": contact.channel,
                "occurred_at": contact.occurred_at,
                "debtor_ref": debtor,
                "window": rule.window,
                "period": period,
                "contact_number": rule.max_contacts + position,
                "max_contacts": rule.max_contacts,
                "counted_events": tuple(rule.events),
            }
            flags.append(_flag(rule, logged, facts, filled))
    return flags


def _forbidden_value(rule: ForbiddenValueRule, records: Sequence[LoggedRecord]) -> list[Flag]:
    flags = []
    for logged in records:
        if logged.record.kind != rule.applies_to:
            continue
        value = getattr(logged.record, rule.field)
        held = value if isinstance(value, list) else [] if value is None else [value]
        found = tuple(item for item in held if item in rule.values)
        if found:
            facts: dict[str, FactValue] = {
                "field": rule.field,
                "found": found,
                "event": logged.record.event,
                "occurred_at": logged.record.occurred_at,
            }
            flags.append(_flag(rule, logged, facts))
    return flags


@dataclass
class _CaseWalk:
    """A case's records in leaf order, and whether the walk so far has seen every one."""

    previous: int | None = None
    started: bool = False
    gap: int | None = None
    """The first leaf the chain links to that the input does not hold; None while complete."""
    events: set[str] = field(default_factory=set)
    seen: int = 0


def _requires_preceding(
    rule: RequiresPrecedingRule, records: Sequence[LoggedRecord]
) -> tuple[list[Flag], list[Undecided]]:
    """Walks each case in leaf order. Each leaf links to its case's previous leaf, so the
    case is complete up to a record exactly when the first record held has `prev` null and
    every next one links to the one before it."""
    walks: dict[str, _CaseWalk] = defaultdict(_CaseWalk)
    flags: list[Flag] = []
    undecided: list[Undecided] = []
    for logged in records:  # leaf order
        step = logged.record
        if step.kind != rule.applies_to:
            continue
        walk = walks[logged.case]
        expected = walk.previous if walk.started else None
        if walk.gap is None and logged.prev != expected:
            walk.gap = logged.prev if logged.prev is not None else expected
        if step.event in rule.events and not walk.events.intersection(rule.preceded_by):
            if walk.gap is None:
                facts: dict[str, FactValue] = {
                    "event": step.event,
                    "occurred_at": step.occurred_at,
                    "required_before": tuple(rule.preceded_by),
                    "earlier_records_of_case": walk.seen,
                }
                flags.append(_flag(rule, logged, facts))
            else:
                undecided.append(
                    Undecided(rule.id, logged.agency, logged.case, logged.ref, walk.gap)
                )
        walk.events.add(step.event)
        walk.previous = logged.leaf_index
        walk.started = True
        walk.seen += 1
    return flags, undecided
