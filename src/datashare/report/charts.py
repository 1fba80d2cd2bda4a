"""The report's charts: matplotlib figures rendered to inline, accessible, deterministic SVG.

Every chart is drawn from already-selected published cells (`Point`s): a shown
cell has a value (and maybe an interval), a suppressed cell has none and is
drawn as an explicit "suppressed" mark, never as zero. Output is deterministic
(fixed `svg.hashsalt`, no date metadata), text stays text (`svg.fonttype`
none), and each SVG carries role="img", a <title> and a <desc> describing it in
words. Element ids are prefixed per chart so many SVGs can share one page.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass

from datashare.report.layout import GROUP_LABELS, GROUP_STYLE, GROUPS, REFERENCE_GROUP

RC = {
    "svg.hashsalt": "datashare-report",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.fontsize": 8.0,
    "legend.frameon": False,
    "lines.linewidth": 1.6,
    "lines.markersize": 5.5,
    "hatch.linewidth": 0.6,
}
SUPPRESSED_TEXT = "suppressed"
SUPPRESSED_COLOR = "#555555"
NOT_PUBLISHED_TEXT = "no row published"


@dataclass(frozen=True)
class Point:
    """One published cell as a chart sees it (values already in display units)."""

    value: float | None  # None: suppressed
    low: float | None = None
    high: float | None = None
    text: str = ""  # the display text (e.g. '23.4%' or '<=1%', or 'suppressed')
    n: int | float | None = None
    banded: bool = False  # top/bottom-coded: the value is a bound, drawn without an interval

    @property
    def suppressed(self) -> bool:
        return self.value is None


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def _to_svg(fig, chart_id: str, title: str, desc: str) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
                    bbox_inches="tight", pad_inches=0.05)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML declaration and DOCTYPE: the SVG sits inline in HTML
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    # Make ids unique on the page.
    svg = re.sub(r'id="([^"]+)"', lambda m: f'id="{chart_id}-{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{chart_id}-{m.group(1)})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{chart_id}-{m.group(1)}"', svg)  # href and xlink:href
    head_end = svg.index(">") + 1
    open_tag = svg[:head_end]
    open_tag = open_tag.replace(
        "<svg ", f'<svg role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" ', 1
    )
    svg = (
        open_tag
        + f'\n <title id="{chart_id}-title">{html.escape(title)}</title>'
        + f'\n <desc id="{chart_id}-desc">{html.escape(desc)}</desc>'
        + svg[head_end:]
    )
    return svg.strip() + "\n"


def _style(group: str) -> dict[str, object]:
    return GROUP_STYLE.get(group, {"color": "#333333", "marker": "o", "linestyle": "-", "hatch": ""})


def trend_chart(chart_id: str, title: str, desc: str, unit_label: str, years: list[int],
                series: dict[str, dict[int, Point]], *, percent: bool) -> str:
    """Rate by comparison group over the school years, 95% intervals as whiskers.

    A suppressed cell is drawn as a hollow marker in the strip labelled
    "suppressed" under the plot (the line breaks there); it is never placed on
    the value axis.
    """
    import matplotlib
    from matplotlib.lines import Line2D

    with matplotlib.rc_context(RC):
        fig = _figure(7.4, 3.7)
        grid = fig.add_gridspec(2, 1, height_ratios=(9, 1.1), hspace=0.08)
        ax = fig.add_subplot(grid[0])
        strip = fig.add_subplot(grid[1], sharex=ax)
        groups = [g for g in GROUPS if g in series] + [g for g in series if g not in GROUPS]
        width = 0.5
        offsets = {g: (i - (len(groups) - 1) / 2) * (width / max(len(groups) - 1, 1))
                   for i, g in enumerate(groups)}
        any_suppressed = False
        any_banded = False
        for group in groups:
            style = _style(group)
            points = series[group]
            xs, ys = [], []
            for year in years:
                p = points.get(year)
                x = year + offsets[group]
                if p is None or p.suppressed:
                    xs.append(x)
                    ys.append(float("nan"))  # break the line
                    if p is not None:
                        any_suppressed = True
                        strip.plot([x], [0.5], linestyle="none", marker=style["marker"], markersize=6,
                                   markerfacecolor="white", markeredgecolor=style["color"], markeredgewidth=1.3,
                                   gid=f"suppressed-{group}-{year}")
                    continue
                xs.append(x)
                if p.banded:
                    # A band's bound is not a value: a hollow marker, no interval, and the line breaks.
                    ys.append(float("nan"))
                    any_banded = True
                    ax.plot([x], [p.value], linestyle="none", marker=style["marker"], markersize=7,
                            markerfacecolor="white", markeredgecolor=style["color"], markeredgewidth=1.3,
                            gid=f"banded-{group}-{year}")
                    continue
                ys.append(p.value)
                if p.low is not None and p.high is not None:
                    ax.plot([x, x], [p.low, p.high], color=style["color"], linewidth=1.0)
                    ax.plot([x, x], [p.low, p.high], color=style["color"], linestyle="none", marker="_",
                            markersize=5)
            # gid: the SVG group of this line holds one marker per drawn value (the report test reads
            # the drawn values back from the marker positions and the axis ticks).
            ax.plot(xs, ys, color=style["color"], linestyle=style["linestyle"], marker=style["marker"],
                    label=GROUP_LABELS.get(group, group), gid=f"series-{group}")
        ax.set_ylabel(unit_label)
        ax.set_title(title, loc="left")
        # The value axis starts at 0 (a hair below, so markers at 0 are not cut); a suppressed cell is
        # never on it.
        top = max(ax.get_ylim()[1], 1.0)
        if percent and top <= 100.0:
            top = min(top, 100.0)
        ax.set_ylim(-0.02 * top, top)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.tick_params(axis="x", labelbottom=False)
        strip.set_ylim(0, 1)
        strip.set_yticks([])
        strip.set_ylabel(SUPPRESSED_TEXT, rotation=0, ha="right", va="center", fontsize=8, color=SUPPRESSED_COLOR)
        strip.set_facecolor("#f3f3f3")
        for side in ("left", "right", "top"):
            strip.spines[side].set_visible(False)
        strip.set_xticks(years)
        strip.set_xticklabels([str(y) for y in years])
        strip.set_xlim(min(years) - 0.5, max(years) + 0.5)
        strip.set_xlabel("School year (ending June of)")
        handles, labels = ax.get_legend_handles_labels()
        extra = []
        if any_suppressed:
            extra.append(Line2D([], [], linestyle="none", marker="o", markerfacecolor="white",
                                markeredgecolor=SUPPRESSED_COLOR, label="hollow in grey strip: suppressed"))
        if any_banded:
            extra.append(Line2D([], [], linestyle="none", marker="o", markersize=7, markerfacecolor="white",
                                markeredgecolor=SUPPRESSED_COLOR, label="hollow on plot: banded (e.g. <=1%)"))
        extra.append(Line2D([], [], color="#333333", marker="|", linestyle="none", markersize=9,
                            label="whiskers: 95% interval"))
        ax.legend(handles + extra, labels + [h.get_label() for h in extra], loc="upper left",
                  bbox_to_anchor=(1.01, 1.0))
        return _to_svg(fig, chart_id, title, desc)


def gap_chart(chart_id: str, title: str, desc: str, unit_label: str,
              gaps: dict[str, Point], reference_note: str) -> str:
    """Horizontal bars: each group's gap to NOT_INVOLVED (latest year).

    A gap without a value is labelled with its point's text ("suppressed", or "not available" when the
    group's cell is shown but the reference is not), never drawn as a zero bar.
    """
    import matplotlib

    with matplotlib.rc_context(RC):
        groups = [g for g in GROUPS if g in gaps and g != REFERENCE_GROUP]
        fig = _figure(7.4, 0.45 * max(len(groups), 1) + 1.0)
        ax = fig.add_subplot(1, 1, 1)
        ys = list(range(len(groups)))[::-1]
        values = [abs(gaps[g].value) for g in groups if not gaps[g].suppressed]
        span = max(values + [1.0])
        for y, group in zip(ys, groups):
            p = gaps[group]
            style = _style(group)
            if p.suppressed:
                ax.text(0, y, f"  {p.text or SUPPRESSED_TEXT}", va="center", ha="left", fontsize=8, style="italic",
                        color=SUPPRESSED_COLOR)
                continue
            bars = ax.barh([y], [p.value], height=0.6, color=style["color"], edgecolor="#222222", linewidth=0.6,
                           hatch=style["hatch"], alpha=0.85)
            bars.patches[0].set_gid(f"bar-{group}")
            ax.text(p.value + (0.02 * span if p.value >= 0 else -0.02 * span), y, p.text, va="center",
                    ha="left" if p.value >= 0 else "right", fontsize=8)
        ax.axvline(0, color="#222222", linewidth=0.8)
        ax.set_yticks(ys)
        ax.set_yticklabels([GROUP_LABELS.get(g, g) for g in groups])
        ax.set_xlim(-span * 1.35, span * 1.35)
        ax.set_xlabel(f"{unit_label} ({reference_note})")
        ax.set_title(title, loc="left")
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        return _to_svg(fig, chart_id, title, desc)


def multiples_chart(chart_id: str, title: str, desc: str, unit_label: str,
                    panels: dict[str, dict[str, Point]], *, percent: bool) -> str:
    """Small multiples: one panel per breakdown value, the groups' rates (with 95% intervals) as dots."""
    import matplotlib

    with matplotlib.rc_context(RC):
        names = list(panels)
        ncols = min(len(names), 4) or 1
        nrows = (len(names) + ncols - 1) // ncols or 1
        fig = _figure(1.85 * ncols + 1.9, 1.75 * nrows + 0.5)
        axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
        groups = [g for g in GROUPS if any(g in p for p in panels.values())]
        ys = list(range(len(groups)))[::-1]
        top = 0.0
        for panel in panels.values():
            for p in panel.values():
                if not p.suppressed:
                    top = max(top, p.high if p.high is not None else p.value)
        top = top * 1.08 if top > 0 else 1.0
        if percent:
            top = min(max(top, 5.0), 100.0)
        for idx, ax in enumerate(axes.flat):
            if idx >= len(names):
                ax.set_visible(False)
                continue
            name = names[idx]
            ax.set_title(name, fontsize=8.5)
            ax.grid(axis="x", color="#dddddd", linewidth=0.6)
            for y, group in zip(ys, groups):
                p = panels[name].get(group)
                style = _style(group)
                if p is None:
                    ax.text(0.02 * top, y, NOT_PUBLISHED_TEXT, va="center", ha="left", fontsize=6.5,
                            color="#9a9a9a")
                    continue
                if p.suppressed:
                    ax.text(0.02 * top, y, SUPPRESSED_TEXT, va="center", ha="left", fontsize=7, style="italic",
                            color=SUPPRESSED_COLOR)
                    continue
                if p.low is not None and p.high is not None and not p.banded:
                    ax.plot([p.low, p.high], [y, y], color=style["color"], linewidth=1.2)
                face = "white" if p.banded else style["color"]
                ax.plot([p.value], [y], linestyle="none", marker=style["marker"], color=style["color"],
                        markerfacecolor=face, markersize=5)
            ax.set_xlim(-0.03 * top, top)
            ax.set_yticks(ys)
            ax.set_yticklabels([g for g in groups], fontsize=7.5)
            ax.set_ylim(-0.7, len(groups) - 0.3)
        for ax in axes[-1]:
            if ax.get_visible():
                ax.set_xlabel(unit_label, fontsize=8)
        fig.suptitle(title, x=0.01, y=1.0, ha="left", va="bottom", fontsize=9.5)
        return _to_svg(fig, chart_id, title, desc)
