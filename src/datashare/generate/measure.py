"""Measure a generated drop against the calibration targets, using the truth files.

Persons are the true persons of truth/person_xref.csv (perfect linkage), and
every measure follows the definitions of research-design.md. Used by the tests
(calibration within TOLERANCE) and `python -m datashare.generate.measure DIR`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

GROUPS = ("STATEWIDE", "PS", "PS_CUSTODY", "JJ", "DUAL", "NOT_INVOLVED")


def _views(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    drop, truth = folder / "drop", folder / "truth"

    def csv(name: str, where: Path = drop) -> str:
        return f"read_csv('{(where / name).as_posix()}', header = true, all_varchar = true)"

    con.execute("set enable_progress_bar = false")
    con.execute(f"create table xref as select * from {csv('person_xref.csv', truth)}")
    for name in ("ped_student_snapshot", "ped_enrollment", "ped_attendance", "ped_discipline", "ped_assessment",
                 "ped_graduation_cohort", "cyfd_ps_report", "cyfd_ps_placement", "cyfd_jjs_referral",
                 "cyfd_jjs_supervision"):
        con.execute(f"create table {name} as select * from {csv(name + '.csv')}")
    # involvement years reach back three years before the first loaded school year (graduation cohorts)
    con.execute("""
        create table loaded_years as
        select distinct cast(school_year as integer) as school_year from ped_student_snapshot;
        create table years as
        select cast(range as integer) as school_year
        from range((select min(school_year) - 3 from loaded_years), (select max(school_year) + 1 from loaded_years));
        create table ped as
        select x.true_id, s.* from ped_student_snapshot s join xref x on x.system = 'PED' and x.system_id = s.student_id;
        create table student_years as
        select true_id, cast(school_year as integer) as school_year,
            max(special_ed = 'Y') as special_ed,
            max(grade_level) filter (where snapshot = 'EOY') as eoy_grade,
            max(grade_level) as any_grade
        from ped group by all;
        create table enr as
        select x.true_id, cast(e.school_year as integer) as school_year, e.school_code, e.exit_code
        from ped_enrollment e join xref x on x.system = 'PED' and x.system_id = e.student_id;
        create table sy_all as
        select true_id, school_year from student_years union select true_id, school_year from enr;
        create table cyfd_x as select true_id, system_id as person_id from xref where system = 'CYFD';
        create table ps_years as
        select distinct c.true_id, y.school_year from cyfd_ps_report r join cyfd_x c using (person_id), years y
        where cast(r.report_date as date) between make_date(y.school_year - 1, 7, 1) and make_date(y.school_year, 6, 30)
        union
        select distinct c.true_id, y.school_year from cyfd_ps_placement p join cyfd_x c using (person_id), years y
        where cast(p.start_date as date) <= make_date(y.school_year, 6, 30)
          and (p.end_date is null or cast(p.end_date as date) >= make_date(y.school_year - 1, 7, 1));
        create table custody_years as
        select distinct c.true_id, y.school_year from cyfd_ps_placement p join cyfd_x c using (person_id), years y
        where cast(p.start_date as date) <= make_date(y.school_year, 6, 30)
          and (p.end_date is null or cast(p.end_date as date) >= make_date(y.school_year - 1, 7, 1));
        create table jj_years as
        select distinct c.true_id, y.school_year from cyfd_jjs_referral r join cyfd_x c using (person_id), years y
        where cast(r.referral_date as date) between make_date(y.school_year - 1, 7, 1) and make_date(y.school_year, 6, 30)
        union
        select distinct c.true_id, y.school_year from cyfd_jjs_supervision s join cyfd_x c using (person_id), years y
        where cast(s.start_date as date) <= make_date(y.school_year, 6, 30)
          and (s.end_date is null or cast(s.end_date as date) >= make_date(y.school_year - 1, 7, 1));
        create table groups as
        select a.true_id, a.school_year,
            p.true_id is not null as ps, c.true_id is not null as custody, j.true_id is not null as jj
        from sy_all a
        left join ps_years p using (true_id, school_year)
        left join custody_years c using (true_id, school_year)
        left join jj_years j using (true_id, school_year);
    """)


def _group_expand(select_sql: str) -> str:
    """Rows of (group, school_year, num, den) from a per-student-year query with ps/custody/jj flags."""
    conds = {
        "STATEWIDE": "true", "PS": "ps", "PS_CUSTODY": "custody", "JJ": "jj", "DUAL": "ps and jj",
        "NOT_INVOLVED": "not ps and not jj",
    }
    parts = [f"select '{g}' as grp, school_year, sum(num) as num, sum(den) as den from ({select_sql}) where {c} group by all"
             for g, c in conds.items()]
    return " union all ".join(parts)


def measures(folder: Path) -> dict[tuple[str, str], tuple[float, int]]:
    """{(measure, group): (rate pooled over the school years, denominator)}."""
    con = duckdb.connect()
    con.execute("set threads = 2")
    _views(con, Path(folder))
    q = {
        "special_ed_rate": """
            select g.*, coalesce(s.special_ed, false)::int as num, 1 as den
            from groups g left join student_years s using (true_id, school_year)""",
        "mobility_rate": """
            select g.*, (count(distinct e.school_code) >= 2)::int as num, 1 as den
            from groups g join enr e using (true_id, school_year) group by all""",
        "chronic_absence_rate": """
            select g.*, (sum(a.exc + a.unx) >= 0.1 * sum(a.enr))::int as num, 1 as den
            from groups g join (
                select x.true_id, cast(school_year as integer) as school_year,
                    cast(days_enrolled as double) as enr, cast(days_excused as double) as exc,
                    cast(days_unexcused as double) as unx
                from ped_attendance t join xref x on x.system = 'PED' and x.system_id = t.student_id
            ) a using (true_id, school_year)
            group by all having sum(a.enr) >= 10""",
        "out_of_school_suspension_rate": """
            select g.*, (d.true_id is not null)::int as num, 1 as den
            from groups g left join (
                select distinct x.true_id, cast(school_year as integer) as school_year
                from ped_discipline t join xref x on x.system = 'PED' and x.system_id = t.student_id
                where response = 'OUT_OF_SCHOOL_SUSPENSION'
            ) d using (true_id, school_year)""",
    }
    for measure, subj, tests in (("proficiency_rate_ela", "ELA", "('NM_MSSA', 'SAT')"),
                                 ("proficiency_rate_math", "MATH", "('NM_MSSA', 'SAT')"),
                                 ("proficiency_rate_science", "SCIENCE", "('NM_ASR')")):
        q[measure] = f"""
            select g.*, max(cast(t.performance_level as integer) >= 3)::int as num, 1 as den
            from groups g join (
                select x.true_id, cast(school_year as integer) as school_year, performance_level
                from ped_assessment a join xref x on x.system = 'PED' and x.system_id = a.student_id
                where subject = '{subj}' and test in {tests}
            ) t using (true_id, school_year) group by all"""
    q["dropout_rate"] = """
        select g.*, max(e.exit_code = 'DROPOUT')::int as num, 1 as den
        from groups g join enr e using (true_id, school_year)
        join student_years s using (true_id, school_year)
        where s.any_grade between '07' and '12' group by all"""
    out: dict[tuple[str, str], tuple[float, int]] = {}
    for measure, sql in q.items():
        for grp, _, num, den in con.execute(f"select grp, 0, sum(num), sum(den) from ({_group_expand(sql)}) group by grp").fetchall():
            out[(measure, grp)] = (num / den if den else float("nan"), int(den))
    # graduation: cohort members less transfers out and deaths; group = involvement in the cohort's four years
    grad = """
        with members as (
            select x.true_id, cast(c.cohort_year as integer) as cohort_year, c.outcome, cast(c.years_to_outcome as integer) as yto
            from ped_graduation_cohort c join xref x on x.system = 'PED' and x.system_id = c.student_id
            where c.outcome not in ('TRANSFERRED_OUT', 'DECEASED')
        ),
        inv as (
            select m.true_id, m.cohort_year,
                bool_or(p.true_id is not null) as ps, bool_or(cu.true_id is not null) as custody,
                bool_or(j.true_id is not null) as jj
            from members m
            cross join range(0, 4) r(k)
            left join ps_years p on p.true_id = m.true_id and p.school_year = m.cohort_year - r.k
            left join custody_years cu on cu.true_id = m.true_id and cu.school_year = m.cohort_year - r.k
            left join jj_years j on j.true_id = m.true_id and j.school_year = m.cohort_year - r.k
            group by all
        )
        select m.cohort_year as school_year, i.ps, i.custody, i.jj,
            (m.outcome = 'GRADUATED' and m.yto = 4)::int as num, 1 as den
        from members m join inv i using (true_id, cohort_year)"""
    for grp, _, num, den in con.execute(f"select grp, 0, sum(num), sum(den) from ({_group_expand(grad)}) group by grp").fetchall():
        out[("graduation_rate_4yr", grp)] = (num / den if den else float("nan"), int(den))
    return out


def volumes(folder: Path) -> dict[str, float]:
    """Yearly CYFD volumes of the drop (averaged over its school years) and mean enrollment."""
    con = duckdb.connect()
    _views(con, Path(folder))
    (y0, y1) = con.execute("select min(school_year), max(school_year) from loaded_years").fetchone()
    n = y1 - y0 + 1
    win = f"between make_date({y0} - 1, 7, 1) and make_date({y1}, 6, 30)"
    v = {
        "students_per_year": con.execute("select count(*) from sy_all").fetchone()[0] / n,
        "substantiated_reports_per_year": con.execute(
            f"select count(*) from cyfd_ps_report where finding = 'SUBSTANTIATED' and cast(report_date as date) {win}"
        ).fetchone()[0] / n,
        "reports_per_year": con.execute(
            f"select count(*) from cyfd_ps_report where cast(report_date as date) {win}").fetchone()[0] / n,
        "jjs_referrals_per_year": con.execute(
            f"select count(*) from cyfd_jjs_referral where cast(referral_date as date) {win}").fetchone()[0] / n,
    }
    # children in custody on 1 January of each year, averaged
    v["in_custody_at_a_time"] = con.execute(f"""
        select avg(n) from (
            select y, count(distinct person_id) as n from cyfd_ps_placement, range({y0}, {y1} + 1) r(y)
            where cast(start_date as date) <= make_date(y, 1, 1)
              and (end_date is null or cast(end_date as date) >= make_date(y, 1, 1))
            group by y)""").fetchone()[0] or 0.0
    return v


def main(argv: list[str] | None = None) -> int:
    from datashare.generate.calibration import TARGETS

    folder = Path((argv or sys.argv[1:])[0])
    m = measures(folder)
    print(f"{'measure':<32}{'group':<14}{'rate':>8}{'target':>8}{'den':>10}")
    for (measure, grp), (rate, den) in sorted(m.items()):
        tgt = TARGETS.get(measure)
        t = {"STATEWIDE": 0, "PS": 1, "JJ": 2}.get(grp)
        ts = f"{tgt[t]:.3f}" if tgt and t is not None else ""
        print(f"{measure:<32}{grp:<14}{rate:>8.3f}{ts:>8}{den:>10,}")
    for k, val in volumes(folder).items():
        print(f"{k:<40}{val:>12,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
