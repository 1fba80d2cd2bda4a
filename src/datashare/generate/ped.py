"""PED (STARS) rows of one school year: snapshots, enrollment stays, attendance, discipline, assessments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calibration import category_rates
from .population import SNAPSHOT_DAYS, TEST_DAY, Geography, People, YearState, grade_band, inv_norm

DISABILITIES = ("SLD", "SLI", "OHI", "AU", "ED", "ID", "DD", "MD", "HI", "OI", "VI", "TBI")
DISABILITY_P = np.array([0.36, 0.18, 0.15, 0.10, 0.06, 0.05, 0.04, 0.02, 0.015, 0.01, 0.01, 0.005])


def thresholds(measure: str, cat: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Per-row threshold on the latent `z` giving each involvement category exactly its calibrated rate.

    Thresholds are quantiles of `z` within the category, because the latent
    propensities are correlated with involvement (a plain normal cut would
    overshoot for the involved groups).
    """
    counts = np.bincount(cat, minlength=4)
    rates = category_rates(measure, counts)
    thr = np.zeros(4)
    for c in range(4):
        zc = z[cat == c]
        if len(zc):
            thr[c] = np.quantile(zc, 1.0 - rates[c]) if rates[c] < 1 else -np.inf
    return thr[cat]


@dataclass
class YearRows:
    snapshot: dict
    enrollment: dict
    attendance: dict
    discipline: dict
    assessment: dict


