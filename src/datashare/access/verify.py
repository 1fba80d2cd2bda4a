"""`datashare verify-audit`: check the hash chain of the access audit log; report the first broken row.

Exit status: 0 intact, 1 broken, 2 no warehouse.
"""

from __future__ import annotations

import argparse
import sys


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", default=None,
                        help="warehouse folder (default: $DATASHARE_WAREHOUSE or ./warehouse)")


def run(args: argparse.Namespace) -> int:
    from datashare.access.audit import AUDIT_TABLE, verify_chain
    from datashare.paths import database_path

    database = database_path(args.warehouse)
    if not database.exists():
        print(f"verify-audit failed: warehouse database {database} does not exist", file=sys.stderr)
        return 2
    check = verify_chain(database)
    if check.ok:
        print(f"audit log {AUDIT_TABLE} in {database}: {check.rows_checked} row(s), chain intact")
        return 0
    print(f"audit log {AUDIT_TABLE} in {database}: BROKEN at row seq {check.first_broken_seq} "
          f"({check.rows_checked} row(s) before it check out): {check.problem}")
    return 1
