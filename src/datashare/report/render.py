"""Assemble the report: one self-contained HTML file from the published mart.

Everything shown comes from published cells. A suppressed cell (suppression
reason set, every number null) is written as the word "suppressed" wherever it
would appear: in the tables, in the charts' suppressed strip or labels, in the
charts' text descriptions and as a row with nulls in the chart data. Summary
sentences use shown cells only and name the n behind every figure; each
sentence lists the cells it uses in a data-cells attribute.
"""

from __future__ import annotations

import html
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from datashare.report import charts
from datashare.report.charts import Point
from datashare.report.data import Cell, Published, load_published, manifest_value
from datashare.report.layout import (
    BREAKDOWN_FALLBACK,
    BREAKDOWN_LABELS,
    DOMAINS,
    GAP_STEADY_WITHIN,
    GAP_STEADY_WITHIN_MEAN,
    GROUP_LABELS,
    GROUP_PHRASES,
    GROUPS,
    INVOLVED_GROUPS,
    LENS_GROUPS,
    MAX_PANELS,
    MEAN,
    MEASURES,
    PER_100,
    PROPORTION,
    REFERENCE_GROUP,
    Domain,
    Measure,
)

SUPPRESSED = "suppressed"
DEFAULT_THRESHOLD = 10
BANDED = re.compile(r"^\s*([<>]=?|≤|≥)\s*([0-9.]+)\s*%?\s*$")


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


def fmt_int(n: float | int | None) -> str:
    if n is None:
        return SUPPRESSED
    return f"{int(round(n)):,}"


def is_banded(cell: Cell) -> bool:
    return bool(cell.display_value and BANDED.match(cell.display_value))


def is_suppressed(cell: Cell) -> bool:
    """Suppressed: no banded display text, and a suppression reason or no rate."""
    if is_banded(cell):
        return False
    return cell.suppression_reason is not None or cell.rate is None


def n_text(cell: Cell, n_unit: str = "") -> str:
    """'n=1,234' (the cell's denominator), or 'n withheld' for a banded cell published without numbers."""
    if cell.denominator is None:
        return "n withheld"
    return f"n={fmt_int(cell.denominator)}{n_unit}"


@dataclass(frozen=True)
class Units:
    """How a measure's numbers are shown: factor applied to `rate`, suffixes and axis label."""

    factor: float
    axis: str
    suffix: str  # after a value: '%', '' ...
    gap_suffix: str  # after a gap: ' pp', ' schools', ' per 100'
    gap_word: str  # 'percentage points', ...
    decimals: int
    steady_within: float


def units_for(measure: Measure, proportion_factor: float) -> Units:
    if measure.kind == MEAN:
        return Units(1.0, "Mean per student-year", "", " schools", "schools per student", 2, GAP_STEADY_WITHIN_MEAN)
    if measure.kind == PER_100:
        return Units(1.0, "Per 100 student-years", "", " per 100", "incidents per 100 students", 1,
                     GAP_STEADY_WITHIN)
    return Units(proportion_factor, "Percent (%)", "%", " pp", "percentage points", 1, GAP_STEADY_WITHIN)


def proportion_factor(cells: Iterable[Cell]) -> float:
    """100 when the mart stores proportions as fractions (0-1), 1 when it stores percents."""
    rates = [c.rate for c in cells if c.rate is not None and MEASURES.get(c.measure, None) is not None
             and MEASURES[c.measure].kind == PROPORTION]
    if not rates:
        return 100.0
    return 100.0 if max(rates) <= 1.0 else 1.0


def value_text(cell: Cell, units: Units) -> str:
    """The text shown for a cell: the published display value when there is one."""
    if is_suppressed(cell):
        return SUPPRESSED
    if cell.display_value:
        return cell.display_value
    return f"{cell.rate * units.factor:.{units.decimals}f}{units.suffix}"


def gap_text(gap: float | None, units: Units) -> str:
    if gap is None:
        return ""
    return f"{gap:+.{units.decimals}f}{units.gap_suffix}"


