"""C2SP signed notes: the format, note keys, Ed25519 signatures and cosignature/v1.

A signed note (c2sp.org/signed-note) is a UTF-8 text ending in a newline, a blank line, and
one or more signature lines `— <key name> base64(key ID || signature)`. The key ID is the
first four bytes of SHA-256(key name || 0x0A || signature type || public key), big-endian.
Two signature types are implemented, both over Ed25519 (RFC 8032, `cryptography`):

    0x01  a log's signature over the note text                     (c2sp.org/signed-note)
    0x04  a witness's cosignature/v1: 8-byte big-endian timestamp || Ed25519 signature over
          "cosignature/v1\\n" "time <timestamp>\\n" || note text     (c2sp.org/tlog-cosignature)

Keys travel as text: a verifier key `name+hex(key ID)+base64(type || public key)` and a
signer key `PRIVATE+KEY+name+hex(key ID)+base64(type || 32-byte seed)`, the encodings of the
Go `golang.org/x/mod/sumdb/note` package and of c2sp.org/signed-note.

`open_note` follows the documents: signatures from unknown keys are ignored (kept as
unverified); a signature whose name and key ID match a known key must verify or the whole
note is rejected; a note with no verified signature is rejected. Parsing is strict (no
control characters but newlines, valid UTF-8, canonical lines), so that two parties never
disagree about which text a signature covers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from evanchor.anchor.protocol.errors import (
    AmbiguousNoteKey,
    NoteKeyInvalid,
    NoteMalformed,
    NoteSignatureInvalid,
    NoteUnverified,
)

ED25519 = 0x01
"""Signature type of a plain Ed25519 note signature (a log's key)."""
COSIGNATURE_V1 = 0x04
"""Signature type of a timestamped Ed25519 cosignature/v1 (a witness's key)."""
SIGNATURE_TYPES = (ED25519, COSIGNATURE_V1)

MAX_SIGNATURES = 100
"""A note with more signature lines is rejected as malformed. The signed-note document asks
verifiers to accept at least 16; the Go package, whose behaviour we match, stops at 100."""
MAX_TIMESTAMP = 2**63 - 1
"""A cosignature's timestamp must not exceed this (c2sp.org/tlog-cosignature)."""

SIGNATURE_PREFIX = "\u2014 "
"""Em dash and space: every signature line starts with these."""
_PRIVATE_PREFIX = "PRIVATE+KEY+"
_ED25519_SIZE = 32
_SIGNATURE_SIZE = 64
_TIMESTAMP = struct.Struct(">Q")


def key_id(name: str, signature_type: int, public_key: bytes) -> int:
    """SHA-256(name || 0x0A || type || public key)[:4], big-endian (signed-note, Signatures)."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def is_valid_key_name(name: str) -> bool:
    """Non-empty, no Unicode space, no plus (signed-note, Format)."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def _b64decode(text: str) -> bytes:
    """Strict standard base64 (RFC 4648 §4): padding required, no other characters.

    The length check refuses what `b64decode` lets through after a complete group ("AAAA=");
    the Go package and the JavaScript verifier refuse it too.
    """
    if len(text) % 4:
        raise ValueError(f"not base64 (length {len(text)} is not a multiple of 4)")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as error:
        raise ValueError(f"not base64 ({error})") from None


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def cosignature_message(timestamp: int, text: str) -> bytes:
    """What a cosignature/v1 signs: "cosignature/v1\\ntime <t>\\n" then the whole note text.

    Requires 0 <= timestamp <= MAX_TIMESTAMP and `text` ending in a newline.
    """
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


# -- signatures and notes ------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, key ID, and the signature bytes after the key ID."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        """`— <name> base64(key ID || signature)` and a newline."""
        raw = self.key_id.to_bytes(4, "big") + self.signature
        return f"{SIGNATURE_PREFIX}{self.name} {_b64encode(raw)}\n"

    @property
    def key(self) -> str:
        """`name+hex(key ID)`, how the documents and messages name a key."""
        return f"{self.name}+{self.key_id:08x}"

    def cosignature_timestamp(self) -> int:
        """The timestamp of a cosignature/v1 (its first 8 bytes). Requires a 72-byte one."""
        if len(self.signature) != _TIMESTAMP.size + _SIGNATURE_SIZE:
            raise NoteMalformed(
                f"signature of {self.key}",
                f"a cosignature/v1 is {_TIMESTAMP.size + _SIGNATURE_SIZE} bytes"
                f" after the key ID, found {len(self.signature)}",
            )
        (timestamp,) = _TIMESTAMP.unpack(self.signature[: _TIMESTAMP.size])
        return int(timestamp)


@dataclass(frozen=True)
class Note:
    """A note's text (ending in a newline) and its signature lines, in order."""

    text: str
    signatures: tuple[NoteSignature, ...] = ()

    def to_bytes(self) -> bytes:
        return (self.text + "\n" + "".join(s.line() for s in self.signatures)).encode()


def parse_signature_line(line: str, where: str) -> NoteSignature:
    """One signature line without its newline."""
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteMalformed(where, "does not start with an em dash and a space")
    name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not is_valid_key_name(name):
        raise NoteMalformed(where, f"invalid key name {name!r}")
    if not space or not encoded:
        raise NoteMalformed(where, "no signature after the key name")
    try:
        raw = _b64decode(encoded)
    except ValueError as error:
        raise NoteMalformed(where, str(error)) from None
    if len(raw) < 5:
        raise NoteMalformed(where, f"signature is {len(raw)} bytes, at least 5 expected")
    return NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def _check_characters(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NoteMalformed("note", f"invalid UTF-8 at byte {error.start}") from None
    for offset, char in enumerate(text):
        if char < " " and char != "\n":
            raise NoteMalformed("note", f"control character U+{ord(char):04X} at {offset}")
    return text


def parse_note(data: bytes) -> Note:
    """A signed note's text and signature lines, unverified (syntax only).

    The text ends at the last blank line; everything after it must be signature lines,
    each ending in a newline, at most MAX_SIGNATURES of them.
    """
    text = _check_characters(data)
    split = text.rfind("\n\n")
    if split < 0:
        raise NoteMalformed("note", "no blank line between the text and the signatures")
    body, lines = text[: split + 1], text[split + 2 :]
    if not lines:
        raise NoteMalformed("note", "no signature lines")
    if not lines.endswith("\n"):
        raise NoteMalformed("note", "the last signature line does not end in a newline")
    raw_lines = lines[:-1].split("\n")
    if len(raw_lines) > MAX_SIGNATURES:
        raise NoteMalformed("note", f"{len(raw_lines)} signatures, at most {MAX_SIGNATURES}")
    signatures = tuple(
        parse_signature_line(line, f"signature line {number}")
        for number, line in enumerate(raw_lines, start=1)
    )
    return Note(body, signatures)


# -- keys ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifierKey:
    """A public note key: its name, key ID, signature type and Ed25519 public key.

    Construct with `parse_verifier_key` or `NoteSigner.verifier`; the key ID is checked
    against the other three.
    """

    name: str
    key_id: int
    signature_type: int
    public_key: bytes

    def __str__(self) -> str:
        encoded = _b64encode(bytes([self.signature_type]) + self.public_key)
        return f"{self.name}+{self.key_id:08x}+{encoded}"

    @property
    def key(self) -> str:
        return f"{self.name}+{self.key_id:08x}"

    def matches(self, signature: NoteSignature) -> bool:
        return signature.name == self.name and signature.key_id == self.key_id

    def verify(self, text: str, signature: NoteSignature) -> bool:
        """Whether `signature` (which `matches` this key) is valid over note `text`.

        Type 0x01 verifies Ed25519 over the text; type 0x04 splits off the timestamp and
        verifies over the cosignature/v1 message.
        """
        public = Ed25519PublicKey.from_public_bytes(self.public_key)
        if self.signature_type == ED25519:
            message, raw = text.encode(), signature.signature
        else:
            if len(signature.signature) != _TIMESTAMP.size + _SIGNATURE_SIZE:
                return False
            timestamp = signature.cosignature_timestamp()
            if timestamp > MAX_TIMESTAMP:
                return False
            message = cosignature_message(timestamp, text)
            raw = signature.signature[_TIMESTAMP.size :]
        if len(raw) != _SIGNATURE_SIZE:
            return False
        try:
            public.verify(raw, message)
        except InvalidSignature:
            return False
        return True


def _split_key(text: str, kind: str) -> tuple[str, int, int, bytes]:
    """(name, key ID, type, key material) of `name+hex8+base64(type || key)`, checked."""
    name, _, rest = text.partition("+")
    key_hex, _, encoded = rest.partition("+")
    if not is_valid_key_name(name):
        raise NoteKeyInvalid(kind, "name", f"{name!r} is empty or holds a space or a plus")
    if len(key_hex) != 8 or any(c not in "0123456789abcdefABCDEF" for c in key_hex):
        raise NoteKeyInvalid(kind, "key ID", f"expected 8 hex digits, found {key_hex!r}")
    try:
        raw = _b64decode(encoded)
    except ValueError as error:
        raise NoteKeyInvalid(kind, "key", str(error)) from None
    if not raw:
        raise NoteKeyInvalid(kind, "key", "empty")
    if raw[0] not in SIGNATURE_TYPES:
        raise NoteKeyInvalid(kind, "type", f"unknown signature type 0x{raw[0]:02x}")
    if len(raw) != 1 + _ED25519_SIZE:
        raise NoteKeyInvalid(kind, "key", f"expected {_ED25519_SIZE} bytes, found {len(raw) - 1}")
    return name, int(key_hex, 16), raw[0], raw[1:]


def parse_verifier_key(text: str) -> VerifierKey:
    """A verifier key `name+hex(key ID)+base64(type || public key)`, types 0x01 and 0x04.

    The key ID must be the one the name, type and key give (signed-note, Verifier keys).
    """
    name, stated, signature_type, public = _split_key(text.strip(), "verifier")
    computed = key_id(name, signature_type, public)
    if stated != computed:
        raise NoteKeyInvalid(
            "verifier", "key ID", f"stated {stated:08x}, the name and key give {computed:08x}"
        )
    return VerifierKey(name, computed, signature_type, public)


@dataclass(frozen=True)
class NoteSigner:
    """A private note key: name, signature type, and the 32-byte Ed25519 seed."""

    name: str
    signature_type: int
    seed: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise NoteKeyInvalid("signer", "name", f"{self.name!r} holds a space or a plus")
        if self.signature_type not in SIGNATURE_TYPES:
            raise NoteKeyInvalid("signer", "type", f"0x{self.signature_type:02x}")
        if len(self.seed) != _ED25519_SIZE:
            raise NoteKeyInvalid("signer", "key", f"expected a {_ED25519_SIZE}-byte seed")

    @property
    def _private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def public_key(self) -> bytes:
        return self._private.public_key().public_bytes_raw()

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.signature_type, self.public_key)

    @property
    def verifier(self) -> VerifierKey:
        return VerifierKey(self.name, self.key_id, self.signature_type, self.public_key)

    def __str__(self) -> str:
        """The signer key text `PRIVATE+KEY+name+hex(key ID)+base64(type || seed)`: secret."""
        encoded = _b64encode(bytes([self.signature_type]) + self.seed)
        return f"{_PRIVATE_PREFIX}{self.name}+{self.key_id:08x}+{encoded}"

    def sign(self, text: str) -> NoteSignature:
        """A type 0x01 signature over note `text` (ending in a newline)."""
        if self.signature_type != ED25519:
            raise NoteKeyInvalid("signer", "type", "a cosigner key signs with `cosign`")
        _require_text(text)
        return NoteSignature(self.name, self.key_id, self._private.sign(text.encode()))

    def cosign(self, text: str, timestamp: int) -> NoteSignature:
        """A cosignature/v1 over note `text` at `timestamp` (POSIX seconds, 1..2^63-1)."""
        if self.signature_type != COSIGNATURE_V1:
            raise NoteKeyInvalid("signer", "type", "a log key signs with `sign`")
        _require_text(text)
        if not 0 < timestamp <= MAX_TIMESTAMP:
            raise ValueError(f"cosignature timestamp {timestamp} is not in 1..2^63-1")
        signature = self._private.sign(cosignature_message(timestamp, text))
        return NoteSignature(self.name, self.key_id, _TIMESTAMP.pack(timestamp) + signature)


def _require_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteMalformed("text", "does not end in a newline")
    _check_characters(text.encode())


def parse_signer_key(text: str) -> NoteSigner:
    """A signer key `PRIVATE+KEY+name+hex(key ID)+base64(type || seed)`.

    The key ID must be the one the name, type and the seed's public key give.
    """
    text = text.strip()
    if not text.startswith(_PRIVATE_PREFIX):
        raise NoteKeyInvalid("signer", "prefix", "does not start with PRIVATE+KEY+")
    name, stated, signature_type, seed = _split_key(text[len(_PRIVATE_PREFIX) :], "signer")
    signer = NoteSigner(name, signature_type, seed)
    if stated != signer.key_id:
        raise NoteKeyInvalid(
            "signer", "key ID", f"stated {stated:08x}, the name and key give {signer.key_id:08x}"
        )
    return signer


def generate_signer(name: str, signature_type: int = ED25519) -> NoteSigner:
    """A new key from the operating system's CSPRNG."""
    return NoteSigner(name, signature_type, secrets.token_bytes(_ED25519_SIZE))


# -- opening a note ------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenedNote:
    """A note whose text at least one known key signed.

    `verified` pairs each verified signature with its key, in note order and without
    repeats; `unverified` are the lines of unknown keys, kept (once each) so that they can
    be passed on.
    """

    text: str
    verified: tuple[tuple[VerifierKey, NoteSignature], ...]
    unverified: tuple[NoteSignature, ...]


def open_note(data: bytes, verifiers: Sequence[VerifierKey]) -> OpenedNote:
    """Parse `data` and verify its signatures against `verifiers`.

    Raises NoteMalformed, AmbiguousNoteKey (a signature matches two configured keys),
    NoteSignatureInvalid (a signature of a known key fails) or NoteUnverified (none of
    the signatures is from a known key).
    """
    note = parse_note(data)
    verified: list[tuple[VerifierKey, NoteSignature]] = []
    unverified: list[NoteSignature] = []
    seen: set[tuple[str, int]] = set()
    for signature in note.signatures:
        known = [v for v in verifiers if v.matches(signature)]
        if not known:
            if signature not in unverified:
                unverified.append(signature)
            continue
        if len(known) > 1:
            raise AmbiguousNoteKey(signature.name, signature.key_id)
        if (signature.name, signature.key_id) in seen:
            continue
        seen.add((signature.name, signature.key_id))
        if not known[0].verify(note.text, signature):
            raise NoteSignatureInvalid(signature.name, signature.key_id)
        verified.append((known[0], signature))
    if not verified:
        raise NoteUnverified(tuple(s.key for s in note.signatures))
    return OpenedNote(note.text, tuple(verified), tuple(unverified))
