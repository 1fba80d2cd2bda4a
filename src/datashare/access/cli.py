"""`datashare lookup`: one child's school record for an authorized CYFD staff member, or the denial.

Exit status: 0 allowed, 3 denied, 2 error (no warehouse). Every request,
allowed or denied, writes one row to the audit log.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--as-of must be YYYY-MM-DD, got {text!r}") from exc


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--staff", required=True, help="staff id of the requester (S + 6 digits)")
    parser.add_argument("--child", required=True, help="FACTS person id of the child (C + 8 digits)")
    parser.add_argument("--purpose", required=True, help="why the record is needed (logged)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--as-of", type=_date, default=None,
                        help="request day (default: today, UTC); a day before today is denied "
                             "(backdated_request)")
    parser.add_argument("--warehouse", default=None,
                        help="warehouse folder (default: $DATASHARE_WAREHOUSE or ./warehouse)")


def run(args: argparse.Namespace) -> int:
    import duckdb

    from datashare.access.lookup import dumps, format_text, lookup
    from datashare.paths import database_path

    try:
        result = lookup(database_path(args.warehouse), args.staff, args.child, args.purpose, as_of=args.as_of)
    except FileNotFoundError as exc:
        print(f"lookup failed: {exc}", file=sys.stderr)
        return 2
    except duckdb.IOException as exc:  # another process (a dbt build) holds the warehouse
        print(f"lookup failed: the warehouse is busy, nothing was disclosed or logged; retry later ({exc})",
              file=sys.stderr)
        return 2
    print(dumps(result) if args.json else format_text(result))
    return 0 if result.decision.allowed else 3
