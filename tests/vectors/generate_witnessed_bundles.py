"""Regenerate the witnessed-bundle vectors under tests/vectors/witnessed-bundles/.

Run from the repository root: `python tests/vectors/generate_witnessed_bundles.py`. The files
are committed; tests/anchor/test_witnessed_bundle_vectors.py checks that this script
reproduces them byte for byte, and runs every vector through `evanchor verify`'s checks.

Each vector is a bundle of tests/vectors/bundles/ (a valid anchored proof bundle, a valid
anchored case bundle, a valid log-only proof bundle) with a `checkpoint_note` added
(PROTOCOL.md §5.4): the checkpoint signed by a log key named by the log's origin and
cosigned (cosignature/v1) by two witnesses, court1.example/witness and
court2.example/witness, from fixed seeds. The notes are made by the plain reference below
(cryptography's Ed25519; key IDs, the cosignature/v1 message and the line format restated
from c2sp.org/signed-note and c2sp.org/tlog-cosignature), not by evanchor's code, so the
vectors also check evanchor's verifier against an independent signer. The named corrupt
cases change one thing each.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import struct
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

VECTORS = Path(__file__).resolve().parent
HERE = VECTORS / "witnessed-bundles"
DASH = "\u2014 "
LOG_TYPE, COSIGNATURE_TYPE = 0x01, 0x04
COURT1, COURT2, OTHER = "court1.example/witness", "court2.example/witness", "other.example/witness"


# -- a plain C2SP signer -------------------------------------------------------------------


def _key(label: str) -> Ed25519PrivateKey:
    seed = hashlib.sha256(f"evanchor witnessed-bundle vectors: {label}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def _public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _key_id(name: str, kind: int, key: Ed25519PrivateKey) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + _public(key)).digest()[:4]


def _vkey(name: str, kind: int, key: Ed25519PrivateKey) -> str:
    encoded = base64.b64encode(bytes([kind]) + _public(key)).decode()
    return f"{name}+{_key_id(name, kind, key).hex()}+{encoded}"


def _log_line(name: str, key: Ed25519PrivateKey, text: str) -> str:
    raw = _key_id(name, LOG_TYPE, key) + key.sign(text.encode())
    return f"{DASH}{name} {base64.b64encode(raw).decode()}\n"


def _cosignature_line(name: str, key: Ed25519PrivateKey, text: str, timestamp: int) -> str:
    message = f"cosignature/v1\ntime {timestamp}\n{text}".encode()
    raw = _key_id(name, COSIGNATURE_TYPE, key) + struct.pack(">Q", timestamp) + key.sign(message)
    return f"{DASH}{name} {base64.b64encode(raw).decode()}\n"


def _text(origin: str, size: int, root_hex: str, extensions: tuple[str, ...] = ()) -> str:
    root = base64.b64encode(bytes.fromhex(root_hex)).decode()
    return "".join(line + "\n" for line in (origin, str(size), root, *extensions))


# -- the bundles and keys ------------------------------------------------------------------

LOG = _key("log")
OTHER_LOG = _key("another log")
WITNESSES = {COURT1: _key(COURT1), COURT2: _key(COURT2), OTHER: _key(OTHER)}


def _origin(bundle: dict[str, Any], key: Ed25519PrivateKey = LOG) -> str:
    target = bundle["seal"]["leaf"]["anchored_to"]
    if target is None:
        return "evanchor/log-only/" + hashlib.sha256(_public(key)).hexdigest()[:32]
    return f"evanchor/{target['chain_id']}/{target['contract']}/{target['writer']}"


def _base(name: str) -> dict[str, Any]:
    vector: dict[str, Any] = json.loads((VECTORS / "bundles" / f"{name}.json").read_text())
    return vector


def _epoch(node_time: str) -> int:
    return int(datetime.fromisoformat(node_time.replace("Z", "+00:00")).timestamp())


def _note(
    bundle: dict[str, Any],
    *,
    cosigners: tuple[str, ...] = (COURT1, COURT2),
    origin: str | None = None,
    log_name: str | None = None,
    size: int | None = None,
    root: str | None = None,
    extensions: tuple[str, ...] = (),
    times: dict[str, int] | None = None,
) -> str:
    """The bundle's checkpoint as a signed note with cosignatures, or (with the keyword
    arguments) one thing changed, still validly signed."""
    checkpoint = bundle["checkpoint"]
    origin = origin or _origin(bundle)
    text = _text(origin, size or checkpoint["size"], root or checkpoint["root"], extensions)
    lines = [_log_line(log_name or origin, LOG, text)]
    stamps = times or _times(bundle)
    for name in sorted(cosigners):
        lines.append(_cosignature_line(name, WITNESSES[name], text, stamps[name]))
    return text + "\n" + "".join(lines)


def _times(bundle: dict[str, Any]) -> dict[str, int]:
    """Court 2 cosigns 40 s after the seal, court 1 70 s after: the earliest is not the
    first line (lines are in name order)."""
    sealed = _epoch(bundle["checkpoint"]["sealed_at"])
    return {COURT1: sealed + 70, COURT2: sealed + 40, OTHER: sealed + 50}


def _flip_in_line(note: str, name: str, byte: int) -> str:
    """`note` with one bit flipped in the decoded signature of `name`'s line."""
    lines = note.split("\n")
    for position, line in enumerate(lines):
        if line.startswith(f"{DASH}{name} "):
            prefix, encoded = line.rsplit(" ", 1)
            raw = bytearray(base64.b64decode(encoded))
            raw[byte] ^= 0x01
            lines[position] = f"{prefix} {base64.b64encode(bytes(raw)).decode()}"
    return "\n".join(lines)


