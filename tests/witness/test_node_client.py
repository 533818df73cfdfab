"""The node's witness client against a real witness (served on a thread, LevelDB state):
in-order cosigning, catching up after the witness moved on, a witness that holds a larger
log than this one signed (split view), a witness that does not answer."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.note import ED25519, NoteSigner
from evanchor.anchor.witness.config import LogEntry, WitnessConfig, WitnessHome
from evanchor.anchor.witness.server import serve_witness
from evanchor.anchor.witness.state import WitnessState
from evanchor.node.daemon.home import WitnessEndpoint
from evanchor.node.daemon.witnessing import Refusal, StepKind, WitnessClient, seal_and_sign

from samples import prepared

LOG = NoteSigner("evanchor/log-only/0123456789abcdef0123456789abcdef", ED25519, b"\x05" * 32)


class ServedWitness:
    def __init__(self, home: WitnessHome) -> None:
        self.home = home
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        def ready(url: str) -> None:
            self.url = url
            self._ready.set()

        self._loop.run_until_complete(
            serve_witness(self.home, port=0, stop=self._stop, on_ready=ready)
        )
        self._loop.close()

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(30)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[tuple[ServedWitness, str]]:
    home = WitnessHome(tmp_path / "witness")
    config = WitnessConfig(
        name="court.example/witness",
        logs=(LogEntry(origin=LOG.name, keys=(str(LOG.verifier),)),),
    )
    signer = home.initialise(config)
    WitnessState(home.state_path, create=True).close()
    served = ServedWitness(home)
    served.start()
    yield served, str(signer.verifier)
    served.stop()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _store(path: Path, sizes: list[int]) -> LogStore:
    """A log of records appended up to each of `sizes`, then sealed and signed (each seal
    adds its seal leaf, so the checkpoint's size is one more)."""
    store = LogStore(path, create=True)
    for size in sizes:
        store.append([prepared(i) for i in range(store.size, size)])
        seal_and_sign(store, LOG)
    return store


def _run(client: WitnessClient) -> list[StepKind]:
    steps = [client.step()]
    while steps[-1] is StepKind.PROGRESS and len(steps) < 50:
        steps.append(client.step())
    return steps


def test_checkpoints_are_cosigned_in_order(
    tmp_path: Path, witness: tuple[ServedWitness, str]
) -> None:
    served, vkey = witness
    with _store(tmp_path / "log", [3, 6, 9]) as store:
        client = WitnessClient(store, WitnessEndpoint(url=served.url, vkey=vkey), LOG)
        assert _run(client)[-1] is StepKind.IDLE
        assert [list(store.cosignatures(seq)) for seq in range(3)] == [
            ["court.example/witness"]
        ] * 3
        assert client.state["size"] == store.size == 10  # sizes 4, 7, 10 with seal leaves
        assert client.state["refusal"] is None
        client.close()
        again = WitnessClient(store, WitnessEndpoint(url=served.url, vkey=vkey), LOG)
        assert again.state["next_seq"] == 3  # persisted in the store
        again.close()


def test_a_witness_that_moved_on_is_caught_up_with(
    tmp_path: Path, witness: tuple[ServedWitness, str]
) -> None:
    served, vkey = witness
    with _store(tmp_path / "log", [3, 6]) as store:
        note = store.signed_checkpoint(1)
        assert note is not None
        first = requests.post(f"{served.url}/add-checkpoint", data=b"old 0\n\n" + note, timeout=10)
        assert first.status_code == 200
        client = WitnessClient(store, WitnessEndpoint(url=served.url, vkey=vkey), LOG)
        assert _run(client)[-1] is StepKind.IDLE
        assert store.cosignatures(0) == {}  # the witness was past it
        assert list(store.cosignatures(1)) == ["court.example/witness"]
        client.close()


def test_a_witness_holding_a_larger_log_is_a_split_view(
    tmp_path: Path, witness: tuple[ServedWitness, str]
) -> None:
    served, vkey = witness
    with _store(tmp_path / "other", [3, 8]) as other:
        note = other.signed_checkpoint(1)
        assert note is not None
    proofless = b"old 0\n\n" + note
    assert requests.post(f"{served.url}/add-checkpoint", data=proofless, timeout=10).ok
    with _store(tmp_path / "log", [3, 6]) as store:
        client = WitnessClient(store, WitnessEndpoint(url=served.url, vkey=vkey), LOG)
        assert _run(client)[-1] is StepKind.RETRY
        refusal = client.state["refusal"]
        assert (refusal["kind"], refusal["split_view"]) == (Refusal.AHEAD.value, True)
        client.close()


def test_a_witness_that_does_not_answer_is_retried(tmp_path: Path) -> None:
    vkey = "court1.example/witness+8a6a30e7+BPxtZrSVrpBRDOwGBPiLhjRAYdW/kxgBuiAdCVM37bOD"
    endpoint = WitnessEndpoint(url=f"http://127.0.0.1:{_closed_port()}", vkey=vkey)
    with _store(tmp_path / "log", [3]) as store:
        client = WitnessClient(store, endpoint, LOG)
        assert client.step() is StepKind.RETRY
        assert client.step() is StepKind.RETRY
        assert client.state["unreachable_since"] is not None
        assert client.state["refusal"] is None
        assert client.backoff(60.0) == 1.0  # 0.5 s, then doubling
        assert client.backoff(0.7) == 0.7
        client.close()
