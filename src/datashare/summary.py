"""Print the headline measures by comparison group for the latest school year.

Reads only the published outputs (published_outcomes.parquet in the published
folder, else published.duckdb), never the warehouse, so it shows exactly what
BI tools see: withheld cells as '*', coded extremes as their band.

    datashare summary [--warehouse DIR | --published DIR] [--year YEAR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from datashare.paths import PUBLISHED_DIR, warehouse_dir

# (measure, label) in the order printed.
HEADLINE_MEASURES = (
    ("chronic_absence_rate", "Chronic absence"),
    ("mobility_rate", "Changed schools (2+)"),
    ("special_ed_rate", "Special education"),
    ("proficiency_rate_ela", "ELA proficient"),
    ("proficiency_rate_math", "Math proficient"),
    ("graduation_rate_4yr", "4-year graduation"),
    ("out_of_school_suspension_rate", "Out-of-school suspension"),
)
GROUPS = ("STATEWIDE", "NOT_INVOLVED", "PS", "PS_CUSTODY", "JJ", "DUAL", "COURT_INVOLVED")


class SummaryError(RuntimeError):
    pass


def load_totals(published_dir: Path) -> list[tuple]:
    """Total-level rows (school_year, comparison_group, measure, display_value, denominator) of the published mart."""
    import duckdb

    parquet = published_dir / "published_outcomes.parquet"
    bi_file = published_dir / "published.duckdb"
    query = ("select school_year, comparison_group, measure, display_value, denominator "
             "from {src} where breakdown = 'total'")
    if parquet.exists():
        con = duckdb.connect()
        try:
            return con.execute(query.format(src="read_parquet(?)"), [str(parquet)]).fetchall()
        finally:
            con.close()
    if bi_file.exists():
        con = duckdb.connect(str(bi_file), read_only=True)
        try:
            return con.execute(query.format(src="published_outcomes")).fetchall()
        finally:
            con.close()
    raise SummaryError(f"no published outputs in {published_dir}: run `datashare publish` first")


def render(rows: list[tuple], year: int | None = None, manifest: dict | None = None) -> str:
    """The headline table as text."""
    if not rows:
        raise SummaryError("the published mart has no rows")
    years = sorted({r[0] for r in rows})
    year = year if year is not None else years[-1]
    cells = {(r[0], r[1], r[2]): r[3] for r in rows}
    measure_years = {}
    for measure, _ in HEADLINE_MEASURES:
        available = [y for y in years if y <= year and any((y, g, measure) in cells for g in GROUPS)]
        measure_years[measure] = available[-1] if available else None

    label_width = max(len(label) for _, label in HEADLINE_MEASURES) + 8
    widths = [max(len(g), 7) for g in GROUPS]
    lines = [f"Headline outcomes, school year {year - 1}-{str(year)[-2:]} (published mart; "
             "* = withheld to protect small groups)"]
    if manifest and manifest.get("is_demo_build"):
        lines.append("DEMO BUILD - generated data under the demo research key, not real data")
    header = "".ljust(label_width) + "  ".join(g.rjust(w) for g, w in zip(GROUPS, widths))
    lines.append(header)
    lines.append("-" * len(header))
    for measure, label in HEADLINE_MEASURES:
        shown_year = measure_years[measure]
        name = label if shown_year in (year, None) else f"{label} ({shown_year})"
        values = []
        for group, width in zip(GROUPS, widths):
            value = cells.get((shown_year, group, measure)) if shown_year is not None else None
            values.append((value if value is not None else "-").rjust(width))
        lines.append(name.ljust(label_width) + "  ".join(values))
    lines.append("Groups: PS and JJ include DUAL; NOT_INVOLVED = neither; COURT_INVOLVED is the AOC lens. "
                 "'-' = no such students.")
    return "\n".join(lines)


def summarize(published_dir: Path, year: int | None = None) -> str:
    manifest_file = published_dir / "publish_manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.exists() else None
    return render(load_totals(published_dir), year=year, manifest=manifest)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", type=Path, default=None,
                        help="warehouse folder (default: $DATASHARE_WAREHOUSE or ./warehouse)")
    parser.add_argument("--published", type=Path, default=None,
                        help=f"folder of the published files (default: <warehouse>/{PUBLISHED_DIR})")
    parser.add_argument("--year", type=int, default=None, help="school year (default: the latest published)")


def run(args: argparse.Namespace) -> int:
    published = args.published or warehouse_dir(args.warehouse) / PUBLISHED_DIR
    try:
        print(summarize(published, args.year))
    except SummaryError as exc:
        print(f"summary failed: {exc}", file=sys.stderr)
        return 1
    return 0
