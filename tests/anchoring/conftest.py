"""Fixtures for the anchoring tests: real chains only (see anchoring_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from anchoring_helpers import Chain, london_web3, running_anvil, set_up

from evanchor.anchor import chain_client as cc
from evanchor.anchor.store import LogStore


@pytest.fixture
def tester() -> Chain:
    return set_up(london_web3(), 0x10)


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    with running_anvil() as url:
        yield url


_deployments = iter(range(0x20, 0xFF))


@pytest.fixture
def anvil(anvil_url: str) -> Chain:
    """A fresh deployment (and fresh keys) on the session's anvil."""
    return set_up(cc.web3_for(anvil_url), next(_deployments))


@pytest.fixture
def log_store(tmp_path: Path) -> Iterator[LogStore]:
    with LogStore(tmp_path / "log", create=True) as opened:
        yield opened
