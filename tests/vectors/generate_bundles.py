"""Regenerate the named bundle vectors (tests/vectors/bundles/*.json) and the audit vectors
(tests/vectors/audit/*.json). Run from the repository root:

    python tests/vectors/generate_bundles.py

Every output is deterministic: fixed records, salts, keys and clocks. The anchored bundles
come from an in-memory embedded chain (py-evm under Clique) whose clock stands still, on
which fixed keys deploy EvidenceAnchor, register the agency and anchor the log, one
transaction per block. tests/anchor/test_bundle_vectors.py checks that the committed files
are exactly what this script writes, and that the Python verifier gives each vector its
expected outcome, assurance level and failing step; a second verifier reads the same files.

A bundle vector is one JSON object:

    description   what was done to the bundle, in words
    kind          "proof-bundle" or "case-bundle"
    options       {"trusted_block_hash": hex | null, "rpc": null | "unreachable"}:
                  what the verifier is given besides the bundle ("unreachable": a JSON-RPC
                  URL where nothing listens)
    expected      {"outcome", "assurance", "failing_step"}: the outcome, the assurance level
                  ("none" when not verified) and the name of the step that fails (null when
                  none does; for CANNOT VERIFY, the step that could not be made)
    bundle        the bundle

An audit vector holds a whole small log (every LevelDB key and value, hex), the changes
made to it (put or delete), and the discrepancies `evanchor audit` must name.
"""

from __future__ import annotations

import contextlib
import copy
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import plyvel
from eth_account import Account
from eth_keys.datatypes import PrivateKey

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.ethereum.anchor_state import confirmed_state
from evanchor.anchor.ethereum.anchorer import Anchorer, RetryPolicy, StepKind
from evanchor.anchor.ethereum.evidence import build_anchor_evidence
from evanchor.anchor.log.bundle import build_bundle, build_case_bundle
from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.store import LogStore, PreparedRecord
from evanchor.anchor.protocol.seal_leaf import AnchorTarget
from evanchor.anchor.protocol.signing import SigningDomain, sign_commitment
from evanchor.node.chain.embedded import EmbeddedChain
from evanchor.node.chain.genesis import Genesis
from evanchor.node.chain.kvstore import MemoryKV
from evanchor.node.daemon.chain_access import serving

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BUNDLES = HERE / "bundles"
AUDIT = HERE / "audit"

ACCEPTED = datetime(2026, 11, 29, 2, 15, 30, 125000, tzinfo=UTC)
CHAIN_TIME = 1_796_000_000
"""Every block's timestamp (2026-11-30T...Z): the chain's clock stands still."""
CHAIN_ID = 7107
SEALER = PrivateKey(b"\x51" * 32)
ADMIN = Account.from_key(b"\x52" * 32)
WRITER = Account.from_key(b"\x53" * 32)
AGENCY = Account.from_key(b"\x54" * 32)
AGENCY_CODE = "91310115MA1K3TQ00E"
"""The credit code of the sample collection records' agency."""
CASE = "collection/C-2026-000117"


def _salt(n: int) -> bytes:
    return bytes([n]) * 32


def _objects(name: str) -> list[dict[str, Any]]:
    path = ROOT / "tests" / "data" / "records" / name
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def _prepared(objects: list[dict[str, Any]], first_salt: int) -> list[PreparedRecord]:
    return [prepare_record(o, salt=_salt(first_salt + i)) for i, o in enumerate(objects)]


def _at(minutes: int) -> datetime:
    return ACCEPTED + timedelta(minutes=minutes)


# -- the log-only fixtures ---------------------------------------------------------------


@dataclass(frozen=True)
class LogOnly:
    bundle: dict[str, Any]
    """The proof bundle of a collection record (leaf 3) against the latest checkpoint."""
    case: dict[str, Any]
    """The collection case's bundle against the latest checkpoint."""
    other_case_record: dict[str, Any]
    """An auction record's bundle against the same checkpoint."""
    earlier: dict[str, Any]
    """The bundle of the case's first record against the first checkpoint."""
    shredded_case: dict[str, Any]
    """The case bundle once the case's second record is shredded."""


