"""The node folder: its configuration file and where each part keeps its data.

<home>/config.toml   settings (docs/OPERATOR.md §7): format version, seal policy, chain, API
<home>/log/          the evidence log (LevelDB)
<home>/keys/         the node's keystores, the API's operator token (api-token), the
                     generated password, and log.key: the log's Ed25519 note key that
                     signs checkpoints (PRIVATE+KEY+..., mode 0600; PROTOCOL.md §10)
<home>/chain/        the embedded chain's data directory (embedded mode only)

The configuration is TOML, read with the standard library and validated by the pydantic
models below: a missing, mistyped or unknown key is a `HomeError` naming it. Folders made
before TOML keep a `config.json` with the same members; it is read as it is, and replaced
by `config.toml` the next time the configuration is written.

The folder is private to the node's user: created 0700 with every file 0600 (the process
umask is made private first, `restrict_umask`), and narrowed again, with a warning, each
time the log is opened (`make_private`): the log holds record text and salts, personal data.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import tomllib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.log.store import LogStore, make_private, restrict_umask
from evanchor.anchor.protocol.checkpoint import SealPolicy
from evanchor.anchor.protocol.errors import NoteKeyInvalid
from evanchor.anchor.protocol.log_identity import LogIdentity
from evanchor.anchor.protocol.note import (
    COSIGNATURE_V1,
    ED25519,
    NoteSigner,
    VerifierKey,
    generate_signer,
    parse_signer_key,
    parse_verifier_key,
)
from evanchor.anchor.protocol.tlog_checkpoint import anchored_log_origin, log_only_origin

log = logging.getLogger(__name__)

CONFIG_NAME = "config.toml"
LEGACY_CONFIG_NAME = "config.json"
CONFIG_VERSION = 1
DEFAULT_HOME = "evanchor-data"
DEFAULT_RPC_PORT = 8545
DEFAULT_API_PORT = 8080
API_TOKEN_NAME = "api-token"  # noqa: S105 - the file's name, not a token


class HomeError(EvanchorError):
    """The node folder is missing, already initialised, or its configuration is invalid."""


class ChainMode(StrEnum):
    EMBEDDED = "embedded"
    """The node runs its own chain (data in <home>/chain) and serves its JSON-RPC."""
    EXTERNAL = "external"
    """`rpc_url` is another network's endpoint."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class SealPolicyConfig(_Section):
    """`[seal_policy]`: seal after `max_records` records or `max_seconds` after the oldest
    unsealed one, whichever comes first."""

    max_records: int = Field(default=SealPolicy().max_records, ge=1)
    max_seconds: float = Field(default=SealPolicy().max_seconds, gt=0)

    @field_validator("max_seconds", mode="before")
    @classmethod
    def _integers_are_seconds_too(cls, value: object) -> object:
        return float(value) if type(value) is int else value

    @property
    def policy(self) -> SealPolicy:
        return SealPolicy(max_records=self.max_records, max_seconds=self.max_seconds)

    def due(self, unsealed: int, oldest_unsealed_at: datetime | None, now: datetime) -> bool:
        """`SealPolicy.due`: whether a seal is due now."""
        return self.policy.due(unsealed, oldest_unsealed_at, now)


class ChainConfig(_Section):
    """`[chain]`: where the log is anchored. `chain_id`, `contract` and `writer` bind the
    log (DESIGN decision 2) and must never be edited."""

    mode: ChainMode
    rpc_url: str
    chain_id: int = Field(ge=1)
    contract: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    writer: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    deploy_block: int = Field(default=0, ge=0)
    confirmations: int = Field(default=1, ge=1)

    @field_validator("mode", mode="before")
    @classmethod
    def _mode_from_text(cls, value: object) -> object:
        return ChainMode(value) if isinstance(value, str) and value in set(ChainMode) else value

    @property
    def identity(self) -> LogIdentity:
        """The log this node anchors: (chain id, contract, writer)."""
        return LogIdentity(self.chain_id, self.contract, self.writer)

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class ApiConfig(_Section):
    """`[api]`: where the HTTP API listens."""

    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_API_PORT, ge=1, le=65535)
    max_anchoring_backlog: int = Field(default=20, ge=1)
    """Back-pressure: POST /v1/records answers 429 while more sealed checkpoints than this
    wait for anchoring (anchoring nodes only), so the anchor delay cannot grow unbounded."""
    max_queued_records: int = Field(default=40_000, ge=1)
    """Back-pressure: 429 while more validated records than this wait for the group commit."""
    max_upload_bytes: int = Field(default=256 * 1024 * 1024, ge=1)
    """Most chunk bytes one staged upload may hold (node/daemon/staging.py): its commit
    holds every record in memory, some 400,000 typical records at the default."""
    max_staging_bytes: int = Field(default=1024 * 1024 * 1024, ge=1)
    """Most bytes all open uploads may stage together in `<home>/staging`."""
    upload_expiry_seconds: float = Field(default=900.0, gt=0)
    """An upload idle this long is deleted (nothing of it is in the log)."""

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


