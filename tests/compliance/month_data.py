"""A generated month (November 2026) of a collection agency's and an auction house's records,
with planted violations of every rule of the default rule set.

Each planted record says what it plants in its `notes`: `plant:RULE[,RULE]`, the rules that
must flag it and no others. Every other record is clean under the default rules: filler
contacts at day time (+08:00), at most one call and one message a debtor a day, agreements
before settlements, bids before a hammer price. `expected_flags` reads the plants back, so
the test's expectation is written next to each record, not recomputed by the code under
test.
"""

from __future__ import annotations

import random
from datetime import UTC
from typing import Any

from evanchor.anchor.protocol.commitment import canonical_record_bytes, record_id
from evanchor.anchor.protocol.records import occurred_at_datetime

AGENCY = "91310115MA1K3TQ00E"
AUCTION_HOUSE = "91350100M000100Y43"
CROSS_CASE_PLANT = "CF-1 across cases"
"""The one flag a case's own history cannot show: a debtor's 4th call of a day, made in
their second case (receipts miss it, the report finds it)."""


def _collection(
    case: str, debtor: str, event: str, at: str, channel: str, **extra: Any
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "kind": "collection_checkpoint",
        "case_id": case,
        "agency": AGENCY,
        "debtor_ref": debtor,
        "event": event,
        "occurred_at": at,
        "channel": channel,
        "operator_id": "op-0042",
    }
    if event in ("promise_to_pay", "payment", "settlement"):
        record["amount"] = {"minor_units": 500000, "currency": "CNY"}
    record.update(extra)
    return record


def _auction(lot: str, event: str, at: str, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "kind": "auction_record",
        "lot_id": lot,
        "court_case_number": "(2026)沪0101执恢123号",
        "auction_house": AUCTION_HOUSE,
        "event": event,
        "occurred_at": at,
    }
    money = {"minor_units": 18000000, "currency": "CNY"}
    if event == "listed":
        record["reserve_price"] = money
        record["item"] = {"category": "vehicle", "description": "A seized car, sold as is."}
    elif event == "bid_placed":
        record["bid_amount"] = money
        record["bidder_ref"] = "bidder:5c21e0aa"
    elif event == "sold":
        record["hammer_price"] = money
        record["bidder_ref"] = "bidder:5c21e0aa"
    record.update(extra)
    return record


def _at(day: int, hour: int, minute: int = 0, second: int = 0) -> str:
    return f"2026-11-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}+08:00"


def _plant(record: dict[str, Any], *rules: str) -> dict[str, Any]:
    record["notes"] = "plant:" + ",".join(rules)
    return record


def _filler(rng: random.Random, cases: int) -> list[dict[str, Any]]:
    out = []
    for number in range(cases):
        case, debtor = f"C-2026-F{number:03d}", f"dbt:filler{number:04d}"
        out.append(_collection(case, debtor, "case_opened", _at(1, 9), "other"))
        for day in range(2, 24):
            if rng.random() < 0.45:
                at = _at(day, rng.randint(8, 21), rng.randint(0, 59), rng.randint(0, 59))
                out.append(_collection(case, debtor, "call", at, "phone"))
            if rng.random() < 0.3:
                at = _at(day, rng.randint(9, 20), rng.randint(0, 59))
                out.append(_collection(case, debtor, "sms", at, "sms"))
        out.append(_collection(case, debtor, "visit", _at(10, 15), "in_person"))
        out.append(_collection(case, debtor, "letter", _at(11, 23, 30), "letter"))  # not a contact
        if number % 2:
            out.append(_collection(case, debtor, "negotiation", _at(24, 10), "phone"))
        else:
            out.append(_collection(case, debtor, "promise_to_pay", _at(24, 10), "phone"))
        out.append(_collection(case, debtor, "settlement", _at(26, 14), "in_person"))
        out.append(_collection(case, debtor, "case_closed", _at(28, 11), "other"))
    return out


