"""`datashare load DROP_DIR`: validate an extract drop and load it into the warehouse's `raw` schema.

What a load does, per drop:

1. Every file of the drop whose name is a contract file name is checked in a
   streaming pre-pass (sha256, UTF-8 validity, BOM, empty file, header against
   the contract). Other files are ignored with a note (audit outcome `skipped`).
2. A file whose sha256 is already the current content of its table (or of the
   school/cohort years it replaced) is skipped as `unchanged`: nothing is
   rewritten and `_loaded_at` keeps the time of the first load.
3. Every other file is read once into a temp table, the cheapest exact way
   (choose_source): a clean file (no quote, no blank line, every line the right
   number of fields) by DuckDB's parallel CSV reader as VARCHAR columns; other
   files as numbered physical lines split into fields (comma split, or an RFC
   4180 field regex), or by Python's csv module when a quoted field holds a line
   break. One SQL pass built from the contract then checks field counts, empty
   required values, dates, integers, decimals, code sets, patterns and min/max,
   and a hash aggregate finds duplicate primary keys. Each problem names the
   file, line, column, value and reason.
4. All data-table writes of a drop happen in ONE DuckDB transaction: by
   default any rejected row or file rolls the whole drop back (the data tables
   stay exactly as they were) and the command exits non-zero;
   `--accept-good-rows` writes the good rows and keeps the rejects. The failed
   attempt is then recorded in `raw._load_audit` and `raw._load_rejects` in a
   second, separate transaction after the rollback. A killed process leaves no
   trace of the uncommitted transaction (DuckDB writes its WAL at commit).

See docs/loading.md.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import hashlib
import os
import signal
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from datashare.contract import Column, Contract, Table, load_contract
from datashare.contract_cli import LOAD_METADATA, RAW_SCHEMA
from datashare.paths import database_path

AUDIT_TABLE = "_load_audit"
REJECTS_TABLE = "_load_rejects"
# Test hook: the loader SIGKILLs itself after writing this many files inside
# the drop's transaction (used to prove a killed load leaves the previous state).
KILL_AFTER_FILES_ENV = "DATASHARE_LOAD_KILL_AFTER_FILES"
CHUNK = 1 << 22  # 4 MiB read size of the pre-pass
MAX_REJECTS_SHOWN = 25
PROGRESS_BYTES = 32 << 20  # files this large get a progress line per phase
MAX_VALUE_CHARS = 200

AUDIT_COLUMNS = (
    ("load_id", "VARCHAR"),
    ("drop_id", "VARCHAR"),
    ("drop_path", "VARCHAR"),
    ("file_name", "VARCHAR"),
    ("table_name", "VARCHAR"),
    ("sha256", "VARCHAR"),
    ("rows_read", "BIGINT"),
    ("rows_loaded", "BIGINT"),
    ("rows_rejected", "BIGINT"),
    ("outcome", "VARCHAR"),
    ("replaced_keys", "VARCHAR"),
    ("started_at", "TIMESTAMP"),
    ("finished_at", "TIMESTAMP"),
    ("message", "VARCHAR"),
)
REJECT_COLUMNS = (
    ("load_id", "VARCHAR"),
    ("drop_id", "VARCHAR"),
    ("file_name", "VARCHAR"),
    ("table_name", "VARCHAR"),
    ("line_number", "BIGINT"),
    ("column_name", "VARCHAR"),
    ("value", "VARCHAR"),
    ("reason", "VARCHAR"),
    ("load_time", "TIMESTAMP"),
)
OUTCOMES = ("loaded", "unchanged", "rejected", "failed", "skipped")

# One RFC 4180 field (quoted, with "" escapes, or unquoted without quotes),
# and a whole line made of such fields.
_FIELD = r'("(?:[^"]|"")*"|[^,"]*)'
_LINE_RE = f"{_FIELD}(,{_FIELD})*"
_FIELD_AFTER_COMMA_RE = "," + _FIELD


class LoadError(RuntimeError):
    """A problem that stops the load before any file is processed (bad drop folder, locked database)."""


@dataclass(frozen=True)
class Reject:
    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}"
        if self.line is not None:
            where += f" line {self.line}"
        if self.column:
            where += f", column {self.column}"
        value = "" if self.value is None else f", value {self.value!r}"
        return f"{where}{value}: {self.reason}"


@dataclass
class FileResult:
    file: str
    table: str | None
    sha256: str | None = None
    rows_read: int | None = None
    rows_loaded: int = 0
    rows_rejected: int = 0
    outcome: str = "failed"
    message: str = ""
    replaced_keys: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    seconds: float = 0.0
    file_rejected: bool = False
    read_path: str | None = None  # columns | lists | python (see choose_source)
    rejects: list[Reject] = field(default_factory=list)  # the first few, for the report
    rejects_arrow: object | None = None  # every reject (pyarrow.Table)


@dataclass
class LoadResult:
    load_id: str
    drop_id: str
    drop_path: Path
    database: Path
    ok: bool
    files: list[FileResult]
    message: str = ""

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    def outcome(self, file: str) -> str:
        return next(f.outcome for f in self.files if f.file == file)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _short(value: str | None) -> str | None:
    if value is None or len(value) <= MAX_VALUE_CHARS:
        return value
    return value[:MAX_VALUE_CHARS] + "..."


# --------------------------------------------------------------------------
# Warehouse tables
# --------------------------------------------------------------------------

def raw_table_columns(table: Table) -> list[tuple[str, str]]:
    """Columns of raw.<table>: the contract columns (typed) then the load metadata."""
    return [(c.name, c.duckdb_type) for c in table.columns] + [(n, t) for n, t, _ in LOAD_METADATA]


def ensure_raw_schema(con, contract: Contract) -> None:
    """Create the raw schema, every contract table, the audit and the rejects tables if missing."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    existing = {
        (t, c.lower()): dt
        for t, c, dt in con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = ?", [RAW_SCHEMA]).fetchall()
    }
    wanted = {t.name: raw_table_columns(t) for t in contract.tables.values()}
    wanted[AUDIT_TABLE] = list(AUDIT_COLUMNS)
    wanted[REJECTS_TABLE] = list(REJECT_COLUMNS)
    for name, cols in wanted.items():
        have = [c for (t, c) in existing if t == name]
        if not have:
            body = ", ".join(f"{_q(c)} {dt}" for c, dt in cols)
            con.execute(f"create table {RAW_SCHEMA}.{_q(name)} ({body})")
            continue
        missing = [c for c, _ in cols if (name, c.lower()) not in existing]
        if missing:
            raise LoadError(
                f"{RAW_SCHEMA}.{name} exists but lacks the column(s) {', '.join(missing)} that the contract "
                f"defines; the warehouse was built with another contract version (migrate it or use a new "
                f"warehouse folder)")


