"""Case-level access: the decision matrix, hostile inputs, the audit chain and tamper detection.

Everything runs on real DuckDB files. The matrix warehouse is a copy of the
session's built warehouse (the small generated drop, fully built) into which a
second drop of crafted caseload, release and placement rows is loaded with the
real loader and rebuilt with dbt; every case then goes through `lookup()`.
"""

from __future__ import annotations

import csv
import itertools
import json
import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import duckdb
import pytest

from datashare.access import audit
from datashare.access.audit import AUDIT_TABLE, verify_chain
from datashare.access.lookup import dumps, format_text, lookup
from datashare.access.policy import (
    PURPOSE_MAX_CHARS,
    Assignment,
    Facts,
    Release,
    Request,
    decide,
    eighteenth_birthday,
    release_status,
)
from datashare.cli import main as cli_main
from datashare.contract import load_contract
from datashare.paths import DATABASE_FILE

ROLES = ("PS_CASEWORKER", "SUPERVISOR", "JUVENILE_PROBATION_OFFICER")
ASSIGNMENTS = ("active", "ended", "future", "absent")
CUSTODY = ("custody", "no_custody")
RELEASES = ("valid", "expired", "revoked", "missing", "attendance_only", "parent_after_18")
FEEDS = ("fresh", "stale")
PURPOSE = "case review"

# Fields each scope must (and must not) disclose, named independently of the lookup module.
FULL_MUST_INCLUDE = {
    "link.link_probability", "link.link_band", "link.is_low_confidence_link", "link.ped_loaded_at",
    "enrollment.current_district_code", "enrollment.current_school_code", "enrollment.current_grade_level",
    "enrollment.enrollment_history[].entry_date", "attendance.days_enrolled", "attendance.days_present",
    "attendance.days_excused", "attendance.days_unexcused", "attendance.chronic_absence_status",
    "discipline.incidents[].infraction", "discipline.incidents[].response", "programs.special_ed",
    "programs.section_504", "programs.english_learner", "programs.gifted",
    "assessments.latest_results[].performance_level", "graduation.cohort_outcome",
}
ATTENDANCE_MUST_INCLUDE = {
    "link.link_probability", "link.link_band", "attendance.days_enrolled", "attendance.days_present",
    "attendance.days_excused", "attendance.days_unexcused", "attendance.chronic_absence_status",
}


def _copy_database(src_warehouse: Path, dst_warehouse: Path) -> Path:
    dst_warehouse.mkdir(parents=True, exist_ok=True)
    for name in (DATABASE_FILE, DATABASE_FILE + ".wal", audit.HEAD_FILE):
        if (src_warehouse / name).exists():
            shutil.copy2(src_warehouse / name, dst_warehouse / name)
    return dst_warehouse / DATABASE_FILE


def _audit_rows(database: Path) -> int:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return len(audit.read_log(con))
    finally:
        con.close()


def _write_csv(path: Path, table: str, rows: list[dict]) -> None:
    columns = load_contract().table(table).column_names
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        for row in rows:
            w.writerow({c: ("" if row.get(c) is None else str(row[c])) for c in columns})


# --------------------------------------------------------------------------------------------
# The matrix warehouse


class Matrix:
    """The crafted world: which staff id and child id realize each cell of the matrix."""

    def __init__(self, database: Path, fresh_day: date, stale_day: date, children: dict, staff: dict,
                 decoy: str, minor_child: str | None):
        self.database = database
        self.fresh_day = fresh_day
        self.stale_day = stale_day
        self.children = children  # (custody, release) -> person_id
        self.staff = staff  # (role, assignment) -> staff_id
        self.decoy = decoy  # a linked child assigned (active) only to the `absent` staff
        self.minor_child = minor_child
        self.con: duckdb.DuckDBPyConnection | None = None  # shared read-write connection for the lookups

    def connect(self) -> duckdb.DuckDBPyConnection:
        if self.con is None:
            self.con = duckdb.connect(str(self.database))
            audit.ensure_audit_table(self.con)
        return self.con

    def close(self) -> None:
        """Close the shared connection (before the CLI or a copy opens the file)."""
        if self.con is not None:
            self.con.close()
            self.con = None


