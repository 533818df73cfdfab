"""Where the node's keystore password comes from, through the real commands (CliRunner).

The node folder is a private copy of a real anchoring node (tests/audit/audit_helpers.py)
whose generated `keys/password` the tests move out of the folder, as an operator would in
production; then each source (a file elsewhere, EVANCHOR_PASSWORD, a named variable, the
prompt) unlocks the node's key and the sealer's for an on-chain `agency grant`, and every
way of getting it wrong is one line that says what to do.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from evanchor.anchor.protocol.signing import address_of
from evanchor.cli.main import cli
from evanchor.node.chain.keys import generate_key
from evanchor.node.daemon.home import NodeHome
from evanchor.node.daemon.passwords import password_from_file, unlock

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audit"))
from audit_helpers import COLLECTOR_CODE, ENV, Built, anchored_copy, free_port

WRONG_WAYS = "give --password-file FILE or --password-env NAME"


@pytest.fixture
def built(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Built:
    return anchored_copy(tmp_path_factory, tmp_path)


@pytest.fixture
def elsewhere(built: Built, tmp_path: Path) -> Path:
    """The node's password moved out of its folder (the folder no longer unlocks itself)."""
    vault = tmp_path / "vault"
    vault.mkdir(mode=0o700)
    moved = vault / "node.password"
    NodeHome(built.home).generated_password.rename(moved)
    return moved


def run(
    home: Path, *args: str, env: dict[str, str] | None = None, typed: str | None = None
) -> Result:
    return CliRunner(env={**ENV, **(env or {})}).invoke(
        cli, ["--home", str(home), *args], input=typed
    )


def new_address() -> str:
    return address_of(generate_key().to_bytes())


def test_each_source_unlocks_the_node_and_the_sealer(built: Built, elsewhere: Path) -> None:
    secret = elsewhere.read_text().splitlines()[0]
    grants = [
        ("--password-file", ["--password-file", str(elsewhere)], {}, None),
        ("EVANCHOR_PASSWORD", [], {"EVANCHOR_PASSWORD": secret}, None),
        ("--password-env", ["--password-env", "VAULT_SECRET"], {"VAULT_SECRET": secret}, None),
        ("--password-prompt", ["--password-prompt"], {}, secret + "\n"),
    ]
    for name, args, env, typed in grants:
        address = new_address()
        result = run(
            built.home,
            "agency",
            "grant",
            address,
            "--code",
            COLLECTOR_CODE,
            *args,
            env=env,
            typed=typed,
        )
        assert result.exit_code == 0, (name, result.output)
        assert f"for agency {COLLECTOR_CODE} in block" in result.output, (name, result.output)


def test_no_password_at_all_names_every_way_to_give_one(built: Built, elsewhere: Path) -> None:
    result = run(built.home, "agency", "grant", new_address(), "--code", COLLECTOR_CODE)
    assert result.exit_code == 1
    keystore = NodeHome(built.home).node_keystore
    assert f"keystore {keystore}: no password was given; {WRONG_WAYS}" in result.output
    assert result.output.count("\n") == 1, result.output


def test_a_wrong_password_names_the_keystore_not_the_mac(built: Built, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.password"
    wrong.write_text("not the password\n")
    for command in (
        ["agency", "grant", new_address(), "--code", COLLECTOR_CODE],
        ["node", "start", "--api-port", str(free_port()), "--rpc-port", str(free_port())],
    ):
        result = run(built.home, *command, "--password-file", str(wrong))
        assert result.exit_code == 1, result.output
        keystore = NodeHome(built.home).node_keystore
        assert (
            f"wrong password for keystore {keystore} (password from --password-file {wrong})"
            in result.output
        )
        assert "MAC" not in result.output


def test_a_missing_password_file_names_where_it_was_named(built: Built, tmp_path: Path) -> None:
    missing = tmp_path / "no-such.password"
    result = run(
        built.home,
        "agency",
        "grant",
        new_address(),
        "--code",
        COLLECTOR_CODE,
        env={"EVANCHOR_PASSWORD_FILE": str(missing)},
    )
    assert result.exit_code == 1
    assert (
        f"password file {missing} (from EVANCHOR_PASSWORD_FILE) cannot be read: No such file"
        in result.output
    )
    assert "give --password-file FILE" in result.output
    result = run(built.home, "agency", "revoke", new_address(), "--password-file", str(missing))
    assert result.exit_code == 2
    assert "'--password-file'" in result.output


def test_an_unset_variable_and_two_sources_are_refused(built: Built) -> None:
    result = run(built.home, "agency", "revoke", new_address(), "--password-env", "NOT_SET_HERE")
    assert result.exit_code == 1
    assert "environment variable NOT_SET_HERE is not set" in result.output
    result = run(
        built.home, "agency", "revoke", new_address(), "--password-env", "X", "--password-prompt"
    )
    assert result.exit_code == 2
    assert "at most one of --password-file, --password-env, --password-prompt" in result.output


def test_init_with_a_prompted_password_writes_no_password_file(tmp_path: Path) -> None:
    home = tmp_path / "node"
    result = run(
        home,
        "init",
        "--password-prompt",
        "--rpc-port",
        str(free_port()),
        "--api-port",
        str(free_port()),
        typed="a long operator passphrase\na long operator passphrase\n",
    )
    assert result.exit_code == 0, result.output
    node = NodeHome(home)
    assert not node.generated_password.exists()
    assert "keystore password generated" not in result.output
    remembered = tmp_path / "remembered.password"
    remembered.write_text("a long operator passphrase\n")
    unlock(node.node_keystore, password_from_file(remembered))