def year_rows(rng: np.random.Generator, p: People, geo: Geography, y: int, st: YearState, cat: np.ndarray,
              split: np.ndarray) -> YearRows:
    """All PED rows of school year y (`sy` = index into `st.idx`).

    `cat` is the involvement category per enrolled person. `split` marks the
    students who get their second PED id during this year: they leave and
    re-enroll (at the same school, unless they move anyway) and every row from
    the second stay on carries `part` 1 (the second id); all other rows part 0.
    """
    n = len(st.idx)
    pi = st.idx
    band = grade_band(st.grade)
    d = p.district[pi]
    home = geo.band_start[d, band] + p.slot[pi] % geo.band_count[d, band]

    # --- mobility: stays at two or more schools
    z_mob = 0.6 * p.z["mobility"][pi] + 0.8 * rng.standard_normal(n)
    length = st.k_out - st.k_in + 1
    z_mob = np.where(length >= 30, z_mob, -np.inf)  # too short a stay to split
    mobile = z_mob > thresholds("mobility_rate", cat, z_mob)
    m = np.ones(n, dtype=np.int64)
    m[mobile] = rng.choice([2, 3, 4], size=int(mobile.sum()), p=[0.7, 0.22, 0.08])
    reentry_only = (~mobile) & ((rng.random(n) < 0.02) | split) & (length >= 40)
    m[reentry_only] = 2
    sy = np.repeat(np.arange(n), m)
    j = np.arange(len(sy)) - np.repeat(np.cumsum(m) - m, m)
    mm = m[sy]
    L = length[sy]
    jit = (rng.random(len(sy)) - 0.5) * L / (3 * mm)
    b = st.k_in[sy] + np.floor(L * j / mm + np.where(j > 0, jit, 0)).astype(np.int64)
    last_stay = j == mm - 1
    s_end = np.where(last_stay, st.k_out[sy], np.roll(b, -1) - 1)
    gap = np.where(j > 0, rng.integers(0, 4, size=len(sy)), 0)
    s_start = np.minimum(b + gap, s_end)
    # schools of the stays
    school = home[sy].copy()
    other = j > 0
    oth_d = np.where(rng.random(len(sy)) < 0.5, d[sy], rng.choice(len(geo.district_code), size=len(sy),
                                                                   p=geo.district_weight))
    bb = band[sy]
    alt = geo.band_start[oth_d, bb] + rng.integers(0, 1 << 30, size=len(sy)) % geo.band_count[oth_d, bb]
    clash = alt == home[sy]
    alt = np.where(clash & (geo.band_count[oth_d, bb] > 1),
                   geo.band_start[oth_d, bb] + (alt - geo.band_start[oth_d, bb] + 1) % geo.band_count[oth_d, bb], alt)
    clash = alt == home[sy]
    nd = (oth_d + 1) % len(geo.district_code)
    alt = np.where(clash, geo.band_start[nd, bb], alt)
    school = np.where(other, alt, school)
    # re-entry: back to the first school (A, B, A) or the same school after a gap (A, A)
    first_idx = np.repeat(np.cumsum(m) - m, m)
    back = (j == 2) & (rng.random(len(sy)) < 0.3)
    school = np.where(back, school[first_idx], school)
    rs = reentry_only[sy] & (j == 1)
    school = np.where(rs, school[first_idx], school)
    # no two consecutive stays at the same school except the deliberate re-entry
    prev_same = (j > 0) & (school == np.roll(school, 1)) & ~rs
    school = np.where(prev_same, home[sy], school)
    prev_same = (j > 0) & (school == np.roll(school, 1)) & ~rs
    school = np.where(prev_same, geo.band_start[nd, bb], school)

    # exit codes: 0 TRANSFER_IN_STATE ... (contract order)
    # TRANSFER_IN_STATE, TRANSFER_OUT_OF_STATE, DROPOUT, GRADUATED, COMPLETED_YEAR, DECEASED, OTHER
    ek = st.exit_kind[sy]
    exit_code = np.where(~last_stay, np.where(rs, 6, 0),
                         np.select([ek == 1, ek == 2, ek == 3, ek == 4, ek == 5], [1, 2, 3, 6, 5], 4))
    exit_open = last_stay & (ek == 0) & (rng.random(len(sy)) < 0.10)
    exit_code = np.where(exit_open, -1, exit_code)
    part = split[sy] & (j >= 1)
    enrollment = {"sy": sy, "part": part, "school": school, "start": s_start, "end": s_end, "exit_code": exit_code,
                  "exit_open": exit_open}

    # --- student characteristics (persistent propensities, calibrated per category)
    z_sped = p.z["sped"][pi]
    sped = z_sped > thresholds("special_ed_rate", cat, z_sped)
    sped &= st.grade >= -1
    dis_u = (p.slot[pi] % 100003) / 100003.0
    disability = np.searchsorted(np.cumsum(DISABILITY_P), dis_u * DISABILITY_P.sum())
    disability = np.minimum(disability, len(DISABILITIES) - 1)
    gifted = (p.z["gifted"][pi] > inv_norm(0.07)) & (st.grade >= 1) & ~((cat > 0) & (rng.random(n) < 0.5))
    hisp = p.eth[pi] == 0
    el = (p.z["el"][pi] + np.where(hisp, 0.5, -0.8) - 0.08 * np.maximum(st.grade, 0)) > inv_norm(0.16)
    econ = (p.z["econ"][pi] + 0.8 * (cat > 0)) > inv_norm(0.62)
    s504 = p.z["s504"][pi] > inv_norm(0.035)
    homeless = (p.z["homeless"][pi] + 0.35 * rng.standard_normal(n) + 0.6 * (cat > 0) + 0.4 * mobile) > inv_norm(0.03)

    # --- snapshots: 40D, 80D, 120D for the stay covering the day; EOY (as in STARS) holds every
    # student enrolled at any time in the year, at the school of their last stay
    snap_parts = []
    for s_i, day in enumerate(SNAPSHOT_DAYS[:3]):
        on = np.flatnonzero((s_start <= day) & (s_end >= day))
        snap_parts.append({"snapshot": np.full(len(on), s_i), "sy": sy[on], "part": part[on], "school": school[on]})
    on = np.flatnonzero(last_stay)
    snap_parts.append({"snapshot": np.full(len(on), 3), "sy": sy[on], "part": part[on], "school": school[on]})
    snap = {k: np.concatenate([sp[k] for sp in snap_parts]) for k in snap_parts[0]}
    order = np.lexsort((snap["snapshot"], snap["sy"]))
    snap = {k: v[order] for k, v in snap.items()}
    s_sy = snap["sy"]
    snapshot = {
        "snapshot": snap["snapshot"], "sy": s_sy, "part": snap["part"], "school": snap["school"], "grade": st.grade[s_sy],
        "special_ed": sped[s_sy], "disability": np.where(sped[s_sy], disability[s_sy], -1), "gifted": gifted[s_sy],
        "el": el[s_sy], "econ": econ[s_sy], "s504": s504[s_sy], "homeless": homeless[s_sy],
    }

    # --- attendance per (student-year, school): pooled over stays at the same school
    days = (s_end - s_start + 1).astype(np.int64)
    n_sch = len(geo.school_code)
    key = (sy * 2 + part) * n_sch + school
    ukey, inv = np.unique(key, return_inverse=True)
    a_days = np.bincount(inv, weights=days).astype(np.int64)
    a_sy = ukey // n_sch // 2
    a_part = (ukey // n_sch) % 2 == 1
    a_school = ukey % n_sch
    z_abs = 0.75 * p.z["absence"][pi] + 0.66 * rng.standard_normal(n)
    chronic = z_abs > thresholds("chronic_absence_rate", cat, z_abs)
    rate = np.where(chronic, 0.105 + 0.40 * rng.beta(1.3, 3.0, size=n), 0.094 * rng.beta(1.6, 2.4, size=n))
    absent = np.round(a_days * rate[a_sy] * 2) / 2
    exc_share = np.select([cat == 0, cat == 1], [0.6, 0.45], 0.3)[a_sy] * rng.uniform(0.6, 1.4, size=len(a_sy))
    excused = np.minimum(np.round(absent * np.clip(exc_share, 0, 1) * 2) / 2, absent)
    attendance = {"sy": a_sy, "part": a_part, "school": a_school, "enrolled": a_days.astype(float),
                  "present": a_days - absent, "excused": excused, "unexcused": absent - excused}

    # --- discipline: out-of-school suspensions calibrated, other incidents and expulsions
    school_age = st.grade >= 1
    z_dis = np.where(school_age, 0.7 * p.z["discipline"][pi] + 0.71 * rng.standard_normal(n), -np.inf)
    oss = z_dis > thresholds("out_of_school_suspension_rate", cat, z_dis)
    other_inc = (rng.random(n) < np.array([0.06, 0.14, 0.25, 0.28])[cat]) & school_age
    expel = (rng.random(n) < np.array([0.0008, 0.004, 0.02, 0.025])[cat]) & (st.grade >= 6)
    n_oss = np.where(oss, 1 + np.minimum(rng.poisson(0.4, n), 4), 0)
    n_oth = np.where(other_inc, 1 + np.minimum(rng.poisson(0.3, n), 4), 0)
    n_exp = expel.astype(np.int64)
    tot = n_oss + n_oth + n_exp
    d_sy = np.repeat(np.arange(n), tot)
    jj_ = np.arange(len(d_sy)) - np.repeat(np.cumsum(tot) - tot, tot)
    kind = np.where(jj_ < n_oss[d_sy], 0, np.where(jj_ < (n_oss + n_oth)[d_sy], 1, 2))
    # response index in the contract order:
    # IN_SCHOOL_SUSPENSION, OUT_OF_SCHOOL_SUSPENSION, EXPULSION, ALTERNATIVE_PLACEMENT, LAW_ENFORCEMENT_REFERRAL, OTHER
    resp = np.where(kind == 0, 1, np.where(kind == 2, 2, rng.choice([0, 3, 4, 5], size=len(d_sy), p=[0.5, 0.08, 0.12, 0.3])))
    infr = np.where(kind == 0, rng.choice(12, size=len(d_sy), p=[0.30, 0.14, 0.08, 0.12, 0.04, 0.02, 0.05, 0.03, 0.03, 0.14, 0.0, 0.05]),
                    rng.choice(12, size=len(d_sy), p=[0.12, 0.04, 0.10, 0.05, 0.02, 0.05, 0.02, 0.05, 0.05, 0.30, 0.12, 0.08]))
    infr = np.where(kind == 2, rng.choice([1, 3, 6], size=len(d_sy)), infr)
    resp_days = np.select([resp == 1, resp == 0, resp == 2, resp == 3],
                          [rng.integers(1, 11, len(d_sy)), rng.integers(1, 4, len(d_sy)),
                           rng.integers(30, 181, len(d_sy)), rng.integers(10, 46, len(d_sy))], 0).astype(float)
    first_stay = np.cumsum(m) - m
    st_i = first_stay[d_sy] + (rng.random(len(d_sy)) * m[d_sy]).astype(np.int64)
    inc_k = s_start[st_i] + (rng.random(len(d_sy)) * (s_end[st_i] - s_start[st_i] + 1)).astype(np.int64)
    inc_school = school[st_i]
    inc_no = np.arange(len(d_sy))
    # shared incidents: a fight or bullying often has a second student of the same school
    shared = np.isin(infr, [0, 1, 2]) & (rng.random(len(d_sy)) < 0.35)
    order_s = np.argsort(school, kind="stable")
    sch_sorted = school[order_s]
    lo = np.searchsorted(sch_sorted, inc_school, side="left")
    hi = np.searchsorted(sch_sorted, inc_school, side="right")
    pick = order_s[np.minimum(lo + (rng.random(len(d_sy)) * (hi - lo)).astype(np.int64), len(order_s) - 1)]
    partner_sy = sy[pick]
    ok = shared & (partner_sy != d_sy) & (s_start[pick] <= inc_k) & (s_end[pick] >= inc_k)
    ps_ = np.flatnonzero(ok)
    discipline = {
        "sy": np.concatenate([d_sy, partner_sy[ps_]]),
        "part": np.concatenate([part[st_i], part[pick][ps_]]),
        "incident": np.concatenate([inc_no, inc_no[ps_]]),
        "school": np.concatenate([inc_school, inc_school[ps_]]),
        "day": np.concatenate([inc_k, inc_k[ps_]]),
        "infraction": np.concatenate([infr, infr[ps_]]),
        # the second student of a shared incident gets a lesser response (in-school suspension)
        "response": np.concatenate([resp, np.where(np.isin(resp[ps_], [1, 2]), 0, resp[ps_])]),
        "response_days": np.concatenate([resp_days, np.where(np.isin(resp[ps_], [1, 2]), 1.0, resp_days[ps_])]),
    }
    # the partner's incident counts for them too; keep (year, incident, student) unique
    o = np.lexsort((discipline["sy"], discipline["incident"]))
    discipline = {k: v[o] for k, v in discipline.items()}

    # --- assessments: enrolled on the testing day
    on = np.flatnonzero((s_start <= TEST_DAY) & (s_end >= TEST_DAY))
    t_sy = sy[on]
    t_part = part[on]
    t_school = school[on]
    g = st.grade[t_sy]
    parts = []
    # test index: NM_MSSA 0, NM_ASR 1, SAT 2; subject: ELA 0, MATH 1, SCIENCE 2
    mssa = (g >= 3) & (g <= 8)
    for subj in (0, 1):
        parts.append((np.flatnonzero(mssa), 0, subj))
        parts.append((np.flatnonzero(g == 11), 2, subj))
    parts.append((np.flatnonzero(np.isin(g, [5, 8, 11])), 1, 2))
    rows_sy, rows_part, rows_school, rows_test, rows_subj = [], [], [], [], []
    for sel, test, subj in parts:
        rows_sy.append(t_sy[sel])
        rows_part.append(t_part[sel])
        rows_school.append(t_school[sel])
        rows_test.append(np.full(len(sel), test))
        rows_subj.append(np.full(len(sel), subj))
    as_sy = np.concatenate(rows_sy)
    as_part = np.concatenate(rows_part)
    as_school = np.concatenate(rows_school)
    as_test = np.concatenate(rows_test)
    as_subj = np.concatenate(rows_subj)
    took = rng.random(len(as_sy)) < np.array([0.96, 0.93, 0.85, 0.84])[cat[as_sy]]
    as_sy, as_part, as_school, as_test, as_subj = as_sy[took], as_part[took], as_school[took], as_test[took], as_subj[took]
    o = np.lexsort((as_subj, as_test, as_sy))
    as_sy, as_part, as_school, as_test, as_subj = as_sy[o], as_part[o], as_school[o], as_test[o], as_subj[o]
    z = 0.8 * p.z["achieve"][pi][as_sy] + 0.6 * rng.standard_normal(len(as_sy))
    thr = np.zeros(len(as_sy))
    for subj, measure in ((0, "proficiency_rate_ela"), (1, "proficiency_rate_math"), (2, "proficiency_rate_science")):
        sel = as_subj == subj
        thr[sel] = thresholds(measure, cat[as_sy[sel]], z[sel])
    # scale scores around the proficiency cut; levels follow the score bands
    dz = z - thr
    is_sat = as_test == 2
    score = np.where(is_sat, 480 + np.floor(dz * 9) * 10, 700 + np.floor(dz * 25))
    score = np.where(is_sat, np.clip(score, 200, 800), np.clip(score, 600, 799)).astype(np.int64)
    cut3 = np.where(is_sat, 480, 700)
    cut2 = np.where(is_sat, 420, 683)
    cut4 = np.where(is_sat, 590, 726)
    level = 1 + (score >= cut2) + (score >= cut3) + (score >= cut4)
    assessment = {"sy": as_sy, "part": as_part, "school": as_school, "test": as_test, "subject": as_subj,
                  "grade": st.grade[as_sy], "score": score, "level": level.astype(np.int64)}
    return YearRows(snapshot, enrollment, attendance, discipline, assessment)
