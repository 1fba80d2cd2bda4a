"""The HTML research report: drawn from the published mart only, complete, faithful, and leak-free.

Two kinds of test:
- on the real pipeline output (`built_warehouse`): the report the pipeline
  rendered from `published/` has a section and charts for every domain and
  measure, every chart's embedded data equals the corresponding rows of
  `published_outcomes` (read here independently), suppressed cells appear as
  "suppressed" and carry no number anywhere, every n quoted is a published
  denominator, and nothing is fetched from the network;
- on a small published mart written here into a real DuckDB file: rendering
  is deterministic, banded and suppressed cells are shown as such, the header
  reads the publish manifest, and the command writes DIR/report.html.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from datashare.report import render_report
from datashare.report.data import COLUMNS, KEY_COLUMNS, NUMBER_COLUMNS
from datashare.report.layout import DOMAINS, MEASURES

RESEARCH_DESIGN_MEASURES = {
    "special_ed_rate", "gifted_rate", "english_learner_rate", "section_504_rate", "mobility_rate",
    "schools_attended_mean", "retention_rate", "graduation_rate_4yr", "dropout_rate", "attendance_rate",
    "chronic_absence_rate", "excessive_absence_rate", "habitual_truancy_rate", "infraction_rate",
    "out_of_school_suspension_rate", "expulsion_rate", "incidents_per_100", "proficiency_rate_ela",
    "proficiency_rate_math", "proficiency_rate_science",
}
NETWORK_PATTERNS = [
    re.compile(r"""\b(?:src|href|srcset|poster|data|action)\s*=\s*["']?\s*(?:https?:|ftp:)?//""", re.I),
    re.compile(r"@import", re.I),
    re.compile(r"url\(\s*['\"]?\s*(?:https?:)?//", re.I),
    re.compile(r"<link\b", re.I),
    re.compile(r"<(?:iframe|img|object|embed|video|audio)\b", re.I),
]
SUPPRESSED_WORD = "suppressed"


# Parsing the report -----------------------------------------------------------


