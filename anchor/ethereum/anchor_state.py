"""The anchoring state of one checkpoint, as the anchorer persists it (PROTOCOL.md §9.5).

The store keeps each state as a small JSON object (`LogStore.put_anchor_state`); this module
is its one typed reading and writing. A state is one of three shapes, told apart by
`status`:

- `InFlight`: a transaction was signed and persisted (`sending`), broadcast (`sent`), mined
  and failed (`reverted`), or its nonce was used by another transaction (`superseded`).
- `Confirmed`: anchored with enough confirmations. Final.
- `Refused`: the contract will not take this checkpoint. Final until an operator looks.

Parsing is strict: a state with a member missing, of the wrong type or unknown is a
`AnchorStateCorrupt` naming the member, never a half-read dict. The JSON members and their
spelling are unchanged from the untyped states written before, so stores stay readable.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
)

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.log.store import LogStore


class AnchorStatus(StrEnum):
    SENDING = "sending"
    """Signed and persisted, not yet known to be broadcast."""
    SENT = "sent"
    """The node accepted the broadcast."""
    REVERTED = "reverted"
    """Mined and failed; the next step starts a new attempt."""
    SUPERSEDED = "superseded"
    """Another transaction used the nonce; a new attempt follows."""
    CONFIRMED = "confirmed"
    """Anchored with enough confirmations."""
    REFUSED = "refused"
    """The contract will not take this checkpoint."""


class AnchorStateCorrupt(EvanchorError):
    """A persisted anchoring state does not have the shape the anchorer writes."""

    def __init__(self, seq: int | None, member: str, problem: str) -> None:
        where = "an anchoring state" if seq is None else f"the anchoring state of checkpoint {seq}"
        super().__init__(f"{where} is corrupt: {member}: {problem}")
        self.seq = seq
        self.member = member
        self.problem = problem


def _from_hex(value: object) -> object:
    if isinstance(value, str):
        if value != value.lower() or value.startswith("0x"):
            raise ValueError("expected lower-case hex without 0x")
        return bytes.fromhex(value)
    return value


def _to_hex(value: bytes) -> str:
    return value.hex()


Hex = Annotated[bytes, BeforeValidator(_from_hex), PlainSerializer(_to_hex, return_type=str)]
"""Bytes kept as lower-case hex without 0x in the JSON."""
Hash32 = Annotated[Hex, Field(min_length=32, max_length=32)]


class _State(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)

    seq: int = Field(ge=0)
    size: int = Field(ge=1)
    root: Hash32
    attempts: tuple[str, ...] = ()
    """Every transaction hash (hex) ever signed for this checkpoint, oldest first."""


class InFlight(_State):
    """A transaction for the checkpoint exists; it may still be mined unless reverted or
    superseded."""

    status: Literal[
        AnchorStatus.SENDING, AnchorStatus.SENT, AnchorStatus.REVERTED, AnchorStatus.SUPERSEDED
    ]
    proof_from: int = Field(ge=0)
    nonce: int = Field(ge=0)
    tx_hash: Hash32
    raw_tx: Hex
    gas: int = Field(ge=0)
    fees: dict[str, int]
    prepared_at: float
    nonce_attempts: tuple[str, ...] = ()
    """The hashes signed with this `nonce`: one of them may be mined."""
    sent_at: float | None = None
    reverted_tx_hash: Hash32 | None = None
    reverted_in_block: int | None = None
    reason: str | None = None

    @property
    def may_still_be_mined(self) -> bool:
        return self.status in (AnchorStatus.SENDING, AnchorStatus.SENT)


class Confirmed(_State):
    """The checkpoint is anchored: where, and how many confirmations were seen."""

    status: Literal[AnchorStatus.CONFIRMED]
    chain_id: int = Field(ge=1)
    contract: str
    writer: str
    checkpoint_index: int = Field(ge=0)
    tx_hash: Hash32
    block_number: int = Field(ge=0)
    block_hash: Hash32
    block_timestamp: int = Field(ge=0)
    log_index: int = Field(ge=0)
    confirmations: int = Field(ge=1)


class Refused(_State):
    """The contract refuses the checkpoint, for `reason`."""

    status: Literal[AnchorStatus.REFUSED]
    reason: str


AnchorState = Annotated[InFlight | Confirmed | Refused, Field(discriminator="status")]
_ADAPTER: TypeAdapter[InFlight | Confirmed | Refused] = TypeAdapter(AnchorState)


def parse_anchor_state(value: dict[str, Any]) -> InFlight | Confirmed | Refused:
    """The typed state of a JSON object as the store returns it.

    Raises AnchorStateCorrupt naming the first member at fault.
    """
    try:
        return _ADAPTER.validate_python(value)
    except ValidationError as error:
        first = error.errors()[0]
        member = ".".join(str(part) for part in first["loc"]) or "status"
        seq = value.get("seq") if isinstance(value.get("seq"), int) else None
        raise AnchorStateCorrupt(seq, member, first["msg"]) from None


def state_json(state: InFlight | Confirmed | Refused) -> dict[str, Any]:
    """The JSON object to persist (`LogStore.put_anchor_state`)."""
    return json.loads(state.model_dump_json(exclude_none=True))  # type: ignore[no-any-return]


def stored_state(store: LogStore, seq: int) -> InFlight | Confirmed | Refused | None:
    """Checkpoint `seq`'s anchoring state as kept, or None if it has none yet."""
    raw = store.anchor_state(seq)
    return None if raw is None else parse_anchor_state(raw)


def confirmed_state(store: LogStore, seq: int) -> Confirmed | None:
    """Checkpoint `seq`'s anchoring, if it is confirmed; None while it is not (yet)."""
    raw = store.anchor_state(seq)
    if raw is None or raw.get("status") != AnchorStatus.CONFIRMED:
        return None
    state = parse_anchor_state(raw)
    assert isinstance(state, Confirmed)
    return state