def _log_only_store(folder: Path) -> LogStore:
    """Collection records 0-3 and two auction records, sealed; the last three collection
    records and the other auction records, sealed again."""
    collection = _prepared(_objects("sample_collection.jsonl"), 1)
    auction = _prepared(_objects("sample_auction.jsonl"), 101)
    store = LogStore(folder, create=True)
    store.append(collection[:4] + auction[:2], now=_at(0))
    store.seal(now=_at(1))
    store.append(collection[4:] + auction[2:], now=_at(2))
    store.seal(now=_at(3))
    return store


def log_only() -> LogOnly:
    with tempfile.TemporaryDirectory() as folder, _log_only_store(Path(folder)) as store:
        first = store.checkpoint(0)
        auction_index = next(
            i
            for i in range(store.size)
            if store.is_record_leaf(i) and store.record(i).envelope["case"].startswith("auction")
        )
        bundle = build_bundle(store, 3).as_json()
        case = build_case_bundle(store, CASE).as_json()
        other = build_bundle(store, auction_index).as_json()
        earlier = build_bundle(store, 0, checkpoint=first).as_json()
        second = case["records"][1]["leaf_index"]
        store.shred(second, reason="deletion request DR-1", now=_at(4))
        shredded = build_case_bundle(store, CASE).as_json()
    return LogOnly(bundle, case, other, earlier, shredded)


# -- the anchored fixtures ---------------------------------------------------------------


@dataclass(frozen=True)
class Anchored:
    bundle: dict[str, Any]
    case: dict[str, Any]
    block_hash: str


def _genesis() -> Genesis:
    funded = [bytes.fromhex(a.address[2:]) for a in (ADMIN, WRITER)]
    return Genesis(
        chain_id=CHAIN_ID,
        authorities=(bytes(SEALER.public_key.to_canonical_address()),),
        allowlist=tuple(funded),
        timestamp=CHAIN_TIME - 1000,
        alloc=tuple((address, 10**24) for address in funded),
    )


@contextlib.contextmanager
def _still_chain() -> Iterator[str]:
    """An in-memory Clique chain whose every block is stamped CHAIN_TIME, served on a free
    port (period 0: a block as soon as a transaction is pending)."""
    chain = EmbeddedChain(_genesis(), MemoryKV(), SEALER, clock=lambda: float(CHAIN_TIME))
    try:
        with serving(chain, seal=True) as url:
            yield url
    finally:
        chain.close()


def anchored() -> Anchored:
    retry = RetryPolicy(attempts=5, initial_delay=0.01, max_delay=0.05)
    with _still_chain() as url, tempfile.TemporaryDirectory() as folder:
        w3 = cc.web3_for(url)
        deployment = cc.deploy_anchor(w3, ADMIN, timeout=30)
        anchor = cc.attach(w3, deployment.address)
        cc.grant_writer(anchor, ADMIN, WRITER.address, timeout=30)
        cc.register_agency(anchor, ADMIN, AGENCY.address, AGENCY_CODE, timeout=30)
        target = AnchorTarget(CHAIN_ID, anchor.address, WRITER.address, cc.block_info(w3, 0).hash)
        separator = SigningDomain(CHAIN_ID, anchor.address).separator
        records = [
            replace(r, signature=sign_commitment(bytes(AGENCY.key), separator, r.commitment))
            for r in _prepared(_objects("sample_collection.jsonl"), 1)
        ]
        with LogStore(Path(folder), create=True) as store:
            store.bind_anchor_target(target)
            store.append(records, now=_at(0))
            store.seal(now=_at(1))
            anchorer = Anchorer(store, anchor, WRITER, retry=retry, poll_interval=0.01)
            steps = anchorer.run_until_idle(time.monotonic() + 60)
            if steps[-1].kind is not StepKind.IDLE:
                raise SystemExit(f"anchoring did not finish: {steps[-1]}")
            state = confirmed_state(store, 0)
            assert state is not None
            evidence = build_anchor_evidence(anchor, state)
            bundle = build_bundle(store, 2, anchor=evidence).as_json()
            case = build_case_bundle(store, CASE, anchor=evidence).as_json()
    return Anchored(bundle, case, evidence.block_hash)


