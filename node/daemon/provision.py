"""Creating a node folder that anchors: keys, genesis, contract, writer role (`evanchor init`).

Embedded mode: a fresh proof-of-authority chain whose one authority is a new sealer key, whose
allowlist holds the node's account, and on which the node's account deploys `EvidenceAnchor`
(becoming its admin) and grants itself the writer role. External mode: the operator's funded,
allowlisted account on an existing network does the same there, or attaches to a contract
already deployed.

Everything is built in a temporary folder next to the target and moved into place only when
complete, so a failed `init` leaves nothing half-made.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.ethereum.errors import ChainUnavailable
from evanchor.anchor.log.store import LogStore, restrict_umask
from evanchor.anchor.protocol.seal_leaf import AnchorTarget
from evanchor.node.chain.chain_ids import DEFAULT_CHAIN_ID
from evanchor.node.chain.datadir import init_data_dir
from evanchor.node.chain.genesis import DEFAULT_FUNDING, Genesis
from evanchor.node.chain.keys import generate_key, write_keystore
from evanchor.node.daemon.chain_access import embedded_rpc, endpoint_chain_id
from evanchor.node.daemon.home import (
    DEFAULT_RPC_PORT,
    ChainConfig,
    ChainMode,
    HomeError,
    NodeConfig,
    NodeHome,
)
from evanchor.node.daemon.passwords import KeystorePassword, PasswordSource, unlock

DEFAULT_ADMIN_DELAY = cc.DEFAULT_ADMIN_DELAY


@dataclass(frozen=True)
class Provisioned:
    config: NodeConfig
    node_address: str
    generated_password: bool


def _staging(home: NodeHome) -> Path:
    if home.config_path.exists():
        raise HomeError(f"{home.path} is already an evanchor node folder")
    if home.path.exists() and any(home.path.iterdir()):
        raise HomeError(f"{home.path} exists and is not empty")
    restrict_umask()  # everything made from here on is the node user's alone
    home.path.parent.mkdir(parents=True, exist_ok=True)
    staging = home.path.parent / f".{home.path.name}.init-{secrets.token_hex(4)}"
    staging.mkdir(mode=0o700)
    staging.chmod(0o700)
    return staging


def _password(staged: NodeHome, given: KeystorePassword | None) -> tuple[KeystorePassword, bool]:
    """The keystores' password: the one given, or a new one generated into keys/password."""
    staged.keys_path.mkdir(mode=0o700)
    if given is not None:
        return given, False
    secret = secrets.token_urlsafe(24)
    fd = os.open(staged.generated_password, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret + "\n")
    where = "the node folder's keys/password"
    return KeystorePassword(secret, PasswordSource.GENERATED, where), True


def _finish(
    home: NodeHome, staging: Path, config: NodeConfig, chain: ChainConfig, genesis_hash: bytes
) -> NodeConfig:
    """Add the empty log, bound to its anchor target (every seal leaf commits to it), and
    the configuration, then move the folder into place."""
    final = config.model_copy(update={"chain": chain})
    staged = NodeHome(staging)
    with LogStore(staged.log_path, create=True) as store:
        store.bind_anchor_target(
            AnchorTarget(chain.chain_id, chain.contract, chain.writer, genesis_hash)
        )
    staged.operator_token()
    staged.write_config(final)
    staged.create_log_key(final)
    if home.path.exists():
        home.path.rmdir()  # empty, checked by _staging
    staging.rename(home.path)
    return final


def _genesis_hash(w3_url: str) -> bytes:
    """The hash of block 0 of the chain at `w3_url`: with the chain id, it names the chain."""
    return cc.block_info(cc.web3_for(w3_url), 0).hash


def _deploy(w3_url: str, account: LocalAccount, admin_delay: int) -> tuple[str, int]:
    w3 = cc.web3_for(w3_url)
    deployment = cc.deploy_anchor(w3, account, admin_delay=admin_delay)
    anchor = cc.contract_at(w3, deployment.address)
    cc.grant_writer(anchor, account, account.address)
    return deployment.address, deployment.block_number


