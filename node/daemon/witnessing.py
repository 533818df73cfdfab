"""Signed checkpoints and witness cosignatures (PROTOCOL.md §10, docs/WITNESS.md).

After every seal the node signs the new checkpoint as a C2SP note with its log key and keeps
it in the log store (`sign_pending`). One thread per configured witness then offers each
signed checkpoint, in order, to that witness (tlog-witness add-checkpoint, with the
consistency proof from the size the witness last cosigned) and keeps every cosignature it
gets back, after checking it against the witness's key.

These threads never hold up sealing or anchoring: a witness that does not answer is retried
with a backoff doubling up to `retry_max_seconds`, and the policy (k of n) is reported unmet
meanwhile. A refusal is something else: a witness that answers 422 (the checkpoint is not
consistent with what it saw), or that holds a larger size than this log ever signed, has
seen another version of this log. That is logged as an error on every attempt and shown by
`node status` until the witness cosigns again.
"""

from __future__ import annotations

import base64
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import requests
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.checkpoint import Checkpoint
from evanchor.anchor.protocol.errors import NoteMalformed
from evanchor.anchor.protocol.note import Note, NoteSigner, VerifierKey, parse_signature_line
from evanchor.anchor.protocol.tlog_checkpoint import CheckpointBody
from evanchor.node.daemon.home import NodeConfig, WitnessEndpoint, WitnessPolicy
from evanchor.node.daemon.metrics import NodeMetrics

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 10.0
"""One add-checkpoint request; a witness answers in milliseconds when it is up."""
IDLE_WAIT_SECONDS = 5.0
"""How long a witness thread sleeps with nothing to submit (a seal wakes it at once)."""
FIRST_RETRY_SECONDS = 0.5
"""The first backoff after a failure; it doubles up to the policy's retry_max_seconds."""
SIZE_CONTENT_TYPE = "text/x.tlog.size"


def _meta_name(witness: str) -> str:
    return f"witness/{witness}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- signing -------------------------------------------------------------------------------


def checkpoint_body(origin: str, checkpoint: Checkpoint) -> CheckpointBody:
    return CheckpointBody(origin, checkpoint.size, checkpoint.root)


def sign_checkpoint(signer: NoteSigner, checkpoint: Checkpoint) -> bytes:
    """Checkpoint as a C2SP signed note; the log key's name is the origin."""
    text = checkpoint_body(signer.name, checkpoint).text()
    return Note(text, (signer.sign(text),)).to_bytes()


def sign_pending(store: LogStore, signer: NoteSigner) -> int:
    """Sign and keep every sealed checkpoint not signed yet; returns how many.

    Checkpoints are signed in order right after their seal, so the unsigned ones are at the
    end: this walks back from the latest to the first signed one (one read when all are).
    """
    seq = store.checkpoint_count
    while seq > 0 and store.signed_checkpoint(seq - 1) is None:
        seq -= 1
    signed = 0
    for pending in range(seq, store.checkpoint_count):
        store.put_signed_checkpoint(pending, sign_checkpoint(signer, store.checkpoint(pending)))
        signed += 1
    return signed


def seal_and_sign(store: LogStore, signer: NoteSigner | None) -> Checkpoint | None:
    """`store.seal()`, then the new checkpoint signed (when the node has a log key)."""
    checkpoint = store.seal()
    if signer is not None:
        sign_pending(store, signer)
    return checkpoint


def seq_of_size(store: LogStore, size: int) -> int | None:
    """The checkpoint of tree size `size`, by binary search (sizes increase with seq)."""
    low, high = 0, store.checkpoint_count
    while low < high:
        middle = (low + high) // 2
        found = store.checkpoint(middle).size
        if found == size:
            return middle
        if found < size:
            low = middle + 1
        else:
            high = middle
    return None


# -- one witness ---------------------------------------------------------------------------


class Refusal(StrEnum):
    """Why a witness would not cosign. The first two mean a split view."""

    INCONSISTENT = "inconsistent"
    """422: not consistent with what the witness saw (another log at some size)."""
    AHEAD = "ahead"
    """409 with a size larger than any checkpoint this log signed."""
    SIGNATURE_REJECTED = "signature_rejected"
    """403: the witness does not trust this log's key (or the signature failed)."""
    UNKNOWN_LOG = "unknown_log"
    """404: the witness does not follow this log's origin."""
    BAD_REQUEST = "bad_request"
    """400, or another 4xx."""
    BAD_ANSWER = "bad_answer"
    """200 without a valid cosignature of the configured key, or a 409 without a size."""


SPLIT_VIEW = frozenset({Refusal.INCONSISTENT, Refusal.AHEAD})


