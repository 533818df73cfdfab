"""`evanchor certificate` and the plain-language `evanchor verify`, through the CLI, on a real
anchored node's bundles: checked against a re-executed chain export or a trusted block hash,
in Chinese and English; a case bundle; and no certificate (no file) for a bundle that fails.
"""

from __future__ import annotations

import json
import socket
from hashlib import sha256
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from pdf_tools import flat, fonts, pages_as_png, pdf_text, qr_codes

from evanchor.anchor.protocol.commitment import canonical_bytes, record_id
from evanchor.cli.main import cli
from evanchor.node.daemon.home import NodeHome

HAMMER_PRICE = 14
"""The auction lot's `sold` record: leaf 14 (after the collection case's seven records and
their checkpoint's seal leaf, leaf 7)."""


def run(home: Path, *args: str | Path) -> Result:
    env = {"EVANCHOR_KEYSTORE_SCRYPT_N": "4096", "EVANCHOR_PASSWORD_FILE": ""}
    return CliRunner(env=env).invoke(cli, ["--home", str(home), *map(str, args)])


def ok(home: Path, *args: str | Path) -> Result:
    result = run(home, *args)
    assert result.exit_code == 0, result.output
    return result


def _bundle(node: Any, tmp_path: Path, index: int = HAMMER_PRICE) -> tuple[Path, dict[str, Any]]:
    with NodeHome(node.home).open_log() as store:
        full_id = store.record(index).record_id.hex()
    path = tmp_path / "hammer-price-bundle.json"
    ok(node.home, "prove", full_id, "-o", path)
    return path, json.loads(path.read_text())


def _chain_export(node: Any, tmp_path: Path) -> list[str | Path]:
    export = tmp_path / "chain.rlp"
    ok(node.home, "chain", "export", export)
    return ["--chain-export", export, "--genesis", node.home / "chain" / "genesis.json"]


def test_a_certificate_checked_against_the_chain(anchored_node: Any, tmp_path: Path) -> None:
    path, bundle = _bundle(anchored_node, tmp_path)
    pdf = tmp_path / "certificate.pdf"
    result = ok(
        anchored_node.home, "certificate", path, "-o", pdf, *_chain_export(anchored_node, tmp_path)
    )
    digest = sha256(path.read_bytes()).hexdigest()
    number = "EA-" + "-".join(digest[i : i + 4] for i in range(0, 20, 4))
    assert f"wrote certificate {number} of hammer-price-bundle.json to {pdf}" in result.output

    text = pdf_text(pdf)
    for needle in (
        "存证证书",
        "核验结论：已验证（VERIFIED）",
        "成交（sold）",
        "人民币 195,000.00 元",
        "(2026)沪0101执恢123号",
        "2026-11-15 10:17:30 北京时间（UTC 2026-11-15 02:17:30）",
        bundle["signature"]["signer"],
        bundle["anchor"]["contract"],
        bundle["anchor"]["block_hash"],
        record_id(canonical_bytes(bundle["record"])).hex(),
        bundle["commitment"],
        bundle["leaf_hash"],
        bundle["checkpoint"]["root"],
        digest,
    ):
        assert needle in text, needle
    words = flat(text)
    block = bundle["anchor"]["block_number"]
    for sentence in (
        "已与由创世文件重新执行的链导出 chain.rlp 核对",
        f"在第 {block} 号区块（锚定时），锚定合约的机构登记簿将该密钥登记为统一社会信用代码"
        " 91350100M000100Y43 的机构",
        "对运营方而言，这一时间只是运营方自己的声明",
        "独立见证",
        "未核验：证据包",
    ):
        assert flat(sentence) in words, sentence
    assert all(embedded for _, embedded in fonts(pdf))
    first_page = pages_as_png(pdf, tmp_path, dpi=150)[0]
    (payload,) = qr_codes(first_page)
    assert f"bundle sha256:{digest}" in payload.splitlines()


def test_an_english_certificate_against_a_trusted_block_hash(
    anchored_node: Any, tmp_path: Path
) -> None:
    path, bundle = _bundle(anchored_node, tmp_path)
    pdf = tmp_path / "certificate-en.pdf"
    block_hash = bundle["anchor"]["block_hash"]
    ok(
        anchored_node.home,
        "certificate",
        path,
        "-o",
        pdf,
        "--lang",
        "en",
        "--block-hash",
        block_hash,
    )
    text = pdf_text(pdf)
    for needle in ("Evidence Certificate", "Outcome: VERIFIED", "CNY 195,000.00", "sold"):
        assert needle in text, needle
    words = flat(text)
    assert flat(f"equals the trusted block hash the verifier gave ({block_hash})") in words
    assert flat("Whether this key was registered to the agency when anchored: not checked") in (
        words
    )


