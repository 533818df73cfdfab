"""Long block ranges are read in windows: node-side caps on eth_getLogs never hide events."""

from __future__ import annotations

import pytest
from anchoring_helpers import keys, london_web3, set_up
from web3 import Web3

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.ethereum.registry import AgencyRegistry


def _mine(w3: Web3, blocks: int) -> None:
    for _ in range(blocks):
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


@pytest.mark.parametrize("window", [1, 3, 7])
def test_events_across_many_windows_are_all_found_in_order(
    monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    w3 = london_web3()
    chain = set_up(w3, 41)
    _mine(w3, 9)
    late_agency = keys(42)[0]
    cc.register_agency(chain.anchor, chain.admin, late_agency.address, "91310115MA1K3TQ00E")
    _mine(w3, 5)
    cc.revoke_agency(chain.anchor, chain.admin, chain.agency.address)

    monkeypatch.setattr(cc, "LOG_WINDOW_BLOCKS", window)
    events = cc.agency_events(chain.anchor, from_block=chain.deployed_at)
    assert [(e.agency, e.credit_code is not None) for e in events] == [
        (chain.agency.address, True),
        (late_agency.address, True),
        (chain.agency.address, False),
    ]
    registry = AgencyRegistry(chain.anchor, from_block=chain.deployed_at)
    assert registry.refresh() == 3
    assert registry.agencies() == {late_agency.address: "91310115MA1K3TQ00E"}
