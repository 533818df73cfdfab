"""The embedded chain's JSON-RPC under hostile requests: how fast each is refused or bounded,
and how the endpoint answers everyone else meanwhile.

One `evanchor chain run` (a subprocess on 127.0.0.1, default limits) on a fresh chain grown
to `--blocks` empty blocks with the operator's `chain seal`, with an infinite-loop contract
(JUMPDEST PUSH1 0 JUMP) deployed. Each attack runs while a second client sends
`eth_blockNumber` back to back; the table gives the attack's answer time and that client's
latencies during it, next to its latencies on the idle endpoint (the reference):

1. `eth_call` of the loop with gas 2**63 (lowered to the block gas limit, stopped by the
   2 s execution limit);
2. `eth_estimateGas` of the same;
3. a batch of 1,000 full-range `eth_getLogs` (held to the body's work budget);
4. a body nested 100,000 deep (refused before parsing; it used to kill the process).

During attack 1 a transaction is also sent; its receipt time shows the sealer kept going.

    python benchmarks/rpc_limits.py            # 2,000 blocks
    python benchmarks/rpc_limits.py --quick    # 200 blocks
"""

from __future__ import annotations

import argparse
import json
import select
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from eth_account import Account
from eth_keys.datatypes import PrivateKey

from evanchor.node.chain.datadir import init_data_dir
from evanchor.node.chain.genesis import Genesis

from benchkit import machine_facts, print_table, report_targets

CHAIN_ID = 4243
SEALER = PrivateKey(b"\x61" * 32)
OPERATOR = Account.from_key(b"\x62" * 32)
INFINITE_LOOP = bytes.fromhex("5b600056")
GWEI = 10**9


def init_code(runtime: bytes) -> bytes:
    n = len(runtime)
    return bytes([0x60, n, 0x60, 12, 0x60, 0, 0x39, 0x60, n, 0x60, 0, 0xF3]) + runtime


def chain_command(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "evanchor.cli.chain_commands", "--data-dir", str(data_dir), *args]


