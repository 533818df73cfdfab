"""add-checkpoint (c2sp.org/tlog-witness): check a checkpoint, cosign it, remember it.

The request body is

    old <size>\\n
    <base64 hash>\\n            zero to 63 consistency proof lines (RFC 6962/9162)
    \\n
    <signed checkpoint note>

and the checks run in the order of the document, each refusal with its status:

    400  the body is not of that form, or old size > checkpoint size
    404  the checkpoint's origin is not a log this witness follows
    403  no signature of a trusted key for that origin, or one that fails
    409  old size is not the size last cosigned for the log (body: that size)
    422  size 0 with another root than the empty tree's; a proof from old size 0; a proof
         that does not verify; equal sizes with different roots

Then the new checkpoint is recorded (synced) and the answer is one cosignature/v1 line.
Checking and recording happen under one lock, so two requests cannot roll the log's size
back (the race the document describes). A validly signed checkpoint refused with 409's
siblings 422 is kept as evidence of a split view (`WitnessState.record_refusal`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from evanchor.anchor.errors import ProofError
from evanchor.anchor.protocol.errors import NoteError, NoteSignatureInvalid, NoteUnverified
from evanchor.anchor.protocol.note import NoteSigner, open_note, parse_note
from evanchor.anchor.protocol.tlog_checkpoint import CheckpointBody, parse_checkpoint_body
from evanchor.anchor.verify.proofs import verify_consistency
from evanchor.anchor.witness.config import WitnessConfig
from evanchor.anchor.witness.errors import (
    InconsistentCheckpoint,
    LogSignatureRejected,
    LogUnknown,
    OldSizeMismatch,
    RequestMalformed,
)
from evanchor.anchor.witness.state import LatestCheckpoint, WitnessState

MAX_PROOF_LINES = 63
"""A client must not send more (tlog-witness); a 64-bit tree needs no more."""
MAX_REQUEST_BYTES = 64 * 1024
"""A request is a few lines and a checkpoint with its signatures: 64 KiB is ample."""
EMPTY_ROOT = hashlib.sha256(b"").digest()


@dataclass(frozen=True)
class AddCheckpointRequest:
    old_size: int
    proof: tuple[bytes, ...]
    checkpoint: bytes


def _decimal(text: str, what: str) -> int:
    if not text.isascii() or not text.isdigit() or text != str(int(text)):
        raise RequestMalformed(f"{what}: expected a decimal number without leading zeros")
    value = int(text)
    if value >= 2**64:
        raise RequestMalformed(f"{what}: {value} is not a uint64")
    return value


def parse_add_checkpoint(body: bytes) -> AddCheckpointRequest:
    """The parts of an add-checkpoint body; RequestMalformed (400) names the line at fault."""
    if len(body) > MAX_REQUEST_BYTES:
        raise RequestMalformed(f"request body over {MAX_REQUEST_BYTES} bytes")
    head, separator, checkpoint = body.partition(b"\n\n")
    if not separator:
        raise RequestMalformed("no empty line before the checkpoint")
    try:
        lines = head.decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise RequestMalformed("the old size and proof lines are not ASCII") from None
    keyword, space, size_text = lines[0].partition(" ")
    if keyword != "old" or not space:
        raise RequestMalformed("line 1: expected `old <size>`")
    old_size = _decimal(size_text, "line 1: old size")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise RequestMalformed(f"{len(lines) - 1} proof lines, at most {MAX_PROOF_LINES}")
    proof = []
    for number, line in enumerate(lines[1:], start=2):
        try:
            node = base64.b64decode(line.encode(), validate=True)
        except (binascii.Error, ValueError):
            raise RequestMalformed(f"line {number}: not base64") from None
        if len(node) != 32:
            raise RequestMalformed(f"line {number}: a proof hash is 32 bytes, not {len(node)}")
        proof.append(node)
    return AddCheckpointRequest(old_size, tuple(proof), checkpoint)


@dataclass(frozen=True)
class Cosigned:
    """A successful add-checkpoint: the answer's signature lines and what was recorded."""

    lines: str
    latest: LatestCheckpoint