@pytest.fixture(scope="module")
def matrix(built_warehouse, tmp_path_factory) -> Iterator[Matrix]:
    from datashare.load import load_drop
    from datashare.pipeline import run_dbt

    warehouse = tmp_path_factory.mktemp("access_matrix")
    database = _copy_database(built_warehouse, warehouse)
    today = datetime.now(timezone.utc).date()  # the crafted drop is loaded today (UTC, like _loaded_at)

    con = duckdb.connect(str(database), read_only=True)
    try:
        linked = con.execute(
            """
            select records.person_id, persons.birth_date
            from access.access_school_records as records
            inner join staging.stg_cyfd__persons as persons on records.person_id = persons.person_id
            where persons.birth_date is not null
            order by records.person_id
            """
        ).fetchall()
        placement_cols = load_contract().table("cyfd_ps_placement").column_names
        placements = [dict(zip(placement_cols, r)) for r in con.execute(
            f"select {', '.join(placement_cols)} from raw.cyfd_ps_placement").fetchall()]
    finally:
        con.close()

    adult_cut = today.replace(year=today.year - 19)  # 18 well before the releases are signed
    adults = [p for p, b in linked if b <= adult_cut]
    minors = [p for p, b in linked if b > today.replace(year=today.year - 17)]
    assert len(adults) >= 2, f"the built warehouse has only {len(adults)} linked CYFD children aged 19+"
    others = [p for p, _ in linked if p not in adults[:2]]
    assert len(others) >= 11, f"the built warehouse has only {len(linked)} linked CYFD children"

    births = dict(linked)
    children: dict[tuple[str, str], str] = {}
    pool = iter(others)
    for custody, release in itertools.product(CUSTODY, RELEASES):
        if release == "parent_after_18":
            children[(custody, release)] = adults[0] if custody == "custody" else adults[1]
        else:
            children[(custody, release)] = next(pool)
    decoy = next(pool)
    minor_child = next((p for p in minors if p not in children.values() and p != decoy), None)

    stale_day_offset = 400  # far beyond any sensible staleness limit; the limit is read back below
    d0 = today
    far = d0 + timedelta(days=stale_day_offset + 400)

    # Placements: the matrix children's rows are replaced by one crafted episode each.
    matrix_children = set(children.values())
    rows = [p for p in placements if p["person_id"] not in matrix_children]
    for (custody, _release), person in children.items():
        if custody == "custody":
            rows.append(dict(placement_id=f"PX{person}", person_id=person, removal_date=d0 - timedelta(400),
                             start_date=d0 - timedelta(400), end_date=None, placement_type="FOSTER_FAMILY",
                             end_reason=None, county_fips="35001"))
        else:  # was in custody once, not any more
            rows.append(dict(placement_id=f"PX{person}", person_id=person, removal_date=d0 - timedelta(900),
                             start_date=d0 - timedelta(900), end_date=d0 - timedelta(100),
                             placement_type="RELATIVE", end_reason="REUNIFICATION", county_fips="35001"))

    # Caseload: one staff id per (role, assignment state).
    staff: dict[tuple[str, str], str] = {}
    caseload = []
    for n, (role, state) in enumerate(itertools.product(ROLES, ASSIGNMENTS)):
        sid = f"S9{n:05d}"
        staff[(role, state)] = sid
        for person in matrix_children:
            if state == "active":
                caseload.append(dict(staff_id=sid, staff_role=role, person_id=person,
                                     start_date=d0 - timedelta(200), end_date=None))
            elif state == "ended":
                caseload.append(dict(staff_id=sid, staff_role=role, person_id=person,
                                     start_date=d0 - timedelta(400), end_date=d0 - timedelta(30)))
            elif state == "future":
                caseload.append(dict(staff_id=sid, staff_role=role, person_id=person,
                                     start_date=far, end_date=None))
        if state == "absent":  # on the caseload, but only for another child
            caseload.append(dict(staff_id=sid, staff_role=role, person_id=decoy,
                                 start_date=d0 - timedelta(200), end_date=None))
    if minor_child:
        caseload.append(dict(staff_id="S980000", staff_role="JUVENILE_PROBATION_OFFICER", person_id=minor_child,
                             start_date=d0 - timedelta(200), end_date=None))

    # Releases, by state.
    releases = []
    for (custody, state), person in children.items():
        rid = f"R-{custody}-{state}"
        adult_at_signing = births[person] and eighteenth_birthday(births[person]) <= d0 - timedelta(60)
        signer = "YOUTH_18_PLUS" if adult_at_signing else "PARENT"
        base = dict(release_id=rid, person_id=person, signed_by=signer, signed_date=d0 - timedelta(60),
                    expiration_date=far, revoked_date=None, scope="EDUCATION_RECORDS")
        if state == "valid":
            releases.append(base)
        elif state == "expired":
            releases.append({**base, "signed_date": d0 - timedelta(400), "expiration_date": d0 - timedelta(35)})
        elif state == "revoked":
            releases.append({**base, "revoked_date": d0 - timedelta(10)})
        elif state == "attendance_only":
            releases.append({**base, "scope": "ATTENDANCE_ONLY"})
        elif state == "parent_after_18":
            releases.append({**base, "signed_by": "PARENT"})
    if minor_child:
        releases.append(dict(release_id="R-minor-parent", person_id=minor_child, signed_by="PARENT",
                             signed_date=d0 - timedelta(60), expiration_date=far, revoked_date=None,
                             scope="EDUCATION_RECORDS"))

    drop = warehouse / "access_drop"
    drop.mkdir()
    _write_csv(drop / "cyfd_ps_placement.csv", "cyfd_ps_placement", rows)
    _write_csv(drop / "cyfd_caseload.csv", "cyfd_caseload", caseload)
    _write_csv(drop / "cyfd_release.csv", "cyfd_release", releases)
    res = load_drop(drop, database, log=lambda _m: None)
    assert res.ok, "the crafted access drop was rejected by the loader"
    run_dbt(["build", "--select", "stg_cyfd__caseloads stg_cyfd__releases stg_cyfd__ps_placements access",
             "--quiet"], warehouse, target="test", quiet=True)

    con = duckdb.connect(str(database), read_only=True)
    try:
        loaded_at, max_age = con.execute(
            "select caseload_loaded_at, max_age_days from access.access_caseload_feed").fetchone()
    finally:
        con.close()
    fresh_day = max(loaded_at.date(), datetime.now(timezone.utc).date())  # never backdated
    stale_day = fresh_day + timedelta(days=max_age + 1)
    assert stale_day < d0 + timedelta(days=stale_day_offset), "staleness limit larger than the matrix allows"
    m = Matrix(database, fresh_day, stale_day, children, staff, decoy, minor_child)
    yield m
    m.close()


