"""The loader on real files and a real DuckDB file.

Drops are built here from the contract itself (every column of every file,
valid values derived from the column's type, code set, pattern and bounds), so
the tests follow the contract when it changes. Each bad-input case mutates one
file of a good drop and checks the named error (file, line, column, value,
reason) and that the warehouse is exactly as the previous good load left it.
"""

from __future__ import annotations

import csv
import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from datashare.cli import main as cli_main
from datashare.contract import Column, Table, load_contract
from datashare.load import KILL_AFTER_FILES_ENV, LoadResult, load_drop

CONTRACT = load_contract()
YEARS = (2023, 2024)
ROWS = 20  # rows per file (per school year for PED files)


# --------------------------------------------------------------------------
# Building drops from the contract
# --------------------------------------------------------------------------

def valid_value(col: Column, i: int, year: int) -> str:
    """A valid value of `col` for row i (ids unique per i, so every primary key is unique)."""
    if col.pattern:
        examples = {
            "person_id": f"C{i:08d}", "party_id": f"P{i:08d}", "staff_id": f"S{i:06d}",
            "student_id": f"{100000000 + i}", "ssn": "" if i % 3 else f"{200000000 + i}",
            "district_code": f"{i % 89:03d}", "school_code": f"{i % 89:03d}{i % 7:03d}",
        }
        return examples[col.name]
    if col.codes is not None:
        return col.codes[i % len(col.codes)]
    if col.type == "date":
        return f"20{10 + i % 10}-{i % 12 + 1:02d}-{i % 28 + 1:02d}"
    if col.type == "integer":
        if col.name in ("school_year", "cohort_year"):
            return str(year)
        lo = int(col.min if col.min is not None else 1)
        hi = int(col.max if col.max is not None else 900)
        return str(lo + i % (hi - lo + 1))
    if col.type == "decimal":
        return f"{i % 150}.{i % 2 * 5}"
    return f"{col.name.upper()} {i}" if not col.required else f"{col.name.upper()}-{i}"


def table_rows(table: Table, years=YEARS, rows=ROWS, offset: int = 0) -> list[list[str]]:
    out = []
    k = offset
    for year in (years if table.replace_key else years[-1:]):
        for _ in range(rows):
            out.append([valid_value(c, k, year) for c in table.columns])
            k += 1
    return out


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, newline: str = "\n",
              bom: bool = False) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
        w = csv.writer(fh, lineterminator=newline)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_drop(folder: Path, *, years=YEARS, rows=ROWS, offset: int = 0, tables=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for t in CONTRACT.tables.values():
        if tables is None or t.name in tables:
            write_csv(folder / t.file, t.column_names, table_rows(t, years, rows, offset))
    return folder


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines), encoding="utf-8")


def set_field(path: Path, line: int, column: str, value: str) -> None:
    """Set one field (no quoting) on a physical line of a simple file."""
    lines = read_lines(path)
    header = lines[0].split(",")
    fields = lines[line - 1].split(",")
    fields[header.index(column)] = value
    lines[line - 1] = ",".join(fields)
    write_lines(path, lines)


# --------------------------------------------------------------------------
# Reading the warehouse
# --------------------------------------------------------------------------

def data_tables(database: Path) -> dict[str, list[tuple]]:
    """Every row of every raw data table, sorted: the warehouse's data state."""
    with duckdb.connect(str(database), read_only=True) as con:
        return {t: con.execute(f"select * from raw.{t} order by all").fetchall() for t in CONTRACT.tables}


