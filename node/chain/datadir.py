"""A node's data directory: genesis, sealer key, chain database.

Layout::

    DATA_DIR/
      genesis.json            the chain's genesis (see `evanchor.node.chain.genesis`)
      sealer.keystore.json    the sealer key, encrypted (with --password-file), or
      sealer.key              the sealer key as hex, mode 0600 (throw-away chains, tests)
      proposals.json          the sealer's authority votes, mode 0600 (`chain propose`)
      chaindata/              LevelDB: state, blocks, receipts, Clique snapshots

Authority votes are an operator action, never a JSON-RPC one: `evanchor chain propose`
writes them here while the node is stopped (it takes the database's lock to be sure), and
`open_chain` hands them to the chain, whose sealer casts them (EIP-225) from its next start.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from eth_keys.datatypes import PrivateKey

from evanchor.node.chain import keys
from evanchor.node.chain.clique import Proposal
from evanchor.node.chain.embedded import EmbeddedChain
from evanchor.node.chain.errors import DataDirError
from evanchor.node.chain.genesis import Genesis, read_genesis, write_genesis
from evanchor.node.chain.leveldb import LevelDB

GENESIS_FILE = "genesis.json"
KEYSTORE_FILE = "sealer.keystore.json"
RAW_KEY_FILE = "sealer.key"
CHAINDATA_DIR = "chaindata"
PROPOSALS_FILE = "proposals.json"
PROPOSALS_FORMAT = "evanchor-proposals/1"


@dataclass(frozen=True)
class DataDir:
    path: Path

    @property
    def genesis_file(self) -> Path:
        return self.path / GENESIS_FILE

    @property
    def chaindata(self) -> Path:
        return self.path / CHAINDATA_DIR

    @property
    def proposals_file(self) -> Path:
        return self.path / PROPOSALS_FILE

    @property
    def key_file(self) -> Path | None:
        """The sealer key file present, keystore first; None if there is none."""
        for name in (KEYSTORE_FILE, RAW_KEY_FILE):
            if (self.path / name).exists():
                return self.path / name
        return None


def init_data_dir(
    path: Path, genesis: Genesis, sealer_key: PrivateKey | None, password: str | None = None
) -> DataDir:
    """Create a data directory holding `genesis` and (if given) the sealer key.

    The key is written encrypted when `password` is given, as raw hex otherwise.
    Requires: `path` does not hold a genesis file yet (nothing is overwritten).
    """
    data_dir = DataDir(path)
    if data_dir.genesis_file.exists():
        raise DataDirError(path, f"already initialised ({GENESIS_FILE} exists)")
    path.mkdir(parents=True, exist_ok=True)
    if sealer_key is not None:
        if password is None:
            keys.write_raw_key(path / RAW_KEY_FILE, sealer_key)
        else:
            keys.write_keystore(path / KEYSTORE_FILE, sealer_key, password)
    write_genesis(data_dir.genesis_file, genesis)
    return data_dir


def read_proposals(data_dir: DataDir) -> tuple[Proposal, ...]:
    """The votes in `proposals.json`, in the order they were made (none if it is absent).

    The file: {"format": "evanchor-proposals/1", "proposals": [{"address": "0x…" (20
    bytes), "authorize": true (add) or false (drop)}, …]}. Raises `DataDirError` naming
    the fault.
    """
    path = data_dir.proposals_file
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ()
    except (OSError, ValueError) as error:
        raise DataDirError(path, f"unreadable votes ({error})") from None
    if not isinstance(document, dict) or document.get("format") != PROPOSALS_FORMAT:
        raise DataDirError(path, f'expected "format": "{PROPOSALS_FORMAT}"')
    entries = document.get("proposals")
    if not isinstance(entries, list):
        raise DataDirError(path, "proposals: expected a list")
    proposals: list[Proposal] = []
    for index, entry in enumerate(entries):
        address = entry.get("address") if isinstance(entry, dict) else None
        authorize = entry.get("authorize") if isinstance(entry, dict) else None
        raw = (
            bytes.fromhex(address[2:])
            if isinstance(address, str) and _is_address(address)
            else None
        )
        if raw is None or not isinstance(authorize, bool):
            raise DataDirError(
                path, f"proposals[{index}]: expected {{address: 0x + 40 hex, authorize: bool}}"
            )
        proposals.append(Proposal(raw, authorize))
    return tuple(proposals)


def _is_address(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 42 or value[:2] != "0x":
        return False
    try:
        bytes.fromhex(value[2:])
    except ValueError:
        return False
    return True


def write_proposals(data_dir: DataDir, proposals: tuple[Proposal, ...]) -> None:
    """Replace `proposals.json` atomically (a synced temporary file renamed over it), owner
    read/write only."""
    document = {
        "format": PROPOSALS_FORMAT,
        "proposals": [
            {"address": "0x" + p.subject.hex(), "authorize": p.authorize} for p in proposals
        ],
    }
    target = data_dir.proposals_file
    scratch = target.with_name(target.name + ".tmp")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(document, indent=2) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(scratch, target)
    directory = os.open(data_dir.path, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def open_chain(
    path: Path,
    *,
    sealer_key: PrivateKey | None = None,
    load_sealer: bool = False,
    password_file: Path | None = None,
) -> EmbeddedChain:
    """Open the chain in `path`, creating its database from the genesis on first use.

    With `load_sealer`, the sealer key is read from the data directory (keystore with
    `password_file`, or raw key file) unless `sealer_key` is given directly. The votes of
    `proposals.json` are handed to the chain. Raises `DatabaseInUse` when another process
    (the running node) holds the database.
    """
    data_dir = DataDir(path)
    if not data_dir.genesis_file.exists():
        raise DataDirError(
            path, f"not a chain data directory (no {GENESIS_FILE}); run `chain init`"
        )
    genesis = read_genesis(data_dir.genesis_file)
    if sealer_key is None and load_sealer:
        key_file = data_dir.key_file
        if key_file is None:
            raise DataDirError(path, f"no sealer key ({KEYSTORE_FILE} or {RAW_KEY_FILE})")
        sealer_key = keys.load_key(key_file, password_file)
    proposals = read_proposals(data_dir)
    db = LevelDB(data_dir.chaindata)
    try:
        chain = EmbeddedChain(genesis, db, sealer_key)
    except BaseException:
        db.close()
        raise
    for proposal in proposals:
        chain.propose(proposal.subject, proposal.authorize)
    return chain
