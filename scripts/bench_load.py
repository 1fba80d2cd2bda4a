#!/usr/bin/env python3
"""Time and peak memory of `datashare load` on a statewide-scale drop.

    .venv/bin/python scripts/bench_load.py [--drop DIR] [--scale 1.0] [--work DIR]

Without --drop, a drop is made in WORK/drop (reused when present):
`datashare.generate.generate_drop` at 310,000 students a year over 2021-2024
when the generator is available, otherwise a contract-driven synthetic drop
written by DuckDB with the same row counts (~10M rows; ped_student_snapshot
~5M). The load runs as its own process into a fresh warehouse (WORK/wh), the
way a user runs it; wall time and the max resident set size of that process
(wait4) are printed. A second load of the same drop (every file unchanged) is
timed too. Run statewide scale only under `flock /tmp/statewide.lock`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from datashare.contract import Column, load_contract

STUDENTS = 310_000
YEARS = (2021, 2022, 2023, 2024)
# Rows per school year per student (PED) and statewide totals (CYFD, AOC) of a drop.
PER_STUDENT_YEAR = {
    "ped_student_snapshot": 4.0,  # 40D, 80D, 120D, EOY
    "ped_enrollment": 1.15,
    "ped_attendance": 1.1,
    "ped_discipline": 0.15,
    "ped_assessment": 1.2,
    "ped_graduation_cohort": 0.25,
}
FULL_ROWS = {
    "cyfd_person": 120_000, "cyfd_person_alias": 40_000, "cyfd_ps_report": 150_000,
    "cyfd_ps_placement": 30_000, "cyfd_jjs_referral": 60_000, "cyfd_jjs_supervision": 25_000,
    "aoc_party": 60_000, "aoc_case": 80_000, "cyfd_caseload": 50_000, "cyfd_release": 5_000,
}
FIRST_NAMES = ["MARIA", "JOSE", "SOFIA", "DIEGO", "ISABELLA", "LIAM", "AVA", "NOAH", "CAMILA", "MATEO"]
LAST_NAMES = ["GARCIA", "MARTINEZ", "CHAVEZ", "BEGAY", "LOPEZ", "GARCIA LOPEZ", "SANCHEZ", "ROMERO", "TSOSIE",
              "SMITH"]


def _sql_list(values) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def column_sql(col: Column, year: int | None) -> str:
    """A valid value of the column for row `i`, as SQL text (ids unique per i)."""
    if col.pattern:
        return {
            "person_id": "'C' || lpad(cast(i % 100000000 as varchar), 8, '0')",
            "party_id": "'P' || lpad(cast(i % 100000000 as varchar), 8, '0')",
            "staff_id": "'S' || lpad(cast(i % 1000000 as varchar), 6, '0')",
            "student_id": "cast(100000000 + i as varchar)",
            "ssn": "case when i % 10 = 0 then cast(200000000 + i as varchar) else '' end",
            "district_code": "lpad(cast(i % 89 as varchar), 3, '0')",
            "school_code": "lpad(cast(i % 89 as varchar), 3, '0') || lpad(cast(i % 40 as varchar), 3, '0')",
        }[col.name]
    if col.codes is not None:
        return f"{_sql_list(col.codes)}[i % {len(col.codes)} + 1]"
    if col.type == "date":
        return "strftime(date '2008-01-01' + cast(i % 5000 as integer), '%Y-%m-%d')"
    if col.type == "integer":
        if col.name in ("school_year", "cohort_year"):
            return f"'{year}'"
        lo = int(col.min if col.min is not None else 200)
        hi = int(col.max if col.max is not None else 800)
        return f"cast({lo} + i % {hi - lo + 1} as varchar)"
    if col.type == "decimal":
        return "cast(cast((i % 1700) / 10 as decimal(9, 2)) as varchar)"
    if "first_name" in col.name or col.name == "middle_name":
        return f"{_sql_list(FIRST_NAMES)}[i % {len(FIRST_NAMES)} + 1]"
    if "last_name" in col.name:
        return f"{_sql_list(LAST_NAMES)}[(i // 7) % {len(LAST_NAMES)} + 1]"
    if col.name == "name_suffix":
        return "case when i % 50 = 0 then 'JR' else '' end"
    return f"'{col.name.upper()[:3]}' || i"


def synthetic_drop(out: Path, scale: float) -> None:
    """Write every contract file at statewide row counts (times `scale`) with DuckDB."""
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    for t in load_contract().tables.values():
        parts = []
        if t.replace_key:
            per_year = int(STUDENTS * scale * PER_STUDENT_YEAR[t.name])
            for n, year in enumerate(YEARS):
                cols = ", ".join(f"{column_sql(c, year)} as {c.name}" for c in t.columns)
                parts.append(f"select {cols} from range({n * per_year}, {(n + 1) * per_year}) as r(i)")
        else:
            cols = ", ".join(f"{column_sql(c, None)} as {c.name}" for c in t.columns)
            parts.append(f"select {cols} from range({int(FULL_ROWS[t.name] * scale)}) as r(i)")
        tmp = out / (t.file + ".tmp")
        con.execute(f"copy ({' union all '.join(parts)}) to '{tmp}' (header true, quote '', escape '')")
        tmp.rename(out / t.file)
        print(f"  wrote {t.file}", flush=True)


def make_drop(work: Path, scale: float) -> Path:
    drop = work / "drop"
    if drop.is_dir() and any(drop.iterdir()):
        print(f"reusing drop {drop}")
        return drop
    try:
        import datashare.generate  # noqa: F401
        have_generator = True
    except ImportError:
        have_generator = False
    t0 = time.perf_counter()
    if have_generator:
        # In a child process: a large parent would inflate the loader's measured peak memory
        # (a forked child starts with the parent's resident pages until it execs).
        print(f"generating a drop with `datashare generate` ({int(STUDENTS * scale):,} students a year)", flush=True)
        gen = work / "generated"
        subprocess.run([sys.executable, "-m", "datashare.cli", "generate", "--out", str(gen), "--students",
                        str(int(STUDENTS * scale)), "--years", f"{YEARS[0]}-{YEARS[-1]}", "--seed", "20261203"],
                       check=True)
        shutil.move(str(gen / "drop"), drop)
    else:
        print("the generator is not available: writing a contract-driven synthetic drop", flush=True)
        synthetic_drop(drop, scale)
    print(f"drop ready in {time.perf_counter() - t0:.0f}s")
    return drop


def timed_load(drop: Path, warehouse: Path, log: Path) -> tuple[float, float, int, float]:
    """(wall seconds, peak RSS MiB, exit code, CPU seconds) of `datashare load` as its own process.

    CPU seconds (user + system, all threads) show the work done independently of how busy the
    shared machine was.
    """
    cmd = [sys.executable, "-m", "datashare.cli", "load", str(drop), "--warehouse", str(warehouse)]
    t0 = time.perf_counter()
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    return (seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status),
            usage.ru_utime + usage.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drop", type=Path, help="an existing drop to load (default: make one)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of statewide scale (default 1.0)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_load"), help="work folder")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    drop = args.drop.resolve() if args.drop else make_drop(args.work, args.scale)
    files = sorted(drop.glob("*.csv"))
    mib = sum(f.stat().st_size for f in files) / (1 << 20)
    rows = 0
    for f in files:
        with f.open("rb") as fh:
            rows += sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b"")) - 1
    warehouse = args.work / "wh"
    shutil.rmtree(warehouse, ignore_errors=True)
    print(f"drop {drop}: {len(files)} files, {rows:,} rows, {mib:,.0f} MiB; {os.cpu_count()} cores")
    print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    first = timed_load(drop, warehouse, args.work / "load1.log")
    print(f"first load:  {first[0]:6.1f} s wall, {first[3]:6.1f} s CPU, peak RSS {first[1]:,.0f} MiB, "
          f"exit {first[2]} ({rows / first[0]:,.0f} rows/s); log {args.work / 'load1.log'}")
    second = timed_load(drop, warehouse, args.work / "load2.log")
    print(f"second load: {second[0]:6.1f} s wall, {second[3]:6.1f} s CPU, peak RSS {second[1]:,.0f} MiB, "
          f"exit {second[2]} (every file unchanged)")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    db = warehouse / "datashare.duckdb"
    print(f"warehouse file: {db.stat().st_size / (1 << 20):,.0f} MiB")
    return 0 if first[2] == 0 and second[2] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
