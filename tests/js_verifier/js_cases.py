# ruff: noqa: E402 - the helpers below are importable only once their folders are on sys.path
"""Bundles for the JavaScript verifier's agreement tests, and the named changes made to them.

The bundles are real: records signed at capture by a registered agency, sealed into
checkpoints (each ending with its seal leaf), anchored through EvidenceAnchor by the anchorer
on anvil and on the node's own Clique chain, then built by the same functions the node's API
and `evanchor prove` use (`build_anchored_bundle`, `anchored_case_bundle`). The named changes
are the ones the Python tests hold the Python verifier to (tests/vectors/bundles/*.json,
tests/anchoring/test_anchor_evidence.py TAMPERS, tests/e2e/test_bundles.py), plus
case-bundle changes (a dropped tail among them) and the loose-parsing cases of issue 9.
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

from anchoring_helpers import CODE, Chain, bind, domain_of, seal_records, set_up
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
    bundles: dict[int, Bundle]
    """The anchored bundle of every record leaf, by leaf index (3, 10 and 15 are the
    checkpoints' seal leaves, and have none)."""
    case_bundles: list[Bundle]


def produce(chain: Chain, rpc_url: str, tmp: Path) -> Produced:
    """Three checkpoints of 3, 6 and 4 records over three cases, signed by the registered
    agency, all anchored; bundles of every record (before anchoring too) and of every case."""
    retry = RetryPolicy(attempts=3, initial_delay=0.0, max_delay=0.0)
    with LogStore(tmp / "log", create=True) as store:
        bind(store, chain)
        for count in (3, 6, 4):
            seal_records(store, count, signed_by=chain.agency, domain=domain_of(chain))
        unanchored = [build_bundle(store, i).as_json() for i in (0, 5, 12)]
        anchorer = Anchorer(store, chain.anchor, chain.writer, retry=retry, poll_interval=0.01)
        assert anchorer.run_until_idle(time.monotonic() + 60)[-1].kind is StepKind.IDLE
        bundles = {
            i: build_anchored_bundle(store, chain.anchor, i).as_json()
            for i in range(store.size)
            if store.is_record_leaf(i)
        }
        source = chain_evidence(chain.anchor, store)
        cases = [
            anchored_case_bundle(store, f"collection/C-{n}", source).as_json() for n in range(3)
        ]
    return Produced(chain, rpc_url, unanchored, bundles, cases)


# -- named changes ------------------------------------------------------------------------


def vectors() -> dict[str, dict[str, Any]]:
    """Every named bundle vector (tests/vectors/bundles/*.json), by file name."""
    return {p.stem: json.loads(p.read_text()) for p in sorted(VECTORS.glob("*.json"))}


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
    entry = case_bundle["case_index"]["entry"]
    rewritten = changed(
        case_bundle,
        set_in(("records",), records[:-1]),
        set_in(("case_index", "entry"), {**entry, "count": entry["count"] - 1}),
        set_in(("case_index", "entry", "head"), records[-2]["leaf_index"]),
    )
    return [
        ("case: last record dropped", {**case_bundle, "records": records[:-1]}),
        ("case: last record dropped, entry rewritten", rewritten),
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
        (
            "case: entry count",
            changed(case_bundle, set_in(("case_index", "entry", "count"), entry["count"] + 1)),
        ),
        ("case: unknown member", changed(case_bundle, set_in(("note",), 1))),
    ]


def issue_9_cases(bundle: Bundle) -> list[tuple[str, Bundle]]:
    """Loose parsing, unbound members and downgrades that protocol v1's Python verifier
    accepted (issue 9); `bundle` is anchored and signed. Both verifiers now refuse the first
    ones, and give the downgraded ones a lower assurance level."""
    assert bundle["leaf_hash"] != bundle["leaf_hash"].upper()
    assert bundle["checkpoint"]["root"] != bundle["checkpoint"]["root"].upper()
    return [
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
            "issue 9: checkpoint seq changed",
            changed(bundle, set_in(("checkpoint", "seq"), bundle["checkpoint"]["seq"] + 1)),
        ),
        (
            "issue 9: checkpoint sealed_at junk",
            changed(bundle, set_in(("checkpoint", "sealed_at"), "yesterday")),
        ),
        (
            "issue 9: checkpoint sealed_at changed",
            changed(bundle, set_in(("checkpoint", "sealed_at"), "2020-01-01T00:00:00.000Z")),
        ),
        ("issue 9: version true", changed(bundle, set_in(("version",), True))),
        ("issue 9: leaf v true", changed(bundle, set_in(("leaf", "v"), True))),
        (
            "issue 9: a v1 case_link",
            changed(bundle, set_in(("case_link",), {"case": "x", "prev": None})),
        ),
        ("issue 9: signature removed", changed(bundle, set_in(("signature",), None))),
        (
            "issue 9: anchor, log and signature removed",
            changed(
                bundle,
                set_in(("anchor",), None),
                set_in(("log",), None),
                set_in(("signature",), None),
            ),
        ),
    ]