class StepKind(StrEnum):
    IDLE = "idle"
    """Every signed checkpoint is cosigned (or skipped: the witness was past it)."""
    PROGRESS = "progress"
    """Something changed; step again at once."""
    RETRY = "retry"
    """The witness is down or refused: wait the backoff."""


@dataclass(frozen=True)
class _Answer:
    status: int
    content_type: str
    text: str


class LastCosigned(BaseModel):
    """The latest cosignature the witness gave: of checkpoint `seq` (tree size `size`), at
    the witness's `timestamp` (unix seconds)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int = Field(ge=0)
    size: int = Field(ge=0)
    timestamp: int = Field(ge=0)


class WitnessRefusal(BaseModel):
    """The witness's current refusal: of checkpoint `seq`, with its HTTP `status` and first
    line, at the node's time `at`; `split_view` when it means another log was shown."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Refusal
    status: int
    seq: int = Field(ge=0)
    reason: str
    split_view: bool
    at: str


class WitnessProgress(BaseModel):
    """One witness's persisted state (store meta `witness/<name>`): the size it last
    cosigned as far as the node knows, the next checkpoint to offer, the latest
    cosignature, the current refusal and the current outage. Kept as the JSON object it
    always was; a state saved before a member existed reads with its default."""

    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    name: str
    url: str
    size: int | None = Field(default=None, ge=0)
    next_seq: int = Field(default=0, ge=0)
    last_cosigned: LastCosigned | None = None
    refusal: WitnessRefusal | None = None
    unreachable_since: str | None = None
    last_error: str | None = None
    failures: int = Field(default=0, ge=0)


class WitnessStateCorrupt(EvanchorError):
    """A witness's persisted state is not a `WitnessProgress`: `member` is at fault."""

    def __init__(self, name: str, member: str, problem: str) -> None:
        super().__init__(f"store meta {_meta_name(name)}: {member}: {problem}")
        self.name = name
        self.member = member
        self.problem = problem


def witness_progress(store: LogStore, endpoint: WitnessEndpoint) -> WitnessProgress:
    """The saved state of the witness at `endpoint` (a fresh one if none is saved)."""
    saved = store.meta(_meta_name(endpoint.name)) or {}
    try:
        return WitnessProgress.model_validate({**saved, "name": endpoint.name, "url": endpoint.url})
    except ValidationError as error:
        first = error.errors()[0]
        member = ".".join(str(part) for part in first["loc"]) or "state"
        raise WitnessStateCorrupt(endpoint.name, member, first["msg"]) from None


def _refusal_for(status: int) -> Refusal:
    return {
        422: Refusal.INCONSISTENT,
        403: Refusal.SIGNATURE_REJECTED,
        404: Refusal.UNKNOWN_LOG,
    }.get(status, Refusal.BAD_REQUEST)


