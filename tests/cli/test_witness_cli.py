"""`evanchor witness init|add-log|status` and `evanchor log key|witness` through CliRunner."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from click.testing import CliRunner

from evanchor.anchor.protocol.note import COSIGNATURE_V1, ED25519, parse_verifier_key
from evanchor.anchor.witness.config import WitnessHome
from evanchor.cli.main import cli


def _run(*args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(cli, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code != 0, result.output
    return result.output


def test_a_witness_folder_is_made_and_follows_logs(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    log_key = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    out = _run(
        "witness", "--dir", str(folder), "init", "--name", "court.example/w", "--log", log_key
    )
    vkey = parse_verifier_key(out.split("verifier key: ")[1].split()[0])
    assert (vkey.name, vkey.signature_type) == ("court.example/w", COSIGNATURE_V1)
    assert stat.S_IMODE((folder / "witness.key").stat().st_mode) == 0o600
    home = WitnessHome(folder)
    assert home.signer().verifier == vkey
    assert [log.origin for log in home.config().logs] == ["PeterNeumann"]

    enoch = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
    _run("witness", "--dir", str(folder), "add-log", enoch, "--origin", "example.com/log")
    _run("witness", "--dir", str(folder), "add-log", log_key)  # already followed: no change
    assert [log.origin for log in home.config().logs] == ["PeterNeumann", "example.com/log"]

    status = json.loads(_run("witness", "--dir", str(folder), "status", "--json"))
    assert status["running"] is False
    assert status["verifier_key"] == str(vkey)
    assert [log["latest"] for log in status["logs"]] == [None, None]
    assert "nothing cosigned yet" in _run("witness", "--dir", str(folder), "status")

    again = _run("witness", "--dir", str(folder), "init", "--name", "x", ok=False)
    assert "already a witness folder" in again
    bad = _run("witness", "--dir", str(folder), "add-log", str(vkey), ok=False)
    assert "not a log key" in bad


def test_bad_witness_settings_are_one_line_errors(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    assert "no space" in _run("witness", "--dir", str(folder), "init", "--name", "a b", ok=False)
    assert not folder.exists()
    _run("witness", "--dir", str(folder), "init", "--name", "court.example/w")
    (folder / "witness.toml").write_text('name = "court.example/w"\nlisten = "nowhere"\n')
    out = _run("witness", "--dir", str(folder), "status", ok=False)
    assert "witness.toml: listen: expected HOST:PORT" in out


def test_log_key_and_witness_settings_of_a_node(tmp_path: Path) -> None:
    home = str(tmp_path / "node")
    _run("--home", home, "init", "--log-only")
    log_key = parse_verifier_key(_run("--home", home, "log", "key"))
    assert log_key.signature_type == ED25519
    assert log_key.name.startswith("evanchor/log-only/")
    assert stat.S_IMODE((tmp_path / "node" / "keys" / "log.key").stat().st_mode) == 0o600

    witness = tmp_path / "w"
    out = _run("witness", "--dir", str(witness), "init", "--name", "court.example/w")
    vkey = out.split("verifier key: ")[1].split()[0]
    _run("--home", home, "log", "witness", "add", vkey, "--url", "http://127.0.0.1:9")
    assert "quorum 2 is not within 0..1" in _run(
        "--home", home, "log", "witness", "policy", "2", ok=False
    )
    _run("--home", home, "log", "witness", "policy", "1")
    listed = json.loads(_run("--home", home, "log", "witness", "list", "--json"))
    assert listed["quorum"] == 1
    assert listed["witnesses"] == [{"url": "http://127.0.0.1:9", "vkey": vkey}]
    assert "not a cosignature/v1 key" in _run(
        "--home", home, "log", "witness", "add", str(log_key), "--url", "http://x", ok=False
    )
    status = json.loads(_run("--home", home, "node", "status", "--json"))
    assert status["witnessing"]["log_key"] == str(log_key)
    assert status["witnessing"]["latest"] is None
    _run("--home", home, "log", "witness", "remove", "court.example/w")
    assert json.loads(_run("--home", home, "log", "witness", "list", "--json"))["quorum"] == 0
