"""The whole pipeline as one function: load -> stage -> link -> build -> publish -> report.

`make run`, the tests' shared fixture and the benchmark all call `run_pipeline`,
so they exercise exactly the same steps. Each stage is timed; `Stage` results
carry the figures the benchmark records.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
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
    plan: "BuildPlan | None" = None

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


# What a build depends on besides the data: a change here needs a full build.
BUILD_CODE = ("dbt_project.yml", "models", "macros", "seeds", "tests", "src/datashare/linkage",
              "src/datashare/dbt_plugin.py", "src/datashare/research_key.py")
# A full build: the seeds and staging (what training reads), then the rest (linkage scoring, the matched,
# access, de-identified and mart layers, and every test).
# Cautious indirect selection: a test runs in the build that holds all of its parents, so a test reading
# both a seed and a mart (a privacy test) runs in the second build. (Eager selection would drop it from
# both: from the first because the mart is not built yet, from the second because a parent, the seed, is
# excluded.) Together the two builds run every node of a plain `dbt build` once.
FIRST_BUILD = ("--select", "resource_type:seed", "staging", "--indirect-selection", "cautious")
SECOND_BUILD = ("--exclude", "resource_type:seed", "staging", "--indirect-selection", "cautious")
BUILD_STATE_FILE = "build_state.json"  # in the warehouse folder, written after a successful build
LAST_RUN_FILE = "last_pipeline_run.json"  # stage timings of the last `datashare pipeline` (the benchmark reads it)


def code_fingerprint() -> str:
    """sha256 over the files a build depends on (models, macros, seeds, tests, linkage code)."""
    digest = hashlib.sha256()
    for entry in BUILD_CODE:
        path = PROJECT_DIR / entry
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if "__pycache__" in f.parts:
                continue
            digest.update(str(f.relative_to(PROJECT_DIR)).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()


# The person index and what only it and the identities feed. Rebuilding them gives the same tables when
# nothing they read changed (linkage_inputs_digest); an incremental build then leaves them as they are.
# linkage_quality is not here: it also reads enrollments (county) and the CYFD and AOC activity tables.
LINKAGE_CHAIN = ("stg_ped__student_identities", "int_linkage__system_ids", "int_linkage__identities",
                 "int_linkage__scored_pairs", "int_linkage__deterministic_pairs", "int_linkage__review_decisions",
                 "int_linkage__pairs", "int_linkage__person_clusters", "person_xref", "linkage_review_queue")
# What of the PED raw tables the chain reads: the identity items and reporting periods of the snapshots
# (stg_ped__student_identities; concurrent ids in int_linkage__pairs) and the ids of every PED table
# (int_linkage__system_ids). A change to the chain's models changes code_fingerprint, so a build that
# reads more is a full build until this list says so.
SNAPSHOT_IDENTITY_COLUMNS = ("school_year", "snapshot", "student_id", "first_name", "middle_name", "last_name",
                             "name_suffix", "birth_date", "gender", "ssn")


def linkage_inputs_digest(database: Path, warehouse: Path) -> str | None:
    """sha256 of everything the person index is built from that a PED resubmission can change.

    The snapshot identity items, the ids of every PED table, the saved linkage model and priors and the
    recorded review decisions. CYFD and AOC tables are not included: loading one of them makes the build
    full (plan_build).
    """
    import duckdb

    from datashare.contract import load_contract
    from datashare.linkage.review import build_decisions_path
    from datashare.linkage.score import saved_model_path, update_with_saved_model

    if not Path(database).exists():
        return None
    digest = hashlib.sha256()
    tables = [t for t in load_contract().tables.values() if t.agency == "ped"]
    with duckdb.connect(str(database), read_only=True) as con:
        present = {r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw'").fetchall()}
        for table in tables:
            if table.name not in present:
                digest.update(f"{table.name}:absent".encode())
                continue
            if table.name == "ped_student_snapshot":
                cols = ", ".join(SNAPSHOT_IDENTITY_COLUMNS)
                sql = f"select count(*), cast(sum(cast(hash({cols}) as hugeint)) as varchar) from raw.{table.name}"
            else:
                sql = (f"select count(*), cast(sum(cast(hash(student_id) as hugeint)) as varchar) "
                       f"from (select distinct student_id from raw.{table.name})")
            digest.update(f"{table.name}:{con.execute(sql).fetchone()}".encode())
    update_with_saved_model(digest, saved_model_path(warehouse))
    decisions = build_decisions_path(warehouse)  # what int_linkage__review_decisions reads
    digest.update(decisions.read_bytes() if decisions.exists() else b"-")
    return digest.hexdigest()


@dataclass
class BuildPlan:
    """Full build, or an incremental build of what depends on the PED tables a resubmission changed."""
    incremental: bool
    reason: str
    changed_tables: list[str] = field(default_factory=list)
    linkage_unchanged: bool = False  # the person index's inputs are as at the last build: it is kept
    linkage_inputs: str | None = None  # their digest after this load, when the plan computed it

    def dbt_select(self) -> list[str]:
        # Everything downstream of the changed sources; unit tests check code, not data, and the code is
        # unchanged since the last full build, so they are left out.
        exclude = ["test_type:unit", *(LINKAGE_CHAIN if self.linkage_unchanged else ())]
        return ["--select", *[f"source:ped.{t}+" for t in self.changed_tables], "--exclude", *exclude]


def plan_build(warehouse: Path, load_result, *, full_build: bool = False) -> BuildPlan:
    """Decide from what the load changed whether an incremental build gives the same result as a full one.

    Incremental only when: the warehouse was fully built before with the same code and the same research
    key mode, and every table the load changed is a PED table replaced by school or cohort year (a
    resubmission). The year-keyed PED staging models then rebuild only the reloaded years, linkage scoring
    is kept when no identity changed, and only models downstream of the changed tables are rebuilt and
    tested. Anything else (first load, a CYFD or AOC file, changed models, seeds or linkage code) builds in full.
    """
    from datashare.contract import load_contract

    if full_build:
        return BuildPlan(False, "full build requested")
    changed = sorted(f.table for f in load_result.files if f.outcome == "loaded" and f.table)
    if not changed:
        return BuildPlan(False, "the load changed no table")
    state_path = warehouse / BUILD_STATE_FILE
    if not state_path.exists():
        return BuildPlan(False, "no earlier full build in this warehouse")
    state = json.loads(state_path.read_text(encoding="utf-8"))
    if state.get("code") != code_fingerprint():
        return BuildPlan(False, "models, seeds or linkage code changed since the last full build")
    tables = load_contract().tables
    not_year_keyed = [t for t in changed if tables[t].agency != "ped" or tables[t].replace_key is None]
    if not_year_keyed:
        return BuildPlan(False, f"the drop changes {', '.join(not_year_keyed)} (not a PED year resubmission)")
    digest = linkage_inputs_digest(warehouse / DATABASE_FILE, warehouse)
    unchanged = digest is not None and state.get("linkage_inputs") == digest
    return BuildPlan(True, "PED resubmission" + (", identities unchanged" if unchanged else ""), changed,
                     linkage_unchanged=unchanged, linkage_inputs=digest)


def write_build_state(warehouse: Path, linkage_inputs: str | None = None) -> None:
    """Record a successful build: the code it was built with and the inputs of its person index.

    `linkage_inputs`: their digest if already computed after this build's load (the build does not change
    the raw tables it is computed from).
    """
    (warehouse / BUILD_STATE_FILE).write_text(json.dumps({
        "code": code_fingerprint(),
        "linkage_inputs": linkage_inputs or linkage_inputs_digest(warehouse / DATABASE_FILE, warehouse),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }, indent=2), encoding="utf-8")


def run_pipeline(drop: Path, warehouse: Path, *, target: str = "dev", quiet: bool = False,
                 accept_good_rows: bool = False, train: bool = True, report: bool = True,
                 full_build: bool = False, log: Callable[[str], None] = print) -> PipelineResult:
    """Load a drop into the warehouse and build, test and publish everything.

    A PED resubmission (see plan_build) builds incrementally: no seeding, no training (the saved
    linkage model scores), and one `dbt build` of what depends on the changed PED tables.
    """
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

    loaded = {}

    def do_load() -> str:
        res = load_drop(Path(drop), database, accept_good_rows=accept_good_rows)
        if not res.ok:
            raise PipelineError(f"load of {drop} failed; see the summary above")
        loaded["result"] = res
        return ""

    stage("load", do_load)
    plan = plan_build(warehouse, loaded["result"], full_build=full_build)
    result.plan = plan
    # Until this build succeeds the warehouse is not a base for an incremental build.
    (warehouse / BUILD_STATE_FILE).unlink(missing_ok=True)
    if plan.incremental:
        log(f"== incremental build: {plan.reason} ({', '.join(plan.changed_tables)}): downstream models only"
            + ("; the person index is kept" if plan.linkage_unchanged else "")
            + " (`--full-build` rebuilds everything)")
        stage("dbt build (incremental)",
              lambda: run_dbt(["build", *plan.dbt_select(), *dbt_quiet], warehouse, target=target, quiet=quiet))
    else:
        log(f"== full build: {plan.reason}")
        # Two dbt invocations around training (each costs a process start and a parse): the seeds and
        # staging, which training reads; then everything else.
        stage("dbt build seeds + staging",
              lambda: run_dbt(["build", *FIRST_BUILD, *dbt_quiet], warehouse, target=target, quiet=quiet))
        train_fn = _optional("datashare.linkage.train", "train_linkage")
        if train and train_fn is not None:
            stage("train linkage", lambda: train_fn(database, warehouse / "linkage"))
        stage("dbt build",
              lambda: run_dbt(["build", *SECOND_BUILD, *dbt_quiet], warehouse, target=target, quiet=quiet))
    write_build_state(warehouse, plan.linkage_inputs)
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
    parser.add_argument("--full-build", action="store_true",
                        help="rebuild everything even when the drop is a PED resubmission (see docs/incremental.md)")


def run(args: argparse.Namespace) -> int:
    try:
        res = run_pipeline(args.drop, warehouse_dir(args.warehouse), accept_good_rows=args.accept_good_rows,
                           train=not args.no_train, full_build=args.full_build)
    except PipelineError as exc:
        print(f"pipeline failed: {exc}", file=sys.stderr)
        return 1
    total = sum(s.seconds for s in res.stages)
    (res.warehouse / LAST_RUN_FILE).write_text(json.dumps({
        "build": "incremental" if res.plan and res.plan.incremental else "full",
        "reason": res.plan.reason if res.plan else "",
        "stages": [{"stage": s.name, "seconds": round(s.seconds, 2)} for s in res.stages],
    }, indent=2), encoding="utf-8")
    print(f"pipeline finished in {total:.1f}s: " + ", ".join(f"{s.name} {s.seconds:.1f}s" for s in res.stages))
    return 0