def expected(role: str, assignment: str, custody: str, release: str, feed: str) -> tuple[str, str, str | None]:
    """(decision, rule, scope) the access rules give for one cell (written from the issue, not the code)."""
    if feed == "stale":
        return "DENY", "caseload_feed_stale", None
    if assignment == "ended":
        return "DENY", "assignment_ended", None
    if assignment == "future":
        return "DENY", "assignment_not_started", None
    if assignment == "absent":
        return "DENY", "not_assigned", None
    if role in ("PS_CASEWORKER", "SUPERVISOR"):
        if custody == "custody":
            return "ALLOW", "allow_ps_custody", "EDUCATION_RECORDS"
        return "DENY", "not_in_custody", None
    return {
        "valid": ("ALLOW", "allow_release", "EDUCATION_RECORDS"),
        "attendance_only": ("ALLOW", "allow_release_attendance_only", "ATTENDANCE_ONLY"),
        "expired": ("DENY", "release_expired", None),
        "revoked": ("DENY", "release_revoked", None),
        "missing": ("DENY", "release_missing", None),
        "parent_after_18": ("DENY", "release_signed_by_parent_after_18", None),
    }[release]


def _check_one_audited_lookup(matrix: "Matrix", staff_id, child_id, purpose, as_of):
    """One lookup through the matrix's shared connection; exactly one matching audit row must appear."""
    con = matrix.connect()
    before = con.execute(f"select max(seq) from {AUDIT_TABLE}").fetchone()[0] or 0
    result = lookup(matrix.database, staff_id, child_id, purpose, as_of=as_of, connection=con)
    rows = con.execute(f"select seq, staff_id, child_id, purpose, decision, rule, fields_disclosed, "
                       f"request_date from {AUDIT_TABLE} where seq > ? order by seq", [before]).fetchall()
    assert len(rows) == 1, f"expected exactly one audit row, got {len(rows)}"
    seq, a_staff, a_child, a_purpose, a_decision, a_rule, a_fields, a_day = rows[0]
    assert seq == result.audit_seq
    assert (a_staff, a_child, a_purpose, a_day) == (staff_id, child_id, purpose, as_of)
    assert (a_decision, a_rule) == (result.decision.decision, result.decision.rule)
    assert json.loads(a_fields) == sorted(result.fields_disclosed)
    return result