def query(database: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def quiet_load(drop: Path, database: Path, **kw) -> LoadResult:
    return load_drop(drop, database, log=lambda _m: None, **kw)


@pytest.fixture(scope="module")
def _first_load(tmp_path_factory) -> tuple[Path, Path, dict]:
    base = tmp_path_factory.mktemp("first_load")
    drop = write_drop(base / "good")
    database = base / "wh" / "datashare.duckdb"
    result = quiet_load(drop, database)
    assert result.ok, result.message
    return drop, database, data_tables(database)


@pytest.fixture
def loaded(_first_load, tmp_path) -> tuple[Path, Path, dict]:
    """(good drop, a warehouse of this test holding that drop's load, the data state after it)."""
    drop, database, state = _first_load
    own = tmp_path / "wh" / "datashare.duckdb"
    own.parent.mkdir(parents=True)
    shutil.copyfile(database, own)
    return drop, own, state


@pytest.fixture
def bad_drop(tmp_path) -> Path:
    """A second drop, different from the good one in every table (so a leak would show)."""
    return write_drop(tmp_path / "bad", offset=1000)


# --------------------------------------------------------------------------
# The good path
# --------------------------------------------------------------------------

def test_good_drop_loads_every_table_with_metadata(loaded):
    drop, database, state = loaded
    for t in CONTRACT.tables.values():
        expected = table_rows(t)
        assert len(state[t.name]) == len(expected), t.name
    rows = query(database, "select person_id, sex, birth_date, _source_file, _line_number, _drop_id, "
                           "_file_sha256, _loaded_at from raw.cyfd_person order by _line_number")
    assert rows[0][0] == "C00000000" and rows[0][3] == "cyfd_person.csv" and rows[0][4] == 2
    assert [r[4] for r in rows] == list(range(2, ROWS + 2))
    assert str(rows[1][2]) == valid_value(CONTRACT.table("cyfd_person").column("birth_date"), 1, 2024)
    assert all(r[5] and len(r[6]) == 64 and r[7] is not None for r in rows)
    audit = query(database, "select file_name, outcome, rows_read, rows_loaded, rows_rejected from raw._load_audit")
    assert all(a[2] == a[3] and a[4] == 0 for a in audit)
    assert {a[1] for a in audit} == {"loaded"}
    assert len(audit) == len(CONTRACT.tables)
    # typed columns follow the contract
    types = dict(query(database, "select column_name, data_type from information_schema.columns "
                                 "where table_schema = 'raw' and table_name = 'ped_attendance'"))
    assert types["days_present"] == "DECIMAL(9,2)" and types["school_year"] == "BIGINT"


def test_loading_the_same_drop_twice_changes_nothing(loaded):
    drop, database, state = loaded
    loaded_at = query(database, "select distinct _loaded_at from raw.cyfd_person")
    result = quiet_load(drop, database)
    assert result.ok
    assert {f.outcome for f in result.files} == {"unchanged"}
    assert data_tables(database) == state
    assert query(database, "select distinct _loaded_at from raw.cyfd_person") == loaded_at
    outcomes = query(database, "select outcome, count(*) from raw._load_audit group by 1 order by 1")
    assert outcomes == [("loaded", len(CONTRACT.tables)), ("unchanged", len(CONTRACT.tables))]


def test_resubmitting_one_school_year_replaces_only_that_year(loaded, tmp_path):
    drop, database, state = loaded
    enrollment = CONTRACT.table("ped_enrollment")
    # A resubmission of 2024 with fewer, different rows; plus a full CYFD file.
    resub = tmp_path / "resub"
    resub.mkdir()
    new_rows = table_rows(enrollment, years=(2024,), rows=7, offset=500)
    write_csv(resub / enrollment.file, enrollment.column_names, new_rows)
    person = CONTRACT.table("cyfd_person")
    write_csv(resub / person.file, person.column_names, table_rows(person, rows=5, offset=700))
    result = quiet_load(resub, database)
    assert result.ok
    after = data_tables(database)
    sy = enrollment.column_names.index("school_year")
    sid = enrollment.column_names.index("student_id")
    before_2023 = [r for r in state["ped_enrollment"] if r[sy] == 2023]
    assert [r for r in after["ped_enrollment"] if r[sy] == 2023] == before_2023
    assert sorted(r[sid] for r in after["ped_enrollment"] if r[sy] == 2024) == sorted(r[sid] for r in new_rows)
    # full replacement: only the 5 new persons remain
    assert sorted(r[0] for r in after["cyfd_person"]) == sorted(r[0] for r in table_rows(person, rows=5, offset=700))
    # files absent from the drop leave their tables as they were
    for name in CONTRACT.tables:
        if name not in ("ped_enrollment", "cyfd_person"):
            assert after[name] == state[name], name
    audit = query(database, "select replaced_keys from raw._load_audit where file_name = ? and load_id = ?",
                  [enrollment.file, result.load_id])
    assert audit == [("2024",)]
    # reloading the original drop restores 2024 (its sha256 is no longer the current content of 2024)
    again = quiet_load(drop, database)
    assert again.outcome(enrollment.file) == "loaded"
    assert again.outcome(CONTRACT.table("ped_attendance").file) == "unchanged"
    restored = data_tables(database)
    strip = lambda rows: sorted(r[:len(enrollment.columns)] for r in rows)  # noqa: E731
    assert strip(restored["ped_enrollment"]) == strip(state["ped_enrollment"])


def test_resubmitting_one_cohort_year_replaces_only_that_cohort(loaded, tmp_path):
    """ped_graduation_cohort is keyed by cohort_year the same way (spec): other cohorts stay as they were."""
    drop, database, state = loaded
    cohort = CONTRACT.table("ped_graduation_cohort")
    assert cohort.replace_key == "cohort_year"
    key = cohort.column_names.index("cohort_year")
    sid = cohort.column_names.index("student_id")
    years = sorted({r[key] for r in state["ped_graduation_cohort"]})
    assert len(years) >= 2, "the fixture drop needs two cohort years"
    resub = tmp_path / "resub"
    resub.mkdir()
    new_rows = table_rows(cohort, years=(years[-1],), rows=3, offset=900)
    write_csv(resub / cohort.file, cohort.column_names, new_rows)
    result = quiet_load(resub, database)
    assert result.ok and result.outcome(cohort.file) == "loaded"
    after = data_tables(database)
    for year in years[:-1]:
        assert [r for r in after["ped_graduation_cohort"] if r[key] == year] == \
            [r for r in state["ped_graduation_cohort"] if r[key] == year]
    assert sorted(r[sid] for r in after["ped_graduation_cohort"] if r[key] == years[-1]) == \
        sorted(r[sid] for r in new_rows)
    for name in CONTRACT.tables:
        if name != "ped_graduation_cohort":
            assert after[name] == state[name], name


def test_bom_crlf_and_shuffled_mixed_case_headers_are_accepted(loaded, tmp_path):
    drop, database, state = loaded
    odd = tmp_path / "odd"
    odd.mkdir()
    rnd = random.Random(3)
    for t in CONTRACT.tables.values():
        order = list(range(len(t.columns)))
        rnd.shuffle(order)
        header = [t.column_names[i].upper() if n % 2 else t.column_names[i].title() for n, i in enumerate(order)]
        rows = [[r[i] for i in order] for r in table_rows(t)]
        write_csv(odd / t.file, header, rows, newline="\r\n", bom=True)
    db2 = tmp_path / "wh2" / "datashare.duckdb"
    result = quiet_load(odd, db2)
    assert result.ok, [str(r) for f in result.files for r in f.rejects]
    assert {f.read_path for f in result.files} == {"columns"}  # BOM and CRLF keep the fast path
    other = data_tables(db2)
    for t in CONTRACT.tables.values():
        n = len(t.columns)
        # same values and line numbers; only the file checksum / drop id / load time differ
        line = n + 3
        assert sorted((r[:n], r[line]) for r in other[t.name]) == sorted((r[:n], r[line]) for r in state[t.name])


def test_quoted_fields_blank_lines_and_quoted_line_breaks(tmp_path):
    person = CONTRACT.table("cyfd_person")
    drop = tmp_path / "quoted"
    drop.mkdir()
    rows = table_rows(person, rows=4)
    rows[1][person.column_names.index("last_name")] = 'GARCIA, "EL GRANDE"'
    write_csv(drop / person.file, person.column_names, rows)
    # a blank line in the middle does not shift the line numbers of the rows after it
    lines = read_lines(drop / person.file)
    write_lines(drop / person.file, lines[:3] + [""] + lines[3:])
    report = CONTRACT.table("cyfd_ps_report")
    rrows = table_rows(report, rows=3)
    rrows[0][report.column_names.index("allegation")] = "neglect "  # codes compared trimmed + upper-cased
    write_csv(drop / report.file, report.column_names, rrows)
    lines = read_lines(drop / report.file)  # a blank line in a file without quotes
    write_lines(drop / report.file, lines[:2] + [""] + lines[2:])
    alias = CONTRACT.table("cyfd_person_alias")
    arows = table_rows(alias, rows=3)
    arows[0][alias.column_names.index("first_name")] = "ANA\nMARIA"  # a quoted line break
    write_csv(drop / alias.file, alias.column_names, arows)
    database = tmp_path / "wh" / "datashare.duckdb"
    result = quiet_load(drop, database)
    assert result.ok, [str(r) for f in result.files for r in f.rejects]
    paths = {f.file: f.read_path for f in result.files}
    assert paths == {person.file: "lists", report.file: "lists", alias.file: "python"}
    got = query(database, "select last_name, _line_number from raw.cyfd_person order by _line_number")
    assert got == [("LAST_NAME 0", 2), ('GARCIA, "EL GRANDE"', 3), ("LAST_NAME 2", 5), ("LAST_NAME 3", 6)]
    assert query(database, "select allegation from raw.cyfd_ps_report where _line_number = 2") == [("neglect",)]
    assert [r[0] for r in query(database, "select _line_number from raw.cyfd_ps_report order by 1")] == [2, 4, 5]
    got = query(database, "select first_name, _line_number from raw.cyfd_person_alias order by _line_number")
    assert got == [("ANA\nMARIA", 2), ("FIRST_NAME 1", 4), ("FIRST_NAME 2", 5)]


def test_other_files_are_ignored_with_a_note(loaded, tmp_path):
    drop, database, state = loaded
    extra = tmp_path / "extra"
    shutil.copytree(drop, extra)
    (extra / "README.txt").write_text("notes from the agency\n")
    (extra / "cyfd_person.csv").rename(extra / "CYFD_Person.csv")
    result = quiet_load(extra, database)
    assert result.ok
    skipped = {f.file: f.message for f in result.files if f.outcome == "skipped"}
    assert set(skipped) == {"README.txt", "CYFD_Person.csv"}
    assert "did you mean cyfd_person.csv" in skipped["CYFD_Person.csv"]
    assert data_tables(database) == state


# --------------------------------------------------------------------------
# The corpus of bad drops: each names file, line, column, value and reason,
# and leaves every data table exactly as the previous good load left it.
# --------------------------------------------------------------------------

def _drop_column(path: Path, column: str) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    i = rows[0].index(column)
    write_csv(path, rows[0][:i] + rows[0][i + 1:], [r[:i] + r[i + 1:] for r in rows[1:]])


def _add_column(path: Path, column: str) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    write_csv(path, rows[0] + [column], [r + ["x"] for r in rows[1:]])


def _edit_line(path: Path, line: int, fn) -> None:
    lines = read_lines(path)
    lines[line - 1] = fn(lines[line - 1])
    write_lines(path, lines)


def _latin1(path: Path, line: int) -> None:
    data = path.read_bytes().split(b"\n")
    fields = data[line - 1].split(b",")
    fields[3] = "PEÑA".encode("latin-1")  # last_name
    data[line - 1] = b",".join(fields)
    path.write_bytes(b"\n".join(data))


def _duplicate_key(path: Path) -> None:
    """Line 9 repeats the key of line 3 (both lines are rejected: neither can be trusted)."""
    lines = read_lines(path)
    first = lines[2].split(",")[0]
    _edit_line(path, 9, lambda s: ",".join([first] + s.split(",")[1:]))


# (case id, file, mutation, expected line, column, value, reason fragment, file rejected)
BAD_CASES = [
    ("missing_column", "cyfd_person.csv", lambda p: _drop_column(p, "sex"),
     1, "sex", None, "missing column sex", True),
    ("missing_required_column", "cyfd_ps_report.csv", lambda p: _drop_column(p, "report_date"),
     1, "report_date", None, "missing required column report_date", True),
    ("unknown_column", "aoc_party.csv", lambda p: _add_column(p, "shoe_size"),
     1, "shoe_size", "shoe_size", "unknown column", True),
    ("too_many_fields", "cyfd_ps_report.csv", lambda p: _edit_line(p, 5, lambda s: s + ",EXTRA"),
     5, None, None, "too many fields: 7 (expected 6)", False),
    ("too_few_fields", "cyfd_jjs_referral.csv", lambda p: _edit_line(p, 6, lambda s: s.rsplit(",", 1)[0]),
     6, None, None, "too few fields: 6 (expected 7)", False),
    ("unterminated_quote", "aoc_party.csv", lambda p: set_field(p, 4, "first_name", '"JOHN'),
     4, "first_name", None, "unterminated quote", True),
    ("malformed_quote", "aoc_party.csv", lambda p: set_field(p, 7, "first_name", 'JO"HN"'),
     7, None, None, "malformed quoting", False),
    ("invalid_date", "cyfd_person.csv", lambda p: set_field(p, 3, "birth_date", "2015-02-30"),
     3, "birth_date", "2015-02-30", "not a valid date (YYYY-MM-DD)", False),
    ("date_wrong_format", "ped_enrollment.csv", lambda p: set_field(p, 4, "entry_date", "01/15/2020"),
     4, "entry_date", "01/15/2020", "not a valid date", False),
    ("not_integer", "ped_assessment.csv", lambda p: set_field(p, 8, "scale_score", "12.5"),
     8, "scale_score", "12.5", "not an integer", False),
    ("not_decimal", "ped_attendance.csv", lambda p: set_field(p, 10, "days_present", "1O.5"),
     10, "days_present", "1O.5", "not a decimal number", False),
    ("code_outside_set", "cyfd_person.csv", lambda p: set_field(p, 5, "sex", "Q"),
     5, "sex", "Q", "code not in the allowed set sex (M, F, U)", False),
    ("county_outside_set", "aoc_case.csv", lambda p: set_field(p, 5, "county_fips", "48001"),
     5, "county_fips", "48001", "code not in the allowed set county_fips", False),
    ("pattern_mismatch", "cyfd_ps_placement.csv", lambda p: set_field(p, 12, "person_id", "C123"),
     12, "person_id", "C123", "does not match the pattern ^C[0-9]{8}$", False),
    ("above_maximum", "ped_assessment.csv", lambda p: set_field(p, 3, "performance_level", "7"),
     3, "performance_level", "7", "above the maximum 4", False),
    ("below_minimum", "ped_graduation_cohort.csv", lambda p: set_field(p, 2, "years_to_outcome", "2"),
     2, "years_to_outcome", "2", "below the minimum 4", False),
    ("required_empty", "cyfd_ps_report.csv", lambda p: set_field(p, 7, "report_date", ""),
     7, "report_date", "", "required value empty", False),
    ("duplicate_key", "cyfd_release.csv", _duplicate_key,
     9, "release_id", "RELEASE_ID-1001", "duplicate primary key (release_id) within the file: also on line(s) 3",
     False),
    ("not_utf8", "aoc_party.csv", lambda p: _latin1(p, 7),
     7, "last_name", "PE\ufffdA", "file is not UTF-8: invalid byte 0xD1", True),
    ("empty_file", "cyfd_caseload.csv", lambda p: p.write_bytes(b""),
     None, None, None, "empty file: no header line", True),
]


@pytest.mark.parametrize("case", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_input_is_named_and_leaves_the_warehouse_unchanged(case, loaded, bad_drop):
    _id, file, mutate, line, column, value, reason, file_rejected = case
    drop, database, state = loaded
    mutate(bad_drop / file)
    result = quiet_load(bad_drop, database)
    assert not result.ok
    assert data_tables(database) == state  # every data table: row counts and content
    res = next(f for f in result.files if f.file == file)
    assert res.outcome == "rejected" and res.file_rejected == file_rejected
    match = [r for r in res.rejects if r.line == line and r.column == column and reason in r.reason]
    assert match, [str(r) for r in res.rejects]
    if value is not None:
        assert match[0].value == value
    if _id in ("too_many_fields", "too_few_fields"):  # no one column is at fault: the value is the record
        assert match[0].value == read_lines(bad_drop / file)[line - 1]
    if _id == "duplicate_key":
        assert res.rows_rejected == 2 and any(r.line == 3 and "also on line(s) 9" in r.reason for r in res.rejects)
    # the other files were valid but not loaded: all or nothing
    others = {f.outcome for f in result.files if f.file != file}
    assert others == {"failed"}
    # the failed attempt is recorded after the rollback
    audit = query(database, "select outcome, rows_rejected from raw._load_audit where load_id = ? and file_name = ?",
                  [result.load_id, file])
    assert audit and audit[0][0] == "rejected"
    rejects = query(database, "select line_number, column_name, reason from raw._load_rejects "
                              "where load_id = ? and file_name = ?", [result.load_id, file])
    assert any(r[0] == line and r[1] == column and reason in r[2] for r in rejects)


def test_cli_exits_non_zero_with_a_readable_summary(loaded, bad_drop, capsys):
    drop, database, state = loaded
    set_field(bad_drop / "cyfd_person.csv", 5, "sex", "Q")
    code = cli_main(["load", str(bad_drop), "--warehouse", str(database.parent)])
    out = capsys.readouterr().out
    assert code == 1
    assert "cyfd_person.csv line 5, column sex, value 'Q': code not in the allowed set sex" in out
    assert "FAILED" in out and "--accept-good-rows" in out
    assert data_tables(database) == state
    assert cli_main(["load", str(drop), "--warehouse", str(database.parent)]) == 0


def test_accept_good_rows_keeps_every_good_row_and_the_rejects(loaded, bad_drop):
    drop, database, state = loaded
    person = bad_drop / "cyfd_person.csv"
    set_field(person, 3, "birth_date", "2015-13-01")
    set_field(person, 8, "sex", "Q")
    _edit_line(person, 11, lambda s: s + ",EXTRA")
    bad_lines = {3, 8, 11}
    with person.open(newline="", encoding="utf-8") as fh:
        file_rows = list(csv.reader(fh))
    expected_ids = sorted(row[0] for n, row in enumerate(file_rows, start=1) if n > 1 and n not in bad_lines)
    result = quiet_load(bad_drop, database, accept_good_rows=True)
    assert result.ok
    res = next(f for f in result.files if f.file == "cyfd_person.csv")
    assert (res.outcome, res.rows_read, res.rows_loaded, res.rows_rejected) == ("loaded", ROWS, ROWS - 3, 3)
    got = query(database, "select person_id, _line_number from raw.cyfd_person order by person_id")
    assert [g[0] for g in got] == expected_ids
    assert {g[1] for g in got} == set(range(2, ROWS + 2)) - bad_lines
    rejects = query(database, "select line_number, column_name, value from raw._load_rejects "
                              "where load_id = ? order by line_number", [result.load_id])
    assert [r[0] for r in rejects] == [3, 8, 11]
    assert rejects[0][1:] == ("birth_date", "2015-13-01") and rejects[1][1:] == ("sex", "Q")
    # the other tables of the bad drop were loaded too
    assert data_tables(database)["aoc_party"] != state["aoc_party"]


def test_accept_good_rows_with_value_errors_only_keeps_line_numbers(loaded, bad_drop):
    """Value errors only: the file takes the fast path; the loaded rows keep their own line numbers."""
    drop, database, state = loaded
    path = bad_drop / "ped_assessment.csv"
    set_field(path, 4, "scale_score", "abc")
    set_field(path, 30, "test", "ACT")
    result = quiet_load(bad_drop, database, accept_good_rows=True)
    assert result.ok
    res = next(f for f in result.files if f.file == path.name)
    assert (res.rows_read, res.rows_loaded, res.rows_rejected) == (2 * ROWS, 2 * ROWS - 2, 2)
    with path.open(newline="", encoding="utf-8") as fh:
        file_rows = list(csv.reader(fh))
    sid = file_rows[0].index("student_id")
    expected = [(n, row[sid]) for n, row in enumerate(file_rows, start=1) if n > 1 and n not in (4, 30)]
    got = query(database, "select _line_number, student_id from raw.ped_assessment order by 1")
    assert got == expected


def test_accept_good_rows_still_rejects_a_whole_bad_file(loaded, bad_drop):
    drop, database, state = loaded
    _drop_column(bad_drop / "aoc_case.csv", "case_type")
    result = quiet_load(bad_drop, database, accept_good_rows=True)
    assert result.ok
    assert result.outcome("aoc_case.csv") == "rejected"
    after = data_tables(database)
    assert after["aoc_case"] == state["aoc_case"]
    assert after["aoc_party"] != state["aoc_party"]


def test_killed_load_leaves_the_previous_state(loaded, bad_drop):
    drop, database, state = loaded
    env = dict(os.environ, **{KILL_AFTER_FILES_ENV: "3"})
    proc = subprocess.run(
        [sys.executable, "-m", "datashare.cli", "load", str(bad_drop), "--warehouse", str(database.parent)],
        env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    assert "killing the load mid-transaction" in proc.stdout
    assert data_tables(database) == state
    # and the warehouse still loads normally afterwards
    result = quiet_load(bad_drop, database)
    assert result.ok
    assert data_tables(database)["cyfd_person"] != state["cyfd_person"]


def test_generated_drop_loads_without_rejects(small_drop, tmp_path):
    """The session's generated drop (conftest) loads cleanly, twice (second time: every file unchanged)."""
    database = tmp_path / "wh" / "datashare.duckdb"
    result = quiet_load(small_drop, database)
    assert result.ok, [str(r) for f in result.files for r in f.rejects][:20]
    assert result.rows_rejected == 0
    assert {f.outcome for f in result.files if f.table} == {"loaded"}
    # generated files are clean: every one takes DuckDB's parallel fast path
    assert {f.read_path for f in result.files if f.table} == {"columns"}
    for f in result.files:
        if f.table:
            n = query(database, f"select count(*) from raw.{f.table}")[0][0]
            assert n == f.rows_loaded == f.rows_read, f.file
    again = quiet_load(small_drop, database)
    assert {f.outcome for f in again.files if f.table} == {"unchanged"}