def _planted() -> list[dict[str, Any]]:
    c = _collection
    quiet = ("C-2026-P01", "dbt:plant0001")
    out = [
        c(*quiet, "case_opened", _at(1, 9), "other"),
        _plant(c(*quiet, "call", _at(3, 23, 15), "phone"), "QH-1"),
        _plant(c(*quiet, "sms", _at(4, 22, 0, 0), "sms"), "QH-1"),
        c(*quiet, "call", _at(5, 21, 59, 59), "phone"),
        _plant(c(*quiet, "visit", _at(6, 7, 59, 59), "in_person"), "QH-1"),
        c(*quiet, "call", _at(7, 8, 0, 0), "phone"),
        # The debtor's declared zone decides: 14:30Z is 22:30 in Shanghai...
        _plant(
            c(*quiet, "call", "2026-11-10T14:30:00Z", "phone", debtor_time_zone="Asia/Shanghai"),
            "QH-1",
        ),
        # ...and 02:30Z is 10:30 there, though 02:30 by the offset alone.
        c(*quiet, "call", "2026-11-11T02:30:00Z", "phone", debtor_time_zone="Asia/Shanghai"),
        # A zone the database does not know: the offset (+08:00) decides.
        _plant(c(*quiet, "call", _at(12, 23, 30), "phone", debtor_time_zone="Mars/Base"), "QH-1"),
        # New York is at -05:00 in November: 03:00Z is 22:00 there.
        _plant(
            c(*quiet, "sms", "2026-11-13T03:00:00Z", "sms", debtor_time_zone="America/New_York"),
            "QH-1",
        ),
    ]
    day = ("C-2026-P02", "dbt:plant0002")
    out.append(c(*day, "case_opened", _at(1, 9), "other"))
    out += [c(*day, "call", _at(12, hour), "phone") for hour in (9, 11, 14)]
    out.append(_plant(c(*day, "call", _at(12, 16), "phone"), "CF-1"))
    week = ("C-2026-P03", "dbt:plant0003")  # ISO week 2026-W47: Monday 16 to Sunday 22
    out.append(c(*week, "case_opened", _at(1, 9), "other"))
    out += [c(*week, "call", _at(d, h), "phone") for d in (16, 17, 18) for h in (9, 12, 15)]
    out.append(c(*week, "call", _at(19, 9), "phone"))
    out.append(_plant(c(*week, "call", _at(19, 12), "phone"), "CF-2"))
    messages = ("C-2026-P04", "dbt:plant0004")
    out.append(c(*messages, "case_opened", _at(1, 9), "other"))
    out += [c(*messages, "sms", _at(13, hour), "sms") for hour in (9, 10, 11, 12, 13)]
    out.append(_plant(c(*messages, "sms", _at(13, 14), "sms"), "CF-3"))
    visits = ("C-2026-P05", "dbt:plant0005")  # ISO week 2026-W45: Monday 2 to Sunday 8
    out.append(c(*visits, "case_opened", _at(1, 9), "other"))
    out += [c(*visits, "visit", _at(d, 10), "in_person") for d in (2, 4)]
    out.append(_plant(c(*visits, "visit", _at(6, 10), "in_person"), "CF-4"))
    out.append(c(*visits, "visit", _at(9, 10), "in_person"))  # the next week
    first, second = ("C-2026-P06", "dbt:cross0001"), ("C-2026-P07", "dbt:cross0001")
    out += [
        c(*first, "case_opened", _at(1, 9), "other"),
        c(*second, "case_opened", _at(1, 9), "other"),
    ]
    out += [c(*first, "call", _at(18, h), "phone") for h in (10, 12)]
    out.append(c(*second, "call", _at(18, 14), "phone"))
    out.append(_plant(c(*second, "call", _at(18, 16), "phone"), CROSS_CASE_PLANT))
    conduct = ("C-2026-P08", "dbt:plant0008")
    out += [
        c(*conduct, "case_opened", _at(1, 9), "other"),
        _plant(
            c(*conduct, "call", _at(2, 10), "phone", findings=["impersonation_of_authority"]),
            "FP-1",
        ),
        _plant(
            c(*conduct, "complaint", _at(3, 11), "app", findings=["synthetic_media", "threat"]),
            "FP-1",
            "FP-2",
        ),
        _plant(c(*conduct, "call", _at(4, 10), "phone", findings=["abusive_language"]), "FP-2"),
        _plant(c(*conduct, "call", _at(5, 10), "phone", contact_target="third_party"), "FP-3"),
        c(*conduct, "call", _at(6, 10), "phone", contact_target="guarantor"),
        c(
            *conduct,
            "call",
            _at(7, 10),
            "phone",
            contact_target="debtor",
            data_categories=["voice_recording", "contact"],
        ),
        _plant(
            c(
                *conduct,
                "visit",
                _at(9, 10),
                "in_person",
                data_categories=["location", "biometric"],
            ),
            "FP-4",
        ),
        _plant(c(*conduct, "call", _at(10, 10), "app", data_categories=["contact_list"]), "FP-4"),
    ]
    unagreed = ("C-2026-P09", "dbt:plant0009")
    out += [
        c(*unagreed, "case_opened", _at(1, 9), "other"),
        c(*unagreed, "call", _at(2, 10), "phone"),
        _plant(c(*unagreed, "settlement", _at(20, 15), "in_person"), "CP-1"),
        c(*unagreed, "promise_to_pay", _at(21, 10), "phone"),
        c(*unagreed, "settlement", _at(25, 15), "in_person"),  # now preceded by a promise
    ]
    out += [
        _auction("LOT-2026-0042", "listed", _at(1, 10)),
        _auction("LOT-2026-0042", "bid_placed", _at(15, 10, 2)),
        _auction("LOT-2026-0042", "bid_placed", _at(15, 10, 7)),
        _auction("LOT-2026-0042", "sold", _at(15, 10, 17)),
        _auction("LOT-2026-0043", "listed", _at(2, 10)),
        _plant(_auction("LOT-2026-0043", "sold", _at(16, 10)), "CP-2"),
    ]
    return out


def month_records(seed: int = 11, filler_cases: int = 12) -> list[dict[str, Any]]:
    """The month's records in the order they happened (the order an agency submits them)."""
    records = _filler(random.Random(seed), filler_cases) + _planted()
    return sorted(records, key=lambda r: occurred_at_datetime(r["occurred_at"]).astimezone(UTC))


def record_id_hex(record: dict[str, Any]) -> str:
    return record_id(canonical_record_bytes(record)).hex()


def expected_flags(records: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(rule id, record id) for every plant: each rule a record's notes name."""
    expected = set()
    for record in records:
        notes = record.get("notes", "")
        if notes.startswith("plant:"):
            for rule in notes.removeprefix("plant:").split(","):
                rule_id = "CF-1" if rule == CROSS_CASE_PLANT else rule
                expected.add((rule_id, record_id_hex(record)))
    return expected


def cross_case_flag(records: list[dict[str, Any]]) -> tuple[str, str]:
    (record,) = [r for r in records if r.get("notes") == f"plant:{CROSS_CASE_PLANT}"]
    return "CF-1", record_id_hex(record)
