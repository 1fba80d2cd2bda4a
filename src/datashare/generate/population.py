"""The synthetic statewide population: people, where they live, their school careers.

Everything is a numpy array over persons (index = person number); one draw
from one seeded Generator in a fixed order, so a seed gives the same people.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from datashare.paths import SEEDS_DIR

from . import names as nm

N_DAYS = 180  # instructional days in a school year (day index 0 .. 179)
SNAPSHOT_DAYS = (40, 80, 120, N_DAYS - 1)  # 40D, 80D, 120D, EOY
TEST_DAY = 150  # spring testing window
EPOCH = np.datetime64("1970-01-01", "D")

# 2020 census population of the 33 counties (weights for where people live).
COUNTY_POPULATION = {
    "35001": 676444, "35003": 3579, "35005": 65157, "35006": 27172, "35007": 12387, "35009": 48430,
    "35011": 1698, "35013": 219561, "35015": 62314, "35017": 28185, "35019": 4452, "35021": 657,
    "35023": 4178, "35025": 74455, "35027": 20269, "35028": 19419, "35029": 25427, "35031": 72902,
    "35033": 4189, "35035": 67839, "35037": 8746, "35039": 40363, "35041": 19191, "35043": 148834,
    "35045": 121661, "35047": 27201, "35049": 154823, "35051": 11576, "35053": 16595, "35055": 34489,
    "35057": 15045, "35059": 4079, "35061": 76205,
}
# Share of American Indian residents by county (others get 2%).
COUNTY_AI_SHARE = {"35031": 0.74, "35045": 0.40, "35006": 0.40, "35043": 0.14, "35039": 0.16, "35035": 0.08,
                   "35053": 0.11, "35001": 0.06, "35055": 0.06, "35049": 0.04}

ETHNICITIES = ("HISPANIC", "AMERICAN_INDIAN", "WHITE", "BLACK", "ASIAN", "PACIFIC_ISLANDER", "MULTIRACIAL")


def ymd(y, m, d) -> np.ndarray:
    """Vectorized (year, month, day) -> days since 1970-01-01 (day overflow rolls on)."""
    y = np.asarray(y, dtype=np.int64)
    m = np.asarray(m, dtype=np.int64)
    d = np.asarray(d, dtype=np.int64)
    months = (y - 1970) * 12 + (m - 1)
    return (months.astype("datetime64[M]").astype("datetime64[D]") - EPOCH).astype(np.int64) + d - 1


def split_date(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dt = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    y = dt.astype("datetime64[Y]").astype(np.int64) + 1970
    m = dt.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (dt - dt.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, d


def school_year_of(days: np.ndarray) -> np.ndarray:
    y, m, _ = split_date(days)
    return y + (m >= 7)


def sy_start(y) -> np.ndarray:
    """First instructional day of school year y (mid August of y-1)."""
    return ymd(np.asarray(y) - 1, 8, 12)


def sy_end(y) -> np.ndarray:
    return ymd(np.asarray(y), 5, 24)


def day_to_date(y, k) -> np.ndarray:
    """Instructional day index k (0..179) of school year y -> calendar day (strictly increasing in k)."""
    s = sy_start(y)
    e = sy_end(y)
    return s + (np.asarray(k, dtype=np.int64) * (e - s)) // (N_DAYS - 1)


def inv_norm(p: np.ndarray | float) -> np.ndarray:
    """Threshold t with P(Z > t) = p for a standard normal Z."""
    nd = NormalDist()
    p = np.clip(np.asarray(p, dtype=float), 1e-9, 1 - 1e-9)
    return np.vectorize(lambda q: nd.inv_cdf(1.0 - q))(p)


@dataclass
class Geography:
    county_fips: list[str]
    judicial_district: np.ndarray  # per county
    district_code: list[str]
    district_county: np.ndarray  # county index per district
    district_weight: np.ndarray  # share of students per district
    school_code: list[str] = field(default_factory=list)
    school_district: np.ndarray | None = None
    school_band: np.ndarray | None = None  # 0 elementary (PK-05), 1 middle (06-08), 2 high (09-12)
    band_start: np.ndarray | None = None  # [district, band] -> first school index
    band_count: np.ndarray | None = None


def load_geography(students: int) -> Geography:
    with (SEEDS_DIR / "nm_counties.csv").open(encoding="utf-8", newline="") as fh:
        counties = list(csv.DictReader(fh))
    with (SEEDS_DIR / "ped_districts.csv").open(encoding="utf-8", newline="") as fh:
        districts = list(csv.DictReader(fh))
    fips = [c["county_fips"] for c in counties]
    jd = np.array([int(c["judicial_district"]) for c in counties])
    cidx = {f: i for i, f in enumerate(fips)}
    dcounty = np.array([cidx[d["county_fips"]] for d in districts])
    # Split each county's population over its districts: the first is the largest.
    weight = np.zeros(len(districts))
    for c, f in enumerate(fips):
        members = np.flatnonzero(dcounty == c)
        w = 1.0 / (np.arange(len(members)) + 1.0) ** 1.3
        weight[members] = COUNTY_POPULATION[f] * w / w.sum()
    weight /= weight.sum()
    geo = Geography(fips, jd, [d["district_code"] for d in districts], dcounty, weight)
    # Schools: elementary ~ 420 students, middle ~ 600, high ~ 900 at full scale.
    band_share = np.array([7 / 14, 3 / 14, 4 / 14])
    band_size = np.array([420, 600, 900])
    codes, sdist, sband = [], [], []
    start = np.zeros((len(districts), 3), dtype=np.int64)
    count = np.zeros((len(districts), 3), dtype=np.int64)
    for d, dcode in enumerate(geo.district_code):
        loc_base = (0, 400, 700)
        for b in range(3):
            n = max(1, int(round(students * weight[d] * band_share[b] / band_size[b])))
            n = min(n, 299)
            start[d, b] = len(codes)
            count[d, b] = n
            for j in range(n):
                codes.append(f"{dcode}{loc_base[b] + 1 + j:03d}")
                sdist.append(d)
                sband.append(b)
    geo.school_code = codes
    geo.school_district = np.array(sdist)
    geo.school_band = np.array(sband)
    geo.band_start = start
    geo.band_count = count
    return geo


def grade_band(grade: np.ndarray) -> np.ndarray:
    return np.where(grade <= 5, 0, np.where(grade <= 8, 1, 2))


@dataclass
class People:
    n: int
    kf: np.ndarray  # school year in which the person is (or would be) in KF
    birth: np.ndarray  # days
    sex: np.ndarray  # 0 M, 1 F
    eth: np.ndarray  # index into ETHNICITIES
    county: np.ndarray
    district: np.ndarray
    slot: np.ndarray  # random int used to pick a school within a district
    risk: np.ndarray  # latent disadvantage (standard normal)
    private: np.ndarray  # never in a public school (private, home school, tribal/BIE)
    pk: np.ndarray
    nm_from: np.ndarray  # first school year living in New Mexico (natives: birth year)
    arr_sy: np.ndarray  # first public-school year
    arr_k: np.ndarray  # day index of arrival in that year
    leave_sy: np.ndarray  # last school year in New Mexico (9999: stays)
    leave_k: np.ndarray  # day index of leaving in that year (179: after the year)
    ret_g: np.ndarray  # grade repeated before high school (-9: none)
    # name parts (indices into pools) and identifiers
    first: np.ndarray = None
    middle: np.ndarray = None
    last: np.ndarray = None  # true canonical last name (object array)
    last1: np.ndarray = None  # first surname (object array)
    last2: np.ndarray = None  # second surname or None
    joined: np.ndarray = None  # True: a two-word native surname (may be written joined)
    suffix: np.ndarray = None
    ssn: np.ndarray = None
    twin_of: np.ndarray = None  # index of the co-twin or -1
    deceased: np.ndarray = None  # the departure (leave_sy, leave_k) is a death
    # latent persistent propensities (standard normal)
    z: dict = field(default_factory=dict)
    # high-school plan: 0 grad in 4, 1 grad in 5, 2 grad in 6, 3 dropout, 4 still enrolled
    hs_plan: np.ndarray = None
    drop_t: np.ndarray = None
    drop_k: np.ndarray = None
    other_completer: np.ndarray = None


def make_people(rng: np.random.Generator, geo: Geography, students: int, y0: int, y1: int) -> People:
    """Birth cohorts from the oldest high schooler of the window (and CYFD history) to babies of y1."""
    kf_lo, kf_hi = y0 - 16, y1 + 6
    per_cohort = students / 13.45 / 0.74  # public-school share and migration, checked by the tests
    cohorts = np.arange(kf_lo, kf_hi + 1)
    sizes = rng.poisson(per_cohort, size=len(cohorts))
    kf = np.repeat(cohorts, sizes).astype(np.int64)
    n = len(kf)
    # birth between 2 Sep (kf-6) and 1 Sep (kf-5): age 5 on 1 Sep of the KF year
    birth = ymd(kf - 6, 9, 2) + rng.integers(0, 365, size=n)
    sex = (rng.random(n) < 0.49).astype(np.int8)
    district = rng.choice(len(geo.district_code), size=n, p=geo.district_weight)
    county = geo.district_county[district]
    ai_share = np.array([COUNTY_AI_SHARE.get(f, 0.02) for f in geo.county_fips])[county]
    u = rng.random(n)
    rest = (1 - ai_share)
    cuts = np.stack([
        rest * 0.63,  # HISPANIC
        rest * 0.63 + ai_share,  # AMERICAN_INDIAN
        rest * 0.63 + ai_share + rest * 0.30,  # WHITE
        rest * 0.63 + ai_share + rest * 0.325,  # BLACK
        rest * 0.63 + ai_share + rest * 0.34,  # ASIAN
        rest * 0.63 + ai_share + rest * 0.342,  # PACIFIC_ISLANDER
    ], axis=1)
    eth = (u[:, None] >= cuts).sum(axis=1).astype(np.int8)
    risk = rng.standard_normal(n) + np.where(eth <= 1, 0.15, -0.2)
    private = rng.random(n) < 0.06
    pk = rng.random(n) < 0.45
    # migration: 20% arrive after KF, 20% leave before finishing
    arriver = rng.random(n) < 0.20
    arr_sy = np.where(pk, kf - 1, kf)
    arr_sy = np.where(arriver, kf + rng.integers(1, 13, size=n), arr_sy)
    arr_k = np.where(arriver & (rng.random(n) < 0.4), rng.integers(5, 165, size=n), 0)
    nm_from = np.where(arriver, arr_sy - rng.integers(0, 2, size=n), kf - 6)
    leaver = rng.random(n) < 0.20
    leave_sy = np.where(leaver, np.maximum(arr_sy, kf + rng.integers(0, 13, size=n)), 9999)
    leave_k = np.where(leaver & (rng.random(n) < 0.45), rng.integers(5, 175, size=n), N_DAYS - 1)
    leave_k = np.where((leave_sy == arr_sy) & (leave_k <= arr_k + 10), np.minimum(arr_k + 20, N_DAYS - 1), leave_k)
    ret = rng.random(n) < np.clip(0.03 + 0.03 * risk, 0.0, 0.2)
    ret_g = np.where(ret, rng.integers(0, 9, size=n), -9)
    p = People(n=n, kf=kf, birth=birth, sex=sex, eth=eth, county=county, district=district,
               slot=rng.integers(0, 1 << 30, size=n), risk=risk, private=private, pk=pk,
               nm_from=nm_from, arr_sy=arr_sy, arr_k=arr_k, leave_sy=leave_sy, leave_k=leave_k, ret_g=ret_g)
    # persistent propensities, correlated with risk
    for key, rho in (("sped", 0.35), ("absence", 0.5), ("achieve", -0.55), ("discipline", 0.45),
                     ("mobility", 0.4), ("gifted", -0.4), ("el", 0.2), ("econ", 0.6), ("s504", 0.0),
                     ("homeless", 0.5), ("ps", 0.55), ("jj", 0.45)):
        p.z[key] = rho * risk / np.sqrt(1.15) + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    make_names(rng, p)
    # a few departures are deaths (about 0.1% of children over their school years; never a twin)
    p.deceased = leaver & (p.twin_of < 0) & (rng.random(n) < 0.005)
    p.leave_k = np.where(p.deceased, np.minimum(p.leave_k, N_DAYS - 5), p.leave_k)
    return p


def _pool_choice(rng: np.random.Generator, pool: list[str], n: int, s: float = 0.9) -> np.ndarray:
    arr = np.array(pool, dtype=object)
    return arr[rng.choice(len(pool), size=n, p=nm.zipf_weights(len(pool), s))]


def make_names(rng: np.random.Generator, p: People) -> None:
    n = p.n
    male = p.sex == 0
    first = np.where(male, _pool_choice(rng, list(nm.MALE_FIRST), n, 0.45),
                     _pool_choice(rng, list(nm.FEMALE_FIRST), n, 0.45))
    middle = np.where(male, _pool_choice(rng, list(nm.MALE_MIDDLE), n, 0.5),
                      _pool_choice(rng, list(nm.FEMALE_MIDDLE), n, 0.5))
    hisp_last = _pool_choice(rng, list(nm.HISPANIC_SURNAMES), n, 0.6)
    hisp_last2 = _pool_choice(rng, list(nm.HISPANIC_SURNAMES), n, 0.6)
    anglo_last = _pool_choice(rng, list(nm.ANGLO_SURNAMES), n, 0.5)
    native_last = _pool_choice(rng, list(nm.NATIVE_SURNAMES), n, 0.7)
    native_comp = _pool_choice(rng, list(nm.NATIVE_COMPOUND), n, 0.3)
    u = rng.random(n)
    eth = p.eth
    is_h = eth == 0
    is_ai = eth == 1
    last1 = np.where(is_h, hisp_last, np.where(is_ai, native_last, anglo_last))
    # some non-Hispanic children carry a Hispanic surname (and vice versa)
    last1 = np.where(~is_h & ~is_ai & (u < 0.12), hisp_last, last1)
    last1 = np.where(is_ai & (u < 0.22), hisp_last, last1)
    joined = is_ai & (u >= 0.22) & (u < 0.32)
    last1 = np.where(joined, native_comp, last1)
    compound = is_h & (rng.random(n) < 0.30) & (hisp_last2 != last1)
    last2 = np.where(compound, hisp_last2, None)
    last = last1.copy()
    last[compound] = np.char.add(np.char.add(last1[compound].astype(str), " "), last2[compound].astype(str)).astype(object)
    suffix = np.where(male & (rng.random(n) < 0.03), np.array(nm.SUFFIXES, dtype=object)[rng.integers(0, 3, n)], None)
    # SSNs: unique 9 digits, area 001-899 except 666
    ssn = rng.integers(1_000_000, 899_999_999, size=n)
    for _ in range(5):
        _, first_idx, counts = np.unique(ssn, return_index=True, return_counts=True)
        dup = np.ones(n, dtype=bool)
        dup[first_idx] = False
        bad = dup | ((ssn // 1_000_000) == 666)
        if not bad.any():
            break
        ssn[bad] = rng.integers(1_000_000, 899_999_999, size=int(bad.sum()))
    # twins: about 1.5% of people are the second of a twin pair with the person before them
    twin = np.zeros(n, dtype=bool)
    cand = np.flatnonzero(rng.random(n) < 0.015)
    cand = cand[(cand > 0)]
    cand = cand[p.kf[cand] == p.kf[cand - 1]]
    cand = cand[~np.isin(cand - 1, cand)]
    twin[cand] = True
    twin_of = np.full(n, -1, dtype=np.int64)
    twin_of[cand] = cand - 1
    twin_of[cand - 1] = cand
    a = cand - 1
    for arr in (p.birth, p.county, p.district, p.slot, p.private, p.pk, p.nm_from, p.arr_sy, p.arr_k,
                p.leave_sy, p.leave_k, p.eth):
        arr[cand] = arr[a]
    for arr in (last, last1, last2, joined):
        arr[cand] = arr[a]
    p.z["ps"][cand] = p.z["ps"][a]
    # a twin has a different first name
    same = first[cand] == first[a]
    if same.any():
        alt = np.where(p.sex[cand[same]] == 0, np.array(nm.MALE_FIRST, dtype=object)[rng.integers(0, 20, same.sum())],
                       np.array(nm.FEMALE_FIRST, dtype=object)[rng.integers(0, 20, same.sum())])
        first[cand[same]] = alt
        still = first[cand] == first[a]
        first[cand[still]] = np.where(p.sex[cand[still]] == 0, "ELIAS", "ELENA")
    p.first, p.middle, p.last, p.last1, p.last2, p.joined = first, middle, last, last1, last2, joined
    p.suffix, p.ssn, p.twin_of = suffix, ssn, twin_of


def grade_in(p: People, y: int) -> np.ndarray:
    """Grade (PK = -1, KF = 0, 1..12) each person would be in during school year y."""
    t = y - p.kf
    retained = (p.ret_g >= 0) & (t > p.ret_g)
    g = t - retained
    e = p.kf + 9 + (p.ret_g >= 0)
    hs_t = y - e
    return np.where(hs_t >= 0, np.minimum(9 + hs_t, 12), g), hs_t, e


def hs_last_year(p: People) -> np.ndarray:
    """Last high-school year index (0 = the year in grade 9) a person is enrolled."""
    return np.select([p.hs_plan == 0, p.hs_plan == 1, p.hs_plan == 2, p.hs_plan == 3], [3, 4, 5, p.drop_t], 5)


@dataclass
class YearState:
    idx: np.ndarray  # persons enrolled this year
    grade: np.ndarray
    k_in: np.ndarray
    k_out: np.ndarray
    exit_kind: np.ndarray  # 0 completed year, 1 transfer out of state, 2 dropout, 3 graduated, 4 other completer, 5 deceased


def year_state(p: People, y: int) -> YearState:
    grade, hs_t, _ = grade_in(p, y)
    last = hs_last_year(p)
    active = (~p.private) & (y >= p.arr_sy) & (y <= p.leave_sy) & (grade >= -1)
    active &= (grade >= 0) | p.pk
    active &= (hs_t < 0) | (hs_t <= last)
    idx = np.flatnonzero(active)
    grade = grade[idx]
    hs_t = hs_t[idx]
    k_in = np.where(p.arr_sy[idx] == y, p.arr_k[idx], 0)
    k_out = np.full(len(idx), N_DAYS - 1)
    exit_kind = np.zeros(len(idx), dtype=np.int8)
    plan = p.hs_plan[idx]
    finishing = (hs_t >= 0) & (hs_t == last[idx])
    grads = finishing & (plan <= 2)
    exit_kind[grads] = np.where(p.other_completer[idx][grads], 4, 3)
    drops = finishing & (plan == 3)
    k_out[drops] = p.drop_k[idx][drops]
    exit_kind[drops] = 2
    leaving = (p.leave_sy[idx] == y) & (p.leave_k[idx] < N_DAYS - 1) & (p.leave_k[idx] < k_out)
    k_out[leaving] = p.leave_k[idx][leaving]
    exit_kind[leaving] = np.where(p.deceased[idx][leaving], 5, 1)
    # keep every stay at least a few days long
    k_in = np.minimum(k_in, N_DAYS - 10)
    k_out = np.maximum(k_out, k_in + 5)
    return YearState(idx, grade, k_in, k_out, exit_kind)
