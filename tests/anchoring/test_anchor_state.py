"""The typed anchoring state: strict parsing, and the JSON written unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from evanchor.anchor.ethereum.anchor_state import (
    AnchorStateCorrupt,
    AnchorStatus,
    Confirmed,
    InFlight,
    Refused,
    parse_anchor_state,
    state_json,
)

ROOT = "ab" * 32
TX = "cd" * 32

SENDING: dict[str, Any] = {
    "status": "sending",
    "seq": 2,
    "size": 8,
    "root": ROOT,
    "proof_from": 3,
    "nonce": 7,
    "tx_hash": TX,
    "raw_tx": "02f8",
    "gas": 90000,
    "fees": {"max_fee_per_gas": 2000, "max_priority_fee_per_gas": 1},
    "prepared_at": 1764000000.5,
    "attempts": [TX],
    "nonce_attempts": [TX],
}
CONFIRMED: dict[str, Any] = {
    "status": "confirmed",
    "seq": 0,
    "size": 1,
    "root": ROOT,
    "chain_id": 7107,
    "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    "writer": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "checkpoint_index": 0,
    "tx_hash": TX,
    "block_number": 5,
    "block_hash": "ef" * 32,
    "block_timestamp": 1764000001,
    "log_index": 0,
    "confirmations": 1,
    "attempts": [TX],
}
REFUSED: dict[str, Any] = {
    "status": "refused",
    "seq": 1,
    "size": 4,
    "root": ROOT,
    "reason": "EvidenceAnchorSizeNotIncreasing(4, 4)",
    "attempts": [],
}


@pytest.mark.parametrize(
    ("raw", "kind"), [(SENDING, InFlight), (CONFIRMED, Confirmed), (REFUSED, Refused)]
)
def test_each_shape_round_trips_to_the_same_json(raw: dict[str, Any], kind: type) -> None:
    state = parse_anchor_state(raw)
    assert isinstance(state, kind)
    assert state_json(state) == raw


def test_typed_members() -> None:
    state = parse_anchor_state(SENDING)
    assert isinstance(state, InFlight)
    assert state.status is AnchorStatus.SENDING
    assert state.root == bytes.fromhex(ROOT)
    assert state.may_still_be_mined
    sent = state.model_copy(update={"status": AnchorStatus.SENT, "sent_at": 1.0})
    assert state_json(sent) == {**SENDING, "status": "sent", "sent_at": 1.0}


@pytest.mark.parametrize(
    ("change", "member"),
    [
        ({"status": "mined"}, "status"),
        ({"root": ROOT.upper()}, "root"),
        ({"root": "ab" * 31}, "root"),
        ({"seq": -1}, "seq"),
        ({"block_number": "five"}, "block_number"),
        ({"unknown": 1}, "unknown"),
    ],
    ids=[
        "unknown status",
        "upper-case hex",
        "short root",
        "negative seq",
        "not a number",
        "unknown member",
    ],
)
def test_a_corrupt_state_names_the_member(change: dict[str, Any], member: str) -> None:
    with pytest.raises(AnchorStateCorrupt) as caught:
        parse_anchor_state({**CONFIRMED, **change})
    assert member in caught.value.member


def test_a_missing_member_is_named() -> None:
    raw = dict(CONFIRMED)
    del raw["block_hash"]
    with pytest.raises(AnchorStateCorrupt, match="block_hash"):
        parse_anchor_state(raw)
