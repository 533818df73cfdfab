"""Driving real `evanchor` processes for the end-to-end and crash tests.

Everything here is real: the `evanchor` console script of the project's virtual environment
runs in subprocesses (the node daemon included, so that it can be killed with SIGKILL), the
embedded chain is the node's own py-evm chain, and the external chain is anvil from
contracts/node_modules, started by the tests. The only thing the tests add between a node
and its chain is `TcpProxy`, a plain TCP relay that can be switched off to take the chain
away from the node (an outage as the node sees one) and on again.

Waits are bounded (`wait_until`) and fail with what was awaited and the node's log; nothing
asserts how long anything took.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.log.audit import audit_log
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.log.submission import sign_record
from evanchor.anchor.protocol.signing import SigningDomain, address_of
from evanchor.node.chain.keys import generate_key, load_key
from evanchor.node.daemon.home import NodeHome

# The contract tests' harness starts anvil; put its folder on sys.path for runs of this
# folder alone (pytest adds it only when it collects tests/contracts).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contracts"))
from evm_harness import ANVIL, free_port, require_tool, running_anvil

__all__ = [
    "ANVIL",
    "free_port",
    "require_tool",
    "running_anvil",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples" / "records"
COLLECTION_FILE = EXAMPLES / "collection_case.jsonl"
AUCTION_FILE = EXAMPLES / "auction_lot.jsonl"
COLLECTION_AGENCY = "91310115MA1K3TQ00E"
"""The agency of every record in collection_case.jsonl."""
AUCTION_HOUSE = "91350100M000100Y43"
"""The auction house of every record in auction_lot.jsonl."""

EVANCHOR = Path(sys.executable).with_name("evanchor")
"""The console script installed (editable) in the same environment as this interpreter."""

ANVIL_DEV_KEY = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
"""anvil's first pre-funded development account (mnemonic "test test ... junk", index 0),
printed by anvil at start-up; public knowledge, for test chains only."""

PASSWORD = "e2e keystore password"
CLI_TIMEOUT = 120.0
READY_TIMEOUT = 60.0
ANCHOR_TIMEOUT = 90.0
"""Bounds on waits, far above what the steps take: reaching one means something is stuck."""


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def variant(record: dict[str, Any], tag: str) -> dict[str, Any]:
    """A distinct record (its own record id) of the same kind, agency and case."""
    return {**record, "notes": f"e2e {tag}"}


def wait_until(
    predicate: Callable[[], Any],
    *,
    what: str,
    timeout: float = ANCHOR_TIMEOUT,
    interval: float = 0.1,
    diagnose: Callable[[], str] | None = None,
) -> Any:
    """Polls `predicate` until it returns something truthy and returns that; fails after
    `timeout` seconds naming `what` (and `diagnose()`, e.g. the node's log)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = "" if diagnose is None else f"\n{diagnose()}"
            raise AssertionError(f"gave up waiting {timeout:.0f} s for {what}{detail}")
        time.sleep(interval)


def write_dev_keystore(path: Path, key_hex: str, password_file: Path) -> str:
    """Writes `key_hex` as a Web3 Secret Storage keystore (scrypt, a test work factor)."""
    password = password_file.read_text(encoding="utf-8").splitlines()[0]
    document = Account.encrypt(bytes.fromhex(key_hex), password, kdf="scrypt", iterations=4096)
    path.write_text(json.dumps(document), encoding="utf-8")
    address: str = Account.from_key(bytes.fromhex(key_hex)).address
    return address


# -- the command line --------------------------------------------------------------------


class Cli:
    """Runs `evanchor --home HOME ...` in a subprocess with a test environment."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home = home
        self.env = env

    def run(self, *args: str | Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(EVANCHOR), "--home", str(self.home), *map(str, args)]
        done = subprocess.run(
            command,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
        if ok and done.returncode != 0:
            raise AssertionError(
                f"{' '.join(command[1:])} exited {done.returncode}\n"
                f"stdout: {done.stdout}\nstderr: {done.stderr}"
            )
        return done

    def json(self, *args: str | Path) -> Any:
        return json.loads(self.run(*args).stdout)


INHERITED_NOT = (
    "EVANCHOR_HOME",
    "EVANCHOR_PASSWORD_FILE",
    "EVANCHOR_PASSWORD",
    "EVANCHOR_CHAIN_DIR",
)


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of every `evanchor` subprocess: fast keystores, nothing inherited
    that would point a command at another node folder or password."""
    env = {key: value for key, value in os.environ.items() if key not in INHERITED_NOT}
    env["EVANCHOR_KEYSTORE_SCRYPT_N"] = "4096"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


# -- the node daemon ---------------------------------------------------------------------


class NodeProcess:
    """`evanchor node start` in a subprocess: started, waited for, killed or stopped."""

    def __init__(self, cli: Cli, api_url: str, log_path: Path) -> None:
        self.cli = cli
        self.api_url = api_url
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        assert self.process is None, "the node is already running"
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n--- start {self.starts} ---\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [str(EVANCHOR), "--home", str(self.cli.home), "node", "start"],
                env=self.cli.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(self._ready, what="the node's API to answer", timeout=READY_TIMEOUT)

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(
                f"the node exited with {self.process.returncode}\n{self.log_tail()}"
            )
        try:
            return requests.get(f"{self.api_url}/v1/health", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def kill9(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or closed by the node."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        assert self.process.returncode == -signal.SIGKILL
        self.process = None

    def stop(self) -> None:
        """SIGTERM, the clean way; the node must exit 0."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=60)
        self.process = None
        assert code == 0, f"the node exited with {code}\n{self.log_tail()}"

    def cleanup(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "node log (tail):\n" + "\n".join(text.splitlines()[-lines:])

    # -- the HTTP API --

    def get(self, path: str) -> Any:
        """GET as the operator (the token from the node folder): 200 or the test fails."""
        token = NodeHome(self.cli.home).read_operator_token()
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        response = requests.get(f"{self.api_url}{path}", headers=headers, timeout=30)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def post(self, path: str, body: Any) -> requests.Response:
        return requests.post(f"{self.api_url}{path}", json=body, timeout=60)

    def all_anchored(self, size: int | None = None) -> bool:
        """Every record sealed and every checkpoint anchored (and the log at `size`)."""
        status = self.get("/v1/status")
        log = status["log"]
        return (
            (size is None or log["size"] == size)
            and log["unsealed"] == 0
            and log["checkpoints"] > 0
            and status["anchoring"]["pending_checkpoints"] == []
            and status["anchoring"]["anchored_checkpoints"] == log["checkpoints"]
        )


@dataclass
class Node:
    """A node folder made by `evanchor init`, its CLI and its daemon."""

    home: NodeHome
    cli: Cli
    daemon: NodeProcess
    password_file: Path
    """Unlocks the node's keystore (embedded: the one init generated)."""
    proxy: TcpProxy | None = None
    """External mode through a `TcpProxy`: switch it off to take the chain away."""

    @property
    def config(self) -> Any:
        return self.home.config()

    @property
    def chain(self) -> Any:
        chain = self.config.chain
        assert chain is not None
        return chain

    def domain(self) -> SigningDomain:
        return SigningDomain(self.chain.chain_id, self.chain.contract)

    def account(self) -> LocalAccount:
        """The node's anchoring account (also the contract's admin)."""
        key = load_key(self.home.node_keystore, self.password_file)
        account: LocalAccount = Account.from_key(key.to_bytes())
        return account

    def contract(self) -> cc.AnchorContract:
        """EvidenceAnchor through the chain's JSON-RPC (embedded: the running node's)."""
        return cc.attach(cc.web3_for(self.chain.rpc_url), self.chain.contract)


MakeNode = Callable[..., Node]
"""The `make_node` fixture: (name, *init args, proxy=False) -> a node folder."""


def init_node(
    tmp_path: Path,
    name: str,
    *init_args: str,
    rpc: str | None = None,
    key_file: Path | None = None,
    home_parent: Path | None = None,
) -> Node:
    """`evanchor init` on free ports; with `rpc`, external mode with `key_file`. The node
    folder is made in `home_parent` (default `tmp_path`); the daemon's log stays in
    `tmp_path` (a test that fills the node's disk still reads the node's log)."""
    home = (home_parent or tmp_path) / name
    password_file = tmp_path / f"{name}.password"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    api_port = free_port()
    args: list[str] = ["init", "--api-port", str(api_port), *init_args]
    if rpc is None:
        env = cli_env()
        args += ["--rpc-port", str(free_port())]
    else:
        assert key_file is not None
        env = cli_env(EVANCHOR_PASSWORD_FILE=str(password_file))
        args += ["--rpc", rpc, "--key-file", str(key_file), "--password-file", str(password_file)]
    cli = Cli(home, env)
    cli.run(*args)
    node_home = NodeHome(home)
    if rpc is None:
        password_file = node_home.generated_password
    daemon = NodeProcess(cli, f"http://127.0.0.1:{api_port}", tmp_path / f"{name}.log")
    return Node(node_home, cli, daemon, password_file)


@dataclass(frozen=True)
class Agency:
    address: str
    key: bytes
    keystore: Path | None
    """Written by `agency new`; None for a key registered through the library."""
    password_file: Path | None
    code: str

    def sign(self, node: Node, record: dict[str, Any]) -> dict[str, Any]:
        return sign_record(record, self.key, node.domain().separator)


def new_agency(node: Node, tmp_path: Path, name: str, code: str, *, grant: bool = True) -> Agency:
    """`evanchor agency new` (and `agency grant` with the agency's credit code)."""
    keystore = tmp_path / f"{name}.keystore.json"
    password_file = tmp_path / f"{name}.password"
    password_file.write_text(f"{name} password\n", encoding="utf-8")
    made = node.cli.json(
        "agency", "new", "-o", keystore, "--password-file", password_file, "--json"
    )
    if grant:
        out = node.cli.run("agency", "grant", made["address"], "--code", code).stdout
        assert f"for agency {code}" in out, out
    key = load_key(keystore, password_file).to_bytes()
    return Agency(made["address"], key, keystore, password_file, code)


def register_agency_directly(node: Node, code: str) -> Agency:
    """An agency key registered by the contract's admin through the library, not the CLI
    (for tests whose subject is not the agency commands: a command costs seconds)."""
    key = generate_key().to_bytes()
    address = address_of(key)
    cc.register_agency(node.contract(), node.account(), address, code)
    return Agency(address, key, None, None, code)


# -- the chain ---------------------------------------------------------------------------


def chain_checkpoints(anchor: cc.AnchorContract, writer: str) -> list[tuple[int, bytes]]:
    """(size, root) of every checkpoint of `writer` on chain, in order."""
    count = cc.checkpoint_count(anchor, writer)
    return [
        (stored.size, stored.root)
        for stored in (cc.checkpoint_at(anchor, writer, index) for index in range(count))
    ]


class TcpProxy:
    """A TCP relay from a free 127.0.0.1 port to `upstream_port`, switchable on and off.

    Off, the port is closed (connections are refused) and every relayed connection is cut:
    to a client this is the chain going away. On again, the same port is bound.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._running = threading.Event()
        self._acceptor: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> None:
        assert self._listener is None
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.05)
        self._running.set()
        self._acceptor = threading.Thread(target=self._accept, args=(self._listener,), daemon=True)
        self._acceptor.start()

    def down(self) -> None:
        self._running.clear()
        if self._acceptor is not None:
            self._acceptor.join(10)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while self._running.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                self._sockets |= {client, upstream}
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                target.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def anvil_with_dev_keystore(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """anvil on a free port (stopped on exit) and a keystore of its first dev account."""
    password_file = tmp_path / "dev.password"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    keystore = tmp_path / "dev.keystore.json"
    address = write_dev_keystore(keystore, ANVIL_DEV_KEY, password_file)
    with running_anvil() as url:
        balance = cc.web3_for(url).eth.get_balance(address)
        assert balance > 0, f"{address} is not funded on anvil: not its first dev account?"
        yield url, keystore


ANCHOR_SELECTOR = bytes.fromhex("9e1515d2")
"""`anchor(uint64,bytes32,bytes32[])` (docs/CONTRACT.md)."""


def anchor_transactions(anchor: cc.AnchorContract, writer: str, from_block: int) -> list[Any]:
    """Every `anchor` transaction `writer` got mined from `from_block` on, with its receipt
    status, read block by block: reverted attempts count as well as successful ones."""
    w3 = anchor.w3
    found = []
    for number in range(from_block, int(w3.eth.block_number) + 1):
        block = w3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            if (
                tx["from"] == writer
                and tx["to"] == anchor.address
                and bytes(tx["input"])[:4] == ANCHOR_SELECTOR
            ):
                status = w3.eth.get_transaction_receipt(tx["hash"])["status"]
                found.append((bytes(tx["hash"]).hex(), int(status)))
    return found


def check_anchored_exactly_once(node: Node, receipts: list[dict[str, Any]]) -> int:
    """With the node running and idle: every local checkpoint is on chain exactly once, in
    order, with its own (size, root); every anchor transaction succeeded (none was sent
    twice); then, with the node stopped, every acknowledged receipt is in the log at its
    index and the log audits clean. Returns the number of checkpoints."""
    daemon = node.daemon
    anchor, writer = node.contract(), node.chain.writer
    local = daemon.get("/v1/checkpoints")
    assert [c["seq"] for c in local] == list(range(len(local)))
    assert chain_checkpoints(anchor, writer) == [
        (c["size"], bytes.fromhex(c["root"])) for c in local
    ]
    events = cc.anchor_events(anchor, writer=writer, from_block=node.chain.deploy_block)
    assert [(e.index, e.size, e.root.hex()) for e in events] == [
        (c["seq"], c["size"], c["root"]) for c in local
    ]
    transactions = anchor_transactions(anchor, writer, node.chain.deploy_block)
    assert transactions == [(c["anchor"]["tx_hash"], 1) for c in local]
    for checkpoint in local:
        state = checkpoint["anchor"]
        assert state["status"] == "confirmed", checkpoint
        assert state["checkpoint_index"] == checkpoint["seq"]
    daemon.stop()
    with LogStore(node.home.log_path) as store:
        for receipt in receipts:
            index = store.index_of(bytes.fromhex(receipt["record_id"]))
            assert index == receipt["index"], receipt
            assert store.leaf_hash(index).hex() == receipt["leaf_hash"], receipt
        assert store.checkpoint_count == len(local)
        report = audit_log(store)
        assert report.ok, [str(d) for d in report.discrepancies]
    return len(local)


CHAINS = ["embedded", "anvil"]


@contextlib.contextmanager
def node_factory(chain_kind: str, tmp_path: Path) -> Iterator[MakeNode]:
    """Makes node folders with `evanchor init` on `chain_kind`: "embedded", or "anvil":
    external, on an anvil started here (its first dev account is the node's account),
    optionally through a `TcpProxy` the test can switch off. Every daemon is killed, and
    anvil stopped, on exit. (A fixture in each test module wraps this: a conftest.py in
    this folder would shadow the suite's root conftest module.)"""
    made: list[Node] = []
    with contextlib.ExitStack() as stack:

        def make(name: str, *init_args: str, proxy: bool = False) -> Node:
            if chain_kind == "embedded":
                node = init_node(tmp_path, name, *init_args)
            else:
                url, keystore = stack.enter_context(anvil_with_dev_keystore(tmp_path))
                relay = None
                if proxy:
                    relay = TcpProxy(int(url.rsplit(":", 1)[1]))
                    relay.up()
                    stack.callback(relay.down)
                    url = relay.url
                node = init_node(tmp_path, name, *init_args, rpc=url, key_file=keystore)
                node.proxy = relay
            made.append(node)
            return node

        try:
            yield make
        finally:
            for node in made:
                node.daemon.cleanup()
