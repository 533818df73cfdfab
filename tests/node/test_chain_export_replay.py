"""`chain export` and `chain replay` through the CLI, on LevelDB in tmp_path."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from evanchor.cli.chain_commands import chain as chain_group
from evanchor.node.chain.datadir import open_chain
from evanchor.node.chain.embedded import EmbeddedChain
from evanchor.node.chain.errors import ExportFormatError, ReplayMismatch
from evanchor.node.chain.export import export_blocks, read_items, replay
from evanchor.node.chain.genesis import Genesis
from evanchor.node.chain.leveldb import LevelDB

from chain_helpers import Actors, seal_transfers

BLOCKS = 6


@pytest.fixture
def exported(data_dir: Path, actors: Actors, tmp_path: Path) -> Path:
    chain = open_chain(data_dir, load_sealer=True)
    seal_transfers(chain, actors.writer, BLOCKS)
    chain.close()
    path = tmp_path / "chain.rlp"
    result = CliRunner().invoke(chain_group, ["--data-dir", str(data_dir), "export", str(path)])
    assert result.exit_code == 0, result.output
    assert f"exported {BLOCKS + 1} block(s)" in result.output
    return path


def _replay_cli(data_dir: Path, path: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        chain_group, ["--data-dir", str(data_dir), "replay", str(path), *extra]
    )
    return result.exit_code, result.output


def test_export_is_concatenated_rlp_blocks(exported: Path, data_dir: Path) -> None:
    items = list(read_items(io.BytesIO(exported.read_bytes())))
    assert len(items) == BLOCKS + 1
    chain = open_chain(data_dir)
    try:
        for number, (_, encoded) in enumerate(items):
            assert encoded == chain.block_rlp(chain.header_by_number(number))
    finally:
        chain.close()


def test_replay_of_an_export_succeeds(exported: Path, data_dir: Path, tmp_path: Path) -> None:
    code, output = _replay_cli(data_dir, exported, "--into", str(tmp_path / "replayed"))
    assert code == 0, output
    assert f"replayed {BLOCKS} block(s)" in output
    original = open_chain(data_dir)
    replayed = EmbeddedChain(original.genesis, LevelDB(tmp_path / "replayed" / "chaindata"))
    try:
        assert replayed.head == original.head
    finally:
        replayed.close()
        original.close()


def _items(path: Path) -> list[bytearray]:
    return [bytearray(encoded) for _, encoded in read_items(io.BytesIO(path.read_bytes()))]


def _write(path: Path, items: list[bytearray]) -> None:
    path.write_bytes(b"".join(bytes(item) for item in items))


def test_tampered_header_fails_at_its_block(exported: Path, data_dir: Path, tmp_path: Path) -> None:
    chain = open_chain(data_dir)
    state_root = bytes(chain.header_by_number(4).state_root)
    chain.close()
    items = _items(exported)
    at = items[4].find(state_root)
    assert at > 0
    items[4][at] ^= 0x01
    tampered = tmp_path / "tampered.rlp"
    _write(tampered, items)
    code, output = _replay_cli(data_dir, tampered)
    assert code == 1
    assert "block 4: seal mismatch" in output


def test_tampered_transaction_fails_at_its_block(
    exported: Path, genesis: Genesis, tmp_path: Path
) -> None:
    items = _items(exported)
    items[3][-5] ^= 0x01  # inside the last transaction's signature
    tampered = tmp_path / "tampered.rlp"
    _write(tampered, items)
    with pytest.raises(ReplayMismatch) as mismatch:
        replay(io.BytesIO(tampered.read_bytes()), EmbeddedChain.in_memory(genesis))
    assert mismatch.value.block_number == 3
    assert mismatch.value.field in {"sender", "transaction", "transaction_root"}


def test_dropped_block_fails_at_the_gap(exported: Path, genesis: Genesis) -> None:
    items = _items(exported)
    del items[2]
    buffer = io.BytesIO(b"".join(bytes(i) for i in items))
    with pytest.raises(ReplayMismatch) as mismatch:
        replay(buffer, EmbeddedChain.in_memory(genesis))
    assert (mismatch.value.block_number, mismatch.value.field) == (2, "number")


def test_replay_against_another_genesis_fails_at_block_0(
    exported: Path, actors: Actors, genesis: Genesis
) -> None:
    other = Genesis(**{**genesis.__dict__, "timestamp": genesis.timestamp + 1})
    with pytest.raises(ReplayMismatch) as mismatch:
        replay(io.BytesIO(exported.read_bytes()), EmbeddedChain.in_memory(other))
    assert (mismatch.value.block_number, mismatch.value.field) == (0, "genesis_hash")


def test_replay_under_another_chain_id_fails_at_the_first_transaction(
    exported: Path, genesis: Genesis
) -> None:
    # The chain id is not in the genesis header (as in geth), so block 0 matches; the
    # transactions' EIP-155 chain id does not.
    other = Genesis(**{**genesis.__dict__, "chain_id": genesis.chain_id + 1})
    with pytest.raises(ReplayMismatch) as mismatch:
        replay(io.BytesIO(exported.read_bytes()), EmbeddedChain.in_memory(other))
    assert (mismatch.value.block_number, mismatch.value.field) == (1, "transaction")


def test_truncated_export_is_a_format_error(exported: Path, genesis: Genesis) -> None:
    data = exported.read_bytes()[:-10]
    with pytest.raises(ExportFormatError, match="truncated"):
        replay(io.BytesIO(data), EmbeddedChain.in_memory(genesis))


def test_export_range(chain: EmbeddedChain, actors: Actors) -> None:
    seal_transfers(chain, actors.writer, 3)
    out = io.BytesIO()
    assert export_blocks(chain, out, first=2) == 2
    out.seek(0)
    assert len(list(read_items(out))) == 2
