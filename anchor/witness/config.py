"""The witness's folder and its configuration file, witness.toml.

    <dir>/witness.toml   name, listen address, the logs followed (origin and key)
    <dir>/witness.key    the witness's cosigning key, PRIVATE+KEY+... (mode 0600)
    <dir>/state/         the latest cosigned checkpoint of each log (LevelDB)

witness.toml, validated on every start:

    name = "court.example/witness"        # the cosigner name (a key name: no space, no +)
    listen = "127.0.0.1:7380"

    [[logs]]
    origin = "evanchor/7107/0x.../0x..."  # the checkpoint origin line
    keys = ["evanchor/7107/0x.../0x...+1a2b3c4d+AX..."]   # the log's verifier key(s)
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from evanchor.anchor.protocol.errors import NoteKeyInvalid
from evanchor.anchor.protocol.note import (
    COSIGNATURE_V1,
    ED25519,
    NoteSigner,
    VerifierKey,
    generate_signer,
    is_valid_key_name,
    parse_signer_key,
    parse_verifier_key,
)
from evanchor.anchor.witness.errors import WitnessConfigInvalid

CONFIG_NAME = "witness.toml"
KEY_NAME = "witness.key"
STATE_NAME = "state"
DEFAULT_DIR = "evanchor-witness"
DEFAULT_LISTEN = "127.0.0.1:7380"


class LogEntry(BaseModel):
    """One log the witness follows: its origin and the verifier key(s) it signs with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    origin: str = Field(min_length=1)
    keys: tuple[str, ...] = Field(min_length=1)

    @field_validator("origin")
    @classmethod
    def _one_line(cls, origin: str) -> str:
        if "\n" in origin or origin != origin.strip():
            raise ValueError("an origin is one line without surrounding spaces")
        return origin

    @field_validator("keys")
    @classmethod
    def _log_keys(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        for text in keys:
            try:
                key = parse_verifier_key(text)
            except NoteKeyInvalid as error:
                raise ValueError(str(error)) from None
            if key.signature_type != ED25519:
                raise ValueError(f"{key.key} is not a log key (type 0x01)")
        return keys

    def verifier_keys(self) -> tuple[VerifierKey, ...]:
        return tuple(parse_verifier_key(k) for k in self.keys)


class WitnessConfig(BaseModel):
    """The contents of witness.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    listen: str = DEFAULT_LISTEN
    logs: tuple[LogEntry, ...] = ()

    @field_validator("name")
    @classmethod
    def _key_name(cls, name: str) -> str:
        if not is_valid_key_name(name):
            raise ValueError(f"{name!r} is not a key name (non-empty, no space, no +)")
        return name

    @field_validator("listen")
    @classmethod
    def _host_port(cls, listen: str) -> str:
        host, _, port = listen.rpartition(":")
        if not host or not (port.isascii() and port.isdigit()) or not 0 <= int(port) <= 65535:
            raise ValueError(f"expected HOST:PORT, found {listen!r}")
        return listen

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        origins = [log.origin for log in self.logs]
        if len(set(origins)) != len(origins):
            raise ValueError("an origin is listed twice")
        for log in self.logs:
            ids = [(k.name, k.key_id) for k in log.verifier_keys()]
            if len(set(ids)) != len(ids):
                raise ValueError(f"{log.origin}: a key is listed twice")
        return self

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0]

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])

    def log(self, origin: str) -> LogEntry | None:
        for entry in self.logs:
            if entry.origin == origin:
                return entry
        return None


def validation_message(error: ValidationError) -> str:
    """The first fault of a pydantic error as one line: `setting: message`."""
    first = error.errors()[0]
    place = ".".join(str(p) for p in first["loc"]) or "(file)"
    return f"{place}: {first['msg'].removeprefix('Value error, ')}"


def render_config(config: WitnessConfig) -> str:
    """witness.toml for `config` (what `init` and `add-log` write)."""
    header = (
        "# evanchor witness (docs/WITNESS.md). Restart `evanchor witness serve` after edits.\n\n"
    )
    return header + tomli_w.dumps(config.model_dump(mode="json"))


@dataclass(frozen=True)
class WitnessHome:
    """A witness's folder."""

    path: Path

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG_NAME

    @property
    def key_path(self) -> Path:
        return self.path / KEY_NAME

    @property
    def state_path(self) -> Path:
        return self.path / STATE_NAME

    def config(self) -> WitnessConfig:
        where = str(self.config_path)
        try:
            raw = tomllib.loads(self.config_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise WitnessConfigInvalid(
                where, "no witness here (run `evanchor witness init`)"
            ) from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise WitnessConfigInvalid(where, f"cannot read ({error})") from None
        try:
            return WitnessConfig.model_validate(raw)
        except ValidationError as error:
            place, _, message = validation_message(error).partition(": ")
            raise WitnessConfigInvalid(f"{where}: {place}", message) from None

    def signer(self) -> NoteSigner:
        """The cosigning key; its name must be the configured name."""
        where = str(self.key_path)
        try:
            text = self.key_path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as error:
            raise WitnessConfigInvalid(where, f"cannot read the witness key ({error})") from None
        try:
            signer = parse_signer_key(text)
        except NoteKeyInvalid as error:
            raise WitnessConfigInvalid(where, str(error)) from None
        if signer.signature_type != COSIGNATURE_V1:
            raise WitnessConfigInvalid(where, "not a cosignature/v1 key (type 0x04)")
        name = self.config().name
        if signer.name != name:
            raise WitnessConfigInvalid(where, f"the key is named {signer.name!r}, not {name!r}")
        return signer

    def write_config(self, config: WitnessConfig) -> None:
        """Replace witness.toml atomically (write, fsync, rename)."""
        temporary = self.config_path.with_suffix(".tmp")
        temporary.write_text(render_config(config), encoding="utf-8")
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        temporary.replace(self.config_path)

    def initialise(self, config: WitnessConfig) -> NoteSigner:
        """Create the folder, a new key (mode 0600) and witness.toml. Refuses to overwrite."""
        if self.config_path.exists() or self.key_path.exists():
            raise WitnessConfigInvalid(str(self.path), "already a witness folder")
        self.path.mkdir(parents=True, exist_ok=True)
        signer = generate_signer(config.name, COSIGNATURE_V1)
        fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(str(signer) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.write_config(config)
        return signer
