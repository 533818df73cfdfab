"""Running the verification page in a real headless Chromium, and the JavaScript pieces of
the page in Node.js, for the tests of this folder.

The browser is Debian's `chromium` (scripts/bootstrap.sh installs it), driven by
`anchor/verify/js/check-page.mjs` through Playwright's core library (pinned in
anchor/verify/js/package.json; it downloads no browser). That script opens the page from a
file:// URL, chooses the bundle file, types the chain node address or block hash, and prints
what the page then shows, one JSON line per case.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "anchor" / "verify" / "js"
PAGE = ROOT / "anchor" / "report" / "verify_page.html"
CHROMIUM = Path("/usr/bin/chromium")
NODE = shutil.which("node")


def node_binary() -> str:
    assert NODE is not None, "Node.js is needed (the set-up installs the page's packages)"
    return NODE


def run_page(tmp: Path, cases: list[dict[str, Any]], page: Path = PAGE) -> dict[str, Any]:
    """Each case ({name, bundle (a path), rpc?, blockHash?, lang?, screenshot?, toggle?}) in
    one Chromium; what the page showed, by case name."""
    assert CHROMIUM.exists(), "Debian's chromium is needed: scripts/bootstrap.sh installs it"
    cases_file = tmp / "page-cases.json"
    cases_file.write_text(json.dumps(cases), encoding="utf-8")
    done = subprocess.run(
        [node_binary(), str(JS / "check-page.mjs"), str(page), "--cases", str(cases_file)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    shown = [json.loads(line) for line in done.stdout.splitlines()]
    assert [s["name"] for s in shown] == [c["name"] for c in cases], done.stderr
    return {s["name"]: s for s in shown}


def run_js_verifier(path: Path, *options: str) -> dict[str, Any]:
    """`node cli.mjs PATH --json [options]`: the JavaScript verifier's own report."""
    done = subprocess.run(
        [node_binary(), str(JS / "cli.mjs"), str(path), "--json", *options],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1, 3), done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def run_module(script: str, payload: Any) -> Any:
    """An ES module `script` run in anchor/verify/js with `payload` as JSON on stdin (read as
    `input`); what it prints, parsed as JSON."""
    prelude = (
        "import { readFileSync } from 'node:fs';const input = JSON.parse(readFileSync(0, 'utf8'));"
    )
    done = subprocess.run(
        [node_binary(), "--input-type=module", "-e", prelude + script],
        cwd=JS,
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def first_failed(steps: list[dict[str, Any]]) -> str | None:
    """The first step that failed, or could not be completed (None if none)."""
    return next((s["step"] for s in steps if s["status"] in ("failed", "cannot")), None)