class WitnessEndpoint(_Section):
    """`[[witnessing.witnesses]]`: a witness the node asks for cosignatures: its
    tlog-witness URL (the submission prefix) and its cosignature/v1 verifier key, whose name
    is the witness's name."""

    url: str = Field(pattern=r"^https?://")
    vkey: str

    @field_validator("vkey")
    @classmethod
    def _cosigner_key(cls, vkey: str) -> str:
        try:
            key = parse_verifier_key(vkey)
        except NoteKeyInvalid as error:
            raise ValueError(str(error)) from None
        if key.signature_type != COSIGNATURE_V1:
            raise ValueError(f"{key.key} is not a cosignature/v1 key (type 0x04)")
        return vkey

    @property
    def key(self) -> VerifierKey:
        return parse_verifier_key(self.vkey)

    @property
    def name(self) -> str:
        return self.key.name


class WitnessPolicy(_Section):
    """`[witnessing]`: the witnesses asked after every seal, and how many cosignatures
    (`quorum`, k of n) a checkpoint needs to count as witnessed. `retry_max_seconds` caps
    the backoff for a witness that does not answer."""

    witnesses: tuple[WitnessEndpoint, ...] = ()
    quorum: int = Field(default=0, ge=0)
    retry_max_seconds: float = Field(default=60.0, gt=0)

    @field_validator("witnesses", mode="before")
    @classmethod
    def _list_is_a_tuple(cls, value: object) -> object:
        return tuple(value) if isinstance(value, list) else value

    @field_validator("retry_max_seconds", mode="before")
    @classmethod
    def _integers_are_seconds_too(cls, value: object) -> object:
        return float(value) if type(value) is int else value

    @model_validator(mode="after")
    def _consistent(self) -> WitnessPolicy:
        if self.quorum > len(self.witnesses):
            raise ValueError(f"quorum {self.quorum} is not within 0..{len(self.witnesses)}")
        names = [w.name for w in self.witnesses]
        if len(set(names)) != len(names):
            raise ValueError("two witnesses have the same name")
        return self


class NodeConfig(_Section):
    """The whole configuration file."""

    version: int = CONFIG_VERSION
    seal_policy: SealPolicyConfig = Field(default_factory=SealPolicyConfig)
    chain: ChainConfig | None = None
    api: ApiConfig = Field(default_factory=ApiConfig)
    witnessing: WitnessPolicy = Field(default_factory=WitnessPolicy)

    @field_validator("version")
    @classmethod
    def _supported(cls, value: int) -> int:
        if value != CONFIG_VERSION:
            raise ValueError(f"unsupported config version {value} (this evanchor reads 1)")
        return value

    @property
    def requires_signatures(self) -> bool:
        """A node that anchors requires agency signatures; a log-only node cannot check them."""
        return self.chain is not None

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def as_toml(self) -> str:
        document = self.model_dump(mode="json", exclude_none=True)
        return _TOML_HEADER + tomli_w.dumps(document)


_TOML_HEADER = """\
# evanchor node configuration (docs/OPERATOR.md §7). Edit it with the node stopped.
# [chain] chain_id, contract and writer bind the log to its anchors: never edit them.

"""


def _config_from_document(obj: Any, where: Path) -> NodeConfig:
    """The validated configuration; HomeError naming the first key at fault."""
    if not isinstance(obj, dict):
        raise HomeError(f"{where}: invalid configuration: expected a table of settings")
    try:
        return NodeConfig.model_validate(obj)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise HomeError(f"{where}: invalid configuration: {key}: {first['msg']}") from None


def log_origin(config: NodeConfig, public_key: bytes) -> str:
    """The checkpoint origin of this node's log: its chain identity, or (log-only) its key."""
    if config.chain is not None:
        return anchored_log_origin(
            config.chain.chain_id, config.chain.contract, config.chain.writer
        )
    return log_only_origin(public_key)


