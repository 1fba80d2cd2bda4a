"""`datashare report`: a static, self-contained HTML research report from the published mart only.

    datashare report --out DIR [--published DIR]

writes DIR/report.html from `published_outcomes` (published_outcomes.parquet
or published.duckdb in the published folder, default $DATASHARE_WAREHOUSE/
published). The pipeline calls `render_report(published_dir, out_file)` at its
end. See docs/report.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPORT_FILE = "report.html"


def render_report(published_dir: Path, out_file: Path) -> Path:
    """Render the report from the published folder into out_file (one HTML file); returns its path."""
    from datashare.report.render import render_report as _render

    return _render(Path(published_dir), Path(out_file))


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True,
                        help=f"folder to write {REPORT_FILE} into (or a path ending in .html)")
    parser.add_argument("--published", type=Path, default=None,
                        help="folder holding published_outcomes.parquet / published.duckdb "
                             "(default: $DATASHARE_WAREHOUSE/published)")


def run(args: argparse.Namespace) -> int:
    from datashare.paths import PUBLISHED_DIR, warehouse_dir
    from datashare.report.data import ReportDataError

    published = args.published or (warehouse_dir() / PUBLISHED_DIR)
    out = args.out if args.out.suffix.lower() in (".html", ".htm") else args.out / REPORT_FILE
    try:
        path = render_report(published, out)
    except ReportDataError as exc:
        print(f"report failed: {exc}", file=sys.stderr)
        return 1
    print(f"report written to {path} ({path.stat().st_size / 1024:.0f} KiB)")
    return 0
