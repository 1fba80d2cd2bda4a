"""Staging layer: reference seeds agree with the contract, and the built staging
models keep every contract column, document every column, tag identifiers pii
and expose the identity interface (checked on a real built warehouse)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from datashare.contract import load_contract
from datashare.paths import PROJECT_DIR, SEEDS_DIR, database_path

STAGING_DIR = PROJECT_DIR / "models" / "staging"
CODE_SETS_SEED = SEEDS_DIR / "contract_code_sets.csv"

# Staging model of each raw (contract) table.
MODEL_OF_TABLE = {
    "cyfd_person": "stg_cyfd__persons",
    "cyfd_person_alias": "stg_cyfd__person_aliases",
    "cyfd_ps_report": "stg_cyfd__ps_reports",
    "cyfd_ps_placement": "stg_cyfd__ps_placements",
    "cyfd_jjs_referral": "stg_cyfd__jjs_referrals",
    "cyfd_jjs_supervision": "stg_cyfd__jjs_supervisions",
    "cyfd_caseload": "stg_cyfd__caseloads",
    "cyfd_release": "stg_cyfd__releases",
    "ped_student_snapshot": "stg_ped__student_snapshots",
    "ped_enrollment": "stg_ped__enrollments",
    "ped_attendance": "stg_ped__attendance",
    "ped_discipline": "stg_ped__discipline_incidents",
    "ped_assessment": "stg_ped__assessments",
    "ped_graduation_cohort": "stg_ped__graduation_cohort_members",
    "aoc_party": "stg_aoc__parties",
    "aoc_case": "stg_aoc__cases",
}
IDENTITY_MODELS = ("stg_cyfd__person_identities", "stg_ped__student_identities", "stg_aoc__parties")
IDENTITY_INTERFACE = {
    "identity_id": "VARCHAR", "system": "VARCHAR", "system_id": "VARCHAR", "identity_source": "VARCHAR",
    "first_name": "VARCHAR", "middle_name": "VARCHAR", "last_name": "VARCHAR", "name_suffix": "VARCHAR",
    "first_name_std": "VARCHAR", "middle_name_std": "VARCHAR", "last_name_std": "VARCHAR",
    "name_suffix_std": "VARCHAR", "last_name_tokens": "VARCHAR[]", "birth_date": "DATE", "sex": "VARCHAR",
    "ssn": "VARCHAR",
}


def code_set_rows() -> list[tuple[str, str]]:
    """(code_set, code) of every contract code set; counties live in seed nm_counties."""
    return [
        (name, code)
        for name, codes in load_contract().code_sets.items()
        if name != "county_fips"
        for code in codes
    ]


def write_code_sets_seed(path: Path = CODE_SETS_SEED) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["code_set", "code"])
        writer.writerows(code_set_rows())


def read_seed(name: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / f"{name}.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def documented_models() -> dict[str, dict]:
    models = {}
    for path in sorted(STAGING_DIR.glob("*/_*__models.yml")):
        for model in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]:
            models[model["name"]] = model
    return models


# --- seeds (no warehouse needed) -------------------------------------------


def test_code_sets_seed_equals_the_contract():
    seed = [(r["code_set"], r["code"]) for r in read_seed("contract_code_sets")]
    assert seed == code_set_rows(), (
        f"{CODE_SETS_SEED} differs from the contract: run `python tests/python/test_staging.py --write`"
    )


def test_race_ethnicity_map_covers_every_source_code():
    contract = load_contract()
    rows = read_seed("race_ethnicity_map")
    harmonized = set(contract.code_sets["race_ethnicity_cyfd"])
    by_system: dict[str, set[str]] = {}
    for line, row in enumerate(rows, start=2):
        assert row["race_ethnicity"] in harmonized, f"race_ethnicity_map.csv line {line}: {row['race_ethnicity']}"
        by_system.setdefault(row["system"], set()).add(row["source_code"])
    assert by_system["CYFD"] == set(contract.code_sets["race_ethnicity_cyfd"])
    # PED: the race codes plus HISPANIC (hispanic = Y) and UNKNOWN (no race).
    assert by_system["PED"] == set(contract.code_sets["race_ped"]) | {"HISPANIC", "UNKNOWN"}


def test_grade_levels_seed_orders_and_bands_every_grade():
    rows = {r["grade_level"]: r for r in read_seed("grade_levels")}
    assert list(rows) == list(load_contract().code_sets["grade_level"])
    assert [int(r["grade_order"]) for r in rows.values()] == list(range(-1, 13))
    assert rows["PK"]["grade_band"] == ""
    for grade, row in rows.items():
        order = int(row["grade_order"])
        if 0 <= order <= 5:
            assert row["grade_band"] == "KF-05", grade
        elif 6 <= order <= 8:
            assert row["grade_band"] == "06-08", grade
        elif order >= 9:
            assert row["grade_band"] == "09-12", grade


def test_every_staging_model_is_documented_with_grain_and_key_test():
    models = documented_models()
    assert set(MODEL_OF_TABLE.values()) | set(IDENTITY_MODELS) <= set(models)
    for sql in STAGING_DIR.glob("*/*.sql"):
        model = models.get(sql.stem)
        assert model is not None, f"{sql} has no entry in a _<agency>__models.yml"
        assert "One row per" in model["description"], f"{sql.stem}: description must state the grain"
        column_tests = [
            t for c in model.get("columns", []) for t in c.get("data_tests", []) if t == "unique"
        ]
        model_tests = [next(iter(t)) for t in model.get("data_tests", []) if isinstance(t, dict)]
        assert column_tests or "unique_combination" in model_tests, f"{sql.stem} has no primary-key test"


# --- the built warehouse ---------------------------------------------------


@pytest.fixture(scope="module")
def staging_db(built_warehouse):
    con = duckdb.connect(str(database_path(built_warehouse)), read_only=True)
    yield con
    con.close()


def table_columns(con, schema: str, table: str) -> dict[str, str]:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    return dict(rows)


def test_staging_models_keep_every_contract_column_and_document_every_column(staging_db):
    models = documented_models()
    contract = load_contract()
    for table_name, model_name in MODEL_OF_TABLE.items():
        table = contract.table(table_name)
        built = table_columns(staging_db, "staging", model_name)
        assert built, f"staging.{model_name} was not built"
        for col in table.columns:
            assert col.name in built, f"staging.{model_name} lost contract column {col.name}"
        documented = {c["name"]: c for c in models[model_name]["columns"]}
        assert set(built) == set(documented), (
            f"{model_name}: undocumented {sorted(set(built) - set(documented))}, "
            f"documented but absent {sorted(set(documented) - set(built))}"
        )
        for col in table.columns:
            if col.pii:
                tags = documented[col.name].get("config", {}).get("tags", [])
                assert "pii" in tags, f"{model_name}.{col.name} must be tagged pii"


def test_identity_models_expose_the_identity_interface(staging_db):
    for model in IDENTITY_MODELS:
        built = table_columns(staging_db, "staging", model)
        for name, dtype in IDENTITY_INTERFACE.items():
            assert built.get(name) == dtype, f"{model}.{name}: {built.get(name)} instead of {dtype}"
    union = " union all ".join(f"select identity_id, system, sex from staging.{m}" for m in IDENTITY_MODELS)
    n, distinct_ids, bad_sex = staging_db.execute(
        f"select count(*), count(distinct identity_id), count(*) filter (where sex not in ('M', 'F')) "
        f"from ({union})"
    ).fetchone()
    assert n > 0 and distinct_ids == n and bad_sex == 0


def test_every_person_and_student_has_identities(staging_db):
    con = staging_db
    # Each CYFD client has exactly one identity taken from its own row.
    assert con.execute(
        "select count(*) from staging.stg_cyfd__persons p left join ("
        " select system_id, count(*) as n from staging.stg_cyfd__person_identities"
        " where identity_source = 'person' group by system_id) i on p.person_id = i.system_id"
        " where i.n is distinct from 1"
    ).fetchone()[0] == 0
    # Every snapshot row is counted in exactly one PED identity.
    snapshots_per_student = con.execute(
        "select student_id, count(*) from staging.stg_ped__student_snapshots group by all order by 1"
    ).fetchall()
    counted = con.execute(
        "select system_id, sum(snapshot_count) from staging.stg_ped__student_identities group by all order by 1"
    ).fetchall()
    assert snapshots_per_student == counted
    # Staging drops no row of a raw table (aliases: only repeated lines).
    for table_name, model_name in MODEL_OF_TABLE.items():
        raw = con.execute(f"select count(*) from raw.{table_name}").fetchone()[0]
        staged = con.execute(f"select count(*) from staging.{model_name}").fetchone()[0]
        if table_name == "cyfd_person_alias":
            assert 0 < staged <= raw
        else:
            assert staged == raw, f"{model_name}: {staged} rows from {raw} raw rows"


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write_code_sets_seed()
        print(f"wrote {CODE_SETS_SEED}")
    else:
        print("usage: python tests/python/test_staging.py --write   (regenerate seeds/contract_code_sets.csv)")
