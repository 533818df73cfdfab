"""The engine on its own: known answers at the edges, and properties held to plain
references (order does not matter, a subset raises no flag the whole would not)."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evanchor.anchor.compliance.engine import LoggedRecord, evaluate
from evanchor.anchor.compliance.localtime import ZoneSource, local_moment
from evanchor.anchor.compliance.rules import (
    ContactFrequencyRule,
    default_rule_set,
    default_rule_set_text,
    parse_rule_set,
)
from evanchor.anchor.protocol.records import (
    CollectionCheckpoint,
    occurred_at_datetime,
    parse_record,
)

RULES = default_rule_set()
AGENCY = "91310115MA1K3TQ00E"


def logged(index: int, prev: int | None = None, **fields: Any) -> LoggedRecord:
    record = {
        "kind": "collection_checkpoint",
        "case_id": fields.pop("case_id", "C-1"),
        "agency": AGENCY,
        "debtor_ref": fields.pop("debtor_ref", "dbt:aaaabbbb"),
        "event": fields.pop("event", "call"),
        "occurred_at": fields.pop("occurred_at", "2026-11-03T10:00:00+08:00"),
        "channel": fields.pop("channel", "phone"),
        "operator_id": f"op-{index}",
        **fields,
    }
    if record["event"] == "settlement":
        record["amount"] = {"minor_units": 1, "currency": "CNY"}
    return LoggedRecord(
        record=parse_record(record),
        record_id=hashlib.sha256(str(index).encode()).hexdigest(),
        leaf_index=index,
        prev=prev,
        accepted_at="2026-12-01T00:00:00.000Z",
    )


@pytest.mark.parametrize(
    ("occurred_at", "flagged"),
    [
        ("2026-11-03T21:59:59+08:00", False),
        ("2026-11-03T22:00:00+08:00", True),
        ("2026-11-03T23:59:59.999+08:00", True),
        ("2026-11-04T00:00:00+08:00", True),
        ("2026-11-04T07:59:59+08:00", True),
        ("2026-11-04T08:00:00+08:00", False),
        ("2026-11-04T12:00:00Z", False),  # 20:00 in Beijing, the default undeclared zone
        ("2026-11-04T15:00:00Z", True),  # 23:00 in Beijing: a UTC offset does not dodge it
        ("2026-11-04T23:00:00Z", True),  # 07:00 in Beijing
        ("2026-11-04T23:00:00-05:00", False),  # 12:00 in Beijing, no zone declared
    ],
)
def test_quiet_hours_edges(occurred_at: str, flagged: bool) -> None:
    flags = evaluate([logged(0, occurred_at=occurred_at)], RULES).flags
    assert [f.rule_id for f in flags] == (["QH-1"] if flagged else [])


def test_a_declared_debtor_time_zone_is_the_local_time() -> None:
    night_in_new_york = logged(
        0, occurred_at="2026-11-04T23:00:00-05:00", debtor_time_zone="America/New_York"
    )
    assert [f.rule_id for f in evaluate([night_in_new_york], RULES).flags] == ["QH-1"]


def test_quiet_hours_that_do_not_wrap_midnight() -> None:
    text = default_rule_set_text().replace(
        'start = "22:00"\nend = "08:00"', 'start = "12:00"\nend = "14:00"'
    )
    rules = parse_rule_set(text.encode(), source="t")
    at = ["11:59:59", "12:00:00", "13:59:59", "14:00:00", "23:00:00"]
    records = [logged(i, occurred_at=f"2026-11-0{i + 2}T{t}+08:00") for i, t in enumerate(at)]
    assert [f.record.leaf_index for f in evaluate(records, rules).flags] == [1, 2]


def test_only_the_rules_events_and_channels_count() -> None:
    records = [
        logged(0, event="letter", channel="letter", occurred_at="2026-11-03T23:00:00+08:00"),
        logged(1, event="payment", channel="app", occurred_at="2026-11-03T23:00:00+08:00",
               amount={"minor_units": 1, "currency": "CNY"}),
    ]  # fmt: skip
    assert evaluate(records, RULES).flags == ()
    text = default_rule_set_text().replace(
        'events = ["call", "sms", "visit"]', 'events = ["call", "sms", "visit"]\nchannels = ["app"]'
    )
    rules = parse_rule_set(text.encode(), source="t")
    phone = logged(2, occurred_at="2026-11-03T23:00:00+08:00")
    app = logged(3, channel="app", occurred_at="2026-11-04T23:00:00+08:00")
    assert [f.record.leaf_index for f in evaluate([phone, app], rules).flags] == [3]


def test_local_time_sources() -> None:
    declared = logged(0, occurred_at="2026-07-01T02:30:00Z", debtor_time_zone="America/New_York")
    moment = local_moment(declared.record, None)
    assert (moment.source, moment.offset, moment.local.hour) == (
        ZoneSource.DEBTOR_TIME_ZONE,
        "-04:00",
        22,
    )
    plain = logged(1, occurred_at="2026-07-01T02:30:00Z")
    moment = local_moment(plain.record, "Asia/Shanghai")
    assert (moment.source, moment.zone, moment.local.hour) == (
        ZoneSource.RULE_SET,
        "Asia/Shanghai",
        10,
    )
    moment = local_moment(plain.record, None)
    assert (moment.source, moment.zone, moment.local.hour) == (
        ZoneSource.OCCURRED_AT_OFFSET,
        "Z",
        2,
    )
    unknown = logged(2, occurred_at="2026-07-01T02:30:00.5+05:30", debtor_time_zone="Mars/Base")
    moment = local_moment(unknown.record, None)
    assert (moment.source, moment.zone, moment.ignored_zone) == (
        ZoneSource.OCCURRED_AT_OFFSET,
        "+05:30",
        "Mars/Base",
    )
    # The default rule set names Beijing's zone, which closes the gap an agency writing UTC
    # would open; a rule set without it reads the written offset.
    text = default_rule_set_text().replace('undeclared_time_zone = "Asia/Shanghai"\n', "")
    offsets_only = parse_rule_set(text.encode(), source="t")
    night = logged(3, occurred_at="2026-11-03T15:00:00Z")  # 23:00 in Shanghai
    assert [f.rule_id for f in evaluate([night], RULES).flags] == ["QH-1"]
    assert evaluate([night], offsets_only).flags == ()


def test_a_case_with_a_gap_leaves_completeness_undecided() -> None:
    opened = logged(0, event="case_opened", channel="other")
    promise = logged(
        3, prev=0, event="promise_to_pay", amount={"minor_units": 1, "currency": "CNY"}
    )
    settled = logged(7, prev=5, event="settlement")
    # The promise is held: the rule is met though leaf 5 is missing.
    assert evaluate([opened, promise, settled], RULES).flags == ()
    result = evaluate([opened, settled], RULES)
    assert result.flags == ()
    assert [(u.rule_id, u.missing) for u in result.undecided] == [("CP-1", 5)]
    # Complete from the case's first leaf: a settlement without agreement is flagged.
    complete = evaluate([opened, logged(2, prev=0, event="settlement")], RULES)
    assert [(f.rule_id, f.facts["earlier_records_of_case"]) for f in complete.flags] == [
        ("CP-1", 1)
    ]
    # A chain that starts after the case's first leaf is not complete.
    assert [
        u.missing for u in evaluate([logged(9, prev=4, event="settlement")], RULES).undecided
    ] == [4]


def test_the_same_leaf_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="leaf index 0 is given twice"):
        evaluate([logged(0), logged(0)], RULES)


# --- properties -----------------------------------------------------------------------------

contacts = st.lists(
    st.tuples(
        st.sampled_from(["dbt:aaaabbbb", "dbt:ccccdddd"]),
        st.sampled_from(["call", "sms", "visit", "letter"]),
        st.datetimes(min_value=datetime(2026, 11, 1), max_value=datetime(2026, 11, 20)),
        st.sampled_from(["+08:00", "Z", "-05:00"]),
    ),
    max_size=40,
)


def _records(drawn: list[tuple[str, str, datetime, str]]) -> list[LoggedRecord]:
    channels = {"call": "phone", "sms": "sms", "visit": "in_person", "letter": "letter"}
    return [
        logged(
            index,
            debtor_ref=debtor,
            event=event,
            channel=channels[event],
            occurred_at=moment.replace(microsecond=0).isoformat() + offset,
        )
        for index, (debtor, event, moment, offset) in enumerate(drawn)
    ]


def _window(rule: ContactFrequencyRule, record: CollectionCheckpoint) -> object:
    # No debtor zone: Beijing time, the default rule set's undeclared zone.
    local = occurred_at_datetime(record.occurred_at).astimezone(ZoneInfo("Asia/Shanghai"))
    return local.date() if rule.window == "day" else local.isocalendar()[:2]


def _reference_frequency(records: list[LoggedRecord]) -> Counter[tuple[str, int]]:
    """Plainly: a contact is flagged by a cap when at least `max` contacts of its debtor and
    window come before it (by instant, then leaf index)."""
    flagged: Counter[tuple[str, int]] = Counter()
    contacts = [(r, r.record) for r in records if isinstance(r.record, CollectionCheckpoint)]
    for rule in RULES.rules:
        if not isinstance(rule, ContactFrequencyRule):
            continue
        counted = [(r, c) for r, c in contacts if c.event in rule.events]
        for r, c in counted:
            key = (occurred_at_datetime(c.occurred_at), r.leaf_index)
            before = [
                o for o, oc in counted
                if oc.debtor_ref == c.debtor_ref
                and _window(rule, oc) == _window(rule, c)
                and (occurred_at_datetime(oc.occurred_at), o.leaf_index) < key
            ]  # fmt: skip
            if len(before) >= rule.max_contacts:
                flagged[(rule.id, r.leaf_index)] += 1
    return flagged


@settings(max_examples=60, deadline=None)
@given(contacts, st.randoms(use_true_random=False))
def test_frequency_caps_match_a_plain_reference_in_any_order(drawn: Any, rng: Any) -> None:
    records = _records(drawn)
    shuffled = list(records)
    rng.shuffle(shuffled)
    flags = evaluate(shuffled, RULES).flags
    assert flags == evaluate(records, RULES).flags
    found = Counter(
        (f.rule_id, f.record.leaf_index) for f in flags if f.kind == "contact_frequency"
    )
    assert found == _reference_frequency(records)


@settings(max_examples=60, deadline=None)
@given(contacts, st.data())
def test_a_subset_raises_no_flag_the_whole_would_not(drawn: Any, data: st.DataObject) -> None:
    records = _records(drawn)
    subset = [r for r in records if data.draw(st.booleans())]
    whole = {(f.rule_id, f.record) for f in evaluate(records, RULES).flags}
    part = {(f.rule_id, f.record) for f in evaluate(subset, RULES).flags}
    assert part <= whole


def test_week_windows_are_iso_weeks_of_the_local_date() -> None:
    # Sunday 22 November 23:30 in New York is Monday 23 November in UTC: still week 47.
    sunday = datetime(2026, 11, 22, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    assert sunday.isocalendar()[1] == 47
    record = logged(0, occurred_at="2026-11-23T04:30:00Z", debtor_time_zone="America/New_York")
    moment = local_moment(record.record, None)
    assert (moment.local.date(), moment.iso_week) == (date(2026, 11, 22), "2026-W47")