# --------------------------------------------------------------------------
# Pre-pass: sha256, UTF-8, header
# --------------------------------------------------------------------------

@dataclass
class PrePass:
    sha256: str
    size: int
    header: list[str] | None = None  # header names as given
    has_quote: bool = False
    has_blank_line: bool = False
    needs_python: bool = False
    records: int = 0  # physical lines after the header (a last line without a line break counts)  # control characters DuckDB's line reader must not see
    problems: list[Reject] = field(default_factory=list)


def _field_at(line: bytes, pos: int) -> tuple[int, bytes]:
    """Index and bytes of the comma-separated field of `line` holding byte `pos` (quotes ignored)."""
    idx = line.count(b",", 0, pos)
    start = line.rfind(b",", 0, pos) + 1
    end = line.find(b",", pos)
    return idx, line[start:] if end < 0 else line[start:end]


def prepass(path: Path) -> PrePass:
    """Stream the file once: sha256, size, UTF-8 validity (line of the first bad byte), quotes, header."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    size = 0
    lines_before = 0  # newlines seen before the current chunk
    carry = b""  # bytes of the current (unfinished) line from earlier chunks
    has_quote = False
    has_blank_line = False
    needs_python = False
    bad_utf8: tuple[int, bytes, int] | None = None  # (line, line bytes, position in line)
    first_line: bytes | None = None
    head = b""
    prev_last = b""
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            digest.update(chunk)
            if first_line is None:
                head += chunk
                nl = head.find(b"\n")
                if nl >= 0 or len(head) > (1 << 24):
                    first_line = head[:nl] if nl >= 0 else head
                    head = b""
            if bad_utf8 is None:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    pos = exc.start
                    line_start = chunk.rfind(b"\n", 0, pos) + 1
                    line_end = chunk.find(b"\n", pos)
                    prefix = carry if line_start == 0 else b""
                    line_bytes = prefix + chunk[line_start:(line_end if line_end >= 0 else len(chunk))]
                    bad_utf8 = (lines_before + chunk.count(b"\n", 0, pos) + 1, line_bytes,
                                len(prefix) + pos - line_start)
            if not has_quote and b'"' in chunk:
                has_quote = True
            if not has_blank_line and (b"\n\n" in chunk or b"\n\r\n" in chunk or (
                    prev_last == b"\n" and chunk[:1] in (b"\n", b"\r"))):
                has_blank_line = True
            if not needs_python:
                # \x1f is the line reader's delimiter; a lone \r is a line break to DuckDB and
                # not to a line count; NUL bytes are not text.
                crs = chunk.count(b"\r")
                lone_cr = crs and (crs != chunk.count(b"\r\n") + (chunk.endswith(b"\r") and 1 or 0)
                                   or (prev_last == b"\r" and not chunk.startswith(b"\n")))
                if b"\x1f" in chunk or b"\x00" in chunk or lone_cr:
                    needs_python = True
            prev_last = chunk[-1:]
            nl_count = chunk.count(b"\n")
            last_nl = chunk.rfind(b"\n")
            carry = carry + chunk if last_nl < 0 else chunk[last_nl + 1:]
            if len(carry) > (1 << 20):
                carry = carry[-(1 << 20):]
            lines_before += nl_count
    if first_line is None:
        first_line = head
    if bad_utf8 is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            bad_utf8 = (lines_before + 1, carry, max(len(carry) - 1, 0))
    result = PrePass(sha256=digest.hexdigest(), size=size, has_quote=has_quote, has_blank_line=has_blank_line,
                     needs_python=needs_python,
                     records=max(lines_before - 1 + (1 if size and prev_last != b"\n" else 0), 0))
    first = first_line.removeprefix(codecs.BOM_UTF8).rstrip(b"\r")
    header: list[str] | None = None
    if first.strip() and not (bad_utf8 and bad_utf8[0] == 1):
        header = next(csv.reader([first.decode("utf-8")]), None)
    result.header = header
    if bad_utf8 is not None:
        line, line_bytes, pos = bad_utf8
        idx, value = _field_at(line_bytes, pos)
        column = header[idx] if header and line > 1 and idx < len(header) else None
        bad_byte = line_bytes[pos:pos + 1].hex().upper() if pos < len(line_bytes) else "??"
        result.problems.append(Reject(path.name, line, column, value.decode("utf-8", "replace"),
                                      f"file is not UTF-8: invalid byte 0x{bad_byte} (save the file as UTF-8)"))
    return result


def check_header(file: str, header: list[str] | None, table: Table) -> tuple[list[int] | None, list[Reject]]:
    """Position in the header of each contract column, or the problems that reject the file."""
    if header is None:
        return None, [Reject(file, None, None, None, "empty file: no header line")]
    problems: list[Reject] = []
    names = [h.strip().lower() for h in header]
    contract_names = set(table.column_names)
    seen: dict[str, int] = {}
    for i, (given, name) in enumerate(zip(header, names)):
        if name in seen:
            problems.append(Reject(file, 1, given, given, f"duplicate column in the header (also field {seen[name] + 1})"))
        elif name not in contract_names:
            problems.append(Reject(file, 1, given, given,
                                   f"unknown column (not in the contract for {table.file}; "
                                   f"expected: {', '.join(table.column_names)})"))
        seen.setdefault(name, i)
    for col in table.columns:
        if col.name not in seen:
            kind = "required column" if col.required else "column"
            problems.append(Reject(file, 1, col.name, None, f"missing {kind} {col.name} in the header"))
    if problems:
        return None, problems
    return [seen[c.name] for c in table.columns], []


# --------------------------------------------------------------------------
# Parsing into a `fields` temp table: (ln, ln_end, f varchar[], problem, text)
# --------------------------------------------------------------------------

def _read_lines_sql(path: Path) -> str:
    """Physical lines after the header, each with its line number `ln` (the header is line 1).

    `with ordinality` numbers rows in the order of the source (DuckDB computes it as
    `row_number() over ()` on the scan; `rowid` is no use here because inside the drop's
    transaction a temp table's row ids are transaction-local). Blank lines come through as
    NULL, so the numbers never shift.
    """
    return (f"(select ordinality + 1 as ln, line from read_csv({_lit(str(path))}, columns = {{'line': 'VARCHAR'}}, "
            f"header = false, skip = 1, delim = '\x1f', quote = '', escape = '', auto_detect = false, "
            f"strict_mode = false, null_padding = false) with ordinality)")


@dataclass
class Source:
    """Where the checks read a file's records from: a relation and how to name its fields."""
    relation: str  # exposes ln, ln_end, problem and the fields
    fields: list[str]  # SQL expression of the k-th physical field (0-based k)
    n_fields: str  # SQL expression: number of fields of the record
    kind: str  # 'columns' (fast path), 'lists' (quoted fields, irregular lines), 'python' (quoted line breaks)


def choose_source(con, path: Path, pre: PrePass, n: int) -> Source | None:
    """Materialize the file's records once, the cheapest exact way; None when the csv module must parse it.

    Fast path (no quote, no blank line in the file): DuckDB's parallel CSV reader into temp table
    `rawf` of n VARCHAR columns. With insertion order preserved the k-th row stored is the k-th
    record, so the line number is the row's position (row id minus the first row id: inside the
    drop's transaction a temp table's row ids are transaction-local). A line with the wrong field
    count is set aside by the reader (store_rejects) and the file falls back to the exact path.

    Exact path: the physical lines, numbered `with ordinality`, split into lists in temp table
    `fields` (comma split, or an RFC 4180 field regex when quotes occur), unless a quoted field
    spans lines (some line has an odd number of quotes): then None.
    """
    if pre.needs_python:
        return None
    if not pre.has_quote and not pre.has_blank_line:
        cols = "{" + ", ".join(f"'c{k}': 'VARCHAR'" for k in range(n)) + "}"
        for tmp in ("rawf", "reject_errors", "reject_scans"):  # the reader's reject tables, from an earlier file
            con.execute(f"drop table if exists {tmp}")
        con.execute(
            f"create temp table rawf as select * from read_csv({_lit(str(path))}, columns = {cols}, header = false, "
            f"skip = 1, delim = ',', quote = '', escape = '', nullstr = '\x1e', auto_detect = false, "
            f"strict_mode = true, store_rejects = true)")
        irregular = con.execute("select count(*) from reject_errors").fetchone()[0]
        # Guard for the line numbers: the reader must have returned every physical line.
        irregular = irregular or con.execute("select count(*) from rawf").fetchone()[0] != pre.records
        if not irregular:
            base = con.execute("select coalesce(min(rowid), 0) from rawf").fetchone()[0]
            rel = (f"(select rowid - {base} + 2 as ln, rowid - {base} + 2 as ln_end, "
                   f"cast(null as varchar) as problem, * from rawf)")
            return Source(rel, [f"c{k}" for k in range(n)], str(n), "columns")
        con.execute("drop table rawf")
    lines = _read_lines_sql(path)
    if not pre.has_quote:
        f_expr = "string_split(line, ',')"
        problem = "cast(null as varchar)"
    else:
        odd = con.execute(
            f"select count(*) from {lines} where (length(line) - length(replace(line, '\"', ''))) % 2 = 1"
        ).fetchone()[0]
        if odd:
            return None
        ok = f"regexp_full_match(line, {_lit(_LINE_RE)})"
        f_expr = (f"case when {ok} then list_transform(regexp_extract_all(',' || line, "
                  f"{_lit(_FIELD_AFTER_COMMA_RE)}, 1), x -> case when starts_with(x, '\"') "
                  "then replace(x[2:-2], '\"\"', '\"') else x end) else [line] end")
        problem = (f"case when not {ok} then "
                   "'malformed quoting: a quote inside an unquoted field or text after a closing quote' end")
    con.execute("drop table if exists fields")
    # Materialized once: referring to a computed list many times would recompute it each time.
    con.execute(f"create temp table fields as select ln, ln as ln_end, {f_expr} as f, {problem} as problem "
                f"from {lines} where line is not null")
    return list_source(n)


def list_source(n: int) -> Source:
    return Source("fields", [f"f[{k + 1}]" for k in range(n)], "len(f)", "lists")


def parse_with_python(con, path: Path, header: list[str]) -> Reject | None:
    """Parse with the csv module (quoted line breaks): temp table `fields` with explicit ln/ln_end.

    Returns a file-level problem for an unterminated quote (the rest of the file cannot be read).
    """
    import pyarrow as pa

    lns: list[int] = []
    ends: list[int] = []
    fs: list[list[str] | None] = []
    problems: list[str | None] = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, strict=True)
        next(reader, None)  # header (checked by the pre-pass)
        prev = reader.line_num
        while True:
            start = prev + 1
            try:
                rec = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                if "unexpected end of data" in str(exc) or "EOF" in str(exc):
                    physical = _physical_line(path, start)
                    idx = _unterminated_field(physical)
                    column = header[idx - 1] if idx <= len(header) else f"field {idx}"
                    return Reject(path.name, start, column, _short(physical),
                                  f"unterminated quote: the quoted field starting on line {start} never "
                                  f"closes, so the rest of the file (lines {start}-{reader.line_num}) "
                                  f"cannot be read")
                lns.append(start)
                ends.append(reader.line_num)
                fs.append(None)
                problems.append(f"malformed quoting: {exc}")
                prev = reader.line_num
                continue
            prev = reader.line_num
            if not rec or (len(rec) == 1 and rec[0].strip() == ""):
                continue  # blank line
            lns.append(start)
            ends.append(prev)
            fs.append(rec)
            problems.append(None)
    arrow = pa.table({
        "ln": pa.array(lns, pa.int64()),
        "ln_end": pa.array(ends, pa.int64()),
        "f": pa.array(fs, pa.list_(pa.string())),
        "problem": pa.array(problems, pa.string()),
    })
    con.execute("drop table if exists fields")
    con.register("fields_arrow", arrow)
    try:
        con.execute("create temp table fields as select * from fields_arrow")
    finally:
        con.unregister("fields_arrow")
    return None


