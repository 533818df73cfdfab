"""`evanchor chain` commands through CliRunner (and one running node for the RPC ones)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from click.testing import CliRunner

from evanchor.cli.chain_commands import chain as chain_group
from evanchor.node.chain.datadir import open_chain
from evanchor.node.chain.genesis import read_genesis
from evanchor.node.chain.keys import load_key, write_raw_key

from chain_helpers import Actors, address_of, rpc, signed_tx, start_node, wait_for_receipt


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(chain_group, list(args))
    return result.exit_code, result.output


def test_init_generates_a_sealer_and_writes_the_genesis(tmp_path: Path, actors: Actors) -> None:
    data_dir = tmp_path / "chain"
    code, output = invoke(
        "--data-dir", str(data_dir), "init", "--chain-id", "99", "--allow", actors.writer.address,
        "--period", "2", "--gas-limit", "8000000",
    )  # fmt: skip
    assert code == 0, output
    genesis = read_genesis(data_dir / "genesis.json")
    key = load_key(data_dir / "sealer.key")
    assert stat.S_IMODE((data_dir / "sealer.key").stat().st_mode) == 0o600
    assert genesis.authorities == (bytes(key.public_key.to_canonical_address()),)
    assert genesis.allowlist == (address_of(actors.writer),)
    assert (genesis.chain_id, genesis.period, genesis.gas_limit) == (99, 2, 8_000_000)
    assert dict(genesis.alloc)[address_of(actors.writer)] > 0
    code, output = invoke("--data-dir", str(data_dir), "status")
    assert code == 0, output
    status = json.loads(output)
    assert status["chainId"] == 99
    assert status["head"] == 0
    assert status["sealerKeyFile"] == "sealer.key"
    code, output = invoke("--data-dir", str(data_dir), "init")
    assert code == 1
    assert "already initialised" in output


def test_init_with_an_imported_key_stored_encrypted(tmp_path: Path, actors: Actors) -> None:
    raw = tmp_path / "imported.key"
    write_raw_key(raw, actors.sealer)
    password = tmp_path / "password"
    password.write_text("s3cret\n")
    data_dir = tmp_path / "chain"
    code, output = invoke(
        "--data-dir", str(data_dir), "init", "--sealer-key", str(raw),
        "--password-file", str(password), "--authority", "0x" + "12" * 20,
    )  # fmt: skip
    assert code == 0, output
    assert not (data_dir / "sealer.key").exists()
    assert load_key(data_dir / "sealer.keystore.json", password) == actors.sealer
    genesis = read_genesis(data_dir / "genesis.json")
    assert set(genesis.authorities) == {b"\x12" * 20, actors.sealer_address}
    chain = open_chain(data_dir, load_sealer=True, password_file=password)
    try:
        assert chain.sealer == actors.sealer_address
    finally:
        chain.close()


def test_user_errors_are_one_line(tmp_path: Path) -> None:
    code, output = invoke("--data-dir", str(tmp_path / "missing"), "status")
    assert code == 1
    assert output.startswith("Error: ")
    assert "not a chain data directory" in output
    assert "Traceback" not in output
    code, output = invoke("--data-dir", str(tmp_path), "init", "--allow", "0x1234")
    assert code == 2
    assert "20-byte address" in output


def test_status_propose_and_discard_against_a_running_node(data_dir: Path, actors: Actors) -> None:
    node = start_node(data_dir)
    try:
        tx_hash = rpc(node.url, "eth_sendRawTransaction", "0x" + signed_tx(actors.writer, 0).hex())
        wait_for_receipt(node.url, tx_hash)
        code, output = invoke("status", "--rpc", node.url)
        assert code == 0, output
        status = json.loads(output)
        assert status["head"] == 1
        assert status["authorities"] == ["0x" + actors.sealer_address.hex()]
        subject = "0x" + "34" * 20
        code, output = invoke("propose", subject, "--add", "--rpc", node.url)
        assert code == 0, output
        assert rpc(node.url, "clique_proposals") == {subject: True}
        code, output = invoke("discard", subject, "--rpc", node.url)
        assert code == 0, output
        assert rpc(node.url, "clique_proposals") == {}
    finally:
        node.stop()


def test_read_only_node_serves_without_sealing(data_dir: Path, actors: Actors) -> None:
    node = start_node(data_dir, "--no-seal")
    try:
        assert rpc(node.url, "eth_mining") is False
        assert rpc(node.url, "eth_blockNumber") == "0x0"
    finally:
        node.stop()
    assert "Traceback" not in node.log_path.read_text()
