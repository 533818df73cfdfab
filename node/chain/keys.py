"""The sealer's key on disk: an encrypted keystore with a password file, or a raw key file.

* Keystore (recommended): the Web3 Secret Storage JSON that ``eth_account.Account.encrypt``
  writes; the password is read from a separate file (first line, trailing newline
  stripped), so it never appears on a command line.
* Raw key file (tests, throw-away chains): 32 bytes as 64 hex digits, optional ``0x``,
  file mode 0600.

A file that parses as JSON with a ``crypto`` member is a keystore; anything else is read
as a raw key.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Final

from eth_account import Account
from eth_keyfile.exceptions import EthKeyfileValueError
from eth_keys.datatypes import PrivateKey

from evanchor.node.chain.errors import KeyFileError

# Scrypt work factor for keystores written here: eth-account's default (2**18) takes
# about a second per unlock on this class of machine, which is the point of it.
KEYSTORE_KDF: Final = "scrypt"
SCRYPT_N_VARIABLE: Final = "EVANCHOR_KEYSTORE_SCRYPT_N"
"""Lowers the scrypt work factor of keystores written from now on (a power of two). For
test suites and throw-away demos only: a low factor makes a stolen keystore easy to crack."""


def _scrypt_n() -> int | None:
    value = os.environ.get(SCRYPT_N_VARIABLE)
    if not value:
        return None
    n = int(value)
    if n < 2 or n & (n - 1):
        raise ValueError(f"{SCRYPT_N_VARIABLE} must be a power of two, got {value}")
    return n


def generate_key() -> PrivateKey:
    return PrivateKey(os.urandom(32))


def write_raw_key(path: Path, key: PrivateKey) -> None:
    """Write `key` as hex, readable by the owner only (created 0600, never widened)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.to_hex() + "\n")


def write_keystore(path: Path, key: PrivateKey, password: str) -> None:
    document = Account.encrypt(key.to_bytes(), password, kdf=KEYSTORE_KDF, iterations=_scrypt_n())
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
            secret = Account.decrypt(document, read_password(password_file))
        except EthKeyfileValueError:  # eth-keyfile's "MAC mismatch": nothing else
            raise KeyFileError(
                path, f"wrong password for this keystore (password from {password_file})"
            ) from None
        except ValueError as error:
            raise KeyFileError(path, f"cannot unlock keystore: {error}") from None
        return PrivateKey(bytes(secret))
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
