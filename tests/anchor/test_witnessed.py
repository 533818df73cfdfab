"""verify_witnessed_checkpoint: the log's signature, trusted cosignatures, the k-th earliest
time, and every named corrupt case of tests/vectors/note/witnessed.json."""

from __future__ import annotations

import json
from typing import Any

import pytest

from evanchor.anchor.protocol import errors as protocol_errors
from evanchor.anchor.protocol.note import parse_verifier_key
from evanchor.anchor.verify import errors
from evanchor.anchor.verify.witnessed import verify_witnessed_checkpoint

from vectorfiles import VECTORS

WITNESSED = json.loads((VECTORS / "note" / "witnessed.json").read_text(encoding="utf-8"))


def _verify(case: dict[str, Any]) -> Any:
    expect = dict(case["expect"])
    if "root" in expect:
        expect["root"] = bytes.fromhex(expect["root"])
    witness_keys = case.get("witness_vkeys", WITNESSED["witness_vkeys"])
    return verify_witnessed_checkpoint(
        case["note"].encode(),
        log_keys=[parse_verifier_key(case.get("log_vkey", WITNESSED["log_vkey"]))],
        witness_keys=[parse_verifier_key(k) for k in witness_keys],
        quorum=case["quorum"],
        **expect,
    )


@pytest.mark.parametrize("case", WITNESSED["cases"], ids=[c["name"] for c in WITNESSED["cases"]])
def test_witnessed_vectors(case: dict[str, Any]) -> None:
    outcome = case["outcome"]
    if outcome in ("verified", "unmet"):
        result = _verify(case)
        assert result.policy_met is (outcome == "verified")
        assert result.witnessed_at == case["witnessed_at"]
        times = [c.timestamp for c in result.cosignatures]
        assert times == sorted(times)
        if outcome == "unmet":
            with pytest.raises(errors.WitnessPolicyUnmet):
                result.require_policy()
        else:
            assert result.require_policy() == case["witnessed_at"]
        return
    name, _, check = outcome.partition(":")
    with pytest.raises(getattr(errors, name)) as caught:
        _verify(case)
    if check:
        assert caught.value.check == check


def test_keys_of_the_wrong_type_are_refused() -> None:
    log_key = parse_verifier_key(WITNESSED["log_vkey"])
    witness_key = parse_verifier_key(WITNESSED["witness_vkeys"][0])
    note = WITNESSED["cases"][0]["note"].encode()
    with pytest.raises(protocol_errors.NoteKeyInvalid):
        verify_witnessed_checkpoint(note, log_keys=[witness_key], witness_keys=[], quorum=0)
    with pytest.raises(protocol_errors.NoteKeyInvalid):
        verify_witnessed_checkpoint(note, log_keys=[log_key], witness_keys=[log_key], quorum=1)
    with pytest.raises(ValueError, match="quorum"):
        verify_witnessed_checkpoint(note, log_keys=[log_key], witness_keys=[witness_key], quorum=2)