def _physical_line(path: Path, number: int) -> str:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for i, line in enumerate(fh, start=1):
            if i == number:
                return line.rstrip("\r\n")
    return ""


def _unterminated_field(line: str) -> int:
    """1-based index of the field in which an unclosed quote opens."""
    idx, in_quotes, at_start = 1, False, True
    opened = 1
    i = 0
    while i < len(line):
        ch = line[i]
        if in_quotes:
            if ch == '"':
                if i + 1 < len(line) and line[i + 1] == '"':
                    i += 1
                else:
                    in_quotes = False
        elif ch == ",":
            idx += 1
            at_start = True
            i += 1
            continue
        elif ch == '"' and at_start:
            in_quotes, opened = True, idx
        at_start = False
        i += 1
    return opened


# --------------------------------------------------------------------------
# Validation SQL built from the contract
# --------------------------------------------------------------------------

_DATE_RE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_INT_RE = "[+-]?[0-9]{1,18}"
_DEC_RE = r"[+-]?([0-9]{1,7}(\.[0-9]{0,2}0*)?|\.[0-9]{1,2}0*)"


def _fmt_num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def column_checks(col: Column, s: str, t: str | None = None) -> tuple[str, str]:
    """(typed value expression, reason expression) for the raw field expression `s`.

    `t` names the field trimmed with blanks as NULL (`nullif(trim(s), '')`); pass a column that
    holds it precomputed: a CASE evaluates its branches separately, so an inline expression
    would be recomputed by every rule.
    """
    t = t or f"nullif(trim({s}), '')"
    rules: list[tuple[str, str]] = []
    if col.required:
        rules.append((f"{t} is null", "required value empty"))
    typed = {
        "text": f"case when {t} is null then null else {s} end",
        "code": t,
        "date": f"try_cast({t} as date)",
        "integer": f"try_cast({t} as bigint)",
        "decimal": f"try_cast({t} as decimal(9, 2))",
    }[col.type]
    if col.type == "date":
        rules.append((f"not regexp_full_match({t}, {_lit(_DATE_RE)}) or try_cast({t} as date) is null",
                      "not a valid date (YYYY-MM-DD)"))
    elif col.type == "integer":
        rules.append((f"not regexp_full_match({t}, {_lit(_INT_RE)})", "not an integer"))
    elif col.type == "decimal":
        rules.append((f"not regexp_full_match({t}, {_lit(_DEC_RE)})",
                      "not a decimal number (at most 7 digits before and 2 after the decimal point)"))
    if col.codes is not None:
        codes = ", ".join(_lit(c.upper()) for c in col.codes)
        allowed = ", ".join(col.codes) if len(col.codes) <= 16 else f"see code set {col.code_set} in the contract"
        # list_contains, not `not in (...)`: DuckDB plans a long IN list as a mark join per column.
        rules.append((f"not list_contains([{codes}], upper({t}))",
                      f"code not in the allowed set {col.code_set} ({allowed})"))
    if col.pattern:
        rules.append((f"not regexp_full_match({s}, {_lit(col.pattern)})", f"does not match the pattern {col.pattern}"))
    if col.min is not None:
        rules.append((f"{typed} < {col.min}", f"below the minimum {_fmt_num(col.min)}"))
    if col.max is not None:
        rules.append((f"{typed} > {col.max}", f"above the maximum {_fmt_num(col.max)}"))
    whens = []
    for cond, reason in rules:
        guard = "" if reason == "required value empty" else f"{t} is not null and "
        whens.append(f"when {guard}({cond}) then {_lit(reason)}")
    reason_expr = "case " + " ".join(whens) + " end" if whens else "cast(null as varchar)"
    return typed, reason_expr


