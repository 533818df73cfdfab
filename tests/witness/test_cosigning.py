"""add-checkpoint against c2sp.org/tlog-witness, case by case, on a real LevelDB state."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from witness_helpers import TestLog

from evanchor.anchor.protocol.note import COSIGNATURE_V1, NoteSigner, open_note, parse_note
from evanchor.anchor.verify.witnessed import verify_witnessed_checkpoint
from evanchor.anchor.witness import errors
from evanchor.anchor.witness.config import LogEntry, WitnessConfig
from evanchor.anchor.witness.cosigning import Witness, parse_add_checkpoint
from evanchor.anchor.witness.state import WitnessState

WITNESS = NoteSigner("court.example/witness", COSIGNATURE_V1, b"\x09" * 32)


class Clock:
    def __init__(self) -> None:
        self.now = 1_767_225_600.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def log() -> TestLog:
    return TestLog()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def witness(tmp_path: Path, log: TestLog, clock: Clock) -> Iterator[Witness]:
    config = WitnessConfig(name=WITNESS.name, logs=(LogEntry(origin=log.origin, keys=(log.vkey,)),))
    with WitnessState(tmp_path / "state", create=True) as state:
        yield Witness(config, WITNESS, state, clock=clock)


def _cosigned(witness: Witness, log: TestLog, old: int, new: int) -> int:
    """add-checkpoint, and the cosignature checked as a client would; returns its time."""
    done = witness.add_checkpoint(log.request(old, new))
    note = log.checkpoint(new) + done.lines.encode()
    result = verify_witnessed_checkpoint(
        note, log_keys=[log.signer.verifier], witness_keys=[WITNESS.verifier], quorum=1
    )
    assert result.checkpoint.size == new
    at = result.require_policy()
    assert at is not None
    return at


def test_first_checkpoint_then_consistent_ones_are_cosigned(witness: Witness, log: TestLog) -> None:
    assert _cosigned(witness, log, 0, 3) == 1_767_225_600
    assert _cosigned(witness, log, 3, 8) == 1_767_225_600
    assert _cosigned(witness, log, 8, 8) == 1_767_225_600  # the same checkpoint again
    latest = witness.state.latest(log.origin)
    assert latest is not None
    assert latest.size == 8
    opened = open_note(latest.note.encode(), [log.signer.verifier, WITNESS.verifier])
    assert len(opened.verified) == 2  # served with the log's signature and ours


def test_old_size_mismatch_is_409_with_the_latest_size(witness: Witness, log: TestLog) -> None:
    _cosigned(witness, log, 0, 4)
    with pytest.raises(errors.OldSizeMismatch) as caught:
        witness.add_checkpoint(log.request(0, 6))
    assert (caught.value.status, caught.value.latest) == (409, 4)
    with pytest.raises(errors.OldSizeMismatch):
        witness.add_checkpoint(log.request(2, 6))


def test_a_forked_log_is_refused_with_422_and_kept_as_evidence(
    witness: Witness, log: TestLog
) -> None:
    _cosigned(witness, log, 0, 4)
    fork = TestLog(origin=log.origin, seed=log.seed, leaves=[*log.leaves[:3], b"rewritten"])
    with pytest.raises(errors.InconsistentCheckpoint) as caught:
        witness.add_checkpoint(fork.request(4, 6, proof_nodes=fork.proof(4, 6)))
    assert caught.value.status == 422
    with pytest.raises(errors.InconsistentCheckpoint):
        witness.add_checkpoint(fork.request(4, 4))  # same size, other root
    assert witness.state.refusals(log.origin) == 2
    assert witness.state.evidence(log.origin)[0]["old_size"] == 4
    latest = witness.state.latest(log.origin)
    assert latest is not None
    assert latest.size == 4  # nothing of the fork was recorded


def test_bad_proofs_are_422(witness: Witness, log: TestLog) -> None:
    _cosigned(witness, log, 0, 3)
    good = log.proof(3, 7)
    flipped = [bytes([good[0][0] ^ 1]) + good[0][1:], *good[1:]]
    for nodes in (flipped, good[:-1], [*good, good[0]], []):
        with pytest.raises(errors.InconsistentCheckpoint):
            witness.add_checkpoint(log.request(3, 7, proof_nodes=nodes))


def test_a_proof_from_old_size_zero_is_422(witness: Witness, log: TestLog) -> None:
    with pytest.raises(errors.InconsistentCheckpoint):
        witness.add_checkpoint(log.request(0, 3, proof_nodes=[b"\x00" * 32]))


def test_an_empty_tree_must_have_the_empty_root(witness: Witness, log: TestLog) -> None:
    with pytest.raises(errors.InconsistentCheckpoint):
        witness.add_checkpoint(log.request(0, 0, note=log.checkpoint(0, root=b"\x01" * 32)))
    witness.add_checkpoint(log.request(0, 0))


def test_unknown_origin_is_404(witness: Witness) -> None:
    stranger = TestLog(origin="example.com/other-log")
    with pytest.raises(errors.LogUnknown) as caught:
        witness.add_checkpoint(stranger.request(0, 2))
    assert caught.value.status == 404


def test_bad_or_missing_log_signatures_are_403(witness: Witness, log: TestLog) -> None:
    impostor = TestLog(origin=log.origin, seed=b"\x08" * 32)
    with pytest.raises(errors.LogSignatureRejected) as caught:
        witness.add_checkpoint(impostor.request(0, 2))
    assert caught.value.status == 403
    note = log.checkpoint(2)
    text, _, line = note.decode().rpartition("\n\n")
    prefix, _, encoded = line.strip().rpartition(" ")
    raw = bytearray(base64.b64decode(encoded))
    raw[10] ^= 1
    flipped = f"{text}\n\n{prefix} {base64.b64encode(bytes(raw)).decode()}\n".encode()
    with pytest.raises(errors.LogSignatureRejected):
        witness.add_checkpoint(log.request(0, 2, note=flipped))


@pytest.mark.parametrize(
    "body",
    [
        b"old 1\n",
        b"old 01\n\n",
        b"new 1\n\n",
        b"old -1\n\n",
        b"old 1\nnot base64\n\n",
        b"old 1\n" + base64.b64encode(b"\x00" * 31) + b"\n\n",
        b"old 1\n" + (base64.b64encode(b"\x00" * 32) + b"\n") * 64 + b"\n",
    ],
)
def test_malformed_requests_are_400(witness: Witness, log: TestLog, body: bytes) -> None:
    with pytest.raises(errors.RequestMalformed) as caught:
        witness.add_checkpoint(body + log.checkpoint(2))
    assert caught.value.status == 400


def test_old_size_above_the_checkpoint_is_400(witness: Witness, log: TestLog) -> None:
    with pytest.raises(errors.RequestMalformed):
        witness.add_checkpoint(log.request(0, 2).replace(b"old 0", b"old 3"))


def test_the_timestamp_never_goes_back(witness: Witness, log: TestLog, clock: Clock) -> None:
    first = _cosigned(witness, log, 0, 2)
    clock.now -= 3600
    assert _cosigned(witness, log, 2, 5) == first


def test_refusals_beyond_the_evidence_limit_are_counted(
    witness: Witness, log: TestLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evanchor.anchor.witness.state as state_module  # noqa: PLC0415

    monkeypatch.setattr(state_module, "MAX_EVIDENCE", 2)
    _cosigned(witness, log, 0, 2)
    for _ in range(3):
        with pytest.raises(errors.InconsistentCheckpoint):
            witness.add_checkpoint(log.request(2, 2, note=log.checkpoint(2, root=b"\x05" * 32)))
    assert witness.state.refusals(log.origin) == 3
    assert len(witness.state.evidence(log.origin)) == 2


def test_the_parsed_request_keeps_its_parts(log: TestLog) -> None:
    request = parse_add_checkpoint(log.request(3, 7))
    assert request.old_size == 3
    assert list(request.proof) == log.proof(3, 7)
    assert parse_note(request.checkpoint).text.startswith(log.origin + "\n7\n")
