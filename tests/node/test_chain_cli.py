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
from evanchor.node.daemon.running import chain_run_file, running_chain

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


def test_status_against_a_running_node(data_dir: Path, actors: Actors) -> None:
    node = start_node(data_dir)
    try:
        tx_hash = rpc(node.url, "eth_sendRawTransaction", "0x" + signed_tx(actors.writer, 0).hex())
        wait_for_receipt(node.url, tx_hash)
        code, output = invoke("status", "--rpc", node.url)
        assert code == 0, output
        status = json.loads(output)
        assert status["head"] == 1
        assert status["authorities"] == ["0x" + actors.sealer_address.hex()]
    finally:
        node.stop()


def test_status_beside_a_chain_run_asks_it_and_says_what_the_stopped_folder_says(
    data_dir: Path, actors: Actors
) -> None:
    """`chain run` holds the database; its run file (running.py) tells `chain status` where
    it listens. Fails before the run file: DatabaseInUse."""
    dd = ["--data-dir", str(data_dir)]
    code, stopped = invoke(*dd, "status")
    assert code == 0, stopped
    node = start_node(data_dir)
    try:
        announced = running_chain(data_dir)
        assert announced is not None
        assert (announced.pid, announced.rpc) == (node.process.pid, node.url)
        assert chain_run_file(data_dir).stat().st_mode & 0o077 == 0
        code, beside = invoke(*dd, "status")
        assert code == 0, beside
        assert json.loads(beside) == json.loads(stopped)
        tx_hash = rpc(node.url, "eth_sendRawTransaction", "0x" + signed_tx(actors.writer, 0).hex())
        wait_for_receipt(node.url, tx_hash)
        code, moved = invoke(*dd, "status")
        assert code == 0, moved
        assert json.loads(moved)["head"] == 1
    finally:
        node.stop()
    assert not chain_run_file(data_dir).exists()
    code, after = invoke(*dd, "status")
    assert code == 0, after
    assert json.loads(after) == json.loads(moved)


def test_an_authority_vote_is_an_operator_action_on_the_stopped_node(
    data_dir: Path, actors: Actors
) -> None:
    subject = "0x" + "34" * 20
    other = "0x" + "56" * 20
    dd = ["--data-dir", str(data_dir)]
    assert invoke(*dd, "propose", other, "--drop")[0] == 0
    code, output = invoke(*dd, "propose", subject, "--add")
    assert code == 0, output
    assert f"vote to add {subject}" in output.lower()
    assert invoke(*dd, "discard", other)[0] == 0
    status = json.loads(invoke(*dd, "status")[1])
    assert status["proposals"] == {subject: True}
    assert (data_dir / "proposals.json").stat().st_mode & 0o777 == 0o600

    node = start_node(data_dir)
    try:
        assert rpc(node.url, "clique_proposals") == {subject: True}
        code, output = invoke(*dd, "propose", other, "--add")
        assert code == 1
        assert "stop the node" in output
        assert len(output.strip().splitlines()) == 1
        tx_hash = rpc(node.url, "eth_sendRawTransaction", "0x" + signed_tx(actors.writer, 0).hex())
        receipt = wait_for_receipt(node.url, tx_hash)
        block = rpc(node.url, "eth_getBlockByNumber", receipt["blockNumber"], False)
        assert block["miner"] == subject  # the vote rides in the coinbase, EIP-225
        assert block["nonce"] == "0x" + "ff" * 8
        signers = rpc(node.url, "clique_getSigners", "latest")
        assert sorted(signers) == sorted(["0x" + actors.sealer_address.hex(), subject])
    finally:
        node.stop()


def test_seal_is_an_operator_action_on_the_stopped_node(data_dir: Path) -> None:
    dd = ["--data-dir", str(data_dir)]
    code, output = invoke(*dd, "seal", "--count", "3")
    assert code == 0, output
    assert "sealed 3 block(s); head #3" in output
    chain = open_chain(data_dir)
    try:
        assert chain.head.block_number == 3
        assert chain.block(chain.head).transactions == ()
    finally:
        chain.close()
    node = start_node(data_dir)
    try:
        code, output = invoke(*dd, "seal")
        assert code == 1
        assert "stop the node" in output
        assert rpc(node.url, "eth_blockNumber") == "0x3"
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


def test_a_malformed_votes_file_is_named_in_one_line(data_dir: Path) -> None:
    (data_dir / "proposals.json").write_text(
        '{"format": "evanchor-proposals/1", "proposals": [{"address": "0x12", "authorize": true}]}'
    )
    code, output = invoke("--data-dir", str(data_dir), "status")
    assert code == 1
    assert output == (
        f"Error: {data_dir / 'proposals.json'}: proposals[0]: expected"
        " {address: 0x + 40 hex, authorize: bool}\n"
    )
