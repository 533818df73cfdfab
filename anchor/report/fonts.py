"""The fonts the certificate embeds, found where their Debian packages install them.

ReportLab embeds TrueType outlines only (not the CFF outlines of Noto CJK), so the CJK faces
are AR PL UMing (a Ming/Song face, for text, as Chinese official documents set it) and
WenQuanYi Zen Hei (a Hei face, for headings and labels), from the TrueType collections of
Debian's `fonts-arphic-uming` and `fonts-wqy-zenhei`. Latin letters and digits are set in
Liberation Serif, Sans and Mono (`fonts-liberation2`), as Chinese documents set Latin text in
a Times-like face. scripts/bootstrap.sh installs the three packages. `EVANCHOR_FONT_DIR`
names a folder searched first, for a machine whose fonts live elsewhere. The fonts are read
from disk when rendering; nothing is fetched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from evanchor.anchor.report.errors import FontMissing

FONT_DIR_VARIABLE = "EVANCHOR_FONT_DIR"
_SYSTEM_DIRS = (
    "/usr/share/fonts/truetype/arphic",
    "/usr/share/fonts/truetype/wqy",
    "/usr/share/fonts/truetype/liberation2",
    "/usr/share/fonts/truetype/liberation",
)


@dataclass(frozen=True)
class FontFace:
    """One face: its file, and its index when the file is a TrueType collection."""

    path: Path
    index: int = 0


@dataclass(frozen=True)
class CertificateFonts:
    song: FontFace
    """CJK running text (Ming/Song)."""
    hei: FontFace
    """CJK headings and labels (Hei)."""
    serif: FontFace
    """Latin running text."""
    sans: FontFace
    """Latin headings and labels (bold)."""
    mono: FontFace
    """Digests, addresses, commands."""


def _find(role: str, file_name: str, index: int = 0) -> FontFace:
    folders = [os.environ.get(FONT_DIR_VARIABLE, ""), *_SYSTEM_DIRS]
    searched = tuple(str(Path(folder) / file_name) for folder in folders if folder)
    for candidate in searched:
        if Path(candidate).is_file():
            return FontFace(Path(candidate), index)
    raise FontMissing(role, searched)


def certificate_fonts() -> CertificateFonts:
    """Every face, or FontMissing naming the places searched for the first one missing."""
    return CertificateFonts(
        song=_find("CJK text (AR PL UMing)", "uming.ttc", 0),  # 0: AR PL UMing CN
        hei=_find("CJK heading (WenQuanYi Zen Hei)", "wqy-zenhei.ttc", 0),
        serif=_find("Latin text (Liberation Serif)", "LiberationSerif-Regular.ttf"),
        sans=_find("Latin heading (Liberation Sans Bold)", "LiberationSans-Bold.ttf"),
        mono=_find("monospaced (Liberation Mono)", "LiberationMono-Regular.ttf"),
    )
