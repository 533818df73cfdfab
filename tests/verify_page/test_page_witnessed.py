"""The verification page checks a bundle's signed, cosigned checkpoint (PROTOCOL.md §5.4,
§10.8) with the log key and witness keys a court types in, in a real headless Chromium: who
witnessed the checkpoint and when, and the k-th earliest cosignature time as the time the
witnesses vouch for, each tagged verified; without keys, that the witnessing was not checked
(not proven); an unmet policy and a tampered cosignature are NOT VERIFIED at the checkpoint
note step, with no content shown; a key of the wrong kind is refused before verifying.

The bundles are the committed vectors (tests/vectors/bundles/) given a checkpoint note made
here with evanchor's own C2SP signer (anchor/protocol/note.py) by a log key and witness keys
of fixed seeds. For every case the page's outcome and steps are `node cli.mjs`'s on the same
file with the same keys: the page words the verifier's report.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from evanchor.anchor.protocol.note import COSIGNATURE_V1, ED25519, Note, NoteSigner
from evanchor.anchor.protocol.tlog_checkpoint import anchored_log_origin

from page_helpers import ROOT, first_failed, run_js_verifier, run_page

VECTORS = ROOT / "tests" / "vectors" / "bundles"
T0 = 1767225600  # 2026-01-01T00:00:00Z, before any clock the tests run on
WITNESSES = [
    NoteSigner("court1.example/witness", COSIGNATURE_V1, bytes([0x11]) * 32),
    NoteSigner("regulator.example/witness", COSIGNATURE_V1, bytes([0x22]) * 32),
]
OUTSIDER = NoteSigner("outsider.example/witness", COSIGNATURE_V1, bytes([0x33]) * 32)


def _vector(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return loaded


def witnessed(bundle: dict[str, Any], *, tamper: bool = False) -> tuple[dict[str, Any], str]:
    """`bundle` with a checkpoint note signed by its log's key and cosigned by both
    witnesses (court1 at T0 + 20, the regulator at T0 + 10), and the log's verifier key."""
    target = bundle["seal"]["leaf"]["anchored_to"]
    origin = anchored_log_origin(target["chain_id"], target["contract"], target["writer"])
    log = NoteSigner(origin, ED25519, bytes([0x01]) * 32)
    root = base64.b64encode(bytes.fromhex(bundle["checkpoint"]["root"])).decode()
    text = f"{origin}\n{bundle['checkpoint']['size']}\n{root}\n"
    cosignatures = [WITNESSES[0].cosign(text, T0 + 20), WITNESSES[1].cosign(text, T0 + 10)]
    if tamper:
        first = cosignatures[0]
        flipped = bytes([first.signature[20] ^ 1])
        cosignatures[0] = type(first)(
            first.name, first.key_id, first.signature[:20] + flipped + first.signature[21:]
        )
    note = Note(text, (log.sign(text), *cosignatures)).to_bytes().decode()
    return {**bundle, "checkpoint_note": note}, str(log.verifier)


def _write(tmp: Path, name: str, bundle: dict[str, Any]) -> Path:
    path = tmp / name
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    return path


