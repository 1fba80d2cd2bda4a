"""The synthetic drop generator: contract conformance, determinism, truth files, calibration.

Conformance is checked on the real CSV files with Python's csv module against
`load_contract()`; measures are computed with DuckDB by the research-design
definitions, joining agency ids to true persons through truth/person_xref.csv.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from datashare.contract import load_contract
from datashare.generate import generate_drop
from datashare.generate.calibration import TARGETS, TOLERANCE

CONTRACT = load_contract()


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, [dict(zip(header, r)) for r in reader]


def _check_value(table, col, value: str, where: str) -> None:
    if value == "":
        assert not col.required, f"{where}: required column {col.name} is empty"
        return
    if col.codes is not None:
        assert value in col.codes, f"{where}: {col.name}={value!r} not in code set {col.code_set}"
    if col.pattern:
        assert re.fullmatch(col.pattern, value), f"{where}: {col.name}={value!r} does not match {col.pattern}"
    if col.type == "date":
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value), f"{where}: {col.name}={value!r} is not YYYY-MM-DD"
        dt.date.fromisoformat(value)
    elif col.type == "integer":
        assert re.fullmatch(r"-?\d+", value), f"{where}: {col.name}={value!r} is not an integer"
    elif col.type == "decimal":
        Decimal(value)
    if col.type in ("integer", "decimal"):
        v = Decimal(value)
        if col.min is not None:
            assert v >= Decimal(str(col.min)), f"{where}: {col.name}={value} below {col.min}"
        if col.max is not None:
            assert v <= Decimal(str(col.max)), f"{where}: {col.name}={value} above {col.max}"
    if col.type in ("text", "code"):
        assert value == value.strip() and value != "", f"{where}: {col.name}={value!r} has stray blanks"


def test_every_contract_file_conforms(small_generated):
    _check_conformance(small_generated / "drop")


def _check_conformance(drop: Path, allow_empty: bool = False) -> None:
    files = sorted(p.name for p in drop.iterdir())
    assert files == sorted(t.file for t in CONTRACT.tables.values()), "the drop must hold exactly the contract files"
    for table in CONTRACT.tables.values():
        header, rows = _rows(drop / table.file)
        assert header == table.column_names, f"{table.file}: header differs from the contract"
        assert rows or allow_empty, f"{table.file}: no rows"
        cols = {c.name: c for c in table.columns}
        keys = Counter()
        for i, row in enumerate(rows, start=2):
            for name, value in row.items():
                _check_value(table, cols[name], value, f"{table.file} line {i}")
            if table.primary_key:
                keys[tuple(row[k] for k in table.primary_key)] += 1
        dups = [k for k, n in keys.items() if n > 1]
        assert not dups, f"{table.file}: duplicate primary keys {dups[:3]}"


def test_rfc4180_minimal_quoting(small_generated):
    """Fields are quoted only when they must be; no empty quoted strings (an empty field is a null)."""
    for table in CONTRACT.tables.values():
        text = (small_generated / "drop" / table.file).read_text(encoding="utf-8")
        assert '""' not in text.replace('"""', ""), f"{table.file}: empty quoted field"
        for line in text.splitlines()[:2000]:
            for field in re.findall(r'"((?:[^"]|"")*)"', line):
                assert any(ch in field for ch in ',"\n\r'), f"{table.file}: needless quotes around {field!r}"


def test_attendance_days_add_up(small_generated):
    _, rows = _rows(small_generated / "drop" / "ped_attendance.csv")
    for i, r in enumerate(rows, start=2):
        total = Decimal(r["days_present"]) + Decimal(r["days_excused"]) + Decimal(r["days_unexcused"])
        assert total == Decimal(r["days_enrolled"]), f"ped_attendance.csv line {i}: days do not add up"
        assert Decimal(r["days_present"]) >= 0


