"""Read commands beside a running node: the same answers as from its stopped folder.

LevelDB admits one process, so while the node runs a command cannot open the log; it asks
the node's API instead (node/daemon/reach.py), as the operator with the folder's token. A
real log-only node runs here on a thread (`NodeThread`, the daemon of `evanchor node start`)
over the folder `init` made; the commands run through click's CliRunner in this process,
where LevelDB's lock is held just as it is against another process.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from evanchor.cli.main import cli
from evanchor.node.daemon.compose import Composition
from evanchor.node.daemon.home import NodeHome
from evanchor.node.daemon.run import NodeThread
from evanchor.node.daemon.running import run_file, running_node

from samples import numbered_record


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A log-only node folder with 5 records and one checkpoint, and 2 records unsealed
    (the seal policy seals nothing by itself during a test)."""
    folder = tmp_path / "node"
    init = ["init", "--log-only", "--seal-every", "1000", "--seal-after", "3600"]
    done = run(folder, *init)
    assert done.exit_code == 0, done.output
    _submit(folder, tmp_path / "first.jsonl", range(5))
    assert run(folder, "seal").exit_code == 0
    _submit(folder, tmp_path / "second.jsonl", range(5, 7))
    return folder


def run(home: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args], input=input)


def _submit(home: Path, path: Path, numbers: range) -> None:
    path.write_text("".join(json.dumps(numbered_record(n)) + "\n" for n in numbers))
    done = run(home, "submit", str(path))
    assert done.exit_code == 0, done.output


def _json(home: Path, *args: str) -> Any:
    done = run(home, *args)
    assert done.exit_code == 0, done.output
    return json.loads(done.output)


@contextmanager
def running(home: Path) -> Iterator[str]:
    """The node of `home` running on a thread until the block exits; yields its API URL."""
    node_home = NodeHome(home)
    node = NodeThread(
        home=node_home,
        password=None,
        make_service=Composition(node_home, None).make_service,
        make_anchorer=None,
        api_port=0,  # a free port: commands find it in the run file, not in the config
    )
    addresses = node.start()
    try:
        yield addresses.api
    finally:
        node.stop()


def test_log_status_beside_a_running_node_is_the_stopped_folders(home: Path) -> None:
    """Fails before reach.py: `log status` opened the log and met the node's lock."""
    stopped_json = _json(home, "log", "status", "--json")
    stopped_text = run(home, "log", "status").output
    assert stopped_json["records"] == 7
    assert stopped_json["unsealed"] == 2
    with running(home):
        beside = run(home, "log", "status", "--json")
        assert beside.exit_code == 0, beside.output
        assert json.loads(beside.output) == stopped_json
        assert run(home, "log", "status").output == stopped_text
    assert _json(home, "log", "status", "--json") == stopped_json


def test_the_node_opens_every_table_of_its_log_before_it_serves(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="evanchor"), running(home):
        said = [r.getMessage() for r in caplog.records]
    opened = [
        i for i, line in enumerate(said) if re.fullmatch(r"opened the log's \d+ tables", line)
    ]
    serving = [i for i, line in enumerate(said) if line.startswith("node serving its API")]
    assert len(opened) == 1, said
    assert len(serving) == 1, said
    assert opened[0] < serving[0]
    # (how many: LevelDB may merge or write tables as the log opens; the store's own test
    # holds the count to the tables on disk)
    assert int(said[opened[0]].split()[3]) >= 1


def test_the_node_writes_its_run_file_while_it_serves_and_removes_it(home: Path) -> None:
    node_home = NodeHome(home)
    assert running_node(node_home) is None
    with running(home) as api:
        found = running_node(node_home)
        assert found is not None
        assert found.api == api
        assert found.rpc is None
        assert run_file(node_home).stat().st_mode & 0o077 == 0
    assert not run_file(node_home).exists()
    assert running_node(node_home) is None


