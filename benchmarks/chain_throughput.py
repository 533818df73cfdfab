"""Anchors per second through JSON-RPC: the embedded chain against anvil, in one run.

Both nodes run on 127.0.0.1 as subprocesses: the embedded node as `evanchor chain run`
(py-evm, Clique, LevelDB, period 0: a block as soon as transactions are pending) and
anvil (automine: one block per transaction). On each, the same client code deploys
`EvidenceAnchor`, grants the writer role, and then times:

1. pipelined anchors: K `anchor(size, root, consistencyProof)` transactions of one writer,
   signed up front (sizes 1, 2, …, each with a real RFC 9162 consistency proof from the
   previous checkpoint), sent back to back with `eth_sendRawTransaction` over one HTTP
   connection; timed from the first send to the last receipt. The target figure.
2. one-at-a-time anchors: send one, poll for its receipt, send the next — what a client
   that waits for each anchor sees (latency bound).
3. RPC round trip: N sequential `eth_blockNumber` calls, p50 and p99.

Each phase runs `--repeat` rounds (3), alternating between the nodes; the table gives
min / median / max of each figure and of the per-round ratio embedded/anvil. Then both
chains grow past 10,000 blocks (`--grow-to`, 10,200) and 1-3 run again, so the growth cost shows. By
default they grow with real anchors, one per block (each chain thus holds thousands of
checkpoints in the contract's storage); `--grow-with empty` uses empty blocks instead
(on the embedded node the operator's `evanchor chain seal --count N` with the node stopped,
as sealing is not offered over JSON-RPC; `anvil_mine` on anvil), which is quicker.
Every anchor's success is checked (`checkpointCount` equals the number sent).

    python benchmarks/chain_throughput.py            # K = 400 pipelined, 100 one-at-a-time
    python benchmarks/chain_throughput.py --load-core  # the same with a core kept busy
    python benchmarks/chain_throughput.py --quick    # K = 60 / 20, grow to 600 blocks
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_keys.datatypes import PrivateKey
from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware

from evanchor.anchor.protocol.merkle import consistency_proof, leaf_hash, root_hash
from evanchor.contracts.artifacts import load_artifact
from evanchor.node.chain.datadir import init_data_dir
from evanchor.node.chain.genesis import Genesis

from benchkit import loaded_core, machine_facts

REPO = Path(__file__).resolve().parents[1]
CHAIN_ID = 31337
GWEI = 10**9
ANCHOR_GAS = 400_000  # above the measured cost of the longest proof used here
MAX_FEE = 1000 * GWEI
TIP = GWEI
SEALER = PrivateKey(b"\x51" * 32)
OPERATOR: LocalAccount = Account.from_key(b"\x52" * 32)
WRITER: LocalAccount = Account.from_key(b"\x53" * 32)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tool(name: str) -> str:
    found = shutil.which(name) or str(REPO / "contracts" / "node_modules" / ".bin" / name)
    if not os.access(found, os.X_OK):
        sys.exit(f"{name} not found: run `npm ci` in contracts/")
    return found


@dataclass
class Node:
    name: str
    url: str
    process: subprocess.Popen[str]

    def rpc(self, method: str, *params: Any) -> Any:
        body = SESSION.post(
            self.url,
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)},
            timeout=60,
        ).json()
        if "error" in body:
            raise RuntimeError(f"{self.name} {method}: {body['error']}")
        return body["result"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()


SESSION = requests.Session()


def embedded_data_dir(workdir: Path) -> Path:
    return workdir / "embedded"


def start_embedded(workdir: Path) -> Node:
    data_dir = embedded_data_dir(workdir)
    sealer = bytes(SEALER.public_key.to_canonical_address())
    accounts = tuple(bytes.fromhex(a.address[2:]) for a in (OPERATOR, WRITER))
    genesis = Genesis(
        chain_id=CHAIN_ID,
        authorities=(sealer,),
        allowlist=accounts,
        timestamp=int(time.time()) - 10,
        alloc=tuple((a, 10**24) for a in accounts),
    )
    init_data_dir(data_dir, genesis, SEALER)
    return run_embedded(data_dir)


def run_embedded(data_dir: Path) -> Node:
    command = [
        sys.executable,
        "-m",
        "evanchor.cli.chain_commands",
        "--data-dir",
        str(data_dir),
        "run",
        "--port",
        "0",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if select.select([process.stdout], [], [], 0.5)[0]:
            line = process.stdout.readline()
            if line.startswith("JSON-RPC listening on "):
                return Node("embedded", line.split()[3], process)
    process.kill()
    sys.exit("the embedded node did not start")


def start_anvil() -> Node:
    port = free_port()
    command = [
        tool("anvil"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--chain-id",
        str(CHAIN_ID),
        "--silent",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    node = Node("anvil", f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            node.rpc("eth_chainId")
        except requests.RequestException:
            time.sleep(0.1)
            continue
        for account in (OPERATOR, WRITER):
            node.rpc("anvil_setBalance", account.address, hex(10**24))
        return node
    sys.exit("anvil did not start")


def deploy(node: Node) -> str:
    w3 = Web3(Web3.HTTPProvider(node.url))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    artifact = load_artifact("EvidenceAnchor")
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)

    def send(call: Any) -> Any:
        tx = call.build_transaction(
            {
                "from": OPERATOR.address,
                "nonce": w3.eth.get_transaction_count(OPERATOR.address, "pending"),
            }
        )
        tx_hash = w3.eth.send_raw_transaction(OPERATOR.sign_transaction(tx).raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.01)
        assert receipt["status"] == 1
        return receipt

    address = send(factory.constructor(0, OPERATOR.address))["contractAddress"]
    contract = w3.eth.contract(address=address, abi=artifact.abi)
    send(contract.functions.grantRole(contract.functions.WRITER_ROLE().call(), WRITER.address))
    return str(address)


class AnchorFeed:
    """Signed anchor transactions of one writer: checkpoint sizes 1, 2, 3, … with proofs."""

    def __init__(self, node: Node, contract: str) -> None:
        artifact = load_artifact("EvidenceAnchor")
        self.contract = Web3().eth.contract(
            address=Web3.to_checksum_address(contract), abi=artifact.abi
        )
        self.size = 0
        self.leaves: list[bytes] = []
        self.nonce = int(node.rpc("eth_getTransactionCount", WRITER.address, "pending"), 16)

    def next_raw(self) -> bytes:
        old = self.size
        self.size += 1
        self.leaves.append(leaf_hash(f"bench-record-{self.size}".encode()))
        proof = consistency_proof(self.leaves, old) if old else []
        data = self.contract.encode_abi("anchor", [self.size, root_hash(self.leaves), proof])
        tx = {
            "type": 2, "chainId": CHAIN_ID, "nonce": self.nonce, "to": self.contract.address,
            "value": 0, "data": data, "gas": ANCHOR_GAS, "maxFeePerGas": MAX_FEE,
            "maxPriorityFeePerGas": TIP,
        }  # fmt: skip
        self.nonce += 1
        return bytes(WRITER.sign_transaction(tx).raw_transaction)


def wait_receipt(node: Node, tx_hash: str) -> dict[str, Any]:
    while True:
        receipt = node.rpc("eth_getTransactionReceipt", tx_hash)
        if receipt is not None:
            if receipt["status"] != "0x1":
                raise RuntimeError(f"{node.name}: anchor {tx_hash} failed")
            return dict(receipt)
        time.sleep(0.002)


def pipelined(node: Node, feed: AnchorFeed, count: int) -> float:
    raws = [feed.next_raw() for _ in range(count)]
    started = time.perf_counter()
    hashes = [node.rpc("eth_sendRawTransaction", "0x" + raw.hex()) for raw in raws]
    wait_receipt(node, hashes[-1])
    return count / (time.perf_counter() - started)


def one_at_a_time(node: Node, feed: AnchorFeed, count: int) -> float:
    raws = [feed.next_raw() for _ in range(count)]
    started = time.perf_counter()
    for raw in raws:
        wait_receipt(node, node.rpc("eth_sendRawTransaction", "0x" + raw.hex()))
    return count / (time.perf_counter() - started)


def latency(node: Node, calls: int) -> tuple[float, float]:
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        node.rpc("eth_blockNumber")
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def checkpoint_count(node: Node, feed: AnchorFeed) -> int:
    data = feed.contract.encode_abi("checkpointCount", [WRITER.address])
    return int(node.rpc("eth_call", {"to": feed.contract.address, "data": data}, "latest"), 16)


def grow_with_anchors(node: Node, feed: AnchorFeed, target: int) -> float:
    """Anchor one at a time (one block each on both nodes) until the chain reaches `target`;
    return the seconds it took."""
    started = time.perf_counter()
    height = int(node.rpc("eth_blockNumber"), 16)
    while height < target:
        receipt = wait_receipt(
            node, node.rpc("eth_sendRawTransaction", "0x" + feed.next_raw().hex())
        )
        height = int(receipt["blockNumber"], 16)
    return time.perf_counter() - started


def grow_with_empty_blocks(node: Node, target: int, workdir: Path) -> float:
    """Empty blocks up to `target`; return the seconds. Embedded: stop the node, seal with
    the operator command `chain seal --count`, start it again (on a new port, `node` is
    updated); anvil: `anvil_mine`."""
    started = time.perf_counter()
    height = int(node.rpc("eth_blockNumber"), 16)
    if node.name == "anvil":
        # In steps: one anvil_mine of 10,000 blocks outlasts the client's 60 s read timeout.
        while height < target:
            node.rpc("anvil_mine", hex(min(500, target - height)))
            height = int(node.rpc("eth_blockNumber"), 16)
        return time.perf_counter() - started
    node.stop()
    data_dir = embedded_data_dir(workdir)
    if target > height:
        seal = ["seal", "--count", str(target - height)]
        subprocess.run(
            [
                sys.executable,
                "-m",
                "evanchor.cli.chain_commands",
                "--data-dir",
                str(data_dir),
                *seal,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    restarted = run_embedded(data_dir)
    node.url, node.process = restarted.url, restarted.process
    return time.perf_counter() - started


def grow(node: Node, feed: AnchorFeed, args: argparse.Namespace, workdir: Path) -> float:
    if args.grow_with == "anchors":
        return grow_with_anchors(node, feed, args.grow_to)
    return grow_with_empty_blocks(node, args.grow_to, workdir)


def measure(node: Node, feed: AnchorFeed, args: argparse.Namespace) -> dict[str, float]:
    before = checkpoint_count(node, feed)
    result = {
        "pipelined_anchors_per_s": pipelined(node, feed, args.anchors),
        "one_at_a_time_anchors_per_s": one_at_a_time(node, feed, args.sequential),
    }
    p50, p99 = latency(node, args.latency_calls)
    result |= {"rpc_p50_ms": p50, "rpc_p99_ms": p99}
    sent = args.anchors + args.sequential
    if checkpoint_count(node, feed) - before != sent:
        raise RuntimeError(f"{node.name}: not every anchor landed")
    result["blocks"] = int(node.rpc("eth_blockNumber"), 16)
    return result


def _spread(values: list[float]) -> str:
    return " / ".join(f"{x:.2f}" for x in (min(values), statistics.median(values), max(values)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--anchors", type=int, default=400, help="pipelined anchors per round")
    parser.add_argument(
        "--sequential", type=int, default=100, help="one-at-a-time anchors per round"
    )
    parser.add_argument("--latency-calls", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds per phase (min-median-max)")
    parser.add_argument(
        "--grow-to", type=int, default=10_200, help="chain height before the second phase"
    )
    parser.add_argument(
        "--grow-with",
        choices=["anchors", "empty"],
        default="anchors",
        help="grow with one anchor per block (default) or with empty blocks (faster)",
    )
    parser.add_argument(
        "--load-core", action="store_true", help="another process keeps a core busy throughout"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.quick:
        args.anchors, args.sequential, args.latency_calls, args.grow_to = 60, 20, 200, 600
    for line in machine_facts():
        print(line)
    results: dict[str, dict[str, list[dict[str, float]]]] = {}
    with (
        loaded_core(args.load_core) as load,
        tempfile.TemporaryDirectory(prefix="evanchor-bench-") as workdir,
    ):
        nodes = [start_embedded(Path(workdir)), start_anvil()]
        try:
            feeds = {node.name: AnchorFeed(node, deploy(node)) for node in nodes}
            for phase in ("fresh", f"past {args.grow_to} blocks"):
                grown: dict[str, float] = {}
                if phase != "fresh":
                    grown = {
                        node.name: grow(node, feeds[node.name], args, Path(workdir))
                        for node in nodes
                    }
                # Rounds alternate between the nodes, so a change in the machine's load
                # weighs on both alike.
                rounds: dict[str, list[dict[str, float]]] = {node.name: [] for node in nodes}
                for _ in range(args.repeat):
                    for node in nodes:
                        rounds[node.name].append(measure(node, feeds[node.name], args))
                for name, seconds in grown.items():
                    rounds[name][0]["growth_seconds"] = seconds
                results[phase] = rounds
        finally:
            for node in nodes:
                node.stop()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"{load}; K = {args.anchors} pipelined, {args.sequential} one-at-a-time anchors per"
        f" round, {args.repeat} rounds per phase (alternating); {args.latency_calls}"
        " eth_blockNumber calls"
    )
    for phase, by_node in results.items():
        embedded, anvil = by_node["embedded"], by_node["anvil"]
        heights = (
            f"embedded at block {embedded[-1]['blocks']:.0f}, anvil at {anvil[-1]['blocks']:.0f}"
        )
        print(f"\n{phase} ({heights})")
        if "growth_seconds" in embedded[0]:
            print(
                f"grown with {args.grow_with} in {embedded[0]['growth_seconds']:.0f} s (embedded), "
                f"{anvil[0]['growth_seconds']:.0f} s (anvil)"
            )
        print(
            f"{'min / median / max':32}{'embedded':>24}{'anvil':>24}"
            f"{'embedded/anvil per round':>28}"
        )
        for key, label in (
            ("pipelined_anchors_per_s", "anchors/s, pipelined"),
            ("one_at_a_time_anchors_per_s", "anchors/s, one at a time"),
            ("rpc_p50_ms", "eth_blockNumber p50, ms"),
            ("rpc_p99_ms", "eth_blockNumber p99, ms"),
        ):
            ours = [r[key] for r in embedded]
            theirs = [r[key] for r in anvil]
            ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
            print(f"{label:32}{_spread(ours):>24}{_spread(theirs):>24}{_spread(ratios):>28}")


if __name__ == "__main__":
    main()