# -- the named vectors -------------------------------------------------------------------

Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Edit:
    """Set the member at a JSON-pointer-like path ("/leaf/prev", "/records/2")."""

    def edit(bundle: dict[str, Any]) -> None:
        *parents, last = path.strip("/").split("/")
        target: Any = bundle
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        key: Any = int(last) if isinstance(target, list) else last
        target[key] = value(target[key]) if callable(value) else value

    return edit


def _flip(text: str) -> str:
    """The hex text with its first byte's lowest bit flipped."""
    return f"{int(text[:2], 16) ^ 1:02x}{text[2:]}"


def _vector(
    description: str,
    kind: str,
    bundle: dict[str, Any],
    edits: list[Edit],
    expected: tuple[str, str, str | None],
    *,
    trusted_block_hash: str | None = None,
    rpc: str | None = None,
) -> dict[str, Any]:
    changed = copy.deepcopy(bundle)
    for edit in edits:
        edit(changed)
    outcome, assurance, step = expected
    return {
        "description": description,
        "kind": kind,
        "options": {"trusted_block_hash": trusted_block_hash, "rpc": rpc},
        "expected": {"outcome": outcome, "assurance": assurance, "failing_step": step},
        "bundle": changed,
    }


NOT = ("NOT VERIFIED", "none")


def _not(step: str) -> tuple[str, str, str]:
    return (*NOT, step)