def records_sql(table: Table, positions: list[int], src: Source, *, typed: bool, reasons: bool) -> str:
    """Subquery over the source's records: ln, ln_end, rec_problem, [raw fields, r__<col> reasons], [v__<col>]."""
    n = len(positions)
    rec_problem = (f"coalesce(problem, case when {src.n_fields} > {n} then 'too many fields: ' || {src.n_fields} || "
                   f"' (expected {n})' when {src.n_fields} < {n} then 'too few fields: ' || {src.n_fields} || "
                   f"' (expected {n})' end)")
    cols = ["ln", "ln_end", f"{rec_problem} as rec_problem"]
    if reasons:  # the raw fields, to build f_all for the bad records only (after the filter)
        cols.append("f" if src.kind != "columns" else ", ".join(src.fields))
    guard = "" if src.kind == "columns" else f"{src.n_fields} = {n} and problem is null and "
    trimmed = []
    for col, pos in zip(table.columns, positions):
        t = _q("t__" + col.name)
        trimmed.append(f"nullif(trim({src.fields[pos]}), '') as {t}")
        value, reason = column_checks(col, src.fields[pos], t)
        if typed:
            cols.append(f"{value} as {_q('v__' + col.name)}")
        if reasons:
            cols.append(f"case when {guard}true then {reason} end as {_q('r__' + col.name)}")
    # The trimmed fields are computed once in an inner projection (DuckDB keeps it separate).
    return f"(select {', '.join(cols)} from (select *, {', '.join(trimmed)} from {src.relation}))"