def point(cell: Cell | None, units: Units) -> Point | None:
    if cell is None:
        return None
    if is_suppressed(cell):
        return Point(value=None, text=SUPPRESSED)
    if is_banded(cell):
        bound = float(BANDED.match(cell.display_value or "").group(2))
        return Point(value=bound, text=cell.display_value or "", n=cell.denominator, banded=True)
    low = cell.ci_low * units.factor if cell.ci_low is not None else None
    high = cell.ci_high * units.factor if cell.ci_high is not None else None
    return Point(value=cell.rate * units.factor, low=low, high=high, text=value_text(cell, units),
                 n=cell.denominator)


def gap_point(cell: Cell | None, units: Units) -> Point | None:
    if cell is None:
        return None
    if is_suppressed(cell):
        return Point(value=None, text=SUPPRESSED)
    if cell.gap_pp_vs_not_involved is None:
        return Point(value=None, text="not available")
    return Point(value=cell.gap_pp_vs_not_involved, text=gap_text(cell.gap_pp_vs_not_involved, units))


def data_block(chart_id: str, measure: str, chart: str, filt: dict[str, Any], cells: list[Cell]) -> str:
    """The chart's data: exactly the published rows it was drawn from, as JSON."""
    payload = {"chart_id": chart_id, "measure": measure, "chart": chart, "filter": filt,
               "rows": [c.as_row() for c in cells]}
    text = json.dumps(payload, ensure_ascii=True, sort_keys=False, allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (f'<script type="application/json" class="chart-data" data-chart="{e(chart_id)}" '
            f'data-measure="{e(measure)}" data-kind="{e(chart)}">{text}</script>')


class Index:
    """Published cells by key for quick selection."""

    def __init__(self, cells: list[Cell]):
        self.cells = cells
        self.by_key: dict[tuple, Cell] = {}
        self.by_measure: dict[str, list[Cell]] = {}
        for c in cells:
            self.by_key[(c.measure, c.school_year, c.comparison_group, c.breakdown, c.breakdown_value)] = c
            self.by_measure.setdefault(c.measure, []).append(c)

    def get(self, measure: str, year: int, group: str, breakdown: str = "total",
            value: str | None = None) -> Cell | None:
        if breakdown == "total" and value is None:
            for c in self.by_measure.get(measure, []):
                if c.school_year == year and c.comparison_group == group and c.breakdown == "total":
                    return c
            return None
        return self.by_key.get((measure, year, group, breakdown, value))

    def select(self, measure: str, breakdown: str, year: int | None = None) -> list[Cell]:
        return [c for c in self.by_measure.get(measure, [])
                if c.breakdown == breakdown and (year is None or c.school_year == year)]


def value_order(value: str) -> tuple:
    """Breakdown values in reading order: PK and KF before numbered grades, numbers numerically."""
    v = value.upper().replace("PK", "-1").replace("KF", "00")
    return tuple((0, int(t), "") if t.lstrip("-").isdigit() else (1, 0, t) for t in re.split(r"(-?\d+)", v) if t)


def group_order(groups: Iterable[str]) -> list[str]:
    present = set(groups)
    return [g for g in GROUPS if g in present] + sorted(present - set(GROUPS))


# Summary sentences ---------------------------------------------------------


@dataclass
class Statement:
    measure: str
    html: str
    cells: list[Cell]
    group: str | None = None


def measure_statement(idx: Index, measure: Measure, units: Units) -> Statement:
    totals = idx.select(measure.name, "total")
    years = sorted({c.school_year for c in totals})
    label = e(measure.label[0].upper() + measure.label[1:])
    if not years:
        return Statement(measure.name, f"<b>{label}</b>: no published rows.", [])
    # The latest year in which an involved group can be compared with NOT_INVOLVED (both cells shown).
    def comparable(year: int) -> tuple[Cell | None, list[Cell]]:
        ref = idx.get(measure.name, year, REFERENCE_GROUP)
        if ref is None or is_suppressed(ref):
            return ref, []
        for tier in (INVOLVED_GROUPS, LENS_GROUPS):
            found = []
            for group in tier:
                c = idx.get(measure.name, year, group)
                if c is not None and not is_suppressed(c) and c.gap_pp_vs_not_involved is not None:
                    found.append(c)
            if found:
                return ref, found
        return ref, []

    latest = years[-1]
    for year in reversed(years):
        ref, candidates = comparable(year)
        if candidates:
            latest = year
            break
    else:
        return Statement(
            measure.name,
            f"<b>{label}</b>: in no school year can an involved group be compared with students not involved, "
            f"because the cells needed are suppressed or not published.", [])
    head = f"<b>{label}</b>"
    if latest != years[-1]:
        head += f" (no comparison possible in {years[-1]}: cells suppressed)"
    years = [y for y in years if y <= latest]
    top = max(candidates, key=lambda c: (abs(c.gap_pp_vs_not_involved or 0.0), -GROUPS.index(c.comparison_group)))
    gap = top.gap_pp_vs_not_involved or 0.0
    direction = "higher" if gap > 0 else "lower" if gap < 0 else "the same"
    what = "rate" if measure.kind == PROPORTION else "figure"
    text = (f"{head}: in {latest} the {what} for {GROUP_PHRASES.get(top.comparison_group, top.comparison_group)} "
            f"was {direction} than for students not involved, "
            f"{e(value_text(top, units))} ({n_text(top, measure.n_unit)}) against "
            f"{e(value_text(ref, units))} ({n_text(ref, measure.n_unit)}), "
            f"a gap of {e(gap_text(gap, units))}")
    used = [top, ref]
    earlier = None
    for year in years[:-1]:
        c = idx.get(measure.name, year, top.comparison_group)
        r = idx.get(measure.name, year, REFERENCE_GROUP)
        if c is not None and r is not None and not is_suppressed(c) and not is_suppressed(r) \
                and c.gap_pp_vs_not_involved is not None:
            earlier = (c, r)
            break
    if earlier is None:
        text += "; no earlier year can be compared (suppressed or not published)."
    else:
        c0, r0 = earlier
        g0 = c0.gap_pp_vs_not_involved or 0.0
        if g0 * gap < 0:
            move = "reversed direction"
        elif abs(abs(gap) - abs(g0)) < units.steady_within:
            move = "stayed about the same"
        elif abs(gap) > abs(g0):
            move = "widened"
        else:
            move = "narrowed"
        text += (f"; in {c0.school_year} it was {e(gap_text(g0, units))} "
                 f"({n_text(c0, measure.n_unit)} and {n_text(r0, measure.n_unit)}), so the gap {move}.")
        used += [c0, r0]
    return Statement(measure.name, text, used, top.comparison_group)


def domain_summary(idx: Index, domain: Domain, units_of: dict[str, Units]) -> str:
    statements = [measure_statement(idx, m, units_of[m.name]) for m in domain.measures
                  if m.name in idx.by_measure]
    if not statements:
        return '<p class="summary">No measure of this domain is published.</p>'
    counts: dict[str, int] = {}
    for s in statements:
        if s.group:
            counts[s.group] = counts.get(s.group, 0) + 1
    parts = []
    if counts:
        best = max(counts, key=lambda g: (counts[g], -GROUPS.index(g)))
        compared = sum(counts.values())
        parts.append(
            f"Of the {compared} measure{'s' if compared != 1 else ''} of this domain that can be compared "
            f"(latest comparable year), {GROUP_PHRASES.get(best, best)} differed most from students not involved on "
            f"{counts[best]} of {compared}.")
    for s in statements:
        keys = ";".join(c.key for c in s.cells)
        parts.append(f'<span class="statement" data-measure="{e(s.measure)}" data-cells="{e(keys)}">{s.html}</span>')
    return '<p class="summary">' + " ".join(parts) + "</p>"


# Tables -------------------------------------------------------------------


def td(cell: Cell | None, units: Units, *, with_n: bool = True) -> str:
    if cell is None:
        return '<td class="none">not published</td>'
    if is_suppressed(cell):
        return f'<td class="suppressed" data-cell="{e(cell.key)}">{SUPPRESSED}</td>'
    n = f'<span class="n">{n_text(cell)}</span>' if with_n else ""
    return f'<td data-cell="{e(cell.key)}">{e(value_text(cell, units))}{n}</td>'


def gap_td(cell: Cell | None, units: Units) -> str:
    if cell is None:
        return '<td class="none">not published</td>'
    if is_suppressed(cell):
        return f'<td class="suppressed" data-cell="{e(cell.key)}">{SUPPRESSED}</td>'
    if cell.comparison_group == REFERENCE_GROUP:
        return '<td class="none">reference</td>'
    if cell.gap_pp_vs_not_involved is None:
        return f'<td class="none" data-cell="{e(cell.key)}">not available (no reference value)</td>'
    return f'<td data-cell="{e(cell.key)}">{e(gap_text(cell.gap_pp_vs_not_involved, units))}</td>'


def trend_table(idx: Index, measure: Measure, units: Units, years: list[int], latest: int) -> str:
    totals = idx.select(measure.name, "total")
    groups = group_order(c.comparison_group for c in totals)
    head = "".join(f"<th scope=\"col\">{y}</th>" for y in years)
    rows = []
    for g in groups:
        cells = "".join(td(idx.get(measure.name, y, g), units) for y in years)
        rows.append(f'<tr><th scope="row">{e(GROUP_LABELS.get(g, g))}</th>{cells}'
                    f'{gap_td(idx.get(measure.name, latest, g), units)}</tr>')
    return (f'<table class="data"><caption>{e(measure.label)}: all students, by group and school year '
            f'(n = denominator); gap to students not involved in {latest}</caption>'
            f'<thead><tr><th scope="col">Group</th>{head}<th scope="col">Gap {latest}</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def breakdown_table(cells: list[Cell], measure: Measure, units: Units, breakdown: str, year: int) -> str:
    values = sorted({c.breakdown_value for c in cells}, key=value_order)
    groups = group_order(c.comparison_group for c in cells)
    by = {(c.breakdown_value, c.comparison_group): c for c in cells}
    head = "".join(f'<th scope="col">{e(g)}</th>' for g in groups)
    rows = "".join(
        f'<tr><th scope="row">{e(v)}</th>{"".join(td(by.get((v, g)), units) for g in groups)}</tr>'
        for v in values)
    return (f'<details><summary>Table: {e(measure.label)} by {e(BREAKDOWN_LABELS.get(breakdown, breakdown))}, '
            f'{year}</summary><table class="data"><thead><tr><th scope="col">'
            f'{e(BREAKDOWN_LABELS.get(breakdown, breakdown))}</th>{head}</tr></thead><tbody>{rows}</tbody>'
            f'</table></details>')


# Chart descriptions (alt text) ----------------------------------------------


def describe_cells(cells: list[Cell], units: Units, label_of) -> str:
    parts = []
    for c in cells:
        if is_suppressed(c):
            parts.append(f"{label_of(c)}: suppressed")
        else:
            ci = ""
            if c.ci_low is not None and c.ci_high is not None and not is_banded(c):
                ci = (f" (95% interval {c.ci_low * units.factor:.{units.decimals}f} to "
                      f"{c.ci_high * units.factor:.{units.decimals}f})")
            parts.append(f"{label_of(c)}: {value_text(c, units)}{ci}, {n_text(c)}")
    return "; ".join(parts) + "."


def caption(desc: str) -> str:
    """The visible caption: the description's first sentence (the full text is the SVG's <desc>)."""
    return desc.split(". ", 1)[0].rstrip(".") + ". Numbers in the table."


# Sections -----------------------------------------------------------------


def choose_breakdown(idx: Index, measure: Measure) -> str | None:
    available = {c.breakdown for c in idx.by_measure.get(measure.name, [])} - {"total"}
    for b in (measure.breakdown, *BREAKDOWN_FALLBACK):
        if b in available:
            return b
    return next(iter(sorted(available)), None)


def measure_section(idx: Index, measure: Measure, units: Units) -> str:
    m = measure.name
    totals = idx.select(m, "total")
    years = sorted({c.school_year for c in idx.by_measure.get(m, [])})
    out = [f'<section class="measure" id="m-{e(m)}" data-measure="{e(m)}">',
           f'<h3>{e(measure.label[0].upper() + measure.label[1:])} <code>{e(m)}</code></h3>',
           f'<p class="definition">{e(measure.definition)}.</p>']
    if not totals:
        out.append('<p class="none">No all-students rows are published for this measure.</p></section>')
        return "\n".join(out)
    total_years = sorted({c.school_year for c in totals})
    latest = total_years[-1]
    groups = group_order(c.comparison_group for c in totals)

    # 1. Rate by group over the years.
    chart_id = f"c-{m}-trend"
    series = {g: {y: point(idx.get(m, y, g), units) for y in total_years if idx.get(m, y, g) is not None}
              for g in groups}
    title = f"{measure.label[0].upper() + measure.label[1:]}: by group and school year"
    desc = (f"Line chart of {measure.label}, in {units.axis.lower()}, for each comparison group, school years "
            f"{total_years[0]} to {total_years[-1]}, with 95% intervals. "
            + describe_cells(sorted(totals, key=lambda c: (group_order(groups).index(c.comparison_group),
                                                            c.school_year)),
                             units, lambda c: f"{GROUP_LABELS.get(c.comparison_group, c.comparison_group)} "
                                              f"{c.school_year}"))
    svg = charts.trend_chart(chart_id, title, desc, units.axis, total_years, series,
                             percent=units.suffix == "%")
    out.append(f'<figure class="chart">{svg}{data_block(chart_id, m, "trend", {"measure": m, "breakdown": "total"}, totals)}'
               f'<figcaption>{e(caption(desc))}</figcaption></figure>')
    out.append(trend_table(idx, measure, units, total_years, latest))

    # 2. Gap to NOT_INVOLVED, latest year.
    latest_cells = idx.select(m, "total", latest)
    chart_id = f"c-{m}-gap"
    gaps = {c.comparison_group: gap_point(c, units) for c in latest_cells}
    title = f"Gap to students not involved, {latest}"
    gap_cells = sorted([c for c in latest_cells if c.comparison_group != REFERENCE_GROUP],
                       key=lambda c: group_order(groups).index(c.comparison_group))
    desc_parts = []
    for c in gap_cells:
        label = GROUP_LABELS.get(c.comparison_group, c.comparison_group)
        if is_suppressed(c):
            desc_parts.append(f"{label}: suppressed")
        elif c.gap_pp_vs_not_involved is None:
            desc_parts.append(f"{label}: not available")
        else:
            desc_parts.append(f"{label}: {gap_text(c.gap_pp_vs_not_involved, units)}")
    desc = (f"Bar chart of the difference between each group's {measure.label} and that of students not "
            f"involved in {latest}, in {units.gap_word}. " + "; ".join(desc_parts) + ".")
    if gaps:
        svg = charts.gap_chart(chart_id, title, desc, f"Difference in {units.gap_word}", gaps,
                               "group minus not involved")
        out.append(f'<figure class="chart gap">{svg}'
                   f'{data_block(chart_id, m, "gap", {"measure": m, "breakdown": "total", "school_year": latest}, latest_cells)}'
                   f'<figcaption>{e(caption(desc))}</figcaption></figure>')

    # 3. Small multiples of the chosen breakdown, latest year with breakdown rows.
    breakdown = choose_breakdown(idx, measure)
    if breakdown is None:
        out.append('<p class="none">No breakdown rows are published for this measure.</p>')
    else:
        b_all = idx.select(m, breakdown)
        b_year = max(c.school_year for c in b_all)
        b_cells = idx.select(m, breakdown, b_year)
        values = sorted({c.breakdown_value for c in b_cells}, key=value_order)
        note = ""
        if len(values) > MAX_PANELS:
            size: dict[str, float] = {}
            for c in b_cells:
                if c.comparison_group == "STATEWIDE" and c.denominator is not None:
                    size[c.breakdown_value] = c.denominator
            keep = sorted(values, key=lambda v: (-size.get(v, -1), v))[:MAX_PANELS]
            note = (f" The chart shows the {MAX_PANELS} largest of {len(values)} values; every value is in the "
                    f"table below it.")
            values = sorted(keep, key=value_order)
        panels = {v: {c.comparison_group: point(c, units) for c in b_cells if c.breakdown_value == v}
                  for v in values}
        drawn = [c for c in b_cells if c.breakdown_value in panels]  # the chart's data: the panels it draws
        b_filter: dict[str, Any] = {"measure": m, "breakdown": breakdown, "school_year": b_year}
        if note:
            b_filter["breakdown_value"] = list(values)
        chart_id = f"c-{m}-{breakdown}"
        blabel = BREAKDOWN_LABELS.get(breakdown, breakdown)
        title = f"{measure.label[0].upper() + measure.label[1:]} by {blabel}, {b_year}"
        desc = (f"Small multiples, one panel per {blabel} value, of {measure.label}, in {units.axis.lower()}, for each group "
                f"in {b_year}, with 95% intervals.{note} "
                + describe_cells(sorted(drawn, key=lambda c: (c.breakdown_value,
                                                                 group_order(groups + [c.comparison_group]).index(
                                                                     c.comparison_group))),
                                 units, lambda c: f"{c.breakdown_value}, {c.comparison_group}"))
        svg = charts.multiples_chart(chart_id, title, desc, units.axis, panels, percent=units.suffix == "%")
        out.append(f'<figure class="chart multiples">{svg}'
                   f'{data_block(chart_id, m, "breakdown", b_filter, drawn)}'
                   f'<figcaption>{e(caption(desc))}</figcaption></figure>')
        out.append(breakdown_table(b_cells, measure, units, breakdown, b_year))
    out.append("</section>")
    return "\n".join(out)


# Page ---------------------------------------------------------------------

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif;
       margin: 0 auto; max-width: 1020px; padding: 0 1.2rem 3rem; color: #1b1b1b; line-height: 1.45; }
header { border-bottom: 2px solid #1b1b1b; margin-bottom: 1rem; padding-top: 1rem; }
h1 { font-size: 1.55rem; margin: .2rem 0 .6rem; }
h2 { font-size: 1.3rem; margin-top: 2.4rem; border-bottom: 1px solid #999; padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 1.8rem 0 .3rem; }
h3 code { font-size: .8rem; color: #555; font-weight: normal; margin-left: .4rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .5rem 0 1rem; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
.demo { background: #fff3c4; border: 2px solid #8a6d00; padding: .5rem .8rem; font-weight: 600; margin: .6rem 0; }
.secret { background: #e8f1e8; border: 1px solid #3c6e3c; padding: .4rem .8rem; margin: .6rem 0; }
.unknown { background: #eeeeee; border: 1px solid #777; padding: .4rem .8rem; margin: .6rem 0; }
.summary { background: #f4f6f8; border-left: 4px solid #0072b2; padding: .6rem .9rem; }
.summary .statement { display: block; margin-top: .35rem; }
.definition { color: #444; margin: 0 0 .5rem; font-size: .92rem; }
figure.chart { margin: .6rem 0 .4rem; }
figure.chart svg { max-width: 100%; height: auto; }
figcaption { font-size: .78rem; color: #555; margin-top: .2rem; }
table.data { border-collapse: collapse; font-size: .85rem; margin: .4rem 0 .8rem; }
table.data caption { text-align: left; font-size: .85rem; color: #333; padding-bottom: .2rem; }
table.data th, table.data td { border: 1px solid #c8c8c8; padding: .2rem .45rem; text-align: right; }
table.data th[scope=row] { text-align: left; font-weight: 600; }
table.data thead th { background: #eef0f2; }
td .n { display: block; font-size: .72rem; color: #666; }
td.suppressed { background: repeating-linear-gradient(45deg, #f3f3f3, #f3f3f3 4px, #e2e2e2 4px, #e2e2e2 8px);
                font-style: italic; color: #444; text-align: center; }
td.none { color: #777; font-style: italic; text-align: center; }
nav.toc ul { columns: 2; padding-left: 1.1rem; }
.rules li { margin-bottom: .25rem; }
details { margin-bottom: 1rem; }
summary { cursor: pointer; color: #0b4f82; }
footer { margin-top: 3rem; font-size: .8rem; color: #555; border-top: 1px solid #999; padding-top: .5rem; }
@media print { details { display: block; } .chart { break-inside: avoid; } }
"""


def header_html(pub: Published, years: list[int]) -> str:
    man = pub.manifest
    drop = manifest_value(man, "drop_id", "drop", "source_drop", "_drop_id")
    built = manifest_value(man, "build_date", "built_at", "published_at", "build_time", "created_at", "date")
    mode = manifest_value(man, "research_key_mode", "key_mode", "key", "demo_key", "demo")
    if isinstance(mode, bool):
        mode = "demo" if mode else "secret"
    mode_text = str(mode).lower() if mode is not None else None
    if mode_text in ("demo", "true", "yes", "1"):
        banner = ('<p class="demo" role="note">DEMO BUILD: these outputs were built under the public demo research '
                  'key, from generated (synthetic) data. They are not real findings and must not be used for '
                  'decisions.</p>')
        key_dd = "demo key (not for real data)"
    elif mode_text in ("secret", "false", "no", "0", "real"):
        banner = '<p class="secret" role="note">Built under a secret research key.</p>'
        key_dd = "secret key"
    else:
        banner = ('<p class="unknown" role="note">The publish step recorded no research-key mode: treat these '
                  'outputs as unverified.</p>')
        key_dd = "not recorded"
    span = f"{years[0]}–{years[-1]}" if years else "none"
    year_list = ", ".join(str(y) for y in years)
    return f"""<header>
<h1>Educational outcomes of children and youth in protective services and juvenile justice, New Mexico</h1>
{banner}
<dl class="meta">
<dt>School years</dt><dd>{e(span)} ({e(year_list)}; a school year is named by the June it ends in)</dd>
<dt>Drop</dt><dd>{e(drop) if drop is not None else "not recorded by the publish step"}</dd>
<dt>Build date</dt><dd>{e(built) if built is not None else "not recorded by the publish step"}</dd>
<dt>Research key</dt><dd>{e(key_dd)}</dd>
<dt>Source</dt><dd>the published mart <code>published_outcomes</code> only ({e(pub.source.name)}; {len(pub.cells):,} rows)</dd>
</dl>
</header>"""


def rules_html(pub: Published) -> str:
    threshold = manifest_value(pub.manifest, "suppression_threshold", "min_cell_size", "threshold") or DEFAULT_THRESHOLD
    n_sup = sum(1 for c in pub.cells if is_suppressed(c))
    reasons: dict[str, int] = {}
    for c in pub.cells:
        if c.suppression_reason is not None:
            reasons[c.suppression_reason] = reasons.get(c.suppression_reason, 0) + 1
    reason_rows = "".join(f'<tr><th scope="row"><code>{e(r)}</code></th><td>{k:,}</td></tr>'
                          for r, k in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
    reason_table = (f'<table class="data"><caption>Published cells withheld or banded, by reason (a count of '
                    f'cells, not of students)</caption><thead><tr><th scope="col">suppression_reason</th>'
                    f'<th scope="col">cells</th></tr></thead><tbody>{reason_rows}</tbody></table>'
                    if reasons else "")
    groups = "".join(f"<li><b>{e(g)}</b>: {e(GROUP_LABELS[g])}</li>" for g in GROUPS)
    return f"""<section id="how-to-read">
<h2>How to read this report</h2>
<p>The question: are there different educational outcomes when comparing children and youth in protective services
(PS), children and youth in juvenile justice (JJ) services, and children and youth in New Mexico public schools
statewide? Each measure is a rate over a stated denominator of student-years, per school year and comparison group.
Whiskers are 95% Wilson intervals. The <em>gap</em> is a group's rate minus the rate of students not involved in
the same year and breakdown, in percentage points (in the measure's own units for means and rates per 100).</p>
<ul>{groups}</ul>
<h3>Suppression rule</h3>
<ul class="rules">
<li><b>Primary suppression</b>: no count from 1 to {e(int(threshold) - 1)} is published, and no rate whose
denominator is under {e(threshold)}.</li>
<li><b>Complementary suppression</b>: where published cells add up to a published total (the breakdown values of one
group and year; the groups against STATEWIDE), either no cell or at least two cells are suppressed, and what could be
derived from the total is 0 or at least {e(threshold)}.</li>
<li><b>No back-calculation</b>: no shown rate and denominator imply a count from 1 to {e(int(threshold) - 1)}.</li>
<li><b>Top/bottom coding</b>: extreme rates are shown as bands (denominator 300+: <code>&lt;=1%</code> /
<code>&gt;=99%</code>; 100–299: <code>&lt;=2%</code> / <code>&gt;=98%</code>; 40–99: <code>&lt;=5%</code> /
<code>&gt;=95%</code>); banded values are drawn as hollow markers at the band's bound, without an interval.</li>
</ul>
<p>A suppressed cell is written as <b>suppressed</b>: in tables it is a hatched cell, in line charts a hollow marker in
the grey strip labelled “suppressed” under the plot, in bar and dot charts the word “suppressed”. It is never drawn as
zero and no number of it appears anywhere in this report. This report has {n_sup:,} suppressed cells of
{len(pub.cells):,}.</p>
{reason_table}
</section>"""


def _measure_sections_job(args: tuple[Index, list[tuple[Measure, Units]]]) -> list[str]:
    idx, jobs = args
    return [measure_section(idx, measure, units) for measure, units in jobs]


def render_measure_sections(idx: Index, jobs: list[tuple[Measure, Units]]) -> dict[str, str]:
    """Each measure's section; drawing the charts (most of the report's time) is spread over the CPUs.

    Sections are independent and each chart's SVG depends only on its data (fixed hash salt), so the
    page is the same however the work is split. Worker processes are spawned (not forked: the caller
    may hold DuckDB threads).
    """
    workers = min(os.cpu_count() or 1, 4, len(jobs))
    if workers < 2:
        return {m.name: measure_section(idx, m, u) for m, u in jobs}
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunks = [jobs[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_measure_sections_job, [(idx, chunk) for chunk in chunks]))
    return {m.name: html for chunk, out in zip(chunks, results) for (m, _u), html in zip(chunk, out)}


def render_html(pub: Published) -> str:
    idx = Index(pub.cells)
    years = pub.years
    factor = proportion_factor(pub.cells)
    units_of = {name: units_for(m, factor) for name, m in MEASURES.items()}
    toc, sections = [], []
    rendered = render_measure_sections(
        idx, [(m, units_of[m.name]) for d in DOMAINS for m in d.measures if m.name in idx.by_measure])
    for domain in DOMAINS:
        present = [m for m in domain.measures if m.name in idx.by_measure]
        missing = [m for m in domain.measures if m.name not in idx.by_measure]
        toc.append(f'<li><a href="#d-{e(domain.key)}">{e(domain.title)}</a></li>')
        body = [f'<section class="domain" id="d-{e(domain.key)}" data-domain="{e(domain.key)}">',
                f"<h2>{e(domain.title)}</h2>", domain_summary(idx, domain, units_of)]
        for m in present:
            body.append(rendered[m.name])
        for m in missing:
            body.append(f'<section class="measure" id="m-{e(m.name)}" data-measure="{e(m.name)}">'
                        f'<h3>{e(m.label)} <code>{e(m.name)}</code></h3>'
                        f'<p class="none">Not in the published mart.</p></section>')
        body.append("</section>")
        sections.append("\n".join(body))
    unknown = sorted(set(idx.by_measure) - set(MEASURES))
    if unknown:
        sections.append('<section class="domain" id="d-other"><h2>Other published measures</h2>'
                        + "\n".join(measure_section(idx, Measure(u, u, "as published", "grade_band"),
                                                    units_for(Measure(u, u, "", ""), factor)) for u in unknown)
                        + "</section>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Educational outcomes by involvement group, New Mexico, {e(years[0] if years else "")}–{e(years[-1] if years else "")}</title>
<style>{CSS}</style>
</head>
<body>
{header_html(pub, years)}
<nav class="toc" aria-label="Contents"><h2>Contents</h2><ul>{"".join(toc)}<li><a href="#how-to-read">How to read this report</a></li></ul></nav>
<main>
{"".join(sections)}
{rules_html(pub)}
</main>
<footer>Generated by <code>datashare report</code> from the published mart only. Charts drawn with matplotlib; every
chart's data is embedded next to it as JSON (<code>script type="application/json" class="chart-data"</code>).</footer>
</body>
</html>
"""


def render_report(published_dir: Path, out_file: Path) -> Path:
    """Render the HTML report from the published folder into out_file; returns out_file."""
    pub = load_published(Path(published_dir))
    text = render_html(pub)
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_file.with_suffix(out_file.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out_file)
    return out_file
