"""The sealer's key on disk: an encrypted keystore with a password file, or a raw key file.

* Keystore (recommended): Web3 Secret Storage version 3 JSON (scrypt, AES-128-CTR, a
  Keccak-256 MAC), the format of geth, eth-account and every Ethereum wallet. Written and
  read here (`encrypt_keystore`, `decrypt_keystore`) with pycryptodome's scrypt (the one
  eth-keyfile uses) and `cryptography`'s AES: eth-account would cost a second of imports
  per command for the same derivation. The password is read from a separate file (first line,
  trailing newline stripped), so it never appears on a command line.
* Raw key file (tests, throw-away chains): 32 bytes as 64 hex digits, optional ``0x``,
  file mode 0600.

A file that parses as JSON with a ``crypto`` member is a keystore; anything else is read
as a raw key.

One derivation per password and salt per process: the node's keystore and the sealer's are
written under one password, and `write_keystore` gives every keystore that one process
writes under one password the same salt, so one scrypt derivation (a second or more, on
purpose) unlocks both. That costs an attacker nothing extra to exploit: the two keystores
hold the same password, and a guess costs the same full derivation against either one. The
work factor itself is unchanged (n = 2**18, r = 8, p = 1, eth-account's default).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from eth_keys.datatypes import PrivateKey
from pydantic import JsonValue
from sha3 import keccak_256  # type: ignore[import-untyped]  # safe-pysha3 ships no hints

from evanchor.node.chain.errors import KeyFileError

KEYSTORE_KDF: Final = "scrypt"
SCRYPT_N: Final = 2**18
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
"""Scrypt work factor of keystores written here: eth-account's default, about a second per
unlock on this class of machine (256 MiB of memory), which is the point of it."""
MAX_SCRYPT_MEMORY: Final = 1 << 30
"""Largest scrypt memory (128 * n * r bytes) a keystore may ask for when it is read: four
times the default's, and geth's "light" and standard settings stay below it."""
SALT_BYTES: Final = 16
DERIVED_KEY_BYTES: Final = 32
SCRYPT_N_VARIABLE: Final = "EVANCHOR_KEYSTORE_SCRYPT_N"
"""Lowers the scrypt work factor of keystores written from now on (a power of two). For
test suites and throw-away demos only: a low factor makes a stolen keystore easy to crack."""


class WrongKeystorePassword(KeyFileError):
    """The password derives a key whose MAC does not match the keystore's."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "wrong password for this keystore")


def _scrypt_n() -> int:
    value = os.environ.get(SCRYPT_N_VARIABLE)
    if not value:
        return SCRYPT_N
    n = int(value)
    if n < 2 or n & (n - 1):
        raise ValueError(f"{SCRYPT_N_VARIABLE} must be a power of two, got {value}")
    return n


def _keccak(data: bytes) -> bytes:
    digest: bytes = keccak_256(data).digest()
    return digest


@dataclass(frozen=True)
class ScryptParams:
    """`kdfparams` of a scrypt keystore (Web3 Secret Storage v3)."""

    salt: bytes
    dklen: int
    n: int
    r: int
    p: int

    def as_json(self) -> dict[str, JsonValue]:
        return {"dklen": self.dklen, "n": self.n, "r": self.r, "p": self.p, "salt": self.salt.hex()}


@dataclass(frozen=True)
class Pbkdf2Params:
    """`kdfparams` of a PBKDF2 keystore; HMAC-SHA256 is the one pseudo-random function read."""

    salt: bytes
    dklen: int
    c: int


def _hex(value: object) -> bytes:
    return bytes.fromhex(str(value).removeprefix("0x"))


def kdf_params(kdf: str, params: Mapping[str, Any]) -> ScryptParams | Pbkdf2Params:
    """The typed `kdfparams` of a keystore whose `kdf` is `kdf`, checked against the limits
    above. Raises KeyError for a missing member, ValueError or TypeError for a bad one
    (`decrypt_keystore` names it)."""
    salt = _hex(params["salt"])
    dklen = int(params["dklen"])
    if dklen < DERIVED_KEY_BYTES:
        raise ValueError(f"dklen {dklen} is below {DERIVED_KEY_BYTES}")
    if kdf == "scrypt":
        n, r, p = (int(params[name]) for name in ("n", "r", "p"))
        memory = 128 * n * r + 128 * r * p
        if memory > MAX_SCRYPT_MEMORY:
            raise ValueError(f"scrypt n={n} r={r} needs {memory >> 20} MiB, over the limit")
        return ScryptParams(salt, dklen, n, r, p)
    if kdf == "pbkdf2":
        if params.get("prf") != "hmac-sha256":
            raise ValueError(f"pbkdf2 prf {params.get('prf')!r}: only hmac-sha256 is read")
        return Pbkdf2Params(salt, dklen, int(params["c"]))
    raise ValueError(f"key derivation {kdf!r} is not scrypt or pbkdf2")


_derived: dict[tuple[str, ScryptParams | Pbkdf2Params], bytes] = {}
"""(password, the kdf's parameters) -> the derived key, for this process."""
_salts: dict[tuple[str, int], bytes] = {}
"""(password, n) -> the salt this process writes keystores under."""
_lock = threading.Lock()