class ReportParser(HTMLParser):
    """Collects sections, chart SVGs, chart data blocks, data-cell elements and summary statements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.domains: list[str] = []
        self.measure_sections: list[str] = []
        self.svgs: list[dict] = []  # {'title': str, 'desc': str, 'labelledby': str}
        self.scripts: list[dict] = []  # {'attrs': dict, 'text': str}
        self.cells: dict[str, list[str]] = {}  # data-cell -> texts of the elements carrying it
        self.statements: list[dict] = []  # {'cells': [...], 'text': str}
        self._stack: list[tuple[str, dict, list[str]]] = []
        self.text_outside_scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and "data-domain" in a:
            self.domains.append(a["data-domain"])
        if tag == "section" and "data-measure" in a:
            self.measure_sections.append(a["data-measure"])
        if tag == "svg" and a.get("role") == "img":
            self.svgs.append({"labelledby": a.get("aria-labelledby", ""), "title": "", "desc": ""})
        self._stack.append((tag, a, []))

    def handle_endtag(self, tag):
        while self._stack:
            t, a, texts = self._stack.pop()
            text = "".join(texts)
            if self._stack:
                self._stack[-1][2].append(text)
            if t == "script":
                self.scripts.append({"attrs": a, "text": text})
            if t in ("title", "desc") and self.svgs and any(s[0] == "svg" for s in self._stack):
                self.svgs[-1][t] = text
            if "data-cell" in a:
                self.cells.setdefault(a["data-cell"], []).append(text.strip())
            if "data-cells" in a and "statement" in a.get("class", ""):
                self.statements.append({"cells": [k for k in a["data-cells"].split(";") if k], "text": text,
                                        "measure": a.get("data-measure", "")})
            if t == tag:
                break

    def handle_data(self, data):
        if self._stack:
            self._stack[-1][2].append(data)
        if not self._stack or self._stack[-1][0] != "script":
            self.text_outside_scripts.append(data)


def parse(path: Path) -> ReportParser:
    parser = ReportParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def chart_blocks(parsed: ReportParser) -> list[dict]:
    return [json.loads(s["text"]) for s in parsed.scripts if s["attrs"].get("type") == "application/json"]


# Reading the mart independently of the report code -------------------------------------


def read_mart(published_dir: Path) -> list[dict]:
    parquet = published_dir / "published_outcomes.parquet"
    if parquet.exists():
        con = duckdb.connect()
        rel = f"read_parquet('{parquet}')"
    else:
        con = duckdb.connect(str(published_dir / "published.duckdb"), read_only=True)
        rel = "published_outcomes"
    try:
        cur = con.execute(f"select {', '.join(COLUMNS)} from {rel}")
        rows = [dict(zip(COLUMNS, r)) for r in cur.fetchall()]
    finally:
        con.close()
    for r in rows:
        for c, v in r.items():
            if hasattr(v, "as_integer_ratio") and not isinstance(v, (int, float)):  # Decimal
                r[c] = int(v) if v == int(v) else float(v)
        r["school_year"] = int(r["school_year"])
    return rows


def key(row: dict) -> str:
    return "|".join(str(row[c]) for c in KEY_COLUMNS)


def is_banded(row: dict) -> bool:
    return bool(re.match(r"^\s*[<>]=?\s*[\d.]+\s*%?\s*$", row["display_value"] or ""))


def is_suppressed(row: dict) -> bool:
    """Suppressed: a suppression reason (a top/bottom-coded cell is shown by its band, not suppressed)."""
    return row["suppression_reason"] is not None and not is_banded(row)


def same_number(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)


def assert_rows_equal(chart_rows: list[dict], mart_rows: list[dict], where: str) -> None:
    got = {key(r): r for r in chart_rows}
    want = {key(r): r for r in mart_rows}
    assert len(got) == len(chart_rows), f"{where}: duplicate rows in the chart data"
    assert set(got) == set(want), (
        f"{where}: chart rows differ from the mart: missing {sorted(set(want) - set(got))[:5]}, "
        f"extra {sorted(set(got) - set(want))[:5]}")
    for k, w in want.items():
        g = got[k]
        for c in COLUMNS:
            if c in NUMBER_COLUMNS:
                assert same_number(g[c], w[c]), f"{where}, cell {k}, column {c}: chart {g[c]!r}, mart {w[c]!r}"
            else:
                assert g[c] == w[c], f"{where}, cell {k}, column {c}: chart {g[c]!r}, mart {w[c]!r}"


def number_tokens(text: str) -> list[float]:
    return [float(t.replace(",", "")) for t in re.findall(r"[-+]?\d[\d,]*(?:\.\d+)?", text)]


# Reading what a chart drew back out of its SVG ------------------------------------------

SVG_NS = "{http://www.w3.org/2000/svg}"


def svg_elements(text: str) -> dict[str, ET.Element]:
    """Every inline chart SVG of the page, parsed, by chart id."""
    out = {}
    for m in re.finditer(r'<svg role="img" aria-labelledby="(?P<id>\S+)-title [^"]*".*?</svg>', text, flags=re.S):
        out[m.group("id")] = ET.fromstring(m.group(0))
    return out


def _groups(svg: ET.Element, pattern: str) -> dict[str, ET.Element]:
    return {m.group(1): g for g in svg.iter(f"{SVG_NS}g")
            if (m := re.fullmatch(pattern, g.get("id", "")))}


def _axis_map(svg: ET.Element, chart_id: str, axis: str):
    """pixel -> data value along one axis, from its labelled ticks (tick mark position and label text)."""
    ticks = []
    for g in _groups(svg, rf"{re.escape(chart_id)}-{axis}tick_(\d+)").values():
        label = "".join(t.text or "" for t in g.iter(f"{SVG_NS}text")).strip()
        mark = next(g.iter(f"{SVG_NS}use"), None)
        if label and mark is not None:
            ticks.append((float(mark.get("x" if axis == "x" else "y")),
                          float(label.replace("\u2212", "-").rstrip("%"))))
    assert len(ticks) >= 2, f"chart {chart_id}: fewer than two labelled {axis} ticks"
    (p0, v0), (p1, v1) = min(ticks), max(ticks)
    slope = (v1 - v0) / (p1 - p0)
    for p, v in ticks:  # every tick on the same line: a linear axis
        assert math.isclose(v0 + slope * (p - p0), v, abs_tol=1e-6 * max(abs(v1 - v0), 1)), (chart_id, ticks)
    return (lambda pixel: v0 + slope * (pixel - p0)), abs(v1 - v0)


def drawn_trend(svg: ET.Element, chart_id: str) -> tuple[dict, dict, set, float]:
    """(values on the lines, banded bounds, suppressed marks, axis span), keyed (group, year)."""
    x_of, _ = _axis_map(svg, chart_id, "x")
    y_of, span = _axis_map(svg, chart_id, "y")
    pid = re.escape(chart_id)
    lines = {}
    for group, g in _groups(svg, rf"{pid}-series-(\w+)").items():
        for use in g.iter(f"{SVG_NS}use"):
            lines[(group, round(x_of(float(use.get("x")))))] = y_of(float(use.get("y")))
    banded = {}
    for gy, g in _groups(svg, rf"{pid}-banded-(\w+-\d+)").items():
        group, year = gy.rsplit("-", 1)
        banded[(group, int(year))] = y_of(float(next(g.iter(f"{SVG_NS}use")).get("y")))
    suppressed = {(gy.rsplit("-", 1)[0], int(gy.rsplit("-", 1)[1]))
                  for gy in _groups(svg, rf"{pid}-suppressed-(\w+-\d+)")}
    return lines, banded, suppressed, span


def drawn_bars(svg: ET.Element, chart_id: str) -> tuple[dict, float]:
    """The value each horizontal bar reaches, by group, and the axis span."""
    x_of, span = _axis_map(svg, chart_id, "x")
    out = {}
    for group, g in _groups(svg, rf"{re.escape(chart_id)}-bar-(\w+)").items():
        path = next(g.iter(f"{SVG_NS}path"))
        xs = [x_of(float(x)) for x in re.findall(r"[ML] ([-\d.]+) [-\d.]+", path.get("d"))]
        out[group] = max(xs, key=abs)  # a bar runs from 0 to its value
    return out, span


def band_bound(row: dict) -> float:
    return float(re.match(r"^\s*[<>]=?\s*([\d.]+)", row["display_value"]).group(1))


def check_drawn(text: str, blocks: list[dict], mart: list[dict]) -> int:
    """Every trend and gap chart drew exactly its published rows' values; returns the values checked."""
    svgs = svg_elements(text)
    proportions = [r["rate"] for r in mart if r["rate"] is not None and MEASURES[r["measure"]].kind == "proportion"]
    factor = 100.0 if not proportions or max(proportions) <= 1.0 else 1.0
    checked = 0
    for b in blocks:
        svg = svgs[b["chart_id"]]
        if b["chart"] == "trend":
            lines, banded, suppressed, span = drawn_trend(svg, b["chart_id"])
            tol = 2e-3 * span
            want_lines, want_banded, want_suppressed = {}, {}, set()
            for r in b["rows"]:
                k = (r["comparison_group"], r["school_year"])
                if is_suppressed(r):
                    want_suppressed.add(k)
                elif is_banded(r):
                    want_banded[k] = band_bound(r)
                else:
                    f = factor if MEASURES[r["measure"]].kind == "proportion" else 1.0
                    want_lines[k] = r["rate"] * f
            assert set(lines) == set(want_lines), f"chart {b['chart_id']}: draws {sorted(lines)}, rows {sorted(want_lines)}"
            assert set(banded) == set(want_banded) and suppressed == want_suppressed, b["chart_id"]
            for k, v in {**want_lines, **want_banded}.items():
                got = lines.get(k, banded.get(k))
                assert abs(got - v) <= tol, f"chart {b['chart_id']} draws {k} at {got:.3f}, published {v:.3f}"
                checked += 1
        elif b["chart"] == "gap":
            bars, span = drawn_bars(svg, b["chart_id"])
            want = {r["comparison_group"]: r["gap_pp_vs_not_involved"] for r in b["rows"]
                    if r["comparison_group"] != "NOT_INVOLVED" and not is_suppressed(r)
                    and r["gap_pp_vs_not_involved"] is not None}
            assert set(bars) == set(want), f"chart {b['chart_id']}: bars {sorted(bars)}, gaps {sorted(want)}"
            for g, v in want.items():
                assert abs(bars[g] - v) <= 2e-3 * span, f"chart {b['chart_id']} bar {g} at {bars[g]:.3f}, gap {v:.3f}"
                checked += 1
    return checked


