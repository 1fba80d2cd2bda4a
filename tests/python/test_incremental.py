"""Incremental PED resubmissions (docs/incremental.md).

The proof the issue asks for: after a full build, a PED resubmission of one
school year built incrementally gives exactly the tables a full rebuild from
scratch on the same data gives; and the incremental build really did less
(years not resubmitted were not rebuilt, linkage scoring was kept).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from datashare.benchmark import make_resubmission
from datashare.load import load_drop
from datashare.pipeline import (BUILD_STATE_FILE, LINKAGE_CHAIN, linkage_inputs_digest, plan_build, run_dbt,
                                run_pipeline, write_build_state)

RESUBMITTED_YEAR = 2024
UNTOUCHED_YEAR = 2022
MARKER = "tampered-before-resubmission"
QUIET = dict(target="test", quiet=True, log=lambda _msg: None)


@dataclass
class Built:
    incremental: Path
    full: Path
    plan: object


@pytest.fixture(scope="module")
def resubmission(small_drop, tmp_path_factory) -> Path:
    return make_resubmission(small_drop, tmp_path_factory.mktemp("resubmission"), RESUBMITTED_YEAR)


@pytest.fixture(scope="module")
def built(built_warehouse, small_drop, resubmission, tmp_path_factory) -> Built:
    base = tmp_path_factory.mktemp("incremental")
    # Incremental: the session's fully built warehouse, then the resubmission.
    incremental = base / "incremental"
    shutil.copytree(built_warehouse, incremental)
    # Mark one staging row of a year the resubmission does not hold: an
    # incremental build must leave it alone (a full rebuild would restore it).
    with duckdb.connect(str(incremental / "datashare.duckdb")) as con:
        con.execute(
            "update staging.stg_ped__attendance set _source_file = ? where rowid = "
            "(select min(rowid) from staging.stg_ped__attendance where school_year = ?)",
            [MARKER, UNTOUCHED_YEAR])
    result = run_pipeline(resubmission, incremental, **QUIET)
    # Full: a new warehouse, the same two drops loaded, everything built from
    # scratch and scored with the same saved linkage model.
    full = base / "full"
    full.mkdir()
    shutil.copytree(built_warehouse / "linkage", full / "linkage")
    assert load_drop(small_drop, full / "datashare.duckdb", log=lambda _m: None).ok
    run_pipeline(resubmission, full, train=False, full_build=True, **QUIET)
    return Built(incremental, full, result.plan)


def test_resubmission_is_built_incrementally(built):
    assert built.plan.incremental, built.plan.reason
    assert "ped_attendance" in built.plan.changed_tables
    assert not any(t.startswith(("cyfd_", "aoc_")) for t in built.plan.changed_tables)
    # The resubmission corrects attendance only: the person index is kept (and the equality test below
    # shows that keeping it gives what a full rebuild gives).
    assert built.plan.linkage_unchanged
    assert all(m in built.plan.dbt_select() for m in LINKAGE_CHAIN)


def test_linkage_inputs_digest_follows_what_the_person_index_reads(built_warehouse, tmp_path):
    warehouse = tmp_path / "wh"
    shutil.copytree(built_warehouse, warehouse)
    database = warehouse / "datashare.duckdb"
    digest = linkage_inputs_digest(database, warehouse)
    assert digest == linkage_inputs_digest(database, warehouse)
    with duckdb.connect(str(database)) as con:  # attendance corrections: not an input of the index
        con.execute("update raw.ped_attendance set days_present = days_present - 1 where days_present > 1")
    assert linkage_inputs_digest(database, warehouse) == digest
    with duckdb.connect(str(database)) as con:  # a corrected first name is
        con.execute("update raw.ped_student_snapshot set first_name = 'ZEBEDIAH' "
                    "where rowid = (select min(rowid) from raw.ped_student_snapshot)")
    renamed = linkage_inputs_digest(database, warehouse)
    assert renamed != digest
    with duckdb.connect(str(database)) as con:  # so is a student id seen only in one activity table
        con.execute("update raw.ped_discipline set student_id = '999999999' "
                    "where rowid = (select min(rowid) from raw.ped_discipline)")
    new_id = linkage_inputs_digest(database, warehouse)
    assert new_id != renamed
    decisions = warehouse / "linkage" / "review_decisions.csv"  # and a recorded clerical decision
    decisions.write_text("system_id_key_l,system_id_key_r,decision,decided_by,decided_at,note\n"
                         "CYFD:C00000001,PED:100000001,no_match,tester,2026-12-01T00:00:00Z,\n", encoding="utf-8")
    assert linkage_inputs_digest(database, warehouse) != new_id


def test_incremental_build_equals_a_full_rebuild(built):
    """Every table of every built layer holds the same rows (load metadata aside)."""
    con = duckdb.connect()
    con.execute(f"attach '{built.incremental / 'datashare.duckdb'}' as inc (read_only)")
    con.execute(f"attach '{built.full / 'datashare.duckdb'}' as ful (read_only)")
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = 'ful' "
        "and schema_name not in ('raw', 'access_audit') order by 1, 2").fetchall()
    assert {s for s, _ in tables} >= {"staging", "matched", "deidentified", "marts", "access"}
    inc_tables = set(con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = 'inc' "
        "and schema_name not in ('raw', 'access_audit')").fetchall())
    assert inc_tables == set(tables), "the incremental warehouse holds other tables than the full one"
    differing = []
    for schema, table in tables:
        # Load metadata (when and from which file a row was loaded) differs between two loads by design.
        cols = [r[0] for r in con.execute(
            "select column_name from duckdb_columns() where database_name = 'ful' and schema_name = ? "
            "and table_name = ? and not starts_with(column_name, '_') and not ends_with(column_name, 'loaded_at') "
            "order by column_index", [schema, table]).fetchall()]
        select = ", ".join(f'"{c}"' for c in cols)
        a = f"select {select} from ful.{schema}.{table}"
        b = f"select {select} from inc.{schema}.{table}"
        missing = con.execute(f"select count(*) from ({a} except all {b})").fetchone()[0]
        extra = con.execute(f"select count(*) from ({b} except all {a})").fetchone()[0]
        if missing or extra:
            differing.append(f"{schema}.{table}: {missing} rows missing, {extra} extra")
    assert not differing, differing
    # The resubmission's corrections are in both (the comparison is not vacuous).
    got = con.execute(
        "select count(*) from ful.staging.stg_ped__attendance a join ful.raw.ped_attendance r "
        "on a.student_id = r.student_id and a.school_code = r.school_code "
        "and cast(r.school_year as integer) = a.school_year where a.school_year = ?",
        [RESUBMITTED_YEAR]).fetchone()[0]
    assert got > 0


def test_years_not_resubmitted_were_not_rebuilt(built):
    with duckdb.connect(str(built.incremental / "datashare.duckdb"), read_only=True) as con:
        kept = con.execute("select count(*) from staging.stg_ped__attendance where _source_file = ?",
                           [MARKER]).fetchone()[0]
        years = dict(con.execute(
            "select school_year, count(*) from staging.stg_ped__attendance group by 1").fetchall())
    assert kept == 1
    assert RESUBMITTED_YEAR in years and UNTOUCHED_YEAR in years


def test_scoring_is_kept_when_identities_are_unchanged_and_redone_when_the_model_changes(built, tmp_path):
    warehouse = tmp_path / "warehouse"
    shutil.copytree(built.incremental, warehouse)
    select = ["build", "--select", "int_linkage__scored_pairs", "--exclude", "test_type:unit"]
    with duckdb.connect(str(warehouse / "datashare.duckdb"), read_only=True) as con:
        before = con.execute("select count(*), count(distinct input_fingerprint) "
                             "from matched.int_linkage__scored_pairs").fetchone()
    out = run_dbt(select, warehouse, target="test", quiet=True).stdout
    assert "pairs kept" in out
    # Another saved model (here: the same parameters, written differently) is another fingerprint.
    model = warehouse / "linkage" / "model.json"
    model.write_text(model.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    out = run_dbt(select, warehouse, target="test", quiet=True).stdout
    assert "pairs kept" not in out
    with duckdb.connect(str(warehouse / "datashare.duckdb"), read_only=True) as con:
        after = con.execute("select count(*), count(distinct input_fingerprint) "
                            "from matched.int_linkage__scored_pairs").fetchone()
        leaked = con.execute("select count(*) from duckdb_tables() where table_name like '%__dbt_tmp%'").fetchone()[0]
    assert before[1] == after[1] == 1  # every row stamped with one fingerprint, old rows replaced
    assert after[0] == before[0]
    assert leaked == 0


# The build plan ------------------------------------------------------------------------------


@dataclass
class _File:
    table: str
    outcome: str = "loaded"


@dataclass
class _Load:
    files: list


def test_plan_is_full_without_an_earlier_build(tmp_path):
    plan = plan_build(tmp_path, _Load([_File("ped_attendance")]))
    assert not plan.incremental and "no earlier full build" in plan.reason


def test_plan_is_incremental_only_for_year_keyed_ped_tables(tmp_path):
    write_build_state(tmp_path)
    assert plan_build(tmp_path, _Load([_File("ped_attendance"), _File("ped_graduation_cohort")])).incremental
    for table in ("cyfd_person", "aoc_party"):
        plan = plan_build(tmp_path, _Load([_File("ped_attendance"), _File(table)]))
        assert not plan.incremental and table in plan.reason
    assert not plan_build(tmp_path, _Load([_File("ped_attendance", "unchanged")])).incremental
    assert not plan_build(tmp_path, _Load([_File("ped_attendance")]), full_build=True).incremental


def test_plan_is_full_when_the_code_changed(tmp_path, monkeypatch):
    write_build_state(tmp_path)
    import datashare.pipeline as pipeline

    monkeypatch.setattr(pipeline, "code_fingerprint", lambda: "something else")
    plan = plan_build(tmp_path, _Load([_File("ped_attendance")]))
    assert not plan.incremental and "changed" in plan.reason
    assert (tmp_path / BUILD_STATE_FILE).exists()
