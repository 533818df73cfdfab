"""`evanchor witness` folders and `witness serve` subprocesses for the end-to-end tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import requests
from e2e_helpers import EVANCHOR, READY_TIMEOUT, cli_env, free_port, wait_until


class WitnessDaemon:
    """A witness folder made by `evanchor witness init` and its `serve` process."""

    def __init__(self, tmp_path: Path, name: str, log_keys: list[str]) -> None:
        self.directory = tmp_path / name.replace("/", "_")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / f"{name.replace('/', '_')}.log"
        self.env = cli_env()
        self.process: subprocess.Popen[bytes] | None = None
        args = ["init", "--name", name, "--listen", f"127.0.0.1:{self.port}"]
        for key in log_keys:
            args += ["--log", key]
        out = self.run(*args)
        self.vkey = out.stdout.split("verifier key: ")[1].split()[0]
        self.name = name

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(EVANCHOR), "witness", "--dir", str(self.directory), *args]
        done = subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=60, check=False
        )
        if ok and done.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {done.returncode}: {done.stderr}")
        return done

    def status(self) -> Any:
        return json.loads(self.run("status", "--json").stdout)

    def start(self) -> None:
        assert self.process is None
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(EVANCHOR), "witness", "--dir", str(self.directory), "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(self._ready, what=f"witness {self.name} to answer", timeout=READY_TIMEOUT)

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"witness exited {self.process.returncode}: {self.log_tail()}")
        try:
            return requests.get(f"{self.url}/status", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def kill9(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        assert self.process.returncode == -signal.SIGKILL
        self.process = None

    def stop(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=30) == 0, self.log_tail()
        self.process = None

    def cleanup(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self.process = None

    def log_tail(self) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-30:])
