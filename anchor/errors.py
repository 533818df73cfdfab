"""The one exception tree of evanchor.

Every failure a user can cause or meet is an `EvanchorError`; the CLI turns these into one
line and a non-zero exit. Subclasses carry the facts (what was expected, what was found,
which field or line) so that messages name the fault.
"""

from __future__ import annotations


class EvanchorError(Exception):
    """Root of every error evanchor raises on purpose."""


class ProofError(EvanchorError):
    """An inclusion or consistency proof was rejected."""


class ProofMalformed(ProofError):
    """The proof's shape does not fit the sizes and indices it claims (checked before hashing)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RootMismatch(ProofError):
    """Hashing the proof gave a different root than the one it is checked against."""

    def __init__(self, what: str, expected: bytes, computed: bytes) -> None:
        super().__init__(f"{what}: expected {expected.hex()}, computed {computed.hex()}")
        self.what = what
        self.expected = expected
        self.computed = computed