def test_a_run_file_of_a_process_that_is_gone_is_ignored(home: Path) -> None:
    """kill -9 leaves the file behind: the pid it names is gone, so the log is read here."""
    node_home = NodeHome(home)
    with running(home):
        kept = run_file(node_home).read_text(encoding="utf-8")
    gone = json.loads(kept) | {"pid": 2**22 + 1}  # above Linux's pid_max: never a process
    run_file(node_home).write_text(json.dumps(gone), encoding="utf-8")
    assert running_node(node_home) is None
    assert _json(home, "log", "status", "--json")["records"] == 7


def test_seal_beside_a_running_node_is_the_nodes_seal(home: Path) -> None:
    with running(home):
        sealed = _json(home, "seal", "--json")["sealed"]
        assert sealed["seq"] == 1
        assert sealed["size"] == 9
        again = run(home, "seal")
        assert again.exit_code == 0, again.output
        assert (
            again.output == "nothing to seal: the latest checkpoint already covers all 9 leaves\n"
        )
        status = _json(home, "log", "status", "--json")
        assert status["latest_checkpoint"] == sealed
        assert status["unsealed"] == 0
    assert _json(home, "log", "status", "--json")["latest_checkpoint"] == sealed


def test_seal_through_the_api_needs_the_operator_token(home: Path) -> None:
    token = NodeHome(home).api_token_path
    with running(home):
        moved = token.rename(token.with_name("api-token.moved"))
        refused = run(home, "seal")
        moved.rename(token)
    assert refused.exit_code == 1
    assert "sealing needs the operator token" in refused.output
    assert _json(home, "log", "status", "--json")["unsealed"] == 2  # nothing was sealed


def test_prove_and_case_prove_give_the_same_bundles_either_way(home: Path, tmp_path: Path) -> None:
    bundle_of = _record_ids(home)[2]
    stopped = tmp_path / "stopped.json"
    beside = tmp_path / "beside.json"
    said = run(home, "prove", bundle_of[:12], "-o", str(stopped))
    assert said.exit_code == 0, said.output
    with running(home):
        said_beside = run(home, "prove", bundle_of[:12], "-o", str(beside))
        assert said_beside.exit_code == 0, said_beside.output
        status = _json(home, "node", "status", "--json")
    assert said_beside.output.replace(str(beside), "FILE") == said.output.replace(
        str(stopped), "FILE"
    )
    assert beside.read_bytes() == stopped.read_bytes()
    assert status["running"] is True
    assert _json(home, "node", "status", "--json")["running"] is False
    stopped_case = tmp_path / "case-stopped.json"
    beside_case = tmp_path / "case-beside.json"
    assert run(home, "case", "prove", "collection/C-1", "-o", str(stopped_case)).exit_code == 0
    with running(home):
        done = run(home, "case", "prove", "collection/C-1", "-o", str(beside_case))
        assert done.exit_code == 0, done.output
    assert beside_case.read_bytes() == stopped_case.read_bytes()


def _record_ids(home: Path) -> list[str]:
    """The record ids of the sealed records, read from the stopped node's log."""
    with NodeHome(home).open_log() as store:
        return [store.record(index).record_id.hex() for index in range(5)]


def _without_times(text: str) -> str:
    return re.sub(r"\d{4}-\d\d-\d\dT[0-9:.]+Z", "TIME", text)


def test_shred_beside_a_running_node_is_the_stopped_folders_shred(
    home: Path, tmp_path: Path
) -> None:
    """Fails before POST /v1/records/{id}/shred: shred refused while the node ran."""
    copy = tmp_path / "copy"
    shutil.copytree(home, copy)  # the node is stopped: a whole copy
    target = _record_ids(home)[2]
    stopped = run(copy, "shred", target[:12], "--reason", "deletion request DR-3", "--yes")
    assert stopped.exit_code == 0, stopped.output
    assert "shredded the record at leaf 2" in stopped.output
    with running(home):
        asked = run(home, "shred", target[:12], "--reason", "DR-4", input="n\n")
        assert asked.exit_code == 1
        assert f"Shred record {target} (leaf 2)?" in asked.output
        assert "Aborted" in asked.output
        assert run(home, "log", "status").exit_code == 0
        beside = run(home, "shred", target[:12], "--reason", "deletion request DR-3", "--yes")
        assert beside.exit_code == 0, beside.output
        again = run(home, "shred", target, "--reason", "again", "--yes")
        assert again.exit_code == 1
        assert again.output.count("\n") == 1, again.output
        assert "no record" in again.output
    assert _without_times(beside.output) == _without_times(stopped.output)
    assert _json(home, "log", "status", "--json") == _json(copy, "log", "status", "--json") | {
        "home": str(home)
    }
    audits = [_json(folder, "audit", "--json") for folder in (home, copy)]
    for report in audits:
        assert report["ok"] is True, report
        assert [(s["leaf"], s["reason"]) for s in report["shredded"]] == [
            (2, "deletion request DR-3")
        ]
    assert "no record" in run(home, "prove", target, "-o", str(tmp_path / "x.json")).output


