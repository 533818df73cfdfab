"""Where the node's keystore password comes from, and unlocking keystores with it.

One password unlocks the node's key (which anchors and administers the agency registry) and,
in embedded mode, the sealer's key: whoever holds it can register an agency key and so forge
records. The operator chooses where it lives (docs/OPERATOR.md, "Keys and passwords"); the
first source given wins:

1. `--password-file FILE`: the first line of a file, kept outside the node folder (a
   secrets mount, a tmpfs written by the supervisor);
2. `--password-env NAME`: the environment variable NAME;
3. `--password-prompt`: asked on the terminal;
4. `EVANCHOR_PASSWORD_FILE`, then `EVANCHOR_PASSWORD`, from the environment;
5. `<home>/keys/password`, the file `init` generates when it is given none (the embedded
   demo: convenient, and exactly as safe as the node folder);
6. the terminal, when there is one and nothing above was found.

A wrong password is `WrongPassword` naming the keystore and the source, never the key
derivation's own "MAC mismatch"; a missing file names the option or variable it came from.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from evanchor.anchor.errors import EvanchorError

if TYPE_CHECKING:
    from eth_keys.datatypes import PrivateKey

# eth-account and the key files are imported where a keystore is unlocked: the CLI reads
# the password options of every command, and a log-only `submit` should not pay a second
# of imports for them.

PASSWORD_VARIABLE = "EVANCHOR_PASSWORD"  # noqa: S105 - the variable's name
PASSWORD_FILE_VARIABLE = "EVANCHOR_PASSWORD_FILE"  # noqa: S105 - the variable's name
CHOICES = (
    "give --password-file FILE or --password-env NAME, set EVANCHOR_PASSWORD_FILE or"
    " EVANCHOR_PASSWORD, or run on a terminal to be asked"
)
"""What every "no password" message tells the operator to do."""

Prompt = Callable[[str], str]
"""Asks the user for a password (hidden input), given the question."""


class PasswordSource(StrEnum):
    FILE = "file"
    ENVIRONMENT = "environment"
    PROMPT = "prompt"
    GENERATED = "generated file"


@dataclass(frozen=True)
class KeystorePassword:
    """A password and where it came from (`where` is said in messages, never the secret)."""

    secret: str = field(repr=False)
    source: PasswordSource
    where: str


class PasswordError(EvanchorError):
    """The keystore password is missing, unreadable or wrong."""


class PasswordUnavailable(PasswordError):
    def __init__(self, needed_for: str, reason: str = "no password was given") -> None:
        super().__init__(f"{needed_for}: {reason}; {CHOICES}")
        self.needed_for = needed_for
        self.reason = reason


class PasswordFileUnreadable(PasswordError):
    def __init__(self, path: Path, named_by: str, reason: str) -> None:
        super().__init__(
            f"password file {path} (from {named_by}) cannot be read: {reason};"
            " give --password-file FILE"
        )
        self.path = path
        self.named_by = named_by
        self.reason = reason


class WrongPassword(PasswordError):
    def __init__(self, keystore: Path, password: KeystorePassword) -> None:
        super().__init__(f"wrong password for keystore {keystore} (password from {password.where})")
        self.keystore = keystore
        self.where = password.where


class KeystoreUnreadable(PasswordError):
    def __init__(self, keystore: Path, reason: str) -> None:
        super().__init__(f"keystore {keystore} cannot be read: {reason}")
        self.keystore = keystore
        self.reason = reason


def password_from_file(path: Path, named_by: str = "--password-file") -> KeystorePassword:
    """The first line of `path` (trailing newline stripped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise PasswordFileUnreadable(path, named_by, error.strerror or str(error)) from None
    source = PasswordSource.GENERATED if named_by == "the node folder" else PasswordSource.FILE
    return KeystorePassword(lines[0] if lines else "", source, f"{named_by} {path}")


def password_from_environment(name: str, environ: Mapping[str, str]) -> KeystorePassword | None:
    value = environ.get(name)
    if not value:
        return None
    return KeystorePassword(value, PasswordSource.ENVIRONMENT, f"environment variable {name}")


@dataclass(frozen=True)
class PasswordOptions:
    """What the operator asked for on the command line (all optional).

    `prompt` asks for a password with hidden input; the CLI gives one when `ask` is set or
    standard input is a terminal, so a service under a supervisor is never left waiting.
    """

    file: Path | None = None
    env: str | None = None
    ask: bool = False
    prompt: Prompt | None = None


def find_password(
    options: PasswordOptions,
    generated: Path | None,
    *,
    needed_for: str = "the node's keystore",
    environ: Mapping[str, str] | None = None,
) -> KeystorePassword | None:
    """The password from the first source that has one (module docstring), or None.

    `generated` is the node folder's generated password file (None when there is none, as
    for `init`).
    """
    environ = os.environ if environ is None else environ
    if options.file is not None:
        return password_from_file(options.file)
    if options.env is not None:
        found = password_from_environment(options.env, environ)
        if found is None:
            raise PasswordUnavailable(needed_for, f"environment variable {options.env} is not set")
        return found
    if options.ask:
        if options.prompt is None:
            raise PasswordUnavailable(needed_for, "--password-prompt needs a terminal")
        return _asked(options.prompt, needed_for)
    from_file_variable = environ.get(PASSWORD_FILE_VARIABLE)
    if from_file_variable:
        return password_from_file(Path(from_file_variable), PASSWORD_FILE_VARIABLE)
    found = password_from_environment(PASSWORD_VARIABLE, environ)
    if found is not None:
        return found
    if generated is not None and generated.exists():
        return password_from_file(generated, "the node folder")
    if options.prompt is not None:
        return _asked(options.prompt, needed_for)
    return None


def require_password(
    options: PasswordOptions,
    generated: Path | None,
    *,
    needed_for: str = "the node's keystore",
    environ: Mapping[str, str] | None = None,
) -> KeystorePassword:
    """`find_password`, or `PasswordUnavailable` naming every way to give one."""
    found = find_password(options, generated, needed_for=needed_for, environ=environ)
    if found is None:
        raise PasswordUnavailable(needed_for)
    return found


def _asked(prompt: Prompt, needed_for: str) -> KeystorePassword:
    return KeystorePassword(
        prompt(f"password for {needed_for}"), PasswordSource.PROMPT, "the terminal prompt"
    )


def unlock(key_file: Path, password: KeystorePassword | None) -> PrivateKey:
    """The key in `key_file`: a Web3 Secret Storage keystore (needs `password`) or a raw hex
    key file (node/chain/keys.py; needs none).

    Raises `WrongPassword` when the keystore's MAC does not match the password, and
    `KeystoreUnreadable` for a malformed keystore.
    """
    from eth_keys.datatypes import PrivateKey  # noqa: PLC0415 - see the imports

    from evanchor.node.chain import keys  # noqa: PLC0415
    from evanchor.node.chain.errors import KeyFileError  # noqa: PLC0415

    try:
        document = json.loads(key_file.read_text(encoding="utf-8"))
    except OSError as error:
        raise KeystoreUnreadable(key_file, error.strerror or str(error)) from None
    except ValueError:
        document = None
    if not (isinstance(document, dict) and ("crypto" in document or "Crypto" in document)):
        return keys.load_key(key_file)  # a raw key file: its own checks and errors
    if password is None:
        raise PasswordUnavailable(f"keystore {key_file}")
    try:
        secret = keys.decrypt_keystore(key_file, document, password.secret)
    except keys.WrongKeystorePassword:
        raise WrongPassword(key_file, password) from None
    except KeyFileError as error:
        raise KeystoreUnreadable(key_file, error.reason) from None
    return PrivateKey(secret)
