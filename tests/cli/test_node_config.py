"""The node configuration: a TOML file validated by pydantic, and legacy config.json."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from evanchor.node.daemon.home import (
    ApiConfig,
    ChainConfig,
    ChainMode,
    HomeError,
    NodeConfig,
    NodeHome,
    SealPolicyConfig,
)

CHAIN = ChainConfig(
    mode=ChainMode.EXTERNAL,
    rpc_url="http://127.0.0.1:8545",
    chain_id=7107,
    contract="0x5FbDB2315678afecb367f032d93F642f64180aa3",
    writer="0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    deploy_block=3,
)


def _home(tmp_path: Path, config: NodeConfig) -> NodeHome:
    home = NodeHome(tmp_path / "node")
    home.initialise(config)
    return home


def test_the_configuration_round_trips_through_toml(tmp_path: Path) -> None:
    config = NodeConfig(
        seal_policy=SealPolicyConfig(max_records=50, max_seconds=5.0),
        chain=CHAIN,
        api=ApiConfig(port=9090),
    )
    home = _home(tmp_path, config)
    text = home.config_path.read_text()
    assert home.config_path.name == "config.toml"
    assert text.startswith("# evanchor node configuration")
    assert tomllib.loads(text)["chain"]["mode"] == "external"
    assert home.config() == config
    assert home.config().chain is not None
    assert home.config().seal_policy.policy.max_records == 50


def test_a_log_only_node_has_no_chain_table(tmp_path: Path) -> None:
    home = _home(tmp_path, NodeConfig())
    assert "chain" not in tomllib.loads(home.config_path.read_text())
    assert home.config().chain is None


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (("[api]", "[api]\ncolour = 1"), "api.colour"),
        (("port = 8080", 'port = "8080"'), "api.port"),
        (("max_records = 1000", "max_records = 0"), "seal_policy.max_records"),
        (("version = 1", "version = 2"), "version"),
    ],
    ids=["unknown key", "wrong type", "out of range", "version"],
)
def test_a_bad_configuration_names_the_key(
    tmp_path: Path, edit: tuple[str, str], named: str
) -> None:
    home = _home(tmp_path, NodeConfig())
    old, new = edit
    text = home.config_path.read_text()
    assert old in text
    home.config_path.write_text(text.replace(old, new, 1))
    with pytest.raises(HomeError, match=rf"config\.toml: invalid configuration: {named}"):
        home.config()


def test_malformed_toml_is_one_clear_error(tmp_path: Path) -> None:
    home = _home(tmp_path, NodeConfig())
    home.config_path.write_text("[api\nport = 1\n")
    with pytest.raises(HomeError, match=r"config\.toml: cannot read"):
        home.config()


def test_a_legacy_json_configuration_is_read_and_replaced_on_write(tmp_path: Path) -> None:
    home = NodeHome(tmp_path / "old")
    home.path.mkdir()
    legacy = {
        "version": 1,
        "seal_policy": {"max_records": 7, "max_seconds": 2.0},
        "chain": CHAIN.as_json(),
        "api": {"host": "127.0.0.1", "port": 8081},
    }
    home.legacy_config_path.write_text(json.dumps(legacy))
    config = home.config()
    assert config.chain == CHAIN
    assert config.seal_policy.max_records == 7
    home.write_config(config)
    assert not home.legacy_config_path.exists()
    assert home.config() == config