def collect_rejects(con, table: Table, positions: list[int], src: Source) -> None:
    """Temp tables `rejects` (ln, column_name, value, reason) and `reject_lines` (ln) of the file.

    One pass evaluates every check of every column and keeps only the bad records; a second finds
    duplicate primary keys with a hash aggregate and then names the lines of each duplicated key.
    """
    bad = " or ".join(["rec_problem is not null", *(f"{_q('r__' + c.name)} is not null" for c in table.columns)])
    con.execute("drop table if exists bad_rows")
    f_all = "f" if src.kind != "columns" else "[" + ", ".join(src.fields) + "]"
    reason_cols = ", ".join(_q("r__" + c.name) for c in table.columns)
    con.execute(f"create temp table bad_rows as select ln, ln_end, rec_problem, {reason_cols}, {f_all} as f_all "
                f"from {records_sql(table, positions, src, typed=False, reasons=True)} where {bad}")
    parts = [
        "select ln, cast(null as varchar) as column_name, array_to_string(f_all, ',') as value, "
        "rec_problem || case when ln_end > ln then ' (the record spans lines ' || ln || '-' || ln_end || ')' "
        "else '' end as reason from bad_rows where rec_problem is not null"
    ]
    for col, pos in zip(table.columns, positions):
        r = _q("r__" + col.name)
        parts.append(f"select ln, {_lit(col.name)}, f_all[{pos + 1}], {r} from bad_rows where {r} is not null")
    con.execute("drop table if exists dup_lines")
    if table.primary_key:
        def key_exprs(prefix: str = "") -> list[str]:
            out = []
            for k in table.primary_key:
                ref = prefix + _q("v__" + k)
                out.append(f"upper({ref})" if table.column(k).type == "code" else ref)
            return out

        typed = records_sql(table, positions, src, typed=True, reasons=False)
        key_sel = ", ".join(f"{e} as k{i}" for i, e in enumerate(key_exprs()))
        key_cols = ", ".join(f"k{i}" for i in range(len(table.primary_key)))
        not_null = " and ".join(f"{_q('v__' + k)} is not null" for k in table.primary_key)
        key_text = " || '|' || ".join(f"cast(c.{_q('v__' + k)} as varchar)" for k in table.primary_key)
        con.execute("drop table if exists dup_keys")
        con.execute(f"create temp table dup_keys as select {key_sel} from {typed} "
                    f"where rec_problem is null and {not_null} group by all having count(*) > 1")
        if con.execute("select count(*) from dup_keys").fetchone()[0]:
            join_on = " and ".join(f"{e} = d.k{i}" for i, e in enumerate(key_exprs("c.")))
            con.execute(f"""
                create temp table dup_lines as
                with dups as (
                    select c.ln, {key_text} as key_text, d.*
                    from {typed} as c
                    inner join dup_keys as d on {join_on}
                    where c.rec_problem is null
                )
                select
                    ln,
                    key_text,
                    list(ln) over (partition by {key_cols} order by ln
                                   rows between unbounded preceding and unbounded following) as lines
                from dups
            """)
        else:
            con.execute("create temp table dup_lines (ln bigint, key_text varchar, lines bigint[])")
        con.execute("drop table dup_keys")
        pk = ", ".join(table.primary_key)
        parts.append(
            f"select ln, {_lit(pk)}, key_text, 'duplicate primary key ({pk}) within the file: also on line(s) ' || "
            f"array_to_string(list_filter(lines, x -> x <> ln)[1:5], ', ') || "
            f"case when len(lines) > 6 then ' and ' || (len(lines) - 6) || ' more' else '' end from dup_lines")
    else:
        con.execute("create temp table dup_lines (ln bigint, key_text varchar, lines bigint[])")
    con.execute("drop table if exists rejects")
    con.execute("create temp table rejects as " + " union all ".join(parts))
    con.execute("drop table if exists reject_lines")
    con.execute("create temp table reject_lines as select ln from bad_rows union select ln from dup_lines")
    con.execute("drop table bad_rows")


def _key_values_where(table: Table, keys: list) -> str:
    col = _q(table.replace_key)
    return f"{col} in ({', '.join(str(int(k)) for k in keys)})" if keys else "false"


