"""The committed artifacts: the loader, its errors, and the ABI other parts build against."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_utils.crypto import keccak

from evanchor.anchor.errors import EvanchorError
from evanchor.contracts.artifacts import (
    ARTIFACT_FORMAT,
    ContractArtifact,
    load_artifact,
    read_artifact,
)
from evanchor.contracts.errors import ArtifactError, ArtifactMalformed, ArtifactNotFound

from evm_harness import CONTRACTS_DIR

ARTIFACT_FILE = CONTRACTS_DIR / "compiled" / "EvidenceAnchor.json"


def signature(entry: dict[str, Any]) -> str:
    def kind(item: dict[str, Any]) -> str:
        if item["type"].startswith("tuple"):
            inner = ",".join(kind(c) for c in item["components"])
            return f"({inner}){item['type'][len('tuple') :]}"
        return str(item["type"])

    return f"{entry['name']}({','.join(kind(i) for i in entry['inputs'])})"


def abi_entries(artifact: ContractArtifact, entry_type: str) -> dict[str, dict[str, Any]]:
    return {signature(e): e for e in artifact.abi if e["type"] == entry_type}


def test_load_artifact_reads_the_packaged_evidence_anchor() -> None:
    artifact = load_artifact()
    assert artifact.name == "EvidenceAnchor"
    assert artifact.evm_version == "london"
    pins = json.loads((CONTRACTS_DIR / "package.json").read_text())["dependencies"]
    assert artifact.compiler_version.startswith(pins["solc"] + "+commit.")
    assert artifact.deployed_bytecode in artifact.bytecode  # creation code ends with it
    assert len(artifact.deployed_bytecode) < 24_576  # EIP-170
    assert load_artifact("EvidenceAnchor") is artifact
    assert hash(artifact) == hash(load_artifact())


def test_fixed_abi_that_other_parts_build_against() -> None:
    artifact = load_artifact()
    functions = abi_entries(artifact, "function")
    checkpoint = "(uint64,uint64,uint64,bytes32)"
    expected = {
        "WRITER_ROLE()": ("view", ["bytes32"]),
        "anchor(uint64,bytes32,bytes32[])": ("nonpayable", ["uint256"]),
        "latestCheckpoint(address)": ("view", [checkpoint]),
        "checkpointAt(address,uint256)": ("view", [checkpoint]),
        "checkpointCount(address)": ("view", ["uint256"]),
        "isAnchored(address,uint64,bytes32)": ("view", ["bool"]),
        "verifyInclusion(bytes32,uint64,uint64,bytes32[],bytes32)": ("pure", ["bool"]),
        "verifyConsistency(uint64,uint64,bytes32,bytes32,bytes32[])": ("pure", ["bool"]),
        "AGENCY_ROLE()": ("view", ["bytes32"]),
        "registerAgency(address,string)": ("nonpayable", []),
        "revokeAgency(address)": ("nonpayable", []),
        "agencyCreditCode(address)": ("view", ["string"]),
    }
    for name, (mutability, outputs) in expected.items():
        entry = functions[name]
        assert entry["stateMutability"] == mutability, name
        assert [signature({"name": "", "inputs": [o]})[1:-1] for o in entry["outputs"]] == outputs
    anchor_outputs = functions["anchor(uint64,bytes32,bytes32[])"]["outputs"]
    assert [o["name"] for o in anchor_outputs] == ["index"]
    struct = functions["checkpointAt(address,uint256)"]["outputs"][0]
    assert struct["internalType"] == "struct EvidenceAnchor.Checkpoint"
    assert [c["name"] for c in struct["components"]] == ["size", "blockNumber", "timestamp", "root"]
    (constructor,) = [e for e in artifact.abi if e["type"] == "constructor"]
    assert [(i["type"], i["name"]) for i in constructor["inputs"]] == [
        ("uint48", "initialDelay"),
        ("address", "initialAdmin"),
    ]
    # The access-control surface comes from AccessControlDefaultAdminRules.
    for name in (
        "grantRole(bytes32,address)",
        "revokeRole(bytes32,address)",
        "beginDefaultAdminTransfer(address)",
        "acceptDefaultAdminTransfer()",
        "defaultAdminDelay()",
    ):
        assert name in functions


def test_event_and_errors() -> None:
    artifact = load_artifact()
    (event,) = [e for e in artifact.abi if e.get("name") == "CheckpointAnchored"]
    assert [(i["name"], i["type"], i["indexed"]) for i in event["inputs"]] == [
        ("writer", "address", True),
        ("index", "uint256", True),
        ("size", "uint64", False),
        ("root", "bytes32", False),
    ]
    registered, revoked = (
        next(e for e in artifact.abi if e.get("name") == name)
        for name in ("AgencyRegistered", "AgencyRevoked")
    )
    assert [(i["name"], i["type"], i["indexed"]) for i in registered["inputs"]] == [
        ("agency", "address", True),
        ("creditCode", "string", False),
    ]
    assert [(i["name"], i["type"], i["indexed"]) for i in revoked["inputs"]] == [
        ("agency", "address", True),
    ]
    errors = abi_entries(artifact, "error")
    ours = {name for name in errors if name.startswith("EvidenceAnchor")}
    assert ours == {
        "EvidenceAnchorEmptyCheckpoint(address)",
        "EvidenceAnchorUnexpectedProof(address,uint256)",
        "EvidenceAnchorSizeNotIncreasing(address,uint64,uint64)",
        "EvidenceAnchorInconsistentCheckpoint(address,uint64,bytes32,uint64,bytes32)",
        "EvidenceAnchorNoCheckpoint(address)",
        "EvidenceAnchorCheckpointOutOfRange(address,uint256,uint256)",
        "EvidenceAnchorInvalidCreditCode(uint256)",
        "EvidenceAnchorZeroAgency()",
        "EvidenceAnchorAgencyNotRegistered(address)",
        "EvidenceAnchorAgencyRequiresRegistration()",
    }
    assert "AccessControlUnauthorizedAccount(address,bytes32)" in errors


def test_artifact_file_is_stable_json() -> None:
    text = ARTIFACT_FILE.read_text()
    document = json.loads(text)
    assert text == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert document["format"] == ARTIFACT_FORMAT
    assert document["compiler"]["settings"]["evmVersion"] == "london"
    source = CONTRACTS_DIR / "src" / "EvidenceAnchor.sol"
    metadata = json.loads(document["metadata"])
    assert (
        metadata["sources"][document["sourceName"]]["keccak256"]
        == "0x" + keccak(source.read_bytes()).hex()
    )


@pytest.mark.parametrize("name", ["NoSuchContract", "../compiled/EvidenceAnchor", "", "a/b"])
def test_unknown_artifacts_are_refused(name: str) -> None:
    with pytest.raises(ArtifactNotFound) as caught:
        load_artifact(name)
    assert isinstance(caught.value, ArtifactError)
    assert isinstance(caught.value, EvanchorError)


def test_read_artifact_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ArtifactNotFound):
        read_artifact(tmp_path / "Missing.json")


def _corrupt(document: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(document))
    target = copy
    *parents, last = field.split(".")
    for parent in parents:
        target = target[parent]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return copy


@pytest.mark.parametrize(
    ("field", "value", "reported"),
    [
        ("format", "evanchor-artifact-0", "format"),
        ("contractName", KeyError, "contractName"),
        ("abi", {"not": "a list"}, "abi"),
        ("abi", [1, 2], "abi"),
        ("bytecode", "0x", "bytecode"),
        ("bytecode", "6080", "bytecode"),
        ("deployedBytecode", "0xABCD", "deployedBytecode"),
        ("deployedBytecode", "0xabc", "deployedBytecode"),
        ("compiler", "solc", "compiler"),
        ("compiler.version", "", "compiler.version"),
        ("compiler.settings", KeyError, "compiler.settings"),
        ("compiler.settings.evmVersion", 7, "compiler.settings.evmVersion"),
    ],
)
def test_malformed_artifacts_name_the_field(
    tmp_path: Path, field: str, value: Any, reported: str
) -> None:
    document = json.loads(ARTIFACT_FILE.read_text())
    path = tmp_path / "EvidenceAnchor.json"
    path.write_text(json.dumps(_corrupt(document, field, value)))
    with pytest.raises(ArtifactMalformed) as caught:
        read_artifact(path)
    assert caught.value.field == reported
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("text", ["", "{", "[]", '"EvidenceAnchor"'])
def test_artifacts_that_are_no_json_object_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "Broken.json"
    path.write_text(text)
    with pytest.raises(ArtifactMalformed):
        read_artifact(path)


def test_read_artifact_accepts_the_build_format(tmp_path: Path) -> None:
    path = tmp_path / "Copy.json"
    path.write_text(ARTIFACT_FILE.read_text())
    assert read_artifact(path) == load_artifact()
