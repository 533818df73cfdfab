"""Regenerate the signed-note, checkpoint and cosignature vectors under tests/vectors/note/.

Run from the repository root: `python tests/vectors/generate_note.py`. The files are
committed; tests/anchor/test_note.py checks that this script reproduces them byte for byte.

Sources. The known answers are published ones, copied here with where they come from:

- the Go `golang.org/x/mod/sumdb/note` tests (PeterNeumann, EnochRoot: keys, signatures,
  the malformed messages of TestOpen, the key manglings of TestNewVerifier);
- c2sp.org/signed-note (the example.com/foo example);
- a real sum.golang.org checkpoint and a sigsum checkpoint signed by sigsum-go, as used
  in the litewitness tests (FiloSottile/litetlog, cmd/litewitness/testdata);
- a real checkpoint of the arche2025h1 staging CT log with real cosignature/v1 lines of
  three public witnesses (remora.n621.de, witness1.smartit.nu, transparency.dev's
  little-garden), with their published verifier keys;
- transparency-dev/formats note tests (a cosignature timestamp, verifier keys).

The named corrupt cases are made from those by the small, plain edits below (a bit flipped
in a decoded signature, a key ID changed, a newline added or removed). The witnessed cases
sign with fixed seeds through a plain reference written here (cryptography's Ed25519, the
message and key ID restated from the documents), not through evanchor's code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

HERE = Path(__file__).resolve().parent / "note"
DASH = "\u2014 "

# -- published vectors ---------------------------------------------------------------------

GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
PETER_SIG = (
    DASH + "PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfq"
    "dngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    DASH + "EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwn"
    "WLox33WWd1RvMc+QQ=\n"
)
GO = "golang.org/x/mod/sumdb/note, note_test.go"

FOO_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
FOO_NOTE = (
    "This is an example message.\n\n"
    + DASH
    + "example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFX"
    "mRKuwHjG1Yu72IneyaQM=\n"
)
C2SP = "c2sp.org/signed-note, Verifier keys, Example"

SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_NOTE = (
    "go.sum database tree\n35225469\nvt5T6GaLCXvyHFl9VUvvItR43XZxfLgftEcTyO3eJCQ=\n\n"
    + DASH
    + "sum.golang.org Az3grpukl5AXaVfYkLiDGORx/DN2nlcS5kZHR5uYOBV2KA2HgXpD+gu9HHONebHLAyaKbbTM"
    "75QTtPydhKCExixSfwQ=\n"
)
LITEWITNESS = "FiloSottile/litetlog, cmd/litewitness/testdata (sum.golang.org, sigsum-go)"

SIGSUM_ORIGIN = (
    "sigsum.org/v1/tree/4d6d8825a6bb689d459628312889dfbb0bcd41b5211d9e1ce768b0ff0309e562"
)
SIGSUM_PUBLIC = bytes.fromhex("ffdc2d4d98e4124d3feaf788c0c2f9abfd796083d1f0495437f302ec79cf100f")
SIGSUM_NOTE_1 = (
    f"{SIGSUM_ORIGIN}\n1\nKgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n{DASH}{SIGSUM_ORIGIN} "
    "UgIom7fPZTqpxWWhyjWduBvTvGVqsokMbqTArsQilegKoFBJQjUFAmQ0+YeSPM3wfUQMFSzVnnNuWRTYrajXpNUbIQY=\n"
)
SIGSUM_NOTE_3 = (
    f"{SIGSUM_ORIGIN}\n3\nRcCI1Nk56ZcSmIEfIn0SleqtV7uvrlXNccFx595Iwl0=\n\n{DASH}{SIGSUM_ORIGIN} "
    "UgIom2VbtIcdFbwFAy1n7s6IkAxIY6J/GQOTuZF2ORV39d75cbAj2aQYwyJre36kezNobZs4SUUdrcawfAB8WVrx6go=\n"
)

ARCHE_VKEY = (
    "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
)
REMORA_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
GARDEN_VKEY = (
    "transparency.dev/DEV:witness-little-garden+d8042a87+"
    "BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM"
)
SMARTIT_VKEY = "witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO"
ARCHE_NOTE = (
    "arche2025h1.staging.ct.transparency.dev\n1432088532\n"
    "U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n\n"
    f"{DASH}arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6h"
    "oGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n"
    f"{DASH}arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhU"
    "kzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n"
    f"{DASH}transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/K"
    "YTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==\n"
    f"{DASH}witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH"
    "+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==\n"
    f"{DASH}remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVC"
    "IobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n"
    f"{DASH}witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUv"
    "Vr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==\n"
)
ARCHE = "a real arche2025h1 staging CT checkpoint with three public witnesses' cosignatures"
ARCHE_TIME = 1779573024

FORMATS = "transparency-dev/formats, note/note_cosigv1_test.go"
FORMATS_COSIGNATURE = (
    "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJ"
    "XORmnFBOBA=="
)
WIT1_SKEY = "PRIVATE+KEY+Wit1+55ee4561+AeadRiG7XM4XiieCHzD8lxysXMwcViy5nYsoXURWGrlE"
WIT1_VKEY = "Wit1+55ee4561+AVhZSmQj9+SoL+p/nN0Hh76xXmF7QcHfytUrI1XfSClk"
WIT1 = "transparency-dev/formats, witness/witness_test.go"

# -- plain edits ---------------------------------------------------------------------------


def _edit_signature(note: str, line_number: int, edit: Any) -> str:
    """Apply `edit(raw bytes) -> raw bytes` to the decoded signature of one signature line."""
    head, _, tail = note.rpartition("\n\n")
    lines = tail.split("\n")
    prefix, _, encoded = lines[line_number].rpartition(" ")
    raw = edit(base64.b64decode(encoded))
    lines[line_number] = f"{prefix} {base64.b64encode(raw).decode()}"
    return head + "\n\n" + "\n".join(lines)


def _flip_bit(position: int) -> Any:
    return lambda raw: raw[:position] + bytes([raw[position] ^ 0x01]) + raw[position + 1 :]


def _new_key_id(raw: bytes) -> bytes:
    return bytes([raw[0] ^ 0xFF]) + raw[1:]


# -- a plain reference signer for the witnessed cases --------------------------------------


def _key_id(name: str, kind: int, public: bytes) -> int:
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()
    return int.from_bytes(digest[:4], "big")


def _key(seed_label: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed_label.encode()).digest())


def _vkey(name: str, kind: int, key: Ed25519PrivateKey) -> str:
    public = key.public_key().public_bytes_raw()
    encoded = base64.b64encode(bytes([kind]) + public).decode()
    return f"{name}+{_key_id(name, kind, public):08x}+{encoded}"


def _line(name: str, kind: int, key: Ed25519PrivateKey, raw: bytes) -> str:
    public = key.public_key().public_bytes_raw()
    encoded = base64.b64encode(_key_id(name, kind, public).to_bytes(4, "big") + raw).decode()
    return f"{DASH}{name} {encoded}\n"


def _log_line(name: str, key: Ed25519PrivateKey, text: str) -> str:
    return _line(name, 1, key, key.sign(text.encode()))


def _cosignature_line(name: str, key: Ed25519PrivateKey, text: str, timestamp: int) -> str:
    message = f"cosignature/v1\ntime {timestamp}\n{text}".encode()
    return _line(name, 4, key, struct.pack(">Q", timestamp) + key.sign(message))


LOG_ORIGIN = (
    "evanchor/7107/0x5FbDB2315678afecb367f032d93F642f64180aa3/"
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
)
LOG_KEY = _key("evanchor test vectors: log")
WITNESSES = {
    f"court{i}.example/witness": _key(f"evanchor test vectors: witness {i}") for i in (1, 2, 3)
}
STRANGER = _key("evanchor test vectors: a witness nobody trusts")


def _body(size: int) -> str:
    root = hashlib.sha256(f"root at {size}".encode()).digest()
    return f"{LOG_ORIGIN}\n{size}\n{base64.b64encode(root).decode()}\n"


BODY, OTHER_BODY = _body(5), _body(6)
TIMES = {"court1.example/witness": 1767225610, "court2.example/witness": 1767225605}
TIMES["court3.example/witness"] = 1767225620


def _witnessed_note(body: str, names: list[str]) -> str:
    lines = _log_line(LOG_ORIGIN, LOG_KEY, body)
    for name in names:
        lines += _cosignature_line(name, WITNESSES[name], body, TIMES[name])
    return body + "\n" + lines


# -- the files -----------------------------------------------------------------------------


def open_cases() -> dict[str, Any]:
    both = GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    cases: list[dict[str, Any]] = [
        {
            "name": "go-one-of-two-known",
            "source": GO,
            "note": both,
            "verifiers": [PETER_VKEY],
            "outcome": "verified",
            "verified": ["PeterNeumann+c74f20a3"],
            "unverified": ["EnochRoot+af0cfe78"],
        },
        {
            "name": "go-both-known",
            "source": GO,
            "note": both,
            "verifiers": [PETER_VKEY, ENOCH_VKEY],
            "outcome": "verified",
            "verified": ["PeterNeumann+c74f20a3", "EnochRoot+af0cfe78"],
            "unverified": [],
        },
        {
            "name": "go-none-known",
            "source": GO,
            "note": both,
            "verifiers": [],
            "outcome": "NoteUnverified",
        },
        {
            "name": "go-duplicated-verifier",
            "source": GO,
            "note": GO_TEXT + "\n" + ENOCH_SIG,
            "verifiers": [ENOCH_VKEY, PETER_VKEY, ENOCH_VKEY],
            "outcome": "AmbiguousNoteKey",
        },
        {
            "name": "go-unused-duplicated-verifier",
            "source": GO,
            "note": GO_TEXT + "\n" + PETER_SIG,
            "verifiers": [ENOCH_VKEY, PETER_VKEY, ENOCH_VKEY],
            "outcome": "verified",
            "verified": ["PeterNeumann+c74f20a3"],
            "unverified": [],
        },
        {
            "name": "go-too-many-signatures",
            "source": GO,
            "note": GO_TEXT + "\n" + PETER_SIG * 101,
            "verifiers": [PETER_VKEY],
            "outcome": "NoteMalformed",
        },
        {
            "name": "go-invalid-signature",
            "source": GO,
            "note": GO_TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:],
            "verifiers": [PETER_VKEY],
            "outcome": "NoteSignatureInvalid",
        },
        {
            "name": "go-duplicates-counted-once",
            "source": GO,
            "note": GO_TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG,
            "verifiers": [PETER_VKEY],
            "outcome": "verified",
            "verified": ["PeterNeumann+c74f20a3"],
            "unverified": ["EnochRoot+af0cfe78"],
        },
        {
            "name": "c2sp-example",
            "source": C2SP,
            "note": FOO_NOTE,
            "verifiers": [FOO_VKEY],
            "outcome": "verified",
            "verified": ["example.com/foo+530d903a"],
            "unverified": [],
        },
        {
            "name": "sumdb-real-checkpoint",
            "source": LITEWITNESS,
            "note": SUMDB_NOTE,
            "verifiers": [SUMDB_VKEY],
            "outcome": "verified",
            "verified": ["sum.golang.org+033de0ae"],
            "unverified": [],
            "checkpoint": {
                "origin": "go.sum database tree",
                "size": 35225469,
                "root": base64.b64decode("vt5T6GaLCXvyHFl9VUvvItR43XZxfLgftEcTyO3eJCQ=").hex(),
            },
        },
        {
            "name": "sigsum-checkpoint-1",
            "source": LITEWITNESS,
            "note": SIGSUM_NOTE_1,
            "verifiers": [_sigsum_vkey()],
            "outcome": "verified",
            "verified": [f"{SIGSUM_ORIGIN}+5202289b"],
            "unverified": [],
        },
        {
            "name": "sigsum-checkpoint-3",
            "source": LITEWITNESS,
            "note": SIGSUM_NOTE_3,
            "verifiers": [_sigsum_vkey()],
            "outcome": "verified",
            "verified": [f"{SIGSUM_ORIGIN}+5202289b"],
            "unverified": [],
        },
        {
            "name": "sigsum-checkpoint-3-last-character-changed",
            "source": LITEWITNESS,
            "note": SIGSUM_NOTE_3.replace("6go=\n", "6gx=\n"),
            "verifiers": [_sigsum_vkey()],
            "outcome": "NoteSignatureInvalid",
        },
        {
            "name": "real-cosigned-checkpoint",
            "source": ARCHE,
            "note": ARCHE_NOTE,
            "verifiers": [ARCHE_VKEY, REMORA_VKEY, GARDEN_VKEY, SMARTIT_VKEY],
            "outcome": "verified",
            "verified": [
                "arche2025h1.staging.ct.transparency.dev+ba2f06c0",
                "transparency.dev/DEV:witness-little-garden+d8042a87",
                "witness1.smartit.nu/witness1+a48c820f",
                "remora.n621.de+da77ade7",
            ],
            "unverified": [
                "arche2025h1.staging.ct.transparency.dev+cd333cb1",
                "witness.stagemole.eu+67f7aea0",
            ],
            "timestamps": {
                "transparency.dev/DEV:witness-little-garden+d8042a87": ARCHE_TIME,
                "witness1.smartit.nu/witness1+a48c820f": ARCHE_TIME,
                "remora.n621.de+da77ade7": ARCHE_TIME,
            },
        },
        {
            "name": "real-cosignature-with-log-key-only",
            "source": ARCHE,
            "note": ARCHE_NOTE,
            "verifiers": [REMORA_VKEY],
            "outcome": "verified",
            "verified": ["remora.n621.de+da77ade7"],
            "unverified": [
                "arche2025h1.staging.ct.transparency.dev+cd333cb1",
                "arche2025h1.staging.ct.transparency.dev+ba2f06c0",
                "transparency.dev/DEV:witness-little-garden+d8042a87",
                "witness1.smartit.nu/witness1+a48c820f",
                "witness.stagemole.eu+67f7aea0",
            ],
            "timestamps": {"remora.n621.de+da77ade7": ARCHE_TIME},
        },
    ]
    corrupt = [
        (
            "flipped-signature-bit",
            "a bit of the Ed25519 signature flipped",
            _edit_signature(FOO_NOTE, 0, _flip_bit(10)),
            [FOO_VKEY],
            "NoteSignatureInvalid",
        ),
        (
            "wrong-key-id",
            "the key ID changed: the line is from an unknown key, ignored, and no known key signed",
            _edit_signature(FOO_NOTE, 0, _new_key_id),
            [FOO_VKEY],
            "NoteUnverified",
        ),
        (
            "extra-newline-before-signatures",
            "a second blank line: the text now ends in a blank"
            " line, so the signature is over other bytes",
            FOO_NOTE.replace("\n\n", "\n\n\n"),
            [FOO_VKEY],
            "NoteSignatureInvalid",
        ),
        (
            "missing-final-newline",
            "the last signature line does not end in a newline",
            FOO_NOTE[:-1],
            [FOO_VKEY],
            "NoteMalformed",
        ),
        (
            "extra-final-newline",
            "a blank line after the signatures",
            FOO_NOTE + "\n",
            [FOO_VKEY],
            "NoteMalformed",
        ),
        (
            "missing-blank-line",
            "no blank line between text and signatures",
            FOO_NOTE.replace("\n\n", "\n"),
            [FOO_VKEY],
            "NoteMalformed",
        ),
        ("text-only", "no signature lines", GO_TEXT, [PETER_VKEY], "NoteMalformed"),
        (
            "text-and-blank-line",
            "a blank line and nothing after it",
            GO_TEXT + "\n",
            [PETER_VKEY],
            "NoteMalformed",
        ),
        (
            "control-character",
            "a control character in the text",
            "\x01" + GO_TEXT + "\n" + PETER_SIG,
            [PETER_VKEY],
            "NoteMalformed",
        ),
        (
            "space-in-key-name",
            "a key name with a space",
            GO_TEXT + "\n" + DASH + "Bad Name " + PETER_SIG.split(" ")[-1],
            [PETER_VKEY],
            "NoteMalformed",
        ),
        (
            "unexpected-line-after-signatures",
            "a line that is not a signature",
            GO_TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
            [PETER_VKEY],
            "NoteMalformed",
        ),
        (
            "unknown-key-ignored",
            "a line of an unknown key beside a valid one is ignored",
            FOO_NOTE + ENOCH_SIG,
            [FOO_VKEY],
            "verified",
        ),
        (
            "cosignature-timestamp-changed",
            "the cosignature's timestamp is signed: a changed time fails",
            _edit_signature(ARCHE_NOTE, 4, _flip_bit(11)),
            [REMORA_VKEY],
            "NoteSignatureInvalid",
        ),
        (
            "cosignature-as-log-signature",
            "a witness key given as a type 0x01 key has another key ID: its line is unknown",
            ARCHE_NOTE,
            [_as_type(REMORA_VKEY, 1)],
            "NoteUnverified",
        ),
        (
            "log-signature-over-changed-size",
            "the size line changed under the signature",
            SUMDB_NOTE.replace("35225469", "35225470"),
            [SUMDB_VKEY],
            "NoteSignatureInvalid",
        ),
    ]
    cases.append(
        {
            "name": "invalid-utf8",
            "description": "a byte that is not UTF-8 (the note in hex)",
            "note_hex": (b"\xff" + (GO_TEXT + "\n" + PETER_SIG).encode()).hex(),
            "verifiers": [PETER_VKEY],
            "outcome": "NoteMalformed",
        }
    )
    for name, description, note, verifiers, outcome in corrupt:
        case: dict[str, Any] = {
            "name": name,
            "description": description,
            "note": note,
            "verifiers": verifiers,
            "outcome": outcome,
        }
        if name == "unknown-key-ignored":
            case |= {"verified": ["example.com/foo+530d903a"], "unverified": ["EnochRoot+af0cfe78"]}
        cases.append(case)
    return {
        "description": "open_note: parse a signed note and verify it against verifier keys;"
        " `note` is its text (`note_hex` its bytes where they are not UTF-8),"
        " `outcome` is `verified` or the error a verifier must raise",
        "cases": cases,
    }


def _sigsum_vkey() -> str:
    encoded = base64.b64encode(b"\x01" + SIGSUM_PUBLIC).decode()
    return f"{SIGSUM_ORIGIN}+{_key_id(SIGSUM_ORIGIN, 1, SIGSUM_PUBLIC):08x}+{encoded}"


def _as_type(vkey: str, kind: int) -> str:
    name, _, rest = vkey.partition("+")
    public = base64.b64decode(rest.partition("+")[2])[1:]
    encoded = base64.b64encode(bytes([kind]) + public).decode()
    return f"{name}+{_key_id(name, kind, public):08x}+{encoded}"


def key_cases() -> dict[str, Any]:
    valid = [
        (PETER_VKEY, GO, 1),
        (ENOCH_VKEY, GO, 1),
        (FOO_VKEY, C2SP, 1),
        (SUMDB_VKEY, LITEWITNESS, 1),
        (REMORA_VKEY, FORMATS, 4),
        (GARDEN_VKEY, ARCHE, 4),
        (SMARTIT_VKEY, ARCHE, 4),
        ("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6", FORMATS, 1),
        (WIT1_VKEY, WIT1, 1),
    ]
    invalid = [
        (
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
            "wrong length key, with adjusted key ID",
            GO,
        ),
        (
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "unknown algorithm, with adjusted key ID",
            GO,
        ),
        ("bananas.sigstore.dev+12344556", "wrong number of parts", FORMATS),
        ("rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!", "invalid base64", FORMATS),
        ("rekor.sigstore.dev+12345678+AwEB", "invalid algorithm", FORMATS),
        (
            "PeterNeumann+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "incorrect key ID",
            FORMATS,
        ),
        (
            "PeterNeumann+NOT_A_NUMBER+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "key ID is not hex",
            FORMATS,
        ),
        (
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "a space in the name",
            "signed-note, Format",
        ),
    ]
    return {
        "description": "verifier keys (name+hex key ID+base64(type || key)) and signer keys"
        " (PRIVATE+KEY+...); every substring and every one-byte change of `mangle` must fail",
        "verifier_keys": [
            {"vkey": vkey, "source": source, "type": kind} for vkey, source, kind in valid
        ],
        "invalid_verifier_keys": [
            {"vkey": vkey, "description": description, "source": source}
            for vkey, description, source in invalid
        ],
        "signer_keys": [
            {"skey": PETER_SKEY, "vkey": PETER_VKEY, "source": GO},
            {"skey": WIT1_SKEY, "vkey": WIT1_VKEY, "source": WIT1},
        ],
        "mangle": {"vkey": PETER_VKEY, "skey": PETER_SKEY, "source": GO},
    }


def sign_cases() -> dict[str, Any]:
    wit1 = _key_from_skey(WIT1_SKEY)
    text = f"{LOG_ORIGIN}\n5\n{base64.b64encode(bytes(32)).decode()}\n"
    return {
        "description": "signing known answers (Ed25519 is deterministic): a log signature and"
        " cosignatures/v1 at fixed times",
        "log_signatures": [
            {"skey": PETER_SKEY, "text": GO_TEXT, "line": PETER_SIG, "source": GO},
        ],
        "cosignatures": [
            {
                "skey": _as_cosigner(WIT1_SKEY),
                "text": text,
                "timestamp": timestamp,
                "line": _cosignature_line("Wit1", wit1, text, timestamp),
                "source": f"seed of {WIT1}; signed by the plain reference of this script",
            }
            for timestamp in (1, 1767225600, 2**63 - 1)
        ],
        "timestamps": [
            {"signature": FORMATS_COSIGNATURE, "timestamp": 1727964367, "source": FORMATS},
        ],
    }


def _key_from_skey(skey: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(
        base64.b64decode(skey.rsplit("+", maxsplit=1)[-1])[1:]
    )


def _as_cosigner(skey: str) -> str:
    """The same seed as a cosignature/v1 signer key (type 0x04, its own key ID)."""
    name = skey.split("+")[2]
    key = _key_from_skey(skey)
    public = key.public_key().public_bytes_raw()
    seed = base64.b64decode(skey.rsplit("+", maxsplit=1)[-1])[1:]
    encoded = base64.b64encode(b"\x04" + seed).decode()
    return f"PRIVATE+KEY+{name}+{_key_id(name, 4, public):08x}+{encoded}"


def checkpoint_cases() -> dict[str, Any]:
    root = base64.b64encode(hashlib.sha256(b"x").digest()).decode()
    valid = [
        ("three-lines", f"example.com/log\n7\n{root}\n", "example.com/log", 7, []),
        ("empty-tree", "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "o", 0, []),
        (
            "extension-lines",
            f"o\n1\n{root}\nextra one\nextra two\n",
            "o",
            1,
            ["extra one", "extra two"],
        ),
        (
            "sumdb",
            "go.sum database tree\n35225469\nvt5T6GaLCXvyHFl9VUvvItR43XZxfLgftEcTyO3eJCQ=\n",
            "go.sum database tree",
            35225469,
            [],
        ),
    ]
    invalid = [
        ("two-lines", f"o\n{root}\n", 2),
        ("no-final-newline", f"o\n1\n{root}", 1),
        ("leading-zero", f"o\n01\n{root}\n", 2),
        ("negative-size", f"o\n-1\n{root}\n", 2),
        ("size-not-decimal", f"o\n0x1\n{root}\n", 2),
        ("empty-origin", f"\n1\n{root}\n", 1),
        ("root-not-base64", "o\n1\nnot base64!\n", 3),
        ("root-31-bytes", f"o\n1\n{base64.b64encode(bytes(31)).decode()}\n", 3),
        ("root-non-canonical-base64", f"o\n1\n{root[:-2]}{chr(ord(root[-2]) + 1)}=\n", 3),
        ("empty-extension-line", f"o\n1\n{root}\n\nx\n", 4),
        ("size-over-uint64", f"o\n{2**64}\n{root}\n", 2),
    ]
    return {
        "description": "c2sp.org/tlog-checkpoint note texts; `line` is where a parser must fail",
        "valid": [
            {"name": n, "text": t, "origin": o, "size": s, "extensions": e}
            for n, t, o, s, e in valid
        ],
        "invalid": [{"name": n, "text": t, "line": line} for n, t, line in invalid],
    }


def witnessed_cases() -> dict[str, Any]:
    log_vkey = _vkey(LOG_ORIGIN, 1, LOG_KEY)
    witness_vkeys = [_vkey(name, 4, key) for name, key in WITNESSES.items()]
    all_three = _witnessed_note(BODY, list(WITNESSES))
    two = _witnessed_note(BODY, ["court1.example/witness", "court2.example/witness"])
    stranger = two + _cosignature_line("stranger.example/witness", STRANGER, BODY, 1)
    court3 = "court3.example/witness"
    moved = (
        BODY
        + "\n"
        + _log_line(LOG_ORIGIN, LOG_KEY, BODY)
        + _cosignature_line(court3, WITNESSES[court3], OTHER_BODY, TIMES[court3])
    )
    unsigned = (
        BODY
        + "\n"
        + _cosignature_line("court1.example/witness", WITNESSES["court1.example/witness"], BODY, 5)
    )
    size, root = 5, hashlib.sha256(b"root at 5").hexdigest()
    cases = [
        ("three-of-three", all_three, 3, {}, "verified", 1767225620),
        ("two-of-three-k-th-earliest", all_three, 2, {}, "verified", 1767225610),
        ("one-of-three-earliest", all_three, 1, {}, "verified", 1767225605),
        ("policy-unmet", two, 3, {}, "unmet", None),
        ("no-policy", two, 0, {}, "verified", None),
        (
            "expected-checkpoint",
            two,
            2,
            {"origin": LOG_ORIGIN, "size": size, "root": root},
            "verified",
            1767225610,
        ),
        (
            "wrong-origin",
            two,
            2,
            {"origin": LOG_ORIGIN.replace("7107", "7108")},
            "CheckpointMismatch",
            None,
        ),
        ("wrong-size", two, 2, {"size": 6}, "CheckpointMismatch", None),
        ("wrong-root", two, 2, {"root": "00" * 32}, "CheckpointMismatch", None),
        ("untrusted-witness-ignored", stranger, 2, {}, "verified", 1767225610),
        (
            "flipped-cosignature-bit",
            _edit_signature(two, 2, _flip_bit(20)),
            1,
            {},
            "WitnessEvidenceInvalid:cosignature",
            None,
        ),
        (
            "flipped-log-signature-bit",
            _edit_signature(two, 0, _flip_bit(20)),
            1,
            {},
            "WitnessEvidenceInvalid:log signature",
            None,
        ),
        (
            "cosignature-of-another-checkpoint",
            moved,
            1,
            {},
            "WitnessEvidenceInvalid:cosignature",
            None,
        ),
        ("not-signed-by-the-log", unsigned, 1, {}, "WitnessEvidenceInvalid:log signature", None),
        (
            "future-timestamp",
            all_three,
            1,
            {"now": 1767225000},
            "WitnessEvidenceInvalid:cosignature",
            None,
        ),
    ]
    return {
        "description": "verify_witnessed_checkpoint: a signed checkpoint with cosignatures,"
        " checked against the log key, the trusted witness keys and a quorum k; `witnessed_at`"
        " is the k-th earliest cosignature time",
        "log_vkey": log_vkey,
        "witness_vkeys": witness_vkeys,
        "cases": [
            {
                "name": n,
                "note": note,
                "quorum": k,
                "expect": expect,
                "outcome": outcome,
                "witnessed_at": at,
            }
            for n, note, k, expect, outcome, at in cases
        ]
        + [
            {
                "name": "real-ct-checkpoint-three-public-witnesses",
                "note": ARCHE_NOTE,
                "log_vkey": ARCHE_VKEY,
                "witness_vkeys": [REMORA_VKEY, GARDEN_VKEY, SMARTIT_VKEY],
                "quorum": 3,
                "expect": {"size": 1432088532},
                "outcome": "verified",
                "witnessed_at": ARCHE_TIME,
                "source": ARCHE,
            },
        ],
    }


def all_vectors() -> dict[str, str]:
    files = {
        "open.json": open_cases(),
        "keys.json": key_cases(),
        "sign.json": sign_cases(),
        "checkpoints.json": checkpoint_cases(),
        "witnessed.json": witnessed_cases(),
    }
    return {
        name: json.dumps(content, indent=2, ensure_ascii=False) + "\n"
        for name, content in files.items()
    }


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    for name, text in all_vectors().items():
        (HERE / name).write_text(text, encoding="utf-8")