def start(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        chain_command(data_dir, "run", "--port", "0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if select.select([process.stdout], [], [], 0.5)[0]:
            line = process.stdout.readline()
            if line.startswith("JSON-RPC listening on "):
                return process, line.split()[3]
    process.kill()
    sys.exit("the node did not start")


def post(session: requests.Session, url: str, body: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    response = session.post(url, json=body, timeout=120)
    return time.perf_counter() - started, response.json()


def request(method: str, *params: Any, identifier: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": identifier, "method": method, "params": list(params)}


def rpc(url: str, method: str, *params: Any) -> Any:
    _, body = post(requests.Session(), url, request(method, *params))
    if "error" in body:
        raise RuntimeError(f"{method}: {body['error']}")
    return body["result"]


class Prober:
    """`eth_blockNumber` back to back on its own connection until stopped."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        session = requests.Session()
        while not self._stop.is_set():
            seconds, body = post(session, self.url, request("eth_blockNumber"))
            assert "result" in body, body
            self.latencies.append(seconds)

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 2 else values[0]


def attack(url: str, body: Any, raw: bytes | None = None) -> tuple[float, Any, list[float]]:
    """Send `body` (or the `raw` bytes) while a prober runs; (seconds, answer, latencies)."""
    with Prober(url) as prober:
        time.sleep(0.2)  # the prober is under way
        started = time.perf_counter()
        if raw is None:
            answer = requests.post(url, json=body, timeout=120).json()
        else:
            answer = requests.post(
                url, data=raw, headers={"Content-Type": "application/json"}, timeout=120
            ).json()
        seconds = time.perf_counter() - started
        time.sleep(0.2)
    return seconds, answer, prober.latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=2000, help="empty blocks to grow first")
    parser.add_argument("--quick", action="store_true", help="200 blocks (a smoke run)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    blocks = 200 if args.quick else args.blocks
    operator = bytes.fromhex(OPERATOR.address[2:])
    with tempfile.TemporaryDirectory(prefix="evanchor-rpc-limits-") as workdir:
        data_dir = Path(workdir) / "chain"
        genesis = Genesis(
            chain_id=CHAIN_ID,
            authorities=(bytes(SEALER.public_key.to_canonical_address()),),
            allowlist=(operator,),
            timestamp=int(time.time()) - 10,
            alloc=((operator, 10**24),),
        )
        init_data_dir(data_dir, genesis, SEALER)
        subprocess.run(
            chain_command(data_dir, "seal", "--count", str(blocks)),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        process, url = start(data_dir)
        try:
            figures = run_attacks(url)
        finally:
            process.terminate()
            process.wait(30)
            assert process.stdout is not None
            process.stdout.close()
    figures["blocks"] = blocks
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for line in machine_facts():
        print(line)
    print(f"chain of {blocks} empty blocks; default RpcLimits\n")
    idle = figures["idle_latencies"]
    rows = [["idle endpoint (reference)", "-", "-", ms(statistics.median(idle)), ms(p99(idle))]]
    for name in ("eth_call", "eth_estimateGas", "getLogs batch", "nested 100,000"):
        item = figures[name]
        rows.append(
            [
                name,
                f"{item['seconds']:.2f}",
                item["answer"],
                ms(statistics.median(item["latencies"])),
                ms(max(item["latencies"])),
            ]
        )
    print_table(["attack", "answered, s", "answer", "blockNumber p50 ms", "max ms"], rows)
    print(
        f"\nreceipt of a transaction sent during the eth_call: {figures['receipt_seconds']:.2f} s"
    )
    call = figures["eth_call"]
    batch = figures["getLogs batch"]
    ok = report_targets(
        [
            (
                call["seconds"] < 3.0,
                f"eth_call of an infinite loop answered in {call['seconds']:.2f} s < 3 s",
            ),
            (
                max(call["latencies"]) < 0.5,
                f"eth_blockNumber during it at most {ms(max(call['latencies']))} ms < 500 ms",
            ),
            (
                figures["receipt_seconds"] < call["seconds"],
                "a transaction sent during the call is sealed before the call ends",
            ),
            (
                batch["seconds"] < 10.0,
                f"1,000 full-range getLogs answered in {batch['seconds']:.2f} s < 10 s",
            ),
        ]
    )
    sys.exit(0 if ok else 1)


def run_attacks(url: str) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    nonce = int(rpc(url, "eth_getTransactionCount", OPERATOR.address, "pending"), 16)
    deploy = OPERATOR.sign_transaction(
        {"type": 2, "chainId": CHAIN_ID, "nonce": nonce, "value": 0, "gas": 200_000,
         "maxFeePerGas": 100 * GWEI, "maxPriorityFeePerGas": GWEI, "data": init_code(INFINITE_LOOP)}
    )  # fmt: skip
    tx_hash = rpc(url, "eth_sendRawTransaction", "0x" + bytes(deploy.raw_transaction).hex())
    receipt = wait_receipt(url, tx_hash)
    loop = receipt["contractAddress"]

    with Prober(url) as prober:
        time.sleep(2.0)
    figures["idle_latencies"] = prober.latencies

    transfer = OPERATOR.sign_transaction(
        {"type": 2, "chainId": CHAIN_ID, "nonce": nonce + 1, "value": 1, "gas": 21_000,
         "to": "0x" + "99" * 20, "maxFeePerGas": 100 * GWEI, "maxPriorityFeePerGas": GWEI}
    )  # fmt: skip
    receipt_seconds: list[float] = []

    def send_during_call() -> None:
        time.sleep(0.5)
        started = time.perf_counter()
        sent = rpc(url, "eth_sendRawTransaction", "0x" + bytes(transfer.raw_transaction).hex())
        wait_receipt(url, sent)
        receipt_seconds.append(time.perf_counter() - started + 0.5)

    sender = threading.Thread(target=send_during_call)
    sender.start()
    figures["eth_call"] = summary(
        attack(url, request("eth_call", {"to": loop, "gas": hex(2**63)}, "latest")),
        lambda answer: answer["error"]["message"],
    )
    sender.join()
    figures["receipt_seconds"] = receipt_seconds[0]
    figures["eth_estimateGas"] = summary(
        attack(url, request("eth_estimateGas", {"to": loop, "gas": hex(2**63)}, "latest")),
        lambda answer: answer["error"]["message"],
    )
    batch = [
        request("eth_getLogs", {"fromBlock": "earliest", "toBlock": "latest"}, identifier=i)
        for i in range(1000)
    ]
    figures["getLogs batch"] = summary(
        attack(url, batch),
        lambda answer: (
            f"{sum('result' in r for r in answer)} answered, "
            f"{sum('error' in r for r in answer)} refused"
        ),
    )
    figures["nested 100,000"] = summary(
        attack(url, None, b"[" * 100_000 + b"]" * 100_000),
        lambda answer: answer["error"]["message"],
    )
    return figures


def summary(
    measured: tuple[float, Any, list[float]], describe: Callable[[Any], str]
) -> dict[str, Any]:
    seconds, answer, latencies = measured
    return {"seconds": seconds, "answer": describe(answer), "latencies": latencies}


def wait_receipt(url: str, tx_hash: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = rpc(url, "eth_getTransactionReceipt", tx_hash)
        if found is not None:
            return dict(found)
        time.sleep(0.01)
    raise RuntimeError(f"no receipt for {tx_hash}")


if __name__ == "__main__":
    main()
