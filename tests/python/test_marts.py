"""Research marts: published outputs, disclosure control, research ids, validity against ground truth.

Most tests read the session's `built_warehouse` (small generated drop, whole
pipeline, published). Tests that need to change a warehouse copy its DuckDB
file to tmp_path first. The validity test recomputes every measure at total
level straight from the generator's files and true identities (no linkage),
independently of the dbt models, following shared/research-design.md.
"""

from __future__ import annotations

import glob
import hashlib
import hmac
import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from datashare.paths import DATABASE_FILE, PROJECT_DIR, PUBLISHED_DIR
from datashare.publish import PUBLISHED_TABLES, PublishError, publish
from datashare.research_key import DEMO_RESEARCH_KEY, KEY_ENV
from datashare.summary import GROUPS, summarize

PUBLISHED_COLUMNS = [
    "school_year", "comparison_group", "measure", "breakdown", "breakdown_value", "numerator",
    "denominator", "rate", "ci_low", "ci_high", "gap_pp_vs_not_involved", "display_value", "suppression_reason",
]
MEASURES = {
    # measure: unit
    "special_ed_rate": "proportion", "gifted_rate": "proportion", "english_learner_rate": "proportion",
    "section_504_rate": "proportion", "mobility_rate": "proportion", "schools_attended_mean": "mean",
    "retention_rate": "proportion", "graduation_rate_4yr": "proportion", "dropout_rate": "proportion",
    "attendance_rate": "proportion", "chronic_absence_rate": "proportion", "excessive_absence_rate": "proportion",
    "habitual_truancy_rate": "proportion", "infraction_rate": "proportion",
    "out_of_school_suspension_rate": "proportion", "expulsion_rate": "proportion", "incidents_per_100": "per_100",
    "proficiency_rate_ela": "proportion", "proficiency_rate_math": "proportion",
    "proficiency_rate_science": "proportion",
}


def _published(built_warehouse: Path) -> Path:
    return built_warehouse / PUBLISHED_DIR


