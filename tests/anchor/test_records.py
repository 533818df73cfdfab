"""Record schemas: what is accepted, what is refused and how, and what gets committed."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.protocol import value_words
from evanchor.anchor.protocol.errors import InputError, RecordInvalid
from evanchor.anchor.protocol.jsonin import iter_jsonl, parse_json_object, read_json_or_jsonl
from evanchor.anchor.protocol.records import (
    AUCTION_EVENT_REQUIRES,
    COLLECTION_EVENT_REQUIRES,
    MAX_ATTACHMENTS,
    MAX_NOTES_CHARS,
    AuctionEvent,
    AuctionRecord,
    Channel,
    CollectionCheckpoint,
    CollectionEvent,
    ContactTarget,
    DataCategory,
    Finding,
    occurred_at_datetime,
    parse_record,
    record_agency,
    record_canonical_dict,
    record_case_key,
    record_json_schema,
)

from record_strategies import (
    COURT_CASE_NUMBERS,
    auction_records,
    collection_records,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "data" / "records"
EXAMPLES = ROOT / "examples" / "records"
SAMPLE_FILES = [SAMPLES / "sample_collection.jsonl", SAMPLES / "sample_auction.jsonl"]
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))

AGENCY = "91310115MA1K3TQ00E"
AUCTION_HOUSE = "91350100M000100Y43"
DIGEST = "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"


def checkpoint(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "kind": "collection_checkpoint",
        "case_id": "C-2026-000117",
        "agency": AGENCY,
        "debtor_ref": "dbt:3f9a1c07e2",
        "event": "payment",
        "occurred_at": "2026-11-19T08:31:07+08:00",
        "channel": "app",
        "operator_id": "op-0042",
        "amount": {"minor_units": 500000, "currency": "CNY"},
        "attachments": [{"sha256": DIGEST, "media_type": "application/pdf", "size": 48213}],
        "notes": "First instalment.",
    }
    record.update(changes)
    return record


def auction(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "kind": "auction_record",
        "lot_id": "LOT-2026-0042",
        "court_case_number": "(2026)沪0101执恢123号",
        "auction_house": AUCTION_HOUSE,
        "event": "bid_placed",
        "occurred_at": "2026-11-15T10:02:13+08:00",
        "bid_amount": {"minor_units": 18000000, "currency": "CNY"},
        "bidder_ref": "bidder:5c21e0",
    }
    record.update(changes)
    return record


def sample_objects() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in [*SAMPLE_FILES, *EXAMPLE_FILES]:
        for _, obj in read_json_or_jsonl(path):
            assert isinstance(obj, dict), str(obj)
            out.append(obj)
    return out


def invalid(obj: Any, path: str, fragment: str) -> RecordInvalid:
    """Assert that `obj` is refused, naming `path`, with `fragment` in the one-line reason."""
    with pytest.raises(RecordInvalid) as caught:
        parse_record(obj)
    error = caught.value
    assert error.field_path == path, str(error)
    assert str(error).startswith(f"{path}: "), str(error)
    assert fragment in error.reason, str(error)
    assert "\n" not in str(error)
    return error


# --- valid records -------------------------------------------------------------------------


def test_sample_files_parse_and_canonicalise() -> None:
    objects = sample_objects()
    assert len(objects) >= 20
    for obj in objects:
        record = parse_record(obj)
        canonical = record_canonical_dict(record)
        assert canonical == obj
        assert rfc8785.dumps(canonical) == rfc8785.dumps(obj)


def test_samples_cover_every_event_and_channel() -> None:
    objects = sample_objects()
    collection = [o for o in objects if o["kind"] == "collection_checkpoint"]
    auctions = [o for o in objects if o["kind"] == "auction_record"]
    assert {o["case_id"] for o in collection} == {"C-2026-000117", "C-2026-000231"}
    assert len({o["lot_id"] for o in auctions}) == 1
    assert [o["event"] for o in auctions][:1] == ["listed"]
    assert {o["event"] for o in auctions} >= {
        "listed",
        "bid_placed",
        "closed",
        "sold",
        "payment_received",
        "transfer_completed",
    }
    assert len({o["event"] for o in collection}) >= 12


def collection_with_event(event: str) -> dict[str, Any]:
    record = checkpoint(event=event)
    if event not in COLLECTION_EVENT_REQUIRES:
        del record["amount"]
    return record


def auction_with_event(event: str) -> dict[str, Any]:
    record = auction(event=event)
    for name in ("bid_amount", "bidder_ref"):
        del record[name]
    money = {"minor_units": 19500000, "currency": "CNY"}
    extra: dict[str, Any] = {
        "reserve_price": money,
        "bid_amount": money,
        "hammer_price": money,
        "bidder_ref": "bidder:a7f3d9",
        "item": {
            "category": "real_estate",
            "description": "上海市某区住宅一套，建筑面积89平方米。",  # noqa: RUF001 - Chinese text
        },
    }
    for name in AUCTION_EVENT_REQUIRES.get(event, ()):
        record[name] = extra[name]
    return record


@pytest.mark.parametrize("event", get_args(CollectionEvent))
def test_every_collection_event(event: str) -> None:
    obj = collection_with_event(event)
    record = parse_record(obj)
    assert isinstance(record, CollectionCheckpoint)
    assert record.event == event
    assert record_canonical_dict(record) == obj


@pytest.mark.parametrize("event", get_args(AuctionEvent))
def test_every_auction_event(event: str) -> None:
    obj = auction_with_event(event)
    record = parse_record(obj)
    assert isinstance(record, AuctionRecord)
    assert record.event == event
    assert record_canonical_dict(record) == obj


@pytest.mark.parametrize("channel", get_args(Channel))
def test_every_channel(channel: str) -> None:
    assert parse_record(checkpoint(channel=channel)).channel == channel  # type: ignore[union-attr]


def test_minimal_records_keep_absent_fields_absent() -> None:
    obj = collection_with_event("call")
    del obj["attachments"], obj["notes"]
    record = parse_record(obj)
    assert record_canonical_dict(record) == obj
    assert "attachments" not in record_canonical_dict(record)  # no default added
    assert "notes" not in record.model_dump(exclude_unset=True)


def test_agency_and_case_key() -> None:
    collection = parse_record(checkpoint())
    lot = parse_record(auction())
    assert record_agency(collection) == AGENCY
    assert record_agency(lot) == AUCTION_HOUSE
    assert record_case_key(collection) == "collection/C-2026-000117"
    assert record_case_key(lot) == "auction/LOT-2026-0042"


def test_committed_object_is_a_copy_of_what_was_submitted() -> None:
    obj = checkpoint()
    record = parse_record(obj)
    obj["amount"]["minor_units"] = 1  # the caller changes its dict afterwards
    assert record_canonical_dict(record)["amount"]["minor_units"] == 500000
    first = record_canonical_dict(record)
    first["attachments"].clear()  # a caller changes what it was handed
    assert len(record_canonical_dict(record)["attachments"]) == 1


def test_records_are_frozen() -> None:
    record = parse_record(checkpoint())
    with pytest.raises(ValidationError):
        record.case_id = "other"  # type: ignore[misc]


def test_altered_or_unvalidated_records_cannot_be_committed() -> None:
    record = parse_record(checkpoint())
    changed = record.model_copy(update={"case_id": "C-other"})
    with pytest.raises(ValueError, match="changed after"):
        record_canonical_dict(changed)
    constructed = CollectionCheckpoint.model_construct(**checkpoint())
    with pytest.raises(ValueError, match="not produced by validation"):
        record_canonical_dict(constructed)


def test_direct_model_validation_also_keeps_the_submitted_object() -> None:
    obj = auction()
    assert record_canonical_dict(AuctionRecord.model_validate(obj)) == obj


@pytest.mark.parametrize("court_case_number", COURT_CASE_NUMBERS)
def test_court_case_numbers_in_chinese_forms(court_case_number: str) -> None:
    parse_record(auction(court_case_number=court_case_number))


@pytest.mark.parametrize(
    "occurred_at",
    [
        "2026-11-29T10:15:00+08:00",
        "2026-11-29T02:15:00Z",
        "2026-11-29T10:15:00.123456789+08:00",
        "2024-02-29T23:59:59-05:30",
        "2026-11-29T10:15:00+14:00",
    ],
)
def test_timestamps_accepted_and_kept_verbatim(occurred_at: str) -> None:
    record = parse_record(checkpoint(occurred_at=occurred_at))
    assert record.occurred_at == occurred_at
    assert record_canonical_dict(record)["occurred_at"] == occurred_at


def test_timestamp_helper_gives_the_instant() -> None:
    a = occurred_at_datetime("2026-11-29T10:15:00.5+08:00")
    b = occurred_at_datetime("2026-11-29T02:15:00.500Z")
    assert a == b
    assert a.utcoffset() is not None


# --- refused records -----------------------------------------------------------------------


def with_money(units: Any) -> dict[str, Any]:
    return checkpoint(amount={"minor_units": units, "currency": "CNY"})


def without(name: str, record: dict[str, Any] | None = None) -> dict[str, Any]:
    record = checkpoint() if record is None else record
    del record[name]
    return record


TOO_MANY = [
    {"sha256": f"{i:064x}", "media_type": "image/png", "size": 1}
    for i in range(MAX_ATTACHMENTS + 1)
]

REFUSED: list[tuple[str, Callable[[], Any], str, str]] = [
    # money
    ("float money", lambda: with_money(1.0), "amount.minor_units", "money is never a float"),
    ("fractional money", lambda: with_money(12.5), "amount.minor_units", "got a float"),
    ("string money", lambda: with_money("12"), "amount.minor_units", "got a string ('12')"),
    ("boolean money", lambda: with_money(True), "amount.minor_units", "got a boolean"),
    ("negative money", lambda: with_money(-5), "amount.minor_units", "at least 0, got -5"),
    ("huge money", lambda: with_money(2**53), "amount.minor_units", "at most 9007199254740991"),
    (
        "lowercase currency",
        lambda: checkpoint(amount={"minor_units": 1, "currency": "cny"}),
        "amount.currency",
        "ISO 4217",
    ),
    (
        "missing currency",
        lambda: checkpoint(amount={"minor_units": 1}),
        "amount.currency",
        "required field is missing",
    ),
    ("money not an object", lambda: checkpoint(amount=100), "amount", "expected an object"),
    # structure
    ("unknown field", lambda: checkpoint(priority="high"), "priority", "unknown field"),
    (
        "unknown nested field",
        lambda: checkpoint(amount={"minor_units": 1, "currency": "CNY", "fx": 1}),
        "amount.fx",
        "unknown field",
    ),
    ("missing field", lambda: without("case_id"), "case_id", "required field is missing"),
    ("missing kind", lambda: without("kind"), "kind", "required field is missing"),
    ("unknown kind", lambda: checkpoint(kind="invoice"), "kind", "got a string ('invoice')"),
    ("kind not a string", lambda: checkpoint(kind=1), "kind", "got an integer (1)"),
    ("record not an object", lambda: [checkpoint()], "(record)", "expected an object"),
    ("null optional field", lambda: checkpoint(notes=None), "notes", "leave the field out"),
    ("null required field", lambda: checkpoint(case_id=None), "case_id", "got null"),
    ("integer for a string", lambda: checkpoint(case_id=117), "case_id", "expected a string"),
    # identifiers
    ("empty case id", lambda: checkpoint(case_id=""), "case_id", "must not be empty"),
    ("long case id", lambda: checkpoint(case_id="C" * 65), "case_id", "at most 64 characters"),
    ("space in case id", lambda: checkpoint(case_id="C 1"), "case_id", "character 2 (' ')"),
    ("bad operator id", lambda: checkpoint(operator_id="张三"), "operator_id", "character 1"),
    ("court case space", lambda: auction(court_case_number="(2026) 1"), "court_case_number", "' '"),
    # USCC
    ("bad USCC check", lambda: checkpoint(agency=AGENCY[:-1] + "F"), "agency", "expected 'E'"),
    ("lowercase USCC", lambda: checkpoint(agency=AGENCY.lower()), "agency", "lowercase"),
    ("short USCC", lambda: checkpoint(agency=AGENCY[:17]), "agency", "got 17"),
    ("bad auction house", lambda: auction(auction_house="91350100M000100Y44"), "auction_house", ""),
    # pseudonyms
    (
        "resident ID as debtor",
        lambda: checkpoint(debtor_ref="11010519491231002X"),
        "debtor_ref",
        "resident identity card number",
    ),
    (
        "resident ID inside debtor ref",
        lambda: checkpoint(debtor_ref="d:11010519491231002x:1"),
        "debtor_ref",
        "resident identity card number",
    ),
    (
        "mobile number as debtor",
        lambda: checkpoint(debtor_ref="tel-13800138000"),
        "debtor_ref",
        "mobile phone number",
    ),
    (
        "mobile with country code",
        lambda: auction(bidder_ref="8613912345678"),
        "bidder_ref",
        "mobile phone number",
    ),
    ("short pseudonym", lambda: checkpoint(debtor_ref="d-1"), "debtor_ref", "at least 8"),
    ("name as pseudonym", lambda: checkpoint(debtor_ref="Wang Wei"), "debtor_ref", "' '"),
    # timestamps
    (
        "no offset",
        lambda: checkpoint(occurred_at="2026-11-29T10:15:00"),
        "occurred_at",
        "no UTC offset",
    ),
    (
        "unknown offset",
        lambda: checkpoint(occurred_at="2026-11-29T10:15:00-00:00"),
        "occurred_at",
        "offset unknown",
    ),
    (
        "lowercase t",
        lambda: checkpoint(occurred_at="2026-11-29t10:15:00Z"),
        "occurred_at",
        "RFC 3339",
    ),
    ("date only", lambda: checkpoint(occurred_at="2026-11-29"), "occurred_at", "RFC 3339"),
    (
        "impossible date",
        lambda: checkpoint(occurred_at="2026-02-29T10:15:00Z"),
        "occurred_at",
        "not a real date",
    ),
    (
        "leap second",
        lambda: checkpoint(occurred_at="2016-12-31T23:59:60Z"),
        "occurred_at",
        "not a real date",
    ),
    (
        "offset too large",
        lambda: checkpoint(occurred_at="2026-11-29T10:15:00+15:00"),
        "occurred_at",
        "beyond",
    ),
    (
        "offset minutes",
        lambda: checkpoint(occurred_at="2026-11-29T10:15:00+08:75"),
        "occurred_at",
        "minutes",
    ),
    (
        "unix time",
        lambda: checkpoint(occurred_at=1796000000),
        "occurred_at",
        "expected a string",
    ),
    # enums
    ("unknown event", lambda: checkpoint(event="email_sent"), "event", "'case_opened'"),
    ("unknown channel", lambda: checkpoint(channel="fax"), "channel", "got a string ('fax')"),
    (
        "unknown item category",
        lambda: auction(event="listed", item={"category": "art", "description": "x"}),
        "item.category",
        "'vehicle'",
    ),
    # event requirements
    (
        "payment without amount",
        lambda: without("amount"),
        "amount",
        "required when event is 'payment'",
    ),
    (
        "bid without amount",
        lambda: without("bid_amount", auction()),
        "bid_amount",
        "required when event is 'bid_placed'",
    ),
    (
        "bid without bidder",
        lambda: without("bidder_ref", auction()),
        "bidder_ref",
        "required when event is 'bid_placed'",
    ),
    (
        "sale without hammer price",
        lambda: auction(event="sold"),
        "hammer_price",
        "required when event is 'sold'",
    ),
    (
        "listing without item",
        lambda: auction(event="listed", reserve_price={"minor_units": 1, "currency": "CNY"}),
        "item",
        "required when event is 'listed'",
    ),
    (
        "mixed currencies",
        lambda: auction(
            event="sold",
            hammer_price={"minor_units": 1, "currency": "USD"},
        ),
        "hammer_price.currency",
        "differs from bid_amount.currency 'CNY'",
    ),
    # attachments and text
    (
        "uppercase digest",
        lambda: checkpoint(
            attachments=[{"sha256": DIGEST.upper(), "media_type": "image/png", "size": 1}]
        ),
        "attachments[0].sha256",
        "lowercase hex",
    ),
    (
        "short digest",
        lambda: checkpoint(attachments=[{"sha256": "ab", "media_type": "image/png", "size": 1}]),
        "attachments[0].sha256",
        "got 2 characters",
    ),
    (
        "media type with parameters",
        lambda: checkpoint(
            attachments=[{"sha256": DIGEST, "media_type": "text/plain; charset=utf-8", "size": 1}]
        ),
        "attachments[0].media_type",
        "without parameters",
    ),
    (
        "float size",
        lambda: checkpoint(
            attachments=[{"sha256": DIGEST, "media_type": "image/png", "size": 1.5e3}]
        ),
        "attachments[0].size",
        "expected an integer, got a float",
    ),
    (
        "duplicate attachment",
        lambda: checkpoint(
            attachments=[
                {"sha256": DIGEST, "media_type": "image/png", "size": 1},
                {"sha256": DIGEST, "media_type": "image/jpeg", "size": 2},
            ]
        ),
        "attachments[1].sha256",
        "same digest as attachments[0]",
    ),
    (
        "too many attachments",
        lambda: checkpoint(attachments=TOO_MANY),
        "attachments",
        f"at most {MAX_ATTACHMENTS} items, got {MAX_ATTACHMENTS + 1}",
    ),
    ("attachments not a list", lambda: checkpoint(attachments={}), "attachments", "an array"),
    (
        "notes too long",
        lambda: checkpoint(notes="x" * (MAX_NOTES_CHARS + 1)),
        "notes",
        f"at most {MAX_NOTES_CHARS} characters",
    ),
    ("notes with NUL", lambda: checkpoint(notes="a\x00b"), "notes", "character 2 (U+0000)"),
    ("notes with lone surrogate", lambda: checkpoint(notes="a\ud800"), "notes", "lone surrogate"),
    (
        "empty item description",
        lambda: auction(
            event="listed",
            reserve_price={"minor_units": 1, "currency": "CNY"},
            item={"category": "vehicle", "description": ""},
        ),
        "item.description",
        "must not be empty",
    ),
    # Schema revision 2 (PROTOCOL.md §1.1).
    (
        "time zone with a dot-dot",
        lambda: checkpoint(debtor_time_zone="Asia/../etc"),
        "debtor_time_zone",
        "IANA time zone name",
    ),
    (
        "time zone too long",
        lambda: checkpoint(debtor_time_zone="A" * 65),
        "debtor_time_zone",
        "at most 64 characters",
    ),
    (
        "time zone not a string",
        lambda: checkpoint(debtor_time_zone=8),
        "debtor_time_zone",
        "a string",
    ),
    (
        "unknown contact target",
        lambda: checkpoint(contact_target="neighbour"),
        "contact_target",
        "expected one of 'debtor', 'guarantor' or 'third_party'",
    ),
    ("null contact target", lambda: checkpoint(contact_target=None), "contact_target", "null"),
    (
        "unknown data category",
        lambda: checkpoint(data_categories=["biometric", "dna"]),
        "data_categories[1]",
        "expected one of",
    ),
    (
        "data category twice",
        lambda: checkpoint(data_categories=["location", "biometric", "location"]),
        "data_categories[2]",
        "already data_categories[0]",
    ),
    (
        "finding twice",
        lambda: checkpoint(findings=["threat", "threat"]),
        "findings[1]",
        "already findings[0]",
    ),
    ("findings not a list", lambda: checkpoint(findings="threat"), "findings", "an array"),
]


@pytest.mark.parametrize(
    ("make", "path", "fragment"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_refused(make: Callable[[], Any], path: str, fragment: str) -> None:
    invalid(make(), path, fragment)


def test_compliance_members_are_kept_verbatim_and_leave_older_records_unchanged() -> None:
    """Revision 2 adds optional members only: a record without them commits to the bytes
    it did under revision 1, and one with them is committed as submitted."""
    before = checkpoint()
    assert record_canonical_dict(parse_record(before)) == before
    extended = checkpoint(
        debtor_time_zone="Asia/Shanghai",
        contact_target="debtor",
        data_categories=["voice_recording", "contact"],
        findings=[],
    )
    record = parse_record(extended)
    assert record_canonical_dict(record) == extended
    assert isinstance(record, CollectionCheckpoint)
    assert record.data_categories == ["voice_recording", "contact"]  # the order submitted
    assert "debtor_time_zone" not in record_canonical_dict(parse_record(before))
    schema = record_json_schema("collection_checkpoint")
    assert schema["properties"]["data_categories"]["uniqueItems"] is True
    assert "contact_target" not in schema.get("required", [])


def test_error_is_an_input_error_and_counts_the_rest() -> None:
    error = invalid(checkpoint(case_id=1, event="x", channel="y"), "case_id", "and 2 more problems")
    assert isinstance(error, InputError)
    assert isinstance(error, EvanchorError)


def test_privacy_guard_does_not_echo_the_value() -> None:
    error = invalid(checkpoint(debtor_ref="11010519491231002X"), "debtor_ref", "pseudonymous")
    assert "11010519491231002X" not in str(error)


@pytest.mark.parametrize(
    "debtor_ref",
    [
        "dbt:3f9a1c07e2",
        "110105194912310021",  # 18 digits, but the MOD 11-2 check fails: not an ID number
        "12345678901234567890",  # a 20-digit run is neither an ID nor a phone number
        "acct-23800138000",  # 11 digits not starting 1[3-9]
        "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    ],
)
def test_pseudonyms_that_are_not_personal_numbers(debtor_ref: str) -> None:
    parse_record(checkpoint(debtor_ref=debtor_ref))


def test_where_and_line_prefix_the_message() -> None:
    with pytest.raises(RecordInvalid) as caught:
        parse_record(with_money(12.0), where="batch.jsonl", line=17)
    assert str(caught.value) == (
        "batch.jsonl: line 17: amount.minor_units: expected an integer number of minor units, "
        "got a float (money is never a float)"
    )
    with pytest.raises(RecordInvalid, match=r"^line 17: amount\.minor_units: "):
        parse_record(with_money(12.0), where="line 17")


def test_jsonl_to_records_names_every_bad_line() -> None:
    lines = [
        json.dumps(checkpoint()),
        json.dumps(checkpoint(amount={"minor_units": 1.0, "currency": "CNY"})),
        '{"kind": "collection_checkpoint", "kind": "auction_record"}',
        json.dumps(auction()),
        json.dumps(checkpoint(agency="91350100M000100Y44")),
    ]
    messages = []
    for number, item in iter_jsonl("\n".join(lines).encode(), source="b.jsonl"):
        if isinstance(item, InputError):
            messages.append(str(item))
            continue
        try:
            parse_record(item, where="b.jsonl", line=number)
        except RecordInvalid as error:
            messages.append(str(error))
    assert [m.split(": ")[1:3] for m in messages] == [
        ["line 2", "amount.minor_units"],
        ["line 3", "kind"],
        ["line 5", "agency"],
    ]


def test_oversize_record_is_refused_before_validation() -> None:
    obj = checkpoint(notes="x" * 70_000)
    with pytest.raises(InputError, match="over the limit of 65536 bytes"):
        parse_json_object(json.dumps(obj).encode())


# --- JSON Schema ---------------------------------------------------------------------------


def schema_errors(
    schema: dict[str, Any], value: Any, node: dict[str, Any] | None = None
) -> list[str]:
    """A small JSON Schema checker for the keywords our schemas use (a reference, not ours)."""
    node = schema if node is None else node
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    problems: list[str] = []
    kind = node.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            return ["not an object"]
        properties = node.get("properties", {})
        problems += [f"missing {k}" for k in node.get("required", []) if k not in value]
        if node.get("additionalProperties") is False:
            problems += [f"extra {k}" for k in value if k not in properties]
        for key, item in value.items():
            if key in properties:
                problems += schema_errors(schema, item, properties[key])
        for rule in node.get("allOf", []):
            event = rule["if"]["properties"]["event"]["const"]
            if value.get("event") == event:
                problems += [f"{k} for {event}" for k in rule["then"]["required"] if k not in value]
    elif kind == "array":
        if not isinstance(value, list) or len(value) > node.get("maxItems", len(value)):
            return ["bad array"]
        for item in value:
            problems += schema_errors(schema, item, node["items"])
    elif kind == "string":
        if not isinstance(value, str):
            return ["not a string"]
        if not node.get("minLength", 0) <= len(value) <= node.get("maxLength", len(value)):
            problems.append("length")
        if "pattern" in node and not re.search(node["pattern"], value):
            problems.append(f"pattern {node['pattern']}")
        if "enum" in node and value not in node["enum"]:
            problems.append("enum")
        if "const" in node and value != node["const"]:
            problems.append("const")
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return ["not an integer"]
        if not node.get("minimum", value) <= value <= node.get("maximum", value):
            problems.append("range")
    else:
        problems.append(f"unexpected schema node {node}")
    return problems


@pytest.mark.parametrize(
    ("kind", "title"),
    [("collection_checkpoint", "Collection checkpoint"), ("auction_record", "Auction record")],
)
def test_json_schema(kind: Any, title: str) -> None:
    schema = record_json_schema(kind)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == title
    assert schema["additionalProperties"] is False
    assert schema["properties"]["kind"]["const"] == kind
    text = json.dumps(schema)
    assert '"null"' not in text  # null is never a value
    assert '"default"' not in text  # no defaults: absent means absent
    for obj in sample_objects():
        if obj["kind"] == kind:
            assert schema_errors(schema, obj) == []


@pytest.mark.parametrize("kind", ["collection_checkpoint", "auction_record"])
def test_the_schemas_in_the_protocol_document_are_the_codes(kind: Any) -> None:
    """docs/schemas/*.schema.json, which docs/PROTOCOL.md §1 points to, are what the code
    checks (regenerate them with `evanchor schema checkpoint|auction`)."""
    committed = Path(__file__).resolve().parents[2] / "docs" / "schemas" / f"{kind}.schema.json"
    assert json.loads(committed.read_text()) == record_json_schema(kind)


def test_json_schema_states_event_requirements() -> None:
    schema = record_json_schema("auction_record")
    assert schema_errors(schema, auction(event="sold")) == ["hammer_price for sold"]
    assert schema_errors(schema, checkpoint()) != []


# --- properties ----------------------------------------------------------------------------


@settings(max_examples=150)
@given(collection_records() | auction_records(), st.booleans())
def test_valid_records_round_trip_unchanged(obj: dict[str, Any], ascii_only: bool) -> None:
    submitted = copy.deepcopy(obj)
    data = json.dumps(obj, ensure_ascii=ascii_only).encode()
    record = parse_record(parse_json_object(data), line=1)
    canonical = record_canonical_dict(record)
    assert canonical == submitted
    assert record.model_dump(mode="json", exclude_unset=True) == submitted
    assert rfc8785.dumps(canonical) == rfc8785.dumps(submitted)


@given(collection_records() | auction_records(), st.data())
def test_dropping_a_required_field_is_named(obj: dict[str, Any], data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(obj)))
    model = CollectionCheckpoint if obj["kind"] == "collection_checkpoint" else AuctionRecord
    field = model.model_fields.get(name)
    required = field is not None and field.is_required()
    event_table = (
        COLLECTION_EVENT_REQUIRES if model is CollectionCheckpoint else AUCTION_EVENT_REQUIRES
    )
    del obj[name]
    if required or name in event_table.get(obj.get("event", ""), ()):
        invalid(obj, name, "required")
    else:
        parse_record(obj)


def test_the_coded_values_words_cover_the_schemas_values_exactly() -> None:
    """One table each (value_words.py) for the compliance report and the record view: a
    value the schema accepts always has words, and no word is for a value it refuses."""
    for table, values in (
        (value_words.CONTACT_TARGETS, ContactTarget),
        (value_words.DATA_CATEGORIES, DataCategory),
        (value_words.FINDINGS, Finding),
    ):
        assert set(table) == set(get_args(values))
        assert all(zh and en and zh != en for zh, en in table.values())
