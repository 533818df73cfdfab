"""Fixtures for the embedded-chain tests: keys, genesis, chains in memory and on LevelDB."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from evanchor.node.chain.datadir import init_data_dir, open_chain
from evanchor.node.chain.embedded import EmbeddedChain
from evanchor.node.chain.genesis import Genesis

from chain_helpers import Actors, make_actors, make_genesis


@pytest.fixture
def actors() -> Actors:
    return make_actors()


@pytest.fixture
def genesis(actors: Actors) -> Genesis:
    return make_genesis(actors, timestamp=int(time.time()) - 60)


@pytest.fixture
def chain(genesis: Genesis, actors: Actors) -> EmbeddedChain:
    return EmbeddedChain.in_memory(genesis, actors.sealer)


@pytest.fixture
def data_dir(tmp_path: Path, genesis: Genesis, actors: Actors) -> Path:
    path = tmp_path / "node"
    init_data_dir(path, genesis, actors.sealer)
    return path


@pytest.fixture
def disk_chain(data_dir: Path) -> Iterator[EmbeddedChain]:
    chain = open_chain(data_dir, load_sealer=True)
    yield chain
    chain.close()
