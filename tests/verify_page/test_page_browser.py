"""The verification page, opened from a file:// URL in a real headless Chromium, verifies a
running node's bundles in the browser: against the node's chain through its JSON-RPC (CORS),
against a trusted block hash, and offline; tampered and truncated bundles and an unreachable
chain each get their own outcome, at the step the JavaScript verifier names; the page makes
no request but its JSON-RPC reads, and shows bundle text as text.

The node is real (`evanchor init` and `evanchor node start` in subprocesses, on the embedded
chain), as in tests/e2e; the page is the one the node serves at GET /verify, saved to a file.
For every case the page's outcome and failed step are held to `node cli.mjs` (the same
verifier on the command line) on the same file and options: the page words the verifier's
report, it decides nothing itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from e2e_helpers import (
    COLLECTION_AGENCY,
    COLLECTION_FILE,
    Node,
    free_port,
    node_factory,
    read_jsonl,
    register_agency_directly,
    variant,
    wait_until,
)

from evanchor.anchor.report.page import verify_page_html

from page_helpers import first_failed, run_js_verifier, run_page

CASE = "collection/C-2026-000117"
HOSTILE_NOTES = '<img src="x" onerror="window.__pwned = 1"><script>window.__pwned = 2</script>'
"""Markup in a record's free text: the page must show it as text, never run or load it."""


@dataclass(frozen=True)
class Served:
    """A running node's bundles, its chain's address, and the page it serves, saved."""

    node: Node
    folder: Path
    page: Path
    bundle: dict[str, Any]
    hostile: dict[str, Any]
    case_bundle: dict[str, Any]

    @property
    def rpc_url(self) -> str:
        return str(self.node.chain.rpc_url)

    def write(self, name: str, bundle: Any) -> Path:
        path = self.folder / name
        text = bundle if isinstance(bundle, str) else json.dumps(bundle, ensure_ascii=False)
        path.write_text(text, encoding="utf-8")
        return path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("verify-page")
    with node_factory("embedded", tmp) as make:
        node = make("node", "--seal-every", "5", "--seal-after", "600")
        daemon = node.daemon
        daemon.start()
        collector = register_agency_directly(node, COLLECTION_AGENCY)
        records = read_jsonl(COLLECTION_FILE)
        hostile = {**variant(records[2], "hostile"), "case_id": "C-HOSTILE", "notes": HOSTILE_NOTES}
        submissions = [collector.sign(node, r) for r in [*records, hostile]]
        response = daemon.post("/v1/records", {"submissions": submissions})
        assert response.status_code == 201, response.text
        receipts = response.json()["receipts"]
        wait_until(daemon.all_anchored, what="the records anchored", diagnose=daemon.log_tail)
        folder = tmp / "files"
        folder.mkdir()
        page = folder / "verify.html"
        served_page = requests.get(f"{daemon.api_url}/verify", timeout=30)
        assert served_page.status_code == 200
        page.write_bytes(served_page.content)  # saved, then opened from the file
        yield Served(
            node,
            folder,
            page,
            daemon.get(f"/v1/records/{receipts[3]['record_id']}/bundle"),
            daemon.get(f"/v1/records/{receipts[-1]['record_id']}/bundle"),
            daemon.get(f"/v1/cases/{CASE}/bundle"),
        )


