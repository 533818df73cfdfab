"""The JavaScript verifier (anchor/verify/js), written from docs/PROTOCOL.md alone, reaches
the same outcome, failing step and assurance level as the Python verifier on every bundle the
suite produces and on every named tamper case, offline, with a trusted block hash and with
the chain (anvil and the embedded Clique chain); on every named vector it gives the vector's
expected outcome; and it runs its own `node --test` unit tests (RFC 9162 vectors, the
protocol and bundle vectors).

The Python verifier is used as a black box: `verify_bundle`/`verify_case_bundle` in process
for the many cases, `evanchor verify --json` for a few. The JavaScript one always runs as
`node anchor/verify/js/cli.mjs FILE... --json`, reading the bundle's bytes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_utils.crypto import keccak
from js_cases import CODE as AGENCY_CODE
from js_cases import (
    ROOT,
    Bundle,
    Chain,
    Produced,
    anchor_tampers,
    case_tampers,
    chain_tampers,
    evm_harness,
    flip,
    issue_9_cases,
    produce,
    vectors,
)
from js_cases import chain_helpers as node_helpers
from js_cases import set_up as set_up_chain

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.verify.bundle import verify_bundle
from evanchor.anchor.verify.case_bundle import verify_case_bundle
from evanchor.anchor.verify.report import Report, StepStatus
from evanchor.contracts.artifacts import load_artifact
from evanchor.node.chain.datadir import init_data_dir

JS = ROOT / "anchor" / "verify" / "js"
NODE = shutil.which("node")
EVANCHOR = Path(sys.executable).with_name("evanchor")
Case = tuple[str, Bundle]


# -- running the two verifiers ------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """An outcome, its assurance level, and the first step that failed or could not be made
    (None if none)."""

    outcome: str
    assurance: str
    failed: str | None
    check: str = ""


def python_verdict(bundle: Bundle, rpc: Any = None, block_hash: str | None = None) -> Verdict:
    options: dict[str, Any] = {}
    if rpc is not None:
        options["w3"] = rpc
    if block_hash is not None:
        options["trusted_block_hash"] = bytes.fromhex(block_hash)
    verify = verify_case_bundle if bundle.get("format") == "evanchor/case-bundle" else verify_bundle
    report: Report = verify(bundle, **options)
    wanted = StepStatus.CANNOT_VERIFY if report.outcome == "CANNOT VERIFY" else StepStatus.FAILED
    step = next((s for s in report.steps if s.status is wanted), None)
    outcome, assurance = report.outcome.value, report.assurance.value
    if step is None:
        return Verdict(outcome, assurance, None)
    return Verdict(outcome, assurance, step.name, step.detail)


def run_js(tmp: Path, cases: list[Case], *options: str) -> dict[str, dict[str, Any]]:
    """One `node cli.mjs` over every case's file; its JSON report per case name."""
    assert NODE is not None, "Node.js is needed (scripts/bootstrap.sh installs the verifier)"
    files = {}
    for n, (name, bundle) in enumerate(cases):
        path = tmp / f"case-{n}.json"
        path.write_text(json.dumps(bundle), encoding="utf-8")
        files[str(path)] = name
    done = subprocess.run(
        [NODE, str(JS / "cli.mjs"), *files, "--json", *options],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1, 3), done.stderr
    reports = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(reports) == len(cases), done.stderr
    return {files[r["file"]]: r for r in reports}


def js_verdict(report: dict[str, Any]) -> Verdict:
    """The outcome, the level, and the step that failed (for CANNOT VERIFY: the first that
    the chain could not settle)."""
    wanted = "cannot" if report["outcome"] == "CANNOT VERIFY" else "failed"
    step = next((s for s in report["steps"] if s["status"] == wanted), None)
    if step is None:
        return Verdict(report["outcome"], report["assurance"], None)
    return Verdict(report["outcome"], report["assurance"], step["step"], step.get("check", ""))


