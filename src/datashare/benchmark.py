"""`datashare benchmark`: the whole pipeline at several scales, and a one-year resubmission.

Every stage runs as its own process, exactly as a user would run it (the
`datashare` and `dbt` commands), so each stage's wall time and peak memory
(max resident set size of that process, from wait4) are measured separately.
Figures go to a JSON file and a Markdown table; nothing here asserts a target,
it prints figures.

Run: `make bench` (statewide scale, 310,000 students a year over 4 school years,
at 1/4, 1/2 and full scale, then a resubmission of the last school year).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from datashare.contract import load_contract
from datashare.paths import PROJECT_DIR, PUBLISHED_DIR
from datashare.pipeline import FIRST_BUILD, LAST_RUN_FILE, SECOND_BUILD, dbt_env, write_build_state
from datashare.research_key import DEMO_RESEARCH_KEY, KEY_ENV

BIN_DIR = Path(sys.executable).parent


@dataclass
class Measure:
    stage: str
    seconds: float
    peak_rss_mib: float
    ok: bool


@dataclass
class Run:
    label: str
    students: int
    years: str
    stages: list[Measure] = field(default_factory=list)

    @property
    def pipeline_seconds(self) -> float:
        """Wall time of the pipeline proper (generation of the synthetic drop excluded)."""
        return sum(m.seconds for m in self.stages if m.stage != "generate")

    @property
    def peak_rss_mib(self) -> float:
        return max((m.peak_rss_mib for m in self.stages if m.stage != "generate"), default=0.0)


def timed(cmd: list[str], env: dict[str, str], log_file: Path) -> tuple[float, float, int]:
    """Run a command; return (seconds, peak RSS MiB of the process tree's largest process, exit code)."""
    t0 = time.perf_counter()
    with log_file.open("ab") as log:
        log.write(f"\n$ {' '.join(cmd)}\n".encode())
        log.flush()
        proc = subprocess.Popen(cmd, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    return seconds, usage.ru_maxrss / 1024, code


def pipeline_stages(drop: Path, warehouse: Path) -> list[tuple[str, list[str]]]:
    ds = str(BIN_DIR / "datashare")
    dbt = str(BIN_DIR / "dbt")
    proj = ["--project-dir", str(PROJECT_DIR)]
    return [
        ("load", [ds, "load", str(drop), "--warehouse", str(warehouse)]),
        ("dbt build seeds + staging", [dbt, "build", *FIRST_BUILD, "--quiet", *proj]),
        ("train linkage", [ds, "train-linkage", "--warehouse", str(warehouse)]),
        ("dbt build (link, de-identify, marts, tests)", [dbt, "build", *SECOND_BUILD, "--quiet", *proj]),
        ("publish", [ds, "publish", "--warehouse", str(warehouse)]),
        ("report", [ds, "report", "--published", str(warehouse / PUBLISHED_DIR),
                    "--out", str(warehouse / "report")]),
    ]


def resubmission_stages(drop: Path, warehouse: Path) -> list[tuple[str, list[str]]]:
    """What a PED resubmission of one school year costs: `datashare pipeline` on it, as a user runs it.

    The pipeline sees a PED year resubmission after a full build with the same code, so it loads the
    year, builds incrementally (only what depends on the reloaded PED tables, the saved linkage model
    scoring) and publishes and reports; its stage timings come from the warehouse's last-run file.
    """
    ds = str(BIN_DIR / "datashare")
    return [("pipeline (load, incremental build, publish, report)",
             [ds, "pipeline", str(drop), "--warehouse", str(warehouse), "--no-train"])]


def make_resubmission(drop: Path, out: Path, school_year: int) -> Path:
    """A PED resubmission: the PED files of one school year, with a few attendance corrections.

    Days present move to unexcused absence for every 50th attendance row, keeping
    present + excused + unexcused = enrolled, as a STARS correction would.
    """
    contract = load_contract()
    out.mkdir(parents=True, exist_ok=True)
    for table in contract.tables.values():
        if table.agency != "ped" or not (drop / table.file).exists():
            continue
        key = table.replace_key
        with (drop / table.file).open(newline="", encoding="utf-8-sig") as src, \
                (out / table.file).open("w", newline="", encoding="utf-8") as dst:
            reader = csv.DictReader(src)
            writer = csv.DictWriter(dst, fieldnames=reader.fieldnames, lineterminator="\n")
            writer.writeheader()
            n = 0
            for row in reader:
                if int(row[key]) != school_year:
                    continue
                n += 1
                if table.name == "ped_attendance" and n % 50 == 0 and row["days_present"]:
                    present = float(row["days_present"])
                    moved = min(present, 3.0)
                    row["days_present"] = f"{present - moved:g}"
                    row["days_unexcused"] = f"{float(row['days_unexcused'] or 0) + moved:g}"
                writer.writerow(row)
    return out


def run_benchmark(workdir: Path, *, students: int, years: str, scales: list[float], seed: int,
                  resubmit: bool, log=print) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    log_file = workdir / "benchmark.log"
    env_base = dict(os.environ)
    env_base.setdefault(KEY_ENV, DEMO_RESEARCH_KEY)
    runs: list[Run] = []
    full_run_dir: Path | None = None
    for scale in scales:
        n = max(100, int(round(students * scale)))
        label = f"{scale:g}x ({n:,} students/yr)"
        run_dir = workdir / f"scale_{scale:g}"
        if run_dir.exists():
            shutil.rmtree(run_dir)
        warehouse = run_dir / "warehouse"
        warehouse.mkdir(parents=True)
        env = dbt_env(warehouse, env_base)
        run = Run(label=label, students=n, years=years)
        log(f"== {label}")
        secs, rss, code = timed([str(BIN_DIR / "datashare"), "generate", "--out", str(run_dir / "gen"),
                                 "--students", str(n), "--years", years, "--seed", str(seed)], env, log_file)
        run.stages.append(Measure("generate", secs, rss, code == 0))
        log(f"   generate: {secs:.1f}s, {rss:.0f} MiB")
        if code != 0:
            raise RuntimeError(f"generate failed; see {log_file}")
        for name, cmd in pipeline_stages(run_dir / "gen" / "drop", warehouse):
            secs, rss, code = timed(cmd, env, log_file)
            run.stages.append(Measure(name, secs, rss, code == 0))
            log(f"   {name}: {secs:.1f}s, {rss:.0f} MiB{'' if code == 0 else '  FAILED'}")
            if code != 0:
                raise RuntimeError(f"stage {name!r} failed; see {log_file}")
        log(f"   pipeline: {run.pipeline_seconds:.1f}s, peak {run.peak_rss_mib:.0f} MiB")
        # The stages above are the steps of `datashare pipeline`, each run as its own process so that its
        # memory is measured alone; record the build state the pipeline records after a full build, so the
        # resubmission below finds this warehouse a base for an incremental build as it would after `make run`.
        write_build_state(warehouse)
        runs.append(run)
        full_run_dir = run_dir
    resub: Run | None = None
    resub_detail: dict = {}
    if resubmit and full_run_dir is not None:
        last_year = int(years.split("-")[-1])
        drop = make_resubmission(full_run_dir / "gen" / "drop", full_run_dir / f"resubmission_{last_year}",
                                 last_year)
        warehouse = full_run_dir / "warehouse"
        env = dbt_env(warehouse, env_base)
        resub = Run(label=f"resubmission of {last_year} after the full build", students=runs[-1].students,
                    years=str(last_year))
        log(f"== {resub.label}")
        for name, cmd in resubmission_stages(drop, warehouse):
            secs, rss, code = timed(cmd, env, log_file)
            resub.stages.append(Measure(name, secs, rss, code == 0))
            log(f"   {name}: {secs:.1f}s, {rss:.0f} MiB{'' if code == 0 else '  FAILED'}")
            if code != 0:
                raise RuntimeError(f"stage {name!r} failed; see {log_file}")
        last_run = json.loads((warehouse / LAST_RUN_FILE).read_text(encoding="utf-8"))
        resub_detail = {"build": last_run["build"], "reason": last_run["reason"], "stages": last_run["stages"]}
        log(f"   {last_run['build']} build ({last_run['reason']}): "
            + ", ".join(f"{s['stage']} {s['seconds']:.1f}s" for s in last_run["stages"]))
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "students_full_scale": students,
        "years": years,
        "runs": [dict(asdict(r), pipeline_seconds=r.pipeline_seconds, peak_rss_mib=r.peak_rss_mib) for r in runs],
    }
    if resub is not None:
        result["resubmission"] = dict(asdict(resub), pipeline_seconds=resub.pipeline_seconds,
                                      peak_rss_mib=resub.peak_rss_mib, pipeline=resub_detail)
    result["ratios"] = ratios(runs, resub)
    return result


def ratios(runs: list[Run], resub: Run | None) -> dict[str, float]:
    out: dict[str, float] = {}
    by_students = sorted(runs, key=lambda r: r.students)
    if len(by_students) >= 2:
        full, half = by_students[-1], by_students[-2]
        out["full_over_next_smaller"] = full.pipeline_seconds / half.pipeline_seconds
    if resub is not None and by_students:
        out["resubmission_over_full"] = resub.pipeline_seconds / by_students[-1].pipeline_seconds
    return out


def markdown(result: dict) -> str:
    lines = ["| run | stage | seconds | peak MiB |", "|---|---|---:|---:|"]
    for run in result["runs"] + ([result["resubmission"]] if "resubmission" in result else []):
        for m in run["stages"]:
            lines.append(f"| {run['label']} | {m['stage']} | {m['seconds']:.1f} | {m['peak_rss_mib']:.0f} |")
        lines.append(f"| **{run['label']}** | **pipeline total** (excl. generate) | "
                     f"**{run['pipeline_seconds']:.1f}** | **{run['peak_rss_mib']:.0f}** |")
    resub = result.get("resubmission")
    if resub and resub.get("pipeline"):
        detail = resub["pipeline"]
        lines.append(f"\nResubmission: {detail['build']} build ({detail['reason']}); stages: "
                     + ", ".join(f"{s['stage']} {s['seconds']:.1f}s" for s in detail["stages"]))
    lines.append("")
    for k, v in result.get("ratios", {}).items():
        lines.append(f"{k.replace('_', ' ')}: {v:.2f}  ")
    lines.append("")
    lines.extend(f"- {line}" for line in target_lines(result))
    return "\n".join(lines) + "\n"


# The targets of the statewide benchmark (issue 7); printed beside the figures, never asserted.
TARGETS = {"full_pipeline_seconds": 300.0, "full_peak_mib": 6 * 1024.0, "resubmission_over_full": 0.25,
           "full_over_next_smaller": 2.2}


def target_lines(result: dict) -> list[str]:
    runs = sorted(result["runs"], key=lambda r: r["students"])
    if not runs:
        return []
    full = runs[-1]
    ratios_ = result.get("ratios", {})

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    out = [f"full pipeline {full['pipeline_seconds']:.0f} s (target < {TARGETS['full_pipeline_seconds']:.0f} s): "
           f"{verdict(full['pipeline_seconds'] < TARGETS['full_pipeline_seconds'])}",
           f"peak memory {full['peak_rss_mib']:.0f} MiB (target < {TARGETS['full_peak_mib']:.0f} MiB): "
           f"{verdict(full['peak_rss_mib'] < TARGETS['full_peak_mib'])}"]
    if "resubmission_over_full" in ratios_:
        r = ratios_["resubmission_over_full"]
        out.append(f"resubmission / full {r:.2f} (target < {TARGETS['resubmission_over_full']}): "
                   f"{verdict(r < TARGETS['resubmission_over_full'])}")
    if "full_over_next_smaller" in ratios_:
        r = ratios_["full_over_next_smaller"]
        out.append(f"time at full / next smaller scale {r:.2f} (target <= {TARGETS['full_over_next_smaller']}): "
                   f"{verdict(r <= TARGETS['full_over_next_smaller'])}")
    return out


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workdir", type=Path, default=PROJECT_DIR / "build" / "benchmark",
                        help="scratch folder (drops and warehouses are written here)")
    parser.add_argument("--students", type=int, default=310_000, help="students a year at full scale")
    parser.add_argument("--years", default="2021-2024")
    parser.add_argument("--scales", default="0.25,0.5,1", help="comma-separated fractions of --students")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-resubmission", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default: WORKDIR/benchmark.json)")


def run(args: argparse.Namespace) -> int:
    scales = [float(s) for s in args.scales.split(",") if s]
    try:
        result = run_benchmark(args.workdir, students=args.students, years=args.years, scales=scales,
                               seed=args.seed, resubmit=not args.no_resubmission)
    except RuntimeError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    out = args.out or args.workdir / "benchmark.json"
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    md = markdown(result)
    out.with_suffix(".md").write_text(md, encoding="utf-8")
    print(md)
    print(f"figures written to {out} and {out.with_suffix('.md')}")
    return 0

