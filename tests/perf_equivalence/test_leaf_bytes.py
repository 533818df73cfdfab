"""The store's direct leaf encoder writes exactly `LeafEnvelope.to_bytes()`.

`store._leaf_bytes` formats the envelope itself when no string needs escaping and hands
everything else to the general encoder; these tests hold it to the plain envelope on the
strings real leaves carry (record kinds, USCCs, case keys, node timestamps) and on strings
built to reach every escape: quotes, backslashes, every control character, DEL, non-ASCII,
astral characters and lone surrogates (which both must refuse alike).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evanchor.anchor.log.store import PreparedRecord, _leaf_bytes
from evanchor.anchor.protocol.leaf import LeafEnvelope, utc_timestamp

TRICKY = [*map(chr, range(0x20)), '"', "\\", "/", "\x7f", "\u00e9", "\u2028", "\u4e2d"]
TRICKY += ["\ufeff", "\uffff", "\U0001f600", "\ud800", "\udfff"]
characters = st.sampled_from(TRICKY) | st.characters()
texts = st.text(characters, max_size=12)
plain = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
stamps = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.just(UTC)
).map(utc_timestamp)
envelopes = st.builds(
    LeafEnvelope,
    commitment=st.binary(min_size=32, max_size=32),
    kind=st.sampled_from(["collection_checkpoint", "auction_record"]) | texts,
    agency=st.sampled_from(["91310115MA1K3TQ00E", "91350100M000100Y43"]) | texts,
    case=plain.map("collection/".__add__) | texts,
    prev=st.none() | st.sampled_from([0, 1, 2**32, 2**53 - 1]) | st.integers(0, 2**53 - 1),
    accepted_at=stamps | texts,
)
EXAMPLE = LeafEnvelope(
    commitment=b"\x07" * 32,
    kind="auction_record",
    agency="91350100M000100Y43",
    case="auction/L-1",
    prev=7,
    accepted_at="2026-11-19T00:31:07.000Z",
)


def envelope_bytes(envelope: LeafEnvelope) -> bytes | type[Exception]:
    """The reference: the plain envelope's bytes, or the type of error it raises."""
    try:
        return envelope.to_bytes()
    except Exception as error:
        return type(error)


def direct_bytes(envelope: LeafEnvelope) -> bytes | type[Exception]:
    """The store's encoder on a record carrying the envelope's facts."""
    record = PreparedRecord(
        record_id=bytes(32),
        canonical=b"{}",
        salt=bytes(32),
        commitment=envelope.commitment,
        kind=envelope.kind,
        agency=envelope.agency,
        case=envelope.case,
    )
    try:
        return _leaf_bytes(record, envelope.prev, envelope.accepted_at)
    except Exception as error:
        return type(error)


@settings(max_examples=500)
@given(envelopes)
def test_direct_leaf_is_the_envelope(envelope: LeafEnvelope) -> None:
    assert direct_bytes(envelope) == envelope_bytes(envelope)


@pytest.mark.parametrize("char", TRICKY)
@pytest.mark.parametrize("field", ["kind", "agency", "case", "accepted_at"])
def test_every_escaped_character_in_every_string(char: str, field: str) -> None:
    envelope = replace(EXAMPLE, **{field: f"a{char}b"})
    assert direct_bytes(envelope) == envelope_bytes(envelope)


@pytest.mark.parametrize("prev", [None, 0, 2**53 - 1, 2**53, -1])
def test_prev_at_the_edges(prev: int | None) -> None:
    envelope = replace(EXAMPLE, prev=prev)
    assert direct_bytes(envelope) == envelope_bytes(envelope)
