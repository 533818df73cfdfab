"""`evanchor verify` of many bundles against one chain export: one replay, each bundle's own
outcome, and a tampered bundle among good ones named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from audit_helpers import Built, anchored_copy, ok, run

from evanchor.node.daemon.home import NodeHome


@pytest.fixture
def built(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Built:
    return anchored_copy(tmp_path_factory, tmp_path)


def _bundles(built: Built, folder: Path) -> list[Path]:
    """Bundles of two records of each anchored checkpoint."""
    folder.mkdir()
    paths = []
    with NodeHome(built.home).open_log() as store:
        indices = [1, 3, built.sizes[0] + 1, built.sizes[0] + 3]
        ids = [store.record(index).record_id.hex() for index in indices]
    for number, record_id in enumerate(ids):
        path = folder / f"bundle-{number}.json"
        ok(built.home, "prove", record_id[:16], "-o", str(path))
        paths.append(path)
    return paths


def _verify(*args: str) -> tuple[int, Any, str]:
    result = run(Path("unused"), "verify", "--json", *args)
    assert result.exit_code in (0, 1, 3), result.output
    return result.exit_code, json.loads(result.stdout), result.stderr


def test_many_bundles_replay_once_and_each_gets_its_own_outcome(
    built: Built, tmp_path: Path
) -> None:
    paths = _bundles(built, tmp_path / "bundles")
    tampered = json.loads(paths[1].read_text())
    tampered["anchor"]["block_timestamp"] += 1
    paths[1].write_text(json.dumps(tampered))
    export = tmp_path / "chain.rlp"
    ok(built.home, "chain", "export", str(export))
    chain = ["--chain-export", str(export), "--genesis", str(built.home / "chain/genesis.json")]

    alone = []
    for path in paths:
        code, report, stderr = _verify(str(path), *chain)
        assert stderr.count("re-executed") == 1
        alone.append((code, report))

    code, together, stderr = _verify(str(tmp_path / "bundles"), *chain)
    assert stderr.count("re-executed") == 1  # one replay for the four bundles
    assert [b["file"] for b in together["bundles"]] == [str(p) for p in paths]
    for (alone_code, alone_report), one in zip(alone, together["bundles"], strict=True):
        del one["file"]
        assert one == alone_report
        assert alone_code == {"VERIFIED": 0, "NOT VERIFIED": 1, "CANNOT VERIFY": 3}[one["outcome"]]
    assert [code for code, _ in alone] == [0, 1, 0, 0]
    assert together["outcomes"] == {
        "VERIFIED": [str(paths[0]), str(paths[2]), str(paths[3])],
        "NOT VERIFIED": [str(paths[1])],
    }
    assert code == 1

    text = run(Path("unused"), "verify", *map(str, paths), *chain, "--lang", "en")
    assert text.exit_code == 1
    assert text.stdout.count("== ") == 4
    assert text.stdout.splitlines()[-1] == (
        f"4 bundles: 3 VERIFIED, 1 NOT VERIFIED (NOT VERIFIED: {paths[1]})"
    )


def test_a_malformed_bundle_stops_before_the_replay(built: Built, tmp_path: Path) -> None:
    paths = _bundles(built, tmp_path / "bundles")
    broken = tmp_path / "bundles" / "zz-broken.json"
    broken.write_text("{not json")
    export = tmp_path / "chain.rlp"
    ok(built.home, "chain", "export", str(export))
    result = run(
        Path("unused"),
        "verify",
        str(paths[0]),
        str(broken),
        "--chain-export",
        str(export),
        "--genesis",
        str(built.home / "chain/genesis.json"),
    )
    assert result.exit_code != 0
    assert "zz-broken.json" in result.output
    assert "re-executed" not in result.output
    assert "Traceback" not in result.output


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "none").mkdir()
    result = run(Path("unused"), "verify", str(tmp_path / "none"))
    assert result.exit_code == 2
    assert "no *.json file" in result.output
