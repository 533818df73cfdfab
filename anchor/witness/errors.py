"""Errors of the witness: its configuration and folder, and why it refuses a checkpoint.

A refusal carries the HTTP status c2sp.org/tlog-witness assigns to it, so the server never
decides a status from a message and a test can hold each case to the document.
"""

from __future__ import annotations

from evanchor.anchor.errors import EvanchorError


class WitnessError(EvanchorError):
    """Root of the witness's own errors."""


class WitnessConfigInvalid(WitnessError):
    """witness.toml (or the folder around it) is missing, unreadable or invalid; `where`
    names the file and the setting at fault."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class WitnessBusy(WitnessError):
    """Another process holds the witness's state (LevelDB allows one at a time)."""


class CheckpointRefused(WitnessError):
    """add-checkpoint is refused; `status` is the HTTP status of tlog-witness for the case."""

    status = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RequestMalformed(CheckpointRefused):
    """The body is not `old N`, proof lines, a blank line and a checkpoint; or old > size."""

    status = 400


class LogUnknown(CheckpointRefused):
    """The checkpoint's origin is not a log this witness follows."""

    status = 404

    def __init__(self, origin: str) -> None:
        super().__init__(f"unknown log {origin!r}: this witness does not follow it")
        self.origin = origin


class LogSignatureRejected(CheckpointRefused):
    """No signature of a trusted key for the origin, or one of them does not verify."""

    status = 403


class OldSizeMismatch(CheckpointRefused):
    """The request's old size is not the size this witness last cosigned for the log."""

    status = 409

    def __init__(self, claimed: int, latest: int) -> None:
        super().__init__(f"old size {claimed} is not the latest cosigned size {latest}")
        self.claimed = claimed
        self.latest = latest


class InconsistentCheckpoint(CheckpointRefused):
    """The checkpoint is not consistent with what the witness saw (the split-view case), or
    its proof is bad, or an empty tree has another root."""

    status = 422