CELLS = list(itertools.product(ROLES, ASSIGNMENTS, CUSTODY, RELEASES, FEEDS))


@pytest.mark.parametrize("role,assignment,custody,release,feed", CELLS,
                         ids=["-".join(c) for c in CELLS])
def test_decision_matrix(matrix: Matrix, role, assignment, custody, release, feed):
    staff_id = matrix.staff[(role, assignment)]
    child_id = matrix.children[(custody, release)]
    day = matrix.fresh_day if feed == "fresh" else matrix.stale_day
    result = _check_one_audited_lookup(matrix, staff_id, child_id, PURPOSE, day)

    want_decision, want_rule, want_scope = expected(role, assignment, custody, release, feed)
    assert (result.decision.decision, result.decision.rule) == (want_decision, want_rule), result.decision.reason
    assert result.decision.scope == want_scope
    fields = set(result.fields_disclosed)
    if want_decision == "DENY":
        assert result.record is None and fields == set()
    elif want_scope == "EDUCATION_RECORDS":
        assert FULL_MUST_INCLUDE <= fields
        assert set(result.record) == {"link", "enrollment", "attendance", "discipline", "programs",
                                      "assessments", "graduation"}
        assert result.record["link"]["person_id"] == child_id
    else:
        assert ATTENDANCE_MUST_INCLUDE <= fields
        assert all(f.startswith(("link.", "attendance.")) for f in fields), sorted(fields)
        assert set(result.record) == {"link", "attendance"}
        assert "programs.special_ed" not in fields and "discipline.incidents[].infraction" not in fields


def test_parent_release_for_a_minor_is_valid(matrix: Matrix):
    if matrix.minor_child is None:
        pytest.fail("the built warehouse has no linked CYFD child under 17 to sign a parent release for")
    result = _check_one_audited_lookup(matrix, "S980000", matrix.minor_child, PURPOSE, matrix.fresh_day)
    assert (result.decision.decision, result.decision.rule) == ("ALLOW", "allow_release")


HOSTILE = [
    ("unknown staff", "S999999", None),
    ("unknown child", None, "C99999999"),
    ("another worker's child", None, "decoy"),
    ("short child id", None, "C123"),
    ("lower-case child id", None, "lower"),
    ("padded child id", None, "padded"),
    ("sql in child id", None, "' or 1=1 --"),
    ("sql in staff id", "S900000' or '1'='1", None),
    ("empty staff id", "", None),
    ("empty purpose", None, None),
    ("over-long purpose", None, None),
]


