"""The node's signed checkpoints: every sealed checkpoint signed once, in order, kept in the
log store with the cosignatures, found by size; what `/v1/checkpoint` serves."""

from __future__ import annotations

from pathlib import Path

import pytest

from evanchor.anchor.log.store import LogStore, StoreError
from evanchor.anchor.protocol.note import COSIGNATURE_V1, ED25519, NoteSigner, open_note
from evanchor.anchor.protocol.tlog_checkpoint import parse_checkpoint_body
from evanchor.node.daemon.witnessing import seal_and_sign, seq_of_size, sign_pending

from samples import prepared

LOG = NoteSigner("evanchor/log-only/00112233445566778899aabbccddeeff", ED25519, b"\x03" * 32)
WITNESS = NoteSigner("court.example/witness", COSIGNATURE_V1, b"\x04" * 32)


def test_checkpoints_are_signed_once_in_order(tmp_path: Path) -> None:
    with LogStore(tmp_path / "log", create=True) as store:
        for start, count in ((0, 3), (3, 3), (6, 4)):
            store.append([prepared(start + i) for i in range(count)])
            store.seal()  # sealed without signing, as `evanchor seal` on an old folder
        assert sign_pending(store, LOG) == 3
        assert sign_pending(store, LOG) == 0
        store.append([prepared(20)])
        checkpoint = seal_and_sign(store, LOG)
        assert checkpoint is not None
        # Each checkpoint ends with its seal leaf (PROTOCOL.md §3): 3 + 1, 3 + 1, 4 + 1, 1 + 1.
        for seq, size in enumerate((4, 8, 13, 15)):
            note = store.signed_checkpoint(seq)
            assert note is not None
            opened = open_note(note, [LOG.verifier])
            body = parse_checkpoint_body(opened.text)
            assert (body.origin, body.size, body.root) == (LOG.name, size, store.root(size))
            assert seq_of_size(store, size) == seq
        assert seq_of_size(store, 7) is None


def test_cosignatures_are_kept_and_served_with_the_note(tmp_path: Path) -> None:
    with LogStore(tmp_path / "log", create=True) as store:
        store.append([prepared(i) for i in range(4)])
        seal_and_sign(store, LOG)
        note = store.signed_checkpoint(0)
        assert note is not None
        text = note.decode().split("\n\n")[0] + "\n"
        store.put_cosignature(0, WITNESS.name, WITNESS.cosign(text, 1_767_225_600).line())
        served = store.cosigned_checkpoint(0)
        assert served is not None
        opened = open_note(served, [LOG.verifier, WITNESS.verifier])
        assert [key.name for key, _ in opened.verified] == [LOG.name, WITNESS.name]
        assert store.cosigned_checkpoint(1) is None
        with pytest.raises(StoreError):
            store.put_cosignature(1, WITNESS.name, "x")
        with pytest.raises(StoreError):
            store.put_signed_checkpoint(1, b"x")
