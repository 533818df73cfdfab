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

from evanchor.anchor.checkpoint import SealPolicy
from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.store import LogStore

CONFIG_NAME = "config.json"
CONFIG_VERSION = 1
DEFAULT_HOME = "evanchor-data"


class HomeError(EvanchorError):
    """The node folder is missing, already initialised, or its configuration is invalid."""


@dataclass(frozen=True)
class NodeConfig:
    seal_policy: SealPolicy = field(default_factory=SealPolicy)

    def as_json(self) -> dict[str, Any]:
        return {
            "version": CONFIG_VERSION,
            "seal_policy": {
                "max_records": self.seal_policy.max_records,
                "max_seconds": self.seal_policy.max_seconds,
            },
        }


def _config_from_json(obj: Any, where: Path) -> NodeConfig:
    try:
        if obj["version"] != CONFIG_VERSION:
            raise HomeError(f"{where}: unsupported config version {obj['version']!r}")
        policy = obj["seal_policy"]
        return NodeConfig(
            seal_policy=SealPolicy(
                max_records=int(policy["max_records"]), max_seconds=float(policy["max_seconds"])
            )
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

    def initialise(self, config: NodeConfig) -> None:
        """Create the folder, its configuration and an empty log. Refuses to overwrite."""
        if self.config_path.exists():
            raise HomeError(f"{self.path} is already an evanchor node folder")
        self.path.mkdir(parents=True, exist_ok=True)
        LogStore(self.log_path, create=True).close()
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
