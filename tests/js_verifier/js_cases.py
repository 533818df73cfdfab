# ruff: noqa: E402 - the helpers below are importable only once their folders are on sys.path
"""Bundles for the JavaScript verifier's agreement tests, and the named changes made to them.

The bundles are real: records signed at capture by a registered agency, sealed into
checkpoints, anchored through EvidenceAnchor by the anchorer on anvil and on the node's own
Clique chain, then built by the same functions the node's API and `evanchor prove` use
(`build_anchored_bundle`, `anchored_case_bundle`). The named changes are the ones the
Python tests hold the Python verifier to (tests/vectors/bundles/tampered.json,
tests/anchoring/test_anchor_evidence.py TAMPERS, tests/e2e/test_bundles.py), plus case-bundle
changes and the loose-parsing cases of issue 9.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The chains' helpers live in the folders of the tests that use them.
ROOT = Path(__file__).resolve().parents[2]
for folder in ("anchoring", "contracts", "node"):
    if str(ROOT / "tests" / folder) not in sys.path:
        sys.path.insert(0, str(ROOT / "tests" / folder))

import copy
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from anchoring_helpers import CODE, Chain, domain_of, seal_records, set_up
from test_anchor_evidence import TAMPERS, flip

from evanchor.anchor.ethereum.anchorer import Anchorer, RetryPolicy, StepKind
from evanchor.anchor.ethereum.evidence import build_anchored_bundle
from evanchor.anchor.log.bundle import build_bundle
from evanchor.anchor.log.store import LogStore
from evanchor.node.daemon.bundles import anchored_case_bundle, chain_evidence

import chain_helpers
import evm_harness

__all__ = [
    "CODE",
    "ROOT",
    "Bundle",
    "Chain",
    "Produced",
    "chain_helpers",
    "evm_harness",
    "flip",
    "set_up",
]

VECTORS = ROOT / "tests" / "vectors" / "bundles"
Bundle = dict[str, Any]


@dataclass(frozen=True)
class Produced:
    """Every bundle of one anchored log, with the chain it is anchored on."""

    chain: Chain
    rpc_url: str
    unanchored: list[Bundle]
    bundles: list[Bundle]
    case_bundles: list[Bundle]


def produce(chain: Chain, rpc_url: str, tmp: Path) -> Produced:
    """Three checkpoints of records over three cases, signed (all but the last checkpoint's)
    by the registered agency, all anchored; bundles of every leaf and of every case."""
    retry = RetryPolicy(attempts=3, initial_delay=0.0, max_delay=0.0)
    with LogStore(tmp / "log", create=True) as store:
        seal_records(store, 3, signed_by=chain.agency, domain=domain_of(chain))
        seal_records(store, 6, signed_by=chain.agency, domain=domain_of(chain))
        seal_records(store, 4)  # not signed: the signature section is null
        unanchored = [build_bundle(store, i) for i in (0, 5, 12)]
        anchorer = Anchorer(store, chain.anchor, chain.writer, retry=retry, poll_interval=0.01)
        assert anchorer.run_until_idle(time.monotonic() + 60)[-1].kind is StepKind.IDLE
        bundles = [build_anchored_bundle(store, chain.anchor, i) for i in range(store.size)]
        source = chain_evidence(chain.anchor, store)
        cases = [anchored_case_bundle(store, f"collection/C-{n}", source) for n in range(3)]
    return Produced(chain, rpc_url, unanchored, bundles, cases)


# -- named changes ------------------------------------------------------------------------


def apply_pointer(bundle: Bundle, pointer: str, value: Any) -> Bundle:
    """A tampered.json change (JSON pointer, new value or flip/truncate/append), as
    tests/anchor/test_bundle.py applies it."""
    changed = copy.deepcopy(bundle)
    *parents, last = pointer.strip("/").split("/")
    target: Any = changed
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    key: Any = int(last) if isinstance(target, list) else last
    if value == "flip":
        target[key] = flip(target[key], 0)
    elif value == "truncate":
        target[key] = target[key][:-1]
    elif value == "append":
        target[key] = [*target[key], "55" * 32]
    else:
        target[key] = value
    return changed


def vector_cases() -> list[tuple[str, Bundle]]:
    """valid.json and each named change of tampered.json."""
    valid = json.loads((VECTORS / "valid.json").read_text())
    tampered = json.loads((VECTORS / "tampered.json").read_text())
    return [("vector: valid", valid)] + [
        (f"vector: {t['description']}", apply_pointer(valid, t["pointer"], t["value"]))
        for t in tampered
    ]


def changed(bundle: Bundle, *changes: Callable[[Bundle], Any]) -> Bundle:
    result = copy.deepcopy(bundle)
    for change in changes:
        change(result)
    return result


def set_in(path: tuple[Any, ...], value: Any) -> Callable[[Bundle], None]:
    def apply(bundle: Bundle) -> None:
        target = bundle
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return apply


def anchor_tampers(bundle: Bundle) -> list[tuple[str, Bundle]]:
    """test_anchor_evidence.TAMPERS and the changes of tests/e2e/test_bundles.py."""
    cases = [(f"anchor: {name}", changed(bundle, *TAMPERS[name][0])) for name in sorted(TAMPERS)]
    cases += [
        ("e2e: record field", changed(bundle, set_in(("record", "operator_id"), "op-9999"))),
        ("e2e: proof element zeroed", changed(bundle, set_in(("inclusion_proof", 0), "00" * 32))),
        ("e2e: checkpoint root", changed(bundle, set_in(("checkpoint", "root"), "11" * 32))),
        ("e2e: block hash", changed(bundle, set_in(("anchor", "block_hash"), "22" * 32))),
        (
            "e2e: storage value",
            changed(bundle, set_in(("anchor", "storage_proofs", 1, "value"), "33" * 32)),
        ),
        (
            "e2e: accepted_at",
            changed(bundle, set_in(("leaf", "accepted_at"), "2020-01-01T00:00:00.000Z")),
        ),
    ]
    return cases


def chain_tampers(bundle: Bundle) -> list[tuple[str, Bundle]]:
    """What only a chain can refute (test_anchor_evidence: with rpc)."""
    anchor = bundle["anchor"]
    chain_id = anchor["chain_id"] + 1
    return [
        (
            "chain: tx hash",
            changed(bundle, set_in(("anchor", "tx_hash"), flip(anchor["tx_hash"], 0))),
        ),
        (
            "chain: log index",
            changed(bundle, set_in(("anchor", "log_index"), anchor["log_index"] + 1)),
        ),
        (
            "chain: chain id of anchor and log",
            changed(
                bundle,
                set_in(("anchor", "chain_id"), chain_id),
                set_in(("log", "chain_id"), chain_id),
            ),
        ),
    ]


def case_tampers(case_bundle: Bundle, other_checkpoint: Bundle) -> list[tuple[str, Bundle]]:
    """Dropped, reordered and foreign records of a case bundle of at least three records."""
    records = case_bundle["records"]
    assert len(records) >= 3
    return [
        ("case: middle record dropped", {**case_bundle, "records": [records[0], *records[2:]]}),
        ("case: first record dropped", {**case_bundle, "records": records[1:]}),
        (
            "case: two records swapped",
            {**case_bundle, "records": [records[1], records[0], *records[2:]]},
        ),
        ("case: a record twice", {**case_bundle, "records": [records[0], *records]}),
        (
            "case: a record of another checkpoint",
            {**case_bundle, "records": [other_checkpoint, *records[1:]]},
        ),
        (
            "case: record altered",
            changed(case_bundle, set_in(("records", 1, "record", "operator_id"), "op-x")),
        ),
        ("case: format", changed(case_bundle, set_in(("format",), "evanchor/proof-bundle"))),
        ("case: checkpoint root", changed(case_bundle, set_in(("checkpoint", "root"), "44" * 32))),
    ]


def issue_9_cases(bundle: Bundle) -> list[tuple[str, Bundle]]:
    """Loose parsing and unchecked members that the Python verifier of protocol v1 accepts
    (issue 9, items 2, 3 and 5) and this verifier refuses, because PROTOCOL.md says hex is
    lower case and names the members of each section. `bundle` is anchored."""
    valid = json.loads((VECTORS / "valid.json").read_text())
    # Leaf 3 follows leaf 2, its sibling: the proof's first element is leaf 2's hash.
    assert (valid["leaf_index"], valid["case_link"]["prev"]) == (3, 2)
    assert bundle["leaf_hash"] != bundle["leaf_hash"].upper()
    assert bundle["checkpoint"]["root"] != bundle["checkpoint"]["root"].upper()
    forged_link = changed(valid, set_in(("case_link", "prev_leaf_hash"), "77" * 32))
    return [
        ("issue 9: prev_leaf_hash of the sibling forged", forged_link),
        (
            "issue 9: upper-case leaf_hash",
            changed(bundle, set_in(("leaf_hash",), bundle["leaf_hash"].upper())),
        ),
        (
            "issue 9: upper-case root",
            changed(bundle, set_in(("checkpoint", "root"), bundle["checkpoint"]["root"].upper())),
        ),
        ("issue 9: unknown top-level member", changed(bundle, set_in(("note",), "trust me"))),
        ("issue 9: unknown member in anchor", changed(bundle, set_in(("anchor", "note"), 1))),
        ("issue 9: checkpoint seq -1", changed(bundle, set_in(("checkpoint", "seq"), -1))),
        (
            "issue 9: checkpoint sealed_at junk",
            changed(bundle, set_in(("checkpoint", "sealed_at"), "yesterday")),
        ),
        ("issue 9: version true", changed(bundle, set_in(("version",), True))),
    ]