@pytest.mark.parametrize("label,staff_id,child_id", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_no_input_reaches_a_child_off_the_caseload(matrix: Matrix, label, staff_id, child_id):
    """A PS caseworker with an active caseload (children in custody) tries to reach anything else."""
    worker = matrix.staff[("PS_CASEWORKER", "active")]
    own_child = matrix.children[("custody", "valid")]
    child = {"decoy": matrix.decoy, "lower": own_child.lower(), "padded": f" {own_child} ",
             None: own_child}.get(child_id, child_id)
    purpose = {"empty purpose": "  ", "over-long purpose": "x" * (PURPOSE_MAX_CHARS + 1)}.get(label, PURPOSE)
    result = _check_one_audited_lookup(matrix, staff_id if staff_id is not None else worker, child,
                                       purpose, matrix.fresh_day)
    assert result.decision.decision == "DENY"
    assert result.decision.rule in ("not_assigned", "malformed_request")
    assert result.record is None and result.fields_disclosed == []


def test_backdating_cannot_revive_an_ended_assignment(matrix: Matrix):
    """The ended caseworker was assigned (and the child in custody) 100 days ago: a lookup dated then is denied."""
    staff_id = matrix.staff[("PS_CASEWORKER", "ended")]
    child = matrix.children[("custody", "valid")]
    for day in (matrix.fresh_day - timedelta(100), matrix.fresh_day - timedelta(1)):
        result = _check_one_audited_lookup(matrix, staff_id, child, PURPOSE, day)
        assert (result.decision.decision, result.decision.rule) == ("DENY", "backdated_request")
        assert result.record is None and result.fields_disclosed == []


def test_matrix_chain_verifies_and_cli(matrix: Matrix, capsys):
    """The chain written by all the lookups above verifies; the CLI prints JSON and exits 0 / 3."""
    warehouse = str(matrix.database.parent)
    matrix.close()  # the CLI opens the database itself
    staff_id = matrix.staff[("PS_CASEWORKER", "active")]
    child = matrix.children[("custody", "valid")]
    code = cli_main(["lookup", "--staff", staff_id, "--child", child, "--purpose", PURPOSE, "--json",
                     "--as-of", matrix.fresh_day.isoformat(), "--warehouse", warehouse])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["decision"] == "ALLOW" and out["record"]["link"]["person_id"] == child
    code = cli_main(["lookup", "--staff", staff_id, "--child", matrix.decoy, "--purpose", PURPOSE,
                     "--as-of", matrix.fresh_day.isoformat(), "--warehouse", warehouse])
    assert code == 3 and "not_assigned" in capsys.readouterr().out
    assert cli_main(["verify-audit", "--warehouse", warehouse]) == 0
    check = verify_chain(matrix.database)
    assert check.ok and check.rows_checked == _audit_rows(matrix.database) >= 2


def test_caseload_loaded_after_the_build_denies(matrix: Matrix, tmp_path):
    """A changed caseload extract loaded but not yet built into the access models: every request denied."""
    from datashare.load import load_drop

    matrix.close()
    database = _copy_database(matrix.database.parent, tmp_path / "wh")
    staff_id = matrix.staff[("PS_CASEWORKER", "active")]
    child = matrix.children[("custody", "valid")]
    drop = tmp_path / "drop"
    drop.mkdir()
    _write_csv(drop / "cyfd_caseload.csv", "cyfd_caseload", [
        dict(staff_id=staff_id, staff_role="PS_CASEWORKER", person_id=child,
             start_date=matrix.fresh_day - timedelta(200), end_date=None)])
    assert load_drop(drop, database, log=lambda _m: None).ok
    result = lookup(database, staff_id, child, PURPOSE, as_of=matrix.fresh_day)
    assert (result.decision.decision, result.decision.rule) == ("DENY", "access_models_out_of_date")
    assert result.record is None and _audit_rows(database) == _audit_rows(matrix.database) + 1


# --------------------------------------------------------------------------------------------
# The record itself, on the session's built warehouse (generated caseloads and releases)


def test_lookup_on_built_warehouse(built_warehouse, tmp_path):
    """A generated caseworker assignment of a child in custody: allowed, and the record is the child's."""
    database = _copy_database(built_warehouse, tmp_path / "wh")
    con = duckdb.connect(str(database), read_only=True)
    try:
        day = datetime.now(timezone.utc).date()
        case = con.execute(
            """
            select a.staff_id, a.person_id
            from access.access_caseload_assignments as a
            inner join access.access_custody_episodes as e on a.person_id = e.person_id
            inner join access.access_school_records as r on a.person_id = r.person_id
            where a.staff_role = 'PS_CASEWORKER'
                and a.start_date <= ? and coalesce(a.end_date, ?) >= ?
                and e.custody_start_date <= ? and coalesce(e.custody_end_date, ?) >= ?
            order by a.person_id, a.staff_id limit 1
            """, [day] * 6).fetchone()
        assert case, "the generated caseloads hold no open PS caseworker assignment of a linked child in custody"
        staff_id, child = case
        # Independent expectations, from staging: the child's latest snapshot and record-year attendance.
        latest = con.execute(
            """
            select s.school_code, s.grade_level, s.school_year
            from access.access_student_links as l
            inner join staging.stg_ped__student_snapshots as s on l.student_id = s.student_id
            where l.person_id = ?
            order by s.school_year desc, s.snapshot_order desc limit 1
            """, [child]).fetchone()
        enrolled = con.execute(
            """
            select sum(a.days_enrolled)
            from access.access_student_links as l
            inner join staging.stg_ped__attendance as a on l.student_id = a.student_id
            where l.person_id = ? and a.school_year = ?
            """, [child, latest[2]]).fetchone()[0]
    finally:
        con.close()
    before = _audit_rows(database)
    result = lookup(database, staff_id, child, "court report", as_of=day)
    assert result.decision.rule == "allow_ps_custody", result.decision.reason
    rec = result.record
    assert rec["enrollment"]["current_school_code"] == latest[0]
    assert rec["enrollment"]["current_grade_level"] == latest[1]
    assert rec["link"]["record_school_year"] == latest[2]
    assert rec["attendance"]["days_enrolled"] == enrolled
    assert rec["link"]["link_band"] in ("auto", "review")
    assert rec["link"]["is_low_confidence_link"] == (rec["link"]["link_band"] != "auto")
    assert all(r["school_year"] == latest[2] for r in rec["enrollment"]["enrollment_history"])
    text = format_text(result)
    assert text.startswith("ALLOW  rule: allow_ps_custody") and f"current_school_code: {latest[0]}" in text
    assert verify_chain(database).ok and _audit_rows(database) == before + 1
    # A record resting on a review-band link is shown, flagged and warned about, not hidden.
    with duckdb.connect(str(database)) as con:
        con.execute("update access.access_school_records set link_band = 'review', is_low_confidence_link = true, "
                    "link_probability = 0.6 where person_id = ?", [child])
    flagged = lookup(database, staff_id, child, "court report", as_of=day)
    assert flagged.decision.allowed and flagged.record is not None
    assert flagged.record["link"]["is_low_confidence_link"] is True
    assert json.loads(dumps(flagged))["record"]["link"]["link_band"] == "review"
    assert "WARNING: low-confidence link (band review" in format_text(flagged)
    assert flagged.record["enrollment"]["current_school_code"] == latest[0]
    assert verify_chain(database).ok and _audit_rows(database) == before + 2


def test_access_models_feed_nothing_in_research(built_warehouse):
    """No de-identified or mart model depends, directly or not, on an access model (dbt manifest)."""
    manifest = json.loads((built_warehouse / "dbt" / "target" / "manifest.json").read_text())
    nodes = manifest["nodes"]
    access = {k for k, n in nodes.items() if n["resource_type"] == "model" and n["fqn"][1:2] == ["access"]}
    assert len(access) >= 10
    for key in access:
        assert nodes[key]["group"] == "identified" and nodes[key]["access"] == "private", key
    research = [k for k, n in nodes.items()
                if n["resource_type"] == "model" and n["fqn"][1:2] in (["deidentified"], ["marts"])]
    for key in research:
        seen, todo = set(), [key]
        while todo:
            k = todo.pop()
            for parent in nodes.get(k, {}).get("depends_on", {}).get("nodes", []):
                assert parent not in access, f"{key} depends on the access model {parent}"
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)