def assert_agree(
    tmp: Path,
    cases: list[Case],
    *,
    rpc: Any = None,
    rpc_url: str = "",
    block_hash: str | None = None,
) -> dict[str, int]:
    """Both verifiers give the same outcome and level and fail at the same step (for anchor
    steps, the same §9.4 check) on every case. Returns how many cases had each outcome."""
    options = (["--rpc", rpc_url] if rpc is not None else []) + (
        ["--block-hash", block_hash] if block_hash else []
    )
    js = run_js(tmp, cases, *options)
    counts: dict[str, int] = {}
    for name, bundle in cases:
        python = python_verdict(bundle, rpc, block_hash)
        ours = js_verdict(js[name])
        assert (ours.outcome, ours.assurance, ours.failed) == (
            python.outcome,
            python.assurance,
            python.failed,
        ), (name, python, js[name]["steps"])
        if python.failed == "anchor" and python.outcome == "NOT VERIFIED":
            assert python.check.startswith(ours.check), (name, python.check, ours.check)
        counts[python.outcome] = counts.get(python.outcome, 0) + 1
    return counts


# -- the bundles: anvil and the embedded chain --------------------------------------------


@pytest.fixture(scope="module")
def on_anvil(anvil_url: str, tmp_path_factory: pytest.TempPathFactory) -> Produced:
    chain = set_up_chain(cc.web3_for(anvil_url), 0xF3)
    return produce(chain, anvil_url, tmp_path_factory.mktemp("js-anvil"))


@pytest.fixture(scope="module")
def on_embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Produced]:
    actors = node_helpers.make_actors()
    data_dir = tmp_path_factory.mktemp("js-embedded") / "node"
    init_data_dir(
        data_dir, node_helpers.make_genesis(actors, timestamp=int(time.time()) - 60), actors.sealer
    )
    node = node_helpers.start_node(data_dir)
    try:
        w3 = cc.web3_for(node.url)
        admin, writer = actors.operator, actors.writer
        deployment = cc.deploy_anchor(w3, admin, timeout=30)
        anchor = cc.attach(w3, deployment.address)
        cc.grant_writer(anchor, admin, writer.address, timeout=30)
        agency = Account.from_key(b"\x56" * 32)
        cc.register_agency(anchor, admin, agency.address, AGENCY_CODE, timeout=30)
        chain = Chain(w3, anchor, deployment.block_number, admin, writer, agency, actors.outsider)
        yield produce(chain, node.url, tmp_path_factory.mktemp("js-embedded-log"))
    finally:
        node.stop()


@pytest.fixture(params=["anvil", "embedded"])
def produced(request: pytest.FixtureRequest) -> Produced:
    return request.getfixturevalue(f"on_{request.param}")  # type: ignore[no-any-return]


def all_cases(p: Produced) -> list[Case]:
    """Every bundle produced, and every named change to them, that needs no chain."""
    cases: list[Case] = [(f"unanchored {b['leaf_index']}", b) for b in p.unanchored]
    cases += [(f"bundle {i}", b) for i, b in sorted(p.bundles.items())]
    cases += [(f"case bundle {c['case']}", c) for c in p.case_bundles]
    signed = p.bundles[5]  # checkpoint 1 (leaves 4-9, seal leaf 10), signed
    cases += anchor_tampers(signed)
    cases += issue_9_cases(signed)
    case = p.case_bundles[0]
    earlier = p.bundles[case["records"][0]["leaf_index"]]
    cases += case_tampers(case, earlier)
    return cases


VERIFIED_PRODUCED = 3 + 13 + 3 + 2
"""Unanchored bundles, anchored ones, case bundles, and the two downgrades of issue 9 (they
verify, at a lower level)."""


# -- agreement ------------------------------------------------------------------------------


