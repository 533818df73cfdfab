"""The JavaScript verifier's checkpoint note step (PROTOCOL.md §5.4, §10.8) agrees with the
Python verifier's: on every witnessed-bundle vector (tests/vectors/witnessed-bundles/, the
valid ones and the named corrupt cases), on every one-character change to a witnessed note,
and through the two command lines. Agreement is the outcome, the assurance level, the failing
step, the failure's one line (`<check>: <detail>`, naming the witness or the field) and the
witnessing established (who cosigned, when, the k-th earliest time), as JSON.

The Python verifier runs in process; the JavaScript one as `node cli.mjs FILE... --json` with
`--log-key`, `--witness-key`, `--witness-policy`, `--now` and `--block-hash`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from evanchor.anchor.protocol.note import parse_verifier_key
from evanchor.anchor.verify.bundle import verify_bundle
from evanchor.anchor.verify.case_bundle import verify_case_bundle
from evanchor.anchor.verify.report import Report

# The Python side of §10.8 and its vectors come with the Python verifier's checkpoint note
# step (branch witness-bundle); until it is merged there is nothing to agree with.
witness_trust = pytest.importorskip(
    "evanchor.anchor.verify.checkpoint_note",
    reason="the Python verifier has no checkpoint note step yet (branch witness-bundle)",
).witness_trust

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "anchor" / "verify" / "js"
VECTORS = ROOT / "tests" / "vectors" / "witnessed-bundles"
NODE = shutil.which("node")
EVANCHOR = Path(sys.executable).with_name("evanchor")
Vector = dict[str, Any]


def _vectors() -> dict[str, Vector]:
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(VECTORS.glob("*.json"))
    }


VECTOR_FILES = _vectors()


def python_report(vector: Vector, bundle: dict[str, Any]) -> Report:
    keys = vector["keys"]
    trust = witness_trust(
        [parse_verifier_key(k) for k in keys["log"]],
        [parse_verifier_key(k) for k in keys["witnesses"]],
        keys["policy"],
        now=vector["now"],
    )
    trusted = vector["options"]["trusted_block_hash"]
    check = verify_case_bundle if bundle.get("format") == "evanchor/case-bundle" else verify_bundle
    return check(
        bundle, trusted_block_hash=None if trusted is None else bytes.fromhex(trusted), trust=trust
    )


def js_options(vector: Vector) -> list[str]:
    keys = vector["keys"]
    flags = [f"--log-key={k}" for k in keys["log"]]
    flags += [f"--witness-key={k}" for k in keys["witnesses"]]
    if keys["policy"] is not None:
        flags += ["--witness-policy", str(keys["policy"])]
    flags += ["--now", str(vector["now"])]
    if vector["options"]["trusted_block_hash"] is not None:
        flags += ["--block-hash", vector["options"]["trusted_block_hash"]]
    return flags


def run_js(tmp: Path, bundles: list[dict[str, Any]], flags: list[str]) -> list[dict[str, Any]]:
    """One `node cli.mjs --json` over every bundle (same options); its reports in order."""
    assert NODE is not None, "Node.js is needed (scripts/bootstrap.sh installs the verifier)"
    files = []
    for n, bundle in enumerate(bundles):
        path = tmp / f"bundle-{n}.json"
        path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
        files.append(str(path))
    done = subprocess.run(
        [NODE, str(JS / "cli.mjs"), *files, "--json", *flags],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    reports = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["file"] for r in reports] == files, done.stderr
    return reports


def _line(step: str | None, detail: str | None) -> str | None:
    """A failure's one line as compared: whole for the checkpoint note step's checks after
    parsing (they name a witness, a field or a key), the check alone for a note that does not
    parse and for other steps (each language words a syntax error its own way)."""
    if step is None or detail is None:
        return None
    check = detail.split(":")[0]
    return detail if step == "checkpoint note" and check != "note" else f"{step}: {check}"


def verdict_of_python(report: Report) -> tuple[Any, ...]:
    failed = report.failed_step
    return (
        report.outcome.value,
        report.assurance.value,
        None if failed is None else failed.name,
        _line(None if failed is None else failed.name, None if failed is None else failed.detail),
        report.witnessing.as_json(),
    )


def verdict_of_js(report: dict[str, Any]) -> tuple[Any, ...]:
    failed = next((s for s in report["steps"] if s["status"] == "failed"), None)
    return (
        report["outcome"],
        report["assurance"],
        None if failed is None else failed["step"],
        _line(
            None if failed is None else failed["step"], None if failed is None else failed["detail"]
        ),
        report["witnessing"],
    )


def _groups() -> dict[str, list[str]]:
    """Vector names by the options they are verified with (one JS run per group)."""
    groups: dict[str, list[str]] = {}
    for name, vector in VECTOR_FILES.items():
        groups.setdefault(json.dumps(js_options(vector)), []).append(name)
    return groups


def test_the_vectors_are_there() -> None:
    assert len(VECTOR_FILES) >= 20
    outcomes = {v["expected"]["outcome"] for v in VECTOR_FILES.values()}
    assert outcomes == {"VERIFIED", "NOT VERIFIED"}
    assert {v["kind"] for v in VECTOR_FILES.values()} == {"proof-bundle", "case-bundle"}


def test_every_vector_gives_the_same_verdict_and_witnessing(tmp_path: Path) -> None:
    checked = 0
    for flags, names in _groups().items():
        reports = run_js(tmp_path, [VECTOR_FILES[n]["bundle"] for n in names], json.loads(flags))
        for name, js in zip(names, reports, strict=True):
            vector = VECTOR_FILES[name]
            python = python_report(vector, vector["bundle"])
            assert verdict_of_js(js) == verdict_of_python(python), (name, js["steps"][-1])
            expected = vector["expected"]
            assert (js["outcome"], js["witnessing"]["witnessed_at"]) == (
                expected["outcome"],
                expected["witnessed_at"],
            ), name
            assert [c["witness"] for c in js["witnessing"]["cosignatures"]] == expected[
                "witnesses"
            ], name
            if js["outcome"] == "VERIFIED" and js["proven"] is not None:
                assert js["proven"]["witnessing"] == js["witnessing"], name
            checked += 1
    assert checked == len(VECTOR_FILES)


def _changed(note: str, position: int) -> str:
    """`note` with the character at `position` replaced by another one of its kind."""
    char = note[position]
    swap = {"\n": " ", " ": "\n", "=": "A", "\u2014": "-", "+": "/", "/": "+"}
    other = swap.get(char, "B" if char == "A" else "A" if char.isalnum() else "x")
    return note[:position] + other + note[position + 1 :]


@pytest.mark.parametrize("name", ["log-only-valid-witnessed", "valid-witnessed"])
def test_every_one_character_change_to_the_note_agrees(name: str, tmp_path: Path) -> None:
    """Each character of the note changed in turn (origin, size, root, every signature line):
    both verifiers refuse it at the same check with the same line, or both accept it (a
    change in a base64 character's unused low bits, which signed-note verifiers accept)."""
    vector = VECTOR_FILES[name]
    note = vector["bundle"]["checkpoint_note"]
    bundles = [{**vector["bundle"], "checkpoint_note": _changed(note, i)} for i in range(len(note))]
    reports = run_js(tmp_path, bundles, js_options(vector))
    counts: dict[str, int] = {}
    for position, (bundle, js) in enumerate(zip(bundles, reports, strict=True)):
        python = python_report(vector, bundle)
        assert verdict_of_js(js) == verdict_of_python(python), (position, js["steps"][-1])
        failed = python.failed_step
        check = "accepted" if failed is None else failed.detail.split(":")[0]
        counts[check] = counts.get(check, 0) + 1
    assert counts.get("accepted", 0) < len(note) // 20, counts
    assert {"origin", "size", "root", "log signature", "cosignature", "note"} <= set(counts)


def test_the_command_lines_agree(tmp_path: Path) -> None:
    """`evanchor verify --json` and `node cli.mjs --json` with the same keys and policy: the
    same steps and statuses, the same exit status, the same witnessing."""
    for name in ("valid-witnessed", "policy-unmet"):
        vector = VECTOR_FILES[name]
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(vector["bundle"]), encoding="utf-8")
        flags = js_options(vector)
        at = flags.index("--now")
        python_flags = flags[:at] + flags[at + 2 :]
        python = subprocess.run(
            [str(EVANCHOR), "verify", str(path), "--json", *python_flags],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        js = subprocess.run(
            [str(NODE), str(JS / "cli.mjs"), str(path), "--json", *python_flags],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert python.returncode == js.returncode, (name, python.stdout, js.stdout)
        py_report, js_report = json.loads(python.stdout), json.loads(js.stdout)
        assert [(s["step"], s["status"]) for s in py_report["steps"]] == [
            (s["step"], s["status"]) for s in js_report["steps"]
        ], name
        assert py_report["witnessing"] == js_report["witnessing"], name


def test_unusable_keys_are_usage_errors_in_both(tmp_path: Path) -> None:
    """Exit status 2 and one line naming the option, before any bundle is read (the Python
    command line's own tests cover its side; two of the cases are run through both here)."""
    vector = VECTOR_FILES["valid-witnessed"]
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(vector["bundle"]), encoding="utf-8")
    log, witnesses = vector["keys"]["log"], vector["keys"]["witnesses"]
    cases = [
        ([f"--witness-key={witnesses[0]}"], "--witness-key", True),
        ([f"--log-key={witnesses[0]}"], "--log-key", False),
        (
            [f"--log-key={log[0]}", f"--witness-key={witnesses[0]}", "--witness-policy", "2"],
            "--witness-policy",
            True,
        ),
        ([f"--log-key={log[0][:-2]}"], "--log-key", False),
        (
            [
                f"--log-key={log[0]}",
                f"--witness-key={witnesses[0]}",
                f"--witness-key={witnesses[0]}",
            ],
            "--witness-key",
            False,
        ),
    ]
    for flags, option, also_python in cases:
        js = subprocess.run(
            [str(NODE), str(JS / "cli.mjs"), str(path), *flags],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert js.returncode == 2, (flags, js.stderr)
        assert js.stdout == ""
        assert js.stderr.splitlines()[0].startswith(f"{option}: "), js.stderr
        if also_python:
            python = subprocess.run(
                [str(EVANCHOR), "verify", str(path), *flags],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert python.returncode == 2, (flags, python.stderr)
            assert option in python.stderr