# --------------------------------------------------------------------------------------------
# The audit chain on its own (a fresh DuckDB file): tamper detection


def _fresh_log(tmp_path: Path, rows: int = 5) -> Path:
    database = tmp_path / "audit.duckdb"
    con = duckdb.connect(str(database))
    try:
        for i in range(rows):
            audit.append(con, database, request_date=date(2026, 1, 1 + i), staff_id=f"S00000{i}",
                         child_id=f"C0000000{i}", purpose="p", decision="DENY", rule="not_assigned",
                         fields_disclosed=[])
    finally:
        con.close()
    return database


def _tamper(database: Path, sql: str) -> None:
    con = duckdb.connect(str(database))
    try:
        con.execute(sql)
    finally:
        con.close()


def test_audit_chain_intact(tmp_path):
    database = _fresh_log(tmp_path)
    check = verify_chain(database)
    assert check.ok and check.rows_checked == 5


@pytest.mark.parametrize("label,sql,broken_seq", [
    ("edit a field", f"update {AUDIT_TABLE} set decision = 'ALLOW' where seq = 3", 3),
    ("edit and re-hash", f"update {AUDIT_TABLE} set purpose = 'x', row_hash = repeat('a', 64) where seq = 2", 2),
    ("delete a middle row", f"delete from {AUDIT_TABLE} where seq = 3", 4),
    ("delete the first row", f"delete from {AUDIT_TABLE} where seq = 1", 2),
    ("delete the newest row", f"delete from {AUDIT_TABLE} where seq = 5", 5),
    ("renumber a row", f"update {AUDIT_TABLE} set seq = 10 where seq = 4", 5),
])
def test_audit_tampering_detected(tmp_path, label, sql, broken_seq):
    database = _fresh_log(tmp_path)
    _tamper(database, sql)
    check = verify_chain(database)
    assert not check.ok, label
    assert check.first_broken_seq == broken_seq, check.problem


