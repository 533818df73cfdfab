"""The certificate as a PDF, read back with poppler and zbar: the text a clerk copies out, in
Chinese and English, holds the digests; the fonts are embedded; the QR code holds the
bundle's SHA-256; the same input gives the same bytes; no certificate for a failed bundle."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path

import pytest
from pdf_tools import flat, fonts, pages_as_png, pdf_text, qr_codes

from evanchor.anchor.protocol.note import parse_verifier_key
from evanchor.anchor.report import fonts as font_files
from evanchor.anchor.report.certificate import render_certificate
from evanchor.anchor.report.errors import CertificateRefused, FontMissing
from evanchor.anchor.report.language import Lang, pick
from evanchor.anchor.report.summary import Summary, summarize
from evanchor.anchor.verify.bundle import Report, verify_bundle
from evanchor.anchor.verify.checkpoint_note import witness_trust

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "bundles"
VALID = json.loads((VECTORS / "valid-log-only.json").read_text())["bundle"]
VALID_BYTES = (json.dumps(VALID, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
"""The bundle of the vector, as `evanchor prove` writes a bundle file."""
ISSUED = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def _summary(report: Report, lang: Lang) -> Summary:
    return summarize(
        report, lang=lang, bundle_name="valid.json", bundle_sha256=sha256(VALID_BYTES).digest()
    )


def _write(tmp_path: Path, summary: Summary, name: str = "certificate.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(render_certificate(summary, issued_at=ISSUED))
    return path


def test_the_chinese_certificate_reads_back(tmp_path: Path) -> None:
    pdf = _write(tmp_path, _summary(verify_bundle(VALID), Lang.ZH))
    text = pdf_text(pdf)
    for needle in (
        "存证证书",
        "EVIDENCE CERTIFICATE",
        "核验结论：已验证（VERIFIED）",
        "一、核验结论",
        "二、存证内容",
        "九、如何独立核验",
        "人民币 5,000.00 元",
        "承诺还款（promise_to_pay）",
        "2026-11-05 16:02:30.250 北京时间（UTC 2026-11-05 08:02:30.250）",
        "op-0042",
    ):
        assert needle in text, needle
    assert flat("未核验：证据包未附带检查点的签名说明（signed note）") in flat(text)
    assert flat("出具时间：2026-12-01 11:00:00 北京时间（UTC 2026-12-01 03:00:00）") in flat(text)
    digests = (
        sha256(VALID_BYTES).hexdigest(),
        VALID["commitment"],
        VALID["leaf_hash"],
        VALID["checkpoint"]["root"],
    )
    for digest in digests:
        assert digest in text, digest
    assert "第 1 页，共 3 页" in text


def test_the_english_certificate_reads_back(tmp_path: Path) -> None:
    pdf = _write(tmp_path, _summary(verify_bundle(VALID), Lang.EN))
    text = pdf_text(pdf)
    for needle in (
        "Evidence Certificate",
        "存证证书",
        "Outcome: VERIFIED",
        "1. Outcome",
        "CNY 5,000.00",
        "Page 1 of 3",
        VALID["commitment"],
        VALID["leaf_hash"],
    ):
        assert needle in text, needle
    assert flat("Not checked: the bundle carries no signed checkpoint note") in flat(text)
    assert "人民币" not in text


def test_fonts_are_embedded_and_the_pages_render(tmp_path: Path) -> None:
    pdf = _write(tmp_path, _summary(verify_bundle(VALID), Lang.ZH))
    used = fonts(pdf)
    assert used, "no fonts found"
    assert all(embedded for _, embedded in used), used
    names = " ".join(name for name, _ in used)
    assert "UMingCN" in names
    assert "WenQuanYiZenHei" in names
    assert "STSong" not in names
    pngs = pages_as_png(pdf, tmp_path)
    assert len(pngs) == 3
    assert all(png.stat().st_size > 10_000 for png in pngs)


def test_the_qr_code_holds_the_bundle_digest(tmp_path: Path) -> None:
    pdf = _write(tmp_path, _summary(verify_bundle(VALID), Lang.ZH))
    first_page = pages_as_png(pdf, tmp_path, dpi=150)[0]
    (payload,) = qr_codes(first_page)
    lines = payload.splitlines()
    digest = sha256(VALID_BYTES).hexdigest()
    number = "-".join(digest[k : k + 4] for k in range(0, 20, 4))
    assert lines[0] == f"evanchor evidence certificate EA-{number}"
    assert f"bundle sha256:{sha256(VALID_BYTES).hexdigest()}" in lines
    assert "verify: evanchor verify valid.json --rpc <chain node you trust>" in lines


def test_the_same_summary_gives_the_same_bytes() -> None:
    summary = _summary(verify_bundle(VALID), Lang.ZH)
    first = render_certificate(summary, issued_at=ISSUED)
    assert render_certificate(summary, issued_at=ISSUED) == first
    assert render_certificate(summary, issued_at=datetime(2027, 1, 1, tzinfo=UTC)) != first


WITNESSED = json.loads((VECTORS.parent / "witnessed-bundles" / "valid-witnessed.json").read_text())


def test_the_witnesses_and_the_witnessed_time_are_on_the_certificate(tmp_path: Path) -> None:
    """A bundle verified with the log's and both witnesses' keys: the certificate names each
    witness with its time, the witnessed time, and what a cosignature does not prove."""
    keys = WITNESSED["keys"]
    trust = witness_trust(
        [parse_verifier_key(k) for k in keys["log"]],
        [parse_verifier_key(k) for k in keys["witnesses"]],
        now=WITNESSED["now"],
    )
    report = verify_bundle(
        WITNESSED["bundle"],
        trusted_block_hash=bytes.fromhex(WITNESSED["options"]["trusted_block_hash"]),
        trust=trust,
    )
    assert report.ok, report.steps
    for lang, needles in (
        (
            Lang.ZH,
            (
                "见证人联署",
                "court1.example/witness",
                "于 2026-11-29 10:17:40 北京时间（UTC 2026-11-29 02:17:40）联署该检查点",
                "court2.example/witness",
                "最迟存在时间（独立见证）",
                "这一时间由见证人担保，不依赖节点运营方",
                "联署不证明什么",
                "不证明记录所述事实属实",
            ),
        ),
        (
            Lang.EN,
            (
                "Witness cosignature",
                "court1.example/witness",
                "Cosigned the checkpoint at 2026-11-29 10:17:40 Beijing time",
                "Existed no later than (witnessed)",
                "vouched for by the witnesses, not by the node's operator",
                "not that the records' facts are true",
            ),
        ),
    ):
        pdf = _write(tmp_path, _summary(report, lang), f"witnessed-{lang.value}.pdf")
        text = flat(pdf_text(pdf))
        for needle in needles:
            assert flat(needle) in text, needle
        assert flat(pick(lang, "未核验：证据包", "Not checked: the bundle")) not in text


def test_no_certificate_for_a_bundle_that_fails() -> None:
    changed = copy.deepcopy(VALID)
    changed["record"]["amount"]["minor_units"] = 50_000_000
    summary = _summary(verify_bundle(changed), Lang.ZH)
    with pytest.raises(CertificateRefused) as refused:
        render_certificate(summary, issued_at=ISSUED)
    assert refused.value.step == "commitment"
    assert refused.value.reason.startswith("record and salt commit to ")


def test_a_missing_font_is_named_with_where_it_was_looked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(font_files.FONT_DIR_VARIABLE, str(tmp_path))
    with pytest.raises(FontMissing) as missing:
        font_files._find("test face", "no-such-face.ttf")
    assert missing.value.searched[0] == str(tmp_path / "no-such-face.ttf")
    assert "fonts-arphic-uming" in str(missing.value)
    # A folder in EVANCHOR_FONT_DIR is searched first.
    (tmp_path / "uming.ttc").write_bytes(b"")
    assert font_files._find("test face", "uming.ttc").path == tmp_path / "uming.ttc"
