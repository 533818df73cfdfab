"""Proof bundles and case bundles, version 2, as typed models (docs/PROTOCOL.md §5).

The models are the bundle's grammar, shared by the code that builds bundles and the code
that checks them: strict (no coercion: `"3"` is not an integer, `true` is not 1), closed
(`extra="forbid"` at every level: an unknown member is refused, never ignored), frozen.
Hex is lower case without `0x`, of the stated length; addresses are EIP-55; every integer
is within [0, 2^53 - 1] (exact in a JSON number, so any language reads it the same) with
tighter bounds where the protocol has them (a tree size is at least 1, a chain id at least 1).

`parse` turns the first problem into `BundleMalformed`, which names the member by its JSON
path (`anchor.storage_proofs[1].value`) and says what was expected and what was found.

What the models do not check is what the verification steps check (verify/bundle.py): that
hashes match, proofs lead to roots, the record is valid under its schema.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Final, Literal, TypeVar

from eth_utils.address import is_checksum_address
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, ValidationError

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.protocol.errors import format_path

BUNDLE_FORMAT: Final = "evanchor/proof-bundle"
CASE_BUNDLE_FORMAT: Final = "evanchor/case-bundle"
SHREDDED_RECORD_FORMAT: Final = "evanchor/shredded-record"
BUNDLE_VERSION: Final = 2

MAX_SAFE_INTEGER = 2**53 - 1
"""Largest integer anywhere in a bundle: exact in an IEEE 754 double (I-JSON, RFC 7493)."""

MAX_PROOF_HASHES = 64
"""An RFC 9162 inclusion proof in a tree below 2^64 leaves has at most 64 hashes."""

MAX_TRIE_NODES = 64
"""A Merkle-Patricia path for a 32-byte key has at most 65 nodes; real proofs have under 12."""

MAX_TRIE_NODE_BYTES = 1024
"""A trie node is at most a branch of 16 32-byte references and a value: ~600 bytes."""

MAX_HEADER_BYTES = 8192
"""A block header is ~600 bytes; the cap leaves room for any fork's added fields."""

MAX_NOTE_CHARS = 32768
"""A checkpoint note is ~200 characters a signature line; at most 100 lines (§10.2)."""

NOTE_MEMBER: Final = "checkpoint_note"
"""The optional member of a proof or case bundle that carries the checkpoint's signed note
with its cosignatures (§5.4); absent and null mean the same."""

_LOWER_HEX = re.compile(r"(?:[0-9a-f]{2})*")
_NODE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
_CASE_KEY = re.compile(r"(?:collection|auction)/.+", re.DOTALL)
_CREDIT_CODE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")


class BundleMalformed(EvanchorError):
    """A bundle does not follow the grammar; `path` names the member (JSON path)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def _show(value: str) -> str:
    return repr(value) if len(value) <= 20 else repr(value[:17] + "...")


def _hex(size: int | None, maximum: int | None = None) -> Any:
    """A check: lower-case hex without 0x, of `size` bytes (any even length if None, at
    least one byte and at most `maximum`)."""
    digits = "an even number of" if size is None else f"{2 * size}"

    def check(value: str) -> str:
        if _LOWER_HEX.fullmatch(value) is None or (size is not None and len(value) != 2 * size):
            raise ValueError(
                f"expected {digits} lower-case hex digits without 0x, got {_show(value)}"
            )
        if size is None and not value:
            raise ValueError("expected at least one byte of hex, got an empty string")
        if maximum is not None and len(value) > 2 * maximum:
            raise ValueError(f"expected at most {maximum} bytes, got {len(value) // 2}")
        return value

    return AfterValidator(check)


def _address(value: str) -> str:
    if not is_checksum_address(value):
        raise ValueError(f"expected an EIP-55 checksummed 0x address, got {_show(value)}")
    return value


def _node_time(value: str) -> str:
    """The node's one timestamp form, YYYY-MM-DDTHH:MM:SS.mmmZ, and a real UTC moment."""
    if _NODE_TIME.fullmatch(value) is None:
        raise ValueError(f"expected YYYY-MM-DDTHH:MM:SS.mmmZ (UTC), got {_show(value)}")
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a real date and time: {_show(value)}") from None
    return value


