"""The certificate as a PDF, read back with poppler and zbar: the text a clerk copies out, in
Chinese and English, holds the digests; the fonts are embedded; the QR code holds the
bundle's SHA-256; the same input gives the same bytes; no certificate for a failed bundle."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path

import pytest
from pdf_tools import flat, fonts, pages_as_png, pdf_text, qr_codes

from evanchor.anchor.report import fonts as font_files
from evanchor.anchor.report.certificate import render_certificate
from evanchor.anchor.report.errors import CertificateRefused, FontMissing
from evanchor.anchor.report.language import Lang
from evanchor.anchor.report.summary import Summary, summarize
from evanchor.anchor.verify.bundle import Report, WitnessCosignature, verify_bundle

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
    assert flat("无独立见证人联署（no independent witness）") in flat(text)
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
    assert flat("No independent witness") in flat(text)
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


def test_a_witness_section_appears_when_the_bundle_has_cosignatures(tmp_path: Path) -> None:
    report = verify_bundle(VALID)
    witnessed = dataclasses.replace(
        report.proven[0],
        witnesses=(WitnessCosignature("court.example/witness", int(ISSUED.timestamp())),),
    )
    report = dataclasses.replace(report, proven=(witnessed,))
    text = flat(pdf_text(_write(tmp_path, _summary(report, Lang.EN))))
    assert flat("Witnessed by court.example/witness at 2026-12-01 11:00:00 Beijing time") in text
    assert flat("No independent witness") not in text


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
