"""A small C2SP log for witness tests: leaves, signed checkpoints, add-checkpoint bodies.

Roots and proofs come from the plain RFC 6962 reference (tests/merkle_reference.py), so the
witness is checked against code it does not share.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from evanchor.anchor.protocol.note import ED25519, Note, NoteSigner
from evanchor.anchor.protocol.tlog_checkpoint import CheckpointBody

from merkle_reference import mth, proof


@dataclass
class TestLog:
    """A log named `origin`, signing with a fixed seed; `leaves` grow as tests append."""

    origin: str = "example.com/test-log"
    seed: bytes = b"\x07" * 32
    leaves: list[bytes] = field(default_factory=list)

    __test__ = False  # not a pytest class

    @property
    def signer(self) -> NoteSigner:
        return NoteSigner(self.origin, ED25519, self.seed)

    @property
    def vkey(self) -> str:
        return str(self.signer.verifier)

    def grow(self, size: int) -> None:
        self.leaves += [f"{self.origin} leaf {i}".encode() for i in range(len(self.leaves), size)]

    def checkpoint(self, size: int, *, root: bytes | None = None) -> bytes:
        self.grow(size)
        body = CheckpointBody(self.origin, size, mth(self.leaves[:size]) if root is None else root)
        text = body.text()
        return Note(text, (self.signer.sign(text),)).to_bytes()

    def proof(self, old: int, new: int) -> list[bytes]:
        self.grow(new)
        if old in (0, new):
            return []
        return proof(old, self.leaves[:new])

    def request(
        self,
        old: int,
        new: int,
        *,
        proof_nodes: list[bytes] | None = None,
        note: bytes | None = None,
    ) -> bytes:
        nodes = self.proof(old, new) if proof_nodes is None else proof_nodes
        lines = [f"old {old}", *(base64.b64encode(n).decode() for n in nodes)]
        return ("\n".join(lines) + "\n\n").encode() + (note or self.checkpoint(new))
