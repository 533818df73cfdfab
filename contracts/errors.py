"""Errors of the contract artifacts and of the contract's storage layout.

Both are `EvanchorError`s, so the CLI reports them as one line like every other failure.
"""

from __future__ import annotations

from evanchor.anchor.errors import EvanchorError


class ArtifactError(EvanchorError):
    """A committed contract artifact is missing or is not what `contracts/build.js` writes."""


class ArtifactNotFound(ArtifactError):
    """No artifact of that name ships with the package."""

    def __init__(self, name: str, location: str) -> None:
        super().__init__(f"no contract artifact {name!r} at {location}")
        self.name = name
        self.location = location


class ArtifactMalformed(ArtifactError):
    """The artifact exists but one of its fields is missing or has the wrong shape."""

    def __init__(self, location: str, field: str, reason: str) -> None:
        super().__init__(f"contract artifact {location}: field {field!r}: {reason}")
        self.location = location
        self.field = field
        self.reason = reason


class StorageLayoutError(EvanchorError):
    """An argument does not fit the contract's storage layout (bad address, index or word)."""

    def __init__(self, what: str, expected: str, found: str) -> None:
        super().__init__(f"{what}: expected {expected}, found {found}")
        self.what = what
        self.expected = expected
        self.found = found