def test_dates_are_consistent(small_generated):
    con = duckdb.connect()
    drop = small_generated / "drop"

    def q(sql: str) -> int:
        return con.execute(sql).fetchone()[0]

    assert q(f"select count(*) from read_csv('{drop}/ped_enrollment.csv') where exit_date < entry_date") == 0
    assert q(f"select count(*) from read_csv('{drop}/cyfd_ps_placement.csv') "
             "where end_date < start_date or start_date < removal_date") == 0
    assert q(f"select count(*) from read_csv('{drop}/cyfd_jjs_supervision.csv') where end_date < start_date") == 0
    assert q(f"select count(*) from read_csv('{drop}/aoc_case.csv') where closed_date < filing_date") == 0
    # enrollment stays of a student in a year do not overlap
    assert q(f"""
        select count(*) from (
            select *, lead(entry_date) over (partition by school_year, student_id order by entry_date) as next_entry
            from read_csv('{drop}/ped_enrollment.csv', types={{'student_id': 'varchar'}})
        ) where next_entry <= coalesce(exit_date, date '2999-01-01')""") == 0
    # the judicial district of a case is the county's
    assert q(f"""
        select count(*) from read_csv('{drop}/aoc_case.csv', types={{'county_fips': 'varchar'}}) c
        join read_csv('seeds/nm_counties.csv', types={{'county_fips': 'varchar'}}) s using (county_fips)
        where c.judicial_district <> s.judicial_district""".replace("seeds/", str(Path(__file__).parents[2] / "seeds") + "/")) == 0


def test_truth_covers_every_system_id_once(small_generated):
    drop, truth = small_generated / "drop", small_generated / "truth"
    _, xref = _rows(truth / "person_xref.csv")
    keys = Counter((r["system"], r["system_id"]) for r in xref)
    assert max(keys.values()) == 1, "a system id appears twice in truth/person_xref.csv"
    ids = {
        "CYFD": {r["person_id"] for r in _rows(drop / "cyfd_person.csv")[1]},
        "AOC": {r["party_id"] for r in _rows(drop / "aoc_party.csv")[1]},
        "PED": {r["student_id"] for r in _rows(drop / "ped_student_snapshot.csv")[1]}
        | {r["student_id"] for r in _rows(drop / "ped_enrollment.csv")[1]}
        | {r["student_id"] for r in _rows(drop / "ped_graduation_cohort.csv")[1]},
    }
    for system, found in ids.items():
        in_truth = {sid for (s, sid) in keys if s == system}
        assert found == in_truth, f"{system}: ids in the drop and in truth differ ({len(found ^ in_truth)} ids)"
    # every id used by another file exists in its identity file
    for table, col, system in (("cyfd_ps_report", "person_id", "CYFD"), ("cyfd_jjs_referral", "person_id", "CYFD"),
                               ("cyfd_caseload", "person_id", "CYFD"), ("cyfd_release", "person_id", "CYFD"),
                               ("cyfd_person_alias", "person_id", "CYFD"), ("aoc_case", "party_id", "AOC"),
                               ("ped_attendance", "student_id", "PED"), ("ped_assessment", "student_id", "PED"),
                               ("ped_discipline", "student_id", "PED"), ("ped_graduation_cohort", "student_id", "PED")):
        used = {r[col] for r in _rows(drop / f"{table}.csv")[1]}
        assert used <= ids[system], f"{table}.{col}: ids missing from the identity file"
    _, noise = _rows(truth / "identity_noise.csv")
    assert Counter((r["system"], r["system_id"]) for r in noise) == keys
    from datashare.generate.identity import NOISE_CATEGORIES

    seen = Counter(c for r in noise for c in r["noise"].split(";"))
    assert set(seen) <= set(NOISE_CATEGORIES)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tiny_and_odd_windows_conform(tmp_path, seed):
    """Very small populations and single-year windows still give a conforming drop (tables may be empty)."""
    generate_drop(tmp_path, students=50, years="2024", seed=seed, noise="hard")
    _check_conformance(tmp_path / "drop", allow_empty=True)


def test_cli_generate(tmp_path, capsys):
    from datashare.cli import main

    assert main(["generate", "--out", str(tmp_path), "--students", "300", "--years", "2023-2024", "--seed", "4",
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "ped_student_snapshot.csv" in out and (tmp_path / "truth" / "person_xref.csv").exists()
    with pytest.raises(ValueError):
        generate_drop(tmp_path / "bad", students=300, years="2024-2021", seed=1)
    with pytest.raises(ValueError):
        generate_drop(tmp_path / "bad", students=300, years="2024", seed=1, noise="extreme")


def test_hard_noise_is_noisier(tmp_path):
    """--noise hard applies clearly more errors than the default, on the same people."""
    counts = {}
    for level in ("default", "hard"):
        generate_drop(tmp_path / level, students=3000, years="2023-2024", seed=5, noise=level)
        _, rows = _rows(tmp_path / level / "truth" / "identity_noise.csv")
        counts[level] = Counter(c for r in rows for c in r["noise"].split(";"))
        n = len(rows)
        assert counts[level]["second_ped_id"] > 0 and counts[level]["twin"] > 0
        assert 0.001 <= counts[level]["second_ped_id"] / n <= 0.01
    for cat in ("typo", "nickname", "name_swap", "dob_typo"):
        assert counts["hard"][cat] > 1.8 * counts["default"][cat], f"{cat}: {counts}"


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.csv"))}


def test_deterministic_for_a_seed(tmp_path):
    """Same seed, byte-identical files, also in another process with another string-hash seed."""
    import os
    import subprocess
    import sys

    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_drop(a, students=600, years="2023-2024", seed=11)
    subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from datashare.generate import "
                    "generate_drop; generate_drop(Path(sys.argv[1]), students=600, years='2023-2024', seed=11)", str(b)],
                   check=True, env={**os.environ, "PYTHONHASHSEED": "12345"})
    generate_drop(c, students=600, years="2023-2024", seed=12)
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)