def test_vectors_agree_and_give_their_expected_outcome(tmp_path: Path) -> None:
    """Every named vector: both verifiers give its expected outcome, level and step."""
    named = vectors()
    closed = f"http://127.0.0.1:{_closed_port()}"
    for options in ({"rpc": None}, {"rpc": "unreachable"}):
        chosen = [(n, v) for n, v in named.items() if v["options"]["rpc"] == options["rpc"]]
        for trusted in {v["options"]["trusted_block_hash"] for _, v in chosen}:
            group = [(n, v) for n, v in chosen if v["options"]["trusted_block_hash"] == trusted]
            cases: list[Case] = [(n, v["bundle"]) for n, v in group]
            flags = (["--block-hash", trusted] if trusted else []) + (
                ["--rpc", closed] if options["rpc"] else []
            )
            js = run_js(tmp_path, cases, *flags)
            for name, vector in group:
                expected = vector["expected"]
                found = js_verdict(js[name])
                assert (found.outcome, found.assurance, found.failed) == (
                    expected["outcome"],
                    expected["assurance"],
                    expected["failing_step"],
                ), (name, js[name]["steps"])


def test_produced_bundles_and_tampers_agree_offline(produced: Produced, tmp_path: Path) -> None:
    cases = all_cases(produced)
    counts = assert_agree(tmp_path, cases)
    assert counts["VERIFIED"] == VERIFIED_PRODUCED
    assert counts["NOT VERIFIED"] == len(cases) - VERIFIED_PRODUCED


def test_produced_bundles_and_tampers_agree_with_the_chain(
    produced: Produced, tmp_path: Path
) -> None:
    cases = all_cases(produced) + chain_tampers(produced.bundles[5])
    counts = assert_agree(tmp_path, cases, rpc=produced.chain.w3, rpc_url=produced.rpc_url)
    assert counts["VERIFIED"] == VERIFIED_PRODUCED


