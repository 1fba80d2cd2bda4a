"""CYFD events of the synthetic population: PS reports and placements, JJS referrals and supervision.

Volumes follow New Mexico at statewide scale (scaled by --students / 310,000):
about 7,600 substantiated reports a year, about 2,000 children in custody at a
time, 5,000-7,000 JJS referrals a year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .population import People, inv_norm, school_year_of, ymd


@dataclass
class Events:
    """Column arrays of one event table (person = person index)."""

    cols: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(next(iter(self.cols.values()))) if self.cols else 0


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    if not parts:
        return {}
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def age_on(birth: np.ndarray, day: np.ndarray) -> np.ndarray:
    return ((np.asarray(day) - birth) / 365.25).astype(np.int64)


@dataclass
class CyfdData:
    reports: dict[str, np.ndarray]
    placements: dict[str, np.ndarray]
    referrals: dict[str, np.ndarray]
    supervisions: dict[str, np.ndarray]
    ps_flag: np.ndarray  # [person, year index] PS-involved
    custody_flag: np.ndarray
    jj_flag: np.ndarray
    years: np.ndarray  # school years of the flag columns


def make_cyfd(rng: np.random.Generator, p: People, y0: int, y1: int, extract_day: int) -> CyfdData:
    years = np.arange(y0 - 4, y1 + 1)
    n = p.n
    # who is ever PS- / JJ-involved (latent propensity above a threshold)
    ps_class = p.z["ps"] > inv_norm(0.17)
    jj_base = np.where(ps_class, 0.20, 0.055) * np.where(p.sex == 0, 1.35, 0.65)
    jj_class = p.z["jj"] > inv_norm(jj_base)
    ps_onset = rng.integers(0, 17, size=n)
    jj_onset = 12 + np.minimum(rng.geometric(0.35, size=n) - 1, 5)

    rep_parts, ref_parts = [], []
    for y in years:
        start = ymd(y - 1, 7, 1)
        end = min(int(ymd(y, 6, 30)), extract_day)
        if start > extract_day:
            break
        age = age_on(p.birth, ymd(y - 1, 9, 1))
        in_nm = (y >= p.nm_from) & (y <= p.leave_sy)
        # PS reports
        elig = ps_class & in_nm & (age >= ps_onset) & (age <= 17) & (age >= -1)
        has = elig & ((age == ps_onset) | (rng.random(n) < 0.30))
        who = np.flatnonzero(has)
        k = 1 + np.minimum(rng.poisson(0.35, size=len(who)), 3)
        who = np.repeat(who, k)
        lo = np.maximum(start, p.birth[who])
        day = lo + (rng.random(len(who)) * np.maximum(end - lo, 1)).astype(np.int64)
        day = np.minimum(day, end)
        ok = day >= p.birth[who]
        rep_parts.append({"person": who[ok], "day": day[ok]})
        # JJS referrals
        elig = jj_class & in_nm & (age >= jj_onset) & (age <= 17)
        has = elig & ((age == jj_onset) | (rng.random(n) < 0.35))
        who = np.flatnonzero(has)
        k = 1 + np.minimum(rng.poisson(0.4, size=len(who)), 4)
        who = np.repeat(who, k)
        day = start + (rng.random(len(who)) * (end - start)).astype(np.int64)
        ref_parts.append({"person": who, "day": day})

    rep = _concat(rep_parts)
    order = np.lexsort((rep["day"], rep["person"]))
    rep = {k: v[order] for k, v in rep.items()}
    m = len(rep["person"])
    rep["allegation"] = rng.choice(4, size=m, p=[0.58, 0.24, 0.06, 0.12])
    recent = rep["day"] > extract_day - 60
    fu = rng.random(m)
    rep["finding"] = np.where(recent & (fu < 0.6), 2, np.where(fu < 0.38, 0, 1))  # 0 SUBST, 1 UNSUBST, 2 PENDING
    rep["county"] = np.where(rng.random(m) < 0.93, p.county[rep["person"]], rng.integers(0, 33, size=m))

    # custody: the first substantiated report may lead to a removal
    subst = np.flatnonzero(rep["finding"] == 0)
    first_sub = subst[np.unique(rep["person"][subst], return_index=True)[1]]
    removed = first_sub[rng.random(len(first_sub)) < 0.33]
    pers = rep["person"][removed]
    removal = rep["day"][removed] + rng.integers(0, 15, size=len(removed))
    length = (rng.gamma(1.6, 330, size=len(removed)) + 20).astype(np.int64)
    age18 = ymd(*[np.asarray(x) for x in _add_years(p.birth[pers], 18)])
    ep_end = np.minimum(removal + length, age18)
    emancipated = ep_end == age18
    ongoing = ep_end > extract_day
    keep = (removal <= extract_day) & (removal < age18 - 30)
    pers, removal, ep_end, emancipated, ongoing = pers[keep], removal[keep], ep_end[keep], emancipated[keep], ongoing[keep]
    k = 1 + np.minimum(rng.poisson(1.0, size=len(pers)), 5)
    ep = np.repeat(np.arange(len(pers)), k)
    j = np.arange(len(ep)) - np.repeat(np.cumsum(k) - k, k)
    kk = k[ep]
    span = np.maximum(np.minimum(ep_end[ep], extract_day) - removal[ep], kk)
    pl_start = removal[ep] + (span * j) // kk
    pl_end = removal[ep] + (span * (j + 1)) // kk - 1
    last = j == kk - 1
    pl_end = np.where(last, ep_end[ep], pl_end)
    pl_open = last & ongoing[ep]
    reason = rng.choice(4, size=len(ep), p=[0.55, 0.22, 0.13, 0.10])  # REUNIF, ADOPTION, GUARDIANSHIP, OTHER
    # codes: REUNIFICATION, ADOPTION, GUARDIANSHIP, EMANCIPATION, PLACEMENT_CHANGE, OTHER
    end_reason = np.where(~last, 4, np.where(emancipated[ep], 3, np.array([0, 1, 2, 5])[reason]))
    end_reason = np.where(pl_open, -1, end_reason)
    place = {
        "person": pers[ep], "removal": removal[ep], "start": pl_start, "end": pl_end, "open": pl_open,
        "type": rng.choice(6, size=len(ep), p=[0.45, 0.30, 0.08, 0.07, 0.06, 0.04]),
        "end_reason": end_reason,
        "county": np.where(rng.random(len(ep)) < 0.9, p.county[pers[ep]], rng.integers(0, 33, size=len(ep))),
    }

    ref = _concat(ref_parts)
    order = np.lexsort((ref["day"], ref["person"]))
    ref = {k: v[order] for k, v in ref.items()}
    m = len(ref["person"])
    cat = rng.choice(6, size=m, p=[0.25, 0.30, 0.12, 0.05, 0.18, 0.10])
    lvl = np.where(cat == 5, 3, rng.choice(3, size=m, p=[0.25, 0.55, 0.20]))
    disp = np.where(cat == 5, np.where(rng.random(m) < 0.8, 0, 2), rng.choice(3, size=m, p=[0.45, 0.35, 0.20]))
    ref.update(category=cat, level=lvl, disposition=disp,
               county=np.where(rng.random(m) < 0.93, p.county[ref["person"]], rng.integers(0, 33, size=m)))

    # supervision following petitions: detention, probation, commitment then parole
    pet = np.flatnonzero(disp == 1)
    sp = []
    det = pet[rng.random(len(pet)) < 0.35]
    sp.append((det, 0, ref["day"][det], rng.integers(1, 22, size=len(det))))
    prob = pet[rng.random(len(pet)) < 0.85]
    sp.append((prob, 1, ref["day"][prob] + rng.integers(20, 60, size=len(prob)), rng.integers(180, 540, size=len(prob))))
    com = pet[rng.random(len(pet)) < 0.06]
    com_start = ref["day"][com] + rng.integers(30, 90, size=len(com))
    com_len = rng.integers(365, 730, size=len(com))
    sp.append((com, 2, com_start, com_len))
    sp.append((com, 3, com_start + com_len + 1, rng.integers(180, 365, size=len(com))))
    sup = {
        "person": np.concatenate([ref["person"][r] for r, *_ in sp]),
        "type": np.concatenate([np.full(len(r), t) for r, t, *_ in sp]),
        "start": np.concatenate([s for _, _, s, _ in sp]),
        "end": np.concatenate([s + length - 1 for _, _, s, length in sp]),
        "county": np.concatenate([ref["county"][r] for r, *_ in sp]),
    }
    keep = sup["start"] <= extract_day
    sup = {k: v[keep] for k, v in sup.items()}
    sup["open"] = sup["end"] > extract_day
    order = np.lexsort((sup["type"], sup["start"], sup["person"]))
    sup = {k: v[order] for k, v in sup.items()}

    # involvement flags per school year (research-design definitions)
    ny = len(years)
    ps_flag = np.zeros((n, ny), dtype=bool)
    custody = np.zeros((n, ny), dtype=bool)
    jj_flag = np.zeros((n, ny), dtype=bool)
    yi = school_year_of(rep["day"]) - years[0]
    ok = (yi >= 0) & (yi < ny)
    ps_flag[rep["person"][ok], yi[ok]] = True
    yi = school_year_of(ref["day"]) - years[0]
    ok = (yi >= 0) & (yi < ny)
    jj_flag[ref["person"][ok], yi[ok]] = True
    for i, y in enumerate(years):
        ys, ye = ymd(y - 1, 7, 1), ymd(y, 6, 30)
        ov = (place["start"] <= ye) & (place["open"] | (place["end"] >= ys))
        custody[place["person"][ov], i] = True
        ov = (sup["start"] <= ye) & (sup["open"] | (sup["end"] >= ys))
        jj_flag[sup["person"][ov], i] = True
    ps_flag |= custody
    return CyfdData(rep, place, ref, sup, ps_flag, custody, jj_flag, years)


def _add_years(days: np.ndarray, k: int):
    from .population import split_date

    y, m, d = split_date(days)
    d = np.where((m == 2) & (d == 29), 28, d)
    return y + k, m, d
