"""Publish the research marts: Parquet files and a BI-only DuckDB file.

`publish(database, out_dir)` reads the published marts from the warehouse
(schema `marts`, built and tested by dbt) and writes into `out_dir`
($WAREHOUSE/published/):

- `<mart>.parquet` for every published mart (Parquet key/value metadata carry
  the research key mode, so demo outputs stay marked when a file travels);
- `published.duckdb`: a separate DuckDB file holding nothing but those marts
  and a `publish_manifest` table, written in a storage format DuckDB 1.0 and
  later clients can open read-only;
- `publish_manifest.json`: what was published, when, from which drop, under
  which kind of research key, with row counts and SHA-256 of every file.

Before writing anything it re-checks the published mart's disclosure rules
(no count 1..threshold-1, no number in a withheld cell) and refuses to publish
when they fail, so a stale or hand-edited warehouse cannot leak through.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from datashare.paths import DATABASE_FILE, PUBLISHED_DIR, warehouse_dir

MARTS_SCHEMA = "marts"
# The published marts, in the order BI tools list them. Nothing else (no
# identified, record-level or pre-suppression table) is ever published.
PUBLISHED_TABLES = (
    "published_outcomes",
    "measure_definitions",
    "published_metadata",
    "mart_special_services",
    "mart_mobility",
    "mart_retention_graduation",
    "mart_attendance",
    "mart_discipline",
    "mart_testing",
)
PUBLISHED_DUCKDB = "published.duckdb"
MANIFEST_FILE = "publish_manifest.json"
MANIFEST_TABLE = "publish_manifest"
# Oldest DuckDB storage format the BI file is written in (readable by DuckDB 1.0+).
STORAGE_VERSION = "v1.0.0"
NUMBER_COLUMNS = ("numerator", "denominator", "rate", "ci_low", "ci_high", "gap_pp_vs_not_involved")


class PublishError(RuntimeError):
    pass


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_disclosure(con, table: str = f"{MARTS_SCHEMA}.published_outcomes", threshold: int = 10) -> list[str]:
    """Problems with the published mart's disclosure rules (empty when it is safe to publish)."""
    problems = []
    small = con.execute(
        f"select count(*) from {table} where (numerator > 0 and numerator < ?) "
        f"or (denominator > 0 and denominator < ?)", [threshold, threshold]).fetchone()[0]
    if small:
        problems.append(f"{table}: {small} row(s) show a count between 1 and {threshold - 1}")
    any_number = " or ".join(f"{c} is not null" for c in NUMBER_COLUMNS)
    leaked = con.execute(
        f"select count(*) from {table} where suppression_reason is not null and ({any_number})").fetchone()[0]
    if leaked:
        problems.append(f"{table}: {leaked} withheld row(s) still show a number")
    return problems


def _metadata(con) -> dict[str, object]:
    row = con.execute(
        f"select research_key_mode, is_demo_build, suppression_threshold, governance_k "
        f"from {MARTS_SCHEMA}.published_metadata").fetchone()
    if row is None:
        raise PublishError(f"{MARTS_SCHEMA}.published_metadata is empty: was `dbt build` run?")
    meta: dict[str, object] = {
        "research_key_mode": row[0],
        "is_demo_build": bool(row[1]),
        "suppression_threshold": int(row[2]),
        "governance_k": int(row[3]),
    }
    try:
        drop = con.execute(
            "select drop_id, max(finished_at) from raw._load_audit group by drop_id "
            "order by max(finished_at) desc limit 1").fetchone()
    except Exception:  # the audit table is the loader's; a warehouse without it still publishes
        drop = None
    meta["drop_id"] = drop[0] if drop else None
    return meta