def _derive(params: ScryptParams | Pbkdf2Params, password: str) -> bytes:
    """The 32-byte key that scrypt or pbkdf2 (as Web3 Secret Storage names them) derives
    with `params`, remembered for the process (see the module docstring)."""
    key = (password, params)
    with _lock:
        found = _derived.get(key)
    if found is not None:
        return found
    secret = password.encode("utf-8")
    if isinstance(params, ScryptParams):
        from Crypto.Protocol.KDF import scrypt  # noqa: PLC0415 - only with a keystore

        # pycryptodome's scrypt, as eth-keyfile's: OpenSSL's (hashlib) refuses n >= 2**16
        # with r = 1, which the definition's own test vector uses, and is no faster.
        # Its hints say str; it takes bytes (as eth-keyfile calls it). One key: num_keys is 1.
        n, r, p, salt = params.n, params.r, params.p, params.salt
        found_key = scrypt(secret, salt, params.dklen, N=n, r=r, p=p)  # type: ignore[arg-type]
        assert isinstance(found_key, bytes)
        derived = found_key
    else:
        derived = hashlib.pbkdf2_hmac("sha256", secret, params.salt, params.c, params.dklen)
    with _lock:
        _derived[key] = derived
    return derived


def _aes_128_ctr(key: bytes, iv: bytes, data: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers import (  # noqa: PLC0415 - only with a keystore
        Cipher,
        algorithms,
        modes,
    )

    coder = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return coder.update(data) + coder.finalize()


def encrypt_keystore(key: PrivateKey, password: str) -> dict[str, Any]:
    """`key` as a Web3 Secret Storage v3 document under `password` (scrypt at `_scrypt_n()`,
    r = 8, p = 1). Every keystore this process writes under one password and work factor
    shares one salt (module docstring)."""
    n = _scrypt_n()
    with _lock:
        salt = _salts.setdefault((password, n), os.urandom(SALT_BYTES))
    params = ScryptParams(salt, DERIVED_KEY_BYTES, n, SCRYPT_R, SCRYPT_P)
    derived = _derive(params, password)
    iv = os.urandom(16)
    ciphertext = _aes_128_ctr(derived[:16], iv, key.to_bytes())
    return {
        "address": key.public_key.to_checksum_address().removeprefix("0x").lower(),
        "crypto": {
            "cipher": "aes-128-ctr",
            "cipherparams": {"iv": iv.hex()},
            "ciphertext": ciphertext.hex(),
            "kdf": KEYSTORE_KDF,
            "kdfparams": params.as_json(),
            "mac": _keccak(derived[16:32] + ciphertext).hex(),
        },
        "id": str(uuid.uuid4()),
        "version": 3,
    }


def decrypt_keystore(path: Path, document: dict[str, Any], password: str) -> bytes:
    """The 32-byte private key of a Web3 Secret Storage v3 `document` read from `path`.

    Raises `WrongKeystorePassword` when the MAC does not match, `KeyFileError` naming the
    member at fault for a document that is not such a keystore.
    """
    crypto = document.get("crypto", document.get("Crypto"))
    try:
        if document.get("version") != 3:
            raise ValueError(f"version {document.get('version')!r}, expected 3")
        if not isinstance(crypto, dict):
            raise TypeError("crypto is not an object")
        if crypto.get("cipher") != "aes-128-ctr":
            raise ValueError(f"cipher {crypto.get('cipher')!r}, expected aes-128-ctr")
        ciphertext = bytes.fromhex(str(crypto["ciphertext"]).removeprefix("0x"))
        expected_mac = bytes.fromhex(str(crypto["mac"]).removeprefix("0x"))
        iv = bytes.fromhex(str(crypto["cipherparams"]["iv"]).removeprefix("0x"))
        if len(iv) != 16:
            raise ValueError(f"iv of {len(iv)} bytes, expected 16")
        derived = _derive(kdf_params(str(crypto["kdf"]), dict(crypto["kdfparams"])), password)
    except (KeyError, TypeError, ValueError) as error:
        raise KeyFileError(path, f"not a valid keystore ({error!r})") from None
    if not hmac.compare_digest(_keccak(derived[16:32] + ciphertext), expected_mac):
        raise WrongKeystorePassword(path)
    return _aes_128_ctr(derived[:16], iv, ciphertext)


def generate_key() -> PrivateKey:
    return PrivateKey(os.urandom(32))


def write_raw_key(path: Path, key: PrivateKey) -> None:
    """Write `key` as hex, readable by the owner only (created 0600, never widened)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.to_hex() + "\n")


def write_keystore(path: Path, key: PrivateKey, password: str) -> None:
    """`key` encrypted under `password` at `path`, readable by the owner only (refuses to
    overwrite)."""
    document = encrypt_keystore(key, password)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle)


def read_password(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise KeyFileError(path, f"cannot read password file: {error.strerror}") from None
    return lines[0] if lines else ""


def load_key(path: Path, password_file: Path | None = None) -> PrivateKey:
    """Read a sealer key from a keystore (needs `password_file`) or a raw key file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise KeyFileError(path, f"cannot read key file: {error.strerror}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
    if isinstance(document, dict) and ("crypto" in document or "Crypto" in document):
        if password_file is None:
            raise KeyFileError(path, "is a keystore; a password file is needed to unlock it")
        try:
            secret = decrypt_keystore(path, document, read_password(password_file))
        except WrongKeystorePassword:
            raise KeyFileError(
                path, f"wrong password for this keystore (password from {password_file})"
            ) from None
        return PrivateKey(secret)
    digits = text.strip().removeprefix("0x")
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        raise KeyFileError(path, "expected 64 hex digits or a keystore") from None
    if len(raw) != 32:
        raise KeyFileError(path, f"expected a 32-byte key, found {len(raw)} bytes")
    try:
        return PrivateKey(raw)
    except Exception as error:  # eth-keys raises ValidationError for out-of-range keys
        raise KeyFileError(path, f"not a valid secp256k1 key: {error}") from None
