"""`datashare review-linkage`: the clerical review queue and recorded decisions.

    datashare review-linkage queue [--limit 20]
    datashare review-linkage decide --left CYFD:C00012345 --right PED:123456789 \\
        --decision match --by jdoe [--note "same foster placement address"]

Decisions are identified data about children, so they live with the warehouse,
never in the repository: an append-only CSV at
$DATASHARE_WAREHOUSE/linkage/review_decisions.csv (override:
DATASHARE_REVIEW_DECISIONS) with columns system_id_key_l, system_id_key_r,
decision (match | no_match), decided_by, decided_at (UTC), note. The next
`dbt build` reads it (model int_linkage__review_decisions): the latest decision
for a pair wins; `match` links the pair (link_method 'clerical'), `no_match`
keeps the two ids in different persons even if the model auto-links them.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

DECISIONS_ENV = "DATASHARE_REVIEW_DECISIONS"
DECISION_COLUMNS = ["system_id_key_l", "system_id_key_r", "decision", "decided_by", "decided_at", "note"]
DECISIONS = ("match", "no_match")
KEY_PATTERN = re.compile(r"^(CYFD|PED|AOC):\S+$")


def decisions_path(warehouse: Path | None = None) -> Path:
    """The decisions file: of an explicitly given warehouse, else the one a build reads."""
    from datashare.paths import warehouse_dir

    if warehouse is None:
        return build_decisions_path(warehouse_dir())
    return warehouse_dir(warehouse) / "linkage" / "review_decisions.csv"


def build_decisions_path(warehouse: Path) -> Path:
    """The decisions file a build of `warehouse` reads: $DATASHARE_REVIEW_DECISIONS, else the warehouse's own."""
    env = os.environ.get(DECISIONS_ENV)
    return Path(env) if env else Path(warehouse) / "linkage" / "review_decisions.csv"


def decisions_sql(path: Path) -> str:
    """SELECT of the latest decision per (ordered) pair of ids from the decisions CSV."""
    empty = (
        "select null::varchar as system_id_key_l, null::varchar as system_id_key_r, "
        "null::varchar as decision, null::varchar as decided_by, null::timestamp as decided_at, "
        "null::varchar as note where false"
    )
    if not Path(path).exists():
        return empty
    p = str(path).replace("'", "''")
    return f"""
with raw_decisions as (
    select * from read_csv('{p}', header = true, all_varchar = true,
        columns = {{'system_id_key_l': 'varchar', 'system_id_key_r': 'varchar', 'decision': 'varchar',
                   'decided_by': 'varchar', 'decided_at': 'varchar', 'note': 'varchar'}})
),

numbered as (
    select *, row_number() over () as line_order from raw_decisions
),

ordered as (
    select
        least(trim(system_id_key_l), trim(system_id_key_r)) as system_id_key_l,
        greatest(trim(system_id_key_l), trim(system_id_key_r)) as system_id_key_r,
        lower(trim(decision)) as decision,
        decided_by,
        cast(decided_at as timestamp) as decided_at,
        note,
        line_order,
    from numbered
    where lower(trim(decision)) in ('match', 'no_match')
),

final as (
    select system_id_key_l, system_id_key_r, decision, decided_by, decided_at, note
    from ordered
    qualify row_number() over (
        partition by system_id_key_l, system_id_key_r order by decided_at desc, line_order desc
    ) = 1
)

select * from final
"""


def record_decision(path: Path, left: str, right: str, decision: str, decided_by: str,
                    note: str = "", decided_at: datetime | None = None) -> dict[str, str]:
    """Append one decision to the decisions file (created with a header when new)."""
    for key in (left, right):
        if not KEY_PATTERN.match(key):
            raise ValueError(f"{key!r} is not an id of the form SYSTEM:system_id (CYFD, PED or AOC)")
    if left == right:
        raise ValueError("a decision needs two different ids")
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if not decided_by.strip():
        raise ValueError("say who decided (--by)")
    row = {
        "system_id_key_l": min(left, right),
        "system_id_key_r": max(left, right),
        "decision": decision,
        "decided_by": decided_by.strip(),
        "decided_at": (decided_at or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M:%S.%f"),
        "note": note,
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with path.open("a", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=DECISION_COLUMNS)
        if new:
            writer.writeheader()
        writer.writerow(row)
    return row


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", type=Path, default=None,
                        help="warehouse folder (default: $DATASHARE_WAREHOUSE or ./warehouse)")
    sub = parser.add_subparsers(dest="action", required=True)
    q = sub.add_parser("queue", help="list the pairs awaiting a decision (best first)")
    q.add_argument("--limit", type=int, default=20)
    d = sub.add_parser("decide", help="record a decision; it applies from the next build")
    d.add_argument("--left", required=True, help="SYSTEM:system_id, e.g. CYFD:C00012345")
    d.add_argument("--right", required=True, help="SYSTEM:system_id, e.g. PED:123456789")
    d.add_argument("--decision", required=True, choices=DECISIONS)
    d.add_argument("--by", required=True, help="who decided")
    d.add_argument("--note", default="")


def run(args: argparse.Namespace) -> int:
    from datashare.paths import DATABASE_FILE, warehouse_dir

    if args.action == "decide":
        try:
            row = record_decision(decisions_path(args.warehouse), args.left, args.right, args.decision,
                                  args.by, args.note)
        except ValueError as exc:
            print(f"review-linkage: {exc}", file=sys.stderr)
            return 2
        print(f"recorded {row['decision']} for {row['system_id_key_l']} / {row['system_id_key_r']} "
              f"in {decisions_path(args.warehouse)}; it applies from the next build")
        return 0
    import duckdb

    database = warehouse_dir(args.warehouse) / DATABASE_FILE
    con = duckdb.connect(str(database), read_only=True)
    try:
        rows = con.execute(f"""
            select system_id_key_l, system_id_key_r, round(match_probability, 3), reason,
                   first_name_l || ' ' || last_name_l || ' ' || coalesce(cast(birth_date_l as varchar), '?'),
                   first_name_r || ' ' || last_name_r || ' ' || coalesce(cast(birth_date_r as varchar), '?')
            from matched.linkage_review_queue order by match_probability desc limit {int(args.limit)}
        """).fetchall()
    finally:
        con.close()
    for r in rows:
        print(f"{r[0]:<16} {r[1]:<16} p={r[2]:<6} {r[3]:<20} {r[4]}  |  {r[5]}")
    print(f"({len(rows)} shown)")
    return 0
