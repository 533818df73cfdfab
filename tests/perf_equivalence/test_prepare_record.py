"""`prepare_record` commits exactly what the plain road through `parse_record` commits.

The plain road, kept here as the reference: `parse_record(obj)` keeps a copy of the object,
`record_canonical_dict` checks it against the model and copies it again, `canonical_bytes`
walks it before encoding. `prepare_record` validates without the copies (`check_record`)
and encodes the object itself (`canonical_record_bytes`). On valid records the two give the
same canonical bytes, id, commitment, kind, agency and case key, and the bytes are
rfc8785's; on altered records they refuse with the same message; neither changes `obj`.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.store import PreparedRecord
from evanchor.anchor.protocol.commitment import (
    _encodes_alike,
    canonical_bytes,
    canonical_record_bytes,
    commitment,
    record_id,
)
from evanchor.anchor.protocol.errors import RecordInvalid
from evanchor.anchor.protocol.records import (
    check_record,
    parse_record,
    record_agency,
    record_canonical_dict,
    record_case_key,
)

from record_strategies import auction_records, collection_records, text
from samples import sample_objects

records = (
    collection_records() | auction_records() | st.sampled_from(sample_objects()).map(copy.deepcopy)
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.floats() | text,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "currency", "size"]), children, max_size=3)
    ),
    max_leaves=6,
)
salts = st.binary(min_size=32, max_size=32)


def plain_prepare(obj: dict[str, Any], salt: bytes) -> PreparedRecord:
    """The reference: prepare_record as it was, through the record's kept copy."""
    record = parse_record(obj)
    canonical = canonical_bytes(record_canonical_dict(record))
    return PreparedRecord(
        record_id=record_id(canonical),
        canonical=canonical,
        salt=salt,
        commitment=commitment(salt, canonical),
        kind=record.kind,
        agency=record_agency(record),
        case=record_case_key(record),
    )


def outcome(prepare: Any, obj: dict[str, Any], salt: bytes) -> PreparedRecord | str:
    try:
        return prepare(obj, salt)  # type: ignore[no-any-return]
    except RecordInvalid as error:
        return f"refused: {error}"


@settings(max_examples=300)
@given(obj=records, salt=salts)
def test_valid_records_commit_the_same_bytes(obj: dict[str, Any], salt: bytes) -> None:
    submitted = copy.deepcopy(obj)
    fast = prepare_record(obj, salt=salt)
    assert fast == plain_prepare(obj, salt)
    assert fast.canonical == rfc8785.dumps(submitted)
    assert obj == submitted
    # What lets canonical_record_bytes skip the walk: every accepted record passes it.
    assert _encodes_alike(obj)
    assert canonical_record_bytes(obj) == canonical_bytes(obj)


@settings(max_examples=400)
@given(obj=records, salt=salts, data=st.data())
def test_altered_records_get_the_same_verdict(
    obj: dict[str, Any], salt: bytes, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from([*sorted(obj), "extra", "kind"]))
    value = data.draw(
        json_values
        | st.sampled_from([None, "", "CNY", 1.0, True, [], {}, "dbt:13800138000", "a b"])
        | st.sampled_from(["ref:110105199003078914", "2026-02-30T00:00:00Z", "0" * 18])
    )
    obj[name] = value
    if isinstance(obj.get("attachments"), list) and obj["attachments"] and data.draw(st.booleans()):
        obj["attachments"][0] = data.draw(json_values)
    submitted = copy.deepcopy(obj)
    assert outcome(lambda o, s: prepare_record(o, salt=s), obj, salt) == outcome(
        plain_prepare, obj, salt
    )
    assert obj == submitted


def test_where_prefixes_the_message_alike() -> None:
    obj = dict(sample_objects()[0], case_id="a b")
    try:
        prepare_record(obj, where="batch.jsonl")
    except RecordInvalid as error:
        fast = str(error)
    try:
        parse_record(obj, where="batch.jsonl")
    except RecordInvalid as error:
        plain = str(error)
    assert fast == plain
    assert fast.startswith("batch.jsonl: case_id: character 2 (' ')")


def test_a_json_round_trip_commits_the_same_bytes() -> None:
    for obj in sample_objects():
        again = json.loads(json.dumps(obj, ensure_ascii=True))
        assert prepare_record(obj, salt=bytes(32)) == prepare_record(again, salt=bytes(32))


def test_a_record_checked_without_its_copy_cannot_be_committed_from_the_model() -> None:
    record = check_record(sample_objects()[0])
    with pytest.raises(ValueError, match="not produced by validation"):
        record_canonical_dict(record)