def test_audit_rewrite_with_correct_hashes_detected(tmp_path):
    """Rewriting a row and recomputing its hash breaks the next row's prev_hash; rewriting to the end
    of the chain is caught by the head anchor."""
    database = _fresh_log(tmp_path)
    con = duckdb.connect(str(database))
    try:
        e = audit.read_log(con)[1]
        digest = audit.row_hash(e.seq, e.logged_at, e.request_date, e.staff_id, e.child_id, "other purpose",
                                e.decision, e.rule, e.fields_disclosed, e.prev_hash)
        con.execute(f"update {AUDIT_TABLE} set purpose = 'other purpose', row_hash = ? where seq = 2", [digest])
    finally:
        con.close()
    check = verify_chain(database)
    assert not check.ok and check.first_broken_seq == 3, check.problem
    # Rewrite every later row too: the chain is consistent again, but the head anchor disagrees.
    con = duckdb.connect(str(database))
    try:
        prev = digest
        for e in audit.read_log(con)[2:]:
            h = audit.row_hash(e.seq, e.logged_at, e.request_date, e.staff_id, e.child_id, e.purpose,
                               e.decision, e.rule, e.fields_disclosed, prev)
            con.execute(f"update {AUDIT_TABLE} set prev_hash = ?, row_hash = ? where seq = ?", [prev, h, e.seq])
            prev = h
    finally:
        con.close()
    check = verify_chain(database)
    assert not check.ok and check.first_broken_seq == 5 and "head anchor" in check.problem