# -- the vectors ---------------------------------------------------------------------------


def _vector(
    description: str,
    base: dict[str, Any],
    bundle: dict[str, Any],
    *,
    expected: dict[str, Any],
    witnesses: tuple[str, ...] = (COURT1, COURT2),
    policy: int | None = None,
    log_keys: bool = True,
) -> dict[str, Any]:
    now = _epoch(bundle["checkpoint"]["sealed_at"]) + 3600
    outcome = "VERIFIED" if expected.get("failing_step") is None else "NOT VERIFIED"
    return {
        "description": description,
        "kind": base["kind"],
        "options": base["options"],
        "keys": {
            "log": [_vkey(_origin(bundle), LOG_TYPE, LOG)] if log_keys else [],
            "witnesses": [_vkey(name, COSIGNATURE_TYPE, WITNESSES[name]) for name in witnesses],
            "policy": policy,
        },
        "now": now,
        "expected": {
            "outcome": outcome,
            "assurance": base["expected"]["assurance"] if outcome == "VERIFIED" else "none",
            "failing_step": None,
            "failing_check": None,
            "witnessed_at": None,
            "witnesses": [],
            **expected,
        },
        "bundle": bundle,
    }


def _with_note(base: dict[str, Any], note: str | None) -> dict[str, Any]:
    bundle = copy.deepcopy(base["bundle"])
    if note is not None:
        bundle["checkpoint_note"] = note
    return bundle


def _failing(check: str) -> dict[str, Any]:
    return {"failing_step": "checkpoint note", "failing_check": check}


def proof_vectors() -> dict[str, dict[str, Any]]:
    base = _base("valid-anchored-trusted-hash")
    bundle = base["bundle"]
    times = _times(bundle)
    earliest = [COURT2, COURT1]
    good = _note(bundle)
    only_court1 = _note(bundle, cosigners=(COURT1,))
    writer = bundle["log"]["writer"]
    another_origin = _origin(bundle).replace(writer, bundle["log"]["contract"])
    return {
        "valid-witnessed": _vector(
            "the note carries the log's signature and two cosignatures; policy 2 of 2: the"
            " witnessed time is the later one (court 1's)",
            base,
            _with_note(base, good),
            expected={"witnessed_at": times[COURT1], "witnesses": earliest},
        ),
        "valid-witnessed-policy-1": _vector(
            "the same, policy 1 of 2: the witnessed time is the earliest (court 2's)",
            base,
            _with_note(base, good),
            policy=1,
            expected={"witnessed_at": times[COURT2], "witnesses": earliest},
        ),
        "valid-log-key-only": _vector(
            "the note verified with the log's key and no witness keys: verified, the"
            " checkpoint's witnessing not checked",
            base,
            _with_note(base, good),
            witnesses=(),
            expected={},
        ),
        "valid-no-keys": _vector(
            "no keys at all: the note is bound to the checkpoint, its signatures not checked",
            base,
            _with_note(base, good),
            witnesses=(),
            log_keys=False,
            expected={},
        ),
        "no-note": _vector(
            "a bundle without a note and no witness keys: verified, the step skipped",
            base,
            _with_note(base, None),
            witnesses=(),
            expected={},
        ),
        "no-note-with-witness-keys": _vector(
            "a bundle without a note cannot meet a witness policy",
            base,
            _with_note(base, None),
            expected=_failing("witness policy"),
        ),
        "note-of-another-checkpoint": _vector(
            "a validly signed and cosigned note of the log's checkpoint of another size and root",
            base,
            _with_note(
                base,
                _note(
                    bundle,
                    size=bundle["checkpoint"]["size"] + 1,
                    root=hashlib.sha256(b"another checkpoint").hexdigest(),
                ),
            ),
            expected=_failing("size"),
        ),
        "wrong-origin": _vector(
            "a validly signed and cosigned note naming another log (the contract's address"
            " as the writer)",
            base,
            _with_note(base, _note(bundle, origin=another_origin)),
            expected=_failing("origin"),
        ),
        "root-mismatch": _vector(
            "a validly signed and cosigned note of the checkpoint's size with another root",
            base,
            _with_note(base, _note(bundle, root=hashlib.sha256(b"another root").hexdigest())),
            expected=_failing("root"),
        ),
        "extension-line": _vector(
            "a validly signed and cosigned note with an extension line after the root",
            base,
            _with_note(base, _note(bundle, extensions=("extension",))),
            expected=_failing("checkpoint text"),
        ),
        "tampered-cosignature": _vector(
            "one bit of court 2's cosignature flipped (in its signature, after the timestamp)",
            base,
            _with_note(base, _flip_in_line(good, COURT2, 4 + 8 + 10)),
            expected=_failing("cosignature"),
        ),
        "cosignature-timestamp-changed": _vector(
            "court 1's cosignature timestamp changed (its signature no longer verifies)",
            base,
            _with_note(base, _flip_in_line(good, COURT1, 4 + 7)),
            expected=_failing("cosignature"),
        ),
        "cosignature-of-unknown-key": _vector(
            "court 2's cosignature replaced by a valid one of a witness the verifier does not"
            " trust: ignored, so the policy of 2 is unmet",
            base,
            _with_note(base, _note(bundle, cosigners=(COURT1, OTHER))),
            expected=_failing("witness policy"),
        ),
        "policy-unmet": _vector(
            "only court 1 cosigned; policy 2 of 2",
            base,
            _with_note(base, only_court1),
            expected=_failing("witness policy"),
        ),
        "policy-met-by-one": _vector(
            "only court 1 cosigned; policy 1 of 2 is met",
            base,
            _with_note(base, only_court1),
            policy=1,
            expected={"witnessed_at": times[COURT1], "witnesses": [COURT1]},
        ),
        "log-signature-flipped": _vector(
            "one bit of the log's signature flipped",
            base,
            _with_note(base, _flip_in_line(good, _origin(bundle), 10)),
            expected=_failing("log signature"),
        ),
        "not-signed-by-the-log": _vector(
            "the note's log signature line is of another key under the log's name",
            base,
            _with_note(base, _note_signed_by(bundle, OTHER_LOG)),
            expected=_failing("log signature"),
        ),
        "cosignature-in-the-future": _vector(
            "court 2 cosigned with a timestamp two hours after the verifier's clock",
            base,
            _with_note(
                base,
                _note(bundle, times={**times, COURT2: times[COURT2] + 3600 + 7200}),
            ),
            expected=_failing("cosignature"),
        ),
        "note-malformed": _vector(
            "the note without the blank line before its signatures",
            base,
            _with_note(base, good.replace("\n\n", "\n", 1)),
            expected=_failing("note"),
        ),
    }


