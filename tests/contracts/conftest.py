"""Fixtures for the EvidenceAnchor tests: a fresh py-evm chain per test, anvil once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from evm_harness import Deployment, new_deployment, running_anvil


@pytest.fixture
def deployment() -> Deployment:
    """EvidenceAnchor on a fresh London py-evm chain; two accounts hold the writer role."""
    return new_deployment()


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    with running_anvil() as url:
        yield url
