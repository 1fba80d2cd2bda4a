"""The access audit log: append-only, hash-chained, in the warehouse.

One row per lookup request, allowed or denied, in `access_audit.lookup_log`
of the warehouse database. The schema is created here (not by dbt), so dbt
rebuilds never drop it. Each row carries `prev_hash` (the `row_hash` of the row
before it; 64 zeros for the first) and `row_hash` = SHA-256 of the row's
canonical JSON (sequence number, times, ids, purpose, decision, rule, fields
disclosed and `prev_hash`). Editing, deleting or inserting a row breaks the
chain at that row; `verify_chain` finds the first broken row.

A chain alone cannot show that its newest rows were cut off, nor that the
whole chain was rewritten by someone who recomputed every hash; so after each
append the head of the chain (last sequence number and hash) is also written
to `access_audit_head.json` beside the database, and `verify_chain` checks the
table against it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

AUDIT_SCHEMA = "access_audit"
AUDIT_TABLE = f"{AUDIT_SCHEMA}.lookup_log"
HEAD_FILE = "access_audit_head.json"
GENESIS_HASH = "0" * 64
MAX_LOGGED_CHARS = 1000  # inputs are logged as given, cut to this length

COLUMNS = (
    "seq", "logged_at", "request_date", "staff_id", "child_id", "purpose",
    "decision", "rule", "fields_disclosed", "prev_hash", "row_hash",
)

DDL = f"""
create schema if not exists {AUDIT_SCHEMA};
create table if not exists {AUDIT_TABLE} (
    seq bigint not null primary key,
    logged_at timestamp not null,
    request_date date not null,
    staff_id varchar,
    child_id varchar,
    purpose varchar,
    decision varchar not null,
    rule varchar not null,
    fields_disclosed varchar not null,
    prev_hash varchar not null,
    row_hash varchar not null
);
"""


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    logged_at: datetime
    request_date: date
    staff_id: str | None
    child_id: str | None
    purpose: str | None
    decision: str
    rule: str
    fields_disclosed: str  # JSON list of the field names disclosed
    prev_hash: str
    row_hash: str


def head_path(database: Path) -> Path:
    return Path(database).with_name(HEAD_FILE)


def _clip(value: object) -> str | None:
    if value is None:
        return None
    return str(value)[:MAX_LOGGED_CHARS]


def row_hash(seq: int, logged_at: datetime, request_date: date, staff_id: str | None, child_id: str | None,
             purpose: str | None, decision: str, rule: str, fields_disclosed: str, prev_hash: str) -> str:
    """SHA-256 of the canonical JSON of one row's content and the previous row's hash."""
    payload = json.dumps(
        [seq, logged_at.isoformat(), request_date.isoformat(), staff_id, child_id, purpose,
         decision, rule, fields_disclosed, prev_hash],
        ensure_ascii=True, separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def ensure_audit_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def append(con: duckdb.DuckDBPyConnection, database: Path, *, request_date: date, staff_id: object,
           child_id: object, purpose: object, decision: str, rule: str, fields_disclosed: list[str],
           logged_at: datetime | None = None) -> AuditEntry:
    """Append one row to the chain (in one transaction) and move the head anchor to it."""
    ensure_audit_table(con)
    logged_at = (logged_at or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
    fields_json = json.dumps(sorted(fields_disclosed), separators=(",", ":"))
    con.execute("begin transaction")
    try:
        last = con.execute(f"select seq, row_hash from {AUDIT_TABLE} order by seq desc limit 1").fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        values = (seq, logged_at, request_date, _clip(staff_id), _clip(child_id), _clip(purpose),
                  decision, rule, fields_json, prev)
        digest = row_hash(*values)
        con.execute(f"insert into {AUDIT_TABLE} ({', '.join(COLUMNS)}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [*values, digest])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    _write_head(head_path(database), seq, digest)
    return AuditEntry(*values, digest)


def _write_head(path: Path, seq: int, digest: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"seq": seq, "row_hash": digest}) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_head(database: Path) -> dict | None:
    path = head_path(database)
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def read_log(con: duckdb.DuckDBPyConnection) -> list[AuditEntry]:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = 'lookup_log'",
        [AUDIT_SCHEMA],
    ).fetchone()[0]
    if not exists:
        return []
    rows = con.execute(f"select {', '.join(COLUMNS)} from {AUDIT_TABLE} order by seq").fetchall()
    return [AuditEntry(*row) for row in rows]


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    rows_checked: int
    first_broken_seq: int | None = None
    problem: str = ""


def verify_chain(database: Path) -> ChainCheck:
    """Walk the log in sequence order; report the first row whose chain or content does not check out."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        entries = read_log(con)
    finally:
        con.close()
    expected_seq, prev = 1, GENESIS_HASH
    for n, e in enumerate(entries):
        if e.seq != expected_seq:
            return ChainCheck(False, n, e.seq,
                              f"row seq {e.seq}: expected seq {expected_seq} (rows {expected_seq}..{e.seq - 1} "
                              f"deleted or renumbered)")
        if e.prev_hash != prev:
            return ChainCheck(False, n, e.seq,
                              f"row seq {e.seq}: prev_hash does not match the hash of row {e.seq - 1} "
                              f"(row {e.seq - 1} was changed and re-hashed, or this row was inserted)")
        recomputed = row_hash(e.seq, e.logged_at, e.request_date, e.staff_id, e.child_id, e.purpose,
                              e.decision, e.rule, e.fields_disclosed, e.prev_hash)
        if recomputed != e.row_hash:
            return ChainCheck(False, n, e.seq, f"row seq {e.seq}: content does not match its row_hash (row edited)")
        expected_seq, prev = e.seq + 1, e.row_hash
    head = read_head(database)
    last_seq = entries[-1].seq if entries else 0
    if head is None:
        if entries:
            return ChainCheck(False, len(entries), last_seq,
                              f"head anchor {head_path(database)} is missing but the log has {len(entries)} rows")
        return ChainCheck(True, 0)
    if head["seq"] > last_seq:
        return ChainCheck(False, len(entries), last_seq + 1,
                          f"the head anchor records row seq {head['seq']} but the log ends at seq {last_seq} "
                          f"(newest rows deleted)")
    if head["seq"] < last_seq:
        return ChainCheck(False, len(entries), head["seq"] + 1,
                          f"the log has rows after the head anchor's seq {head['seq']} (rows appended outside "
                          f"`datashare lookup`)")
    if entries and entries[-1].row_hash != head["row_hash"]:
        return ChainCheck(False, len(entries), last_seq,
                          f"row seq {last_seq}: hash differs from the head anchor (the chain was rewritten)")
    return ChainCheck(True, len(entries))
