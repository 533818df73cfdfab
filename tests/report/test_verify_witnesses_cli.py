"""`evanchor verify --log-key --witness-key [--witness-policy]`: the wording of who witnessed
the checkpoint and when, in both languages; a policy unmet, bad keys and options refused in
one line (CliRunner, on the witnessed-bundle vectors of tests/vectors/witnessed-bundles/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from evanchor.cli.main import cli

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "witnessed-bundles"


def _vector(name: str) -> dict[str, Any]:
    vector: dict[str, Any] = json.loads((VECTORS / f"{name}.json").read_text())
    return vector


def _verify(tmp_path: Path, name: str, *options: str, keys: bool = True) -> Result:
    vector = _vector(name)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(vector["bundle"], ensure_ascii=False), encoding="utf-8")
    args = ["verify", str(path), "--block-hash", vector["options"]["trusted_block_hash"]]
    if keys:
        args += [item for key in vector["keys"]["log"] for item in ("--log-key", key)]
        args += [item for key in vector["keys"]["witnesses"] for item in ("--witness-key", key)]
    return CliRunner().invoke(cli, [*args, *options], catch_exceptions=False)


def test_verify_names_the_witnesses_and_their_times_in_chinese(tmp_path: Path) -> None:
    result = _verify(tmp_path, "valid-witnessed")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "[ok  ] checkpoint note:" in out
    assert (
        "witnessed by court2.example/witness at 2026-11-29T02:17:10Z, by"
        " court1.example/witness at 2026-11-29T02:17:40Z; policy 2 of 2 met" in out
    )
    for line in (
        "  见证人联署：court2.example/witness",
        "      于 2026-11-29 10:17:10 北京时间（UTC 2026-11-29 02:17:10）联署该检查点",
        "  最迟存在时间（独立见证）：2026-11-29 10:17:40 北京时间（UTC 2026-11-29 02:17:40）",
        "这一时间由见证人担保，不依赖节点运营方。 [已核验]",
        "对运营方而言，这一时间只是运营方自己的声明",
        "不证明记录所述事实属实",
    ):
        assert line in out, line


def test_verify_names_the_witnesses_and_their_times_in_english(tmp_path: Path) -> None:
    result = _verify(tmp_path, "valid-witnessed", "--lang", "en")
    assert result.exit_code == 0, result.output
    for line in (
        "  Witness cosignature: court1.example/witness",
        "      Cosigned the checkpoint at 2026-11-29 10:17:40 Beijing time (UTC 2026-11-29"
        " 02:17:40)",
        "  Existed no later than (witnessed): 2026-11-29 10:17:40 Beijing time",
        "This time is vouched for by the witnesses, not by the node's operator. [verified]",
        "the operator's own claim",
    ):
        assert line in result.output, line


def test_a_policy_of_one_takes_the_earliest_cosignature(tmp_path: Path) -> None:
    result = _verify(tmp_path, "valid-witnessed", "--witness-policy", "1", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    witnessing = report["witnessing"]
    assert witnessing["checked"] is True
    assert witnessing["policy"] == 1
    assert [c["witness"] for c in witnessing["cosignatures"]] == [
        "court2.example/witness",
        "court1.example/witness",
    ]
    assert witnessing["witnessed_at"] == witnessing["cosignatures"][0]["timestamp"]
    assert report["proven"][0]["witnessing"] == witnessing


def test_an_unmet_policy_fails_naming_the_missing_witness(tmp_path: Path) -> None:
    result = _verify(tmp_path, "policy-unmet")
    assert result.exit_code == 1, result.output
    assert (
        "[FAIL] checkpoint note: witness policy: 2 of 2 trusted witnesses required, cosigned by"
        " court1.example/witness; no cosignature from court2.example/witness" in result.output
    )
    assert "未通过核验（NOT VERIFIED）：“检查点签名与见证”步骤失败" in result.output


def test_a_tampered_cosignature_fails_naming_the_witness(tmp_path: Path) -> None:
    result = _verify(tmp_path, "tampered-cosignature", "--lang", "en")
    assert result.exit_code == 1, result.output
    assert (
        "[FAIL] checkpoint note: cosignature: court2.example/witness: does not verify"
        in result.output
    )


def test_without_witness_keys_the_witnessing_is_said_not_checked(tmp_path: Path) -> None:
    for options, zh in (
        ((), "未核验：证据包附带检查点的签名说明，但核验时未提供见证人公钥"),
        (("--lang", "en"), "Not checked: the bundle carries the signed checkpoint note, but no"),
    ):
        result = _verify(tmp_path, "valid-witnessed", *options, keys=False)
        assert result.exit_code == 0, result.output
        assert zh in result.output
        assert "witnessing were not checked (no log key or witness keys given)" in result.output
        assert "联署该检查点（已用" not in result.output
        assert "Cosigned the checkpoint at" not in result.output


def test_bad_keys_and_options_are_usage_errors_naming_the_option(tmp_path: Path) -> None:
    vector = _vector("valid-witnessed")
    log, witness = vector["keys"]["log"][0], vector["keys"]["witnesses"][0]
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(vector["bundle"]), encoding="utf-8")
    for options, needle in (
        (["--witness-key", witness], "--witness-key"),
        (["--log-key", log[:-2]], "--log-key"),
        (["--log-key", witness], "--log-key"),
        (["--log-key", log, "--witness-key", log], "--witness-key"),
        (["--log-key", log, "--witness-key", witness, "--witness-policy", "2"], "--witness-policy"),
    ):
        result = CliRunner().invoke(cli, ["verify", str(path), *options])
        assert result.exit_code == 2, (options, result.output)
        (line,) = [x for x in result.output.splitlines() if x.startswith("Error")]
        assert needle in line, line
