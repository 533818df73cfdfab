"""Genesis files and sealer key files."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from evanchor.node.chain.datadir import init_data_dir, open_chain
from evanchor.node.chain.errors import DataDirError, GenesisError, KeyFileError
from evanchor.node.chain.genesis import Genesis, read_genesis, write_genesis
from evanchor.node.chain.keys import generate_key, load_key, write_keystore, write_raw_key

from chain_helpers import Actors


def test_genesis_round_trips(tmp_path: Path, genesis: Genesis) -> None:
    path = tmp_path / "genesis.json"
    write_genesis(path, genesis)
    assert read_genesis(path) == genesis
    document = json.loads(path.read_text())
    assert document["format"] == "evanchor-genesis/1"
    assert document["alloc"][next(iter(document["alloc"]))]["balance"].startswith("0x")


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("chainId", 0, "chainId"),
        ("authorities", [], "authorities"),
        ("authorities", ["0x12"], "authorities"),
        ("gasLimit", 100, "gasLimit"),
        ("clique", {"period": -1}, "clique.period"),
        ("clique", {"epoch": 0}, "clique.epoch"),
        ("extraVanity", "0x00", "extraVanity"),
        ("format", "other/1", "format"),
        ("timestamp", "soon", "timestamp"),
    ],
)
def test_genesis_errors_name_the_field(
    tmp_path: Path, genesis: Genesis, field: str, value: object, named: str
) -> None:
    document = genesis.to_json()
    document[field] = value
    path = tmp_path / "genesis.json"
    path.write_text(json.dumps(document))
    with pytest.raises(GenesisError) as failure:
        read_genesis(path)
    assert failure.value.field == named


def test_genesis_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "genesis.json"
    path.write_text("{")
    with pytest.raises(GenesisError, match="not JSON"):
        read_genesis(path)


def test_raw_key_file_is_private_and_loads(tmp_path: Path) -> None:
    key = generate_key()
    path = tmp_path / "sealer.key"
    write_raw_key(path, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(path) == key


def test_keystore_needs_its_password(tmp_path: Path, actors: Actors) -> None:
    path = tmp_path / "sealer.keystore.json"
    write_keystore(path, actors.sealer, "correct horse")
    password = tmp_path / "password"
    password.write_text("correct horse\n")
    assert load_key(path, password) == actors.sealer
    with pytest.raises(KeyFileError, match="password file is needed"):
        load_key(path)
    password.write_text("wrong\n")
    with pytest.raises(KeyFileError, match="wrong password for this keystore"):
        load_key(path, password)


def test_bad_key_files(tmp_path: Path) -> None:
    path = tmp_path / "sealer.key"
    path.write_text("zz")
    with pytest.raises(KeyFileError, match="hex"):
        load_key(path)
    path.write_text("00" * 31)
    with pytest.raises(KeyFileError, match="32-byte"):
        load_key(path)
    with pytest.raises(KeyFileError, match="cannot read"):
        load_key(tmp_path / "missing")


def test_data_dir_is_not_overwritten_and_must_exist(tmp_path: Path, genesis: Genesis) -> None:
    init_data_dir(tmp_path / "node", genesis, None)
    with pytest.raises(DataDirError, match="already initialised"):
        init_data_dir(tmp_path / "node", genesis, None)
    with pytest.raises(DataDirError, match="not a chain data directory"):
        open_chain(tmp_path / "elsewhere")
    with pytest.raises(DataDirError, match="no sealer key"):
        open_chain(tmp_path / "node", load_sealer=True)
