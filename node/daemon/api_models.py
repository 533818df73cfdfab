"""The bodies of the node's HTTP API as pydantic models: what a request sends and what
the node answers, member by member.

The OpenAPI document (openapi.py) is generated from these models, and tests/api validates
the node's real answers against them, so the document cannot drift from what is served.
A model's `title` is its name in the document (the API's own word, `Receipt`), which
leaves the class a name of its own beside `anchor.log.store.Receipt` and the rest.

The bundles are the protocol's own models (`anchor.protocol.bundle_format`), the anchoring
state the Ethereum side's (`anchor.ethereum.anchor_state`): one grammar for both.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, RootModel

from evanchor.anchor.compliance.rules import RULE_KINDS
from evanchor.anchor.ethereum.anchor_state import AnchorState, Confirmed
from evanchor.anchor.protocol.bundle_format import CaseBundle, CheckpointModel, ProofBundle

Hex64 = Annotated[str, Field(pattern="^[0-9a-f]{64}$")]
MAX_SUBMISSIONS = 1000
"""The most submissions one request may carry (submissions.MAX_RECORDS_PER_REQUEST, restated
here so that the models import nothing of the service; a test holds the two equal)."""


def _named(title: str) -> ConfigDict:
    """Frozen, no other members, and `title` as the model's name in the document."""
    return ConfigDict(frozen=True, extra="forbid", title=title)


class ErrorDetail(BaseModel):
    model_config = _named("ErrorDetail")

    message: str = Field(description="One line naming the fault.")
    field: str | None = Field(description="The member at fault.")
    item: int | None = Field(description="Index in a batch.")


class ErrorAnswer(BaseModel):
    """Every 4xx and 5xx answer that is JSON."""

    model_config = _named("Error")

    error: ErrorDetail


class SubmissionBody(BaseModel):
    """One signed record: the agency's EIP-712 signature over its commitment."""

    model_config = _named("Submission")

    record: dict[str, JsonValue] = Field(description="A record (see `evanchor schema`).")
    salt: str = Field(pattern="^(0x)?[0-9a-fA-F]{64}$")
    signature: str = Field(
        pattern="^(0x)?[0-9a-fA-F]{130}$",
        description="EIP-712 signature over the commitment (PROTOCOL.md §8).",
    )


class SubmissionBatch(BaseModel):
    """Several submissions, appended all or nothing."""

    model_config = _named("SubmissionBatch")

    submissions: list[SubmissionBody] = Field(max_length=MAX_SUBMISSIONS)


class SubmitBody(RootModel[SubmissionBody | SubmissionBatch]):
    model_config = ConfigDict(title="SubmitBody")


class RecordRefAnswer(BaseModel):
    model_config = _named("RecordRef")

    record_id: Hex64
    leaf_index: int = Field(ge=0)


class FlagAnswer(BaseModel):
    """A compliance flag (docs/COMPLIANCE.md, feedback at submission)."""

    model_config = _named("Flag")

    rule_id: str
    rule_version: int
    kind: str = Field(json_schema_extra={"enum": list(RULE_KINDS)})
    agency: str
    case: str
    record: RecordRefAnswer
    related: list[RecordRefAnswer]
    facts: dict[str, JsonValue] = Field(
        description="What the flag rests on (local time, counts, values found)."
    )
    rule_title: str
    points: int
    reason: str = Field(description="Why, in the `lang` asked for.")


class ReceiptAnswer(BaseModel):
    """A record durably appended (or found already in the log: `duplicate`)."""

    model_config = _named("Receipt")

    record_id: Hex64
    index: int = Field(ge=0)
    leaf_hash: Hex64
    accepted_at: str = Field(description="The node's clock, UTC (RFC 3339).")
    duplicate: bool
    flags: list[FlagAnswer] = Field(
        description="Compliance flags the record raises: it is accepted all the same. Computed"
        " from the log, not stored with the record; `evanchor compliance report` recomputes"
        " them."
    )


class RuleSetRef(BaseModel):
    model_config = _named("RuleSetRef")

    id: str
    version: str
    digest: str


class ComplianceAnswer(BaseModel):
    model_config = _named("Compliance")

    rule_set: RuleSetRef = Field(description="The rule set the flags are of.")
    error: str | None = Field(
        default=None,
        description="Set when the flags could not be computed (the records are in the log all"
        " the same).",
    )


class SubmitAnswer(BaseModel):
    model_config = _named("SubmitAnswer")

    receipts: list[ReceiptAnswer]
    compliance: ComplianceAnswer


class RecordStatusAnswer(BaseModel):
    """A record's receipt, the first checkpoint that holds it, and that one's anchor."""

    model_config = _named("RecordStatus")

    record_id: Hex64
    index: int = Field(ge=0)
    leaf_hash: Hex64
    accepted_at: str
    status: Literal["accepted", "sealed", "anchored"]
    checkpoint: CheckpointModel | None
    anchor: Confirmed | None


