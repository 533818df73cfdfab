"""Reading a certificate back as a person's tools would: poppler's pdftotext, pdftoppm and
pdffonts, and zbarimg for its QR code (Debian poppler-utils and zbar-tools, which
scripts/bootstrap.sh installs)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path


def _run(*args: str | Path) -> str:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, check=True)
    return done.stdout


def pdf_text(pdf: Path) -> str:
    """The text a reader can copy out of the PDF (UTF-8)."""
    return _run("pdftotext", "-enc", "UTF-8", pdf, "-")


def flat(text: str) -> str:
    """`text` without whitespace, to find a sentence that the layout broke across lines."""
    return re.sub(r"\s+", "", text)


def pages_as_png(pdf: Path, folder: Path, dpi: int = 100) -> list[Path]:
    """Every page rendered to a PNG, in order."""
    _run("pdftoppm", "-r", str(dpi), "-png", pdf, folder / "page")
    return sorted(folder.glob("page-*.png"))


def fonts(pdf: Path) -> list[tuple[str, bool]]:
    """(name, embedded) of every font the PDF uses, from pdffonts."""
    rows = _run("pdffonts", pdf).splitlines()[2:]
    found = []
    for row in rows:
        name, *_, emb, _sub, _uni, _obj, _gen = row.split()
        found.append((name, emb == "yes"))
    return found


def qr_codes(png: Path) -> list[str]:
    """The text of every QR code zbarimg finds on the page image."""
    done = subprocess.run(
        ["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 4), done.stderr  # 4: no code found
    return [done.stdout.rstrip("\n")] if done.stdout else []