class Witness:
    """The add-checkpoint logic over a config, a cosigning key and the durable state.

    `clock` gives POSIX seconds (time.time unless a test gives another). A cosignature's
    timestamp never goes back: if the clock does, the last one given for the log is reused.
    """

    def __init__(
        self,
        config: WitnessConfig,
        signer: NoteSigner,
        state: WitnessState,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if signer.name != config.name:
            raise ValueError("the signer's name is not the configured witness name")
        self.config = config
        self.signer = signer
        self.state = state
        self._clock = clock
        self._lock = threading.Lock()

    def add_checkpoint(self, body: bytes) -> Cosigned:
        """Check and cosign; raises a CheckpointRefused subclass carrying the HTTP status."""
        request = parse_add_checkpoint(body)
        try:
            checkpoint = parse_checkpoint_body(parse_note(request.checkpoint).text)
        except NoteError as error:
            raise RequestMalformed(f"checkpoint: {error}") from None
        log = self.config.log(checkpoint.origin)
        if log is None:
            raise LogUnknown(checkpoint.origin)
        try:
            opened = open_note(request.checkpoint, log.verifier_keys())
        except NoteSignatureInvalid as error:
            raise LogSignatureRejected(str(error)) from None
        except NoteUnverified as error:
            raise LogSignatureRejected(f"no signature of a trusted key: {error}") from None
        except NoteError as error:
            raise LogSignatureRejected(str(error)) from None
        if request.old_size > checkpoint.size:
            raise RequestMalformed(
                f"old size {request.old_size} is larger than the checkpoint's {checkpoint.size}"
            )
        log_lines = "".join(signature.line() for _, signature in opened.verified)
        with self._lock:
            latest = self.state.latest(checkpoint.origin)
            try:
                self._check(request, checkpoint, latest)
            except InconsistentCheckpoint as refusal:
                self.state.record_refusal(
                    checkpoint.origin,
                    {
                        "received_at": int(self._clock()),
                        "old_size": request.old_size,
                        "proof": [base64.b64encode(p).decode() for p in request.proof],
                        "checkpoint": request.checkpoint.decode(),
                        "reason": refusal.reason,
                    },
                )
                raise
            timestamp = max(int(self._clock()), 1 if latest is None else latest.timestamp)
            cosignature = self.signer.cosign(opened.text, timestamp)
            recorded = LatestCheckpoint(
                origin=checkpoint.origin,
                size=checkpoint.size,
                root=checkpoint.root,
                timestamp=timestamp,
                note=opened.text + "\n" + log_lines + cosignature.line(),
            )
            self.state.put_latest(recorded)
        return Cosigned(cosignature.line(), recorded)

    @staticmethod
    def _check(
        request: AddCheckpointRequest, checkpoint: CheckpointBody, latest: LatestCheckpoint | None
    ) -> None:
        known = 0 if latest is None else latest.size
        if request.old_size != known:
            raise OldSizeMismatch(request.old_size, known)
        if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
            raise InconsistentCheckpoint("a checkpoint of size 0 must have the empty tree's root")
        if request.old_size == 0:
            if request.proof:
                raise InconsistentCheckpoint("old size 0 takes no consistency proof")
            return
        assert latest is not None  # old size > 0 matched the recorded size
        try:
            verify_consistency(
                latest.size, checkpoint.size, latest.root, checkpoint.root, request.proof
            )
        except ProofError as error:
            if latest.size == checkpoint.size:
                raise InconsistentCheckpoint(
                    f"size {checkpoint.size} was cosigned with root"
                    f" {base64.b64encode(latest.root).decode()}, this checkpoint has"
                    f" {base64.b64encode(checkpoint.root).decode()}: {error}"
                ) from None
            raise InconsistentCheckpoint(
                f"consistency proof from size {latest.size} to {checkpoint.size} fails: {error}"
            ) from None
