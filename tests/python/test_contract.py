"""The extract contract is complete, consistent, and the dbt sources agree with it."""

from __future__ import annotations

import re

import yaml

from datashare.contract import load_contract
from datashare.contract_cli import LOAD_METADATA, sources_yaml, stale_sources
from datashare.paths import SEEDS_DIR

SPEC_FILES = {
    "cyfd_person.csv", "cyfd_person_alias.csv", "cyfd_ps_report.csv", "cyfd_ps_placement.csv",
    "cyfd_jjs_referral.csv", "cyfd_jjs_supervision.csv", "ped_student_snapshot.csv", "ped_enrollment.csv",
    "ped_attendance.csv", "ped_discipline.csv", "ped_assessment.csv", "ped_graduation_cohort.csv",
    "aoc_party.csv", "aoc_case.csv", "cyfd_caseload.csv", "cyfd_release.csv",
}


def test_every_spec_file_is_in_the_contract():
    assert set(load_contract().by_file()) == SPEC_FILES


def test_replace_rules_follow_the_spec():
    contract = load_contract()
    for table in contract.tables.values():
        if table.agency == "ped":
            expected = "cohort_year" if table.name == "ped_graduation_cohort" else "school_year"
        else:
            expected = "full"
        assert table.replace == expected, table.name
        if table.replace_key:
            assert table.replace_key in table.column_names


def test_counties_come_from_the_seed_and_are_the_33_nm_counties():
    codes = load_contract().code_sets["county_fips"]
    assert len(codes) == 33 and len(set(codes)) == 33
    assert codes[0] == "35001" and codes[-1] == "35061"
    assert all(re.fullmatch(r"35\d{3}", c) for c in codes)
    assert (SEEDS_DIR / "nm_counties.csv").exists()


def test_identifiers_are_tagged_pii():
    contract = load_contract()
    for table in contract.tables.values():
        for col in table.columns:
            if col.name in {"first_name", "last_name", "birth_date", "ssn", "person_id", "student_id",
                            "party_id", "case_number", "staff_id"}:
                assert col.pii, f"{table.name}.{col.name} must be tagged pii"


def test_generated_dbt_sources_are_up_to_date():
    assert stale_sources() == [], "run `make sources` after changing the contract"


def test_sources_yaml_lists_every_column_once_with_load_metadata():
    contract = load_contract()
    for agency in ("cyfd", "ped", "aoc"):
        doc = yaml.safe_load(sources_yaml(contract, agency))
        (source,) = doc["sources"]
        assert source["schema"] == "raw"
        for entry in source["tables"]:
            table = contract.table(entry["name"])
            names = [c["name"] for c in entry["columns"]]
            assert names == table.column_names + [m[0] for m in LOAD_METADATA]
