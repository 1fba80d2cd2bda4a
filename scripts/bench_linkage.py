"""Linkage benchmark: this linkage against two baselines, on one generated drop.

    flock /tmp/statewide.lock .venv/bin/python scripts/bench_linkage.py \\
        --students 310000 --years 2021-2024 --noise default --work /tmp/bench_linkage

Steps (each stage that a user runs is its own process, so wall time and peak
memory — max resident set size, from wait4 — are measured per stage):

1. generate the drop (skipped with --reuse if it exists), load it, dbt seed,
   dbt build of staging (not part of the linkage figures);
2. train: `datashare train-linkage`;
3. score: `dbt run --select matched --full-refresh` (features, Splink scoring with the saved
   model, deterministic rules, decisions, clustering, person_xref, queue,
   quality);
4. quality against truth: pairwise precision / recall / F1 of
   matched.person_xref, over all ids and over ids that carry identifying items;
5. baseline A, "exact": ids linked when standardized first name, last name
   and birth date are equal (what agencies often do), connected components;
6. baseline B, "Splink out of the box": Splink's NameComparison (first, last)
   and DateOfBirthComparison, blocking on first+last name and on birth date,
   the tutorial's training (prior from exact matches, u by random sampling, EM
   on each blocking rule), links at probability >= 0.95, connected components.

Prints one table and writes the figures to <work>/bench_linkage_<noise>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import duckdb

from datashare.benchmark import timed
from datashare.linkage import settings as S
from datashare.linkage.evaluate import evaluate_relations, evaluate_warehouse
from datashare.linkage.features import build_features_from_warehouse
from datashare.paths import DATABASE_FILE, PROJECT_DIR
from datashare.pipeline import dbt_env
from datashare.research_key import DEMO_RESEARCH_KEY, KEY_ENV

BIN = Path(sys.executable).parent


def components(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, str]:
    """Plain connected components (what a baseline without constraints does)."""
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        if a in parent and b in parent:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return {n: find(n) for n in nodes}


def evaluate_edges(con, nodes: list[str], edges: list[tuple[str, str]], truth: Path, name: str):
    import pyarrow as pa

    comp = components(nodes, edges)
    keys = list(comp)
    table = pa.table({"system": [k.split(":", 1)[0] for k in keys], "system_id": [k.split(":", 1)[1] for k in keys],
                      "person_key": [comp[k] for k in keys]})
    con.register("_components", table)
    con.execute(f"create or replace table {name} as select * from _components")
    con.unregister("_components")
    return evaluate_relations(con, name, truth, examples=0, identified="linkage_identified")


def baseline_exact(con) -> list[tuple[str, str]]:
    return con.execute(f"""
        select distinct l.system_id_key, r.system_id_key
        from linkage_features l join linkage_features r
            on l.first_name_std = r.first_name_std and l.last_name_std = r.last_name_std
            and l.birth_date = r.birth_date and l.identity_id < r.identity_id and {S.PAIR_SCOPE}
    """).fetchall()


def baseline_splink(con) -> list[tuple[str, str]]:
    import logging

    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator

    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="identity_id",
        comparisons=[
            cl.NameComparison("first_name_std"),
            cl.NameComparison("last_name_std"),
            cl.DateOfBirthComparison("birth_date", input_is_string=False),
        ],
        blocking_rules_to_generate_predictions=[
            S.scoped("l.first_name_std = r.first_name_std and l.last_name_std = r.last_name_std"),
            S.scoped("l.birth_date = r.birth_date"),
        ],
        additional_columns_to_retain=["system_id_key"],
    )
    db_api = DuckDBAPI(connection=con)
    linker = Linker(db_api.register("linkage_features", dataset_display_name="baseline"), settings,
                    log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [S.scoped("l.first_name_std = r.first_name_std and l.last_name_std = r.last_name_std "
                  "and l.birth_date = r.birth_date")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        S.scoped("l.first_name_std = r.first_name_std and l.last_name_std = r.last_name_std"))
    linker.training.estimate_parameters_using_expectation_maximisation(S.scoped("l.birth_date = r.birth_date"))
    pred = linker.inference.predict(threshold_match_probability=0.95, warning_mode="never")
    return con.execute(f"select distinct system_id_key_l, system_id_key_r from {pred.physical_name}").fetchall()


def fmt(ev) -> dict:
    return {"all_ids": ev.overall, "identified_ids": ev.overall_identified,
            "by_system_pair_identified": ev.by_system_pair_identified}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=310_000)
    ap.add_argument("--years", default="2021-2024")
    ap.add_argument("--seed", type=int, default=20261203)
    ap.add_argument("--noise", default="default", choices=["default", "hard"])
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench_linkage"))
    ap.add_argument("--reuse", action="store_true", help="reuse a generated drop and a built staging layer")
    args = ap.parse_args(argv)

    work = args.work.resolve()
    gen = work / f"gen_{args.noise}"
    wh = work / f"wh_{args.noise}"
    log = work / f"bench_linkage_{args.noise}.log"
    work.mkdir(parents=True, exist_ok=True)
    env = dbt_env(wh, {KEY_ENV: os.environ.get(KEY_ENV, DEMO_RESEARCH_KEY)})
    ds, dbt = str(BIN / "datashare"), str(BIN / "dbt")
    proj = ["--project-dir", str(PROJECT_DIR)]
    figures: dict = {"students": args.students, "years": args.years, "noise": args.noise, "stages": {}}

    def stage(name: str, cmd: list[str]) -> None:
        print(f"== {name}", flush=True)
        seconds, mib, code = timed(cmd, env, log)
        figures["stages"][name] = {"seconds": round(seconds, 1), "peak_rss_mib": round(mib)}
        print(f"   {seconds:.1f}s, peak {mib:.0f} MiB", flush=True)
        if code != 0:
            raise SystemExit(f"{name} failed (exit {code}); see {log}")

    if not (args.reuse and (wh / DATABASE_FILE).exists()):
        if not (args.reuse and (gen / "drop").exists()):
            stage("generate", [ds, "generate", "--out", str(gen), "--students", str(args.students),
                               "--years", args.years, "--seed", str(args.seed), "--noise", args.noise])
        wh.mkdir(parents=True, exist_ok=True)
        (wh / DATABASE_FILE).unlink(missing_ok=True)
        stage("load", [ds, "load", str(gen / "drop"), "--warehouse", str(wh)])
        stage("dbt seed", [dbt, "seed", "--quiet", *proj])
        stage("dbt build staging", [dbt, "build", "--select", "staging", "--quiet", *proj])
    stage("train linkage", [ds, "train-linkage", "--warehouse", str(wh)])
    # --full-refresh: scoring keeps its stored pairs when its inputs are unchanged (incremental builds);
    # a benchmark must score every time.
    stage("score linkage (dbt run matched)", [dbt, "run", "--select", "matched", "--full-refresh", "--quiet", *proj])
    truth = gen / "truth" / "person_xref.csv"

    ev = evaluate_warehouse(wh / DATABASE_FILE, truth)
    figures["this_linkage"] = fmt(ev)

    con = duckdb.connect()
    con.execute("set threads = 2")
    build_features_from_warehouse(con, wh / DATABASE_FILE, "linkage_features")
    con.execute(f"attach '{wh / DATABASE_FILE}' as wh (read_only)")
    nodes = [r[0] for r in con.execute("select system_id_key from wh.matched.int_linkage__system_ids").fetchall()]
    con.execute("create table linkage_identified as select distinct system_id_key from linkage_features")
    for name, fn in (("baseline_exact", baseline_exact), ("baseline_splink_default", baseline_splink)):
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        edges = fn(con)
        seconds = time.perf_counter() - t0
        figures[name] = {"seconds": round(seconds, 1), **fmt(evaluate_edges(con, nodes, edges, truth, name))}
        print(f"   {seconds:.1f}s", flush=True)

    st = figures["stages"]
    link_s = st["train linkage"]["seconds"] + st["score linkage (dbt run matched)"]["seconds"]
    link_mib = max(st["train linkage"]["peak_rss_mib"], st["score linkage (dbt run matched)"]["peak_rss_mib"])
    figures["linkage_seconds"] = round(link_s, 1)
    figures["linkage_peak_rss_mib"] = link_mib
    print()
    print(f"{args.students:,} students a year, {args.years}, noise {args.noise}")
    print(f"train {st['train linkage']['seconds']}s (peak {st['train linkage']['peak_rss_mib']} MiB), "
          f"score {st['score linkage (dbt run matched)']['seconds']}s "
          f"(peak {st['score linkage (dbt run matched)']['peak_rss_mib']} MiB); linkage {link_s:.1f}s")
    print(f"{'method':<26}{'scope':<12}{'precision':>10}{'recall':>9}{'F1':>9}{'FP':>8}{'FN':>8}")
    for name in ("this_linkage", "baseline_exact", "baseline_splink_default"):
        for scope in ("all_ids", "identified_ids"):
            r = figures[name][scope]
            print(f"{name:<26}{scope:<12}{r['precision']:>10.4f}{r['recall']:>9.4f}{r['f1']:>9.4f}"
                  f"{r['false_positives']:>8}{r['false_negatives']:>8}")
    out = work / f"bench_linkage_{args.noise}.json"
    out.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(f"figures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