def _note_signed_by(bundle: dict[str, Any], key: Ed25519PrivateKey) -> str:
    origin = _origin(bundle)
    text = _text(origin, bundle["checkpoint"]["size"], bundle["checkpoint"]["root"])
    raw = _key_id(origin, LOG_TYPE, key) + key.sign(text.encode())
    times = _times(bundle)
    lines = [f"{DASH}{origin} {base64.b64encode(raw).decode()}\n"]
    lines += [_cosignature_line(n, WITNESSES[n], text, times[n]) for n in (COURT1, COURT2)]
    return text + "\n" + "".join(lines)


def case_vectors() -> dict[str, dict[str, Any]]:
    base = _base("valid-case-anchored-trusted-hash")
    bundle = base["bundle"]
    times = _times(bundle)
    good = _note(bundle)
    carried = _with_note(base, good)
    carried["records"][0]["checkpoint_note"] = good
    return {
        "case-valid-witnessed": _vector(
            "a case bundle carrying its checkpoint's note with two cosignatures; policy 2",
            base,
            _with_note(base, good),
            expected={"witnessed_at": times[COURT1], "witnesses": [COURT2, COURT1]},
        ),
        "case-policy-unmet": _vector(
            "a case bundle whose note carries court 1's cosignature only; policy 2",
            base,
            _with_note(base, _note(bundle, cosigners=(COURT1,))),
            expected=_failing("witness policy"),
        ),
        "case-record-carries-a-note": _vector(
            "a record inside a case bundle carries a note of its own",
            base,
            carried,
            expected={"failing_step": "format", "failing_check": "records[0].checkpoint_note"},
        ),
    }


def log_only_vectors() -> dict[str, dict[str, Any]]:
    base = _base("valid-log-only")
    bundle = base["bundle"]
    times = _times(bundle)
    wrong = _origin(bundle, OTHER_LOG)
    return {
        "log-only-valid-witnessed": _vector(
            "a log-only bundle: the note's origin is named by the log key's hash",
            base,
            _with_note(base, _note(bundle)),
            expected={"witnessed_at": times[COURT1], "witnesses": [COURT2, COURT1]},
        ),
        "log-only-wrong-origin": _vector(
            "a log-only bundle whose note's origin line is that of another key, signed by the"
            " log's key under the log's own name",
            base,
            _with_note(base, _note(bundle, origin=wrong, log_name=_origin(bundle))),
            expected=_failing("origin"),
        ),
    }


def all_vectors() -> dict[str, str]:
    vectors = {**proof_vectors(), **case_vectors(), **log_only_vectors()}
    return {
        f"{name}.json": json.dumps(vector, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        for name, vector in vectors.items()
    }


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    for stale in HERE.glob("*.json"):
        stale.unlink()
    for name, text in all_vectors().items():
        (HERE / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(all_vectors())} vectors to {HERE}")
