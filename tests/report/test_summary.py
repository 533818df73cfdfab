"""The plain-language summary: what it says for verified bundles (log-only, case, witnessed),
that every statement carries its basis, that a failed bundle shows nothing as evidence, and
the known answers of its times, amounts and certificate number."""

from __future__ import annotations

import copy
import dataclasses
import json
import socket
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path

import pytest

from evanchor.anchor.ethereum.client import web3_for
from evanchor.anchor.log.bundle import build_case_bundle
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.commitment import canonical_bytes, record_id
from evanchor.anchor.protocol.note import parse_verifier_key
from evanchor.anchor.report.language import Lang, dual_epoch, dual_timestamp_text, money, pick
from evanchor.anchor.report.record_view import record_rows
from evanchor.anchor.report.statements import Basis, ChainSource, ChainSourceKind
from evanchor.anchor.report.summary import Summary, certificate_number, qr_payload, summarize
from evanchor.anchor.verify.bundle import Report, verify_bundle
from evanchor.anchor.verify.case_bundle import verify_case_bundle
from evanchor.anchor.verify.checkpoint_note import witness_trust

from samples import prepared

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "bundles"
VALID = json.loads((VECTORS / "valid-log-only.json").read_text())["bundle"]
VALID_BYTES = (json.dumps(VALID, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
"""The bundle of the vector, as `evanchor prove` writes a bundle file."""
TAMPERED = {
    p.stem: json.loads(p.read_text())
    for p in sorted(VECTORS.glob("*.json"))
    if json.loads(p.read_text())["expected"]["outcome"] == "NOT VERIFIED"
    and json.loads(p.read_text())["kind"] == "proof-bundle"
}
"""The named vectors that fail (docs/PROTOCOL.md §7)."""
WITNESSED_AT = int(datetime(2026, 11, 29, 2, 20, tzinfo=UTC).timestamp())
SECTIONS = [
    "outcome", "record", "submitter", "time", "integrity", "completeness", "chain", "checks",
    "how_to_check",
]  # fmt: skip


def _summary(report: Report, lang: Lang = Lang.ZH, raw: bytes = VALID_BYTES) -> Summary:
    return summarize(
        report, lang=lang, bundle_name="valid.json", bundle_sha256=sha256(raw).digest()
    )


def _statements(summary: Summary, key: str) -> dict[str, tuple[str, Basis]]:
    return {
        s.label: (s.text, s.basis) for section in summary.section(key) for s in section.statements
    }


def test_the_verifier_reports_what_it_proved() -> None:
    report = verify_bundle(VALID)
    (proven,) = report.proven
    assert proven.record == VALID["record"]
    assert proven.record_id == record_id(canonical_bytes(VALID["record"]))
    assert proven.commitment.hex() == VALID["commitment"]
    assert proven.leaf_hash.hex() == VALID["leaf_hash"]
    assert (proven.leaf_index, proven.prev, proven.case) == (3, 2, "collection/C-2026-000117")
    assert proven.checkpoint_root.hex() == VALID["checkpoint"]["root"]
    assert (proven.anchor, proven.signer, proven.witnesses) == (None, None, ())
    assert report.as_json()["proven"][0]["record"] == VALID["record"]


def test_a_log_only_bundle_in_chinese() -> None:
    summary = _summary(verify_bundle(VALID))
    assert summary.verified
    assert summary.headline == "核验结论：已验证（VERIFIED）"
    assert [s.key for s in summary.sections] == SECTIONS
    record = _statements(summary, "record")
    assert record["金额"] == ("人民币 5,000.00 元", Basis.RECORD)
    assert record["事件"][0] == "承诺还款（promise_to_pay）"
    assert record["方式"][0] == "电话（phone）"
    assert record["发生时间（记录所载）"][0] == (
        "2026-11-05 16:02:30.250 北京时间（UTC 2026-11-05 08:02:30.250）"
    )
    assert record["备注"][0] == "Debtor promised a first instalment by 2026-11-20."
    outcome = _statements(summary, "outcome")
    assert outcome["核验依据"][1] is Basis.NOT_PROVEN
    assert "未锚定到区块链" in outcome["核验依据"][0]
    submitter = _statements(summary, "submitter")
    assert submitter["签名密钥"][1] is Basis.NOT_PROVEN
    time = _statements(summary, "time")
    assert time["独立见证"] == (
        "未核验：证据包未附带检查点的签名说明（signed note），没有可核验的见证人联署。"
        "除区块时间外，没有第三方担保的时间。",
        Basis.NOT_PROVEN,
    )
    assert time["节点接收时间"][1] is Basis.CLAIM
    assert time["检查点封存时间"][1] is Basis.CLAIM
    integrity = _statements(summary, "integrity")
    assert integrity["承诺值"] == (VALID["commitment"], Basis.VERIFIED)
    assert integrity["叶哈希（日志第 3 条）"] == (VALID["leaf_hash"], Basis.VERIFIED)
    assert integrity["证据包文件 SHA-256"][0] == sha256(VALID_BYTES).hexdigest()
    completeness = _statements(summary, "completeness")
    assert "日志第 2 条" in completeness["案件链接"][0]
    assert completeness["本案其他记录"][1] is Basis.NOT_PROVEN
    checks = _statements(summary, "checks")
    assert checks["区块链锚定"] == ("未做：证据包中没有区块链锚定证据", Basis.NOT_PROVEN)


def test_the_same_bundle_in_english() -> None:
    summary = _summary(verify_bundle(VALID), Lang.EN)
    assert summary.headline == "Outcome: VERIFIED"
    record = _statements(summary, "record")
    assert record["Amount"][0] == "CNY 5,000.00"
    assert record["Event"][0] == "promise to pay"
    assert record["Channel"][0] == "phone"
    time = _statements(summary, "time")
    assert time["Independent witness"][0].startswith("Not checked: the bundle carries no")
    assert "Beijing time (UTC 2026-11-29 02:15:30.125)" in time["Accepted by the node"][0]
    text = summary.as_text()
    assert "[not proven]" in text
    assert "[claim only]" in text
    assert "\u3002" not in text  # no Chinese full stop in the English summary


def test_every_statement_rests_on_a_basis_and_claims_say_whose() -> None:
    for lang in Lang:
        summary = _summary(verify_bundle(VALID), lang)
        for section in summary.sections:
            for statement in section.statements:
                assert isinstance(statement.basis, Basis)
                if statement.basis is Basis.CLAIM:
                    assert any(
                        word in statement.text
                        for word in ("节点", "运营方", "出块方", "node", "operator", "sealer")
                    ), statement


@pytest.mark.parametrize("name", sorted(TAMPERED))
def test_a_bundle_that_fails_shows_no_evidence(name: str) -> None:
    vector = TAMPERED[name]
    trusted = vector["options"]["trusted_block_hash"]
    report = verify_bundle(
        vector["bundle"], trusted_block_hash=None if trusted is None else bytes.fromhex(trusted)
    )
    summary = _summary(report)
    assert not summary.verified
    assert [s.key for s in summary.sections] == ["outcome"]
    assert summary.headline == "核验结论：未通过核验（NOT VERIFIED）"
    assert vector["bundle"]["record"]["operator_id"] not in summary.as_text()


def test_a_chain_that_cannot_answer_is_said_so_and_shows_no_evidence() -> None:
    vector = json.loads((VECTORS / "chain-unreachable.json").read_text())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    report = verify_bundle(vector["bundle"], w3=web3_for(f"http://127.0.0.1:{port}", timeout=2))
    for lang, headline in (
        (Lang.ZH, "核验结论：无法核验（CANNOT VERIFY）"),
        (Lang.EN, "Outcome: CANNOT VERIFY"),
    ):
        summary = _summary(report, lang)
        assert (summary.verified, summary.headline) == (False, headline)
        assert [s.key for s in summary.sections] == ["outcome"]
        assert "NOT VERIFIED" not in summary.as_text()


def test_a_changed_record_names_the_commitment_step() -> None:
    changed = copy.deepcopy(VALID)
    changed["record"]["operator_id"] = "op-9999"
    summary = _summary(verify_bundle(changed), Lang.EN)
    (outcome,) = summary.section("outcome")
    assert outcome.statements[0].text.startswith("NOT VERIFIED: the commitment step failed")


WITNESSED = json.loads((VECTORS.parent / "witnessed-bundles" / "valid-witnessed.json").read_text())
"""An anchored bundle whose note carries the log's signature and two cosignatures."""


def _witnessed_report(*, witness_keys: bool = True, log_key: bool = True) -> Report:
    keys = WITNESSED["keys"]
    trust = witness_trust(
        [parse_verifier_key(k) for k in keys["log"]] if log_key else [],
        [parse_verifier_key(k) for k in keys["witnesses"]] if witness_keys else [],
        now=WITNESSED["now"],
    )
    trusted = bytes.fromhex(WITNESSED["options"]["trusted_block_hash"])
    return verify_bundle(WITNESSED["bundle"], trusted_block_hash=trusted, trust=trust)


def test_the_witnesses_and_the_witnessed_time_are_shown_as_the_witnesses_vouch() -> None:
    report = _witnessed_report()
    assert report.ok, report.steps
    for lang, cosigned, witnessed in (
        (
            Lang.ZH,
            [
                "court2.example/witness\n于 2026-11-29 10:17:10 北京时间（UTC 2026-11-29 02:17:10）"
                "联署该检查点（已用该见证人的公钥 court2.example/witness+",
                "court1.example/witness\n于 2026-11-29 10:17:40 北京时间（UTC 2026-11-29 02:17:40）"
                "联署该检查点（已用该见证人的公钥 court1.example/witness+",
            ],
            (
                "最迟存在时间（独立见证）",
                "2026-11-29 10:17:40 北京时间（UTC 2026-11-29 02:17:40）\n见证策略为 2 个受信任"
                "见证人中至少 2 个联署，取第 2 早的联署时间",
            ),
        ),
        (
            Lang.EN,
            [
                "court2.example/witness\nCosigned the checkpoint at 2026-11-29 10:17:10 Beijing"
                " time (UTC 2026-11-29 02:17:10)",
                "court1.example/witness\nCosigned the checkpoint at 2026-11-29 10:17:40 Beijing"
                " time (UTC 2026-11-29 02:17:40)",
            ],
            (
                "Existed no later than (witnessed)",
                "2026-11-29 10:17:40 Beijing time (UTC 2026-11-29 02:17:40)\nThe policy asks for"
                " 2 of 2 trusted witnesses",
            ),
        ),
    ):
        summary = _summary(report, lang)
        (section,) = summary.section("time")
        rows = [(s.label, s.text, s.basis) for s in section.statements]
        label = pick(lang, "见证人联署", "Witness cosignature")
        shown = [(text, basis) for name, text, basis in rows if name == label]
        assert len(shown) == 2
        for (text, basis), expected in zip(shown, cosigned, strict=True):
            assert text.startswith(expected), text
            assert basis is Basis.VERIFIED
        time = _statements(summary, "time")
        assert time[witnessed[0]][0].startswith(witnessed[1]), time[witnessed[0]]
        assert time[witnessed[0]][1] is Basis.VERIFIED
        # What a cosignature does not prove is said, as not proven.
        limits = time[pick(lang, "联署不证明什么", "What a cosignature does not prove")]
        assert limits[1] is Basis.NOT_PROVEN
        # The block's time stays the sealer's: the operator's claim on a sole-sealer chain.
        vouches = time[pick(lang, "谁担保这一时间", "Who vouches for this time")]
        assert vouches[1] is Basis.CLAIM
        assert pick(lang, "见证情况未核验", "witnessing was not checked") not in summary.as_text()
        assert pick(lang, "未核验：", "Not checked:") not in summary.as_text()


def test_unchecked_witnessing_is_never_worded_as_witnessed() -> None:
    for report, why in (
        (_witnessed_report(witness_keys=False), ("未提供见证人公钥", "no witness keys")),
        (_witnessed_report(witness_keys=False, log_key=False), ("未提供见证人公钥", "no witness")),
        (verify_bundle(VALID), ("未附带检查点的签名说明", "carries no signed checkpoint note")),
    ):
        assert report.ok
        for lang in (Lang.ZH, Lang.EN):
            summary = _summary(report, lang)
            time = _statements(summary, "time")
            text, basis = time[pick(lang, "独立见证", "Independent witness")]
            assert basis is Basis.NOT_PROVEN
            assert text.startswith(pick(lang, "未核验", "Not checked")), text
            assert pick(lang, *why) in text
            assert (
                pick(lang, "联署该检查点（已用", "Cosigned the checkpoint at")
                not in summary.as_text()
            )


def test_a_case_bundle_is_complete_between_its_first_and_last_record_only(
    store: LogStore,
) -> None:
    store.append([prepared(i, case=f"K{i % 2}") for i in range(9)])
    store.seal()
    bundle = build_case_bundle(store, "collection/K0").as_json()
    raw = json.dumps(bundle).encode()
    report = verify_case_bundle(bundle)
    assert report.case is not None
    # Version 2: the checkpoint's case index commits to the case's head, so none can follow.
    assert (report.case.case, report.case.head_proven) == ("collection/K0", True)
    assert (report.case.count, report.case.head) == (5, 8)
    summary = _summary(report, Lang.ZH, raw)
    assert len(summary.section("record")) == 5
    assert summary.section("record")[4].title.startswith("二、存证内容（第 5 条，共 5 条）")
    completeness = _statements(summary, "completeness")
    assert completeness["已证明"][1] is Basis.VERIFIED
    assert "5 条记录" in completeness["已证明"][0]
    assert completeness["直至检查点"][1] is Basis.VERIFIED
    assert "未证明" not in completeness
    integrity = _statements(summary, "integrity")
    assert integrity["第 5 条 · 叶哈希（日志第 8 条）"][0] == bundle["records"][4]["leaf_hash"]

    unproven_head = dataclasses.replace(report.case, head_proven=False)
    summary = _summary(dataclasses.replace(report, case=unproven_head), Lang.EN, raw)
    completeness = _statements(summary, "completeness")
    assert completeness["Not proven"][1] is Basis.NOT_PROVEN
    assert "Up to the checkpoint" not in completeness


def test_a_chain_source_is_named() -> None:
    report = verify_bundle(VALID)
    summary = summarize(
        report,
        lang=Lang.EN,
        bundle_name="valid.json",
        bundle_sha256=bytes(32),
        chain_source=ChainSource(ChainSourceKind.RPC, "http://127.0.0.1:9"),
    )
    assert summary.certificate_number == "EA-0000-0000-0000-0000-0000"
    # Not anchored: the source is named only for what it checked, which here is nothing.
    assert "127.0.0.1:9" not in summary.as_text()


def test_qr_payload_is_ascii_and_holds_the_digest() -> None:
    summary = _summary(verify_bundle(VALID))
    payload = qr_payload(summary, "https://court.example/verify")
    assert payload.isascii()
    assert f"bundle sha256:{sha256(VALID_BYTES).hexdigest()}" in payload.splitlines()
    assert "page: https://court.example/verify" in payload


# -- known answers -------------------------------------------------------------------------


def test_certificate_number() -> None:
    digest = bytes.fromhex("1aca2a8e699ff32ee53d8cd6fec755c102b0c53696e03a582f547cc7b7af481e")
    assert certificate_number(digest) == "EA-1aca-2a8e-699f-f32e-e53d"


@pytest.mark.parametrize(
    ("minor", "currency", "zh", "en"),
    [
        (19_500_000, "CNY", "人民币 195,000.00 元", "CNY 195,000.00"),
        (5, "CNY", "人民币 0.05 元", "CNY 0.05"),
        (0, "CNY", "人民币 0.00 元", "CNY 0.00"),
        (123_456, "USD", "美元 1,234.56（USD）", "USD 1,234.56"),
        (1500, "JPY", "1,500 个最小货币单位（JPY）", "1,500 minor units of JPY"),
    ],
)
def test_money(minor: int, currency: str, zh: str, en: str) -> None:
    assert money(minor, currency, Lang.ZH) == zh
    assert money(minor, currency, Lang.EN) == en


@pytest.mark.parametrize(
    ("text", "zh"),
    [
        ("2026-11-19T08:31:07Z", "2026-11-19 16:31:07 北京时间（UTC 2026-11-19 08:31:07）"),
        ("2026-11-19T23:31:07+08:00", "2026-11-19 23:31:07 北京时间（UTC 2026-11-19 15:31:07）"),
        (
            "2026-11-19T20:00:00.5-05:00",
            "2026-11-20 09:00:00.5 北京时间（UTC 2026-11-20 01:00:00.5）"
            "；原文 2026-11-19T20:00:00.5-05:00",
        ),
    ],
)
def test_times_in_beijing_with_utc_beside(text: str, zh: str) -> None:
    assert dual_timestamp_text(text, Lang.ZH) == zh


def test_block_time() -> None:
    seconds = int(datetime(2026, 12, 1, 21, 42, 11, tzinfo=UTC).timestamp())
    assert dual_epoch(seconds, Lang.EN) == (
        "2026-12-02 05:42:11 Beijing time (UTC 2026-12-01 21:42:11)"
    )


def test_every_auction_field_has_a_label() -> None:
    record = json.loads(
        (Path(__file__).resolve().parents[2] / "examples/records/auction_lot.jsonl")
        .read_text()
        .splitlines()[0]
    )
    rows = {row.name: row for row in record_rows(record, Lang.ZH)}
    assert set(rows) == set(record)
    assert rows["reserve_price"].value == "人民币 180,000.00 元"
    assert rows["item"].value.startswith("机动车（vehicle）：2022 Volkswagen Passat")
    assert (
        rows["attachments"]
        .value.splitlines()[1]
        .startswith("2. application/zip, 15,728,640 字节, SHA-256 9f3d1fcf")
    )