@pytest.fixture(scope="module")
def mid_generated(tmp_path_factory) -> Path:
    """A mid-size drop for calibration (a few seconds to generate)."""
    out = tmp_path_factory.mktemp("mid")
    generate_drop(out, students=MID_STUDENTS, years="2022-2024", seed=21)
    return out


MID_STUDENTS = 15000


@pytest.fixture(scope="module")
def mid_measures(mid_generated):
    from datashare.generate.measure import measures

    return measures(mid_generated)


@pytest.mark.parametrize("measure", sorted(TARGETS))
def test_calibration_targets_met(mid_measures, measure):
    """Each target (STATEWIDE, PS, JJ) is met within TOLERANCE, measured from the files by the research definitions."""
    for group, target in zip(("STATEWIDE", "PS", "JJ"), TARGETS[measure]):
        rate, den = mid_measures[(measure, group)]
        assert den >= 100, f"{measure} {group}: only {den} in the denominator"
        assert abs(rate - target) <= TOLERANCE, f"{measure} {group}: {rate:.3f} vs target {target:.3f}"


def test_involved_groups_differ_from_not_involved(mid_measures):
    """The outcome gaps point the way the reference figures do."""
    for measure in TARGETS:
        none = mid_measures[(measure, "NOT_INVOLVED")][0]
        for group in ("PS", "JJ", "DUAL"):
            rate = mid_measures[(measure, group)][0]
            if measure.startswith(("proficiency", "graduation")):
                assert rate < none - 0.1, f"{measure}: {group} {rate:.3f} not clearly below {none:.3f}"
            else:
                assert rate > none + 0.05, f"{measure}: {group} {rate:.3f} not clearly above {none:.3f}"


def test_volumes_scale_with_students(mid_generated):
    """Enrollment per year and the CYFD volumes follow New Mexico, scaled by students / 310,000."""
    from datashare.generate.measure import volumes

    v = volumes(mid_generated)
    f = MID_STUDENTS / 310_000
    assert abs(v["students_per_year"] / MID_STUDENTS - 1) < 0.03, v
    assert 0.75 * 7600 * f <= v["substantiated_reports_per_year"] <= 1.25 * 7600 * f, v
    assert 0.9 * 5000 * f <= v["jjs_referrals_per_year"] <= 1.1 * 7000 * f, v
    assert 0.7 * 2000 * f <= v["in_custody_at_a_time"] <= 1.3 * 2000 * f, v


def test_docs_table_matches_targets():
    """docs/generator.md states the calibration targets the generator uses."""
    doc = (Path(__file__).parents[2] / "docs" / "generator.md").read_text(encoding="utf-8")
    for measure, values in TARGETS.items():
        for group, target in zip(("STATEWIDE", "PS", "JJ"), values):
            assert f"| {measure} | {group} | {target * 100:.0f}% |" in doc, f"docs/generator.md lacks {measure} {group}"


def test_second_ped_ids_within_and_across_years(mid_generated):
    """About 0.3% of students hold two PED ids: some switch between years, some within one year."""
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    xref = f"read_csv('{mid_generated}/truth/person_xref.csv', all_varchar = true)"
    enr = f"read_csv('{mid_generated}/drop/ped_enrollment.csv', all_varchar = true)"
    persons, two_ids = con.execute(f"""
        select count(*), count(*) filter (where n > 1) from (
            select true_id, count(*) as n from {xref} where system = 'PED' group by all)""").fetchone()
    assert 0.001 <= two_ids / persons <= 0.006, (two_ids, persons)
    same_year = con.execute(f"""
        select count(*) from (
            select x.true_id, e.school_year from {enr} e
            join {xref} x on x.system = 'PED' and x.system_id = e.student_id
            group by all having count(distinct e.student_id) > 1)""").fetchone()[0]
    assert 0 < same_year < two_ids