def is_unchanged(con, table: Table, sha256: str) -> str | None:
    """The load id whose content of this file is still current in the table, else None."""
    row = con.execute(
        f"select load_id, rows_loaded, replaced_keys from {RAW_SCHEMA}.{AUDIT_TABLE} "
        f"where table_name = ? and sha256 = ? and outcome = 'loaded' order by finished_at desc limit 1",
        [table.name, sha256]).fetchone()
    if row is None:
        return None
    load_id, rows_loaded, replaced_keys = row
    where = "true"
    if table.replace_key:
        keys = [int(k) for k in (replaced_keys or "").split(",") if k]
        where = _key_values_where(table, keys)
    total, same = con.execute(
        f"select count(*), count(*) filter (where _file_sha256 = ?) from {RAW_SCHEMA}.{_q(table.name)} "
        f"where {where}", [sha256]).fetchone()
    return load_id if total == same == rows_loaded else None


def _rejects_to_arrow(rows: list[Reject]):
    import pyarrow as pa

    return pa.table({
        "line_number": pa.array([r.line for r in rows], pa.int64()),
        "column_name": pa.array([r.column for r in rows], pa.string()),
        "value": pa.array([_short(r.value) for r in rows], pa.string()),
        "reason": pa.array([r.reason for r in rows], pa.string()),
    })


def process_file(con, path: Path, table: Table, pre: PrePass, *, drop_id: str, loaded_at: datetime,
                 write: bool, accept_good_rows: bool, log: Callable[[str], None]) -> FileResult:
    """Validate one file and replace its rows in raw.<table> (inside the caller's transaction).

    Nothing is written when `write` is false (an earlier file already failed a strict load) or when the
    file has rejected rows and `accept_good_rows` is false.
    """
    res = FileResult(file=path.name, table=table.name, started_at=_now())
    t0 = time.perf_counter()
    res.sha256 = pre.sha256
    positions = None
    problems = list(pre.problems)
    if not problems:
        positions, problems = check_header(path.name, pre.header, table)
    if problems:
        res.outcome, res.file_rejected = "rejected", True
        res.rejects = problems
        res.rejects_arrow = _rejects_to_arrow(problems)
        res.rows_rejected = 0
        res.message = f"file rejected: {problems[0].reason}" + (
            f" (and {len(problems) - 1} more header problems)" if len(problems) > 1 else "")
        return _finish(res, t0)
    previous = is_unchanged(con, table, pre.sha256)
    if previous is not None:
        res.outcome = "unchanged"
        res.message = f"same content (sha256) as load {previous}, still current; not rewritten"
        res.rows_read, res.rows_loaded = None, 0
        return _finish(res, t0)

    mib = pre.size / (1 << 20)
    src = choose_source(con, path, pre, len(positions))
    if src is None:
        problem = parse_with_python(con, path, pre.header or [])
        if problem is not None:
            res.outcome, res.file_rejected = "rejected", True
            res.rejects = [problem]
            res.rejects_arrow = _rejects_to_arrow([problem])
            res.message = f"file rejected: {problem.reason}"
            return _finish(res, t0)
        src = list_source(len(positions))
        src.kind = "python"
    res.read_path = src.kind
    t_read = time.perf_counter() - t0
    large = pre.size >= PROGRESS_BYTES
    if large:
        log(f"   {path.name}: read {mib:,.1f} MiB in {t_read:.1f}s ({src.kind}); validating ...")
    collect_rejects(con, table, positions, src)
    typed = records_sql(table, positions, src, typed=True, reasons=False)
    n_reject_lines = con.execute("select count(*) from reject_lines").fetchone()[0]
    good = "true" if n_reject_lines == 0 else "ln not in (select ln from reject_lines)"
    key = _q("v__" + table.replace_key) if table.replace_key else "null"
    by_key = con.execute(
        f"select {key} as k, count(*), count(*) filter (where {good}) from {typed} group by 1 order by 1"
    ).fetchall()
    rows_read = sum(r[1] for r in by_key)
    res.rows_read = rows_read
    res.rows_rejected = n_reject_lines
    t_check = time.perf_counter() - t0
    if large:
        log(f"   {path.name}: validated {rows_read:,} rows in {t_check - t_read:.1f}s "
            f"({rows_read / max(t_check - t_read, 1e-9):,.0f} rows/s), {n_reject_lines:,} rejected"
            f"{'; writing ...' if write and (accept_good_rows or not n_reject_lines) else ''}")
    if n_reject_lines:
        res.rejects_arrow = con.execute(
            "select ln as line_number, column_name, "
            f"case when length(value) > {MAX_VALUE_CHARS} then left(value, {MAX_VALUE_CHARS}) || '...' "
            "else value end as value, reason from rejects order by ln, column_name").fetch_arrow_table()
        res.rejects = [Reject(path.name, *row) for row in con.execute(
            f"select ln, column_name, value, reason from rejects order by ln, column_name limit {MAX_REJECTS_SHOWN}"
        ).fetchall()]
    write = write and (accept_good_rows or n_reject_lines == 0)
    if write:
        target = f"{RAW_SCHEMA}.{_q(table.name)}"
        if table.replace_key:
            keys = [k for k, _n, n_good in by_key if n_good and k is not None]
            res.replaced_keys = ",".join(str(k) for k in keys)
            con.execute(f"delete from {target} where {_key_values_where(table, keys)}")
        else:
            con.execute(f"delete from {target}")
        cols = ", ".join(_q(c.name) for c in table.columns) + ", " + ", ".join(n for n, _, _ in LOAD_METADATA)
        values = ", ".join(_q("v__" + c.name) for c in table.columns)
        # The source streams in file order, so the rows are stored in line order.
        inserted = con.execute(
            f"insert into {target} ({cols}) select {values}, ?, ?, ?, ln, ? from {typed} where {good}",
            [drop_id, path.name, pre.sha256, loaded_at]).fetchone()[0]
        res.rows_loaded = inserted
        res.outcome = "loaded"
    else:
        res.outcome = "rejected" if n_reject_lines else "failed"
    t_write = time.perf_counter() - t0 - t_check
    for tmp in ("rawf", "fields", "rejects", "dup_lines", "reject_lines"):
        con.execute(f"drop table if exists {tmp}")
    rate = rows_read / max(t_check + t_write, 1e-9)
    log(f"   {path.name}: {rows_read:,} rows, {mib:,.1f} MiB; read {t_read:.1f}s ({src.kind}), "
        f"validated {t_check - t_read:.1f}s{f', written {t_write:.1f}s' if write else ''}; "
        f"{rate:,.0f} rows/s; {n_reject_lines:,} rejected")
    return _finish(res, t0)