# Checks shared by both kinds of test ----------------------------------------------------


def check_report(report: Path, mart: list[dict], *, expect_all_design_measures: bool) -> ReportParser:
    assert report.exists() and report.stat().st_size > 0, f"{report}: no report"
    text = report.read_text(encoding="utf-8")
    parsed = parse(report)
    mart_measures = {r["measure"] for r in mart}

    # Sections: every domain, every measure of the layout and of the mart.
    assert parsed.domains[: len(DOMAINS)] == [d.key for d in DOMAINS], f"{report}: domain sections {parsed.domains}"
    assert set(parsed.measure_sections) >= set(MEASURES) | mart_measures
    if expect_all_design_measures:
        assert RESEARCH_DESIGN_MEASURES <= mart_measures, (
            f"published mart lacks measures {sorted(RESEARCH_DESIGN_MEASURES - mart_measures)}")
    assert set(MEASURES) == RESEARCH_DESIGN_MEASURES

    # Charts: every published measure has a trend, a gap and a breakdown chart, each with data and alt text.
    blocks = chart_blocks(parsed)
    kinds: dict[str, set[str]] = {}
    for b in blocks:
        kinds.setdefault(b["measure"], set()).add(b["chart"])
    for m in mart_measures:
        has_breakdowns = any(r["measure"] == m and r["breakdown"] != "total" for r in mart)
        want = {"trend", "gap"} | ({"breakdown"} if has_breakdowns else set())
        assert kinds.get(m, set()) >= want, f"{report}: measure {m} has charts {kinds.get(m)}, wants {want}"
    assert len(parsed.svgs) == len(blocks), "every chart has one SVG and one data block"
    for svg in parsed.svgs:
        assert svg["title"].strip() and len(svg["desc"].strip()) > 40, f"chart without alt text: {svg}"
        assert svg["labelledby"].endswith("-desc"), svg
    for s in parsed.scripts:
        assert s["attrs"].get("type") == "application/json", f"executable script in the report: {s['attrs']}"

    # Every chart's data equals the corresponding rows of the published mart.
    for b in blocks:
        f = b["filter"]
        # A filter value that is a list selects any of its values (the panels a small-multiples chart draws).
        rows = [r for r in mart if all((r[c] in v) if isinstance(v, list) else r[c] == v for c, v in f.items())]
        assert rows, f"chart {b['chart_id']}: filter {f} selects no mart rows"
        assert_rows_equal(b["rows"], rows, f"chart {b['chart_id']}")

    # What the trend and gap charts drew (marker positions and bar ends read back through the axis ticks)
    # is exactly the published values: a drawing bug cannot hide behind correct embedded data.
    assert check_drawn(text, blocks, mart) > 0

    # Suppressed cells: null numbers in the data, 'suppressed' wherever the report writes them.
    shown_suppressed = 0
    for b in blocks:
        for r in b["rows"]:
            if not is_suppressed(r):
                continue
            assert all(r[c] is None for c in NUMBER_COLUMNS), f"chart {b['chart_id']}: suppressed row with a number: {r}"
            assert r["display_value"] in (None, "*", SUPPRESSED_WORD), r
            texts = parsed.cells.get(key(r), [])
            if b["chart"] in ("trend", "breakdown"):
                assert texts, f"suppressed cell {key(r)} of chart {b['chart_id']} is not shown in any table"
            for t in texts:
                assert t == SUPPRESSED_WORD, f"suppressed cell {key(r)} shown as {t!r}"
                shown_suppressed += 1
    # Descriptions say 'suppressed' for each suppressed cell they cover.
    for svg, b in zip(parsed.svgs, blocks):
        n_sup = sum(1 for r in b["rows"]
                    if is_suppressed(r) and not (b["chart"] == "gap" and r["comparison_group"] == "NOT_INVOLVED"))
        assert svg["desc"].count(SUPPRESSED_WORD) >= n_sup, (
            f"chart {b['chart_id']}: {n_sup} suppressed cells, its description names fewer: {svg['desc']}")
    # Shown cells in tables show something other than 'suppressed'.
    shown = {key(r): r for r in mart if not is_suppressed(r)}
    for k, texts in parsed.cells.items():
        if k in shown:
            assert all(t != SUPPRESSED_WORD for t in texts), f"shown cell {k} written as suppressed"

    # No number of a suppressed cell anywhere: summaries cite shown cells only, and their numbers are those cells'.
    by_key = {key(r): r for r in mart}
    years = {r["school_year"] for r in mart}
    for st in parsed.statements:
        cells = [by_key[k] for k in st["cells"]]
        for c in cells:
            assert not is_suppressed(c), f"summary statement cites suppressed cell {key(c)}: {st['text']}"
        # A sentence may name a school year and its measure's label (e.g. "Section 504") without a cell.
        allowed: set[float] = {float(y) for y in years} | set(number_tokens(MEASURES[st["measure"]].label))
        for c in cells:
            assert c["measure"] == st["measure"], f"statement on {st['measure']} cites {key(c)}"
            allowed.add(float(c["school_year"]))
            for col in ("numerator", "denominator"):
                if c[col] is not None:
                    allowed.add(float(round(c[col])))
            allowed.update(number_tokens(c["display_value"] or ""))
            if c["gap_pp_vs_not_involved"] is not None:
                allowed.add(round(c["gap_pp_vs_not_involved"], 1))
                allowed.add(round(c["gap_pp_vs_not_involved"], 2))
            if c["rate"] is not None:
                for f in (1, 100):
                    allowed.update({round(c["rate"] * f, 1), round(c["rate"] * f, 2)})
        for n in number_tokens(st["text"]):
            assert any(math.isclose(n, a, abs_tol=1e-9) for a in allowed), (
                f"summary number {n} not a value of its cells {st['cells']}: {st['text']}")
    # Every 'n=' quoted anywhere is the denominator of a shown published cell.
    denominators = {int(round(r["denominator"])) for r in mart if r["denominator"] is not None and not is_suppressed(r)}
    for token in re.findall(r"n=([\d,]+)", text):
        assert int(token.replace(",", "")) in denominators, f"n={token} is not a shown published denominator"

    # Every one-decimal percentage written outside the chart data is a shown cell's published display value
    # (or its rate), and every gap in points is a shown cell's published gap.
    visible = re.sub(r'<script type="application/json".*?</script>', "", text, flags=re.S)
    shown_rows = [r for r in mart if not is_suppressed(r)]
    percents = {r["display_value"] for r in shown_rows if r["display_value"]}
    percents |= {f"{100 * r['rate']:.1f}%" for r in shown_rows if r["rate"] is not None}
    for token in set(re.findall(r"(?<![\d.])\d+\.\d%", visible)):
        assert token in percents, f"{token} in the report is no shown published value"
    gaps = {f"{r['gap_pp_vs_not_involved']:+.1f}" for r in shown_rows if r["gap_pp_vs_not_involved"] is not None}
    for token in set(re.findall(r"([+-]\d+\.\d) pp", visible)):
        assert token in gaps, f"gap {token} pp in the report is no shown published gap"

    # Nothing fetched from the network.
    for pattern in NETWORK_PATTERNS:
        found = pattern.search(text)
        assert found is None, f"{report}: network reference {text[max(0, found.start() - 60):found.end() + 60]!r}"
    return parsed


