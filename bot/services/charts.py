"""Charts as PNG bytes, rendered headless with matplotlib's Agg backend (no display, no pyplot state)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from bot.numbers import count

__all__ = ["PNG_SIGNATURE", "funnel_chart"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_BAR = "#1f6f8b"
_REGION_COLOURS = ("#1f6f8b", "#99a8b2", "#e6a157", "#6a9955", "#b5543c", "#7b5ea7", "#4d4d4d")


def funnel_chart(
    *,
    title: str,
    stage_labels: Sequence[str],
    overall: Sequence[int],
    by_region: Mapping[str, Sequence[int]],
    region_title: str,
) -> bytes:
    """The funnel as horizontal bars (left) and each region's funnel as grouped bars (right), as PNG."""
    # Imported here: matplotlib adds ~30 MB to every bot process, and only /stats draws charts.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 5.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2, width_ratios=(1, 1.3))
    positions = list(range(len(stage_labels)))
    bars = left.barh(positions, overall, color=_BAR)
    left.set_yticks(positions, labels=list(stage_labels))
    left.invert_yaxis()
    left.set_title(title)
    left.bar_label(bars, labels=[count(v) for v in overall], padding=3)
    left.set_xlim(0, max([*overall, 1]) * 1.18)
    left.spines[["top", "right", "bottom"]].set_visible(False)
    left.set_xticks([])

    regions = list(by_region)
    if regions:
        width = 0.8 / len(regions)
        for k, region in enumerate(regions):
            offsets = [p + (k - (len(regions) - 1) / 2) * width for p in positions]
            right.barh(
                offsets,
                by_region[region],
                height=width,
                label=region,
                color=_REGION_COLOURS[k % len(_REGION_COLOURS)],
            )
        right.legend(loc="lower right", fontsize="small", frameon=False)
    right.set_yticks(positions, labels=list(stage_labels))
    right.invert_yaxis()
    right.set_title(region_title)
    right.spines[["top", "right"]].set_visible(False)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