def _finish(res: FileResult, t0: float) -> FileResult:
    res.finished_at = _now()
    res.seconds = time.perf_counter() - t0
    return res


# --------------------------------------------------------------------------
# A drop
# --------------------------------------------------------------------------

def drop_files(drop_dir: Path, contract: Contract) -> tuple[list[tuple[Path, Table]], list[Path]]:
    """(contract files present, in contract order; other entries of the folder)."""
    present = {p.name: p for p in sorted(drop_dir.iterdir())}
    files = [(present[t.file], t) for t in contract.tables.values() if t.file in present and present[t.file].is_file()]
    known = {p.name for p, _ in files}
    others = [p for name, p in present.items() if name not in known]
    return files, others


def _drop_id(checksums: list[tuple[str, str]]) -> str:
    """Hash of the drop's contract file names and checksums."""
    h = hashlib.sha256()
    for name, sha in sorted(checksums):
        h.update(f"{name}\t{sha}\n".encode())
    return h.hexdigest()[:16]


def _write_audit(con, load_id: str, drop_id: str, drop_dir: Path, results: list[FileResult],
                 load_time: datetime) -> None:
    rows = [
        (load_id, drop_id, str(drop_dir), r.file, r.table, r.sha256, r.rows_read, r.rows_loaded, r.rows_rejected,
         r.outcome, r.replaced_keys, r.started_at, r.finished_at, r.message)
        for r in results
    ]
    placeholders = ", ".join("?" for _ in AUDIT_COLUMNS)
    con.executemany(f"insert into {RAW_SCHEMA}.{AUDIT_TABLE} values ({placeholders})", rows)
    cols = ", ".join(c for c, _ in REJECT_COLUMNS)
    for r in results:
        if r.rejects_arrow is None or r.rejects_arrow.num_rows == 0:
            continue
        con.register("file_rejects", r.rejects_arrow)
        try:
            con.execute(
                f"insert into {RAW_SCHEMA}.{REJECTS_TABLE} ({cols}) "
                f"select ?, ?, ?, ?, line_number, column_name, value, reason, ? from file_rejects",
                [load_id, drop_id, r.file, r.table, load_time])
        finally:
            con.unregister("file_rejects")