class CheckpointListing(BaseModel):
    model_config = ConfigDict(frozen=True, title="CheckpointListing")

    seq: int = Field(ge=0)
    size: int = Field(ge=2)
    root: Hex64
    sealed_at: str
    anchor: AnchorState | None = Field(description="Its anchoring state, if any.")


class Checkpoints(RootModel[list[CheckpointListing]]):
    model_config = ConfigDict(title="Checkpoints")


class AnchorListing(BaseModel):
    model_config = _named("AnchorListing")

    checkpoint: CheckpointModel
    anchor: Confirmed


class Anchors(RootModel[list[AnchorListing]]):
    model_config = ConfigDict(title="Anchors")


class SealBody(BaseModel):
    """The empty object: a seal takes no parameters."""

    model_config = _named("SealBody")


class SealAnswer(BaseModel):
    """What `POST /v1/seal` did: the new checkpoint, or null when the latest already covers
    the log's `size` leaves."""

    model_config = _named("Seal")

    sealed: CheckpointModel | None
    size: int = Field(ge=0)


class ShredBody(BaseModel):
    """Why the record is shredded (e.g. the deletion request's reference)."""

    model_config = _named("ShredBody")

    reason: str = Field(description="Kept in the tombstone: no personal data.")


class ShredAnswer(BaseModel):
    """What `POST /v1/records/{record_id}/shred` did: the record at `index` is shredded."""

    model_config = _named("Shredded")

    record_id: Hex64 = Field(description="The id it had: it is no longer in the log's index.")
    index: int = Field(ge=0, description="Its leaf, which stays.")
    shredded_at: str = Field(description="The node's clock, UTC (RFC 3339).")
    reason: str


class AnchoringAnswer(BaseModel):
    """Where a record is proven: its earliest confirmed checkpoint (with the block), else
    its first checkpoint (block null)."""

    model_config = _named("RecordAnchoring")

    checkpoint_seq: int = Field(ge=0)
    block_number: int | None = Field(ge=0)
    block_timestamp: int | None = Field(ge=0)


class LoggedRecordAnswer(BaseModel):
    """A record of the log as the compliance engine reads it."""

    model_config = _named("LoggedRecord")

    record: dict[str, JsonValue] = Field(description="The record as committed.")
    record_id: Hex64
    leaf_index: int = Field(ge=0)
    prev: int | None = Field(description="The leaf of the case's previous record.")
    accepted_at: str
    anchoring: AnchoringAnswer | None = Field(description="Null while no checkpoint holds it.")


class NotCountedAnswer(BaseModel):
    model_config = _named("NotCounted")

    what: str = Field(description='The leaf, e.g. "leaf 7".')
    reason: str = Field(description="Why it is not counted (shredded, missing, invalid).")


class ComplianceRecordsAnswer(BaseModel):
    """One page of the log's records for `evanchor compliance report` beside a running
    node: the leaves from <= i < min(from + limit, size)."""

    model_config = _named("ComplianceRecords")

    size: int = Field(ge=0, description="The log size the pages cover (`to`).")
    records: list[LoggedRecordAnswer]
    not_counted: list[NotCountedAnswer]
    next: int | None = Field(description="`from` of the next page; null on the last.")


class HealthAnswer(BaseModel):
    model_config = _named("Health")

    status: Literal["ok", "failed"]
    log_size: int = Field(ge=0)
    reason: str | None = Field(default=None, description='Set when failed: "log store failed: …".')


class StatusAnswer(RootModel[dict[str, JsonValue]]):
    """`{health, log, chain, anchoring, seal_policy, witnessing, started_at}`: the figures
    `evanchor node status` prints (node/daemon/status.py)."""

    model_config = ConfigDict(title="Status")


class ReportAnswer(RootModel[dict[str, JsonValue]]):
    """The step-by-step report: `outcome` (VERIFIED, NOT VERIFIED, CANNOT VERIFY),
    `assurance`, `steps`, `summary`, `notes`; `valid` is true only for VERIFIED."""

    model_config = ConfigDict(title="Report")


class VerifyBody(RootModel[ProofBundle | CaseBundle]):
    """A proof bundle or a case bundle; anything else is answered with a report that says
    what is wrong with it."""

    model_config = ConfigDict(title="VerifyBody")


__all__ = [
    "AnchorListing",
    "Anchors",
    "CaseBundle",
    "CheckpointListing",
    "Checkpoints",
    "ComplianceRecordsAnswer",
    "ErrorAnswer",
    "HealthAnswer",
    "ProofBundle",
    "ReceiptAnswer",
    "RecordStatusAnswer",
    "ReportAnswer",
    "SealAnswer",
    "SealBody",
    "ShredAnswer",
    "ShredBody",
    "StatusAnswer",
    "SubmitAnswer",
    "SubmitBody",
    "VerifyBody",
]