def test_verify_audit_cli_reports_first_broken_row(tmp_path, capsys):
    wh = tmp_path / "wh"
    wh.mkdir()
    database = _fresh_log(wh)
    database.rename(wh / DATABASE_FILE)
    assert (wh / audit.HEAD_FILE).exists(), "no head anchor written"
    database = wh / DATABASE_FILE
    assert cli_main(["verify-audit", "--warehouse", str(wh)]) == 0
    _tamper(database, f"update {AUDIT_TABLE} set rule = 'allow_ps_custody' where seq = 2")
    assert cli_main(["verify-audit", "--warehouse", str(wh)]) == 1
    assert "BROKEN at row seq 2" in capsys.readouterr().out


# --------------------------------------------------------------------------------------------
# The pure rules at their edges


def test_release_signer_edges():
    born = date(2008, 2, 29)
    assert eighteenth_birthday(born) == date(2026, 2, 28)
    day = date(2026, 6, 1)
    rel = Release("R1", "PARENT", date(2026, 2, 27), date(2027, 1, 1), None, "EDUCATION_RECORDS")
    assert release_status(rel, day, born) == "valid"
    assert release_status(Release("R2", "PARENT", date(2026, 2, 28), date(2027, 1, 1), None, "EDUCATION_RECORDS"),
                          day, born) == "release_signed_by_parent_after_18"
    assert release_status(Release("R3", "YOUTH_18_PLUS", date(2026, 2, 27), date(2027, 1, 1), None,
                                  "EDUCATION_RECORDS"), day, born) == "release_signed_by_minor"
    assert release_status(Release("R4", "GUARDIAN", date(2026, 1, 1), date(2026, 6, 1), None, "ATTENDANCE_ONLY"),
                          day, born) == "valid"  # valid through its expiration day
    assert release_status(Release("R5", "PARENT", date(2026, 1, 1), None, None, "EDUCATION_RECORDS"),
                          day, born) == "release_incomplete"
    assert release_status(Release("R6", "PARENT", date(2026, 1, 1), date(2027, 1, 1), date(2026, 6, 1),
                                  "EDUCATION_RECORDS"), day, born) == "release_revoked"
    assert release_status(rel, day, None) == "release_signer_unverifiable"


def test_best_of_several_releases_and_feed_edges():
    day = date(2026, 6, 1)
    facts = Facts(
        caseload_loaded_at=datetime(2026, 5, 18, 23, 0), max_age_days=14,
        assignments=(Assignment("JUVENILE_PROBATION_OFFICER", date(2026, 1, 1), day),),
        releases=(Release("A", "PARENT", date(2026, 1, 1), date(2027, 1, 1), None, "ATTENDANCE_ONLY"),
                  Release("B", "PARENT", date(2026, 2, 1), date(2027, 1, 1), None, "EDUCATION_RECORDS")),
        birth_date=date(2012, 1, 1),
    )
    req = Request("S000001", "C00000001", "x", day)
    assert decide(req, facts).rule == "allow_release"  # the broader valid release wins; end day inclusive
    assert decide(Request("S000001", "C00000001", "x", day + timedelta(1)), facts).rule == "caseload_feed_stale"
    assert decide(req, None).rule == "access_models_missing"
    assert decide(Request("S000001", "C00000001", "x", day, made_on=day + timedelta(1)), facts).rule \
        == "backdated_request"
    assert decide(Request("S000001", "C00000001", "x", day, made_on=day), facts).rule == "allow_release"
    assert decide(req, Facts(caseload_loaded_at=None, max_age_days=14)).rule == "caseload_feed_missing"
    # The same extract re-sent unchanged later confirms the feed: not stale.
    later = Request("S000001", "C00000001", "x", day + timedelta(10))
    assert decide(later, facts).rule == "caseload_feed_stale"
    confirmed = Facts(**{**facts.__dict__, "caseload_confirmed_at": datetime(2026, 6, 1, 8, 0),
                         "assignments": (Assignment("JUVENILE_PROBATION_OFFICER", date(2026, 1, 1), None),)})
    assert decide(later, confirmed).rule == "allow_release"
    assert decide(req, Facts(**{**facts.__dict__, "models_current": False})).rule == "access_models_out_of_date"
