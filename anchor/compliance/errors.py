"""Errors of the compliance layer: a rule set that cannot be used, bundles that cannot be
reported on together. Each names the file and the key (or bundle) at fault."""

from __future__ import annotations

from evanchor.anchor.errors import EvanchorError


class ComplianceError(EvanchorError):
    """Root of the compliance layer's errors."""


class RuleSetInvalid(ComplianceError):
    """A rule-set file is not TOML, or not a valid rule set. `key` is the path of the key at
    fault, like `rules[2].max_contacts`, or `(file)` for the file as a whole."""

    def __init__(self, source: str, key: str, reason: str) -> None:
        super().__init__(f"{source}: {key}: {reason}")
        self.source = source
        self.key = key
        self.reason = reason


class BundlesFromSeveralLogs(ComplianceError):
    """A report is computed over one log: leaf indices and case chains mean nothing across
    logs. `expected` is the first bundle's log, `found` another's."""

    def __init__(self, source: str, expected: str, found: str) -> None:
        super().__init__(
            f"{source}: bundle of log {found}, but the first bundle was of log {expected};"
            " report on one log at a time"
        )
        self.source = source
        self.expected = expected
        self.found = found


class NoBundles(ComplianceError):
    """`--bundles` named nothing that holds a bundle."""

    def __init__(self, where: str) -> None:
        super().__init__(f"{where}: no bundle files (.json) found")
        self.where = where
