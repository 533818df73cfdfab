"""Progress on stderr (cli/progress.py): on a terminal, or with --progress; never on stdout,
nothing on a pipe by default, nothing with --no-progress.

The display is held to known lines with a test clock; the commands through click's
CliRunner (whose stderr is not a terminal, like a pipe): `submit` to a log, `submit` to a
running node (sending, committing), `audit` (chain export and replay), `chain replay`.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from evanchor.cli.main import cli
from evanchor.cli.progress import PIPE_INTERVAL, Progress, wanted

from samples import numbered_record

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audit"))
from audit_helpers import collector_batch, running_node


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_on_a_pipe_full_lines_at_the_start_every_interval_and_the_end() -> None:
    stream, clock = io.StringIO(), Clock()
    shown = Progress("sending", 1000, enabled=True, stream=stream, clock=clock)
    clock.now += 2
    shown.advance(200)
    clock.now += 1
    shown.advance(100)  # within PIPE_INTERVAL of the last line: not shown
    clock.now += PIPE_INTERVAL
    shown.advance(100)
    clock.now += 1
    shown.advance(600)
    shown.finish()
    assert stream.getvalue().splitlines() == [
        "sending: 0/1,000 records (0%)",
        "sending: 200/1,000 records (20%), 100 records/s, about 8.0 s left",
        "sending: 400/1,000 records (40%), 50 records/s, about 12 s left",
        "sending: 1,000 records in 9.0 s, 111 records/s",
    ]


def test_on_a_terminal_one_line_redrawn_in_place() -> None:
    stream, clock = Terminal(), Clock()
    shown = Progress("reading", 4_000_000, unit="bytes", enabled=True, stream=stream, clock=clock)
    clock.now += 1
    shown.advance(1_000_000)
    clock.now += 1
    shown.advance(3_000_000)
    shown.finish()
    text = stream.getvalue()
    assert text.count("\n") == 1
    assert text.startswith(
        "\rreading: 0.0/4.0 MB (0%)\x1b[K\rreading: 1.0/4.0 MB (25%), 1.0 MB/s, about 3.0 s left"
    )
    assert text.endswith("\rreading: 4.0 MB in 2.0 s, 2.0 MB/s\x1b[K\n")


def test_disabled_it_writes_nothing_and_unknown_totals_have_no_estimate() -> None:
    stream = io.StringIO()
    quiet = Progress("x", 10, enabled=False, stream=stream)
    quiet.advance(10)
    quiet.finish()
    assert stream.getvalue() == ""
    clock = Clock()
    blocks = Progress("replaying", None, unit="blocks", enabled=True, stream=stream, clock=clock)
    clock.now += 10
    blocks.advance(50)
    blocks.finish()
    assert stream.getvalue().splitlines() == [
        "replaying: 0 blocks",
        "replaying: 50 blocks, 5 blocks/s",
        "replaying: 50 blocks in 10 s, 5 blocks/s",
    ]


def test_wanted_follows_the_flag_else_whether_stderr_is_a_terminal() -> None:
    assert wanted(None, io.StringIO()) is False
    assert wanted(None, Terminal()) is True
    assert wanted(True, io.StringIO()) is True
    assert wanted(False, Terminal()) is False


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args])


def jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_submit_to_a_log_shows_progress_only_when_asked(tmp_path: Path) -> None:
    home = tmp_path / "node"
    assert run(home, "init", "--log-only").exit_code == 0
    quiet = run(home, "submit", str(jsonl(tmp_path / "a.jsonl", [numbered_record(1)])), "--json")
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == ""
    records = [numbered_record(n) for n in range(2, 30)]
    shown = run(home, "submit", str(jsonl(tmp_path / "b.jsonl", records)), "--json", "--progress")
    assert shown.exit_code == 0, shown.output
    lines = shown.stderr.splitlines()
    assert any(line.startswith("reading: ") and " MB in " in line for line in lines), lines
    assert "appending: 0/28 records (0%)" in lines
    assert any(line.startswith("appending: 28 records in ") for line in lines), lines
    assert len(json.loads(shown.stdout)["receipts"]) == 28  # stdout is the receipts alone
    none = run(
        home, "submit", str(jsonl(tmp_path / "c.jsonl", [numbered_record(99)])), "--no-progress"
    )
    assert none.exit_code == 0
    assert none.stderr == ""


def test_submit_to_a_node_and_audit_show_progress_only_when_asked(
    anchored_node: Any, tmp_path: Path
) -> None:
    built = anchored_node
    batch = collector_batch(tmp_path, 12, case="C-2026-PROGRESS")
    key = ["--key", str(built.collector.keystore), "--key-password-file", str(built.password)]
    with running_node(built.home) as api:
        quiet = run(built.home, "submit", str(batch), "--node", api, *key, "--json")
        assert quiet.exit_code == 0, quiet.output
        assert quiet.stderr == ""
        again = collector_batch(tmp_path, 7, case="C-2026-PROGRESS-2")
        shown = run(built.home, "submit", str(again), "--node", api, *key, "--progress")
        assert shown.exit_code == 0, shown.output
    lines = shown.stderr.splitlines()
    assert "sending: 0/7 records (0%)" in lines
    assert any(line.startswith("sending: 7 records in ") for line in lines), lines
    assert "committing: 0 records" in lines
    assert any(line.startswith("committing: 7 records in ") for line in lines), lines
    assert "appended 7 record(s)" in shown.stdout

    audited = run(built.home, "audit", "--progress")
    assert audited.exit_code == 0, audited.output
    lines = audited.stderr.splitlines()
    assert any(line.startswith("exporting the chain: 0/") for line in lines), lines
    assert any(line.startswith("replaying the chain: ") and " in " in line for line in lines)
    assert any(line.startswith("checking the log: 0/") for line in lines), lines
    assert any(line.startswith("checking the log: ") and " leaves in " in line for line in lines)
    assert "audit passed" in audited.stdout
    assert "replaying" not in audited.stdout
    quiet_audit = run(built.home, "audit")
    assert quiet_audit.exit_code == 0
    assert quiet_audit.stderr == ""
