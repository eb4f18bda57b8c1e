"""Charts as PNG bytes, rendered headless with matplotlib's Agg backend (no display, no pyplot state)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from bot.numbers import count

__all__ = ["PNG_SIGNATURE", "funnel_chart"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_BAR = "#1f6f8b"
_REGION_COLOURS = ("#1f6f8b", "#99a8b2", "#e6a157", "#6a9955", "#b5543c", "#7b5ea7", "#4d4d4d")


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{round(share * 100)}%"


def funnel_chart(
    *,
    title: str,
    stage_labels: Sequence[str],
    overall: Sequence[int],
    by_region: Mapping[str, Sequence[int]],
    region_title: str,
    language: str = "nl",
) -> bytes:
    """The funnel of people as PNG: bars with each step's conversion (left), a table of numbers per region.

    Left, one bar per stage with "count (share of the stage before)". Right, one column per region with the
    number of people at each stage, shaded by the share of that region's participants who got that far.
    """
    # Imported here: matplotlib adds ~30 MB to every bot process, and only /stats draws charts.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    regions = list(by_region)
    figure = Figure(figsize=(12, 5.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2, width_ratios=(1, max(1.0, 0.22 * len(regions))))
    positions = list(range(len(stage_labels)))
    bars = left.barh(positions, overall, color=_BAR)
    left.set_yticks(positions, labels=list(stage_labels))
    left.set_ylim(len(positions) - 0.5, -0.5)  # first stage on top, rows level with the table on the right
    left.set_title(title)
    labels = [count(overall[0], language)] + [
        f"{count(later, language)}  ({_percent(later / earlier if earlier else None)})"
        for earlier, later in zip(overall, overall[1:], strict=False)
    ]
    left.bar_label(bars, labels=labels, padding=3)
    left.set_xlim(0, max([*overall, 1]) * 1.35)
    left.spines[["top", "right", "bottom"]].set_visible(False)
    left.set_xticks([])

    right.set_title(region_title)
    if regions:
        shares = [
            [(by_region[r][k] / by_region[r][0]) if by_region[r][0] else 0.0 for r in regions]
            for k in positions
        ]
        right.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
        for k in positions:
            for j, region in enumerate(regions):
                right.text(
                    j,
                    k,
                    count(by_region[region][k], language),
                    ha="center",
                    va="center",
                    fontsize="medium",
                    color="white" if shares[k][j] > 0.55 else "#1a1a1a",
                )
        right.set_xticks(range(len(regions)), labels=regions, rotation=30, ha="right")
    else:
        right.set_xticks([])
    right.set_yticks(positions, labels=[""] * len(positions))
    right.tick_params(length=0)
    right.spines[:].set_visible(False)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
