"""The audit re-checks every kept signed checkpoint (`sn:`) and cosignature (`cs:`) against
the log's key and the configured witnesses' keys; each change is a named discrepancy (real
LevelDB log stores in tmp_path)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest

from evanchor.anchor.log.audit import AuditReport, audit_log
from evanchor.anchor.log.cosignature_audit import (
    COSIGNATURE_ALTERED,
    COSIGNATURE_WITHOUT_NOTE,
    NOTE_ALTERED,
    check_cosignatures,
)
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.note import COSIGNATURE_V1, ED25519, Note, NoteSigner
from evanchor.anchor.protocol.tlog_checkpoint import CheckpointBody
from evanchor.node.daemon.witnessing import seal_and_sign

from samples import prepared

LOG = NoteSigner("evanchor/log-only/00112233445566778899aabbccddeeff", ED25519, b"\x03" * 32)
OTHER_LOG = NoteSigner(LOG.name, ED25519, b"\x09" * 32)
COURT1 = NoteSigner("court1.example/witness", COSIGNATURE_V1, b"\x04" * 32)
COURT2 = NoteSigner("court2.example/witness", COSIGNATURE_V1, b"\x05" * 32)
UNCONFIGURED = NoteSigner("gone.example/witness", COSIGNATURE_V1, b"\x06" * 32)
TIME = 1_767_225_600


def _text(store: LogStore, seq: int) -> str:
    note = store.signed_checkpoint(seq)
    assert note is not None
    return note.decode().split("\n\n")[0] + "\n"


def _cosign(store: LogStore, seq: int, witness: NoteSigner) -> None:
    store.put_cosignature(seq, witness.name, witness.cosign(_text(store, seq), TIME).line())


def _audit(store: LogStore) -> AuditReport:
    report = audit_log(store)
    check_cosignatures(
        report,
        store,
        log_key=LOG.verifier,
        origin=LOG.name,
        witness_keys=[COURT1.verifier, COURT2.verifier],
    )
    return report


def _witnessed_log(path: Path) -> LogStore:
    store = LogStore(path, create=True)
    for start in (0, 4):
        store.append([prepared(start + i) for i in range(4)])
        seal_and_sign(store, LOG)
        seq = store.checkpoint_count - 1
        _cosign(store, seq, COURT1)
        _cosign(store, seq, COURT2)
    return store


def test_a_clean_witnessed_log_has_no_discrepancy(tmp_path: Path) -> None:
    with _witnessed_log(tmp_path / "log") as store:
        _cosign(store, 1, UNCONFIGURED)
        report = _audit(store)
        assert report.ok, report.discrepancies
        assert report.counts["signed checkpoints"] == 2
        assert report.counts["cosignatures checked"] == 4
        assert report.counts["cosignatures unchecked"] == 1


def _other_text_cosignature(store: LogStore) -> None:
    other = CheckpointBody(LOG.name, 5, b"\x01" * 32).text()
    store.put_cosignature(1, COURT2.name, COURT2.cosign(other, TIME).line())


def _line_under_another_name(store: LogStore) -> None:
    store.put_cosignature(1, COURT1.name, COURT2.cosign(_text(store, 1), TIME).line())


def _timestamp_changed(store: LogStore) -> None:
    """The line with its timestamp moved by one second after signing."""
    prefix, encoded = store.cosignatures(0)[COURT1.name].rstrip("\n").rsplit(" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[4 + 7] ^= 0x01
    store.put_cosignature(0, COURT1.name, f"{prefix} {base64.b64encode(bytes(raw)).decode()}\n")


def _note_of_another_size(store: LogStore) -> None:
    text = CheckpointBody(LOG.name, 5, store.root(5)).text()
    store.put_signed_checkpoint(1, Note(text, (LOG.sign(text),)).to_bytes())


def _note_signed_by_another_key(store: LogStore) -> None:
    text = _text(store, 1)
    store.put_signed_checkpoint(1, Note(text, (OTHER_LOG.sign(text),)).to_bytes())


def _note_not_a_note(store: LogStore) -> None:
    store.put_signed_checkpoint(0, b"not a note")


@pytest.mark.parametrize(
    ("change", "kind", "detail"),
    [
        (_other_text_cosignature, COSIGNATURE_ALTERED, "witness court2.example/witness: the"),
        (_line_under_another_name, COSIGNATURE_ALTERED, "witness court1.example/witness: the line"),
        (_timestamp_changed, COSIGNATURE_ALTERED, "witness court1.example/witness: the cosig"),
        (_note_of_another_size, NOTE_ALTERED, "the note's size is 5, expected 10"),
        (_note_signed_by_another_key, NOTE_ALTERED, "no valid signature of the log's key"),
        (_note_not_a_note, NOTE_ALTERED, "the kept note is malformed"),
    ],
)
def test_each_change_is_a_named_discrepancy(
    tmp_path: Path, change: Callable[[LogStore], None], kind: str, detail: str
) -> None:
    with _witnessed_log(tmp_path / "log") as store:
        change(store)
        report = _audit(store)
        (found,) = report.discrepancies
        assert found.kind == kind
        assert found.detail.startswith(detail), found.detail


def test_a_cosignature_of_an_unsigned_checkpoint_is_named(tmp_path: Path) -> None:
    with LogStore(tmp_path / "log", create=True) as store:
        store.append([prepared(i) for i in range(3)])
        store.seal()  # not signed
        store.put_cosignature(0, COURT1.name, COURT1.cosign("x\n", TIME).line())
        (found,) = _audit(store).discrepancies
        assert (found.kind, found.where) == (COSIGNATURE_WITHOUT_NOTE, "checkpoint 0")
