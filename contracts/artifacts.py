"""The committed build artifacts of the Solidity contracts, read at run time.

`contracts/build.js` compiles `contracts/src/*.sol` with the pinned solc-js and writes one JSON
file per contract into `contracts/compiled/` (shipped as package data). The runtime reads
those files only: it needs no compiler and no Node.js. tests/contracts rebuilds them from
source and fails if any byte differs, so what is loaded here is what the sources compile to.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from evanchor.contracts.errors import ArtifactMalformed, ArtifactNotFound

ARTIFACT_FORMAT = "evanchor-artifact-1"
"""The `format` field that `contracts/build.js` writes; bumped when the JSON shape changes."""

_CONTRACT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_HEX_CODE = re.compile(r"0x(?:[0-9a-f]{2})+\Z")


@dataclass(frozen=True)
class ContractArtifact:
    """What a client needs to deploy and call one contract.

    `abi` is the compiler's JSON ABI. The object is shared by every caller of
    `load_artifact`, so treat it as read-only.
    """

    name: str
    abi: list[dict[str, Any]] = field(hash=False)
    bytecode: bytes
    """Creation code: deploy it with the constructor arguments appended."""
    deployed_bytecode: bytes
    """Runtime code, as `eth_getCode` returns it for a deployed instance."""
    compiler_version: str
    """The solc version that built it, e.g. `0.8.37+commit.f401782d`."""
    evm_version: str
    """The EVM version it was compiled for; the chain must run this fork or a later one."""


def load_artifact(name: str = "EvidenceAnchor") -> ContractArtifact:
    """The packaged artifact of contract `name`, read once per process.

    Raises ArtifactNotFound if the package ships no such artifact and ArtifactMalformed if the
    file is not what `contracts/build.js` writes.
    """
    return _load_packaged(name)


@functools.cache
def _load_packaged(name: str) -> ContractArtifact:
    location = f"evanchor.contracts/compiled/{name}.json"
    if not isinstance(name, str) or not _CONTRACT_NAME.match(name):
        # A name is a Solidity identifier; anything else could walk out of the folder.
        raise ArtifactNotFound(str(name), location)
    resource = resources.files("evanchor.contracts").joinpath("compiled").joinpath(f"{name}.json")
    try:
        text = resource.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArtifactNotFound(name, location) from None
    return parse_artifact(text, location, expected_name=name)


def read_artifact(path: Path) -> ContractArtifact:
    """An artifact from any file in the build's format (e.g. the benchmark's reference)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArtifactNotFound(path.stem, str(path)) from None
    return parse_artifact(text, str(path), expected_name=None)


def parse_artifact(text: str, location: str, expected_name: str | None) -> ContractArtifact:
    """Checks the shape of one artifact file and decodes it.

    `location` names the file in error messages. If `expected_name` is given, the artifact's
    `contractName` must be that name.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ArtifactMalformed(location, "(file)", f"not JSON: {error}") from None
    if not isinstance(document, dict):
        raise ArtifactMalformed(location, "(file)", "expected a JSON object")
    if document.get("format") != ARTIFACT_FORMAT:
        raise ArtifactMalformed(
            location, "format", f"expected {ARTIFACT_FORMAT!r}, found {document.get('format')!r}"
        )
    name = _string(document, "contractName", location)
    if expected_name is not None and name != expected_name:
        raise ArtifactMalformed(location, "contractName", f"expected {expected_name!r}")
    abi = document.get("abi")
    if not isinstance(abi, list) or not all(isinstance(entry, dict) for entry in abi):
        raise ArtifactMalformed(location, "abi", "expected a list of JSON objects")
    compiler = document.get("compiler")
    if not isinstance(compiler, dict):
        raise ArtifactMalformed(location, "compiler", "expected a JSON object")
    settings = compiler.get("settings")
    if not isinstance(settings, dict):
        raise ArtifactMalformed(location, "compiler.settings", "expected a JSON object")
    return ContractArtifact(
        name=name,
        abi=abi,
        bytecode=_code(document, "bytecode", location),
        deployed_bytecode=_code(document, "deployedBytecode", location),
        compiler_version=_string(compiler, "version", location, prefix="compiler."),
        evm_version=_string(settings, "evmVersion", location, prefix="compiler.settings."),
    )


def _string(document: dict[str, Any], key: str, location: str, prefix: str = "") -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value:
        raise ArtifactMalformed(
            location, prefix + key, f"expected a non-empty string, found {value!r}"
        )
    return value


def _code(document: dict[str, Any], key: str, location: str) -> bytes:
    value = document.get(key)
    if not isinstance(value, str) or not _HEX_CODE.match(value):
        raise ArtifactMalformed(location, key, "expected non-empty lower-case hex code with 0x")
    return bytes.fromhex(value[2:])