# On the pipeline's published output ----------------------------------------------------


@pytest.fixture(scope="module")
def published(built_warehouse) -> Path:
    path = built_warehouse / "published"
    if not (path / "published_outcomes.parquet").exists() and not (path / "published.duckdb").exists():
        pytest.skip(f"the pipeline wrote no published mart into {path} (publish step not in this build yet)")
    return path


def test_pipeline_report_matches_published_mart(built_warehouse, published):
    report = built_warehouse / "report" / "report.html"
    mart = read_mart(published)
    parsed = check_report(report, mart, expect_all_design_measures=True)
    suppressed = [r for r in mart if is_suppressed(r)]
    # The small drop has small groups (DUAL, PS_CUSTODY), so some cells must be suppressed and shown as such.
    assert suppressed, "the published mart of the small drop has no suppressed cell; the check would be vacuous"
    assert any(t == [SUPPRESSED_WORD] for t in parsed.cells.values())


def test_report_header_from_published_metadata(built_warehouse, published):
    text = (built_warehouse / "report" / "report.html").read_text(encoding="utf-8")
    years = sorted({r["school_year"] for r in read_mart(published)})
    assert f"{years[0]}–{years[-1]}" in text
    for label in ("School years", "Drop", "Build date", "Research key"):
        assert f"<dt>{label}</dt>" in text
    # The session builds under the demo key: the report must not claim otherwise.
    assert "secret key</dd>" not in text
    manifest_file = published / "publish_manifest.json"
    if manifest_file.exists():
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        if manifest.get("drop_id"):
            assert f"<dt>Drop</dt><dd>{manifest['drop_id']}</dd>" in text
        if manifest.get("is_demo_build"):
            assert "DEMO BUILD" in text and "demo key (not for real data)" in text


