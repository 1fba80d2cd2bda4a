"""Case-level school record lookup: gather the facts, decide, disclose what the decision allows, audit.

`lookup()` is the function behind `datashare lookup`. It reads the identified
`access` models of the warehouse, asks `policy.decide` (the only place the
rules live), returns the field groups the decision's scope allows, and writes
exactly one row to the audit log whatever happens (allowed, denied, malformed
input, models missing).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb

from datashare.access import audit
from datashare.access.policy import (
    SCOPE_GROUPS,
    Assignment,
    CustodyEpisode,
    Decision,
    Facts,
    Release,
    Request,
    decide,
)

ACCESS_SCHEMA = "access"


@dataclass(frozen=True)
class FieldGroup:
    """Columns of `access_school_records` and, optionally, a detail model listed under one key."""

    columns: tuple[str, ...]
    detail_key: str | None = None
    detail_model: str | None = None
    detail_columns: tuple[str, ...] = ()
    detail_order: str = ""

    def field_names(self, group: str) -> list[str]:
        names = [f"{group}.{c}" for c in self.columns]
        if self.detail_key:
            names += [f"{group}.{self.detail_key}[].{c}" for c in self.detail_columns]
        return names


# The case-level record, by field group. A scope (policy.SCOPE_GROUPS) lists the groups it discloses.
FIELD_GROUPS: dict[str, FieldGroup] = {
    "link": FieldGroup(
        columns=("person_id", "ped_student_ids", "link_method", "link_probability", "link_band",
                 "is_low_confidence_link", "record_school_year", "record_snapshot", "is_current_school_year",
                 "ped_latest_school_year", "ped_latest_snapshot", "ped_loaded_at"),
    ),
    "enrollment": FieldGroup(
        columns=("current_district_code", "current_school_code", "current_grade_level", "enrollment_stays",
                 "schools_attended"),
        detail_key="enrollment_history", detail_model="access_enrollment_history",
        detail_columns=("student_id", "school_year", "district_code", "school_code", "entry_date", "exit_date",
                        "exit_code"),
        detail_order="entry_date, school_code",
    ),
    "attendance": FieldGroup(
        columns=("days_enrolled", "days_present", "days_excused", "days_unexcused", "absence_rate",
                 "chronic_absence_status"),
        detail_key="by_school", detail_model="access_attendance_by_school",
        detail_columns=("student_id", "school_year", "school_code", "days_enrolled", "days_present",
                        "days_excused", "days_unexcused"),
        detail_order="school_code, student_id",
    ),
    "discipline": FieldGroup(
        columns=("discipline_incidents", "out_of_school_suspensions", "expulsions", "discipline_response_days"),
        detail_key="incidents", detail_model="access_discipline_incidents",
        detail_columns=("student_id", "school_year", "incident_id", "school_code", "incident_date",
                        "infraction", "response", "response_days"),
        detail_order="incident_date, incident_id",
    ),
    "programs": FieldGroup(
        columns=("special_ed", "primary_disability", "section_504", "english_learner", "gifted"),
    ),
    "assessments": FieldGroup(
        columns=(),
        detail_key="latest_results", detail_model="access_assessment_results",
        detail_columns=("student_id", "school_year", "school_code", "test", "subject", "grade_tested",
                        "scale_score", "performance_level"),
        detail_order="subject, test",
    ),
    "graduation": FieldGroup(
        columns=("cohort_year", "cohort_outcome", "cohort_outcome_date", "cohort_years_to_outcome"),
    ),
}


@dataclass
class LookupResult:
    request: Request
    decision: Decision
    record: dict | None = None
    fields_disclosed: list[str] = field(default_factory=list)
    audit_seq: int | None = None

    @property
    def record_found(self) -> bool:
        return self.record is not None

    def to_json(self) -> dict:
        return _jsonable({
            "request": {
                "staff_id": self.request.staff_id,
                "child_id": self.request.child_id,
                "purpose": self.request.purpose,
                "request_date": self.request.request_date,
            },
            "decision": self.decision.decision,
            "rule": self.decision.rule,
            "reason": self.decision.reason,
            "scope": self.decision.scope,
            "role": self.decision.role,
            "record_found": self.record_found,
            "record": self.record,
            "fields_disclosed": self.fields_disclosed,
            "audit_seq": self.audit_seq,
        })


def _jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def caseload_confirmation(con: duckdb.DuckDBPyConnection, model_drop_id: str | None,
                          model_rows: int) -> tuple[datetime | None, bool]:
    """(latest load or unchanged re-send of the caseload in force, whether the models hold that caseload).

    From the loader's raw._load_audit: the caseload content in force is the last `loaded` cyfd_caseload
    file; every later `unchanged` outcome is the same content sent again, so it confirms the feed is
    current. When the last loaded drop is not the one the access models were built from, the models are
    out of date.
    """
    try:
        events = con.execute(
            "select drop_id, outcome, started_at, rows_loaded from raw._load_audit "
            "where table_name = 'cyfd_caseload' and outcome in ('loaded', 'unchanged') "
            "order by started_at, outcome"
        ).fetchall()
    except duckdb.CatalogException:
        return None, True
    loads = [i for i, e in enumerate(events) if e[1] == "loaded"]
    if not loads:
        return None, True
    last = events[loads[-1]]
    current = last[0] == model_drop_id or (not model_rows and not last[3])
    return (max(e[2] for e in events[loads[-1]:]) if current else None), current


def gather_facts(con: duckdb.DuckDBPyConnection, staff_id: str, child_id: str) -> Facts | None:
    """The facts the decision needs, or None when the access models are not built."""
    s = ACCESS_SCHEMA
    try:
        feed = con.execute(
            f"select caseload_loaded_at, max_age_days, caseload_drop_id, caseload_rows "
            f"from {s}.access_caseload_feed limit 1").fetchone()
        assignments = con.execute(
            f"select staff_role, start_date, end_date from {s}.access_caseload_assignments "
            "where staff_id = ? and person_id = ? order by start_date", [staff_id, child_id]).fetchall()
        episodes = con.execute(
            f"select custody_start_date, custody_end_date from {s}.access_custody_episodes "
            "where person_id = ? order by custody_start_date", [child_id]).fetchall()
        releases = con.execute(
            f"select release_id, signed_by, signed_date, expiration_date, revoked_date, scope "
            f"from {s}.access_releases where person_id = ? order by signed_date, release_id", [child_id]).fetchall()
        birth = con.execute(
            f"select youth_birth_date from {s}.access_releases where person_id = ? limit 1", [child_id]).fetchone()
    except duckdb.CatalogException:
        return None
    if feed is None:
        return None
    loaded_at, max_age_days, drop_id, rows = feed
    confirmed_at, current = caseload_confirmation(con, drop_id, rows)
    return Facts(
        caseload_loaded_at=loaded_at,
        max_age_days=int(max_age_days),
        caseload_confirmed_at=confirmed_at,
        models_current=current,
        assignments=tuple(Assignment(*a) for a in assignments),
        custody_episodes=tuple(CustodyEpisode(*e) for e in episodes),
        releases=tuple(Release(*r) for r in releases),
        birth_date=birth[0] if birth else None,
    )


def fetch_record(con: duckdb.DuckDBPyConnection, child_id: str, groups: tuple[str, ...]) -> dict | None:
    """The child's case-level record, limited to `groups`; None when the child has no linked PED record."""
    s = ACCESS_SCHEMA
    wanted = [c for g in groups for c in FIELD_GROUPS[g].columns]
    base = _rows(con, f"select {', '.join(wanted)} from {s}.access_school_records where person_id = ?",
                 [child_id])
    if not base:
        return None
    row = base[0]
    record: dict = {}
    for g in groups:
        spec = FIELD_GROUPS[g]
        section = {c: row[c] for c in spec.columns}
        if spec.detail_key:
            section[spec.detail_key] = _rows(
                con,
                f"select {', '.join(spec.detail_columns)} from {s}.{spec.detail_model} "
                f"where person_id = ? order by {spec.detail_order}",
                [child_id],
            )
        record[g] = section
    return record


