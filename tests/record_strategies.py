"""Hypothesis strategies for valid records of both kinds, shared by the record tests."""

from __future__ import annotations

from typing import Any, get_args

from hypothesis import strategies as st

from evanchor.anchor.protocol.records import (
    AUCTION_EVENT_REQUIRES,
    COLLECTION_EVENT_REQUIRES,
    AuctionEvent,
    Channel,
    CollectionEvent,
    ContactTarget,
    DataCategory,
    Finding,
)
from evanchor.anchor.protocol.uscc import USCC_ALPHABET, uscc_check_char

COURT_CASE_NUMBERS = [
    "(2026)沪0101执恢123号",
    "（2025）京02执1号",  # noqa: RUF001 - full-width brackets are the point
    "〔2015〕沪一中执字第1234号",  # noqa: RUF001
    "2026-EXEC-17",
]

identifier = st.text(
    alphabet="ABCXYZabcxyz0123456789._:/-", min_size=1, max_size=64
)  # fmt: skip
pseudonym = st.text(alphabet="abcdef._:-", min_size=8, max_size=40)  # no digit runs
uscc = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17).map(
    lambda body: body + uscc_check_char(body)
)
money = st.fixed_dictionaries(
    {"minor_units": st.integers(0, 2**53 - 1), "currency": st.sampled_from(["CNY", "HKD", "USD"])}
)
timestamp = st.builds(
    lambda d, f, o: d.isoformat(timespec="seconds") + f + o,
    st.datetimes(),
    st.sampled_from(["", ".5", ".123456789"]),
    st.sampled_from(["Z", "+08:00", "-05:30", "+14:00"]),
)
text = st.text(
    st.characters(exclude_categories=["Cs", "Cc"]) | st.sampled_from('\t\n\r"\\/'), max_size=200
)
attachment = st.fixed_dictionaries(
    {
        "sha256": st.binary(min_size=32, max_size=32).map(bytes.hex),
        "media_type": st.sampled_from(["image/png", "application/pdf", "audio/mpeg"]),
        "size": st.integers(0, 2**53 - 1),
    }
)
attachments = st.lists(attachment, max_size=4, unique_by=lambda a: a["sha256"])


@st.composite
def collection_records(draw: st.DrawFn) -> dict[str, Any]:
    event = draw(st.sampled_from(get_args(CollectionEvent)))
    obj = {
        "kind": "collection_checkpoint",
        "case_id": draw(identifier),
        "agency": draw(uscc),
        "debtor_ref": draw(pseudonym),
        "event": event,
        "occurred_at": draw(timestamp),
        "channel": draw(st.sampled_from(get_args(Channel))),
        "operator_id": draw(identifier),
    }
    optional = {
        "amount": money,
        "attachments": attachments,
        "notes": text,
        # Schema revision 2 (PROTOCOL.md §1.1).
        "debtor_time_zone": st.sampled_from(
            ["Asia/Shanghai", "UTC", "Etc/GMT-8", "America/Argentina/Buenos_Aires", "Mars/Base"]
        ),
        "contact_target": st.sampled_from(get_args(ContactTarget)),
        "data_categories": st.lists(st.sampled_from(get_args(DataCategory)), unique=True),
        "findings": st.lists(st.sampled_from(get_args(Finding)), unique=True),
    }
    for name, strategy in optional.items():
        if name in COLLECTION_EVENT_REQUIRES.get(event, ()) or draw(st.booleans()):
            obj[name] = draw(strategy)
    return obj


@st.composite
def auction_records(draw: st.DrawFn) -> dict[str, Any]:
    event = draw(st.sampled_from(get_args(AuctionEvent)))
    currency = draw(st.sampled_from(["CNY", "USD"]))
    price = st.fixed_dictionaries(
        {"minor_units": st.integers(0, 2**53 - 1), "currency": st.just(currency)}
    )
    obj: dict[str, Any] = {
        "kind": "auction_record",
        "lot_id": draw(identifier),
        "court_case_number": draw(st.sampled_from(COURT_CASE_NUMBERS)),
        "auction_house": draw(uscc),
        "event": event,
        "occurred_at": draw(timestamp),
    }
    optional = {
        "reserve_price": price,
        "bid_amount": price,
        "hammer_price": price,
        "bidder_ref": pseudonym,
        "item": st.fixed_dictionaries(
            {
                "category": st.sampled_from(["vehicle", "equipment", "real_estate", "equity"]),
                "description": text.filter(bool),
            }
        ),
        "attachments": attachments,
        "notes": text,
    }
    for name, strategy in optional.items():
        if name in AUCTION_EVENT_REQUIRES.get(event, ()) or draw(st.booleans()):
            obj[name] = draw(strategy)
    return obj
