"""Genesis files in geth's and Besu's layout: read as the same chain, or refused by member."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from evanchor.node.chain.embedded import EmbeddedChain
from evanchor.node.chain.errors import GenesisError
from evanchor.node.chain.genesis import Genesis, read_genesis
from evanchor.node.chain.genesis_geth import geth_genesis_json


@pytest.fixture
def sorted_genesis(genesis: Genesis) -> Genesis:
    """The suite's genesis with its authorities in EIP-225 order (extra-data lists them so)."""
    return Genesis(
        chain_id=genesis.chain_id,
        authorities=tuple(sorted(genesis.authorities)),
        allowlist=genesis.allowlist,
        timestamp=genesis.timestamp,
        gas_limit=genesis.gas_limit,
        period=genesis.period,
        epoch=genesis.epoch,
        base_fee_per_gas=genesis.base_fee_per_gas,
        extra_vanity=genesis.extra_vanity,
        alloc=genesis.alloc,
    )


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "genesis.json"
    path.write_text(json.dumps(document))
    return path


def test_the_geth_layout_reads_back_as_the_same_chain(
    tmp_path: Path, sorted_genesis: Genesis
) -> None:
    document = geth_genesis_json(sorted_genesis)
    assert document["difficulty"] == "0x1"
    assert document["config"]["londonBlock"] == 0
    parsed = read_genesis(_write(tmp_path, document))
    assert parsed == sorted_genesis
    one, two = EmbeddedChain.in_memory(sorted_genesis), EmbeddedChain.in_memory(parsed)
    assert one.head.hash == two.head.hash


def test_besu_clique_key_names_and_bare_alloc_keys_are_read(
    tmp_path: Path, sorted_genesis: Genesis
) -> None:
    document = geth_genesis_json(sorted_genesis)
    document["config"]["clique"] = {"blockperiodseconds": 3, "epochlength": 100}
    document["alloc"] = {
        key[2:].lower(): {"balance": str(int(entry["balance"], 16))}
        for key, entry in document["alloc"].items()
    }
    parsed = read_genesis(_write(tmp_path, document))
    assert (parsed.period, parsed.epoch) == (3, 100)
    assert parsed.alloc == sorted_genesis.alloc


def _without(document: dict[str, Any], member: str) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    del changed[member]
    return changed


def _config(document: dict[str, Any], **members: object) -> dict[str, Any]:
    return {**document, "config": {**document["config"], **members}}


CORRUPT = {
    "no allowlist": (lambda d: _without(d, "evanchor"), "evanchor.allowlist"),
    "QBFT": (lambda d: {**d, "config": {**d["config"], "qbft": {}}}, "config.qbft"),
    "Shanghai": (lambda d: _config(d, shanghaiTime=0), "config.shanghaiTime"),
    "London later": (lambda d: _config(d, londonBlock=5), "config.londonBlock"),
    "no clique": (lambda d: {**d, "config": {"chainId": 7107}}, "config.clique"),
    "no signers": (lambda d: {**d, "extraData": "0x" + "00" * 97}, "extraData"),
    "torn signer": (lambda d: {**d, "extraData": d["extraData"][:-132] + "00" * 65}, "extraData"),
    "sealed genesis": (lambda d: {**d, "extraData": d["extraData"][:-2] + "01"}, "extraData"),
    "contract in alloc": (
        lambda d: {**d, "alloc": {"0x" + "11" * 20: {"balance": "0x1", "code": "0x60"}}},
        "alloc.0x" + "11" * 20,
    ),
    "bad timestamp": (lambda d: {**d, "timestamp": "soon"}, "timestamp"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_a_bad_geth_genesis_names_the_member(
    tmp_path: Path, sorted_genesis: Genesis, case: str
) -> None:
    corrupt, member = CORRUPT[case]
    document = corrupt(geth_genesis_json(sorted_genesis))
    with pytest.raises(GenesisError) as caught:
        read_genesis(_write(tmp_path, document))
    assert caught.value.field == member
