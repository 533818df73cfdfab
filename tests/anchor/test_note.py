"""Signed notes, note keys, checkpoint bodies and cosignatures against published vectors.

The vectors (tests/vectors/note/, made by generate_note.py) are the Go sumdb/note tests, the
C2SP documents, real sum.golang.org, sigsum and CT checkpoints with real witness
cosignatures, and named corrupt cases made from them.
"""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evanchor.anchor.protocol import errors
from evanchor.anchor.protocol.note import (
    COSIGNATURE_V1,
    ED25519,
    Note,
    NoteSignature,
    NoteSigner,
    open_note,
    parse_note,
    parse_signer_key,
    parse_verifier_key,
)
from evanchor.anchor.protocol.tlog_checkpoint import CheckpointBody, parse_checkpoint_body

from vectorfiles import VECTORS

NOTE_VECTORS = VECTORS / "note"


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((NOTE_VECTORS / name).read_text(encoding="utf-8"))
    return loaded


OPEN = _load("open.json")
KEYS = _load("keys.json")
SIGN = _load("sign.json")
CHECKPOINTS = _load("checkpoints.json")


def _note_bytes(case: dict[str, Any]) -> bytes:
    return bytes.fromhex(case["note_hex"]) if "note_hex" in case else case["note"].encode()


@pytest.mark.parametrize("case", OPEN["cases"], ids=[c["name"] for c in OPEN["cases"]])
def test_open_vectors(case: dict[str, Any]) -> None:
    verifiers = [parse_verifier_key(v) for v in case["verifiers"]]
    if case["outcome"] != "verified":
        with pytest.raises(getattr(errors, case["outcome"])):
            open_note(_note_bytes(case), verifiers)
        return
    opened = open_note(_note_bytes(case), verifiers)
    if "verified" in case:
        assert [key.key for key, _ in opened.verified] == case["verified"]
        assert [s.key for s in opened.unverified] == case["unverified"]
    for key, signature in opened.verified:
        assert key.matches(signature)
        if key.key in case.get("timestamps", {}):
            assert signature.cosignature_timestamp() == case["timestamps"][key.key]
    if "checkpoint" in case:
        body = parse_checkpoint_body(opened.text)
        assert body.origin == case["checkpoint"]["origin"]
        assert body.size == case["checkpoint"]["size"]
        assert body.root.hex() == case["checkpoint"]["root"]


def test_a_parsed_note_is_written_back_byte_for_byte() -> None:
    """Except where a signature's base64 has non-zero padding bits, which the Go package and
    we accept (the case `sigsum-checkpoint-3-last-character-changed`) and write canonically."""
    for case in OPEN["cases"]:
        if case["name"] == "sigsum-checkpoint-3-last-character-changed":
            continue
        if case["outcome"] in ("verified", "NoteSignatureInvalid", "NoteUnverified"):
            data = _note_bytes(case)
            assert parse_note(data).to_bytes() == data, case["name"]


@pytest.mark.parametrize("entry", KEYS["verifier_keys"], ids=lambda e: e["vkey"][:24])
def test_verifier_keys_parse_and_print_back(entry: dict[str, Any]) -> None:
    key = parse_verifier_key(entry["vkey"])
    assert key.signature_type == entry["type"]
    assert str(key) == entry["vkey"]


@pytest.mark.parametrize(
    "entry",
    KEYS["invalid_verifier_keys"],
    ids=[e["description"] for e in KEYS["invalid_verifier_keys"]],
)
def test_invalid_verifier_keys_are_refused(entry: dict[str, Any]) -> None:
    with pytest.raises(errors.NoteKeyInvalid):
        parse_verifier_key(entry["vkey"])


@pytest.mark.parametrize("entry", KEYS["signer_keys"], ids=lambda e: e["vkey"][:12])
def test_signer_keys_give_their_verifier_keys(entry: dict[str, Any]) -> None:
    signer = parse_signer_key(entry["skey"])
    assert str(signer.verifier) == entry["vkey"]
    assert str(signer) == entry["skey"]


@pytest.mark.parametrize("kind", ["vkey", "skey"])
def test_every_mangled_key_is_refused(kind: str) -> None:
    """Go's TestNewVerifier and TestNewSigner: no substring, no one-byte change parses."""
    text = KEYS["mangle"][kind]
    parse = parse_verifier_key if kind == "vkey" else parse_signer_key
    parse(text)
    candidates = {text[i:j] for i in range(len(text)) for j in range(i + 1, len(text) + 1)}
    candidates |= {text[:i] + chr(ord(text[i]) + 1) + text[i + 1 :] for i in range(len(text))}
    candidates.discard(text)
    for mangled in sorted(candidates):
        with pytest.raises(errors.NoteKeyInvalid):
            parse(mangled)


