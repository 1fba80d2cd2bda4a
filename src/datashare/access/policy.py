"""Who may see a child's school record: the access decision, in one place.

Deny by default. `decide(request, facts)` is a pure function of the request
and the facts gathered from the warehouse (see `datashare.access.lookup`), so
every rule is here and nowhere else. The rules, in the order they are applied:

1. `malformed_request`: the staff id is not `S` + 6 digits, the child id is
   not `C` + 8 digits, or the purpose is empty or longer than
   `PURPOSE_MAX_CHARS`.
   `backdated_request`: the request day is before the day the request is
   made (`--as-of` may look ahead, for review of the feed rules, but never
   back to a day when an assignment, custody or release was still open).
2. `access_models_missing` / `access_models_out_of_date`: the access models
   are not built, or a newer caseload extract was loaded than the one they
   were built from (rebuild with dbt before answering).
3. `caseload_feed_missing` / `caseload_feed_stale`: no caseload extract has
   been loaded, or the one in force was last confirmed (loaded, or re-sent
   unchanged: raw._load_audit) more than `max_age_days` days before the
   request day (the project var `access_caseload_max_age_days`). A stale feed
   denies every request: assignments may have ended since.
4. `not_assigned` / `assignment_not_started` / `assignment_ended`: the staff
   member holds no caseload assignment for the child active on the request
   day (start and end dates inclusive). An unknown staff id, an unknown child
   id and another worker's child all give `not_assigned`, so a denial does not
   reveal whether a child exists.
5. By the role of the active assignment:
   - PS_CASEWORKER or SUPERVISOR: allowed (`allow_ps_custody`, full school
     record) while the child is in CYFD custody, i.e. inside an open placement
     episode on the request day (Uninterrupted Scholars Act); else
     `not_in_custody`.
   - JUVENILE_PROBATION_OFFICER: allowed while a valid release covers the
     request day (`allow_release`, full record; `allow_release_attendance_only`
     for scope ATTENDANCE_ONLY, attendance only). A release is valid when it is
     complete, signed on or before the day, not revoked on or before the day,
     not expired (expiration date on or after the day), and signed by the
     right person: PARENT or GUARDIAN only before the youth's 18th birthday,
     YOUTH_18_PLUS only on or after it. Otherwise the denial names why
     (`release_missing`, `release_incomplete`, `release_not_yet_signed`,
     `release_revoked`, `release_expired`, `release_signer_unverifiable`,
     `release_signed_by_parent_after_18`, `release_signed_by_minor`); with
     several releases and none valid, the most recently signed one names it.
   - any other role: `role_not_authorized`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

STAFF_ID_RE = re.compile(r"S[0-9]{6}")
CHILD_ID_RE = re.compile(r"C[0-9]{8}")
PURPOSE_MAX_CHARS = 500

CUSTODY_ROLES = ("PS_CASEWORKER", "SUPERVISOR")
RELEASE_ROLES = ("JUVENILE_PROBATION_OFFICER",)
PARENT_SIGNERS = ("PARENT", "GUARDIAN")
YOUTH_SIGNER = "YOUTH_18_PLUS"
AGE_OF_MAJORITY = 18

SCOPE_FULL = "EDUCATION_RECORDS"
SCOPE_ATTENDANCE = "ATTENDANCE_ONLY"

# Every rule a decision can name, with the sentence shown to the requester.
RULES: dict[str, str] = {
    "allow_ps_custody": "allowed: active caseload assignment and the child is in CYFD custody",
    "allow_release": "allowed: active caseload assignment and a valid release of education records",
    "allow_release_attendance_only": "allowed (attendance only): active caseload assignment and a valid "
                                     "ATTENDANCE_ONLY release",
    "malformed_request": "denied: staff id, child id or purpose is malformed",
    "backdated_request": "denied: the request day is before the day the request is made",
    "access_models_missing": "denied: the access models are not built in this warehouse",
    "access_models_out_of_date": "denied: a newer caseload extract was loaded than the access models were "
                                 "built from (run the dbt build)",
    "caseload_feed_missing": "denied: no caseload extract has been loaded",
    "caseload_feed_stale": "denied: the caseload extract is older than the allowed number of days",
    "not_assigned": "denied: the child is not on this staff member's caseload",
    "assignment_not_started": "denied: the caseload assignment has not started on the request day",
    "assignment_ended": "denied: the caseload assignment ended before the request day",
    "role_not_authorized": "denied: the staff role is not authorized for school records",
    "not_in_custody": "denied: the child is not in CYFD custody on the request day",
    "release_missing": "denied: no release of education records is on file for the child",
    "release_incomplete": "denied: the release lacks its signer, scope or expiration date",
    "release_not_yet_signed": "denied: the release is signed after the request day",
    "release_revoked": "denied: the release has been revoked",
    "release_expired": "denied: the release has expired",
    "release_signer_unverifiable": "denied: the youth's birth date is unknown, so the signer cannot be checked",
    "release_signed_by_parent_after_18": "denied: the release was signed by a parent or guardian after the "
                                         "youth turned 18 (it must be signed by the youth)",
    "release_signed_by_minor": "denied: the release is marked YOUTH_18_PLUS but was signed before the youth "
                               "turned 18",
}
ALLOW_RULES = ("allow_ps_custody", "allow_release", "allow_release_attendance_only")


@dataclass(frozen=True)
class Request:
    staff_id: str
    child_id: str
    purpose: str
    request_date: date  # the day the decision is made for
    made_on: date | None = None  # the day the request is actually made (UTC); None: request_date


@dataclass(frozen=True)
class Assignment:
    staff_role: str
    start_date: date
    end_date: date | None


@dataclass(frozen=True)
class CustodyEpisode:
    start_date: date
    end_date: date | None


@dataclass(frozen=True)
class Release:
    release_id: str
    signed_by: str | None
    signed_date: date
    expiration_date: date | None
    revoked_date: date | None
    scope: str | None


@dataclass(frozen=True)
class Facts:
    """What the warehouse knows that the decision needs (for one staff member and child)."""

    caseload_loaded_at: datetime | None
    max_age_days: int
    # Latest load or unchanged re-send of the caseload content in force (None: caseload_loaded_at).
    caseload_confirmed_at: datetime | None = None
    # False when raw holds a newer caseload extract than the access models were built from.
    models_current: bool = True
    assignments: tuple[Assignment, ...] = ()
    custody_episodes: tuple[CustodyEpisode, ...] = ()
    releases: tuple[Release, ...] = ()
    birth_date: date | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: str
    scope: str | None = None
    role: str | None = None
    detail: str = ""

    @property
    def decision(self) -> str:
        return "ALLOW" if self.allowed else "DENY"

    @property
    def reason(self) -> str:
        return RULES[self.rule] + (f" ({self.detail})" if self.detail else "")


def deny(rule: str, detail: str = "", role: str | None = None) -> Decision:
    assert rule in RULES and rule not in ALLOW_RULES, rule
    return Decision(False, rule, None, role, detail)


def request_is_well_formed(request: Request) -> bool:
    return (
        isinstance(request.staff_id, str) and STAFF_ID_RE.fullmatch(request.staff_id) is not None
        and isinstance(request.child_id, str) and CHILD_ID_RE.fullmatch(request.child_id) is not None
        and isinstance(request.purpose, str) and 0 < len(request.purpose.strip()) <= PURPOSE_MAX_CHARS
    )


def eighteenth_birthday(birth_date: date) -> date:
    """The day the youth turns 18 (a 29 February birthday counts from 28 February)."""
    year = birth_date.year + AGE_OF_MAJORITY
    try:
        return birth_date.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def _active(start: date, end: date | None, day: date) -> bool:
    return start <= day and (end is None or end >= day)


def release_status(release: Release, day: date, birth_date: date | None) -> str:
    """'valid' or the rule that makes this release invalid on `day`."""
    if release.signed_by is None or release.scope is None or release.expiration_date is None:
        return "release_incomplete"
    if release.signed_date > day:
        return "release_not_yet_signed"
    if release.revoked_date is not None and release.revoked_date <= day:
        return "release_revoked"
    if release.expiration_date < day:
        return "release_expired"
    if birth_date is None:
        return "release_signer_unverifiable"
    adult_from = eighteenth_birthday(birth_date)
    if release.signed_by in PARENT_SIGNERS and release.signed_date >= adult_from:
        return "release_signed_by_parent_after_18"
    if release.signed_by == YOUTH_SIGNER and release.signed_date < adult_from:
        return "release_signed_by_minor"
    if release.signed_by not in PARENT_SIGNERS and release.signed_by != YOUTH_SIGNER:
        return "release_incomplete"
    if release.scope not in (SCOPE_FULL, SCOPE_ATTENDANCE):
        return "release_incomplete"
    return "valid"


def _decide_for_role(role: str, day: date, facts: Facts) -> Decision:
    if role in CUSTODY_ROLES:
        if any(_active(e.start_date, e.end_date, day) for e in facts.custody_episodes):
            return Decision(True, "allow_ps_custody", SCOPE_FULL, role)
        return deny("not_in_custody", role=role)
    if role in RELEASE_ROLES:
        if not facts.releases:
            return deny("release_missing", role=role)
        statuses = [(r, release_status(r, day, facts.birth_date)) for r in facts.releases]
        scopes = {r.scope for r, status in statuses if status == "valid"}
        if SCOPE_FULL in scopes:
            return Decision(True, "allow_release", SCOPE_FULL, role)
        if SCOPE_ATTENDANCE in scopes:
            return Decision(True, "allow_release_attendance_only", SCOPE_ATTENDANCE, role)
        latest, status = max(statuses, key=lambda rs: (rs[0].signed_date, rs[0].release_id))
        return deny(status, f"release {latest.release_id}", role=role)
    return deny("role_not_authorized", role, role=role)


def decide(request: Request, facts: Facts | None) -> Decision:
    """Allow or deny one request; every denial names its rule. `facts` None: the access models are absent."""
    if not request_is_well_formed(request):
        return deny("malformed_request")
    if request.made_on is not None and request.request_date < request.made_on:
        return deny("backdated_request", f"request day {request.request_date}, made on {request.made_on}")
    if facts is None:
        return deny("access_models_missing")
    day = request.request_date
    if not facts.models_current:
        return deny("access_models_out_of_date")
    if facts.caseload_loaded_at is None:
        return deny("caseload_feed_missing")
    confirmed = max(facts.caseload_loaded_at, facts.caseload_confirmed_at or facts.caseload_loaded_at)
    age = (day - confirmed.date()).days
    if age > facts.max_age_days:
        return deny("caseload_feed_stale",
                    f"caseload extract last loaded {confirmed:%Y-%m-%d}, {age} days before the request; "
                    f"limit {facts.max_age_days}")
    active = [a for a in facts.assignments if _active(a.start_date, a.end_date, day)]
    if not active:
        if any(a.start_date > day for a in facts.assignments):
            return deny("assignment_not_started")
        if facts.assignments:
            return deny("assignment_ended")
        return deny("not_assigned")
    decisions = [_decide_for_role(role, day, facts) for role in sorted({a.staff_role for a in active})]
    allowed = [d for d in decisions if d.allowed]
    if allowed:
        return next((d for d in allowed if d.scope == SCOPE_FULL), allowed[0])
    return decisions[0]


# What each scope discloses: field groups of the case-level record (see
# datashare.access.lookup.FIELD_GROUPS for the columns of each group).
SCOPE_GROUPS: dict[str, tuple[str, ...]] = {
    SCOPE_FULL: ("link", "enrollment", "attendance", "discipline", "programs", "assessments", "graduation"),
    SCOPE_ATTENDANCE: ("link", "attendance"),
}