def _case_key(value: str) -> str:
    if _CASE_KEY.fullmatch(value) is None:
        raise ValueError(f"expected collection/<case id> or auction/<lot id>, got {_show(value)}")
    return value


def _credit_code(value: str) -> str:
    if _CREDIT_CODE.fullmatch(value) is None:
        raise ValueError(f"expected an 18-character unified social credit code, got {_show(value)}")
    return value


Hex32 = Annotated[str, _hex(32)]
Signature65 = Annotated[str, _hex(65)]
TrieNode = Annotated[str, _hex(None, MAX_TRIE_NODE_BYTES)]
HeaderRlp = Annotated[str, _hex(None, MAX_HEADER_BYTES)]
Address = Annotated[str, AfterValidator(_address)]
NodeTime = Annotated[str, AfterValidator(_node_time)]
CaseKey = Annotated[str, AfterValidator(_case_key)]
CreditCode = Annotated[str, AfterValidator(_credit_code)]
Index = Annotated[int, Field(ge=0, le=MAX_SAFE_INTEGER)]
Count = Annotated[int, Field(ge=1, le=MAX_SAFE_INTEGER)]
HashPath = Annotated[list[Hex32], Field(max_length=MAX_PROOF_HASHES)]
One = Annotated[int, Field(ge=1, le=1)]
"""The integer 1. Not a literal type: pydantic's literal check takes `true` for 1 (True == 1
in Python), and a verifier that hashed the parsed value would then hash another leaf than
the bundle's."""
Two = Annotated[int, Field(ge=2, le=2)]
"""The integer 2 (see `One`)."""
TriePath = Annotated[list[TrieNode], Field(min_length=1, max_length=MAX_TRIE_NODES)]


NoteText = Annotated[str, Field(min_length=1, max_length=MAX_NOTE_CHARS)]
"""A C2SP signed note as text; its syntax is the checkpoint note step's (verify/bundle.py),
so that a malformed note fails there, naming the line at fault."""


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    def as_json(self) -> dict[str, Any]:
        dumped: dict[str, Any] = self.model_dump(mode="json")
        return dumped


def _without_absent_note(dumped: dict[str, Any]) -> dict[str, Any]:
    """`dumped` without a null `checkpoint_note`: absent and null mean the same (§5.4), and
    a bundle without a note keeps the bytes it had before the member existed."""
    if dumped.get(NOTE_MEMBER, "") is None:
        del dumped[NOTE_MEMBER]
    return dumped


class RecordLeafModel(_Strict):
    """A record's leaf envelope (§3)."""

    accepted_at: NodeTime
    agency: CreditCode
    case: CaseKey
    commitment: Hex32
    kind: Literal["collection_checkpoint", "auction_record"]
    prev: Index | None
    v: One


class AnchorTargetModel(_Strict):
    """Where a log anchors (§9.1): the bundle's `log` member and the seal leaf's
    `anchored_to`."""

    chain_id: Count
    contract: Address
    genesis_hash: Hex32
    writer: Address


class SealLeafModel(_Strict):
    """A checkpoint's seal leaf (§4)."""

    anchored_to: AnchorTargetModel | None
    cases: Count
    cases_root: Hex32
    kind: Literal["seal"]
    sealed_at: NodeTime
    seq: Index
    signed: bool
    size: Annotated[int, Field(ge=2, le=MAX_SAFE_INTEGER)]
    v: One


class CheckpointModel(_Strict):
    """{seq, size, root, sealed_at}: the first `size` leaves hash to `root`."""

    root: Hex32
    sealed_at: NodeTime
    seq: Index
    size: Annotated[int, Field(ge=2, le=MAX_SAFE_INTEGER)]


class SealProof(_Strict):
    """The checkpoint's seal leaf and its inclusion proof at index `size - 1`."""

    inclusion_proof: HashPath
    leaf: SealLeafModel


class StorageProofModel(_Strict):
    proof: TriePath
    slot: Hex32
    value: Hex32


class AnchorSection(_Strict):
    """The anchoring transaction and its chain evidence (§9.2)."""

    account_proof: TriePath
    block_hash: Hex32
    block_number: Index
    block_timestamp: Index
    chain_id: Count
    checkpoint_index: Index
    contract: Address
    header_rlp: HeaderRlp
    log_index: Index
    storage_proofs: Annotated[list[StorageProofModel], Field(min_length=2, max_length=2)]
    tx_hash: Hex32
    writer: Address


