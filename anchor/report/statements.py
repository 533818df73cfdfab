"""The pieces a summary is made of: statements, each with the basis it rests on, in sections;
and the context every section is written from.

A statement is proven by the verification, someone's claim (the text says whose), explicitly
not proven, what the record says, or guidance. Nothing else can be said, so that nothing
reads as proven that is only the node's clock or a single sealer's block time.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from evanchor.anchor.report.language import Lang, pick
from evanchor.anchor.verify.anchor_evidence import AnchorFacts
from evanchor.anchor.verify.bundle import Proven, Report


class Basis(StrEnum):
    """On what a statement rests."""

    VERIFIED = "verified"
    """Established by this verification."""
    CLAIM = "claim"
    """Someone's statement that the verification could not check; the text says whose."""
    NOT_PROVEN = "not proven"
    """What this verification does not establish, said so that no one assumes it."""
    RECORD = "record"
    """What the record says: its bytes are verified, its facts are the submitter's words."""
    GUIDE = "guide"
    """How to check; not a statement about the evidence."""


BASIS_TAGS = {
    Basis.VERIFIED: ("已核验", "verified"),
    Basis.CLAIM: ("仅为声明", "claim only"),
    Basis.NOT_PROVEN: ("未证明", "not proven"),
}
"""The tag shown beside a statement; record content and guidance carry none."""


@dataclass(frozen=True)
class Statement:
    label: str
    text: str
    basis: Basis
    digest: bool = False
    """A digest or address, set in a monospaced face."""

    def as_json(self) -> dict[str, Any]:
        return {"label": self.label, "text": self.text, "basis": self.basis.value}


@dataclass(frozen=True)
class Section:
    key: str
    """Stable name: outcome, record, submitter, time, integrity, completeness, chain,
    checks, how_to_check."""
    title: str
    statements: tuple[Statement, ...]
    note: str = ""
    """A sentence before the statements that says how to read them."""

    def as_json(self) -> dict[str, Any]:
        return {
            "section": self.key,
            "title": self.title,
            "note": self.note,
            "statements": [s.as_json() for s in self.statements],
        }


class ChainSourceKind(StrEnum):
    RPC = "rpc"
    CHAIN_EXPORT = "chain export"
    BLOCK_HASH = "block hash"


@dataclass(frozen=True)
class ChainSource:
    """What the verifier checked the anchor against, as the person asked for it."""

    kind: ChainSourceKind
    detail: str
    """The RPC URL, the export's file name, or the trusted block hash."""


_K = TypeVar("_K", bound=Hashable)


@dataclass(frozen=True)
class Context:
    """What every section is written from: a verified report (at least one record proven)
    and the circumstances of its verification."""

    report: Report
    lang: Lang
    bundle_name: str
    bundle_sha256: str
    chain_source: ChainSource | None

    @property
    def proven(self) -> tuple[Proven, ...]:
        return self.report.proven

    def t(self, zh: str, en: str) -> str:
        return pick(self.lang, zh, en)

    def who(self, positions: Sequence[int], label: str) -> str:
        """`label`, prefixed with the records it is about when it is not about them all."""
        if len(positions) == len(self.proven):
            return label
        numbers = [str(p + 1) for p in positions]
        return self.t(
            f"第 {'、'.join(numbers)} 条 · {label}", f"Record {', '.join(numbers)} · {label}"
        )

    def groups(self, key: Callable[[Proven], _K]) -> list[tuple[list[int], _K]]:
        """Records (by position) that share `key`, in order of first appearance: a case
        bundle's records usually share their anchor and signer, and are then described once."""
        found: dict[_K, list[int]] = {}
        for position, item in enumerate(self.proven):
            found.setdefault(key(item), []).append(position)
        return [(positions, value) for value, positions in found.items()]


def tied(anchor: AnchorFacts) -> bool:
    """Whether the anchoring block was checked against something beyond the bundle itself."""
    return anchor.tied_to in ("rpc", "trusted block hash")
