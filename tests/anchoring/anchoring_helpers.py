"""Chains for the anchoring tests, real ones only.

- `tester`: a fresh London py-evm chain through eth-tester (in process, fast), with funded
  local keys for the admin, the writer, an agency and an outsider. Every transaction the
  library sends is signed with these keys and sent raw, as in production.
- `anvil_url`: one anvil per session (from contracts/node_modules, `--hardfork london`),
  started by the contract tests' launcher; `anvil` adds funded keys and a deployment.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.checkpoint import Checkpoint
from evanchor.anchor.protocol.seal_leaf import AnchorTarget
from evanchor.anchor.protocol.signing import SigningDomain, sign_commitment

# The contract tests' harness starts anvil; its folder is on sys.path only when pytest has
# collected it, so put it there for runs of this folder alone.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contracts"))
from evm_harness import london_web3, running_anvil

__all__ = [
    "Chain",
    "bind",
    "fund",
    "keys",
    "london_web3",
    "running_anvil",
    "set_up",
    "target_of",
]

ETHER = 10**18
CODE = "91350100M000100Y43"
"""The credit code of conftest.numbered_record's agency."""


@dataclass(frozen=True)
class Chain:
    """A chain with funded keys and EvidenceAnchor deployed, the writer granted, the
    agency registered."""

    w3: Web3
    anchor: cc.AnchorContract
    deployed_at: int
    admin: LocalAccount
    writer: LocalAccount
    agency: LocalAccount
    outsider: LocalAccount


def fund(w3: Web3, accounts: list[LocalAccount]) -> None:
    """Test set-up: the node's unlocked development account pays (eth_sendTransaction)."""
    funder = w3.eth.accounts[0]
    legacy = w3.eth.get_block("latest").get("baseFeePerGas") is None
    for account in accounts:
        transfer: dict[str, Any] = {"from": funder, "to": account.address, "value": 10 * ETHER}
        if legacy:
            transfer["gasPrice"] = w3.eth.gas_price
        tx_hash = w3.eth.send_transaction(cast(Any, transfer))
        assert w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)["status"] == 1


def keys(tag: int) -> list[LocalAccount]:
    return [Account.from_key(bytes([tag, i + 1]) * 16) for i in range(4)]


def set_up(w3: Web3, tag: int) -> Chain:
    admin, writer, agency, outsider = keys(tag)
    fund(w3, [admin, writer, agency, outsider])
    deployment = cc.deploy_anchor(w3, admin, timeout=10)
    anchor = cc.attach(w3, deployment.address)
    cc.grant_writer(anchor, admin, writer.address, timeout=10)
    cc.register_agency(anchor, admin, agency.address, CODE, timeout=10)
    return Chain(w3, anchor, deployment.block_number, admin, writer, agency, outsider)


def numbered_record(n: int, case: str = "C-1") -> dict[str, Any]:
    """A distinct valid collection record of the agency with credit code CODE."""
    return {
        "kind": "collection_checkpoint",
        "case_id": case,
        "agency": CODE,
        "debtor_ref": "debtor-7f3a9c",
        "event": "call",
        "occurred_at": "2026-11-29T10:15:00+08:00",
        "channel": "phone",
        "operator_id": f"op-{n}",
    }


def seal_records(
    store: LogStore,
    count: int,
    *,
    now: datetime | None = None,
    signed_by: LocalAccount | None = None,
    domain: SigningDomain | None = None,
) -> Checkpoint:
    """Appends `count` new records (signed at capture by `signed_by` under `domain`, if
    given) and seals them into a checkpoint."""
    start = store.size
    records = [
        prepare_record(numbered_record(n, case=f"C-{n % 3}"), salt=n.to_bytes(32, "big"))
        for n in range(start, start + count)
    ]
    if signed_by is not None:
        assert domain is not None
        records = [
            replace(
                r,
                signature=sign_commitment(bytes(signed_by.key), domain.separator, r.commitment),
            )
            for r in records
        ]
    store.append(records, now=now)
    sealed = store.seal(now=now)
    assert sealed is not None
    return sealed


def target_of(chain: Chain, writer: LocalAccount | None = None) -> AnchorTarget:
    """Where a log anchored by `writer` (default: the chain's writer) on `chain` anchors."""
    return AnchorTarget(
        chain_id=cc.chain_id(chain.w3),
        contract=chain.anchor.address,
        writer=(writer or chain.writer).address,
        genesis_hash=cc.block_info(chain.w3, 0).hash,
    )


def bind(store: LogStore, chain: Chain) -> LogStore:
    """Bind `store` to the chain's writer's log, as `evanchor init` does: its seal leaves
    then commit to the target, and it takes only signed records. Returns the store."""
    store.bind_anchor_target(target_of(chain))
    return store


def domain_of(chain: Chain) -> SigningDomain:
    return SigningDomain(cc.chain_id(chain.w3), chain.anchor.address)