def _rows(con, sql: str, params=None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _copy_warehouse(built_warehouse: Path, tmp_path: Path) -> Path:
    target = tmp_path / DATABASE_FILE
    shutil.copyfile(built_warehouse / DATABASE_FILE, target)
    return target


def _compiled_test(built_warehouse: Path, name: str) -> str:
    found = glob.glob(str(built_warehouse / "dbt" / "target" / "compiled" / "**" / f"{name}.sql"), recursive=True)
    assert found, f"compiled SQL of data test {name} not found under {built_warehouse / 'dbt'}"
    return Path(found[0]).read_text(encoding="utf-8")


# --- published outputs -------------------------------------------------------------------------


def test_published_outcomes_has_exactly_the_interface_columns(built_warehouse):
    con = duckdb.connect()
    cols = [r[0] for r in con.execute("describe select * from read_parquet(?)",
                                      [str(_published(built_warehouse) / "published_outcomes.parquet")]).fetchall()]
    assert cols == PUBLISHED_COLUMNS


def test_published_duckdb_holds_only_published_marts_and_opens_read_only(built_warehouse):
    con = duckdb.connect(str(_published(built_warehouse) / "published.duckdb"), read_only=True)
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert tables == set(PUBLISHED_TABLES) | {"publish_manifest"}
    columns = {r[0] for r in con.execute("select column_name from information_schema.columns").fetchall()}
    assert not columns & {"research_id", "person_key", "student_id", "person_id", "birth_date", "first_name"}
    parquet_rows = duckdb.connect().execute(
        "select count(*) from read_parquet(?)",
        [str(_published(built_warehouse) / "published_outcomes.parquet")]).fetchone()[0]
    assert con.execute("select count(*) from published_outcomes").fetchone()[0] == parquet_rows > 0


def test_demo_outputs_are_marked(built_warehouse):
    manifest = json.loads((_published(built_warehouse) / "publish_manifest.json").read_text())
    assert manifest["research_key_mode"] == "demo" and manifest["is_demo_build"] is True
    assert "DEMO" in manifest["notice"]
    kv = dict(duckdb.connect().execute(
        "select decode(key), decode(value) from parquet_kv_metadata(?)",
        [str(_published(built_warehouse) / "published_outcomes.parquet")]).fetchall())
    assert kv["research_key_mode"] == "demo"
    con = duckdb.connect(str(_published(built_warehouse) / "published.duckdb"), read_only=True)
    assert con.execute("select research_key_mode from published_metadata").fetchone()[0] == "demo"


def test_measure_names_and_groups_are_the_research_designs(built_warehouse):
    con = duckdb.connect(str(built_warehouse / DATABASE_FILE), read_only=True)
    measures = {r[0] for r in con.execute("select distinct measure from marts.published_outcomes").fetchall()}
    assert measures <= set(MEASURES) and len(measures) >= 18
    groups = {r[0] for r in con.execute("select distinct comparison_group from marts.published_outcomes").fetchall()}
    assert groups == set(GROUPS)
    defs = dict(con.execute("select measure, unit from marts.measure_definitions").fetchall())
    assert defs == MEASURES


def test_withheld_cells_show_no_number_and_no_small_count(built_warehouse):
    con = duckdb.connect(str(built_warehouse / DATABASE_FILE), read_only=True)
    counts = dict(con.execute(
        "select suppression_reason is null, count(*) from marts.published_outcomes group by 1").fetchall())
    assert counts.get(True, 0) > 0 and counts.get(False, 0) > 0, "expected both shown and withheld cells"
    leaked = con.execute("""
        select count(*) from marts.published_outcomes where suppression_reason is not null
        and coalesce(numerator, denominator, rate, ci_low, ci_high, gap_pp_vs_not_involved) is not null
    """).fetchone()[0]
    small = con.execute("""
        select count(*) from marts.published_outcomes
        where numerator between 0.5 and 9.5 or denominator between 0.5 and 9.5
    """).fetchone()[0]
    assert leaked == 0 and small == 0


# --- the data tests fail when a rule is broken -------------------------------------------------


def test_identifier_scan_finds_planted_identifiers(built_warehouse, tmp_path):
    db = _copy_warehouse(built_warehouse, tmp_path)
    sql = _compiled_test(built_warehouse, "marts_identifier_scan")
    con = duckdb.connect(str(db))
    assert con.execute(sql).fetchall() == [], "the built warehouse itself must pass the scan"
    raw_name = con.execute(
        "select upper(last_name) from raw.ped_student_snapshot where length(last_name) > 5 "
        "and upper(last_name) not in (select upper(county_name) from reference.nm_counties) limit 1").fetchone()[0]
    con.execute("update marts.measure_definitions set description = '123-45-6789' where reporting_order = 1")
    con.execute("update marts.measure_definitions set description = 'C12345678' where reporting_order = 2")
    con.execute("update marts.measure_definitions set description = '2011-04-05' where reporting_order = 3")
    con.execute("update deidentified.deid_student_years set race_ethnicity = ? "
                "where research_id = (select min(research_id) from deidentified.deid_student_years)", [raw_name])
    # Record ids of any format are found by value: a PS report id and an AOC case number of the drop.
    report_id = con.execute("select min(report_id) from raw.cyfd_ps_report").fetchone()[0]
    con.execute("update marts.measure_definitions set unit = ? where reporting_order = 4", [report_id])
    findings = {(r[0].split(".")[-1], r[1], r[2]) for r in con.execute(sql).fetchall()}
    assert ("measure_definitions", "unit", "agency record id from the raw extracts") in findings
    assert ("measure_definitions", "description", "ssn-shaped or 9-digit id") in findings
    assert ("measure_definitions", "description", "agency id") in findings
    assert ("measure_definitions", "description", "full date") in findings
    assert ("deid_student_years", "race_ethnicity", "name from the raw extracts") in findings
    # Values are counted, never echoed.
    assert all(raw_name not in str(r) for r in con.execute(sql).fetchall())


def test_disclosure_data_tests_fail_on_a_leaky_mart(built_warehouse, tmp_path):
    db = _copy_warehouse(built_warehouse, tmp_path)
    con = duckdb.connect(str(db))
    tests = {name: _compiled_test(built_warehouse, name) for name in (
        "marts_complementary_suppression", "marts_no_small_counts", "marts_no_back_calculation",
        "marts_suppressed_cells_show_no_number")}
    for name, sql in tests.items():
        assert con.execute(sql).fetchall() == [], f"{name} must pass on the built warehouse"
    # Undo complementary suppression: show every complementary cell with its true numbers.
    n_complementary = con.execute("""
        update marts.published_outcomes as p
        set numerator = d.numerator, denominator = d.denominator, rate = d.rate,
            suppression_reason = null, display_value = 'x'
        from marts.int_outcome_cells_disclosed as d
        where p.suppression_reason = 'complementary' and d.suppression_reason = 'complementary'
            and p.school_year = d.school_year and p.comparison_group = d.comparison_group
            and p.measure = d.measure and p.breakdown = d.breakdown and p.breakdown_value = d.breakdown_value
    """).fetchone()[0]
    assert n_complementary > 0
    assert con.execute(tests["marts_complementary_suppression"]).fetchall() != []
    # Show one primary-suppressed cell's numbers: a small count and a number in a withheld cell.
    con.execute("""
        update marts.published_outcomes as p
        set numerator = d.numerator, denominator = d.denominator, rate = d.rate
        from marts.int_outcome_cells_disclosed as d
        where p.suppression_reason = 'primary' and d.numerator between 1 and 9 and d.denominator >= 10
            and p.school_year = d.school_year and p.comparison_group = d.comparison_group
            and p.measure = d.measure and p.breakdown = d.breakdown and p.breakdown_value = d.breakdown_value
    """)
    assert con.execute(tests["marts_no_small_counts"]).fetchall() != []
    assert con.execute(tests["marts_suppressed_cells_show_no_number"]).fetchall() != []
    con.close()
    with pytest.raises(PublishError, match="refusing to publish"):
        publish(db, tmp_path / "published", log=lambda _m: None)
    assert not (tmp_path / "published" / "published.duckdb").exists()
    con = duckdb.connect(str(db))
    # A rate and denominator that imply a numerator of 1-9 with the numerator withheld.
    con.execute("""
        update marts.published_outcomes set numerator = null, suppression_reason = null
        where numerator between 1 and 9
    """)
    assert con.execute(tests["marts_no_back_calculation"]).fetchall() != []
    con.close()


# --- research ids --------------------------------------------------------------------------------


def _dbt(args: list[str], warehouse: Path, key: str | None) -> subprocess.CompletedProcess[str]:
    from datashare.pipeline import BIN_DIR, dbt_env

    env = dbt_env(warehouse)
    env.pop(KEY_ENV, None)
    if key is not None:
        env[KEY_ENV] = key
    return subprocess.run([str(BIN_DIR / "dbt"), *args, "--project-dir", str(PROJECT_DIR), "--target", "test"],
                          cwd=PROJECT_DIR, env=env, text=True, capture_output=True)


def test_research_ids_are_hmac_and_unrelated_under_another_key(built_warehouse, tmp_path):
    con = duckdb.connect(str(built_warehouse / DATABASE_FILE), read_only=True)
    # Linked person keys, plus the unlinked key of a PED id the matched layer does not list (macro ped_person_key).
    keys = [r[0] for r in con.execute("""
        select distinct person_key from matched.person_xref
        union select 'UNLINKED-PED-' || student_id from raw.ped_enrollment
        union select 'UNLINKED-PED-' || student_id from raw.ped_graduation_cohort
    """).fetchall()]
    spine_ids = {r[0] for r in con.execute("select research_id from deidentified.deid_student_years").fetchall()}
    con.close()
    demo = {hmac.new(DEMO_RESEARCH_KEY.encode(), k.encode(), hashlib.sha256).hexdigest() for k in keys}
    assert spine_ids and spine_ids <= demo

    # Rebuild the spine under another key: same rows, no id in common. Without a key: a clear failure.
    warehouse = tmp_path / "wh"
    warehouse.mkdir()
    shutil.copyfile(built_warehouse / DATABASE_FILE, warehouse / DATABASE_FILE)
    other_key = "another-secret-key-for-this-test"
    proc = _dbt(["run", "--select", "deid_student_years", "--quiet"], warehouse, other_key)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    con = duckdb.connect(str(warehouse / DATABASE_FILE), read_only=True)
    other_ids = {r[0] for r in con.execute("select research_id from deidentified.deid_student_years").fetchall()}
    con.close()
    assert len(other_ids) == len(spine_ids) and not other_ids & spine_ids
    proc = _dbt(["run", "--select", "deid_student_years", "--quiet"], warehouse, None)
    assert proc.returncode != 0 and f"{KEY_ENV} is not set" in proc.stdout + proc.stderr


# --- validity against ground truth ----------------------------------------------------------------

TRUTH_SQL = r"""
create temp macro sy(d) as year(d) + case when month(d) >= 7 then 1 else 0 end;
create temp macro grade_num(g) as case g when 'PK' then -1 when 'KF' then 0 else try_cast(g as integer) end;
create temp table xref as select true_id, upper(system) as system, system_id from read_csv('{truth}/person_xref.csv', all_varchar = true);
create temp table snap as
    select x.true_id, cast(s.school_year as integer) as yr, upper(s.snapshot) as snapshot, s.student_id,
        grade_num(upper(s.grade_level)) as g, upper(s.special_ed) = 'Y' as sped, upper(s.gifted) = 'Y' as gifted,
        upper(s.english_learner) = 'Y' as el, upper(s.section_504) = 'Y' as s504
    from read_csv('{drop}/ped_student_snapshot.csv', all_varchar = true) s
    join xref x on x.system = 'PED' and x.system_id = s.student_id;
create temp table enr as
    select x.true_id, cast(e.school_year as integer) as yr, e.school_code, upper(e.exit_code) as exit_code
    from read_csv('{drop}/ped_enrollment.csv', all_varchar = true) e
    join xref x on x.system = 'PED' and x.system_id = e.student_id;
create temp table sy_pop as select distinct true_id, yr from snap union select distinct true_id, yr from enr;
create temp table years as select distinct yr from sy_pop
    union select distinct cast(cohort_year as integer) - k from read_csv('{drop}/ped_graduation_cohort.csv', all_varchar = true), range(4) t(k);
create temp table inv as
    select x.true_id, sy(cast(r.report_date as date)) as yr, 'PS' as kind from read_csv('{drop}/cyfd_ps_report.csv', all_varchar = true) r join xref x on x.system = 'CYFD' and x.system_id = r.person_id
    union all
    select x.true_id, y.yr, 'CUSTODY' from read_csv('{drop}/cyfd_ps_placement.csv', all_varchar = true) p join xref x on x.system = 'CYFD' and x.system_id = p.person_id
        join years y on cast(p.start_date as date) <= make_date(y.yr, 6, 30) and (p.end_date is null or cast(p.end_date as date) >= make_date(y.yr - 1, 7, 1))
    union all
    select x.true_id, sy(cast(r.referral_date as date)), 'JJ' from read_csv('{drop}/cyfd_jjs_referral.csv', all_varchar = true) r join xref x on x.system = 'CYFD' and x.system_id = r.person_id
    union all
    select x.true_id, y.yr, 'JJ' from read_csv('{drop}/cyfd_jjs_supervision.csv', all_varchar = true) s join xref x on x.system = 'CYFD' and x.system_id = s.person_id
        join years y on cast(s.start_date as date) <= make_date(y.yr, 6, 30) and (s.end_date is null or cast(s.end_date as date) >= make_date(y.yr - 1, 7, 1))
    union all
    select x.true_id, y.yr, 'COURT' from read_csv('{drop}/aoc_case.csv', all_varchar = true) c join xref x on x.system = 'AOC' and x.system_id = c.party_id
        join years y on cast(c.filing_date as date) <= make_date(y.yr, 6, 30) and (c.closed_date is null or cast(c.closed_date as date) >= make_date(y.yr - 1, 7, 1))
        where upper(c.case_type) in ('ABUSE_NEGLECT', 'DELINQUENCY');
create temp table flags as
    select true_id, yr, bool_or(kind in ('PS', 'CUSTODY')) as ps, bool_or(kind = 'CUSTODY') as custody,
        bool_or(kind = 'JJ') as jj, bool_or(kind = 'COURT') as court
    from inv group by all;
create temp table grade as
    select true_id, yr, arg_max(g, (case snapshot when 'EOY' then 4 when '120D' then 3 when '80D' then 2 else 1 end) * 100 + g) as g
    from snap group by all;
create temp table att as
    select x.true_id, cast(a.school_year as integer) as yr, sum(cast(a.days_enrolled as decimal(18, 2))) as en,
        sum(cast(a.days_present as decimal(18, 2))) as pr,
        sum(cast(a.days_excused as decimal(18, 2)) + cast(a.days_unexcused as decimal(18, 2))) as ab,
        sum(cast(a.days_unexcused as decimal(18, 2))) as unex
    from read_csv('{drop}/ped_attendance.csv', all_varchar = true) a join xref x on x.system = 'PED' and x.system_id = a.student_id
    group by all;
create temp table dis as
    select x.true_id, cast(d.school_year as integer) as yr, count(distinct d.incident_id) as n,
        bool_or(upper(d.response) = 'OUT_OF_SCHOOL_SUSPENSION') as oss, bool_or(upper(d.response) = 'EXPULSION') as exp
    from read_csv('{drop}/ped_discipline.csv', all_varchar = true) d join xref x on x.system = 'PED' and x.system_id = d.student_id
    group by all;
create temp table tst as
    select x.true_id, cast(t.school_year as integer) as yr, upper(t.subject) as subject,
        max(cast(t.performance_level as integer)) as lvl
    from read_csv('{drop}/ped_assessment.csv', all_varchar = true) t join xref x on x.system = 'PED' and x.system_id = t.student_id
    where t.performance_level is not null and (
        (upper(t.subject) in ('ELA', 'MATH') and upper(t.test) in ('NM_MSSA', 'SAT'))
        or (upper(t.subject) = 'SCIENCE' and upper(t.test) = 'NM_ASR'))
    group by all;
create temp table person_year as
    select p.true_id, p.yr,
        coalesce(f.ps, false) as ps, coalesce(f.custody, false) as custody, coalesce(f.jj, false) as jj,
        coalesce(f.court, false) as court,
        (select bool_or(sped) from snap s where s.true_id = p.true_id and s.yr = p.yr) as sped,
        (select bool_or(gifted) from snap s where s.true_id = p.true_id and s.yr = p.yr) as gifted,
        (select bool_or(el) from snap s where s.true_id = p.true_id and s.yr = p.yr) as el,
        (select bool_or(s504) from snap s where s.true_id = p.true_id and s.yr = p.yr) as s504,
        (select count(distinct school_code) from enr e where e.true_id = p.true_id and e.yr = p.yr) as schools,
        (select bool_or(exit_code = 'DROPOUT') from enr e where e.true_id = p.true_id and e.yr = p.yr) as dropout,
        g.g, gn.g as next_g, att.en, att.pr, att.ab, att.unex, dis.n as incidents, dis.oss, dis.exp,
        ela.lvl as ela, math.lvl as math, sci.lvl as sci
    from sy_pop p
    left join flags f using (true_id, yr)
    left join grade g using (true_id, yr)
    left join grade gn on gn.true_id = p.true_id and gn.yr = p.yr + 1
    left join att using (true_id, yr)
    left join dis using (true_id, yr)
    left join tst ela on ela.true_id = p.true_id and ela.yr = p.yr and ela.subject = 'ELA'
    left join tst math on math.true_id = p.true_id and math.yr = p.yr and math.subject = 'MATH'
    left join tst sci on sci.true_id = p.true_id and sci.yr = p.yr and sci.subject = 'SCIENCE';
create temp table cohort as
    select x.true_id, cast(c.cohort_year as integer) as yr,
        arg_max({{'o': upper(c.outcome), 'y': cast(c.years_to_outcome as integer)}},
            case upper(c.outcome) when 'GRADUATED' then 6 when 'OTHER_COMPLETER' then 5 when 'STILL_ENROLLED' then 4
                when 'DROPPED_OUT' then 3 when 'TRANSFERRED_OUT' then 2 else 1 end * 100 - coalesce(cast(c.years_to_outcome as integer), 99)) as res
    from read_csv('{drop}/ped_graduation_cohort.csv', all_varchar = true) c join xref x on x.system = 'PED' and x.system_id = c.student_id
    group by all;
create temp table cohort_flags as
    select c.true_id, c.yr, c.res,
        coalesce(bool_or(f.ps), false) as ps, coalesce(bool_or(f.custody), false) as custody,
        coalesce(bool_or(f.jj), false) as jj, coalesce(bool_or(f.court), false) as court
    from cohort c left join flags f on f.true_id = c.true_id and f.yr between c.yr - 3 and c.yr
    group by all;
"""

# measure -> (numerator, denominator) SQL over person_year (or cohort_flags for graduation)
TRUTH_MEASURES = {
    "special_ed_rate": ("coalesce(sped, false)::int", "1"),
    "gifted_rate": ("coalesce(gifted, false)::int", "1"),
    "english_learner_rate": ("coalesce(el, false)::int", "1"),
    "section_504_rate": ("coalesce(s504, false)::int", "1"),
    "mobility_rate": ("(schools >= 2)::int", "1"),
    "schools_attended_mean": ("schools", "1"),
    "retention_rate": ("(next_g <= g)::int",
                       "(g between 0 and 11 and next_g is not null and yr < (select max(yr) from sy_pop))::int"),
    "dropout_rate": ("coalesce(dropout, false)::int", "coalesce(g between 7 and 12, false)::int"),
    "attendance_rate": ("coalesce(pr, 0)", "coalesce(en, 0)"),
    "chronic_absence_rate": ("coalesce(ab >= 0.10 * en, false)::int", "coalesce(en >= 10, false)::int"),
    "excessive_absence_rate": ("coalesce(ab >= 0.20 * en, false)::int", "coalesce(en >= 10, false)::int"),
    "habitual_truancy_rate": ("coalesce(unex >= 10, false)::int", "1"),
    "infraction_rate": ("(coalesce(incidents, 0) > 0)::int", "1"),
    "out_of_school_suspension_rate": ("coalesce(oss, false)::int", "1"),
    "expulsion_rate": ("coalesce(exp, false)::int", "1"),
    "incidents_per_100": ("100 * coalesce(incidents, 0)", "1"),
    "proficiency_rate_ela": ("coalesce(ela >= 3, false)::int", "(ela is not null)::int"),
    "proficiency_rate_math": ("coalesce(math >= 3, false)::int", "(math is not null)::int"),
    "proficiency_rate_science": ("coalesce(sci >= 3, false)::int", "(sci is not null)::int"),
}
TRUTH_GROUPS = {
    "STATEWIDE": "true", "PS": "ps", "PS_CUSTODY": "custody", "JJ": "jj", "DUAL": "ps and jj",
    "NOT_INVOLVED": "not (ps or jj)", "COURT_INVOLVED": "court",
}


def truth_rates(generated: Path) -> dict[tuple[int, str, str], tuple[float, float]]:
    """(year, group, measure) -> (numerator, denominator) at total level, from the generator's true identities."""
    con = duckdb.connect()
    for statement in TRUTH_SQL.format(truth=generated / "truth", drop=generated / "drop").split(";"):
        if statement.strip():
            con.execute(statement)
    out: dict[tuple[int, str, str], tuple[float, float]] = {}
    for group, condition in TRUTH_GROUPS.items():
        for measure, (num, den) in TRUTH_MEASURES.items():
            for yr, n, d in con.execute(
                    f"select yr, sum(case when ({den}) > 0 then {num} else 0 end), sum({den}) "
                    f"from person_year where {condition} group by yr").fetchall():
                out[(yr, group, measure)] = (float(n or 0), float(d or 0))
        for yr, n, d in con.execute(
                f"select yr, sum((res.o = 'GRADUATED' and res.y = 4)::int), "
                f"sum((res.o not in ('TRANSFERRED_OUT', 'DECEASED'))::int) from cohort_flags "
                f"where {condition} group by yr").fetchall():
            out[(yr, group, "graduation_rate_4yr")] = (float(n or 0), float(d or 0))
    return out


@pytest.fixture(scope="module")
def truth(small_generated) -> dict[tuple[int, str, str], tuple[float, float]]:
    return truth_rates(small_generated)


def test_published_rates_agree_with_ground_truth(built_warehouse, truth):
    con = duckdb.connect(str(built_warehouse / DATABASE_FILE), read_only=True)
    published = _rows(con, """
        select school_year, comparison_group, measure, rate, denominator from marts.published_outcomes
        where breakdown = 'total' and rate is not null and denominator >= 100
    """)
    assert len(published) >= 20, "too few comparable published cells"
    checked, misses = 0, []
    for row in published:
        key = (row["school_year"], row["comparison_group"], row["measure"])
        assert key in truth, f"no ground-truth figure for {key}"
        num, den = truth[key]
        unit = MEASURES[row["measure"]]
        true_rate = num / den if den else float("nan")
        # Percentage points for proportions; the measure's own unit (per 100 already) otherwise.
        diff = abs(row["rate"] - true_rate) * (100 if unit == "proportion" else 1)
        tolerance = 0.05 if unit == "mean" else 0.5
        checked += 1
        if not diff <= tolerance:
            misses.append(f"{key}: published {row['rate']:.4f} (n={row['denominator']:.0f}), "
                          f"truth {true_rate:.4f} (n={den:.0f})")
    assert not misses, f"{len(misses)} of {checked} published rates off the truth:\n" + "\n".join(misses)
    measures_checked = {r["measure"] for r in published}
    assert {"chronic_absence_rate", "special_ed_rate", "mobility_rate", "attendance_rate"} <= measures_checked


@pytest.mark.parametrize("measure, direction", [
    ("chronic_absence_rate", "higher"),
    ("mobility_rate", "higher"),
    ("special_ed_rate", "higher"),
    ("out_of_school_suspension_rate", "higher"),
    ("proficiency_rate_ela", "lower"),
    ("proficiency_rate_math", "lower"),
    ("graduation_rate_4yr", "lower"),
])
def test_calibration_directions_hold(truth, built_warehouse, measure, direction):
    """PS (and JJ) vs NOT_INVOLVED, pooled over the years in the ground truth, and in every shown published pair."""
    for group in ("PS", "JJ"):
        g = [truth[k] for k in truth if k[1] == group and k[2] == measure]
        ni = [truth[k] for k in truth if k[1] == "NOT_INVOLVED" and k[2] == measure]
        g_rate = sum(n for n, _ in g) / max(sum(d for _, d in g), 1)
        ni_rate = sum(n for n, _ in ni) / max(sum(d for _, d in ni), 1)
        if sum(d for _, d in g) < 30:
            continue
        assert (g_rate > ni_rate) if direction == "higher" else (g_rate < ni_rate), (
            f"{measure}: {group} {g_rate:.3f} vs NOT_INVOLVED {ni_rate:.3f} (expected {direction})")
    con = duckdb.connect(str(built_warehouse / DATABASE_FILE), read_only=True)
    pairs = con.execute("""
        select g.rate, n.rate from marts.published_outcomes g join marts.published_outcomes n
            using (school_year, measure, breakdown, breakdown_value)
        where g.comparison_group = 'PS' and n.comparison_group = 'NOT_INVOLVED' and g.measure = ?
            and g.breakdown = 'total' and g.rate is not null and n.rate is not null
    """, [measure]).fetchall()
    for g_rate, ni_rate in pairs:
        assert (g_rate > ni_rate) if direction == "higher" else (g_rate < ni_rate)


# --- summary ------------------------------------------------------------------------------------


def test_summary_prints_the_latest_year_by_group(built_warehouse):
    text = summarize(_published(built_warehouse))
    con = duckdb.connect(str(built_warehouse / DATABASE_FILE), read_only=True)
    latest = con.execute("select max(school_year) from marts.published_outcomes").fetchone()[0]
    assert f"{latest - 1}-{str(latest)[-2:]}" in text
    for label in ("Chronic absence", "Changed schools", "Special education", "ELA proficient",
                  "4-year graduation", "Out-of-school suspension"):
        assert label in text
    header = next(line for line in text.splitlines() if "STATEWIDE" in line)
    assert all(g in header for g in GROUPS)
    assert "DEMO BUILD" in text
    statewide = con.execute("""
        select display_value from marts.published_outcomes where school_year = ? and comparison_group = 'STATEWIDE'
            and measure = 'chronic_absence_rate' and breakdown = 'total'
    """, [latest]).fetchone()[0]
    assert statewide in next(line for line in text.splitlines() if line.startswith("Chronic absence"))


def test_publish_without_a_built_warehouse_fails_clearly(tmp_path):
    with pytest.raises(PublishError, match="does not exist"):
        publish(tmp_path / "missing.duckdb", tmp_path / "out", log=lambda _m: None)
    assert os.environ.get(KEY_ENV) == DEMO_RESEARCH_KEY