def test_audit_beside_a_running_node_names_it_and_what_to_do(home: Path, tmp_path: Path) -> None:
    """The audit checks one state of the log, so it does not run beside the node: one line
    naming the node's pid and API, and the two ways on (stop it, or audit a copy)."""
    state = tmp_path / "audit.state"
    with running(home) as api:
        node = running_node(NodeHome(home))
        assert node is not None
        refused = run(home, "audit", "--state", str(state))
    assert refused.exit_code == 1
    assert refused.output.count("\n") == 1, refused.output
    assert refused.output.startswith(f"Error: the node (pid {node.pid}, API {api}) is running")
    assert f"stop the node (SIGTERM: kill {node.pid})" in refused.output
    assert "`evanchor --home COPY audit`" in refused.output
    assert not state.exists()
    assert _json(home, "audit", "--json")["ok"] is True  # stopped, the audit runs


def test_audit_of_a_log_held_by_a_process_no_run_file_names(home: Path) -> None:
    """No node's run file (a node still starting, another command): no pid to name."""
    with NodeHome(home).open_log():
        refused = run(home, "audit")
    assert refused.exit_code == 1
    assert refused.output.count("\n") == 1, refused.output
    assert "open in another process that no run file names" in refused.output
    assert "pid" not in refused.output


NIGHT_CALL = numbered_record(99, case="C-9") | {"occurred_at": "2026-11-20T22:47:00+08:00"}
"""A call at 22:47, the debtor's local time: flagged by the default rule set (QH-1)."""


def _report(home: Path, out: Path) -> dict[str, Any]:
    """Every form of `compliance report` of `home`, its times taken out; the HTML's bundles."""
    text = run(home, "compliance", "report")
    assert text.exit_code == 0, text.output
    as_json = _json(home, "compliance", "report", "--json", "--lang", "en")
    as_json.pop("generated_at")
    as_csv = run(home, "compliance", "report", "--csv")
    assert as_csv.exit_code == 0, as_csv.output
    html = run(home, "compliance", "report", "--html", "-o", str(out))
    assert html.exit_code == 0, html.output
    bundles = {p.name: p.read_bytes() for p in sorted((out.parent / "r.bundles").iterdir())}
    return {
        "text": text.output,
        "json": as_json,
        "csv": as_csv.output,
        "html said": html.output.replace(str(out), "OUT"),
        "bundles": bundles,
    }


def test_compliance_report_beside_a_running_node_is_the_stopped_folders(
    home: Path, tmp_path: Path
) -> None:
    """Fails before GET /v1/compliance/records: the report refused while the node ran."""
    night = tmp_path / "night.jsonl"
    night.write_text(json.dumps(NIGHT_CALL) + "\n")
    assert run(home, "submit", str(night)).exit_code == 0
    assert run(home, "seal").exit_code == 0
    target = _record_ids(home)[1]
    assert run(home, "shred", target, "--reason", "DR-5", "--yes").exit_code == 0
    (tmp_path / "stopped").mkdir()
    (tmp_path / "beside").mkdir()
    stopped = _report(home, tmp_path / "stopped" / "r.html")
    assert "QH-1" in stopped["text"]
    assert any(n["what"] == "leaf 1" for n in stopped["json"]["not_counted"]), stopped["json"]
    assert stopped["bundles"]
    with running(home):
        beside = _report(home, tmp_path / "beside" / "r.html")
    assert beside == stopped
