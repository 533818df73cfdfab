"""The JavaScript verifier's C2SP note code (anchor/verify/js/note.mjs, witnessed.mjs) and the
Python one (anchor/protocol/note.py, anchor/verify/witnessed.py) agree beyond the vectors:
on one-byte changes (a byte replaced or deleted) spread over every note of
tests/vectors/note/open.json and witnessed.json, and on every one-byte change to every
verifier key of keys.json, both
accept or both refuse, with the same error kind (and for a witnessed checkpoint the same
check, cosignatures and k-th earliest time). The vectors themselves are run by each side's
own tests (tests/anchor/test_note.py, test_witnessed.py; anchor/verify/js/test/note.test.mjs).

One Node.js process judges every case (a script given the cases as JSON on stdin).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.protocol.note import open_note, parse_verifier_key
from evanchor.anchor.verify.witnessed import verify_witnessed_checkpoint

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "anchor" / "verify" / "js"
NOTES = ROOT / "tests" / "vectors" / "note"
NODE = shutil.which("node")

JUDGE = """
import { readFileSync } from 'node:fs';
import * as note from './note.mjs';
import { verifyWitnessedCheckpoint } from './witnessed.mjs';
const cases = JSON.parse(readFileSync(0, 'utf8'));
const hex = (h) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
const verdicts = cases.map((c) => {
  try {
    if (c.kind === 'key') return ['ok', note.parseVerifierKey(c.key).text];
    if (c.kind === 'open') {
      const opened = note.openNote(hex(c.note), c.verifiers.map(note.parseVerifierKey));
      return ['ok', opened.verified.map((v) => v.key.key), opened.unverified.map((s) => s.key)];
    }
    const r = verifyWitnessedCheckpoint(hex(c.note), { logKeys: [note.parseVerifierKey(c.log)],
      witnessKeys: c.witnesses.map(note.parseVerifierKey), quorum: c.quorum });
    const at = r.witnessedAt === null ? null : Number(r.witnessedAt);
    return ['ok', r.cosignatures.map((x) => [x.key, Number(x.timestamp)]), at];
  } catch (error) {
    return [error.name, error.check ?? null];
  }
});
process.stdout.write(JSON.stringify(verdicts));
"""


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((NOTES / name).read_text(encoding="utf-8"))
    return loaded


def js_verdicts(cases: list[dict[str, Any]]) -> list[list[Any]]:
    assert NODE is not None, "Node.js is needed (scripts/bootstrap.sh installs the verifier)"
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", JUDGE],
        cwd=JS,
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    verdicts: list[list[Any]] = json.loads(done.stdout)
    return verdicts


def python_verdict(case: dict[str, Any]) -> list[Any]:
    try:
        if case["kind"] == "key":
            return ["ok", str(parse_verifier_key(case["key"]))]
        data = bytes.fromhex(case["note"])
        if case["kind"] == "open":
            opened = open_note(data, [parse_verifier_key(v) for v in case["verifiers"]])
            return [
                "ok",
                [key.key for key, _ in opened.verified],
                [s.key for s in opened.unverified],
            ]
        result = verify_witnessed_checkpoint(
            data,
            log_keys=[parse_verifier_key(case["log"])],
            witness_keys=[parse_verifier_key(k) for k in case["witnesses"]],
            quorum=case["quorum"],
        )
        return [
            "ok",
            [[c.key, c.timestamp] for c in result.cosignatures],
            result.witnessed_at,
        ]
    except EvanchorError as error:
        return [type(error).__name__, getattr(error, "check", None)]


STRIDE = 9
"""Each note's bytes are changed at every STRIDE-th position, from an offset that moves from
one note to the next, so that the runs together reach every part of a note (text, names, key
IDs, timestamps, signatures) in seconds, not minutes."""


def _one_byte_changes(data: bytes, offset: int = 0, stride: int = 1) -> list[bytes]:
    """Bytes in turn (from `offset`, every `stride`-th) replaced by another of their kind (a
    letter, digit or symbol by a neighbour, a newline by a space, a space by a newline) or
    deleted."""
    changed = []
    for i in range(offset % stride, len(data), stride):
        byte = data[i]
        other = {0x0A: 0x20, 0x20: 0x0A, 0x3D: 0x41}.get(byte, byte ^ 0x01)
        changed.append(data[:i] + bytes([other]) + data[i + 1 :])
        changed.append(data[:i] + data[i + 1 :])
    return changed


def test_changed_notes_get_the_same_verdict() -> None:
    cases: list[dict[str, Any]] = []
    for n, case in enumerate(_load("open.json")["cases"]):
        data = bytes.fromhex(case["note_hex"]) if "note_hex" in case else case["note"].encode()
        if len(data) > 4000:  # the 101-signature case: its changes are the same lines' changes
            continue
        for changed in [data, *_one_byte_changes(data, n, STRIDE)]:
            cases.append({"kind": "open", "note": changed.hex(), "verifiers": case["verifiers"]})
    witnessed = _load("witnessed.json")
    for n, case in enumerate(witnessed["cases"]):
        if case["expect"]:
            continue  # the expected origin, size, root and clock: held by the vector tests
        data = case["note"].encode()
        for changed in [data, *_one_byte_changes(data, n, STRIDE)]:
            cases.append(
                {
                    "kind": "witnessed",
                    "note": changed.hex(),
                    "log": case.get("log_vkey", witnessed["log_vkey"]),
                    "witnesses": case.get("witness_vkeys", witnessed["witness_vkeys"]),
                    "quorum": case["quorum"],
                }
            )
    verdicts = js_verdicts(cases)
    kinds: dict[str, int] = {}
    for case, js in zip(cases, verdicts, strict=True):
        python = python_verdict(case)
        assert js == python, (case, js, python)
        kinds[python[0]] = kinds.get(python[0], 0) + 1
    assert len(cases) > 3_000
    for kind in ("ok", "NoteMalformed", "NoteSignatureInvalid", "NoteUnverified"):
        assert kinds.get(kind, 0) > 20, kinds
    assert kinds.get("WitnessEvidenceInvalid", 0) > 200, kinds


def test_every_changed_key_gets_the_same_verdict() -> None:
    keys = _load("keys.json")
    texts = [k["vkey"] for k in keys["verifier_keys"]]
    texts += [k["vkey"] for k in keys["invalid_verifier_keys"]]
    cases = []
    for text in texts:
        data = text.encode()
        for changed in [data, *_one_byte_changes(data)]:
            try:
                cases.append({"kind": "key", "key": changed.decode()})
            except UnicodeDecodeError:
                continue
    verdicts = js_verdicts(cases)
    for case, js in zip(cases, verdicts, strict=True):
        assert js == python_verdict(case), case
