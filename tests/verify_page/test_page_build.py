"""The verification page is the build of its sources, is one file that loads nothing, and is
what the node serves and `evanchor verify-page` writes.

Like the contract artifacts (tests/contracts), the page is committed built so that the
runtime needs no Node.js; this rebuilds it with the pinned esbuild and compares every byte.
"""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
from pathlib import Path

from click.testing import CliRunner

from evanchor.anchor.report.page import verify_page_html, verify_page_sha256
from evanchor.cli.main import SUBCOMMANDS, cli

from page_helpers import JS, PAGE, node_binary


def test_the_committed_page_is_a_fresh_build(tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    done = subprocess.run(
        [node_binary(), str(JS / "build-page.mjs"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == PAGE.read_bytes(), (
        "anchor/report/verify_page.html is stale: run `node build-page.mjs` in anchor/verify/js"
    )
    check = subprocess.run(
        [node_binary(), str(JS / "build-page.mjs"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert check.returncode == 0, check.stderr


def test_the_page_is_one_file_that_runs_only_its_own_script() -> None:
    page = PAGE.read_text(encoding="utf-8")
    # Nothing loaded from anywhere: no external script, style, image, frame or font.
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b[^>]*\b(src|href)=", page)
    assert "@import" not in page
    assert "url(" not in page
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.DOTALL)
    assert len(scripts) == 1
    # The Content-Security-Policy allows exactly that script (by its hash), no other source.
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode("utf-8")).digest()).decode()
    directives = dict(d.strip().split(" ", 1) for d in policy.group(1).split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == f"'sha256-{digest}'"
    assert directives["connect-src"] == "http: https:"  # the chain node the user types
    # The verifier's pins are named in the page, so a reader knows what it runs.
    assert "@noble/hashes 2.4.0, @noble/curves 2.4.0" in page


def test_the_package_data_is_the_committed_file() -> None:
    assert verify_page_html() == PAGE.read_bytes()
    assert verify_page_sha256() == hashlib.sha256(PAGE.read_bytes()).hexdigest()


def test_verify_page_writes_the_page_and_names_its_digest(tmp_path: Path) -> None:
    assert SUBCOMMANDS["verify-page"].target == "evanchor.cli.page_commands:verify_page"
    out = tmp_path / "verify.html"
    result = CliRunner().invoke(cli, ["verify-page", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == PAGE.read_bytes()
    assert result.output.strip() == (
        f"wrote {out} ({len(PAGE.read_bytes()):,} bytes, SHA-256 {verify_page_sha256()})"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["verify.html"]  # nothing left beside it


def test_verify_page_into_a_missing_folder_is_one_line_and_no_file(tmp_path: Path) -> None:
    out = tmp_path / "nowhere" / "verify.html"
    result = CliRunner().invoke(cli, ["verify-page", "-o", str(out)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: cannot write {out}: No such file or directory"
    ]
    assert not (tmp_path / "nowhere").exists()