@dataclass(frozen=True)
class NodeHome:
    path: Path

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG_NAME

    @property
    def log_path(self) -> Path:
        return self.path / "log"

    @property
    def staging_path(self) -> Path:
        """Staged uploads waiting for their commit (node/daemon/staging.py)."""
        return self.path / "staging"

    @property
    def keys_path(self) -> Path:
        return self.path / "keys"

    @property
    def node_keystore(self) -> Path:
        return self.keys_path / "node.keystore.json"

    @property
    def generated_password(self) -> Path:
        return self.keys_path / "password"

    @property
    def chain_path(self) -> Path:
        return self.path / "chain"

    @property
    def log_key_path(self) -> Path:
        return self.keys_path / "log.key"

    def log_signer(self) -> NoteSigner | None:
        """The log's note key, None if this folder has none (made before signed checkpoints:
        `evanchor log key --generate` adds one). Its name must be the log's origin."""
        try:
            text = self.log_key_path.read_text(encoding="ascii")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            raise HomeError(f"{self.log_key_path}: cannot read ({error})") from None
        try:
            signer = parse_signer_key(text)
        except NoteKeyInvalid as error:
            raise HomeError(f"{self.log_key_path}: {error}") from None
        expected = log_origin(self.config(), signer.public_key)
        if signer.signature_type != ED25519 or signer.name != expected:
            raise HomeError(
                f"{self.log_key_path}: the key is named {signer.name!r}; this log's origin is"
                f" {expected!r}"
            )
        return signer

    def create_log_key(self, config: NodeConfig) -> NoteSigner:
        """A new log key named by the log's origin, written with mode 0600. Refuses to
        replace one: witnesses know the log by its key."""
        # A log-only origin is named after the public key, so the seed comes first.
        fresh = generate_signer("unnamed")
        signer = NoteSigner(log_origin(config, fresh.public_key), ED25519, fresh.seed)
        self.keys_path.mkdir(mode=0o700, exist_ok=True)
        try:
            fd = os.open(self.log_key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise HomeError(f"{self.log_key_path} exists: a log keeps its key") from None
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(str(signer) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return signer

    @property
    def api_token_path(self) -> Path:
        return self.keys_path / API_TOKEN_NAME

    def operator_token(self) -> str:
        """The HTTP API's operator token (node/daemon/access.py), made on first use: 32
        random bytes, URL-safe base64, in keys/api-token (0600)."""
        existing = self.read_operator_token()
        if existing is not None:
            return existing
        restrict_umask()
        self.keys_path.mkdir(mode=0o700, exist_ok=True)
        token = secrets.token_urlsafe(32)
        try:
            fd = os.open(self.api_token_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # made meanwhile by another process: that one holds
            return self.read_operator_token() or token
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(token + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return token

    def read_operator_token(self) -> str | None:
        """The operator token if the folder has one (None, e.g. for a folder whose node
        never started since the token was introduced)."""
        try:
            text = self.api_token_path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise HomeError(f"{self.api_token_path}: cannot read ({error.strerror})") from None
        return text or None

    def initialise(self, config: NodeConfig) -> None:
        """Create the folder, its configuration and an empty log. Refuses to overwrite."""
        if self.config_path.exists() or self.legacy_config_path.exists():
            raise HomeError(f"{self.path} is already an evanchor node folder")
        restrict_umask()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.mkdir(mode=0o700, exist_ok=True)
        self.path.chmod(0o700)
        LogStore(self.log_path, create=True).close()
        self.operator_token()
        self.write_config(config)
        self.create_log_key(config)

    def write_config(self, config: NodeConfig) -> None:
        """Replace config.toml atomically (write, fsync, rename); a legacy config.json goes."""
        temporary = self.config_path.with_suffix(".tmp")
        temporary.write_text(config.as_toml(), encoding="utf-8")
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        temporary.replace(self.config_path)
        self.legacy_config_path.unlink(missing_ok=True)

    @property
    def legacy_config_path(self) -> Path:
        return self.path / LEGACY_CONFIG_NAME

    def config(self) -> NodeConfig:
        if self.config_path.exists():
            try:
                obj: Any = tomllib.loads(self.config_path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
                raise HomeError(f"{self.config_path}: cannot read ({error})") from None
            return _config_from_document(obj, self.config_path)
        if self.legacy_config_path.exists():
            try:
                obj = json.loads(self.legacy_config_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise HomeError(f"{self.legacy_config_path}: cannot read ({error})") from None
            if isinstance(obj, dict) and obj.get("chain") is None:
                obj.pop("chain", None)
            return _config_from_document(obj, self.legacy_config_path)
        raise HomeError(f"{self.path} is not an evanchor node folder (run `evanchor init`)")

    def open_log(self, *, check: bool = True) -> LogStore:
        """The node's log; `check=False` skips the open-time invariant check (the audit).

        Narrows the whole folder to its owner first (see the module docstring).
        """
        self.config()
        self.make_private()
        return LogStore(self.log_path, check=check)

    def make_private(self) -> None:
        """Make new files private and narrow existing ones to 0600/0700, warning if any
        had group or other permissions."""
        restrict_umask()
        widened = make_private(self.path)
        if widened:
            log.warning(
                "%s: %d file(s) or folder(s) were readable by group or others; narrowed to"
                " the owner (0600/0700)",
                self.path,
                len(widened),
            )