def publish(database: Path, out_dir: Path, *, log=print) -> str:
    """Write the published marts of `database` to Parquet files and a BI-only DuckDB file in `out_dir`."""
    import duckdb

    database = Path(database)
    out_dir = Path(out_dir)
    if not database.exists():
        raise PublishError(f"warehouse database {database} does not exist: run the pipeline first")
    out_dir.mkdir(parents=True, exist_ok=True)

    con = duckdb.connect(str(database), read_only=True)
    try:
        present = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [MARTS_SCHEMA]).fetchall()}
        missing = [t for t in PUBLISHED_TABLES if t not in present]
        if missing:
            raise PublishError(f"{database}: schema {MARTS_SCHEMA} lacks {', '.join(missing)}: run `dbt build` first")
        meta = _metadata(con)
        problems = check_disclosure(con, threshold=int(meta["suppression_threshold"]))
        if problems:
            raise PublishError("refusing to publish:\n  " + "\n  ".join(problems))

        published_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        kv = {"research_key_mode": str(meta["research_key_mode"]), "published_at": published_at,
              "source": "datashare published marts"}
        kv_sql = ", ".join(f"{k}: {_sql_string(v)}" for k, v in kv.items())
        tables: dict[str, dict[str, object]] = {}
        for table in PUBLISHED_TABLES:
            target = out_dir / f"{table}.parquet"
            tmp = target.with_name(target.name + ".tmp")
            con.execute(
                f"copy (select * from {MARTS_SCHEMA}.{table}) to {_sql_string(str(tmp))} "
                f"(format parquet, compression zstd, kv_metadata {{{kv_sql}}})")
            os.replace(tmp, target)
            rows = con.execute(f"select count(*) from {MARTS_SCHEMA}.{table}").fetchone()[0]
            tables[table] = {"rows": int(rows), "parquet": target.name, "sha256": _sha256(target)}
    finally:
        con.close()

    manifest: dict[str, object] = {
        "published_at": published_at,
        "drop_id": meta["drop_id"],
        "research_key_mode": meta["research_key_mode"],
        "is_demo_build": meta["is_demo_build"],
        "notice": ("DEMO BUILD: research ids derived with the named demo key; generated data only, "
                   "not for real data." if meta["is_demo_build"] else None),
        "suppression_threshold": meta["suppression_threshold"],
        "governance_k": meta["governance_k"],
        "duckdb_file": PUBLISHED_DUCKDB,
        "duckdb_storage_version": STORAGE_VERSION,
        "tables": tables,
    }

    # The BI file: built beside the target and moved into place, so a reader
    # never sees a half-written file.
    bi_file = out_dir / PUBLISHED_DUCKDB
    bi_tmp = out_dir / (PUBLISHED_DUCKDB + ".tmp")
    for stale in (bi_tmp, Path(str(bi_tmp) + ".wal")):
        stale.unlink(missing_ok=True)
    pub = duckdb.connect()
    try:
        pub.execute(f"attach {_sql_string(str(bi_tmp))} as pub (storage_version {_sql_string(STORAGE_VERSION)})")
        for table in PUBLISHED_TABLES:
            pub.execute(f"create table pub.main.{table} as select * from read_parquet("
                        f"{_sql_string(str(out_dir / (table + '.parquet')))})")
        pub.execute(f"create table pub.main.{MANIFEST_TABLE} (key varchar, value varchar)")
        pub.executemany(
            f"insert into pub.main.{MANIFEST_TABLE} values (?, ?)",
            [(k, v if isinstance(v, str) or v is None else json.dumps(v)) for k, v in manifest.items()])
        pub.execute("checkpoint pub")
        pub.execute("detach pub")
    finally:
        pub.close()
    os.replace(bi_tmp, bi_file)
    manifest["duckdb_sha256"] = _sha256(bi_file)
    (out_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")

    rows = tables["published_outcomes"]["rows"]
    detail = (f"{len(PUBLISHED_TABLES)} marts ({rows} published_outcomes rows) -> {out_dir} "
              f"[{meta['research_key_mode']} key]")
    log(f"   published {detail}")
    if meta["is_demo_build"]:
        log("   NOTE: built under the demo research key (generated data only); outputs are marked as demo.")
    return detail


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", type=Path, default=None,
                        help="warehouse folder (default: $DATASHARE_WAREHOUSE or ./warehouse)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"output folder (default: <warehouse>/{PUBLISHED_DIR})")


def run(args: argparse.Namespace) -> int:
    wh = warehouse_dir(args.warehouse)
    try:
        publish(wh / DATABASE_FILE, args.out or wh / PUBLISHED_DIR)
    except PublishError as exc:
        print(f"publish failed: {exc}", file=sys.stderr)
        return 1
    return 0