@pytest.mark.parametrize("entry", SIGN["log_signatures"], ids=lambda e: e["skey"][12:24])
def test_log_signatures_are_the_known_answers(entry: dict[str, Any]) -> None:
    signer = parse_signer_key(entry["skey"])
    assert signer.sign(entry["text"]).line() == entry["line"]


@pytest.mark.parametrize("entry", SIGN["cosignatures"], ids=lambda e: str(e["timestamp"]))
def test_cosignatures_are_the_known_answers(entry: dict[str, Any]) -> None:
    signer = parse_signer_key(entry["skey"])
    assert signer.signature_type == COSIGNATURE_V1
    signature = signer.cosign(entry["text"], entry["timestamp"])
    assert signature.line() == entry["line"]
    assert signature.cosignature_timestamp() == entry["timestamp"]
    assert signer.verifier.verify(entry["text"], signature)
    assert not signer.verifier.verify(entry["text"].replace("\n5\n", "\n6\n"), signature)


def test_cosignature_timestamps_are_read_from_the_signature() -> None:
    for entry in SIGN["timestamps"]:
        signature = parse_note(f"x\n\n\u2014 w {entry['signature']}\n".encode()).signatures[0]
        assert signature.cosignature_timestamp() == entry["timestamp"]


def test_a_cosigner_key_does_not_make_plain_signatures_and_back() -> None:
    log = NoteSigner("log.example", ED25519, bytes(32))
    witness = NoteSigner("witness.example", COSIGNATURE_V1, bytes(32))
    with pytest.raises(errors.NoteKeyInvalid):
        log.cosign("a\n", 1)
    with pytest.raises(errors.NoteKeyInvalid):
        witness.sign("a\n")
    with pytest.raises(ValueError, match="timestamp"):
        witness.cosign("a\n", 0)
    assert log.key_id != NoteSigner("log.example", COSIGNATURE_V1, bytes(32)).key_id


@pytest.mark.parametrize("case", CHECKPOINTS["valid"], ids=lambda c: c["name"])
def test_checkpoint_bodies_parse(case: dict[str, Any]) -> None:
    body = parse_checkpoint_body(case["text"])
    assert (body.origin, body.size, list(body.extensions)) == (
        case["origin"],
        case["size"],
        case["extensions"],
    )
    assert body.text() == case["text"]


@pytest.mark.parametrize("case", CHECKPOINTS["invalid"], ids=lambda c: c["name"])
def test_malformed_checkpoint_bodies_name_their_line(case: dict[str, Any]) -> None:
    with pytest.raises(errors.CheckpointBodyMalformed) as caught:
        parse_checkpoint_body(case["text"])
    assert caught.value.line == case["line"]


def test_vector_files_are_reproduced_by_the_generator() -> None:
    spec = importlib.util.spec_from_file_location("generate_note", VECTORS / "generate_note.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in NOTE_VECTORS.glob("*.json")}
    assert on_disk == module.all_vectors()


names = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=20,
).filter(lambda n: "+" not in n and not any(c.isspace() for c in n))
lines = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=30
)


@given(names, st.binary(min_size=32, max_size=32), st.lists(lines, min_size=1, max_size=5))
def test_signed_notes_round_trip(name: str, seed: bytes, text_lines: list[str]) -> None:
    text = "".join(line + "\n" for line in text_lines)
    signer = NoteSigner(name, ED25519, seed)
    assert parse_verifier_key(str(signer.verifier)) == signer.verifier
    assert parse_signer_key(str(signer)) == signer
    note = Note(text, (signer.sign(text),))
    opened = open_note(note.to_bytes(), [signer.verifier])
    assert opened.text == text
    assert opened.verified == ((signer.verifier, note.signatures[0]),)


@given(st.integers(0, 2**64 - 1), st.binary(min_size=32, max_size=32), st.lists(lines, max_size=3))
def test_checkpoint_bodies_round_trip(size: int, root: bytes, extensions: list[str]) -> None:
    body = CheckpointBody("evanchor/1/a/b", size, root, tuple(extensions))
    assert parse_checkpoint_body(body.text()) == body


def test_signature_lines_are_em_dash_name_and_base64() -> None:
    signature = NoteSignature("a.example/w", 0x01020304, b"\xff" * 3)
    assert signature.line() == "\u2014 a.example/w AQIDBP///w==\n"


@pytest.mark.parametrize("text", ["AAAA=", "AAAA==", "AAA", "AAA==", "A===", "AA==AA=="])
def test_signature_base64_with_stray_padding_is_malformed(text: str) -> None:
    """The JavaScript verifier's test holds it to the same list (note.test.mjs)."""
    with pytest.raises(errors.NoteMalformed):
        parse_note(f"x\n\n\u2014 w AAAAAAAA{text}\n".encode())