def bundle_vectors(plain: LogOnly, chained: Anchored) -> dict[str, dict[str, Any]]:
    """Every named vector, by file name (without .json)."""
    p, c = "proof-bundle", "case-bundle"
    b, case, a, a_case = plain.bundle, plain.case, chained.bundle, chained.case
    trusted = {"trusted_block_hash": chained.block_hash}
    records = case["records"]
    v: dict[str, dict[str, Any]] = {}

    # Valid bundles, and the level each reaches.
    v["valid-log-only"] = _vector(
        "a log-only node's bundle", p, b, [], ("VERIFIED", "log-only", None)
    )
    v["valid-anchored-offline"] = _vector(
        "an anchored, signed bundle checked offline without a trusted block hash: its anchor"
        " is only self-consistent, so the level stays log-only",
        p,
        a,
        [],
        ("VERIFIED", "log-only", None),
    )
    v["valid-anchored-trusted-hash"] = _vector(
        "an anchored, signed bundle checked against a trusted hash of its anchoring block",
        p,
        a,
        [],
        ("VERIFIED", "anchored+signed", None),
        **trusted,
    )
    v["valid-case-log-only"] = _vector(
        "a log-only node's case bundle", c, case, [], ("VERIFIED", "log-only", None)
    )
    v["valid-case-anchored-trusted-hash"] = _vector(
        "an anchored case bundle checked against a trusted block hash",
        c,
        a_case,
        [],
        ("VERIFIED", "anchored+signed", None),
        **trusted,
    )
    v["valid-case-with-a-shredded-record"] = _vector(
        "a case bundle whose second record was shredded: it appears as its leaf alone",
        c,
        plain.shredded_case,
        [],
        ("VERIFIED", "log-only", None),
    )

    # Downgrades: the level falls, the outcome does not lie about it.
    v["downgrade-signature-null"] = _vector(
        "the agency signature of an anchored bundle removed (null): the level falls to"
        " anchored, and the report says the log requires a signature",
        p,
        a,
        [_set("/signature", None)],
        ("VERIFIED", "anchored", None),
        **trusted,
    )
    v["downgrade-anchor-and-log-null"] = _vector(
        "anchor, log and signature of an anchored bundle removed: the level falls to"
        " log-only, and the report says the log anchors on a chain",
        p,
        a,
        [_set("/anchor", None), _set("/log", None), _set("/signature", None)],
        ("VERIFIED", "log-only", None),
        **trusted,
    )

    # The case: nothing dropped, reordered or inserted.
    v["case-tail-drop"] = _vector(
        "the case's last record dropped",
        c,
        case,
        [_set("/records", lambda r: r[:-1])],
        _not("completeness"),
    )
    v["case-tail-drop-two"] = _vector(
        "the case's last two records dropped",
        c,
        case,
        [_set("/records", lambda r: r[:-2])],
        _not("completeness"),
    )
    v["case-tail-drop-with-entry-rewritten"] = _vector(
        "the last record dropped and the case index entry rewritten to fit (count and head)",
        c,
        case,
        [
            _set("/records", lambda r: r[:-1]),
            _set("/case_index/entry/count", lambda n: n - 1),
            _set("/case_index/entry/head", records[-2]["leaf_index"]),
        ],
        _not("case index"),
    )
    v["case-first-drop"] = _vector(
        "the case's first record dropped",
        c,
        case,
        [_set("/records", lambda r: r[1:])],
        _not("case chain"),
    )
    v["case-middle-drop"] = _vector(
        "a record in the middle of the case dropped",
        c,
        case,
        [_set("/records", lambda r: r[:2] + r[3:])],
        _not("case chain"),
    )
    v["case-reorder"] = _vector(
        "two records of the case swapped",
        c,
        case,
        [_set("/records", lambda r: [r[0], r[2], r[1], *r[3:]])],
        _not("case chain"),
    )
    v["case-insert-other-case"] = _vector(
        "a valid bundle of another case's record inserted into the case",
        c,
        case,
        [_set("/records", lambda r: [*r[:2], plain.other_case_record, *r[2:]])],
        _not("case chain"),
    )
    v["case-insert-duplicate"] = _vector(
        "a record of the case repeated",
        c,
        case,
        [_set("/records", lambda r: [*r[:2], r[1], *r[2:]])],
        _not("case chain"),
    )
    v["case-record-from-another-checkpoint"] = _vector(
        "the case's first record proven against an earlier checkpoint than the bundle's",
        c,
        case,
        [_set("/records/0", plain.earlier)],
        _not("record 0"),
    )
    v["case-entry-count-changed"] = _vector(
        "the case index entry's count changed",
        c,
        case,
        [_set("/case_index/entry/count", lambda n: n + 1)],
        _not("case index"),
    )
    v["case-unknown-member"] = _vector(
        "an unknown member in the case bundle", c, case, [_set("/note", "x")], _not("format")
    )

    # Printed facts bound: seq, sealed_at, the log's identity.
    v["checkpoint-seq-changed"] = _vector(
        "checkpoint.seq changed (it is committed in the seal leaf)",
        p,
        b,
        [_set("/checkpoint/seq", lambda n: n + 1)],
        _not("seal"),
    )
    v["checkpoint-seq-changed-with-seal-leaf"] = _vector(
        "checkpoint.seq and the seal leaf's seq changed alike (the seal leaf's hash no longer"
        " fits the root)",
        p,
        b,
        [_set("/checkpoint/seq", lambda n: n + 1), _set("/seal/leaf/seq", lambda n: n + 1)],
        _not("seal"),
    )
    v["checkpoint-sealed-at-changed"] = _vector(
        "checkpoint.sealed_at changed",
        p,
        b,
        [_set("/checkpoint/sealed_at", "2026-01-01T00:00:00.000Z")],
        _not("seal"),
    )
    v["checkpoint-seq-minus-one"] = _vector(
        "checkpoint.seq = -1", p, b, [_set("/checkpoint/seq", -1)], _not("format")
    )
    v["case-link-prev-leaf-hash"] = _vector(
        "a version 1 case_link member ({case, prev, prev_leaf_hash}) added: version 2 has none"
        " (leaf.prev is the committed link)",
        p,
        b,
        [_set("/case_link", {"case": CASE, "prev": 0, "prev_leaf_hash": "00" * 32})],
        _not("format"),
    )
    v["log-genesis-changed"] = _vector(
        "the log's genesis hash changed (the seal leaf commits to it)",
        p,
        a,
        [_set("/log/genesis_hash", _flip)],
        _not("seal"),
        **trusted,
    )
    v["log-chain-id-changed-with-anchor"] = _vector(
        "the chain id changed in log and anchor alike",
        p,
        a,
        [_set("/log/chain_id", lambda n: n + 1), _set("/anchor/chain_id", lambda n: n + 1)],
        _not("seal"),
    )

    # Strict parsing.
    v["upper-case-hex"] = _vector(
        "the commitment in upper-case hex",
        p,
        b,
        [_set("/commitment", str.upper)],
        _not("format"),
    )
    v["upper-case-hex-in-anchor"] = _vector(
        "the anchor's block hash in upper-case hex",
        p,
        a,
        [_set("/anchor/block_hash", str.upper)],
        _not("anchor"),
    )
    v["unknown-member-top-level"] = _vector(
        "an unknown member at the top level", p, b, [_set("/note", "x")], _not("format")
    )
    v["unknown-member-in-leaf"] = _vector(
        "an unknown member in the leaf", p, b, [_set("/leaf/note", "x")], _not("format")
    )
    v["unknown-member-in-anchor"] = _vector(
        "an unknown member in the anchor section",
        p,
        a,
        [_set("/anchor/note", "x")],
        _not("anchor"),
    )
    v["unknown-member-in-signature"] = _vector(
        "an unknown member in the signature section",
        p,
        a,
        [_set("/signature/note", "x")],
        _not("signature"),
    )
    v["leaf-index-as-string"] = _vector(
        "leaf_index given as a string", p, b, [_set("/leaf_index", str)], _not("format")
    )
    v["leaf-index-boolean"] = _vector(
        "leaf.prev given as true", p, b, [_set("/leaf/prev", True)], _not("format")
    )
    v["version-1"] = _vector("version 1", p, b, [_set("/version", 1)], _not("format"))
    v["leaf-v-true"] = _vector(
        "leaf.v given as true (equal to 1 in some languages, another leaf in JCS)",
        p,
        b,
        [_set("/leaf/v", True)],
        _not("format"),
    )
    v["seal-leaf-signed-as-integer"] = _vector(
        "the seal leaf's signed given as 0", p, b, [_set("/seal/leaf/signed", 0)], _not("format")
    )
    v["not-a-bundle"] = _vector(
        "another format", p, b, [_set("/format", "something/else")], _not("format")
    )

    # The record, its commitment, leaf and inclusion (as in version 1).
    v["record-field-altered"] = _vector(
        "a record field altered",
        p,
        b,
        [_set("/record/operator_id", "op-9999")],
        _not("commitment"),
    )
    v["record-unknown-field"] = _vector(
        "an unknown record field", p, b, [_set("/record/extra", "x")], _not("record")
    )
    v["salt-altered"] = _vector(
        "the salt altered", p, b, [_set("/salt", "00" * 32)], _not("commitment")
    )
    v["leaf-commitment-altered"] = _vector(
        "the leaf's commitment altered",
        p,
        b,
        [_set("/leaf/commitment", "22" * 32)],
        _not("leaf"),
    )
    v["leaf-time-altered"] = _vector(
        "the leaf's acceptance time altered",
        p,
        b,
        [_set("/leaf/accepted_at", "2026-01-01T00:00:00.000Z")],
        _not("leaf"),
    )
    v["leaf-prev-altered"] = _vector(
        "the leaf's prev link altered", p, b, [_set("/leaf/prev", 1)], _not("leaf")
    )
    v["leaf-index-plus-one"] = _vector(
        "leaf_index + 1", p, b, [_set("/leaf_index", lambda n: n + 1)], _not("inclusion")
    )
    v["inclusion-proof-flipped"] = _vector(
        "a bit of the inclusion proof flipped",
        p,
        b,
        [_set("/inclusion_proof/0", _flip)],
        _not("inclusion"),
    )
    v["inclusion-proof-truncated"] = _vector(
        "the inclusion proof's last hash dropped",
        p,
        b,
        [_set("/inclusion_proof", lambda proof: proof[:-1])],
        _not("inclusion"),
    )
    v["checkpoint-root-altered"] = _vector(
        "the checkpoint root altered",
        p,
        b,
        [_set("/checkpoint/root", "44" * 32)],
        _not("inclusion"),
    )
    v["checkpoint-size-altered"] = _vector(
        "the checkpoint size altered (the seal leaf's too): the record's proof still fits (a"
        " path does not bind the size), the seal leaf's at the new last index does not",
        p,
        b,
        [_set("/checkpoint/size", lambda n: n + 1), _set("/seal/leaf/size", lambda n: n + 1)],
        _not("seal"),
    )
    v["signature-byte-flipped"] = _vector(
        "a byte of the agency signature flipped",
        p,
        a,
        [_set("/signature/signature", _flip)],
        _not("signature"),
        **trusted,
    )
    v["anchor-storage-value-altered"] = _vector(
        "the stored checkpoint word altered in the anchor's storage proof",
        p,
        a,
        [_set("/anchor/storage_proofs/1/value", _flip)],
        _not("anchor"),
    )

    # A chain that cannot answer: CANNOT VERIFY, unless the evidence is wrong offline.
    v["chain-unreachable"] = _vector(
        "checked with a JSON-RPC URL where nothing listens",
        p,
        a,
        [],
        ("CANNOT VERIFY", "log-only", "anchor"),
        rpc="unreachable",
    )
    v["chain-unreachable-and-signature-flipped"] = _vector(
        "checked with an unreachable chain, and a byte of the signature flipped: the offline"
        " checks still find it",
        p,
        a,
        [_set("/signature/signature", _flip)],
        _not("signature"),
        rpc="unreachable",
    )
    return v