def utc_today() -> date:
    """The calendar day of the request, on the same (UTC) clock as the loader's `_loaded_at`."""
    return datetime.now(timezone.utc).date()


def lookup(database: Path, staff_id: str, child_id: str, purpose: str, *, as_of: date | None = None,
           connection: duckdb.DuckDBPyConnection | None = None) -> LookupResult:
    """Decide one request for a child's school record, return what it allows, and audit it (one row).

    `connection`: an open read-write connection to `database` to reuse (a service answering many
    requests); by default the database is opened for this request and closed after it.
    """
    database = Path(database)
    if not database.exists():
        raise FileNotFoundError(f"warehouse database {database} does not exist")
    today = utc_today()
    request = Request(staff_id=staff_id, child_id=child_id, purpose=purpose, request_date=as_of or today,
                      made_on=today)
    con = connection or duckdb.connect(str(database))
    try:
        facts = gather_facts(con, staff_id, child_id)
        decision = decide(request, facts)
        result = LookupResult(request=request, decision=decision)
        if decision.allowed:
            groups = SCOPE_GROUPS[decision.scope]
            result.record = fetch_record(con, child_id, groups)
            if result.record is not None:
                result.fields_disclosed = sorted(n for g in groups for n in FIELD_GROUPS[g].field_names(g))
        entry = audit.append(
            con, database, request_date=request.request_date, staff_id=staff_id, child_id=child_id,
            purpose=purpose, decision=decision.decision, rule=decision.rule,
            fields_disclosed=result.fields_disclosed,
        )
        result.audit_seq = entry.seq
        return result
    finally:
        if connection is None:
            con.close()


def format_text(result: LookupResult) -> str:
    """The record (or the denial) as plain text for the terminal."""
    d = result.decision
    lines = [f"{d.decision}  rule: {d.rule}", f"  {d.reason}", f"  audit row: {result.audit_seq}"]
    if not d.allowed:
        return "\n".join(lines)
    if result.record is None:
        lines.append("  No PED school record is linked to this child.")
        return "\n".join(lines)
    lines.append(f"  scope: {d.scope}")
    link = result.record.get("link", {})
    if link.get("is_low_confidence_link"):
        lines.append(f"  WARNING: low-confidence link (band {link.get('link_band')}, probability "
                     f"{link.get('link_probability')}): confirm the identity before acting on this record.")
    if link and link.get("is_current_school_year") is False:
        lines.append(f"  NOTE: the child's latest PED record is from school year {link.get('record_school_year')} "
                     f"({link.get('record_snapshot')}); the PED data run through {link.get('ped_latest_school_year')} "
                     f"({link.get('ped_latest_snapshot')}).")
    for group, section in result.record.items():
        lines.append(f"[{group}]")
        for key, value in section.items():
            if isinstance(value, list):
                lines.append(f"  {key}: {len(value)} row(s)")
                for item in value:
                    lines.append("    " + ", ".join(f"{k}={_jsonable(v)}" for k, v in item.items()))
            else:
                lines.append(f"  {key}: {_jsonable(value)}")
    return "\n".join(lines)


def dumps(result: LookupResult) -> str:
    return json.dumps(result.to_json(), indent=2)
