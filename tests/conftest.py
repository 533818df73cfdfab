"""Fixtures shared by the whole suite: fresh log stores in tmp_path, chains.

Helper functions live in `samples.py`, not here: `conftest` is not a reliable module name
to import from (a folder's own conftest.py takes the name while its folder is collected).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evanchor.anchor.log.store import LogStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LogStore]:
    with LogStore(tmp_path / "log", create=True) as opened:
        yield opened


# -- chains: fixtures of tests/contracts and tests/anchoring ---------------------------------
# They live here, not in conftest files of those folders: a folder's conftest.py would hold
# the module name `conftest` while its folder is collected, and test modules elsewhere import
# helpers with `from conftest import ...`. Their helpers stay in their folders and are
# imported when a fixture is first used (so tests that use no chain load none).


def _chain_helpers(folder: str) -> None:
    import sys  # noqa: PLC0415 - this section only adds to the file

    path = str(Path(__file__).resolve().parent / folder)
    if path not in sys.path:
        sys.path.insert(0, path)


@pytest.fixture
def deployment() -> Any:
    """EvidenceAnchor on a fresh London py-evm chain; two accounts hold the writer role."""
    _chain_helpers("contracts")
    from evm_harness import new_deployment  # noqa: PLC0415 - see above

    return new_deployment()


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    """One anvil (London, 127.0.0.1, from contracts/node_modules) for the whole run."""
    _chain_helpers("contracts")
    from evm_harness import running_anvil  # noqa: PLC0415 - see above

    with running_anvil() as url:
        yield url


@pytest.fixture
def tester() -> Any:
    """A fresh London py-evm chain (eth-tester) with EvidenceAnchor deployed, the writer
    granted and the agency registered (tests/anchoring/anchoring_helpers.py)."""
    _chain_helpers("anchoring")
    from anchoring_helpers import london_web3, set_up  # noqa: PLC0415 - see above

    return set_up(london_web3(), 0x10)


_anvil_deployments = iter(range(0x20, 0xFF))


@pytest.fixture
def anvil(anvil_url: str) -> Any:
    """A fresh deployment, with fresh funded keys, on the session's anvil."""
    _chain_helpers("anchoring")
    from anchoring_helpers import set_up  # noqa: PLC0415 - see above

    from evanchor.anchor.ethereum.client import web3_for  # noqa: PLC0415 - see above

    return set_up(web3_for(anvil_url), next(_anvil_deployments))


@pytest.fixture
def anchored_node(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Any:
    """A private copy of the audit tests' anchored node (tests/audit/audit_helpers.py: two
    agencies, a collection case and an auction lot, two anchored checkpoints), built once."""
    _chain_helpers("audit")
    from audit_helpers import anchored_copy  # noqa: PLC0415 - see above

    return anchored_copy(tmp_path_factory, tmp_path)
