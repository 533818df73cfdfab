"""The one exception tree of evanchor.

Every failure a user can cause or meet is an `EvanchorError`; the CLI turns these into one
line and a non-zero exit. Subclasses carry the facts (what was expected, what was found,
which field or line) so that messages name the fault.
"""

from __future__ import annotations


class EvanchorError(Exception):
    """Root of every error evanchor raises on purpose."""