def test_every_byte_of_the_anchor_evidence_is_covered(
    on_embedded: Produced, tmp_path: Path
) -> None:
    """Each byte of the header and of every trie node flipped in turn: both verifiers refuse
    every one at the anchor step (a Clique header of ~600 bytes and a dozen proof nodes)."""
    bundle = on_embedded.bundles[7]  # checkpoint 1
    section = bundle["anchor"]
    paths: list[tuple[Any, ...]] = [("header_rlp",)]
    paths += [("account_proof", i) for i in range(len(section["account_proof"]))]
    paths += [
        ("storage_proofs", w, "proof", i)
        for w, e in enumerate(section["storage_proofs"])
        for i in range(len(e["proof"]))
    ]
    cases: list[Case] = []
    for path in paths:
        target: Any = section
        for key in path[:-1]:
            target = target[key]
        text = target[path[-1]]
        for position in range(len(text) // 2):
            flipped = json.loads(json.dumps(bundle))
            holder = flipped["anchor"]
            for key in path[:-1]:
                holder = holder[key]
            holder[path[-1]] = flip(text, position)
            cases.append((f"{path} byte {position}", flipped))
    assert len(cases) > 1000
    js = run_js(tmp_path, cases)
    for name, changed in cases:
        assert python_verdict(changed).failed == "anchor", name
        assert js_verdict(js[name]) == Verdict(
            "NOT VERIFIED", "none", "anchor", js[name]["steps"][-1]["check"]
        ), name


def test_a_trusted_block_hash_agrees(produced: Produced, tmp_path: Path) -> None:
    bundle = produced.bundles[12]  # checkpoint 2
    good = bundle["anchor"]["block_hash"]
    cases: list[Case] = [("latest checkpoint", bundle), ("earlier checkpoint", produced.bundles[0])]
    cases += [("case bundle", produced.case_bundles[1])]
    counts = assert_agree(tmp_path, cases, block_hash=good)
    assert counts == {"VERIFIED": 2, "NOT VERIFIED": 1}


def test_the_command_line_verifiers_agree(on_anvil: Produced, tmp_path: Path) -> None:
    """`evanchor verify --json` and `node cli.mjs --json`, on the same files."""
    for name, bundle in [("signed", on_anvil.bundles[4]), ("case", on_anvil.case_bundles[2])]:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(bundle), encoding="utf-8")
        for options in ([], ["--rpc", on_anvil.rpc_url]):
            python = subprocess.run(
                [str(EVANCHOR), "verify", str(path), "--json", *options],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            js = subprocess.run(
                [str(NODE), str(JS / "cli.mjs"), str(path), "--json", *options],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert (python.returncode, js.returncode) == (0, 0), (python.stdout, js.stdout)
            py_steps = [(s["step"], s["status"]) for s in json.loads(python.stdout)["steps"]]
            js_steps = [(s["step"], s["status"]) for s in json.loads(js.stdout)["steps"]]
            if all(step != "checkpoint note" for step, _ in py_steps):
                # A Python verifier without the checkpoint note step (PROTOCOL.md §10.8, branch
                # witness-bundle): the JS one skips it for these bundles, which carry no note.
                assert js_steps[-1] == ("checkpoint note", "skipped")
                js_steps = js_steps[:-1]
            assert py_steps == js_steps


# -- a chain that cannot answer ------------------------------------------------------------


def test_a_chain_that_cannot_answer_is_cannot_verify(
    on_anvil: Produced, on_embedded: Produced, tmp_path: Path
) -> None:
    """DESIGN decision 11: an unreachable chain, or another chain, is CANNOT VERIFY (exit 3),
    never NOT VERIFIED; an offline failure still wins."""
    bundle = on_anvil.bundles[4]
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    closed = f"http://127.0.0.1:{_closed_port()}"
    for url, check in [(closed, "chain: chain id"), (on_embedded.rpc_url, "chain: chain id")]:
        done = subprocess.run(
            [str(NODE), str(JS / "cli.mjs"), str(path), "--json", "--rpc", url],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        report = json.loads(done.stdout)
        assert (done.returncode, report["outcome"]) == (3, "CANNOT VERIFY"), report
        anchor = next(s for s in report["steps"] if s["step"] == "anchor")
        assert (anchor["status"], anchor["check"]) == ("cannot", check)
    # The same chain id, another genesis: a different chain, said so.
    with evm_harness.running_anvil(["--timestamp", "1000"]) as other:
        done = subprocess.run(
            [str(NODE), str(JS / "cli.mjs"), str(path), "--json", "--rpc", other],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    report = json.loads(done.stdout)
    anchor = next(s for s in report["steps"] if s["step"] == "anchor")
    assert (done.returncode, anchor["check"]) == (3, "chain: genesis"), report
    assert "a different chain: genesis " in anchor["detail"]
    tampered = json.loads(json.dumps(bundle))
    tampered["record"]["operator_id"] = "op-x"
    path.write_text(json.dumps(tampered), encoding="utf-8")
    done = subprocess.run(
        [str(NODE), str(JS / "cli.mjs"), str(path), "--json", "--rpc", closed],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, json.loads(done.stdout)["outcome"]) == (1, "NOT VERIFIED")


def _closed_port() -> int:
    return evm_harness.free_port()


# -- the JS verifier's own tests, and what it copies from the repository -------------------


def test_node_unit_tests_pass() -> None:
    done = subprocess.run(
        [str(NODE), "--test", "test/"],
        cwd=JS,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# fail 0" in done.stdout


def test_the_code_hash_and_schemas_are_the_repositorys() -> None:
    """The two things the JS verifier carries as data: EvidenceAnchor's runtime code hash
    (§9.4 check 4) and the record schemas (§1), equal to the artifact and `evanchor schema`."""
    script = (
        "const c = await import('./contract.mjs'); const s = await import('./schemas.mjs');"
        "const carried = [c.EVIDENCE_ANCHOR_CODE_HASH, s.COLLECTION_CHECKPOINT, s.AUCTION_RECORD];"
        "console.log(JSON.stringify(carried));"
    )
    done = subprocess.run(
        [str(NODE), "--input-type=module", "-e", script],
        cwd=JS,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    code_hash, checkpoint, auction = json.loads(done.stdout)
    assert code_hash == keccak(load_artifact().deployed_bytecode).hex()
    for kind, schema in (("checkpoint", checkpoint), ("auction", auction)):
        printed = subprocess.run(
            [str(EVANCHOR), "schema", kind], capture_output=True, text=True, timeout=60, check=True
        )
        assert json.loads(printed.stdout) == schema
