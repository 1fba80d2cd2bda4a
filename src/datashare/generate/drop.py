"""generate_drop: a complete synthetic extract drop plus its truth files."""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

from datashare.contract import load_contract

from .calibration import category_rates
from .cyfd import CyfdData, make_cyfd
from .identity import Records, make_aliases, make_records
from .population import (
    ETHNICITIES,
    Geography,
    People,
    day_to_date,
    grade_in,
    load_geography,
    make_people,
    split_date,
    sy_end,
    year_state,
    ymd,
)
from .ped import DISABILITIES, year_rows
from .writer import DropWriter, date_array, fixed_codes, str_array, take, zero_padded

NOISE_LEVELS = ("default", "hard")
GRADE_CODES = ("PK", "KF", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12")


def parse_years(years: str) -> tuple[int, int]:
    try:
        a, _, b = str(years).partition("-")
        y0, y1 = int(a), int(b or a)
    except ValueError as exc:
        raise ValueError(f"years must look like 2021-2024, got {years!r}") from exc
    if not (1995 <= y0 <= y1 <= 2100):
        raise ValueError(f"years must look like 2021-2024 (first <= last), got {years!r}")
    return y0, y1


def extract_date(y1: int) -> int:
    """The agencies' extract date: 15 August after the last school year (days since 1970)."""
    return int(ymd(y1, 8, 15))


def _subset_people(p: People, keep: np.ndarray) -> People:
    idx = np.flatnonzero(keep)
    remap = np.full(p.n, -1, dtype=np.int64)
    remap[idx] = np.arange(len(idx))
    values = {}
    for f in dataclasses.fields(p):
        v = getattr(p, f.name)
        if f.name == "n":
            values["n"] = len(idx)
        elif f.name == "z":
            values["z"] = {k: a[idx] for k, a in v.items()}
        elif isinstance(v, np.ndarray):
            values[f.name] = v[idx]
        else:
            values[f.name] = v
    q = People(**values)
    tw = q.twin_of
    q.twin_of = np.where(tw >= 0, remap[np.maximum(tw, 0)], -1)
    return q


def _unique_ids(rng: np.random.Generator, n: int, lo: int, hi: int) -> np.ndarray:
    ids = rng.integers(lo, hi, size=int(n * 1.2) + 10)
    _, first = np.unique(ids, return_index=True)
    ids = ids[np.sort(first)]
    while len(ids) < n:  # pragma: no cover - practically never
        more = rng.integers(lo, hi, size=n)
        ids = np.concatenate([ids, more])
        _, first = np.unique(ids, return_index=True)
        ids = ids[np.sort(first)]
    return ids[:n]


def _plan_high_school(rng: np.random.Generator, p: People, cy: CyfdData, y0: int, y1: int) -> None:
    """Each person's path through high school, drawn from the cohort's involvement (grad target by group).

    The probability of graduating in four years is set per involvement
    category of the cohort's four school years, then corrected by a few
    fixed-point steps on the cohort outcomes actually produced (transfers out
    leave the denominator, late arrivals join it).
    """
    n = p.n
    _, _, e = grade_in(p, 0)
    c = e + 3
    fy0 = cy.years[0]
    ny = len(cy.years)
    cs_ps = np.concatenate([np.zeros((n, 1), dtype=np.int32), np.cumsum(cy.ps_flag, axis=1, dtype=np.int32)], axis=1)
    cs_jj = np.concatenate([np.zeros((n, 1), dtype=np.int32), np.cumsum(cy.jj_flag, axis=1, dtype=np.int32)], axis=1)
    a = np.clip(e - fy0, 0, ny)
    b = np.clip(c - fy0 + 1, 0, ny)
    rows = np.arange(n)
    any_ps = (cs_ps[rows, b] - cs_ps[rows, a]) > 0
    any_jj = (cs_jj[rows, b] - cs_jj[rows, a]) > 0
    del cs_ps, cs_jj
    cat = any_ps.astype(np.int64) + 2 * any_jj
    members = (c >= y0) & (c <= y1) & ~p.private
    counts = np.bincount(cat[members], minlength=4)
    target = category_rates("graduation_rate_4yr", counts)
    other_share = 0.015
    u = rng.random(n)
    rest = rng.choice(4, size=n, p=[0.33, 0.10, 0.47, 0.10]) + 1  # G5, G6, DROP, STILL
    p.drop_t = rng.choice(6, size=n, p=[0.10, 0.22, 0.28, 0.30, 0.07, 0.03])
    p.drop_k = rng.integers(20, 170, size=n)
    oc = rng.random(n) < other_share
    p4 = np.clip(target / (1 - other_share), 0, 1)
    for _ in range(3):
        p.hs_plan = np.where(u < p4[cat], 0, rest).astype(np.int8)
        p.other_completer = (p.hs_plan <= 2) & oc
        co = _cohort_outcomes(p, y0, y1)
        k = cat[co["idx"]]
        den = (co["outcome"] != 3) & (co["outcome"] != 4)
        target = category_rates("graduation_rate_4yr", np.bincount(k[den], minlength=4))
        grad = (co["outcome"] == 0) & (co["yto"] == 4) & den
        got = np.bincount(k[den], weights=grad[den], minlength=4) / np.maximum(np.bincount(k[den], minlength=4), 1)
        ok = (got > 0) & (target > 0)
        p4 = np.where(ok, np.clip(p4 * target / np.where(ok, got, 1), 0, 1), p4)
    p.hs_plan = np.where(u < p4[cat], 0, rest).astype(np.int8)
    p.other_completer = (p.hs_plan <= 2) & oc


def _cohort_outcomes(p: People, y0: int, y1: int) -> dict[str, np.ndarray]:
    """Four-year cohorts c = y0 .. y1: members (enrolled in grade 9+ in NM in the cohort's years) and outcomes."""
    _, _, e = grade_in(p, 0)
    c = e + 3
    member = np.zeros(p.n, dtype=bool)
    last_seen = np.full(p.n, -1, dtype=np.int64)
    in_window = (c >= y0) & (c <= y1)
    for y in range(y0 - 3, y1 + 1):
        st = year_state(p, y)
        idx = st.idx[st.grade >= 9]
        ok = in_window[idx] & (y >= e[idx]) & (y <= c[idx])
        member[idx[ok]] = True
        last_seen[st.idx] = y
    # the drop holds the cohort rows of students it has snapshots for (enrolled in a loaded year)
    member &= last_seen >= y0
    idx = np.flatnonzero(member)
    plan = p.hs_plan[idx]
    ci = c[idx]
    leave = p.leave_sy[idx]
    gy = ci + np.select([plan == 1, plan == 2], [1, 2], 0)  # graduation year of the plan
    dy = e[idx] + p.drop_t[idx]  # dropout year of the plan
    out_year = np.where(plan <= 2, gy, np.where(plan == 3, dy, 9999))
    left = (leave < out_year) | ((leave == out_year) & (p.leave_k[idx] < 179) &
                                  ((plan != 3) | (p.leave_k[idx] < p.drop_k[idx])))
    left &= leave <= y1
    # outcome codes: GRADUATED 0, DROPPED_OUT 1, STILL_ENROLLED 2, TRANSFERRED_OUT 3, DECEASED 4, OTHER_COMPLETER 5
    known = out_year <= y1
    outcome = np.where(plan <= 2, np.where(p.other_completer[idx], 5, 0), np.where(plan == 3, 1, 2))
    outcome = np.where(known, outcome, 2)
    outcome = np.where(left, np.where(p.deceased[idx], 4, 3), outcome)
    leave_day = day_to_date(np.minimum(leave, 2100), np.minimum(p.leave_k[idx], 179))
    odate = np.select([left, (outcome == 0) | (outcome == 5), outcome == 1],
                      [leave_day, sy_end(gy), day_to_date(dy, p.drop_k[idx])], -1)
    oyear = np.select([left, (outcome == 0) | (outcome == 5), outcome == 1],
                      [leave, gy, dy], np.minimum(y1, ci + 2))
    yto = np.clip(oyear - ci + 4, 4, 6)
    return {"idx": idx, "ci": ci, "outcome": outcome, "odate": odate, "yto": yto, "last_seen": last_seen[idx]}


def _fit_population(rng: np.random.Generator, p: People, students: int, y0: int, y1: int) -> People:
    """Thin the generated people so that enrollment per school year is about `students`."""
    p.hs_plan = np.zeros(p.n, dtype=np.int8)
    p.drop_t = np.zeros(p.n, dtype=np.int64)
    p.drop_k = np.zeros(p.n, dtype=np.int64)
    p.other_completer = np.zeros(p.n, dtype=bool)
    mean_active = np.mean([len(year_state(p, y).idx) for y in range(y0, y1 + 1)])
    ratio = min(1.0, students / max(mean_active, 1.0))
    keep = rng.random(p.n) < ratio
    return _subset_people(p, keep)


class Progress:
    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.t0 = time.perf_counter()

    def __call__(self, msg: str) -> None:
        if self.enabled:
            import resource

            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            try:
                cur = int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
            except OSError:
                cur = 0
            print(f"[{time.perf_counter() - self.t0:6.1f}s, peak {peak:,.0f} MB cur {cur:,.0f}] {msg}", file=sys.stderr, flush=True)


def generate_drop(out: Path, *, students: int, years: str = "2021-2024", seed: int = 1, noise: str = "default",
                  progress: bool | Callable[[str], None] = False) -> dict[str, int]:
    """Write out/drop/<every contract file>.csv and out/truth/{person_xref,identity_noise}.csv.

    Returns the number of rows written per file. Deterministic for a seed.
    """
    if noise not in NOISE_LEVELS:
        raise ValueError(f"noise must be one of {NOISE_LEVELS}, got {noise!r}")
    if students < 50:
        raise ValueError("students must be at least 50")
    y0, y1 = parse_years(years)
    log = progress if callable(progress) else Progress(bool(progress))
    out = Path(out)
    drop_dir = out / "drop"
    truth_dir = out / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    contract = load_contract()
    T = contract.tables
    rng = np.random.default_rng(seed)
    xday = extract_date(y1)

    geo = load_geography(students)
    p = make_people(rng, geo, students, y0, y1)
    p = _fit_population(rng, p, students, y0, y1)
    log(f"population: {p.n:,} people, {len(geo.school_code):,} schools in {len(geo.district_code)} districts")
    cy = make_cyfd(rng, p, y0, y1, xday)
    _plan_high_school(rng, p, cy, y0, y1)
    log(f"CYFD: {len(cy.reports['person']):,} PS reports, {len(cy.referrals['person']):,} JJS referrals")

    # who is in each system
    states = {y: year_state(p, y) for y in range(y0, y1 + 1)}
    years_in = np.zeros(p.n, dtype=np.int64)
    for st in states.values():
        years_in[st.idx] += 1
    cohorts = _cohort_outcomes(p, y0, y1)
    # cohort members who left before the first loaded year still have a student id
    ped_people = np.union1d(np.flatnonzero(years_in > 0), cohorts["idx"])
    cyfd_people = np.unique(np.concatenate([cy.reports["person"], cy.referrals["person"]]))

    # AOC cases (decided before the records so that parties exist)
    cases = _make_cases(rng, p, geo, cy, xday)
    aoc_people = np.unique(cases["person"])

    # identity records
    alias_rows, alias_last = make_aliases(rng, p, cyfd_people, noise)
    ped1 = make_records(rng, p, ped_people, "PED", noise, alias_last)
    multi = ped_people[years_in[ped_people] >= 2]
    two = np.sort(multi[rng.random(len(multi)) < 0.003 * len(ped_people) / max(len(multi), 1)])
    ped2 = make_records(rng, p, two, "PED", noise, alias_last)
    for lst in ped2.noise:
        lst.insert(0, "second_ped_id")
    ped = _concat_records(ped1, ped2)
    ped_sid = _unique_ids(rng, len(ped), 100_000_000, 999_999_999)
    rec1 = np.full(p.n, -1, dtype=np.int64)
    rec1[ped_people] = np.arange(len(ped1))
    rec2 = np.full(p.n, -1, dtype=np.int64)
    rec2[two] = len(ped1) + np.arange(len(two))
    switch = np.full(p.n, 9999, dtype=np.int64)
    # the second id starts in one of the person's later years
    first_year = np.full(p.n, 9999, dtype=np.int64)
    last_year = np.full(p.n, -1, dtype=np.int64)
    for y, st in states.items():
        first_year[st.idx] = np.minimum(first_year[st.idx], y)
        last_year[st.idx] = np.maximum(last_year[st.idx], y)
    switch[two] = first_year[two] + 1 + (rng.random(len(two)) * (last_year[two] - first_year[two])).astype(np.int64)
    # half of them get the new id when they re-enroll during that year (both ids in one school year)
    mid_switch = np.zeros(p.n, dtype=bool)
    mid_switch[two] = rng.random(len(two)) < 0.5
    cyfd = make_records(rng, p, cyfd_people, "CYFD", noise)
    for i in np.flatnonzero(np.isin(cyfd_people, alias_rows["person"])):
        cyfd.noise[i].append("alias")
    cyfd_pid = _unique_ids(rng, len(cyfd), 10_000_000, 99_999_999)
    cyfd_of = np.full(p.n, -1, dtype=np.int64)
    cyfd_of[cyfd_people] = np.arange(len(cyfd_people))
    aoc = make_records(rng, p, aoc_people, "AOC", noise, alias_last)
    aoc_pid = _unique_ids(rng, len(aoc), 10_000_000, 99_999_999)
    aoc_of = np.full(p.n, -1, dtype=np.int64)
    aoc_of[aoc_people] = np.arange(len(aoc_people))
    log(f"records: {len(ped):,} PED ids, {len(cyfd):,} CYFD clients, {len(aoc):,} AOC parties")

    w = DropWriter(drop_dir)
    try:
        _write_cyfd(w, T, rng, p, geo, cy, cyfd, cyfd_pid, cyfd_of, alias_rows, xday)
        _write_aoc(w, T, p, geo, cases, aoc, aoc_pid, aoc_of)
        log("CYFD and AOC files written")
        _write_ped(w, T, rng, p, geo, cy, states, ped, ped_sid, rec1, rec2, switch, mid_switch, y0, y1, log)
        _write_cohorts(w, T, p, geo, cohorts, ped_sid, rec1, rec2, switch, y0)
        rows = dict(w.rows)
    finally:
        w.close()
    _write_truth(truth_dir, [("CYFD", cyfd, [f"C{x:08d}" for x in cyfd_pid.tolist()]),
                             ("PED", ped, [f"{x:09d}" for x in ped_sid.tolist()]),
                             ("AOC", aoc, [f"P{x:08d}" for x in aoc_pid.tolist()])])
    log(f"done: {sum(rows.values()):,} rows in {len(rows)} files")
    return rows


def _concat_records(a: Records, b: Records) -> Records:
    return Records(
        person=np.concatenate([a.person, b.person]),
        first=np.concatenate([a.first, b.first]), middle=np.concatenate([a.middle, b.middle]),
        last=np.concatenate([a.last, b.last]), suffix=np.concatenate([a.suffix, b.suffix]),
        birth=np.concatenate([a.birth, b.birth]), sex=np.concatenate([a.sex, b.sex]),
        ssn=np.concatenate([a.ssn, b.ssn]), noise=a.noise + b.noise)


def _ssn_array(ssn: np.ndarray) -> pa.Array:
    return zero_padded(np.maximum(ssn, 0), 9, null=ssn < 0)


def _make_cases(rng: np.random.Generator, p: People, geo: Geography, cy: CyfdData, xday: int) -> dict:
    """Children's court cases: abuse/neglect for most custody episodes, delinquency for petitions, some FINS."""
    pl = cy.placements
    # one abuse/neglect case per custody episode (first placement of each episode)
    ep_first, ep_last = _episodes(pl)
    an = ep_first[rng.random(len(ep_first)) < 0.92]
    an_last = ep_last[np.isin(ep_first, an)]
    an_file = pl["removal"][an] + rng.integers(1, 6, size=len(an))
    an_close = np.where(pl["open"][an_last], -1, pl["end"][an_last] + rng.integers(10, 90, size=len(an)))
    parts = [dict(person=pl["person"][an], type=np.zeros(len(an), dtype=np.int64), file=an_file, close=an_close,
                  county=pl["county"][an])]
    rf = cy.referrals
    pet = np.flatnonzero(rf["disposition"] == 1)
    pet = pet[rng.random(len(pet)) < 0.85]
    f = rf["day"][pet] + rng.integers(10, 45, size=len(pet))
    cl = f + rng.integers(60, 500, size=len(pet))
    parts.append(dict(person=rf["person"][pet], type=np.ones(len(pet), dtype=np.int64), file=f,
                      close=np.where(cl > xday, -1, cl), county=rf["county"][pet]))
    rp = cy.reports
    fins = np.flatnonzero(rng.random(len(rp["person"])) < 0.02)
    f = rp["day"][fins] + rng.integers(5, 60, size=len(fins))
    cl = f + rng.integers(60, 300, size=len(fins))
    parts.append(dict(person=rp["person"][fins], type=np.full(len(fins), 2), file=f,
                      close=np.where(cl > xday, -1, cl), county=rp["county"][fins]))
    # families in need (truancy, running away) filed without any CYFD case, more often for
    # children outside public school: court parties that neither CYFD nor PED know
    from .cyfd import age_on

    for y in cy.years:
        start, end = int(ymd(y - 1, 7, 1)), min(int(ymd(y, 6, 30)), xday)
        if start > xday:
            break
        age = age_on(p.birth, ymd(y - 1, 9, 1))
        in_nm = (y >= p.nm_from) & (y <= p.leave_sy)
        who = np.flatnonzero(in_nm & (age >= 10) & (age <= 17) &
                             (rng.random(p.n) < np.where(p.private, 0.01, 0.0008)))
        f = start + (rng.random(len(who)) * (end - start)).astype(np.int64)
        cl = f + rng.integers(60, 300, size=len(who))
        parts.append(dict(person=who, type=np.full(len(who), 2), file=f, close=np.where(cl > xday, -1, cl),
                          county=p.county[who]))
    cases = {k: np.concatenate([q[k] for q in parts]) for k in parts[0]}
    keep = cases["file"] <= xday
    cases = {k: v[keep] for k, v in cases.items()}
    o = np.lexsort((cases["person"], cases["file"]))
    cases = {k: v[o] for k, v in cases.items()}
    # case numbers: D-<district><court>-<JQ|JR|JF>-<year>-<sequence per court, type and year>
    jd = geo.judicial_district[cases["county"]]
    court = jd * 100 + 1 + (cases["county"] % 17)
    fy, _, _ = split_date(cases["file"])
    grp = (court * 10 + cases["type"]) * 10000 + fy
    o2 = np.lexsort((cases["file"], grp))
    seq = np.zeros(len(grp), dtype=np.int64)
    g_sorted = grp[o2]
    starts = np.r_[0, np.flatnonzero(np.diff(g_sorted)) + 1]
    run = np.arange(len(g_sorted)) - np.repeat(starts, np.diff(np.r_[starts, len(g_sorted)]))
    seq[o2] = run + 1
    cases["court"] = court
    cases["jd"] = jd
    cases["year"] = fy
    cases["seq"] = seq
    return cases


def _write_cyfd(w: DropWriter, T, rng, p: People, geo: Geography, cy: CyfdData, rec: Records, pid: np.ndarray, cyfd_of: np.ndarray,
                alias_rows: dict, xday: int) -> None:
    pid_str = zero_padded(pid, 8, "C")
    race = np.array(ETHNICITIES, dtype=object)[p.eth[rec.person]]
    race = np.where(rng.random(len(rec)) < 0.04, "UNKNOWN", race)
    w.write(T["cyfd_person"], {
        "person_id": pid_str,
        "first_name": str_array(rec.first), "middle_name": str_array(rec.middle),
        "last_name": str_array(rec.last), "name_suffix": str_array(rec.suffix),
        "birth_date": date_array(rec.birth),
        "sex": fixed_codes(("M", "F", "U"), rec.sex),
        "ssn": _ssn_array(rec.ssn),
        "race_ethnicity": str_array(race),
    })
    a_idx = cyfd_of[np.asarray(alias_rows["person"], dtype=np.int64)] if alias_rows["person"] else np.zeros(0, np.int64)
    ab = np.array([b if b is not None else 0 for b in alias_rows["birth"]], dtype=np.int64)
    w.write(T["cyfd_person_alias"], {
        "person_id": take(pid_str, a_idx),
        "first_name": str_array(alias_rows["first"]), "last_name": str_array(alias_rows["last"]),
        "birth_date": date_array(ab, null=np.array([b is None for b in alias_rows["birth"]], dtype=bool)),
    })
    fips = pa.array(geo.county_fips)
    r = cy.reports
    w.write(T["cyfd_ps_report"], {
        "report_id": zero_padded(np.arange(1, len(r["person"]) + 1) + 3_000_000, 8, "R"),
        "person_id": take(pid_str, cyfd_of[r["person"]]),
        "report_date": date_array(r["day"]),
        "allegation": fixed_codes(("NEGLECT", "PHYSICAL_ABUSE", "SEXUAL_ABUSE", "EMOTIONAL_ABUSE"), r["allegation"]),
        "finding": fixed_codes(("SUBSTANTIATED", "UNSUBSTANTIATED", "PENDING"), r["finding"]),
        "county_fips": take(fips, r["county"]),
    })
    pl = cy.placements
    w.write(T["cyfd_ps_placement"], {
        "placement_id": zero_padded(np.arange(1, len(pl["person"]) + 1) + 5_000_000, 8, "L"),
        "person_id": take(pid_str, cyfd_of[pl["person"]]),
        "removal_date": date_array(pl["removal"]),
        "start_date": date_array(pl["start"]),
        "end_date": date_array(pl["end"], null=pl["open"]),
        "placement_type": fixed_codes(T["cyfd_ps_placement"].column("placement_type").codes, pl["type"]),
        "end_reason": fixed_codes(T["cyfd_ps_placement"].column("end_reason").codes, pl["end_reason"]),
        "county_fips": take(fips, pl["county"]),
    })
    rf = cy.referrals
    w.write(T["cyfd_jjs_referral"], {
        "referral_id": zero_padded(np.arange(1, len(rf["person"]) + 1) + 7_000_000, 8, "J"),
        "person_id": take(pid_str, cyfd_of[rf["person"]]),
        "referral_date": date_array(rf["day"]),
        "offense_category": fixed_codes(T["cyfd_jjs_referral"].column("offense_category").codes, rf["category"]),
        "offense_level": fixed_codes(T["cyfd_jjs_referral"].column("offense_level").codes, rf["level"]),
        "disposition": fixed_codes(T["cyfd_jjs_referral"].column("disposition").codes, rf["disposition"]),
        "county_fips": take(fips, rf["county"]),
    })
    sp = cy.supervisions
    w.write(T["cyfd_jjs_supervision"], {
        "supervision_id": zero_padded(np.arange(1, len(sp["person"]) + 1) + 8_000_000, 8, "V"),
        "person_id": take(pid_str, cyfd_of[sp["person"]]),
        "supervision_type": fixed_codes(T["cyfd_jjs_supervision"].column("supervision_type").codes, sp["type"]),
        "start_date": date_array(sp["start"]),
        "end_date": date_array(sp["end"], null=sp["open"]),
        "county_fips": take(fips, sp["county"]),
    })
    _write_access(w, T, rng, p, cy, pid_str, cyfd_of, xday)


def _write_access(w: DropWriter, T, rng, p: People, cy: CyfdData, pid_str, cyfd_of, xday: int) -> None:
    """cyfd_caseload (PS caseworkers, juvenile probation officers, supervisors) and cyfd_release."""
    parts = []
    # PS caseworkers: an investigation worker per report, a permanency worker per custody episode
    r = cy.reports
    n_ps = max(3, len(np.unique(r["person"])) // 20)
    n_jpo = max(2, len(np.unique(cy.referrals["person"])) // 25)
    n_sup = max(2, (n_ps + n_jpo) // 7)
    ps_staff = 100000 + np.arange(n_ps)
    jpo_staff = 300000 + np.arange(n_jpo)
    sup_staff = 500000 + np.arange(n_sup)
    inv_end = r["day"] + rng.integers(20, 75, size=len(r["person"]))
    parts.append((ps_staff[rng.integers(0, n_ps, len(r["person"]))], 0, r["person"], r["day"],
                  np.where(inv_end > xday, -1, inv_end)))
    pl = cy.placements
    ep, ep_last = _episodes(pl)
    last_end = np.where(pl["open"][ep_last], -1, pl["end"][ep_last])
    start = pl["removal"][ep]
    # a caseworker change half way through some episodes
    change = (rng.random(len(ep)) < 0.4)
    mid = start + np.where(last_end >= 0, (last_end - start) // 2, (xday - start) // 2)
    w1 = ps_staff[rng.integers(0, n_ps, len(ep))]
    w2 = ps_staff[rng.integers(0, n_ps, len(ep))]
    parts.append((w1, 0, pl["person"][ep], start, np.where(change, mid, last_end)))
    parts.append((w2[change], 0, pl["person"][ep][change], mid[change] + 1, last_end[change]))
    sv = sup_staff[rng.integers(0, n_sup, len(ep))]
    parts.append((sv, 2, pl["person"][ep], start, last_end))
    # juvenile probation officers for probation and parole
    sp = cy.supervisions
    pp = np.flatnonzero(np.isin(sp["type"], [1, 3]))
    parts.append((jpo_staff[rng.integers(0, n_jpo, len(pp))], 1, sp["person"][pp], sp["start"][pp],
                  np.where(sp["open"][pp], -1, sp["end"][pp])))
    parts.append((sup_staff[rng.integers(0, n_sup, len(pp))], 2, sp["person"][pp], sp["start"][pp],
                  np.where(sp["open"][pp], -1, sp["end"][pp])))
    # future assignments (start after the extract date): new workers for some open cases
    fut_p = np.unique(np.concatenate([sp["person"][pp][sp["open"][pp]], pl["person"][ep][last_end < 0]]))
    fut_p = fut_p[rng.random(len(fut_p)) < 0.08]
    is_jj = np.isin(fut_p, sp["person"][pp])
    parts.append((np.where(is_jj, jpo_staff[rng.integers(0, n_jpo, len(fut_p))], ps_staff[rng.integers(0, n_ps, len(fut_p))]),
                  is_jj.astype(np.int64), fut_p, xday + rng.integers(1, 30, len(fut_p)), np.full(len(fut_p), -1)))
    staff = np.concatenate([q[0] for q in parts])
    role = np.concatenate([np.broadcast_to(np.asarray(q[1]), len(q[0])) for q in parts]).astype(np.int64)
    person = np.concatenate([q[2] for q in parts])
    st = np.concatenate([q[3] for q in parts])
    en = np.concatenate([q[4] for q in parts])
    en = np.where((en >= 0) & (en < st), st, en)
    o = np.lexsort((st, person, staff))
    staff, role, person, st, en = staff[o], role[o], person[o], st[o], en[o]
    dup = np.r_[False, (staff[1:] == staff[:-1]) & (person[1:] == person[:-1]) & (st[1:] == st[:-1])]
    staff, role, person, st, en = staff[~dup], role[~dup], person[~dup], st[~dup], en[~dup]
    w.write(T["cyfd_caseload"], {
        "staff_id": zero_padded(staff, 6, "S"),
        "staff_role": fixed_codes(T["cyfd_caseload"].column("staff_role").codes, role),
        "person_id": take(pid_str, cyfd_of[person]),
        "start_date": date_array(st),
        "end_date": date_array(np.maximum(en, 0), null=en < 0),
    })
    # releases for youth on probation or parole
    rel = pp[rng.random(len(pp)) < 0.75]
    who = sp["person"][rel]
    signed = sp["start"][rel] + rng.integers(0, 20, len(rel))
    keep = signed <= xday
    who, signed = who[keep], signed[keep]
    age18 = ymd(*_plus_years(p.birth[who], 18))
    adult = signed >= age18
    custody_kid = np.isin(who, pl["person"])
    # PARENT 0, GUARDIAN 1, YOUTH_18_PLUS 2; some parents still sign after the youth turned 18
    by = np.where(adult, np.where(rng.random(len(who)) < 0.25, 0, 2),
                  np.where(custody_kid | (rng.random(len(who)) < 0.12), 1, 0))
    expiry = signed + 365
    revoked = np.where(rng.random(len(who)) < 0.07, signed + rng.integers(10, 300, len(who)), -1)
    revoked = np.where(revoked > xday, -1, revoked)
    scope = (rng.random(len(who)) < 0.18).astype(np.int64)
    w.write(T["cyfd_release"], {
        "release_id": zero_padded(np.arange(1, len(who) + 1) + 900_000, 7, "E"),
        "person_id": take(pid_str, cyfd_of[who]),
        "signed_by": fixed_codes(T["cyfd_release"].column("signed_by").codes, by),
        "signed_date": date_array(signed),
        "expiration_date": date_array(expiry),
        "revoked_date": date_array(np.maximum(revoked, 0), null=revoked < 0),
        "scope": fixed_codes(T["cyfd_release"].column("scope").codes, scope),
    })


def _episodes(pl: dict) -> tuple[np.ndarray, np.ndarray]:
    """First and last placement index of each custody episode (placements are stored episode by episode)."""
    first = np.flatnonzero(pl["start"] == pl["removal"])
    last = np.r_[first[1:], len(pl["start"])].astype(np.int64) - 1 if len(first) else first
    return first, last


def _plus_years(days, k):
    y, m, d = split_date(days)
    return y + k, m, np.where((m == 2) & (d == 29), 28, d)


def _write_aoc(w: DropWriter, T, p: People, geo: Geography, cases: dict, rec: Records, pid: np.ndarray,
               aoc_of: np.ndarray) -> None:
    party = zero_padded(pid, 8, "P")
    w.write(T["aoc_party"], {
        "party_id": party,
        "first_name": str_array(rec.first), "middle_name": str_array(rec.middle),
        "last_name": str_array(rec.last), "name_suffix": str_array(rec.suffix),
        "birth_date": date_array(rec.birth),
        "sex": fixed_codes(("M", "F", "U"), rec.sex),
    })
    tcode = np.array(["JQ", "JR", "JF"], dtype=object)[cases["type"]]
    number = [f"D-{c}-{t}-{y}-{s:05d}" for c, t, y, s in zip(cases["court"], tcode, cases["year"], cases["seq"])]
    fips = pa.array(geo.county_fips)
    w.write(T["aoc_case"], {
        "case_number": str_array(number),
        "party_id": take(party, aoc_of[cases["person"]]),
        "case_type": fixed_codes(T["aoc_case"].column("case_type").codes, cases["type"]),
        "filing_date": date_array(cases["file"]),
        "closed_date": date_array(np.maximum(cases["close"], 0), null=cases["close"] < 0),
        "county_fips": take(fips, cases["county"]),
        "judicial_district": pa.array(cases["jd"].astype(np.int64)),
    })


def _ped_person_codes(p: People) -> tuple[np.ndarray, np.ndarray]:
    """PED hispanic flag and race per person."""
    hisp = p.eth == 0
    u = (p.slot % 1009) / 1009.0
    race_of_eth = np.array(["WHITE", "AMERICAN_INDIAN", "WHITE", "BLACK", "ASIAN", "PACIFIC_ISLANDER", "MULTIRACIAL"],
                           dtype=object)
    race = race_of_eth[p.eth]
    race = np.where(hisp & (u < 0.12), "MULTIRACIAL", np.where(hisp & (u > 0.93), "AMERICAN_INDIAN", race))
    return hisp, race


def _write_ped(w: DropWriter, T, rng, p: People, geo: Geography, cy: CyfdData, states: dict, ped: Records,
               sid: np.ndarray, rec1, rec2, switch, mid_switch, y0: int, y1: int, log) -> None:
    sid_str = zero_padded(sid, 9)
    first, middle = str_array(ped.first), str_array(ped.middle)
    last, suffix = str_array(ped.last), str_array(ped.suffix)
    birth = date_array(ped.birth)
    gender = fixed_codes(("M", "F", "X"), ped.sex)
    ssn = _ssn_array(ped.ssn)
    hisp, race = _ped_person_codes(p)
    race_rec = str_array(race[ped.person])
    hisp_rec = fixed_codes(("N", "Y"), hisp[ped.person].astype(np.int64))
    school_code = pa.array(geo.school_code)
    district_code = pa.array(geo.district_code)
    yn = ("N", "Y")
    for y in range(y0, y1 + 1):
        st = states[y]
        yi = y - cy.years[0]
        cat = cy.ps_flag[st.idx, yi].astype(np.int64) + 2 * cy.jj_flag[st.idx, yi]
        # id before / after this year's switch (the same unless the second id starts mid-year)
        has2 = rec2[st.idx] >= 0
        rec_b = np.where(has2 & (y >= switch[st.idx]), rec2[st.idx], rec1[st.idx])
        split = has2 & (y == switch[st.idx]) & mid_switch[st.idx]
        rec_a = np.where(split, rec1[st.idx], rec_b)
        rows = year_rows(rng, p, geo, y, st, cat, split)
        s = rows.snapshot
        r = np.where(s["part"], rec_b[s["sy"]], rec_a[s["sy"]])
        w.write_part(T["ped_student_snapshot"], {
            "school_year": np.full(len(r), y, dtype=np.int64),
            "snapshot": fixed_codes(("40D", "80D", "120D", "EOY"), s["snapshot"]),
            "student_id": take(sid_str, r),
            "district_code": take(district_code, geo.school_district[s["school"]]),
            "school_code": take(school_code, s["school"]),
            "first_name": take(first, r), "middle_name": take(middle, r), "last_name": take(last, r),
            "name_suffix": take(suffix, r), "birth_date": take(birth, r), "gender": take(gender, r),
            "ssn": take(ssn, r), "hispanic": take(hisp_rec, r), "race": take(race_rec, r),
            "grade_level": fixed_codes(GRADE_CODES, s["grade"] + 1),
            "special_ed": fixed_codes(yn, s["special_ed"].astype(np.int64)),
            "primary_disability": fixed_codes(DISABILITIES, s["disability"]),
            "gifted": fixed_codes(yn, s["gifted"].astype(np.int64)),
            "english_learner": fixed_codes(yn, s["el"].astype(np.int64)),
            "econ_disadvantaged": fixed_codes(yn, s["econ"].astype(np.int64)),
            "section_504": fixed_codes(yn, s["s504"].astype(np.int64)),
            "homeless": fixed_codes(yn, s["homeless"].astype(np.int64)),
        })
        e = rows.enrollment
        r = np.where(e["part"], rec_b[e["sy"]], rec_a[e["sy"]])
        w.write_part(T["ped_enrollment"], {
            "school_year": np.full(len(r), y, dtype=np.int64),
            "student_id": take(sid_str, r),
            "district_code": take(district_code, geo.school_district[e["school"]]),
            "school_code": take(school_code, e["school"]),
            "entry_date": date_array(day_to_date(y, e["start"])),
            "exit_date": date_array(day_to_date(y, e["end"]), null=e["exit_open"]),
            "exit_code": fixed_codes(T["ped_enrollment"].column("exit_code").codes, e["exit_code"]),
        })
        a = rows.attendance
        r = np.where(a["part"], rec_b[a["sy"]], rec_a[a["sy"]])
        w.write_part(T["ped_attendance"], {
            "school_year": np.full(len(r), y, dtype=np.int64),
            "student_id": take(sid_str, r),
            "school_code": take(school_code, a["school"]),
            "days_enrolled": a["enrolled"], "days_present": a["present"],
            "days_excused": a["excused"], "days_unexcused": a["unexcused"],
        })
        d = rows.discipline
        r = np.where(d["part"], rec_b[d["sy"]], rec_a[d["sy"]])
        w.write_part(T["ped_discipline"], {
            "school_year": np.full(len(r), y, dtype=np.int64),
            "incident_id": zero_padded(d["incident"] + 1, 7, f"I{y}"),
            "student_id": take(sid_str, r),
            "school_code": take(school_code, d["school"]),
            "incident_date": date_array(day_to_date(y, d["day"])),
            "infraction": fixed_codes(T["ped_discipline"].column("infraction").codes, d["infraction"]),
            "response": fixed_codes(T["ped_discipline"].column("response").codes, d["response"]),
            "response_days": d["response_days"],
        })
        t = rows.assessment
        r = np.where(t["part"], rec_b[t["sy"]], rec_a[t["sy"]])
        w.write_part(T["ped_assessment"], {
            "school_year": np.full(len(r), y, dtype=np.int64),
            "student_id": take(sid_str, r),
            "school_code": take(school_code, t["school"]),
            "test": fixed_codes(("NM_MSSA", "NM_ASR", "SAT"), t["test"]),
            "subject": fixed_codes(("ELA", "MATH", "SCIENCE"), t["subject"]),
            "grade_tested": fixed_codes(GRADE_CODES, t["grade"] + 1),
            "scale_score": t["score"],
            "performance_level": t["level"],
        })
        log(f"PED {y}: {len(st.idx):,} students, {len(s['sy']):,} snapshot rows")
        del rows, s, e, a, d, t, r, rec_a, rec_b, split, cat  # free this year's rows before the next year is built
    for name in ("ped_student_snapshot", "ped_enrollment", "ped_attendance", "ped_discipline", "ped_assessment"):
        w.finish(T[name])


def _write_cohorts(w: DropWriter, T, p: People, geo: Geography, co: dict, sid: np.ndarray, rec1, rec2, switch,
                   y0: int) -> None:
    idx, ci, outcome, odate, yto = co["idx"], co["ci"], co["outcome"], co["odate"], co["yto"]
    # student id: the id in use in the last year seen (the second id once switched)
    ls = np.maximum(co["last_seen"], y0)
    r = np.where((rec2[idx] >= 0) & (ls >= switch[idx]), rec2[idx], rec1[idx])
    ok = r >= 0
    idx, ci, outcome, odate, yto, r = idx[ok], ci[ok], outcome[ok], odate[ok], yto[ok], r[ok]
    o = np.lexsort((sid[r], ci))
    idx, ci, outcome, odate, yto, r = idx[o], ci[o], outcome[o], odate[o], yto[o], r[o]
    w.write(T["ped_graduation_cohort"], {
        "cohort_year": ci.astype(np.int64),
        "student_id": zero_padded(sid[r], 9),
        "district_code": take(pa.array(geo.district_code), p.district[idx]),
        "outcome": fixed_codes(T["ped_graduation_cohort"].column("outcome").codes, outcome),
        "outcome_date": date_array(np.maximum(odate, 0), null=odate < 0),
        "years_to_outcome": yto.astype(np.int64),
    })


def _write_truth(truth_dir: Path, systems: list[tuple[str, Records, list[str]]]) -> None:
    """truth/person_xref.csv (true_id, system, system_id) and truth/identity_noise.csv."""
    import csv

    with (truth_dir / "person_xref.csv").open("w", newline="", encoding="utf-8") as fx, \
            (truth_dir / "identity_noise.csv").open("w", newline="", encoding="utf-8") as fn:
        wx = csv.writer(fx, lineterminator="\n")
        wn = csv.writer(fn, lineterminator="\n")
        wx.writerow(["true_id", "system", "system_id"])
        wn.writerow(["system", "system_id", "noise"])
        for system, rec, ids in systems:
            true_ids = [f"T{x:08d}" for x in rec.person.tolist()]
            wx.writerows(zip(true_ids, [system] * len(rec), ids))
            wn.writerows(zip([system] * len(rec), ids, [";".join(n) if n else "none" for n in rec.noise]))
