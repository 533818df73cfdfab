"""A node's data directory: genesis, sealer key, chain database.

Layout::

    DATA_DIR/
      genesis.json            the chain's genesis (see `evanchor.node.chain.genesis`)
      sealer.keystore.json    the sealer key, encrypted (with --password-file), or
      sealer.key              the sealer key as hex, mode 0600 (throw-away chains, tests)
      chaindata/              LevelDB: state, blocks, receipts, Clique snapshots
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eth_keys.datatypes import PrivateKey

from evanchor.node.chain import keys
from evanchor.node.chain.embedded import EmbeddedChain
from evanchor.node.chain.errors import DataDirError
from evanchor.node.chain.genesis import Genesis, read_genesis, write_genesis
from evanchor.node.chain.leveldb import LevelDB

GENESIS_FILE = "genesis.json"
KEYSTORE_FILE = "sealer.keystore.json"
RAW_KEY_FILE = "sealer.key"
CHAINDATA_DIR = "chaindata"


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


def open_chain(
    path: Path,
    *,
    sealer_key: PrivateKey | None = None,
    load_sealer: bool = False,
    password_file: Path | None = None,
) -> EmbeddedChain:
    """Open the chain in `path`, creating its database from the genesis on first use.

    With `load_sealer`, the sealer key is read from the data directory (keystore with
    `password_file`, or raw key file) unless `sealer_key` is given directly.
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
    db = LevelDB(data_dir.chaindata)
    try:
        return EmbeddedChain(genesis, db, sealer_key)
    except BaseException:
        db.close()
        raise
