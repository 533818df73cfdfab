"""Keystores (Web3 Secret Storage v3) written and read by node/chain/keys.py.

Known answers: the two test vectors of the Web3 Secret Storage definition (scrypt and
PBKDF2-SHA256, password "testpassword"). Then eth-account, the reference implementation,
reads what is written here and writes what is read here; a wrong password and a malformed
document are refused by name; and keystores one process writes under one password share a
salt, so that one derivation unlocks them all (the node's and the sealer's).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from evanchor.node.chain import keys
from evanchor.node.chain.errors import KeyFileError

PRIVATE_KEY = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d"

SPEC_VECTORS = {
    "pbkdf2": {
        "crypto": {
            "cipher": "aes-128-ctr",
            "cipherparams": {"iv": "6087dab2f9fdbbfaddc31a909735c1e6"},
            "ciphertext": "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
            "kdf": "pbkdf2",
            "kdfparams": {
                "c": 262144,
                "dklen": 32,
                "prf": "hmac-sha256",
                "salt": "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd",
            },
            "mac": "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2",
        },
        "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6",
        "version": 3,
    },
    "scrypt": {
        "crypto": {
            "cipher": "aes-128-ctr",
            "cipherparams": {"iv": "83dbcc02d8ccb40e466191a123791e0e"},
            "ciphertext": "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
            "kdf": "scrypt",
            "kdfparams": {
                "dklen": 32,
                "n": 262144,
                "p": 8,
                "r": 1,
                "salt": "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19",
            },
            "mac": "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097",
        },
        "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6",
        "version": 3,
    },
}


@pytest.mark.parametrize("kdf", sorted(SPEC_VECTORS))
def test_the_definitions_vectors_decrypt_to_their_key(kdf: str) -> None:
    secret = keys.decrypt_keystore(Path(kdf), SPEC_VECTORS[kdf], "testpassword")
    assert secret.hex() == PRIVATE_KEY


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(keys.SCRYPT_N_VARIABLE, "16")


def test_eth_account_reads_what_is_written_here(fast: None, tmp_path: Path) -> None:
    key = keys.generate_key()
    keys.write_keystore(tmp_path / "k.json", key, "pässword")
    document = json.loads((tmp_path / "k.json").read_text())
    assert bytes(Account.decrypt(document, "pässword")) == key.to_bytes()
    assert document["crypto"]["kdfparams"]["n"] == 16
    assert (document["crypto"]["kdfparams"]["r"], document["crypto"]["kdfparams"]["p"]) == (8, 1)


def test_what_eth_account_writes_is_read_here() -> None:
    document: dict[str, Any] = Account.encrypt(bytes.fromhex(PRIVATE_KEY), "pw", iterations=16)
    assert keys.decrypt_keystore(Path("k"), document, "pw").hex() == PRIVATE_KEY


def test_a_wrong_password_is_refused_as_such() -> None:
    with pytest.raises(keys.WrongKeystorePassword):
        keys.decrypt_keystore(Path("v"), SPEC_VECTORS["pbkdf2"], "not the password")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d.update(version=4), "version 4"),
        (lambda d: d["crypto"].update(cipher="aes-256-gcm"), "cipher 'aes-256-gcm'"),
        (lambda d: d["crypto"].update(kdf="argon2"), "'argon2'"),
        (lambda d: d["crypto"]["cipherparams"].update(iv="00"), "iv of 1 bytes"),
        (lambda d: d["crypto"].pop("mac"), "'mac'"),
        (lambda d: d["crypto"]["kdfparams"].update(n=2**30), "over the limit"),
    ],
)
def test_a_malformed_keystore_is_refused_naming_the_fault(change: Any, named: str) -> None:
    document = json.loads(json.dumps(SPEC_VECTORS["scrypt"]))
    change(document)
    with pytest.raises(KeyFileError) as refused:
        keys.decrypt_keystore(Path("k"), document, "testpassword")
    assert not isinstance(refused.value, keys.WrongKeystorePassword)
    assert named in refused.value.reason


def test_keystores_written_under_one_password_share_a_salt(fast: None, tmp_path: Path) -> None:
    first, second, other = keys.generate_key(), keys.generate_key(), keys.generate_key()
    keys.write_keystore(tmp_path / "a.json", first, "one password")
    keys.write_keystore(tmp_path / "b.json", second, "one password")
    keys.write_keystore(tmp_path / "c.json", other, "another password")

    def crypto(name: str) -> dict[str, Any]:
        found: dict[str, Any] = json.loads((tmp_path / name).read_text())["crypto"]
        return found

    a, b, c = crypto("a.json"), crypto("b.json"), crypto("c.json")
    assert a["kdfparams"] == b["kdfparams"]
    assert a["kdfparams"]["salt"] != c["kdfparams"]["salt"]
    assert a["cipherparams"]["iv"] != b["cipherparams"]["iv"]
    for name, key in (("a.json", first), ("b.json", second)):
        document = json.loads((tmp_path / name).read_text())
        assert bytes(Account.decrypt(document, "one password")) == key.to_bytes()