class SignatureSection(_Strict):
    """The agency's EIP-712 signature over the commitment and the address it recovers to."""

    signature: Signature65
    signer: Address


class ProofBundle(_Strict):
    """One record with everything needed to check it (§5)."""

    format: Literal["evanchor/proof-bundle"]
    version: Two
    record: dict[str, JsonValue]
    salt: Hex32
    commitment: Hex32
    leaf: RecordLeafModel
    leaf_index: Index
    leaf_hash: Hex32
    inclusion_proof: HashPath
    checkpoint: CheckpointModel
    seal: SealProof
    log: AnchorTargetModel | None
    anchor: AnchorSection | None
    signature: SignatureSection | None
    checkpoint_note: NoteText | None = None
    """The checkpoint's signed note with every cosignature kept (§5.4); optional."""

    def as_json(self) -> dict[str, Any]:
        return _without_absent_note(super().as_json())


class ShreddedRecord(_Strict):
    """A case's record whose text and salt the node no longer has (or does not disclose):
    its leaf, proven in the checkpoint, keeps the case's chain of links whole (§11)."""

    format: Literal["evanchor/shredded-record"]
    version: Two
    leaf: RecordLeafModel
    leaf_index: Index
    leaf_hash: Hex32
    inclusion_proof: HashPath
    checkpoint: CheckpointModel
    seal: SealProof


class CaseEntryModel(_Strict):
    """A case's entry in the case index: its last record and how many it has."""

    case: CaseKey
    count: Count
    head: Index


class CaseIndexProofModel(_Strict):
    """Entry `number` of the seal leaf's `cases` entries, and its inclusion proof."""

    entry: CaseEntryModel
    inclusion_proof: HashPath
    number: Index


class CaseBundle(_Strict):
    """Every record of one case up to one checkpoint, in leaf order, and the checkpoint's
    case index entry that says how many there are and which is last (§5)."""

    format: Literal["evanchor/case-bundle"]
    version: Two
    case: CaseKey
    checkpoint: CheckpointModel
    seal: SealProof
    case_index: CaseIndexProofModel
    records: list[ProofBundle | ShreddedRecord]
    checkpoint_note: NoteText | None = None
    """As a proof bundle's, for the case bundle's checkpoint; its records carry none."""

    def as_json(self) -> dict[str, Any]:
        dumped = _without_absent_note(super().as_json())
        dumped["records"] = [_without_absent_note(record) for record in dumped["records"]]
        return dumped


_Model = TypeVar("_Model", bound=BaseModel)


def parse(model: type[_Model], value: Any, *, at: tuple[str | int, ...] = ()) -> _Model:
    """`value` as `model`, or BundleMalformed naming the first problem's member.

    `at` is the path of `value` inside its bundle (("anchor",) for the anchor section), so
    that the error names the member from the bundle's top.
    """
    try:
        return model.model_validate(value)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        path = format_path((*at, *first["loc"]))
        raise BundleMalformed(path, _reason(first)) from None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number with a fraction or exponent ({value!r})"
    if isinstance(value, str):
        return f"a string ({_show(value)})"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _reason(error: Any) -> str:
    """One phrase for one pydantic error, saying what was expected and what was found."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    got = _json_type(value)
    phrases = {
        "missing": "required member is missing",
        "extra_forbidden": "unknown member (not part of the bundle format)",
        "int_type": f"expected an integer, got {got}",
        "string_type": f"expected a string, got {got}",
        "bool_type": f"expected true or false, got {got}",
        "list_type": f"expected an array, got {got}",
        "dict_type": f"expected an object, got {got}",
        "model_type": f"expected an object, got {got}",
        "model_attributes_type": f"expected an object, got {got}",
        "none_required": f"expected null, got {got}",
    }
    if kind in phrases:
        return phrases[kind]
    if kind == "literal_error":
        return f"expected {ctx['expected']}, got {got}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}, got {value}"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}, got {value}"
    if kind == "too_long":
        return f"must have at most {ctx['max_length']} items, got {ctx['actual_length']}"
    if kind == "too_short":
        return f"must have at least {ctx['min_length']} items, got {ctx['actual_length']}"
    if kind == "value_error":
        return str(ctx["error"])
    return str(error["msg"])
