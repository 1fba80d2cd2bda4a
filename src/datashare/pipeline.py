"""The whole pipeline as one function: load -> stage -> link -> build -> publish -> report.

`make run`, the tests' shared fixture and the benchmark all call `run_pipeline`,
so they exercise exactly the same steps. Each stage is timed; `Stage` results
carry the figures the benchmark records.
"""

from __future__ import annotations

import argparse
import importlib
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from datashare.paths import DATABASE_FILE, PROJECT_DIR, PUBLISHED_DIR, warehouse_dir

BIN_DIR = Path(sys.executable).parent


class PipelineError(RuntimeError):
    pass


@dataclass
class StageResult:
    name: str
    seconds: float
    ok: bool
    detail: str = ""


@dataclass
class PipelineResult:
    warehouse: Path
    stages: list[StageResult] = field(default_factory=list)

    @property
    def database(self) -> Path:
        return self.warehouse / DATABASE_FILE


def dbt_env(warehouse: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DBT_PROFILES_DIR=str(PROJECT_DIR / "profiles"),
        DATASHARE_WAREHOUSE=str(warehouse),
        DBT_TARGET_PATH=str(warehouse / "dbt" / "target"),
        DBT_LOG_PATH=str(warehouse / "dbt" / "logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="False",
    )
    env.update(extra or {})
    return env


def run_dbt(args: list[str], warehouse: Path, *, target: str = "dev", quiet: bool = False,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a dbt command against the warehouse; raise PipelineError (with dbt's output) on failure."""
    cmd = [str(BIN_DIR / "dbt"), *args, "--project-dir", str(PROJECT_DIR), "--target", target]
    proc = subprocess.run(cmd, cwd=PROJECT_DIR, env=dbt_env(warehouse, env), text=True,
                          capture_output=quiet)
    if proc.returncode != 0:
        out = (proc.stdout or "")[-6000:] + (proc.stderr or "")[-2000:]
        raise PipelineError(f"`dbt {' '.join(args)}` failed (exit {proc.returncode})\n{out}")
    return proc


def _optional(module: str, func: str) -> Callable | None:
    """A stage function from a module, or None if that module is not part of this build yet."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise
    return getattr(mod, func)


def _peak_rss_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def run_pipeline(drop: Path, warehouse: Path, *, target: str = "dev", quiet: bool = False,
                 accept_good_rows: bool = False, train: bool = True, report: bool = True,
                 log: Callable[[str], None] = print) -> PipelineResult:
    """Load a drop into the warehouse and build, test and publish everything."""
    warehouse = Path(warehouse).resolve()
    warehouse.mkdir(parents=True, exist_ok=True)
    result = PipelineResult(warehouse=warehouse)
    database = warehouse / DATABASE_FILE
    dbt_quiet = ["--quiet"] if quiet else []

    def stage(name: str, fn: Callable[[], object]) -> None:
        log(f"== {name}")
        t0 = time.perf_counter()
        try:
            detail = fn()
        except Exception:
            result.stages.append(StageResult(name, time.perf_counter() - t0, False))
            raise
        seconds = time.perf_counter() - t0
        result.stages.append(StageResult(name, seconds, True, str(detail or "")))
        log(f"   {name}: {seconds:.1f}s (peak memory so far {_peak_rss_mib():.0f} MiB)")

    from datashare.load import load_drop

    def do_load() -> str:
        res = load_drop(Path(drop), database, accept_good_rows=accept_good_rows)
        if not res.ok:
            raise PipelineError(f"load of {drop} failed; see the summary above")
        return ""

    stage("load", do_load)
    stage("dbt seed", lambda: run_dbt(["seed", *dbt_quiet], warehouse, target=target, quiet=quiet))
    stage("dbt build staging",
          lambda: run_dbt(["build", "--select", "staging", *dbt_quiet], warehouse, target=target, quiet=quiet))
    train_fn = _optional("datashare.linkage.train", "train_linkage")
    if train and train_fn is not None:
        stage("train linkage", lambda: train_fn(database, warehouse / "linkage"))
    stage("dbt build",
          lambda: run_dbt(["build", "--exclude", "staging", *dbt_quiet], warehouse, target=target, quiet=quiet))
    publish_fn = _optional("datashare.publish", "publish")
    if publish_fn is not None:
        stage("publish", lambda: publish_fn(database, warehouse / PUBLISHED_DIR))
    report_fn = _optional("datashare.report", "render_report")
    if report and report_fn is not None and publish_fn is not None:  # the report reads only published/
        stage("report", lambda: report_fn(warehouse / PUBLISHED_DIR, warehouse / "report" / "report.html"))
    return result


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("drop", type=Path, help="folder of the extract drop to load")
    parser.add_argument("--warehouse", type=Path, default=None,
                        help="warehouse folder (default: $DATASHARE_WAREHOUSE or ./warehouse)")
    parser.add_argument("--accept-good-rows", action="store_true",
                        help="load the good rows of files with rejected rows (rejects kept for review)")
    parser.add_argument("--no-train", action="store_true", help="score with the saved linkage model")


def run(args: argparse.Namespace) -> int:
    try:
        res = run_pipeline(args.drop, warehouse_dir(args.warehouse), accept_good_rows=args.accept_good_rows,
                           train=not args.no_train)
    except PipelineError as exc:
        print(f"pipeline failed: {exc}", file=sys.stderr)
        return 1
    total = sum(s.seconds for s in res.stages)
    print(f"pipeline finished in {total:.1f}s: " + ", ".join(f"{s.name} {s.seconds:.1f}s" for s in res.stages))
    return 0