# On a small mart written here ----------------------------------------------------------


def write_mart(folder: Path, rows: list[tuple], manifest: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(folder / "published.duckdb"))
    con.execute("""
        create table published_outcomes (
            school_year integer, comparison_group varchar, measure varchar, breakdown varchar,
            breakdown_value varchar, numerator bigint, denominator bigint, rate double, ci_low double,
            ci_high double, gap_pp_vs_not_involved double, display_value varchar, suppression_reason varchar)
    """)
    con.executemany("insert into published_outcomes values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.close()
    if manifest is not None:
        (folder / "publish_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def wilson(k: int, n: int) -> tuple[float, float]:
    z = 1.959963984540054
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return c - h, c + h


# Hidden true counts of the cells the small mart suppresses: distinctive numbers that must not leak.
HIDDEN = {("DUAL", 2023): (3, 9), ("DUAL", 2024): (4, 8)}


def small_rows() -> list[tuple]:
    counts = {"STATEWIDE": (4321, 29000), "NOT_INVOLVED": (3877, 27655), "PS": (298, 1113),
              "PS_CUSTODY": (61, 187), "JJ": (171, 649), "DUAL": None, "COURT_INVOLVED": (88, 301)}
    rows = []
    for measure in ("chronic_absence_rate", "gifted_rate"):
        for year in (2023, 2024):
            ni_k, ni_n = counts["NOT_INVOLVED"]
            for group, kn in counts.items():
                for breakdown, value, share in (("total", "total", 1.0), ("sex", "F", 0.5), ("sex", "M", 0.5)):
                    if kn is None:
                        rows.append((year, group, measure, breakdown, value, None, None, None, None, None, None,
                                     "suppressed", "primary"))
                        continue
                    k, n = int(kn[0] * share) + (year - 2023), int(kn[1] * share)
                    if measure == "gifted_rate" and group == "STATEWIDE":
                        k = 12 if breakdown == "total" else 6
                    rate = k / n
                    lo, hi = wilson(k, n)
                    gap = None if group == "NOT_INVOLVED" else 100 * (rate - ni_k * share / (ni_n * share))
                    display = f"{100 * rate:.1f}%"
                    if measure == "gifted_rate" and group == "STATEWIDE":
                        # Bottom-coded: shown as a band with every number withheld.
                        rows.append((year, group, measure, breakdown, value, None, None, None, None, None, None,
                                     "<=1%", None))
                        continue
                    if breakdown != "total" and group == "PS_CUSTODY":
                        rows.append((year, group, measure, breakdown, value, None, None, None, None, None, None,
                                     None, "complementary"))
                        continue
                    rows.append((year, group, measure, breakdown, value, k, n, rate, lo, hi, gap, display, None))
    return rows


def test_small_mart_report(tmp_path):
    published = write_mart(tmp_path / "published", small_rows(),
                           {"drop_id": "drop-2024-07-01", "build_date": "2026-12-03", "research_key_mode": "demo",
                            "suppression_threshold": 10})
    report = render_report(published, tmp_path / "out" / "report.html")
    mart = read_mart(published)
    parsed = check_report(report, mart, expect_all_design_measures=False)
    text = report.read_text(encoding="utf-8")
    # Header from the manifest.
    assert "drop-2024-07-01" in text and "2026-12-03" in text and "DEMO BUILD" in text
    assert "2023–2024" in text
    # Measures absent from the mart still have their section, saying so.
    assert 'data-measure="dropout_rate"' in text and "Not in the published mart." in text
    # Suppressed totals (DUAL) and complementary-suppressed breakdown cells (PS_CUSTODY F/M) are marked.
    for year in (2023, 2024):
        assert set(parsed.cells[f"{year}|DUAL|chronic_absence_rate|total|total"]) == {SUPPRESSED_WORD}
    assert set(parsed.cells["2024|PS_CUSTODY|chronic_absence_rate|sex|F"]) == {SUPPRESSED_WORD}
    # A banded cell is shown by its band, not its exact rate.
    assert parsed.cells["2024|STATEWIDE|gifted_rate|total|total"][0].startswith("<=1%")
    # The hidden counts of the suppressed cells appear nowhere as counts or rates.
    for k, n in HIDDEN.values():
        assert f"n={n}<" not in text and f"n={n})" not in text
        assert f"{100 * k / n:.1f}%" not in text


def test_rendering_is_deterministic(tmp_path):
    published = write_mart(tmp_path / "published", small_rows())
    first = render_report(published, tmp_path / "a.html").read_bytes()
    second = render_report(published, tmp_path / "b.html").read_bytes()
    assert first == second
    assert b"not recorded by the publish step" in first  # no manifest: the header says so


def test_command_writes_report_html(tmp_path, capsys):
    from datashare.cli import main

    published = write_mart(tmp_path / "published", small_rows())
    assert main(["report", "--out", str(tmp_path / "site"), "--published", str(published)]) == 0
    assert (tmp_path / "site" / "report.html").exists()
    assert main(["report", "--out", str(tmp_path / "site"), "--published", str(tmp_path / "nowhere")]) == 1
    assert "nowhere" in capsys.readouterr().err


def lightness(hex_color: str) -> float:
    """CIE L* of an sRGB color: what is left of it in a grayscale print."""
    r, g, b = (int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5))
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return 116 * y ** (1 / 3) - 16 if y > 0.008856 else 903.3 * y


def test_group_styles_distinguishable_in_grayscale():
    from datashare.report.layout import GROUP_STYLE, GROUPS

    styles = [GROUP_STYLE[g] for g in GROUPS]
    levels = sorted(lightness(s["color"]) for s in styles)
    assert min(b - a for a, b in zip(levels, levels[1:])) >= 5, f"group colors too close in lightness: {levels}"
    for attr in ("marker", "linestyle", "hatch"):
        values = [repr(s[attr]) for s in styles]
        assert len(set(values)) == len(values), f"two groups share a {attr}: {values}"
