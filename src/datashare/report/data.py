"""Read the published mart (and whatever publish metadata exists) for the report.

The report reads nothing but the published outputs: `published_outcomes` from
published_outcomes.parquet or published.duckdb in the published folder, and a
publish manifest when the publish step wrote one. It never opens the warehouse.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

MART = "published_outcomes"
PARQUET_FILE = "published_outcomes.parquet"
DUCKDB_FILE = "published.duckdb"

# The interface columns of published_outcomes, in order.
KEY_COLUMNS = ("school_year", "comparison_group", "measure", "breakdown", "breakdown_value")
NUMBER_COLUMNS = ("numerator", "denominator", "rate", "ci_low", "ci_high", "gap_pp_vs_not_involved")
TEXT_COLUMNS = ("display_value", "suppression_reason")
COLUMNS = KEY_COLUMNS + NUMBER_COLUMNS + TEXT_COLUMNS

# Manifest files the publish step may write, and the key names it may use.
MANIFEST_NAMES = ("publish_manifest.json", "manifest.json", "published_manifest.json", "_manifest.json")
MANIFEST_TABLES = ("published_metadata", "publish_manifest", "published_manifest", "manifest", "_publish_manifest")


class ReportDataError(RuntimeError):
    pass


def normalize(value: Any) -> Any:
    """A JSON-ready Python value: Decimal -> int/float, NaN -> None."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Cell:
    """One row of published_outcomes."""

    school_year: int
    comparison_group: str
    measure: str
    breakdown: str
    breakdown_value: str
    numerator: float | int | None
    denominator: float | int | None
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    gap_pp_vs_not_involved: float | None
    display_value: str | None
    suppression_reason: str | None

    @property
    def key(self) -> str:
        """Identifies the cell in the HTML (data-cell attributes)."""
        return "|".join(str(getattr(self, c)) for c in KEY_COLUMNS)

    def as_row(self) -> dict[str, Any]:
        return {c: getattr(self, c) for c in COLUMNS}


@dataclass
class Published:
    cells: list[Cell]
    source: Path
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        return sorted({c.school_year for c in self.cells})

    @property
    def measures(self) -> list[str]:
        return sorted({c.measure for c in self.cells})


def _connect(published_dir: Path):
    import duckdb

    parquet = published_dir / PARQUET_FILE
    database = published_dir / DUCKDB_FILE
    if parquet.exists():
        con = duckdb.connect()
        return con, f"read_parquet('{_sql_str(parquet)}')", parquet
    if database.exists():
        con = duckdb.connect(str(database), read_only=True)
        rel = _find_table(con, MART)
        if rel is None:
            con.close()
            raise ReportDataError(f"{database}: no table or view named {MART}")
        return con, rel, database
    raise ReportDataError(
        f"{published_dir}: neither {PARQUET_FILE} nor {DUCKDB_FILE} exists; run `datashare publish` first"
    )


def _sql_str(path: Path) -> str:
    return str(path).replace("'", "''")


def _find_table(con, name: str) -> str | None:
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables where lower(table_name) = ? "
        "order by table_schema = 'main' desc, table_schema",
        [name.lower()],
    ).fetchall()
    if not rows:
        return None
    schema, table = rows[0]
    return f'"{schema}"."{table}"'


def load_published(published_dir: Path) -> Published:
    """Every row of published_outcomes plus the publish manifest (empty when none was written)."""
    published_dir = Path(published_dir)
    con, relation, source = _connect(published_dir)
    try:
        present = [r[0] for r in con.execute(f"select * from {relation} limit 0").description]
        missing = [c for c in COLUMNS if c not in present]
        if missing:
            raise ReportDataError(f"{source}: {MART} lacks column(s) {', '.join(missing)}")
        cols = ", ".join(f'"{c}"' for c in COLUMNS)
        order = ", ".join(f'"{c}"' for c in KEY_COLUMNS)
        rows = con.execute(f"select {cols} from {relation} order by {order}").fetchall()
    finally:
        con.close()
    cells = []
    for i, row in enumerate(rows, start=1):
        values = dict(zip(COLUMNS, (normalize(v) for v in row)))
        for col in KEY_COLUMNS:
            if values[col] is None:
                raise ReportDataError(f"{source}: row {i} has no {col}")
        values["school_year"] = int(values["school_year"])
        cells.append(Cell(**values))
    return Published(cells=cells, source=source, manifest=load_manifest(published_dir))


def load_manifest(published_dir: Path) -> dict[str, Any]:
    """The publish step's metadata (drop id, build date, key mode, ...), or {} when there is none.

    Merges the one-row metadata table of published.duckdb (`published_metadata`,
    or a key/value manifest table) with a JSON manifest file next to the
    published files; the file wins where both name a key.
    """
    merged: dict[str, Any] = {}
    database = published_dir / DUCKDB_FILE
    if database.exists():
        merged.update(_manifest_from_database(database))
    for name in MANIFEST_NAMES:
        path = published_dir / name
        if not path.exists():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            merged.update(data)
            break
    return merged


def _manifest_from_database(database: Path) -> dict[str, Any]:
    import duckdb

    try:
        con = duckdb.connect(str(database), read_only=True)
    except duckdb.Error:
        return {}
    try:
        for name in MANIFEST_TABLES:
            rel = _find_table(con, name)
            if rel is None:
                continue
            cur = con.execute(f"select * from {rel}")
            cols = [d[0] for d in cur.description]
            rows = cur.fetchall()
            if not rows:
                continue
            if set(cols) >= {"key", "value"} and len(rows) > 1:
                return {str(r[cols.index("key")]): normalize(r[cols.index("value")]) for r in rows}
            return {c: normalize(v) for c, v in zip(cols, rows[0])}
    finally:
        con.close()
    return {}


def manifest_value(manifest: dict[str, Any], *names: str) -> Any:
    """The first of several possible keys present in the manifest (also looked up one level down)."""
    for name in names:
        if name in manifest and manifest[name] not in (None, ""):
            return manifest[name]
    for value in manifest.values():
        if isinstance(value, dict):
            found = manifest_value(value, *names)
            if found is not None:
                return found
    return None
