"""The report's charts as inline SVG, drawn with matplotlib's SVG backend.

Labels are language-neutral (agency codes, ISO weeks, hour and weekday numbers): the HTML
around each chart says what it shows in the report's language, so no CJK font is needed
to draw them. Text stays text in the SVG (`svg.fonttype: none`), and the output is
deterministic (fixed hash salt, no date), so the same report draws the same bytes.

matplotlib is imported on first use: only an HTML report pays for it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

_RC: Any = {  # matplotlib types rc keys as one long Literal
    "svg.fonttype": "none",
    "svg.hashsalt": "evanchor-compliance",
    "font.size": 9,
    "font.family": "DejaVu Sans",
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_PALETTE = ("#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477")


def _svg(figure: object) -> str:
    """The figure as an `<svg>` element (the XML prolog and DOCTYPE dropped for inlining)."""
    from matplotlib.figure import Figure  # noqa: PLC0415 - see the module docstring

    assert isinstance(figure, Figure)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def flags_per_week_svg(weekly: Mapping[str, Mapping[str, int]]) -> str:
    """Bars of flags per ISO week, one colour per agency, side by side. Requires at least
    one week with a flag."""
    import matplotlib as mpl  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    weeks = sorted({week for counts in weekly.values() for week in counts})
    agencies = sorted(weekly)
    with mpl.rc_context(_RC):
        figure = Figure(figsize=(min(12.0, 1.2 + 0.8 * len(weeks)), 2.6))
        axes = figure.add_subplot()
        width = 0.8 / max(1, len(agencies))
        for position, agency in enumerate(agencies):
            offsets = [i - 0.4 + width * (position + 0.5) for i in range(len(weeks))]
            heights = [weekly[agency].get(week, 0) for week in weeks]
            colour = _PALETTE[position % len(_PALETTE)]
            axes.bar(offsets, heights, width=width, label=agency, color=colour)
        axes.set_xticks(range(len(weeks)), weeks)
        axes.set_xlim(-0.6, len(weeks) - 0.4)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return _svg(figure)


def heat_map_svg(grid: Sequence[Sequence[int]], quiet: tuple[int, int] | None) -> str:
    """Contacts by ISO weekday (rows, 1 = Monday) and local hour (columns, 0-23), with the
    quiet hours `quiet` = (start, end) in minutes after midnight boxed."""
    import matplotlib as mpl  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415
    from matplotlib.patches import Rectangle  # noqa: PLC0415

    with mpl.rc_context(_RC):
        figure = Figure(figsize=(7.5, 2.6))
        axes = figure.add_subplot()
        # pcolormesh, not imshow: cells stay vector shapes instead of an embedded bitmap.
        edges_x = [hour - 0.5 for hour in range(25)]
        edges_y = [day - 0.5 for day in range(8)]
        # No colour bar: every non-empty cell is labelled with its count.
        axes.pcolormesh(edges_x, edges_y, [list(row) for row in grid], cmap="Oranges", vmin=0)
        axes.invert_yaxis()
        axes.set_xticks(range(24), [str(hour) for hour in range(24)])
        axes.set_yticks(range(7), [str(day) for day in range(1, 8)])
        top = max((max(row) for row in grid), default=0)
        for row, values in enumerate(grid):
            for column, count in enumerate(values):
                if count:
                    colour = "white" if count > top / 2 else "black"
                    axes.text(column, row, str(count), ha="center", va="center", color=colour)
        if quiet is not None:
            start, end = quiet[0] / 60 - 0.5, quiet[1] / 60 - 0.5
            spans = [(start, end)] if start < end else [(start, 23.5), (-0.5, end)]
            for left, right in spans:
                box = Rectangle(
                    (left, -0.5), right - left, 7, fill=False, edgecolor="#b00020", linewidth=1.5
                )
                axes.add_patch(box)
        return _svg(figure)