class WitnessClient:
    """Submits one log's signed checkpoints to one witness, in order; state in the store.

    The persisted state (store meta `witness/<name>`) holds the size the witness last
    cosigned as far as the node knows (`size`), the next checkpoint to offer (`next_seq`),
    the latest cosignature, the current refusal and the current outage.
    """

    def __init__(
        self,
        store: LogStore,
        endpoint: WitnessEndpoint,
        signer: NoteSigner,
        metrics: NodeMetrics | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.endpoint = endpoint
        self.key: VerifierKey = endpoint.key
        self.signer = signer
        self._session = requests.Session()
        self.progress = witness_progress(store, endpoint)

    @property
    def state(self) -> dict[str, Any]:
        """The persisted state as the JSON object kept in the store."""
        return self.progress.model_dump(mode="json")

    def _save(self) -> None:
        self.store.put_meta(_meta_name(self.key.name), self.state)

    def close(self) -> None:
        self._session.close()

    def _post(self, body: bytes) -> _Answer:
        response = self._session.post(
            self.endpoint.url.rstrip("/") + "/add-checkpoint",
            data=body,
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        return _Answer(response.status_code, content_type, response.text)

    def step(self) -> StepKind:
        """Offer the next signed checkpoint once; never raises for a witness's behaviour."""
        seq = self.progress.next_seq
        if seq >= self.store.checkpoint_count:
            return StepKind.IDLE
        note = self.store.signed_checkpoint(seq)
        if note is None:
            return StepKind.IDLE
        checkpoint = self.store.checkpoint(seq)
        old = self.progress.size or 0
        if old > checkpoint.size:
            return self._witness_is_past(seq, old)
        proof = (
            []
            if old in (0, checkpoint.size)
            else self.store.consistency_proof(old, checkpoint.size)
        )
        lines = [f"old {old}", *(_b64(node) for node in proof)]
        body = ("\n".join(lines) + "\n\n").encode() + note
        try:
            answer = self._post(body)
        except requests.RequestException as error:
            return self._unreachable(f"{type(error).__name__}: {str(error)[:200]}")
        if answer.status == 200:
            return self._cosigned(seq, checkpoint, answer.text)
        if answer.status == 409:
            return self._conflict(seq, old, answer)
        if answer.status >= 500:
            return self._unreachable(f"HTTP {answer.status}: {answer.text.strip()[:200]}")
        return self._refused(_refusal_for(answer.status), answer.status, seq, answer.text)

    def _witness_is_past(self, seq: int, size: int) -> StepKind:
        latest = self.store.latest_checkpoint()
        if latest is not None and size > latest.size:
            return self._refused(
                Refusal.AHEAD,
                409,
                seq,
                f"the witness holds size {size}, larger than any checkpoint this log signed"
                f" ({latest.size}): someone showed it another log",
            )
        # It cosigned a later checkpoint already (for instance after an outage of the node's
        # own records): this one can no longer be offered.
        self.progress.next_seq = seq + 1
        self._save()
        return StepKind.PROGRESS

    def _cosigned(self, seq: int, checkpoint: Checkpoint, text: str) -> StepKind:
        body = checkpoint_body(self.signer.name, checkpoint).text()
        found = None
        for number, line in enumerate(text.splitlines(), start=1):
            try:
                signature = parse_signature_line(line, f"answer line {number}")
            except NoteMalformed:
                continue
            if (
                self.key.matches(signature)
                and self.key.verify(body, signature)
                and signature.cosignature_timestamp() > 0
            ):
                found = signature
                break
        if found is None:
            return self._refused(
                Refusal.BAD_ANSWER,
                200,
                seq,
                f"no valid cosignature of {self.key.key} in the answer",
            )
        # A cosignature kept before a crash stays: its timestamp is the earlier one.
        if self.key.name not in self.store.cosignatures(seq):
            self.store.put_cosignature(seq, self.key.name, found.line())
        self.progress = self.progress.model_copy(
            update={
                "size": checkpoint.size,
                "next_seq": seq + 1,
                "last_cosigned": LastCosigned(
                    seq=seq, size=checkpoint.size, timestamp=found.cosignature_timestamp()
                ),
                "refusal": None,
                "unreachable_since": None,
                "last_error": None,
                "failures": 0,
            }
        )
        self._save()
        if self.metrics is not None:
            self.metrics.witness_cosignatures.labels(self.key.name).inc()
        log.info("witness %s cosigned checkpoint %d (size %d)", self.key.name, seq, checkpoint.size)
        return StepKind.PROGRESS

    def _conflict(self, seq: int, old: int, answer: _Answer) -> StepKind:
        text = answer.text.strip()
        if answer.content_type != SIZE_CONTENT_TYPE or not text.isdigit():
            return self._refused(Refusal.BAD_ANSWER, 409, seq, f"409 without a size: {text[:100]}")
        size = int(text)
        latest = self.store.latest_checkpoint()
        if size == old:
            return self._refused(Refusal.BAD_ANSWER, 409, seq, f"409 naming our own old size {old}")
        if size > self.store.size or (latest is not None and size > latest.size):
            return self._witness_is_past(seq, size)
        self.progress.size = size
        self._save()
        return StepKind.PROGRESS

    def _unreachable(self, reason: str) -> StepKind:
        if self.progress.unreachable_since is None:
            self.progress.unreachable_since = _now()
            log.warning("witness %s does not answer: %s", self.key.name, reason)
        self.progress.last_error = reason
        self.progress.failures += 1
        self._save()
        if self.metrics is not None:
            self.metrics.witness_unreachable.labels(self.key.name).inc()
        return StepKind.RETRY

    def _refused(self, kind: Refusal, status: int, seq: int, reason: str) -> StepKind:
        reason = reason.strip().splitlines()[0][:300] if reason.strip() else f"HTTP {status}"
        level = logging.ERROR
        if kind in SPLIT_VIEW:
            message = "SPLIT VIEW: witness %s refused checkpoint %d (%s, HTTP %d): %s"
        else:
            message = "witness %s refused checkpoint %d (%s, HTTP %d): %s"
        log.log(level, message, self.key.name, seq, kind.value, status, reason)
        if self.metrics is not None:
            self.metrics.witness_refusals.labels(self.key.name, kind.value).inc()
        self.progress = self.progress.model_copy(
            update={
                "refusal": WitnessRefusal(
                    kind=kind,
                    status=status,
                    seq=seq,
                    reason=reason,
                    split_view=kind in SPLIT_VIEW,
                    at=_now(),
                ),
                "unreachable_since": None,
                "last_error": reason,
                "failures": self.progress.failures + 1,
            }
        )
        self._save()
        return StepKind.RETRY

    def backoff(self, retry_max: float) -> float:
        failures = self.progress.failures
        return min(FIRST_RETRY_SECONDS * 2.0 ** max(0, failures - 1), retry_max)


def _b64(node: bytes) -> str:
    return base64.b64encode(node).decode()


class WitnessThread(threading.Thread):
    """Runs one `WitnessClient` until stopped; woken by each seal."""

    def __init__(self, client: WitnessClient, retry_max: float) -> None:
        super().__init__(name=f"evanchor-witness-{client.key.name}", daemon=True)
        self.client = client
        self._retry_max = retry_max
        self._wake = threading.Event()
        self._stopping = threading.Event()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                if self.client.store.failure is not None:
                    # A failed log store keeps no cosignature: wait for the restart
                    # (store.py, "Failed writes"); the store said why, once.
                    self._wake.wait(IDLE_WAIT_SECONDS)
                    self._wake.clear()
                    continue
                try:
                    kind = self.client.step()
                except Exception:  # a bug or the store: never let the thread die silently
                    log.exception("witness %s: step failed", self.client.key.name)
                    kind = StepKind.RETRY
                if kind is StepKind.PROGRESS:
                    continue
                wait = (
                    IDLE_WAIT_SECONDS
                    if kind is StepKind.IDLE
                    else self.client.backoff(self._retry_max)
                )
                self._wake.wait(wait)
                self._wake.clear()
        finally:
            self.client.close()


class Witnessing:
    """The witness threads of a running node (none when no witness is configured)."""

    def __init__(
        self,
        store: LogStore,
        policy: WitnessPolicy,
        signer: NoteSigner,
        metrics: NodeMetrics | None = None,
    ) -> None:
        self.threads = [
            WitnessThread(WitnessClient(store, endpoint, signer, metrics), policy.retry_max_seconds)
            for endpoint in policy.witnesses
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def wake(self) -> None:
        for thread in self.threads:
            thread.wake()

    def stop(self) -> None:
        for thread in self.threads:
            thread.stop()

    def join(self, timeout: float | None = None) -> None:
        for thread in self.threads:
            thread.join(timeout)


# -- status --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LatestCosigned:
    """The latest signed checkpoint and the trusted witnesses that cosigned it."""

    seq: int
    size: int
    cosigned_by: tuple[str, ...]
    quorum: int

    @property
    def policy_met(self) -> bool:
        return len(self.cosigned_by) >= self.quorum

    def as_json(self) -> dict[str, JsonValue]:
        return {
            "seq": self.seq,
            "size": self.size,
            "cosigned_by": list(self.cosigned_by),
            "policy_met": self.policy_met,
        }


def latest_cosigned(store: LogStore, policy: WitnessPolicy) -> LatestCosigned | None:
    """The latest checkpoint's cosignatures by the policy's witnesses; None while the latest
    checkpoint is not signed (or there is none)."""
    latest_seq = store.checkpoint_count - 1
    if latest_seq < 0 or store.signed_checkpoint(latest_seq) is None:
        return None
    trusted = {w.name for w in policy.witnesses}
    cosigned = tuple(name for name in sorted(store.cosignatures(latest_seq)) if name in trusted)
    return LatestCosigned(latest_seq, store.checkpoint(latest_seq).size, cosigned, policy.quorum)


def witnessing_status(
    store: LogStore, config: NodeConfig, signer: NoteSigner | None
) -> dict[str, Any]:
    """The log key, the policy, the latest signed checkpoint's cosignatures, each witness's
    state and every current refusal, as `GET /v1/status` serves them. O(witnesses) reads."""
    policy = config.witnessing
    latest = latest_cosigned(store, policy)
    witnesses = []
    for endpoint in policy.witnesses:
        witnesses.append(
            witness_progress(store, endpoint).model_dump(
                mode="json", exclude={"next_seq", "failures"}
            )
        )
    return {
        "log_key": None if signer is None else str(signer.verifier),
        "origin": None if signer is None else signer.name,
        "quorum": policy.quorum,
        "witnesses": witnesses,
        "latest": None if latest is None else latest.as_json(),
        "policy_met": None if latest is None else latest.policy_met,
        "refusals": [
            {"witness": w["name"], **refusal}
            for w in witnesses
            if isinstance(refusal := w["refusal"], dict)
        ],
    }