def provision_embedded(
    home: NodeHome,
    config: NodeConfig,
    *,
    chain_id: int = DEFAULT_CHAIN_ID,
    rpc_port: int = DEFAULT_RPC_PORT,
    password: KeystorePassword | None = None,
    confirmations: int = 1,
    admin_delay: int = DEFAULT_ADMIN_DELAY,
) -> Provisioned:
    """A node with its own chain. `password` encrypts the node's and the sealer's keystores;
    without one, a password is generated into keys/password (the embedded demo)."""
    staging = _staging(home)
    try:
        staged = NodeHome(staging)
        password, generated = _password(staged, password)
        node_key = generate_key()
        write_keystore(staged.node_keystore, node_key, password.secret)
        account: LocalAccount = Account.from_key(node_key.to_bytes())
        node_address = bytes(node_key.public_key.to_canonical_address())
        sealer = generate_key()
        genesis = Genesis(
            chain_id=chain_id,
            authorities=(bytes(sealer.public_key.to_canonical_address()),),
            allowlist=(node_address,),
            timestamp=int(time.time()),
            alloc=((node_address, DEFAULT_FUNDING),),
        )
        init_data_dir(staged.chain_path, genesis, sealer, password.secret)
        with embedded_rpc(staged.chain_path, password) as url:
            contract, block = _deploy(url, account, admin_delay)
            genesis_hash = _genesis_hash(url)
        chain = ChainConfig(
            mode=ChainMode.EMBEDDED,
            rpc_url=f"http://127.0.0.1:{rpc_port}",
            chain_id=chain_id,
            contract=contract,
            writer=account.address,
            deploy_block=block,
            confirmations=confirmations,
        )
        final = _finish(home, staging, config, chain, genesis_hash)
        return Provisioned(final, account.address, generated)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def provision_external(
    home: NodeHome,
    config: NodeConfig,
    *,
    rpc_url: str,
    key_file: Path,
    password: KeystorePassword,
    contract: str | None = None,
    confirmations: int = 1,
    admin_delay: int = DEFAULT_ADMIN_DELAY,
) -> Provisioned:
    """Attach to another network: the operator's account anchors there.

    Requires: `key_file` holds the node's account (a keystore unlocked by `password`),
    funded and allowlisted on that network. With `contract`, that deployment is used and the
    account must already hold its writer role; without, the account deploys one and
    becomes its admin.
    """
    chain_id = endpoint_chain_id(rpc_url, timeout=10.0)
    if chain_id is None:
        raise ChainUnavailable(f"eth_chainId at {rpc_url}", "no JSON-RPC endpoint answers")
    staging = _staging(home)
    try:
        staged = NodeHome(staging)
        staged.keys_path.mkdir(mode=0o700)
        node_key = unlock(key_file, password)
        shutil.copyfile(key_file, staged.node_keystore)
        staged.node_keystore.chmod(0o600)
        account: LocalAccount = Account.from_key(node_key.to_bytes())
        if contract is None:
            contract, block = _deploy(rpc_url, account, admin_delay)
        else:
            anchor = cc.attach(cc.web3_for(rpc_url), contract)
            if not cc.has_role_at(anchor, cc.WRITER_ROLE, account.address, "latest"):
                raise HomeError(
                    f"{account.address} does not hold the writer role of {anchor.address};"
                    " have the contract's admin grant it first"
                )
            contract, block = anchor.address, 0
        chain = ChainConfig(
            mode=ChainMode.EXTERNAL,
            rpc_url=rpc_url,
            chain_id=chain_id,
            contract=contract,
            writer=account.address,
            deploy_block=block,
            confirmations=confirmations,
        )
        final = _finish(home, staging, config, chain, _genesis_hash(rpc_url))
        return Provisioned(final, account.address, False)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