def statements(shown: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [st for s in shown["sections"] if s["key"] == key for st in s["statements"]]


def _cli_flags(case: dict[str, Any]) -> list[str]:
    flags = ["--block-hash", case["blockHash"]] if "blockHash" in case else []
    flags += [f"--log-key={case['logKey']}"] if "logKey" in case else []
    flags += [f"--witness-key={k}" for k in case.get("witnessKeys", [])]
    if "witnessPolicy" in case:
        flags += ["--witness-policy", str(case["witnessPolicy"])]
    return flags


def test_the_page_states_who_witnessed_and_when(tmp_path: Path) -> None:
    vector = _vector("valid-anchored-trusted-hash.json")
    trusted = vector["options"]["trusted_block_hash"]
    bundle, log_key = witnessed(vector["bundle"])
    tampered, _ = witnessed(vector["bundle"], tamper=True)
    path = _write(tmp_path, "witnessed.json", bundle)
    keys = [str(w.verifier) for w in WITNESSES]
    base = {"bundle": str(path), "blockHash": trusted}
    cases = [
        {**base, "name": "zh", "logKey": log_key, "witnessKeys": keys},
        {**base, "name": "en", "logKey": log_key, "witnessKeys": keys, "lang": "en"},
        {**base, "name": "one", "logKey": log_key, "witnessKeys": keys, "witnessPolicy": 1},
        {**base, "name": "no keys"},
        {**base, "name": "log key only", "logKey": log_key},
        {
            **base,
            "name": "unmet",
            "logKey": log_key,
            "witnessKeys": [*keys, str(OUTSIDER.verifier)],
        },
        {
            **base,
            "name": "tampered",
            "bundle": str(_write(tmp_path, "tampered.json", tampered)),
            "logKey": log_key,
            "witnessKeys": keys,
        },
        {**base, "name": "witness key as log key", "logKey": keys[0]},
    ]
    shown = run_page(tmp_path, cases)
    for case in cases[:-1]:
        view = shown[case["name"]]
        report = run_js_verifier(Path(case["bundle"]), *_cli_flags(case))
        assert view["outcome"] == report["outcome"], (case["name"], report["steps"])
        assert [(s["step"], s["status"]) for s in view["steps"]] == [
            (s["step"], s["status"]) for s in report["steps"]
        ], case["name"]
        assert view["requests"] == [], case["name"]
        assert view["errors"] == [], case["name"]

    zh = shown["zh"]
    assert zh["outcome"] == "VERIFIED"
    assert (zh["steps"][-1]["step"], zh["steps"][-1]["status"]) == ("checkpoint note", "ok")
    time = statements(zh, "time")
    vouched = next(st for st in time if st["label"] == "最迟存在时间（独立见证）")
    assert vouched["basis"] == "verified"
    # The 2nd earliest of T0 + 10 and T0 + 20, in Beijing time beside UTC.
    assert vouched["text"].startswith("2026-01-01 08:00:20 北京时间（UTC 2026-01-01 00:00:20）")
    assert "取第 2 早的联署时间" in vouched["text"]
    cosigned = [st for st in time if st["label"] == "见证人联署"]
    assert [st["text"].split("\n")[0] for st in cosigned] == [
        "regulator.example/witness",
        "court1.example/witness",
    ]
    assert {st["basis"] for st in cosigned} == {"verified"}
    assert "UTC 2026-01-01 00:00:10" in cosigned[0]["text"]
    limits = next(st for st in time if st["label"] == "联署不证明什么")
    assert limits["basis"] == "not proven"
    assert "不证明记录所述内容属实" in limits["text"]
    signed = next(st for st in time if st["label"] == "日志签名")
    assert signed["basis"] == "verified"
    assert "独立见证" not in [st["label"] for st in time]

    en = shown["en"]
    vouched_en = next(
        st for st in statements(en, "time") if st["label"] == "Existed no later than (witnessed)"
    )
    assert "the 2nd earliest cosignature time" in vouched_en["text"]
    assert "核验" not in en["text"]

    one = next(
        st for st in statements(shown["one"], "time") if st["label"] == "最迟存在时间（独立见证）"
    )
    assert one["text"].startswith("2026-01-01 08:00:10 北京时间")

    for name in ("no keys", "log key only"):
        view = shown[name]
        assert view["outcome"] == "VERIFIED"
        labels = {st["label"]: st for st in statements(view, "time")}
        assert labels["独立见证"]["basis"] == "not proven"
        assert "未核验" in labels["独立见证"]["text"]
        assert "见证人联署" not in labels
        assert "最迟存在时间（独立见证）" not in labels
    assert "日志签名" in {st["label"] for st in statements(shown["log key only"], "time")}

    for name, check in (("unmet", "witness policy"), ("tampered", "cosignature")):
        view = shown[name]
        assert view["outcome"] == "NOT VERIFIED", name
        assert first_failed(view["steps"]) == "checkpoint note", name
        outcome = {st["label"]: st for st in statements(view, "outcome")}
        assert outcome["不符之处（技术细节）"]["text"].startswith(f"{check}: "), name
        assert [s["key"] for s in view["sections"]] == ["outcome", "checks"], name
    assert "未达到您设定的见证策略" in statements(shown["unmet"], "outcome")[0]["text"]
    assert "不说明证据被改动" in statements(shown["unmet"], "outcome")[0]["text"]

    refused = shown["witness key as log key"]
    assert refused["outcome"] is None
    assert refused["inputError"].startswith("日志公钥有误：")


def test_a_case_bundle_states_its_witnesses_once(tmp_path: Path) -> None:
    vector = _vector("valid-case-anchored-trusted-hash.json")
    bundle, log_key = witnessed(vector["bundle"])
    path = _write(tmp_path, "case.json", bundle)
    keys = [str(w.verifier) for w in WITNESSES]
    case = {
        "name": "case",
        "bundle": str(path),
        "blockHash": vector["options"]["trusted_block_hash"],
        "logKey": log_key,
        "witnessKeys": keys,
        "screenshot": str(tmp_path / "case.png"),
    }
    view = run_page(tmp_path, [case])["case"]
    report = run_js_verifier(path, *_cli_flags(case))
    assert (view["outcome"], report["outcome"]) == ("VERIFIED", "VERIFIED")
    assert [(s["step"], s["status"]) for s in view["steps"]] == [
        (s["step"], s["status"]) for s in report["steps"]
    ]
    time = statements(view, "time")
    assert [st["label"] for st in time].count("最迟存在时间（独立见证）") == 1
    assert [st["label"] for st in time].count("见证人联署") == 2
    assert (tmp_path / "case.png").stat().st_size > 10_000