def test_no_certificate_for_a_bundle_that_does_not_verify(
    anchored_node: Any, tmp_path: Path
) -> None:
    path, bundle = _bundle(anchored_node, tmp_path)
    bundle["record"]["hammer_price"]["minor_units"] = 1_000
    path.write_text(json.dumps(bundle))
    pdf = tmp_path / "out" / "certificate.pdf"
    pdf.parent.mkdir()
    result = run(anchored_node.home, "certificate", path, "-o", pdf)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(
        "Error: no certificate issued: the bundle does not verify (commitment step: "
    )
    assert list(pdf.parent.iterdir()) == []

    path, bundle = _bundle(anchored_node, tmp_path)
    result = run(anchored_node.home, "certificate", path, "-o", pdf, "--block-hash", "00" * 32)
    assert result.exit_code == 1
    assert "(anchor step: chain: block hash" in result.output
    assert list(pdf.parent.iterdir()) == []


def test_a_case_certificate(anchored_node: Any, tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    ok(anchored_node.home, "case", "prove", "collection/C-2026-000117", "-o", path)
    pdf = tmp_path / "case.pdf"
    ok(anchored_node.home, "certificate", path, "-o", pdf, "--lang", "en")
    words = flat(pdf_text(pdf))
    assert flat("2. What the record says (record 7 of 7): Debt-collection record: case closed") in (
        words
    )
    assert flat("they follow one another from the case's first record with none missing") in words
    # Version 2 commits to the case's head: that none follows the last one is proven.
    assert flat("Every record of case collection/C-2026-000117 up to the checkpoint") in words
    assert flat("Whether the case has further records after the last one shown") not in words


def test_verify_prints_the_plain_summary(anchored_node: Any, tmp_path: Path) -> None:
    path, bundle = _bundle(anchored_node, tmp_path)
    result = ok(anchored_node.home, "verify", path)
    output = result.output
    assert "  [ok  ] commitment: " in output  # the step list stays
    assert "核验结论：已验证（VERIFIED）" in output
    assert "成交价：人民币 195,000.00 元" in output
    assert "发生时间（记录所载）：2026-11-15 10:17:30 北京时间（UTC 2026-11-15 02:17:30）" in output
    assert "仅离线核验" in output

    result = ok(anchored_node.home, "verify", path, "--lang", "en", "--json")
    report = json.loads(result.output)
    assert report["valid"] is True
    assert report["proven"][0]["record"] == bundle["record"]
    assert report["proven"][0]["anchor"]["tied_to"] == "bundle"
    plain = report["plain"]
    assert (plain["lang"], plain["verified"]) == ("en", True)
    sections = {s["section"]: s for s in plain["sections"]}
    record = {s["label"]: s["text"] for s in sections["record"]["statements"]}
    assert record["Hammer price"] == "CNY 195,000.00"
    bases = {s["label"]: s["basis"] for s in sections["time"]["statements"]}
    assert bases["Who vouches for this time"] == "claim"
    assert bases["Independent witness"] == "not proven"


def test_verify_of_a_tampered_bundle_says_not_verified(anchored_node: Any, tmp_path: Path) -> None:
    path, bundle = _bundle(anchored_node, tmp_path)
    bundle["leaf"]["accepted_at"] = "2020-01-01T00:00:00.000Z"
    path.write_text(json.dumps(bundle))
    result = run(anchored_node.home, "verify", path, "--lang", "en")
    assert result.exit_code == 1
    assert "Outcome: NOT VERIFIED" in result.output
    assert "NOT VERIFIED: the leaf step failed." in result.output
    assert "195,000.00" not in result.output


def test_no_certificate_when_the_chain_is_out_of_reach_exits_as_verify_does(
    anchored_node: Any, tmp_path: Path
) -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    path, _ = _bundle(anchored_node, tmp_path)
    pdf = tmp_path / "out" / "certificate.pdf"
    pdf.parent.mkdir()
    verified = run(anchored_node.home, "verify", path, "--rpc", closed)
    assert verified.exit_code == 3
    assert verified.output.startswith("CANNOT VERIFY")
    result = run(anchored_node.home, "certificate", path, "-o", pdf, "--rpc", closed)
    assert result.exit_code == 3
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: no certificate issued: the bundle does not verify (")
    assert "CANNOT VERIFY: " in line
    assert list(pdf.parent.iterdir()) == []
