"""Open the published BI file with an old DuckDB client, as a BI tool's bundled driver would.

    build/duckdb-1.0/bin/python scripts/check_bi_client.py WAREHOUSE/published

Run by `make bi-check` (part of `make test`) in a virtual environment holding
only `duckdb==1.0.0`, the oldest 1.x client: it must open `published.duckdb`
read-only, find exactly the tables listed in `publish_manifest.json` (nothing
identified or record-level), and read every row of each, with the row counts
the manifest states. It imports nothing from the project (the project's
environment has a newer DuckDB), and exits non-zero with the reason on any
difference.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    import duckdb

    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    published = Path(argv[0])
    manifest = json.loads((published / "publish_manifest.json").read_text(encoding="utf-8"))
    expected = {name: entry["rows"] for name, entry in manifest["tables"].items()}
    con = duckdb.connect(str(published / "published.duckdb"), read_only=True)
    try:
        tables = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'").fetchall()}
        extra = tables - set(expected) - {"publish_manifest"}
        missing = set(expected) - tables
        if extra or missing:
            print(f"published.duckdb holds {sorted(tables)}: unexpected {sorted(extra)}, missing {sorted(missing)}",
                  file=sys.stderr)
            return 1
        for table, rows in sorted(expected.items()):
            got = len(con.execute(f'select * from "{table}"').fetchall())
            if got != rows:
                print(f"{table}: {got} rows read, the manifest says {rows}", file=sys.stderr)
                return 1
    finally:
        con.close()
    print(f"duckdb {duckdb.__version__} opened {published / 'published.duckdb'} read-only: "
          f"{len(expected)} published tables, {sum(expected.values())} rows, as the manifest states")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
