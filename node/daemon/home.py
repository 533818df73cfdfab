"""The node folder: its configuration file and where each part keeps its data.

<home>/config.json   settings (format version, seal policy)
<home>/log/          the evidence log (LevelDB)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.checkpoint import SealPolicy

CONFIG_NAME = "config.json"
CONFIG_VERSION = 1
DEFAULT_HOME = "evanchor-data"
DEFAULT_RPC_PORT = 8545


class HomeError(EvanchorError):
    """The node folder is missing, already initialised, or its configuration is invalid."""


@dataclass(frozen=True)
class ChainConfig:
    """Where the log is anchored.

    `mode` "embedded": the node runs its own chain (data in <home>/chain) and serves its
    JSON-RPC at `rpc_url`; "external": `rpc_url` is another network's endpoint.
    """

    mode: str
    rpc_url: str
    chain_id: int
    contract: str
    writer: str
    deploy_block: int = 0
    confirmations: int = 1

    def as_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "rpc_url": self.rpc_url,
            "chain_id": self.chain_id,
            "contract": self.contract,
            "writer": self.writer,
            "deploy_block": self.deploy_block,
            "confirmations": self.confirmations,
        }


@dataclass(frozen=True)
class ApiConfig:
    host: str = "127.0.0.1"
    port: int = 8080

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass(frozen=True)
class NodeConfig:
    seal_policy: SealPolicy = field(default_factory=SealPolicy)
    chain: ChainConfig | None = None
    api: ApiConfig = field(default_factory=ApiConfig)

    @property
    def requires_signatures(self) -> bool:
        """A node that anchors requires agency signatures; a log-only node cannot check them."""
        return self.chain is not None

    def as_json(self) -> dict[str, Any]:
        return {
            "version": CONFIG_VERSION,
            "seal_policy": {
                "max_records": self.seal_policy.max_records,
                "max_seconds": self.seal_policy.max_seconds,
            },
            "chain": None if self.chain is None else self.chain.as_json(),
            "api": {"host": self.api.host, "port": self.api.port},
        }


def _config_from_json(obj: Any, where: Path) -> NodeConfig:
    try:
        if obj["version"] != CONFIG_VERSION:
            raise HomeError(f"{where}: unsupported config version {obj['version']!r}")
        policy = obj["seal_policy"]
        chain = obj.get("chain")
        api = obj.get("api") or {}
        return NodeConfig(
            seal_policy=SealPolicy(
                max_records=int(policy["max_records"]), max_seconds=float(policy["max_seconds"])
            ),
            chain=None
            if chain is None
            else ChainConfig(
                mode=str(chain["mode"]),
                rpc_url=str(chain["rpc_url"]),
                chain_id=int(chain["chain_id"]),
                contract=str(chain["contract"]),
                writer=str(chain["writer"]),
                deploy_block=int(chain.get("deploy_block", 0)),
                confirmations=int(chain.get("confirmations", 1)),
            ),
            api=ApiConfig(host=str(api.get("host", "127.0.0.1")), port=int(api.get("port", 8080))),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise HomeError(f"{where}: invalid configuration ({error})") from None


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

    def initialise(self, config: NodeConfig) -> None:
        """Create the folder, its configuration and an empty log. Refuses to overwrite."""
        if self.config_path.exists():
            raise HomeError(f"{self.path} is already an evanchor node folder")
        self.path.mkdir(parents=True, exist_ok=True)
        LogStore(self.log_path, create=True).close()
        self.write_config(config)

    def write_config(self, config: NodeConfig) -> None:
        """Replace config.json atomically (write, fsync, rename)."""
        temporary = self.config_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(config.as_json(), indent=2) + "\n")
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        temporary.replace(self.config_path)

    def config(self) -> NodeConfig:
        if not self.config_path.exists():
            raise HomeError(f"{self.path} is not an evanchor node folder (run `evanchor init`)")
        try:
            obj = json.loads(self.config_path.read_text())
        except (OSError, ValueError) as error:
            raise HomeError(f"{self.config_path}: cannot read ({error})") from None
        return _config_from_json(obj, self.config_path)

    def open_log(self) -> LogStore:
        self.config()
        return LogStore(self.log_path)