def statements(shown: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [st for s in shown["sections"] if s["key"] == key for st in s["statements"]]


def assert_as_the_verifier_says(shown: dict[str, Any], path: Path, *options: str) -> None:
    """The page's outcome and first unsettled step are the command-line verifier's."""
    report = run_js_verifier(path, *options)
    assert shown["outcome"] == report["outcome"], (shown["steps"], report["steps"])
    assert [(s["step"], s["status"]) for s in shown["steps"]] == [
        (s["step"], s["status"]) for s in report["steps"]
    ]
    assert first_failed(shown["steps"]) == first_failed(report["steps"])


def assert_nothing_uploaded(shown: dict[str, Any], bundle: dict[str, Any], rpc: str | None) -> None:
    """No request but JSON-RPC reads to the chain node typed, and none carries the bundle."""
    for request in shown["requests"]:
        assert rpc is not None, request
        assert request["url"].rstrip("/") == rpc.rstrip("/"), request
        if request["method"] == "OPTIONS":
            continue
        assert request["method"] == "POST", request
        call = json.loads(request["postData"])
        assert call["jsonrpc"] == "2.0"
        assert call["method"].startswith("eth_"), call
        assert bundle["salt"] not in request["postData"]
    assert shown["errors"] == []


# -- a proof bundle ----------------------------------------------------------------------


def test_a_bundle_verifies_in_the_browser_against_the_nodes_chain(
    served: Served, tmp_path: Path
) -> None:
    """Checked from the browser against the chain: VERIFIED, the record readable, each
    statement tagged by how far it is proven, in Chinese and (toggled) in English."""
    assert served.page.read_bytes() == verify_page_html()
    path = served.write("bundle.json", served.bundle)
    cases = [
        {
            "name": "zh",
            "bundle": str(path),
            "rpc": served.rpc_url,
            "screenshot": str(tmp_path / "zh.png"),
        },
        {
            "name": "en",
            "bundle": str(path),
            "rpc": served.rpc_url,
            "lang": "en",
            "screenshot": str(tmp_path / "en.png"),
        },
        {"name": "toggled", "bundle": str(path), "rpc": served.rpc_url, "toggle": True},
    ]
    shown = run_page(tmp_path, cases, served.page)
    zh, en, toggled = shown["zh"], shown["en"], shown["toggled"]
    for view in (zh, en):
        assert_as_the_verifier_says(view, path, "--rpc", served.rpc_url)
        assert_nothing_uploaded(view, served.bundle, served.rpc_url)
    assert any(r["method"] == "POST" for r in zh["requests"])  # the chain was asked

    assert (zh["lang"], zh["headline"]) == ("zh-CN", "核验结论：已验证（VERIFIED）")
    # The checkpoint note step is skipped for a bundle that carries no signed checkpoint.
    note = "ok" if served.bundle.get("checkpoint_note") else "skipped"
    assert [(s["step"], s["status"]) for s in zh["steps"]][-1] == ("checkpoint note", note)
    assert [s["status"] for s in zh["steps"][:-1]] == ["ok"] * (len(zh["steps"]) - 1)
    record = {st["label"]: st for st in statements(zh, "record")}
    assert record["事件"]["text"] == "承诺还款（promise_to_pay）"
    assert record["金额"]["text"] == "人民币 5,000.00 元"
    assert record["发生时间（记录所载）"]["text"] == (
        "2026-11-05 16:02:30.250 北京时间（UTC 2026-11-05 08:02:30.250）"
    )
    assert {st["basis"] for st in record.values()} == {"record"}
    outcome = {st["label"]: st for st in statements(zh, "outcome")}
    assert outcome["核验依据"]["basis"] == "verified"
    assert served.rpc_url in outcome["核验依据"]["text"]
    submitter = {st["label"]: st for st in statements(zh, "submitter")}
    assert submitter["签名密钥地址"]["basis"] == "verified"
    assert submitter["密钥登记"]["basis"] == "verified"
    assert submitter["机构名称"]["basis"] == "not proven"
    time = {st["label"]: st for st in statements(zh, "time")}
    block_time = served.bundle["anchor"]["block_number"]
    assert time["最迟存在时间"]["basis"] == "verified"
    assert f"第 {block_time} 号区块" in time["最迟存在时间"]["text"]
    assert "北京时间（UTC " in time["最迟存在时间"]["text"]
    # A single sealer's block time is the operator's claim; the node's clock is its claim.
    assert time["谁担保这一时间"]["basis"] == "claim"
    assert time["检查点封存时间"]["basis"] == "claim"
    assert time["节点接收时间"]["basis"] == "claim"
    assert time["独立见证"]["basis"] == "not proven"
    integrity = {st["label"]: st["text"] for st in statements(zh, "integrity")}
    assert integrity["承诺值"] == served.bundle["commitment"]
    completeness = {st["label"]: st["basis"] for st in statements(zh, "completeness")}
    assert completeness["本案其他记录"] == "not proven"

    for view in (en, toggled):
        assert (view["lang"], view["headline"]) == ("en", "Outcome: VERIFIED")
        record = {st["label"]: st["text"] for st in statements(view, "record")}
        assert record["Amount"] == "CNY 5,000.00"
        assert record["Event"] == "promise to pay"
        assert "核验" not in view["text"]  # all of it in English
    assert toggled["sections"] == en["sections"]  # the same result, re-worded


def test_a_trusted_block_hash_and_offline_only(served: Served, tmp_path: Path) -> None:
    path = served.write("bundle.json", served.bundle)
    block_hash = served.bundle["anchor"]["block_hash"]
    cases = [
        {"name": "hash", "bundle": str(path), "blockHash": "0x" + block_hash.upper()},
        {"name": "offline", "bundle": str(path)},
        {"name": "wrong hash", "bundle": str(path), "blockHash": "ab" * 32},
    ]
    shown = run_page(tmp_path, cases, served.page)
    assert_as_the_verifier_says(shown["hash"], path, "--block-hash", block_hash)
    assert_as_the_verifier_says(shown["offline"], path)
    assert_as_the_verifier_says(shown["wrong hash"], path, "--block-hash", "ab" * 32)
    for name in cases:
        assert_nothing_uploaded(shown[name["name"]], served.bundle, None)
        assert shown[name["name"]]["requests"] == []

    hashed = {st["label"]: st for st in statements(shown["hash"], "outcome")}
    assert shown["hash"]["outcome"] == "VERIFIED"
    assert hashed["核验依据"]["basis"] == "verified"
    assert block_hash in hashed["核验依据"]["text"]
    offline = shown["offline"]
    assert offline["outcome"] == "VERIFIED"
    # Offline, the anchoring block is only the bundle's own: nothing says it is on a chain.
    checked = {st["label"]: st for st in statements(offline, "outcome")}["核验依据"]
    assert checked["basis"] == "not proven"
    assert "仅离线核验" in checked["text"]
    block = {st["label"]: st for st in statements(offline, "time")}["最迟存在时间"]
    assert block["basis"] == "not proven"
    # Offline the level is log-only (docs/PROTOCOL.md §6.3): the verifier proves no signer
    # below anchored+signed, so the page names none and says nothing of its registration.
    level = {st["label"]: st for st in statements(offline, "outcome")}["保证级别"]
    assert "log-only" in level["text"]
    submitter = {st["label"]: st for st in statements(offline, "submitter")}
    assert submitter["签名密钥"]["basis"] == "not proven"
    assert "密钥登记" not in submitter
    wrong = shown["wrong hash"]
    assert wrong["outcome"] == "NOT VERIFIED"
    assert first_failed(wrong["steps"]) == "anchor"


def test_a_tampered_bundle_is_not_verified_at_its_step(served: Served, tmp_path: Path) -> None:
    """A changed record fails at the commitment step, against a reachable chain and against
    an unreachable one alike (an offline failure is a verdict), and none of it is shown."""
    changed = copy.deepcopy(served.bundle)
    changed["record"]["operator_id"] = "op-9999"
    path = served.write("tampered.json", changed)
    closed = f"http://127.0.0.1:{free_port()}"
    not_json = served.write("not-a-bundle.json", '{"format": "evanchor/proof-bundle", ')
    cases = [
        {
            "name": "chain",
            "bundle": str(path),
            "rpc": served.rpc_url,
            "screenshot": str(tmp_path / "t.png"),
        },
        {"name": "unreachable", "bundle": str(path), "rpc": closed},
        {"name": "en", "bundle": str(path), "lang": "en"},
        {"name": "not json", "bundle": str(not_json)},
    ]
    shown = run_page(tmp_path, cases, served.page)
    assert_as_the_verifier_says(shown["chain"], path, "--rpc", served.rpc_url)
    assert_as_the_verifier_says(shown["unreachable"], path, "--rpc", closed)
    assert_as_the_verifier_says(shown["not json"], not_json)
    for name in ("chain", "unreachable", "en"):
        view = shown[name]
        assert view["outcome"] == "NOT VERIFIED"
        assert first_failed(view["steps"]) == "commitment"
        assert view["steps"][-1]["status"] == "failed"  # nothing after the mismatch runs
        assert "op-9999" not in view["text"]  # no content of failed evidence
        assert [s["key"] for s in view["sections"]] == ["outcome", "checks"]
    zh = shown["chain"]
    assert zh["headline"] == "核验结论：未通过核验（NOT VERIFIED）"
    assert "第 3 步“承诺值”不符" in zh["text"]
    assert zh["steps"][-1]["label"] == "承诺值"
    assert "无法核验" not in zh["text"]
    assert "step 3, commitment, failed" in shown["en"]["text"]
    unreadable = shown["not json"]
    assert unreadable["outcome"] == "NOT VERIFIED"
    assert "不是可读取的证据包" in unreadable["text"]


def test_an_unreachable_chain_cannot_verify(served: Served, tmp_path: Path) -> None:
    """CANNOT VERIFY, never the words of tampered evidence; the offline steps are said to
    have passed, and nothing of the record is presented as proven."""
    path = served.write("bundle.json", served.bundle)
    closed = f"http://127.0.0.1:{free_port()}"
    cases = [
        {"name": "zh", "bundle": str(path), "rpc": closed, "screenshot": str(tmp_path / "c.png")},
        {"name": "en", "bundle": str(path), "rpc": closed, "lang": "en"},
    ]
    shown = run_page(tmp_path, cases, served.page)
    for view in shown.values():
        assert_as_the_verifier_says(view, path, "--rpc", closed)
        assert view["outcome"] == "CANNOT VERIFY"
        anchor = next(s for s in view["steps"] if s["step"] == "anchor")
        assert anchor["status"] == "cannot"
        assert "NOT VERIFIED" not in view["text"]
        assert [s["key"] for s in view["sections"]] == ["outcome", "checks"]
        assert served.bundle["record"]["notes"] not in view["text"]
    zh = shown["zh"]
    assert zh["headline"] == "核验结论：无法核验（CANNOT VERIFY）"
    assert "未通过" not in zh["text"]
    assert "这不是对证据的否定" in zh["text"]
    assert shown["en"]["headline"] == "Outcome: CANNOT VERIFY"
    assert (tmp_path / "c.png").stat().st_size > 0


def test_bundle_text_is_shown_as_text(served: Served, tmp_path: Path) -> None:
    """A record's notes holding markup verify and read as written: nothing runs, nothing is
    loaded (the <img> would request "x")."""
    path = served.write("hostile.json", served.hostile)
    shown = run_page(tmp_path, [{"name": "hostile", "bundle": str(path)}], served.page)["hostile"]
    assert shown["outcome"] == "VERIFIED"
    notes = {st["label"]: st["text"] for st in statements(shown, "record")}["备注"]
    assert notes == HOSTILE_NOTES
    assert shown["requests"] == []
    assert shown["errors"] == []


# -- a case bundle -----------------------------------------------------------------------


def test_a_case_bundle_and_its_truncations(served: Served, tmp_path: Path) -> None:
    """Every record of the case shown; a record dropped in the middle or at the end is
    worded exactly as the verifier's report allows: the tail's completeness is said proven
    only when the verifier checked it (a completeness step that passed)."""
    case = served.case_bundle
    records = case["records"]
    assert len(records) == 7
    full = served.write("case.json", case)
    middle = served.write("case-middle.json", {**case, "records": records[:3] + records[4:]})
    tail = served.write("case-tail.json", {**case, "records": records[:-1]})
    shot = tmp_path / "case.png"
    cases = [
        {"name": "full", "bundle": str(full), "rpc": served.rpc_url, "screenshot": str(shot)},
        {"name": "middle", "bundle": str(middle), "rpc": served.rpc_url},
        {"name": "tail", "bundle": str(tail), "rpc": served.rpc_url},
    ]
    shown = run_page(tmp_path, cases, served.page)
    for name, path in (("full", full), ("middle", middle), ("tail", tail)):
        assert_as_the_verifier_says(shown[name], path, "--rpc", served.rpc_url)
        assert_nothing_uploaded(shown[name], records[0], served.rpc_url)

    whole = shown["full"]
    assert whole["outcome"] == "VERIFIED"
    titles = [s["title"] for s in whole["sections"] if s["key"] == "record"]
    assert len(titles) == 7
    assert titles[0].startswith("二、存证内容（第 1 条，共 7 条）：催收过程记录：接案")
    assert titles[-1].startswith("二、存证内容（第 7 条，共 7 条）：催收过程记录：结案")
    assert_tail_worded_as_proven(whole)

    assert shown["middle"]["outcome"] == "NOT VERIFIED"
    assert [s["key"] for s in shown["middle"]["sections"]] == ["outcome", "checks"]

    truncated = shown["tail"]
    if truncated["outcome"] == "VERIFIED":  # the verifier cannot see a dropped tail
        assert_tail_worded_as_proven(truncated)
        assert len([s for s in truncated["sections"] if s["key"] == "record"]) == 6
    else:
        assert [s["key"] for s in truncated["sections"]] == ["outcome", "checks"]


def assert_tail_worded_as_proven(shown: dict[str, Any]) -> None:
    """The completeness part says the tail is complete, verified, only if the verifier's
    completeness step passed; otherwise it says it is not proven."""
    checked = any(s["step"] == "completeness" and s["status"] == "ok" for s in shown["steps"])
    said = {st["label"]: st for st in statements(shown, "completeness")}
    if checked:
        assert said["直至检查点"]["basis"] == "verified"
    else:
        assert said["未证明"]["basis"] == "not proven"
        assert "直至检查点" not in said
        assert "全部记录都在其中" not in shown["text"]