def load_drop(drop_dir: Path, database: Path, *, accept_good_rows: bool = False,
              log: Callable[[str], None] = print) -> LoadResult:
    """Validate every contract file of `drop_dir` and load the drop into `database` (all or nothing).

    Raises LoadError when the drop folder or the database cannot be used at all; otherwise returns a
    LoadResult whose `.ok` says whether the load was committed.
    """
    import duckdb

    drop_dir = Path(drop_dir).resolve()
    database = Path(database)
    if not drop_dir.is_dir():
        raise LoadError(f"drop folder {drop_dir} does not exist or is not a folder")
    contract = load_contract()
    files, others = drop_files(drop_dir, contract)
    load_id = uuid.uuid4().hex[:16]
    load_time = _now()
    results: list[FileResult] = []
    for p in others:
        hint = next((t.file for t in contract.tables.values() if t.file.lower() == p.name.lower()), None)
        note = (f"not a contract file name (did you mean {hint}? names must match exactly); ignored" if hint
                else "not a contract file; ignored")
        results.append(FileResult(file=p.name, table=None, outcome="skipped", message=note,
                                  started_at=load_time, finished_at=load_time))
        log(f"note: {p.name}: {note}")

    # Pre-pass of every file before the transaction: checksums (the drop id), UTF-8, headers.
    pres: dict[str, PrePass] = {}
    for path, _table in files:
        t0 = time.perf_counter()
        pres[path.name] = prepass(path)
        size = pres[path.name].size / (1 << 20)
        if size >= 64:
            log(f"   checked {path.name}: {size:,.1f} MiB in {time.perf_counter() - t0:.1f}s "
            f"(sha256 {pres[path.name].sha256[:12]})")
    drop_id = _drop_id([(name, pre.sha256) for name, pre in pres.items()])

    database.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(database))
    except duckdb.Error as exc:
        raise LoadError(f"cannot open the warehouse database {database}: {exc}") from exc
    try:
        con.execute("set preserve_insertion_order = true")
        con.execute("set enable_progress_bar = false")
        ensure_raw_schema(con, contract)
        log(f"loading drop {drop_dir} (drop id {drop_id}, load id {load_id}) into {database}: "
            f"{len(files)} contract file(s)")
        if not files:
            msg = f"no contract file in {drop_dir}; expected some of: {', '.join(contract.by_file())}"
            _record_after_failure(con, load_id, drop_id, drop_dir, results, load_time)
            result = LoadResult(load_id, drop_id, drop_dir, database, False, results, msg)
            _print_summary(result, accept_good_rows, log)
            return result
        kill_after = int(os.environ.get(KILL_AFTER_FILES_ENV, "0") or 0)
        written = 0
        failing = False  # a strict load that has already failed only validates the remaining files
        con.execute("begin transaction")
        try:
            for path, table in files:
                log(f"-- {path.name} -> {RAW_SCHEMA}.{table.name} (replace {table.replace})")
                res = process_file(con, path, table, pres[path.name], drop_id=drop_id, loaded_at=load_time,
                                   write=accept_good_rows or not failing, accept_good_rows=accept_good_rows,
                                   log=log)
                results.append(res)
                if res.outcome == "rejected" or res.rows_rejected:
                    failing = True
                if res.outcome == "loaded":
                    written += 1
                    if kill_after and written >= kill_after:
                        log(f"test hook {KILL_AFTER_FILES_ENV}={kill_after}: killing the load mid-transaction")
                        os.kill(os.getpid(), signal.SIGKILL)
            if failing and not accept_good_rows:
                con.execute("rollback")
                for r in results:
                    if r.outcome in ("loaded", "failed") and r.table:
                        r.outcome, r.rows_loaded = "failed", 0
                        r.message = "valid, but not loaded: other files of the drop were rejected (all or nothing)"
                    elif r.outcome == "rejected" and not r.file_rejected:
                        r.message = f"{r.rows_rejected:,} of {r.rows_read:,} rows rejected; nothing loaded"
                _record_after_failure(con, load_id, drop_id, drop_dir, results, load_time)
                result = LoadResult(load_id, drop_id, drop_dir, database, False, results,
                                    "rejected rows or files; the data tables were not changed")
            else:
                for r in results:
                    if r.outcome == "loaded" and r.rows_rejected:
                        r.message = f"{r.rows_rejected:,} rejected rows kept in {RAW_SCHEMA}.{REJECTS_TABLE}"
                _write_audit(con, load_id, drop_id, drop_dir, results, load_time)
                con.execute("commit")
                result = LoadResult(load_id, drop_id, drop_dir, database, True, results, "load committed")
        except Exception as exc:
            con.execute("rollback")
            done = {r.file for r in results}
            for r in results:
                if r.outcome == "loaded":
                    r.outcome, r.rows_loaded = "failed", 0
                    r.message = "rolled back after an error in the load"
            for path, table in files:
                if path.name not in done:
                    results.append(FileResult(file=path.name, table=table.name, sha256=pres[path.name].sha256,
                                              outcome="failed", message=f"load aborted: {exc}"[:1000],
                                              started_at=_now(), finished_at=_now()))
            _record_after_failure(con, load_id, drop_id, drop_dir, results, load_time)
            raise
        _print_summary(result, accept_good_rows, log)
        return result
    finally:
        con.close()


def _record_after_failure(con, load_id, drop_id, drop_dir, results, load_time) -> None:
    """Record a failed attempt (audit and rejects) in its own transaction, after the rollback."""
    con.execute("begin transaction")
    _write_audit(con, load_id, drop_id, drop_dir, results, load_time)
    con.execute("commit")


def _print_summary(result: LoadResult, accept_good_rows: bool, log: Callable[[str], None]) -> None:
    log("")
    log(f"{'file':<28} {'table':<24} {'outcome':<10} {'read':>11} {'loaded':>11} {'rejected':>9} {'sec':>6}")
    for r in result.files:
        read = "" if r.rows_read is None else f"{r.rows_read:,}"
        log(f"{r.file:<28} {(r.table or '-'):<24} {r.outcome:<10} {read:>11} {r.rows_loaded:>11,} "
            f"{r.rows_rejected:>9,} {r.seconds:>6.1f}")
    problems = [r for r in result.files if r.rejects]
    if problems:
        log("")
        log(f"problems (all of them are in {RAW_SCHEMA}.{REJECTS_TABLE} where load_id = '{result.load_id}'):")
        for r in problems:
            if r.file_rejected:
                log(f"  {r.file}: FILE REJECTED")
            for rej in r.rejects:
                log(f"  {rej}")
            total = r.rejects_arrow.num_rows if r.rejects_arrow is not None else len(r.rejects)
            if total > len(r.rejects):
                log(f"  ... and {total - len(r.rejects):,} more problems in {r.file}")
    log("")
    if result.ok:
        n_rej = result.rows_rejected
        extra = (f"; {n_rej:,} rejected rows kept for review in {RAW_SCHEMA}.{REJECTS_TABLE}" if n_rej else "")
        file_rej = [r.file for r in result.files if r.file_rejected]
        if file_rej:
            extra += f"; files rejected (their tables were left as they were): {', '.join(file_rej)}"
        log(f"load {result.load_id} OK{extra}")
    else:
        hint = "" if accept_good_rows else " (fix the drop, or use --accept-good-rows to load the good rows)"
        log(f"load {result.load_id} FAILED: {result.message}{hint}")


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------

def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("drop", type=Path, help="folder of the extract drop")
    parser.add_argument("--warehouse", type=Path, default=None,
                        help="warehouse folder (default: $DATASHARE_WAREHOUSE or ./warehouse)")
    parser.add_argument("--accept-good-rows", action="store_true",
                        help="load the good rows of files with rejected rows (the rejects are kept in "
                             f"{RAW_SCHEMA}.{REJECTS_TABLE}); by default any rejected row fails the load")


def run(args: argparse.Namespace) -> int:
    def log(msg: str) -> None:
        print(msg, flush=True)

    try:
        result = load_drop(args.drop, database_path(args.warehouse), accept_good_rows=args.accept_good_rows, log=log)
    except LoadError as exc:
        print(f"load failed: {exc}", file=sys.stderr)
        return 2
    return 0 if result.ok else 1


