"""Identifier records of each agency, with the entry errors real extracts carry.

Each agency writes a person's name its own way (compound Hispanic surnames
spaced, hyphenated or cut to the first; accents kept or stripped) and makes
random errors (typos, nicknames, swapped first/last names, birth-date typos
and day/month swaps). Every record keeps the list of noise categories applied
to it, written to truth/identity_noise.csv.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import names as nm
from .population import People, split_date, ymd

NOISE_CATEGORIES = ("typo", "name_swap", "compound_surname", "accent", "nickname", "dob_typo", "dob_swap",
                    "alias", "twin", "second_ped_id", "common_name", "none")

# per-record error rates by noise level
LEVELS = {
    "default": {"typo": 0.025, "nickname": 0.03, "name_swap": 0.004, "dob_typo": 0.008, "dob_swap": 0.004,
                "double_typo": 0.0, "middle_missing": 0.0, "alias_use": 0.25},
    "hard": {"typo": 0.08, "nickname": 0.08, "name_swap": 0.015, "dob_typo": 0.025, "dob_swap": 0.012,
             "double_typo": 0.25, "middle_missing": 0.25, "alias_use": 0.5},
}

# agency habits: compound surname style (space, hyphen, first only), accent kept,
# middle name present, suffix kept, SSN present, unknown sex
AGENCY = {
    "PED": {"compound": (0.70, 0.20, 0.10), "accent_kept": 0.30, "middle": 0.75, "suffix": 0.85, "ssn": 0.05,
            "sex_unknown": 0.002},
    "CYFD": {"compound": (0.30, 0.50, 0.20), "accent_kept": 0.70, "middle": 0.50, "suffix": 0.60, "ssn": 0.45,
             "sex_unknown": 0.015},
    "AOC": {"compound": (0.30, 0.20, 0.50), "accent_kept": 0.40, "middle": 0.35, "suffix": 0.50, "ssn": 0.0,
            "sex_unknown": 0.03},
}

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass
class Records:
    person: np.ndarray  # true person index
    first: np.ndarray  # object arrays of str / None
    middle: np.ndarray
    last: np.ndarray
    suffix: np.ndarray
    birth: np.ndarray  # days
    sex: np.ndarray  # 0 M, 1 F, 2 unknown
    ssn: np.ndarray  # int, -1 missing
    noise: list[list[str]]

    def __len__(self) -> int:
        return len(self.person)


def typo(rng: np.random.Generator, s: str) -> str:
    if len(s) < 3:
        return s + _LETTERS[rng.integers(26)]
    i = int(rng.integers(1, len(s) - 1))
    kind = int(rng.integers(4))
    if kind == 0:  # substitution
        c = _LETTERS[rng.integers(26)]
        if c == s[i]:
            c = "E" if s[i] != "E" else "A"
        return s[:i] + c + s[i + 1:]
    if kind == 1:  # deletion
        return s[:i] + s[i + 1:]
    if kind == 2 and s[i] != s[i + 1]:  # transposition
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s[:i] + s[i] + s[i:]  # doubled letter


def make_records(rng: np.random.Generator, p: People, persons: np.ndarray, system: str, level: str,
                 alias_last: dict[int, str] | None = None) -> Records:
    """One record per entry of `persons` as written by `system` ('PED', 'CYFD', 'AOC')."""
    lv = LEVELS[level]
    ag = AGENCY[system]
    n = len(persons)
    noise: list[list[str]] = [[] for _ in range(n)]
    first = p.first[persons].copy()
    last1 = p.last1[persons]
    last2 = p.last2[persons]
    is_comp = np.array([x is not None for x in last2], dtype=bool)
    style = rng.choice(3, size=n, p=ag["compound"])
    last = p.last[persons].copy()
    # compound Hispanic surnames: space / hyphen / first surname only
    hy = is_comp & (style == 1)
    last[hy] = [f"{a}-{b}" for a, b in zip(last1[hy], last2[hy])]
    fo = is_comp & (style == 2)
    last[fo] = last1[fo]
    # two-word native surnames: written joined by some records
    jn = p.joined[persons] & (style != 0)
    last[jn] = [s.replace(" ", "") for s in last[jn]]
    for i in np.flatnonzero(hy | fo | jn):
        noise[i].append("compound_surname")
    # accents
    strip = rng.random(n) >= ag["accent_kept"]
    for arr, label in ((first, "accent"), (last, "accent")):
        for i in np.flatnonzero(strip):
            s = arr[i]
            t = nm.strip_accents(s)
            if t != s:
                arr[i] = t
                if label not in noise[i]:
                    noise[i].append(label)
    # aliases known to CYFD used by another agency
    if alias_last:
        use = rng.random(n) < lv["alias_use"]
        for i in np.flatnonzero(use):
            a = alias_last.get(int(persons[i]))
            if a:
                last[i] = a
                noise[i].append("alias")
    # nicknames
    nick = rng.random(n) < lv["nickname"]
    for i in np.flatnonzero(nick):
        options = nm.NICKNAMES.get(first[i]) or nm.NICKNAMES.get(nm.strip_accents(first[i]))
        if options:
            first[i] = options[int(rng.integers(len(options)))]
            noise[i].append("nickname")
    # typos (first or last name)
    ty = rng.random(n) < lv["typo"]
    for i in np.flatnonzero(ty):
        k = 2 if rng.random() < lv["double_typo"] else 1
        for _ in range(k):
            if rng.random() < 0.5:
                first[i] = typo(rng, first[i])
            else:
                last[i] = typo(rng, last[i])
        noise[i].append("typo")
    # swapped first / last
    sw = rng.random(n) < lv["name_swap"]
    for i in np.flatnonzero(sw):
        first[i], last[i] = last[i], first[i]
        noise[i].append("name_swap")
    middle = np.where(rng.random(n) < ag["middle"] * (1 - lv["middle_missing"]), p.middle[persons], None)
    if system == "AOC":
        ini = rng.random(n) < 0.3
        middle = np.array([m[0] if (m is not None and k) else m for m, k in zip(middle, ini)], dtype=object)
    suffix = np.where(rng.random(n) < ag["suffix"], p.suffix[persons], None)
    # birth dates
    birth = p.birth[persons].copy()
    y, m, d = split_date(birth)
    dt = rng.random(n) < lv["dob_typo"]
    kind = rng.integers(0, 3, size=n)
    step = np.where(rng.random(n) < 0.5, -1, 1)
    ny = np.where(dt & (kind == 0), y + step, y)
    nmo = np.where(dt & (kind == 1), np.clip(m + step, 1, 12), m)
    nd = np.where(dt & (kind == 2), np.clip(d + step * np.where(d > 10, 10, 1), 1, 28), d)
    ds = (rng.random(n) < lv["dob_swap"]) & (d <= 12) & (d != m) & ~dt
    ny, nmo, nd = ny, np.where(ds, d, nmo), np.where(ds, m, nd)
    birth = ymd(ny, nmo, nd)
    changed = birth != p.birth[persons]
    for i in np.flatnonzero(dt & changed):
        noise[i].append("dob_typo")
    for i in np.flatnonzero(ds & changed):
        noise[i].append("dob_swap")
    sex = np.where(rng.random(n) < ag["sex_unknown"], 2, p.sex[persons])
    ssn = np.where(rng.random(n) < ag["ssn"], p.ssn[persons], -1)
    # person-level categories
    twin = p.twin_of[persons] >= 0
    common = np.isin(p.last1[persons], list(nm.COMMON_SURNAMES))
    for i in range(n):
        if twin[i]:
            noise[i].append("twin")
        if common[i]:
            noise[i].append("common_name")
    return Records(person=np.asarray(persons), first=first, middle=middle, last=last, suffix=suffix,
                   birth=birth, sex=sex.astype(np.int8), ssn=ssn, noise=noise)


def make_aliases(rng: np.random.Generator, p: People, persons: np.ndarray, level: str):
    """CYFD aliases for about 12% of clients: another surname, a nickname, or the full compound name.

    Returns (alias rows as column lists, {person: alias surname} for other agencies to use).
    """
    rate = 0.12 if level == "default" else 0.18
    who = persons[rng.random(len(persons)) < rate]
    rows = {"person": [], "first": [], "last": [], "birth": []}
    alias_last: dict[int, str] = {}
    pool = np.array(nm.HISPANIC_SURNAMES + nm.ANGLO_SURNAMES, dtype=object)
    for i in who:
        i = int(i)
        kinds = [int(rng.integers(3))]
        if rng.random() < 0.25:
            kinds.append((kinds[0] + 1) % 3)
        for kind in kinds:
            first, last = p.first[i], p.last[i]
            if kind == 0:
                last = str(pool[rng.integers(len(pool))])
                alias_last[i] = last
            elif kind == 1:
                opts = nm.NICKNAMES.get(first)
                first = opts[int(rng.integers(len(opts)))] if opts else typo(rng, first)
            else:
                last = p.last1[i] if p.last2[i] is not None else typo(rng, last)
            birth = None
            if rng.random() < 0.2:
                birth = int(p.birth[i] + rng.choice([-365, -31, -1, 1, 31, 365]))
            rows["person"].append(i)
            rows["first"].append(first)
            rows["last"].append(last)
            rows["birth"].append(birth)
    return rows, alias_last