# -- the audit vectors -------------------------------------------------------------------


def _dump(folder: Path) -> list[list[str]]:
    db = plyvel.DB(str(folder))
    try:
        return [[key.hex(), value.hex()] for key, value in db.iterator()]
    finally:
        db.close()


def _u64(value: int) -> str:
    return value.to_bytes(8, "big").hex()


def audit_vectors() -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        records = _prepared(_objects("sample_collection.jsonl"), 1)
        with LogStore(path, create=True) as store:
            store.append(records, now=_at(0))
            store.seal(now=_at(1))
            shredded_id = store.record(2).record_id
            edited_id = store.record(4).record_id
            edited = json.loads(store.record(4).canonical)
        entries = _dump(path)
        with LogStore(path) as store:
            store.shred(2, reason="deletion request DR-1", now=_at(2))
        shredded_entries = _dump(path)
    edited["operator_id"] = "op-forged"
    forged = prepare_record(edited, salt=_salt(99))
    key = 4
    base = {"entries": entries}
    return {
        "shredded": {
            "description": "a record shredded with `evanchor shred`: tombstone, no text, salt"
            " or id; the audit lists it and finds nothing wrong",
            "entries": shredded_entries,
            "changes": [],
            "expected": {"ok": True, "discrepancies": [], "records shredded": 1},
        },
        "shred-then-edit": {
            "description": "the crypto-shredding disguise of an edit: the salt deleted, the"
            " text edited and the id index pointed at the edited text, no tombstone",
            **base,
            "changes": [
                {"op": "delete", "key": "733a" + _u64(key)},
                {"op": "put", "key": "723a" + _u64(key), "value": forged.canonical.hex()},
                {"op": "delete", "key": "693a" + edited_id.hex()},
                {"op": "put", "key": "693a" + forged.record_id.hex(), "value": _u64(key)},
            ],
            "expected": {
                "ok": False,
                "discrepancies": [{"kind": "record altered", "where": f"leaf {key}"}],
            },
        },
        "tombstone-over-kept-text": {
            "description": "a tombstone written while the record's text and salt stay",
            **base,
            "changes": [
                {
                    "op": "put",
                    "key": "743a" + _u64(2),
                    "value": b'{"reason":"x","shredded_at":"2026-11-29T02:20:30.125Z"}'.hex(),
                }
            ],
            "expected": {
                "ok": False,
                "discrepancies": [{"kind": "shredding incomplete", "where": "leaf 2"}],
            },
        },
        "shred-leaving-the-id": {
            "description": "a shredding that leaves the record's id entry behind",
            "entries": shredded_entries,
            "changes": [{"op": "put", "key": "693a" + shredded_id.hex(), "value": _u64(2)}],
            "expected": {
                "ok": False,
                "discrepancies": [{"kind": "index altered", "where": "record id index"}],
            },
        },
    }


def _write(folder: Path, vectors: dict[str, dict[str, Any]]) -> None:
    folder.mkdir(exist_ok=True)
    for stale in folder.glob("*.json"):
        if stale.stem not in vectors:
            stale.unlink()
    for name, vector in vectors.items():
        text = json.dumps(vector, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        (folder / f"{name}.json").write_text(text)


def all_vectors() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(bundle vectors, audit vectors), as the files hold them."""
    return bundle_vectors(log_only(), anchored()), audit_vectors()


def main() -> None:
    bundles, audits = all_vectors()
    _write(BUNDLES, bundles)
    _write(AUDIT, audits)
    print(f"wrote {len(bundles)} bundle and {len(audits)} audit vectors", file=sys.stderr)


if __name__ == "__main__":
    main()
